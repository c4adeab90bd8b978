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
 * is sent; handlers allocate from it and free nothing. */
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
                                    * body.data is NULL when body.len is 0 */
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

struct route {
    const char *method;            /* "GET", "POST" */
    const char *pattern;           /* "/realms/{realm}/protocol/openid-connect/token" */
    http_handler handler;
    size_t max_body;               /* bytes; larger bodies get 413 before the handler runs */
    const void *data;              /* handed to the handler as req->route_data */
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
    struct http_serial serial;     /* begin == NULL: serial steps run on the slow pool */
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
};

struct http_server;

enum kh_status http_server_start(const struct http_config *cfg, struct http_server **out) KH_MUST_CHECK;
uint16_t http_server_port(const struct http_server *srv);
/* Stops accepting, lets requests in flight finish, then frees everything. */
void http_server_stop(struct http_server *srv);

#endif
