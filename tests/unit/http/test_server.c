/* test_server.c - the real server on 127.0.0.1, port 0, spoken to over sockets:
 * keep-alive, 404/405/400/413, bodies (length and chunked), a deferred handler
 * beside a fast request, header and query lookup, the response hook, and stop
 * with a request in flight. Ordering is asserted, never timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "http/http.h"
#include "httpc.h"

/* ---- handlers (they run on server threads: no cmocka asserts in them) ---- */

static atomic_int slow_started, slow_done, gate_open;
static atomic_int responses_seen;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen_pattern[128];
static int seen_status;
static const char *seen_ip;

/* Waits up to 10 s for a flag (a safety net against a hang, not a timing check). */
static void wait_flag(atomic_int *f)
{
    for (int i = 0; i < 10000 && !atomic_load(f); i++)
        usleep(1000);
}

static void put(struct response *res, const char *s)
{
    if (buf_addstr(&res->body, s) != KH_OK)
        res->status = 500;
}

static enum http_result h_hello(struct request *req, struct response *res)
{
    put(res, "hello");
    res->content_type = "text/plain";
    http_set_header(req, res, "X-Test", "1");
    return HTTP_DONE;
}

static enum http_result h_echo(struct request *req, struct response *res)
{
    if (buf_add(&res->body, req->body.data, req->body.len) != KH_OK)
        res->status = 500;
    res->content_type = "application/octet-stream";
    return HTTP_DONE;
}

static enum http_result h_info(struct request *req, struct response *res)
{
    const char *foo = http_header(req, "x-FOO");
    const char *q = http_query(req, "q");
    if (buf_printf(&res->body, "foo=%s multi=%zu none=%zu q=%s ip=%s method=%s path=%s app=%s",
                   foo ? foo : "(null)", http_header_count(req, "X-Multi"),
                   http_header_count(req, "X-None"), q ? q : "(null)", req->remote_ip,
                   req->method, req->path, (const char *)req->app) != KH_OK)
        res->status = 500;
    return HTTP_DONE;
}

static void slow_step(struct request *req, struct response *res)
{
    atomic_store(&slow_started, 1);
    usleep(200000);
    wait_flag(&gate_open);
    put(res, "slow:");
    put(res, req->body.data ? req->body.data : "");
    res->status = 201;
    http_set_header(req, res, "X-Slow", "yes");
    atomic_store(&slow_done, 1);
}

static enum http_result h_slow(struct request *req, struct response *res)
{
    (void)res;
    req->deferred = slow_step;
    return HTTP_DEFER;
}

/* The serial pool: steps run between the app's begin and end hooks. */
static atomic_int serial_begins, serial_ends, serial_fail;
static atomic_int serial_in_batch; /* set between begin and end */

static int serial_begin(void *app)
{
    (void)app;
    atomic_fetch_add(&serial_begins, 1);
    atomic_store(&serial_in_batch, 1);
    return 0;
}

static int serial_end(void *app)
{
    (void)app;
    atomic_store(&serial_in_batch, 0);
    atomic_fetch_add(&serial_ends, 1);
    return atomic_load(&serial_fail);
}

static void serial_step(struct request *req, struct response *res)
{
    (void)req;
    put(res, atomic_load(&serial_in_batch) ? "in-batch" : "outside");
}

static enum http_result h_serial(struct request *req, struct response *res)
{
    (void)res;
    req->deferred = serial_step;
    req->defer_serial = true;
    return HTTP_DEFER;
}

static enum http_result h_item(struct request *req, struct response *res)
{
    if (buf_printf(&res->body, "%zu:%s:%s:%s", req->n_params, req->params[0], req->params[1],
                   (const char *)req->route_data) != KH_OK)
        res->status = 500;
    return HTTP_DONE;
}

static enum http_result h_bad_header(struct request *req, struct response *res)
{
    http_set_header(req, res, "X-Bad", "a\r\nInjected: 1");
    return HTTP_DONE;
}

static enum http_result h_defer_without_step(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
    return HTTP_DEFER;
}

static enum http_result h_status(struct request *req, struct response *res)
{
    res->status = 204;
    for (int i = 0; i < HTTP_MAX_RESPONSE_HEADERS + 2; i++)
        http_set_header(req, res, "X-Many", "v"); /* past the cap: ignored, logged */
    return HTTP_DONE;
}

static void on_response(void *app, const struct request *req, const char *pattern, int status,
                        int64_t duration_us)
{
    (void)app;
    (void)duration_us;
    pthread_mutex_lock(&seen_mu);
    snprintf(seen_pattern, sizeof seen_pattern, "%s", pattern ? pattern : "(none)");
    seen_status = status;
    seen_ip = req->remote_ip && strcmp(req->remote_ip, "127.0.0.1") == 0 ? "ok" : "bad";
    pthread_mutex_unlock(&seen_mu);
    atomic_fetch_add(&responses_seen, 1);
}

static const struct route ROUTES[] = {
    {"GET", "/hello", h_hello, 0, NULL},
    {"POST", "/echo", h_echo, 64, NULL},
    {"GET", "/info", h_info, 0, NULL},
    {"POST", "/slow", h_slow, 64, NULL},
    {"POST", "/serial", h_serial, 64, NULL},
    {"GET", "/items/{a}/{b}", h_item, 0, "item-data"},
    {"GET", "/bad-header", h_bad_header, 0, NULL},
    {"GET", "/defer-null", h_defer_without_step, 0, NULL},
    {"DELETE", "/status", h_status, 0, NULL},
};

static struct http_config config(void)
{
    return (struct http_config){
        .listen_host = "127.0.0.1",
        .port = 0,
        .io_threads = 2,
        .slow_threads = 2,
        .routes = ROUTES,
        .n_routes = sizeof ROUTES / sizeof ROUTES[0],
        .app = "the-app",
        .on_response = on_response,
        .serial = {serial_begin, serial_end, 16},
    };
}

static struct http_server *server;
static uint16_t port;

static int group_setup(void **state)
{
    (void)state;
    struct http_config cfg = config();
    if (http_server_start(&cfg, &server) != KH_OK)
        return -1;
    port = http_server_port(server);
    return port ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    http_server_stop(server);
    return 0;
}

/* One request on a fresh connection; the connection is closed after. */
static void request(const char *raw, struct httpc_resp *r)
{
    struct httpc c;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, raw), 0);
    assert_int_equal(httpc_read(&c, r, false), 0);
    httpc_close(&c);
}

static void assert_header(const struct httpc_resp *r, const char *name, const char *want)
{
    char v[256];
    const char *got = httpc_header(r, name, v, sizeof v);
    if (!want) {
        assert_null(got);
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* ---- tests ---- */

static void test_keep_alive(void **state)
{
    (void)state;
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
        assert_int_equal(httpc_read(&c, &r, false), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "hello");
        assert_header(&r, "Content-Type", "text/plain");
        assert_header(&r, "X-Test", "1");
        assert_header(&r, "Connection", NULL);
    }
    /* Pipelined: two requests in one write, two answers in order. */
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"
                                     "GET /items/x/y HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_string_equal(r.body, "hello");
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_string_equal(r.body, "2:x:y:item-data");
    httpc_close(&c);
}

static void test_head(void **state)
{
    (void)state;
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, true), 0);
    assert_int_equal(r.status, 200);
    /* The body was not sent: the next response follows at once. */
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_string_equal(r.body, "hello");
    httpc_close(&c);
}

static void test_not_found(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    assert_header(&r, "Content-Type", "application/json");
    assert_non_null(strstr(r.body, "\"error\":\"not_found\""));
    assert_non_null(strstr(r.body, "\"error_description\":"));
    request("GET /hello/ HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
    request("GET /items//y HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 404);
}

static void test_method_not_allowed(void **state)
{
    (void)state;
    struct httpc c;
    struct httpc_resp r;
    request("POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow", "GET");
    assert_non_null(strstr(r.body, "\"error\":\"method_not_allowed\""));
    /* With a body: it is read and dropped, and the connection stays usable. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "PUT /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\n"
                                     "abcde"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 405);
    assert_header(&r, "Allow", "POST");
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
}

static void test_bad_path(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /items/%zz/y HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"error\":\"invalid_request\""));
    request("GET /items/a%00/y HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
}

static void test_captures_decoded(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /items/a%20b/c%2Fd+e?x=1 HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "2:a b:c/d+e:item-data");
}

static void test_echo_bodies(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    request("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello world");
    /* Exactly max_body is fine. */
    char req[512];
    snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 64\r\n\r\n%064d",
             7);
    request(req, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 64);
    request("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
}

static void assert_413(const struct httpc_resp *r)
{
    assert_int_equal(r->status, 413);
    assert_header(r, "Content-Type", "application/json");
    assert_string_equal(r->body, "{\"error\":\"invalid_request\","
                                 "\"error_description\":\"request body too large\"}");
}

static void test_too_large_content_length(void **state)
{
    (void)state;
    struct httpc c;
    struct httpc_resp r;
    char req[512];
    /* 65 bytes announced and sent: answered after the body was dropped, so
     * the connection stays in step and is reused. */
    assert_int_equal(httpc_connect(&c, port), 0);
    snprintf(req, sizeof req, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n%065d",
             7);
    assert_int_equal(httpc_sends(&c, req), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_413(&r);
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
    /* A body too big even to drop: answered at once, from the headers alone. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                     "Content-Length: 1000000000\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_413(&r);
    httpc_close(&c);
    /* A client that waits for "100 Continue" is answered at once, without it. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n"
                                     "Expect: 100-continue\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_413(&r);
    httpc_close(&c);
    /* A GET route takes no body at all. */
    request("GET /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx", &r);
    assert_413(&r);
}

static void test_too_large_chunked(void **state)
{
    (void)state;
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"), 0);
    char chunk[64];
    for (int i = 0; i < 5; i++) {
        snprintf(chunk, sizeof chunk, "14\r\n%020d\r\n", i); /* 20 bytes each: 100 > 64 */
        assert_int_equal(httpc_sends(&c, chunk), 0);
    }
    assert_int_equal(httpc_sends(&c, "0\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_413(&r);
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
    /* An endless chunked body is cut off once too much was dropped. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /echo HTTP/1.1\r\nHost: t\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"), 0);
    static char big[8200];
    memcpy(big, "2000\r\n", 6);
    memset(big + 6, 'a', 8192);
    memcpy(big + 6 + 8192, "\r\n", 2);
    int sent_ok = 1;
    for (int i = 0; i < 1024 && sent_ok; i++) /* up to 8 MiB */
        sent_ok = httpc_send(&c, big, 6 + 8192 + 2) == 0;
    assert_false(sent_ok); /* the server closed the connection */
    httpc_close(&c);
}

static void test_headers_and_query(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /info?q=a%20b+c&other=1 HTTP/1.1\r\nHost: t\r\nX-Foo: first\r\n"
            "X-Multi: 1\r\nx-multi: 2\r\nX-Foo: second\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "foo=first multi=2 none=0 q=a b c ip=127.0.0.1 method=GET "
                                "path=/info app=the-app");
    request("GET /info HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_non_null(strstr(r.body, "foo=(null) multi=0 none=0 q=(null)"));
}

static void test_handler_errors(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /bad-header HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 500);
    assert_header(&r, "Injected", NULL);
    assert_non_null(strstr(r.body, "\"error\":\"server_error\""));
    request("GET /defer-null HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 500);
    request("DELETE /status HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    assert_int_equal(r.status, 204);
}

static void test_on_response(void **state)
{
    (void)state;
    struct httpc_resp r;
    request("GET /items/p/q HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    /* The hook runs after the response went out: wait for it to be seen. */
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&seen_mu);
        int done = strcmp(seen_pattern, "/items/{a}/{b}") == 0;
        pthread_mutex_unlock(&seen_mu);
        if (done)
            break;
        usleep(1000);
    }
    pthread_mutex_lock(&seen_mu);
    assert_string_equal(seen_pattern, "/items/{a}/{b}");
    assert_int_equal(seen_status, 200);
    assert_string_equal(seen_ip, "ok");
    pthread_mutex_unlock(&seen_mu);
    int before = atomic_load(&responses_seen);
    request("GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    while (atomic_load(&responses_seen) == before)
        usleep(1000);
    pthread_mutex_lock(&seen_mu);
    assert_string_equal(seen_pattern, "(none)");
    assert_int_equal(seen_status, 404);
    pthread_mutex_unlock(&seen_mu);
    /* Refused by libmicrohttpd itself (HTTP/1.1 without Host): status 0. */
    before = atomic_load(&responses_seen);
    request("GET /hello HTTP/1.1\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    while (atomic_load(&responses_seen) == before)
        usleep(1000);
    pthread_mutex_lock(&seen_mu);
    assert_string_equal(seen_pattern, "(none)");
    assert_int_equal(seen_status, 0);
    pthread_mutex_unlock(&seen_mu);
}

static void reset_slow(void)
{
    atomic_store(&slow_started, 0);
    atomic_store(&slow_done, 0);
    atomic_store(&gate_open, 0);
}

/* The slow step cannot finish before the gate opens, and the gate opens only
 * after the fast request was answered: the order is certain, not timed. */
static void test_deferred_does_not_block(void **state)
{
    (void)state;
    reset_slow();
    struct httpc slow, fast;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&slow, port), 0);
    assert_int_equal(httpc_sends(&slow, "POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n"
                                        "\r\nabc"), 0);
    wait_flag(&slow_started);
    assert_int_equal(atomic_load(&slow_started), 1);
    assert_int_equal(httpc_connect(&fast, port), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(httpc_sends(&fast, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
        assert_int_equal(httpc_read(&fast, &r, false), 0);
        assert_int_equal(r.status, 200);
    }
    assert_int_equal(atomic_load(&slow_done), 0);
    atomic_store(&gate_open, 1);
    assert_int_equal(httpc_read(&slow, &r, false), 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "slow:abc");
    assert_header(&r, "X-Slow", "yes");
    /* The resumed connection keeps serving. */
    assert_int_equal(httpc_sends(&slow, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&slow, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&slow);
    httpc_close(&fast);
}

static void test_serial_batches(void **state)
{
    (void)state;
    struct httpc_resp r;
    int before = atomic_load(&serial_ends);
    request("POST /serial HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "in-batch");
    assert_true(atomic_load(&serial_ends) > before);
    assert_int_equal(atomic_load(&serial_begins), atomic_load(&serial_ends));
    /* A batch that does not hold turns its answers into 503s. */
    atomic_store(&serial_fail, 1);
    request("POST /serial HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    atomic_store(&serial_fail, 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "temporarily_unavailable"));
}

static void *stop_thread(void *srv)
{
    http_server_stop(srv);
    return NULL;
}

static void test_stop_with_request_in_flight(void **state)
{
    (void)state;
    reset_slow();
    struct http_config cfg = config();
    struct http_server *srv;
    assert_int_equal(http_server_start(&cfg, &srv), KH_OK);
    uint16_t p = http_server_port(srv);
    struct httpc c, idle;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&idle, p), 0); /* an idle keep-alive connection */
    assert_int_equal(httpc_connect(&c, p), 0);
    assert_int_equal(httpc_sends(&c, "POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n"
                                     "\r\nz"), 0);
    wait_flag(&slow_started);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stop_thread, srv), 0);
    /* Stop is waiting for the request in flight (the listener stays open until
     * MHD_stop_daemon: see http_server_stop on MHD_quiesce_daemon). */
    usleep(20000);
    atomic_store(&gate_open, 1);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "slow:z");
    assert_header(&r, "Connection", "close");
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_true(httpc_eof(&idle));
    httpc_close(&c);
    httpc_close(&idle);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d))
        n++;
    if (d)
        closedir(d);
    return n;
}

static void test_start_errors(void **state)
{
    (void)state;
    int fds = open_fds();
    struct http_server *srv = NULL;
    struct http_config cfg = config();
    cfg.listen_host = "localhost-not-numeric";
    assert_int_equal(http_server_start(&cfg, &srv), KH_ERR_INVALID);
    cfg = config();
    cfg.tls_cert_pem = "-----BEGIN CERTIFICATE-----";
    assert_int_equal(http_server_start(&cfg, &srv), KH_ERR_INVALID); /* no key */
    cfg = config();
    cfg.port = port; /* in use by the group's server */
    assert_int_equal(http_server_start(&cfg, &srv), KH_ERR_IO);
    cfg = config();
    cfg.tls_cert_pem = "not a certificate";
    cfg.tls_key_pem = "not a key";
    /* Refused by tls.c before any socket is opened. */
    assert_int_equal(http_server_start(&cfg, &srv), KH_ERR_INVALID);
    struct route bad = {"GET", "no-slash", h_hello, 0, NULL};
    cfg = config();
    cfg.routes = &bad;
    cfg.n_routes = 1;
    assert_int_equal(http_server_start(&cfg, &srv), KH_ERR_INVALID);
    assert_null(srv);
    http_server_stop(NULL);
    assert_int_equal(open_fds(), fds); /* no listening socket left behind */
}

/* A plain HTTP server has no certificate to replace. */
static void test_reload_tls_without_tls(void **state)
{
    (void)state;
    struct http_config cfg = config();
    struct http_server *srv;
    assert_int_equal(http_server_start(&cfg, &srv), KH_OK);
    const char *why = NULL;
    assert_int_equal(http_server_reload_tls(srv, "x", "y", &why), KH_ERR_INVALID);
    assert_non_null(why);
    http_server_stop(srv);
}

static void test_ipv6_listen(void **state)
{
    (void)state;
    struct http_config cfg = config();
    cfg.listen_host = "[::1]";
    cfg.io_threads = 0; /* one per core */
    cfg.slow_threads = 0;
    struct http_server *srv;
    enum kh_status rc = http_server_start(&cfg, &srv);
    if (rc == KH_ERR_IO)
        skip(); /* no IPv6 loopback in this sandbox */
    assert_int_equal(rc, KH_OK);
    assert_int_not_equal(http_server_port(srv), 0);
    http_server_stop(srv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_method_not_allowed),
        cmocka_unit_test(test_bad_path),
        cmocka_unit_test(test_captures_decoded),
        cmocka_unit_test(test_echo_bodies),
        cmocka_unit_test(test_too_large_content_length),
        cmocka_unit_test(test_too_large_chunked),
        cmocka_unit_test(test_headers_and_query),
        cmocka_unit_test(test_handler_errors),
        cmocka_unit_test(test_on_response),
        cmocka_unit_test(test_deferred_does_not_block),
        cmocka_unit_test(test_serial_batches),
        cmocka_unit_test(test_stop_with_request_in_flight),
        cmocka_unit_test(test_start_errors),
        cmocka_unit_test(test_ipv6_listen),
        cmocka_unit_test(test_reload_tls_without_tls),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
