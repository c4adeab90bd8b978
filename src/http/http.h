/* http.h - the HTTP server keyhold's API handlers are written against.
 *
 * Only src/http/ includes <microhttpd.h>. Handlers see struct request and fill
 * struct response; they never touch a socket.
 *
 * Threads: handlers run on the server's I/O threads (an epoll thread pool,
 * one per core) and must not block. Work that takes long (password hashing)
 * is deferred: the handler sets req->deferred and returns HTTP_DEFER; the
 * server suspends the connection, runs req->deferred(req, res) on its pool of
 * slow-work threads, and resumes the connection when it returns. Other
 * connections are served meanwhile.
 *
 * Memory: every request owns an arena (req->arena) freed after the response
 * is sent; handlers allocate from it and free nothing.
 *
 * Streamed bodies: a route with `stream` set does not collect its body. Its
 * handler runs when the headers are in (before any body byte is read) and
 * accepts the body with HTTP_DEFER; the body then goes, piece by piece, to the
 * route's consumer on a stream thread, through a small bounded buffer: while
 * the consumer is behind, the connection is suspended and the client waits
 * (TCP backpressure), so memory stays flat whatever the body's size. */
#ifndef KH_HTTP_H
#define KH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/status.h"

#define HTTP_MAX_PARAMS 4          /* {captures} in one route pattern */
#define HTTP_MAX_RESPONSE_HEADERS 12
#define HTTP_STREAM_THREADS 2      /* default of http_config.stream_threads */

struct request;
struct response;

enum http_result { HTTP_DONE = 0, HTTP_DEFER = 1 };

typedef enum http_result (*http_handler)(struct request *req, struct response *res);
typedef void (*http_deferred)(struct request *req, struct response *res);

struct request {
    struct arena *arena;
    const char *method;            /* "GET", "POST", ... */
    const char *path;              /* the URL path as sent (still percent-encoded), no query */
    const char *params[HTTP_MAX_PARAMS]; /* route captures, in pattern order */
    size_t n_params;
    const char *remote_ip;         /* textual client address */
    struct buf body;               /* the whole body (capped by the route's max_body);
                                    * body.data is NULL when body.len is 0; always
                                    * empty for a streamed route */
    uint64_t body_max;             /* a streamed route's body limit: route.max_body,
                                    * which its handler may change (413 beyond) */
    void *app;                     /* http_config.app */
    const void *route_data;        /* struct route.data of the matched route */
    http_deferred deferred;        /* set with HTTP_DEFER */
    bool defer_serial;             /* run `deferred` on the serial pool (see http_serial) */
    void *state;                   /* free for the handler (e.g. for the deferred step) */
    void *conn;                    /* private to src/http */
};

struct http_header {
    const char *name;
    const char *value;
};

struct response {
    int status;                    /* 200 unless set */
    const char *content_type;      /* NULL: no body type */
    struct buf body;
    struct http_header headers[HTTP_MAX_RESPONSE_HEADERS];
    size_t n_headers;
};

/* The value of request header `name` (case-insensitive), or NULL if absent.
 * When a header appears more than once, the first is returned. */
const char *http_header(const struct request *req, const char *name);
/* The number of times the header `name` appears in the request. */
size_t http_header_count(const struct request *req, const char *name);
/* The value of query argument `name`, or NULL. Decoded by libmicrohttpd ('+' and
 * %XX), leniently: not validated as UTF-8, and a %00 cuts the value short. */
const char *http_query(const struct request *req, const char *name);

/* Adds a response header; name and value are copied into the request arena.
 * Silently ignores headers past HTTP_MAX_RESPONSE_HEADERS (a bug, logged). */
void http_set_header(struct request *req, struct response *res, const char *name, const char *value);

/* How a streamed body ended (struct http_stream.finish). */
enum http_stream_end {
    HTTP_STREAM_COMPLETE, /* the whole body was handed to consume: write the response */
    HTTP_STREAM_TOO_BIG,  /* the body passed req->body_max: the server answers 413 */
    HTTP_STREAM_ABORTED,  /* the client went away mid-body (or the server is stopping
                           * and refused it): no response is sent */
};

/* The consumer of a streamed body. The route's handler is the accept step: it
 * runs on an I/O thread once the headers are in, checks the request
 * (authentication, headers, query), may set req->body_max and req->state, and
 * returns HTTP_DEFER to take the body, or HTTP_DONE with a refusal in res (the
 * body is then read and dropped, as for any refusal). It must not block and
 * must hold nothing but arena memory: after it, the body may still be refused
 * (413 on a Content-Length over req->body_max, 503 when busy) without a call
 * below.
 *
 * After HTTP_DEFER, both functions run on ONE stream thread (the same for the
 * whole request), off the I/O threads: a consumer may hold thread-bound
 * resources, such as a store transaction, from its first consume to finish.
 * The connection may be gone meanwhile: they must not call http_header or
 * http_query (read what is needed in the accept step). */
struct http_stream {
    /* The next n > 0 bytes of the body, in order. Non-KH_OK: the consumer
     * wants no more; the rest of the body is read and dropped, and finish
     * still comes (with HTTP_STREAM_COMPLETE if the body was whole). */
    enum kh_status (*consume)(struct request *req, const void *data, size_t n);
    /* Exactly once per accepted request, after the last consume: releases what
     * the consumer holds; with HTTP_STREAM_COMPLETE it writes the response. */
    void (*finish)(struct request *req, struct response *res, enum http_stream_end end);
};

struct route {
    const char *method;            /* "GET", "POST" */
    const char *pattern;           /* "/realms/{realm}/protocol/openid-connect/token" */
    http_handler handler;          /* with `stream`: the accept step (see struct http_stream) */
    size_t max_body;               /* bytes; larger bodies get 413 before the handler runs
                                    * (with `stream`: the default of req->body_max) */
    const void *data;              /* handed to the handler as req->route_data */
    const struct http_stream *stream; /* NULL: the body is collected whole */
};

/* The serial pool: one thread that runs deferred steps marked defer_serial
 * in batches of up to batch_max, between begin(app) and end(app) — e.g. one
 * store transaction for many requests' writes. Responses of a batch are sent
 * only after end() returned 0; if it fails, every one of them becomes a 503. */
struct http_serial {
    int (*begin)(void *app);      /* 0: go on; else the batch's requests get 503 */
    int (*end)(void *app);        /* 0: the batch's writes hold */
    size_t batch_max;
};

struct http_config {
    const char *listen_host;       /* "127.0.0.1", "::1", "0.0.0.0" */
    uint16_t port;                 /* 0: pick a free port (see http_server_port) */
    unsigned io_threads;           /* epoll thread pool size; 0: number of cores */
    unsigned slow_threads;         /* threads for deferred work; 0: number of cores */
    unsigned stream_threads;       /* threads consuming streamed bodies, one body each at
                                    * a time; 0: HTTP_STREAM_THREADS */
    struct http_serial serial;     /* begin == NULL: serial steps run on the write pool */
    unsigned write_threads;        /* without serial.begin: threads running serial steps side
                                    * by side, not niced; 0: on the slow pool */
    const struct route *routes;
    size_t n_routes;
    void *app;
    /* Called after every response with the route pattern (or NULL), status and
     * duration, for logs and metrics. May be NULL. Runs on the I/O threads, several
     * at once, and must not block. status is 0 when no response of ours was sent
     * (libmicrohttpd refused a malformed request itself; req->method is "" then). */
    void (*on_response)(void *app, const struct request *req, const char *pattern, int status,
                        int64_t duration_us);
    const char *tls_cert_pem;      /* PEM text, not a file name; NULL: plain HTTP */
    const char *tls_key_pem;       /* PEM text; given with tls_cert_pem or not at all */
    unsigned max_connections_per_ip; /* open connections from one address; 0: no limit.
                                      * Beyond it a new connection is closed at once. */
};

struct http_server;

enum kh_status http_server_start(const struct http_config *cfg, struct http_server **out) KH_MUST_CHECK;
uint16_t http_server_port(const struct http_server *srv);
/* Serves later TLS handshakes with this certificate chain and key (PEM text,
 * copied); connections already open and the listener are untouched. On
 * failure (not PEM, a key of another certificate, a server without TLS) the
 * credentials in use stay and *why says why. Thread-safe; one TLS server per
 * process (GnuTLS's certificate callback has no context). */
enum kh_status http_server_reload_tls(struct http_server *srv, const char *cert_pem,
                                      const char *key_pem, const char **why) KH_MUST_CHECK;
/* Stops accepting, lets requests in flight finish, then frees everything. */
void http_server_stop(struct http_server *srv);

#endif
