/* test_stream.c - streamed request bodies (struct http_stream) on the real
 * server over sockets: every byte reaches the consumer in order on one thread
 * off the I/O threads; a consumer that is behind stops the client (the server
 * does not swallow the body); Content-Length over the limit is 413 before the
 * consumer hears of it; a chunked body over the limit is 413 after the
 * consumer finished with TOO_BIG; a client gone mid-body finishes ABORTED and
 * the server goes on; a refusal by the accept step is answered with the body
 * dropped, or at once with "Expect: 100-continue". Ordering, never timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "http/http.h"
#include "httpc.h"

#define LIMIT (64u << 20)

/* ---- the streamed route (runs on server threads: no cmocka asserts) ---- */

struct consumer {
    uint64_t bytes;
    uint64_t sum;          /* sum of byte * position (mod 2^64): order matters */
    size_t biggest;        /* largest piece handed to consume */
    pthread_t thread;
    bool one_thread;
    bool stop_after_first; /* consume answers "no more" after its first piece */
};

static atomic_int gate_open = 1;     /* consume waits while 0 */
static atomic_int consumer_waiting;  /* consume is waiting at the gate */
static atomic_int finishes[3];       /* by enum http_stream_end */
static atomic_int consumes;

static void wait_flag(atomic_int *f, int want)
{
    for (int i = 0; i < 10000 && atomic_load(f) != want; i++)
        usleep(1000);
}

static enum http_result accept_body(struct request *req, struct response *res)
{
    if (http_header(req, "X-Refuse")) {
        res->status = 403;
        if (buf_addstr(&res->body, "refused") != KH_OK)
            res->status = 500;
        return HTTP_DONE;
    }
    const char *limit = http_header(req, "X-Limit");
    if (limit)
        req->body_max = strtoull(limit, NULL, 10);
    struct consumer *c = arena_alloc(req->arena, sizeof *c);
    *c = (struct consumer){.one_thread = true, .stop_after_first = http_header(req, "X-Stop")};
    req->state = c;
    return HTTP_DEFER;
}

static enum kh_status consume(struct request *req, const void *data, size_t n)
{
    struct consumer *c = req->state;
    atomic_fetch_add(&consumes, 1);
    if (c->bytes == 0)
        c->thread = pthread_self();
    else if (!pthread_equal(c->thread, pthread_self()))
        c->one_thread = false;
    if (!atomic_load(&gate_open)) {
        atomic_store(&consumer_waiting, 1);
        wait_flag(&gate_open, 1);
        atomic_store(&consumer_waiting, 0);
    }
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        c->sum += (uint64_t)p[i] * (c->bytes + i + 1);
    c->bytes += n;
    if (n > c->biggest)
        c->biggest = n;
    return c->stop_after_first ? KH_ERR_INVALID : KH_OK;
}

static void finish(struct request *req, struct response *res, enum http_stream_end end)
{
    struct consumer *c = req->state;
    atomic_fetch_add(&finishes[end], 1);
    if (end != HTTP_STREAM_COMPLETE)
        return;
    res->status = 201;
    if (!pthread_equal(c->thread, pthread_self()) && c->bytes)
        c->one_thread = false;
    if (buf_printf(&res->body, "bytes=%llu sum=%llu biggest=%zu one_thread=%d",
                   (unsigned long long)c->bytes, (unsigned long long)c->sum, c->biggest,
                   c->one_thread) != KH_OK)
        res->status = 500;
}

static const struct http_stream STREAM = {consume, finish};

static enum http_result h_hello(struct request *req, struct response *res)
{
    (void)req;
    if (buf_addstr(&res->body, "hello") != KH_OK)
        res->status = 500;
    return HTTP_DONE;
}

static const struct route ROUTES[] = {
    {"POST", "/stream", accept_body, LIMIT, NULL, &STREAM},
    {"GET", "/hello", h_hello, 0, NULL, NULL},
};

static struct http_server *server;
static uint16_t port;

static int group_setup(void **state)
{
    (void)state;
    struct http_config cfg = {
        .listen_host = "127.0.0.1",
        .io_threads = 2,
        .slow_threads = 1,
        .stream_threads = 2,
        .routes = ROUTES,
        .n_routes = sizeof ROUTES / sizeof ROUTES[0],
    };
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

/* The expected consumer line for `n` bytes of pattern(). */
static unsigned char pattern(uint64_t i)
{
    return (unsigned char)('a' + (i * 7 + i / 251) % 26);
}

static void expect_line(uint64_t n, char *out, size_t len)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += (uint64_t)pattern(i) * (i + 1);
    snprintf(out, len, "bytes=%llu sum=%llu", (unsigned long long)n, (unsigned long long)sum);
}

/* Sends n pattern bytes from offset `from` (plain, or as 8 KiB chunks). */
static int send_pattern(struct httpc *c, uint64_t from, uint64_t n, bool chunked)
{
    static char buf[8192];
    while (n > 0) {
        size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
        for (size_t i = 0; i < k; i++)
            buf[i] = (char)pattern(from + i);
        char head[32];
        snprintf(head, sizeof head, "%zx\r\n", k);
        if ((chunked && httpc_sends(c, head)) || httpc_send(c, buf, k) ||
            (chunked && httpc_sends(c, "\r\n")))
            return -1;
        from += k;
        n -= k;
    }
    return 0;
}

static void assert_hello(void)
{
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
}

static void reset_counts(void)
{
    for (int i = 0; i < 3; i++)
        atomic_store(&finishes[i], 0);
    atomic_store(&consumes, 0);
}

/* ---- tests ---- */

static void test_body_reaches_consumer_in_order(void **state)
{
    (void)state;
    char want[128], head[256];
    for (int chunked = 0; chunked < 2; chunked++) {
        uint64_t n = 3 * 1024 * 1024 + 17;
        struct httpc c;
        struct httpc_resp r;
        assert_int_equal(httpc_connect(&c, port), 0);
        if (chunked)
            snprintf(head, sizeof head, "POST /stream HTTP/1.1\r\nHost: t\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n");
        else
            snprintf(head, sizeof head, "POST /stream HTTP/1.1\r\nHost: t\r\n"
                                        "Content-Length: %llu\r\n\r\n", (unsigned long long)n);
        assert_int_equal(httpc_sends(&c, head), 0);
        assert_int_equal(send_pattern(&c, 0, n, chunked), 0);
        if (chunked)
            assert_int_equal(httpc_sends(&c, "0\r\n\r\n"), 0);
        assert_int_equal(httpc_read(&c, &r, false), 0);
        assert_int_equal(r.status, 201);
        expect_line(n, want, sizeof want);
        assert_non_null(strstr(r.body, want));
        assert_non_null(strstr(r.body, "one_thread=1"));
        /* Pieces never exceed the hand-off buffer. */
        const char *b = strstr(r.body, "biggest=");
        assert_non_null(b);
        assert_true(strtoull(b + 8, NULL, 10) <= 64 * 1024);
        /* Keep-alive still works after a streamed request. */
        assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
        assert_int_equal(httpc_read(&c, &r, false), 0);
        assert_string_equal(r.body, "hello");
        httpc_close(&c);
    }
    /* An empty body: finish only. */
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 201);
    assert_non_null(strstr(r.body, "bytes=0 "));
    httpc_close(&c);
}

/* A consumer that does not take the body stops the client: with the consumer
 * held, a 48 MiB body cannot be sent whole (the server reads at most its two
 * buffers and libmicrohttpd's; the kernel holds a few MiB); once released,
 * the rest goes through and every byte arrives. */
static void test_backpressure(void **state)
{
    (void)state;
    uint64_t n = 48u << 20;
    atomic_store(&gate_open, 0);
    struct httpc c;
    struct httpc_resp r;
    char head[128];
    assert_int_equal(httpc_connect(&c, port), 0);
    snprintf(head, sizeof head, "POST /stream HTTP/1.1\r\nHost: t\r\nContent-Length: %llu\r\n\r\n",
             (unsigned long long)n);
    assert_int_equal(httpc_sends(&c, head), 0);
    int fl = fcntl(c.fd, F_GETFL);
    fcntl(c.fd, F_SETFL, fl | O_NONBLOCK);
    static char buf[65536];
    uint64_t sent = 0;
    int idle = 0;
    while (sent < n && idle < 200) { /* 200 consecutive EAGAINs 1 ms apart: stuck */
        size_t k = n - sent < sizeof buf ? (size_t)(n - sent) : sizeof buf;
        for (size_t i = 0; i < k; i++)
            buf[i] = (char)pattern(sent + i);
        ssize_t w = send(c.fd, buf, k, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (uint64_t)w;
            idle = 0;
        } else {
            assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
            idle++;
            usleep(1000);
        }
    }
    assert_true(sent < n);
    assert_int_equal(atomic_load(&consumer_waiting), 1);
    atomic_store(&gate_open, 1);
    fcntl(c.fd, F_SETFL, fl);
    assert_int_equal(send_pattern(&c, sent, n - sent, false), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 201);
    char want[128];
    expect_line(n, want, sizeof want);
    assert_non_null(strstr(r.body, want));
    httpc_close(&c);
}

static void test_content_length_over_limit(void **state)
{
    (void)state;
    reset_counts();
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Limit: 10\r\n"
                                     "Content-Length: 11\r\n\r\n01234567890"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 413);
    httpc_close(&c);
    /* At the limit is fine. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Limit: 10\r\n"
                                     "Content-Length: 10\r\n\r\n0123456789"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 201);
    httpc_close(&c);
    /* The consumer only saw the second request. */
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_COMPLETE]), 1);
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_TOO_BIG]), 0);
    assert_int_equal(atomic_load(&consumes), 1);
}

static void test_chunked_over_limit(void **state)
{
    (void)state;
    reset_counts();
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Limit: 100000\r\n"
                                     "Transfer-Encoding: chunked\r\n\r\n"), 0);
    assert_int_equal(send_pattern(&c, 0, 100001, true), 0);
    assert_int_equal(httpc_sends(&c, "0\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 413);
    /* The consumer was told before the answer left. */
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_TOO_BIG]), 1);
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_COMPLETE]), 0);
    /* The connection goes on. */
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
}

static void test_client_gone_mid_body(void **state)
{
    (void)state;
    reset_counts();
    for (int i = 0; i < 2; i++) {
        struct httpc c;
        assert_int_equal(httpc_connect(&c, port), 0);
        assert_int_equal(httpc_sends(&c, i ? "POST /stream HTTP/1.1\r\nHost: t\r\n"
                                             "Transfer-Encoding: chunked\r\n\r\n"
                                           : "POST /stream HTTP/1.1\r\nHost: t\r\n"
                                             "Content-Length: 1000000\r\n\r\n"), 0);
        assert_int_equal(send_pattern(&c, 0, 300000, i), 0);
        httpc_close(&c);
    }
    /* A client that closes while its connection is suspended (the consumer behind) may
     * be noticed only at the connection timeout (60 s): libmicrohttpd 0.9.75 can miss
     * the close that came during the suspension. */
    for (int i = 0; i < 70000 && atomic_load(&finishes[HTTP_STREAM_ABORTED]) < 2; i++)
        usleep(1000);
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_ABORTED]), 2);
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_COMPLETE]), 0);
    assert_hello();
}

static void test_consumer_stops_early(void **state)
{
    (void)state;
    reset_counts();
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Stop: 1\r\n"
                                     "Content-Length: 500000\r\n\r\n"), 0);
    assert_int_equal(send_pattern(&c, 0, 500000, false), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 201);
    assert_int_equal(atomic_load(&consumes), 1); /* the rest was dropped */
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_COMPLETE]), 1);
    httpc_close(&c);
}

static void test_refused_by_accept(void **state)
{
    (void)state;
    reset_counts();
    struct httpc c;
    struct httpc_resp r;
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Refuse: 1\r\n"
                                     "Content-Length: 5\r\n\r\nabcde"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 403);
    assert_string_equal(r.body, "refused");
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 200);
    httpc_close(&c);
    /* A client waiting for "100 Continue" gets the refusal without sending. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "POST /stream HTTP/1.1\r\nHost: t\r\nX-Refuse: 1\r\n"
                                     "Expect: 100-continue\r\nContent-Length: 5000000\r\n\r\n"), 0);
    assert_int_equal(httpc_read(&c, &r, false), 0);
    assert_int_equal(r.status, 403);
    httpc_close(&c);
    assert_int_equal(atomic_load(&consumes), 0);
    assert_int_equal(atomic_load(&finishes[HTTP_STREAM_COMPLETE]), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_reaches_consumer_in_order),
        cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_content_length_over_limit),
        cmocka_unit_test(test_chunked_over_limit),
        cmocka_unit_test(test_client_gone_mid_body),
        cmocka_unit_test(test_consumer_stops_early),
        cmocka_unit_test(test_refused_by_accept),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
