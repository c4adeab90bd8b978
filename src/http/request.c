/* request.c - one request's life in libmicrohttpd, and the request API.
 *
 * MHD calls the access handler several times per request: once when the
 * headers are in (route, early checks), once per body chunk, once when the
 * request is complete (run the handler), and once more after a deferred job
 * resumed the connection (queue its response). The state of one request lives
 * in *con_cls from the URI log callback to the completion notice. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "core/clock.h"
#include "core/log.h"
#include "http/server_internal.h"

#define JSON_ERR(code, desc) "{\"error\":\"" code "\",\"error_description\":\"" desc "\"}"
static const char BODY_400_PATH[] = JSON_ERR("invalid_request", "malformed request path");
static const char BODY_404[] = JSON_ERR("not_found", "no resource at this path");
static const char BODY_405[] = JSON_ERR("method_not_allowed", "method not allowed for this path");
static const char BODY_431[] = JSON_ERR("invalid_request", "too many request header fields");
const char CONN_BODY_413[] = JSON_ERR("invalid_request", "request body too large");
const char CONN_BODY_500[] = JSON_ERR("server_error", "internal server error");
#define UNAVAILABLE "temporarily_unavailable"
const char CONN_BODY_503_STOP[] = JSON_ERR(UNAVAILABLE, "server is shutting down");
const char CONN_BODY_503_BUSY[] = JSON_ERR(UNAVAILABLE, "server is busy, retry later");
static const char BODY_503_BATCH[] = JSON_ERR(UNAVAILABLE, "the change could not be stored, retry");

/* The client address as text; an IPv4-mapped IPv6 address is shown as IPv4 so
 * that per-IP accounting sees one client as one address. */
static const char *client_ip(struct conn_state *st)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(st->mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr)
        return "";
    const struct sockaddr *sa = ci->client_addr;
    char *out = arena_alloc(&st->arena, INET6_ADDRSTRLEN);
    const void *addr = NULL;
    int family = sa->sa_family;
    if (family == AF_INET) {
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    } else if (family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        addr = a6;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            addr = &a6->s6_addr[12];
        }
    }
    if (!addr || !inet_ntop(family, addr, out, INET6_ADDRSTRLEN))
        return "";
    return out;
}

void *conn_uri_log(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_server *srv = cls;
    struct conn_state *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL; /* the access handler then closes the connection */
    arena_init(&st->arena);
    st->srv = srv;
    st->mhd = c;
    st->t0 = clock_mono_us();
    /* The raw target: MHD's `url` is already percent-decoded, which would
     * merge "%2F" into a path separator and decode captures twice. */
    st->path_len = strcspn(uri, "?");
    st->req.path = arena_strndup(&st->arena, uri, st->path_len);
    st->req.arena = &st->arena;
    st->req.app = srv->cfg.app;
    st->req.conn = st;
    st->req.method = ""; /* until the headers call; on_response may see a refused request */
    st->req.remote_ip = client_ip(st);
    buf_init(&st->req.body, 0);
    buf_init(&st->res.body, HTTP_RESPONSE_MAX);
    st->res.status = 200;
    atomic_init(&st->job_done, false);
    atomic_fetch_add(&srv->inflight, 1);
    return st;
}

void conn_free(struct conn_state *st)
{
    struct http_server *srv = st->srv;
    if (srv->cfg.on_response)
        srv->cfg.on_response(srv->cfg.app, &st->req, st->pattern, st->status,
                             clock_mono_us() - st->t0);
    buf_free(&st->req.body);
    buf_free(&st->res.body);
    arena_free(&st->arena);
    free(st);
    atomic_fetch_sub(&srv->inflight, 1);
}

void conn_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct conn_state *st = *con_cls;
    if (!st)
        return;
    *con_cls = NULL;
    if (st->stream && !stream_release(st))
        return; /* the stream thread frees it */
    conn_free(st);
}

static enum MHD_Result queue(struct conn_state *st, int status, struct MHD_Response *resp)
{
    if (atomic_load_explicit(&st->srv->draining, memory_order_relaxed))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(st->mhd, (unsigned)status, resp);
    MHD_destroy_response(resp);
    if (ret == MHD_YES) {
        st->status = status;
        st->phase = PH_QUEUED;
    }
    return ret;
}

/* Queues one of the static JSON error bodies (no copy, no allocation of ours). */
enum MHD_Result conn_queue_static(struct conn_state *st, int status, const char *json,
                                    const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    const char *ct = MHD_HTTP_HEADER_CONTENT_TYPE;
    if (MHD_add_response_header(resp, ct, "application/json") != MHD_YES ||
        (allow && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)) {
        MHD_destroy_response(resp);
        return MHD_NO;
    }
    return queue(st, status, resp);
}

enum MHD_Result conn_queue_reject(struct conn_state *st)
{
    return conn_queue_static(st, st->reject_status, st->reject_body, st->allow);
}

void conn_reject(struct conn_state *st, int status, const char *body)
{
    st->reject_status = status;
    st->reject_body = body;
    buf_free(&st->req.body);
}

static bool header_safe(const char *name, const char *value)
{
    return name[0] && !strpbrk(name, "\r\n\t :") && !strpbrk(value, "\r\n");
}

/* Queues the handler's response; the body stays in res->body (freed at completion). */
enum MHD_Result conn_queue_handler_response(struct conn_state *st)
{
    const struct response *res = &st->res;
    const char *bad = "status";
    if (res->status < 100 || res->status > 599)
        goto fail;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(res->body.len, res->body.data, MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    bad = MHD_HTTP_HEADER_CONTENT_TYPE;
    if (res->content_type && (!header_safe(bad, res->content_type) ||
                              MHD_add_response_header(resp, bad, res->content_type) != MHD_YES))
        goto fail_resp;
    for (size_t i = 0; i < res->n_headers; i++) {
        const struct http_header *h = &res->headers[i];
        bad = h->name;
        if (!header_safe(h->name, h->value) ||
            MHD_add_response_header(resp, h->name, h->value) != MHD_YES)
            goto fail_resp;
    }
    return queue(st, res->status, resp);
fail_resp:
    MHD_destroy_response(resp);
fail:
    /* A handler bug (CR/LF in a value, a header MHD owns, a bad status): fail closed. */
    log_error("http_bad_response", LOG_STR("pattern", st->pattern), LOG_STR("field", bad),
              LOG_INT("status", res->status));
    return conn_queue_static(st, 500, CONN_BODY_500, NULL);
}

/* Content-Length as a number; UINT64_MAX if absent or unreadable (MHD has
 * already refused a malformed one, so this only guards). */
static uint64_t content_length(const struct conn_state *st, bool *present)
{
    const char *v = MHD_lookup_connection_value(st->mhd, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
    *present = v != NULL;
    if (!v || !*v)
        return UINT64_MAX;
    uint64_t n = 0;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (UINT64_MAX - 9) / 10)
            return UINT64_MAX;
        n = n * 10 + (uint64_t)(*v - '0');
    }
    return n;
}

static bool expects_continue(const struct conn_state *st)
{
    const char *v = MHD_lookup_connection_value(st->mhd, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
    return v && strcasecmp(v, "100-continue") == 0;
}

/* First call: the headers are in. Route, then check the announced body size.
 * A rejection is answered after the body was read (and dropped), so that the
 * client reads the answer instead of a reset; only a body too big even to
 * drop is answered at once (MHD then closes the connection). */
static enum MHD_Result on_headers(struct conn_state *st, const char *method)
{
    /* A copy: a streamed request may outlive its connection (stream.c). */
    st->req.method = arena_strdup(&st->arena, method);
    st->phase = PH_BODY;
    struct router_match m;
    enum router_result r =
        router_match(st->srv->router, &st->arena, method, st->req.path, st->path_len, &m);
    /* Their total size is capped by MHD's connection memory (431 or 414 from
     * MHD itself); their number here, before any handler looks at them. */
    if (MHD_get_connection_values(st->mhd, MHD_HEADER_KIND, NULL, NULL) > HTTP_MAX_HEADERS) {
        conn_reject(st, 431, BODY_431);
    } else if (r == ROUTER_NOT_FOUND) {
        conn_reject(st, 404, BODY_404);
    } else if (r == ROUTER_METHOD_NOT_ALLOWED) {
        conn_reject(st, 405, BODY_405);
        st->allow = m.allow;
    } else if (r == ROUTER_BAD_PATH) {
        conn_reject(st, 400, BODY_400_PATH);
    } else {
        st->route = m.route;
        st->pattern = m.route->pattern;
        memcpy(st->req.params, m.params, m.n_params * sizeof(m.params[0]));
        st->req.n_params = m.n_params;
        st->req.route_data = m.route->data;
        st->req.body_max = m.route->max_body;
        if (m.route->stream)
            stream_accept(st);
        else
            buf_init(&st->req.body, m.route->max_body);
    }
    bool present;
    uint64_t len = content_length(st, &present);
    bool decided = st->reject_status || st->early;
    if (present && len > st->req.body_max && !decided)
        conn_reject(st, 413, CONN_BODY_413);
    else if (!decided && st->route->stream)
        stream_start(st);
    if ((st->reject_status || st->early) && ((present && len > HTTP_DISCARD_MAX) || expects_continue(st))) {
        /* a client waiting for "100 Continue" has sent no body */
        return st->reject_status ? conn_queue_reject(st) : conn_queue_handler_response(st);
    }
    return MHD_YES;
}

static enum MHD_Result on_chunk(struct conn_state *st, const char *data, size_t n)
{
    if (!st->reject_status && !st->early) {
        enum kh_status rc = buf_add(&st->req.body, data, n);
        if (rc == KH_OK)
            return MHD_YES;
        if (rc == KH_ERR_TOOBIG)
            conn_reject(st, 413, CONN_BODY_413);
        else
            conn_reject(st, 500, CONN_BODY_500);
    }
    st->discarded += n;
    return st->discarded > HTTP_DISCARD_MAX ? MHD_NO : MHD_YES;
}

/* Runs on a slow-pool thread. After MHD_resume_connection the I/O thread may
 * complete and free the request at once, so nothing of st is touched after it. */
static void run_deferred(void *arg)
{
    struct conn_state *st = arg;
    if (!st->reject_status)
        st->req.deferred(&st->req, &st->res);
    struct http_server *srv = st->srv;
    atomic_store(&st->job_done, true);
    MHD_resume_connection(st->mhd);
    atomic_fetch_sub(&srv->deferred, 1);
}

/* The serial pool runs the step in a batch; the connection resumes in
 * conn_serial_finish, once the batch has held (or failed: then a 503). */
static void run_serial_step(void *arg)
{
    struct conn_state *st = arg;
    if (!st->reject_status)
        st->req.deferred(&st->req, &st->res);
}

int conn_serial_begin(void *srv)
{
    struct http_server *s = srv;
    return s->cfg.serial.begin(s->cfg.app);
}

int conn_serial_end(void *srv)
{
    struct http_server *s = srv;
    return s->cfg.serial.end(s->cfg.app);
}

void conn_serial_finish(void *arg, int failed)
{
    struct conn_state *st = arg;
    if (failed && !st->reject_status)
        conn_reject(st, 503, BODY_503_BATCH);
    struct http_server *srv = st->srv;
    atomic_store(&st->job_done, true);
    MHD_resume_connection(st->mhd);
    atomic_fetch_sub(&srv->deferred, 1);
}

static enum MHD_Result defer(struct conn_state *st)
{
    struct http_server *srv = st->srv;
    /* Counted before `stopping` is read; http_server_stop sets `stopping`
     * before it reads the count: one of the two sees the other. */
    atomic_fetch_add(&srv->deferred, 1);
    if (atomic_load(&srv->stopping)) {
        atomic_fetch_sub(&srv->deferred, 1);
        return conn_queue_static(st, 503, CONN_BODY_503_STOP, NULL);
    }
    st->phase = PH_DEFERRED;
    MHD_suspend_connection(st->mhd);
    bool serial = st->req.defer_serial && srv->serial;
    enum kh_status rc =
        !serial ? workpool_submit(srv->slow, run_deferred, st)
        : srv->serial_batched ? workpool_submit(srv->serial, run_serial_step, st)
                              : workpool_submit(srv->serial, run_deferred, st);
    if (rc != KH_OK) {
        /* Queue full (or out of memory): resume through the normal path with a 503. */
        conn_reject(st, 503, CONN_BODY_503_BUSY);
        run_deferred(st);
    }
    return MHD_YES;
}

/* Last call: the whole request is in. */
static enum MHD_Result on_complete(struct conn_state *st)
{
    if (st->stream)
        return stream_complete(st);
    if (st->reject_status)
        return conn_queue_reject(st);
    if (st->early)
        return conn_queue_handler_response(st);
    st->req.deferred = NULL;
    st->req.defer_serial = false;
    enum http_result r = st->route->handler(&st->req, &st->res);
    if (r == HTTP_DONE)
        return conn_queue_handler_response(st);
    if (r == HTTP_DEFER && st->req.deferred)
        return defer(st);
    log_error("http_bad_handler_result", LOG_STR("pattern", st->pattern), LOG_INT("result", r));
    return conn_queue_static(st, 500, CONN_BODY_500, NULL);
}

enum MHD_Result conn_access(void *cls, struct MHD_Connection *c, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)c;
    (void)url;
    (void)version;
    struct conn_state *st = *con_cls;
    if (!st)
        return MHD_NO;
    switch (st->phase) {
    case PH_NEW:
        return on_headers(st, method);
    case PH_BODY:
        if (*upload_size && st->stream && !st->reject_status)
            return stream_chunk(st, upload, upload_size);
        if (*upload_size) {
            size_t n = *upload_size;
            *upload_size = 0;
            return on_chunk(st, upload, n);
        }
        return on_complete(st);
    case PH_DEFERRED:
        if (!atomic_load(&st->job_done))
            return MHD_YES;
        return st->reject_status ? conn_queue_reject(st) : conn_queue_handler_response(st);
    case PH_QUEUED:
        break;
    }
    return MHD_YES;
}

static struct conn_state *state_of(const struct request *req)
{
    return req->conn;
}

const char *http_header(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(state_of(req)->mhd, MHD_HEADER_KIND, name);
}

struct header_count {
    const char *name;
    size_t n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    (void)value;
    struct header_count *hc = cls;
    if (key && strcasecmp(key, hc->name) == 0)
        hc->n++;
    return MHD_YES;
}

size_t http_header_count(const struct request *req, const char *name)
{
    struct header_count hc = {.name = name, .n = 0};
    MHD_get_connection_values(state_of(req)->mhd, MHD_HEADER_KIND, count_header, &hc);
    return hc.n;
}

const char *http_query(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(state_of(req)->mhd, MHD_GET_ARGUMENT_KIND, name);
}

void http_set_header(struct request *req, struct response *res, const char *name,
                     const char *value)
{
    if (res->n_headers == HTTP_MAX_RESPONSE_HEADERS) {
        log_error("http_too_many_headers", LOG_STR("header", name),
                  LOG_STR("pattern", state_of(req)->pattern));
        return;
    }
    res->headers[res->n_headers].name = arena_strdup(req->arena, name);
    res->headers[res->n_headers].value = arena_strdup(req->arena, value);
    res->n_headers++;
}
