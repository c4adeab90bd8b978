/* server_internal.h - the server object and the libmicrohttpd callbacks that
 * drive one request (private to src/http: server.c, request.c, stream.c). */
#ifndef KH_HTTP_SERVER_INTERNAL_H
#define KH_HTTP_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "core/workpool.h"
#include "http/http.h"
#include "http/router.h"

#define HTTP_CONNECTION_TIMEOUT_S 60
#define HTTP_MAX_CONNECTIONS 10000     /* also bounded by RLIMIT_NOFILE */
#define HTTP_MAX_HEADERS 64            /* request header fields; 431 beyond */
/* The memory of one connection: the request line and headers must fit (MHD
 * answers 431, or 414 for a long request line, beyond), with room left to
 * read the body through. MHD's default, stated so that it is documented. */
#define HTTP_CONNECTION_MEMORY (32u * 1024)
#define HTTP_RESPONSE_MAX (4u << 20)   /* cap on a handler's response body */
#define HTTP_DISCARD_MAX (1u << 20)    /* body bytes read and dropped after a 413 decision */
#define HTTP_STOP_GRACE_US 10000000    /* http_server_stop waits this long for requests */
/* Deferred (slow) work runs below the I/O threads' priority, so a flood of
 * password grants cannot starve the fast grants; its queue is bounded so a
 * flood gets 503 rather than minutes of waiting (512 jobs ≈ 3 s of argon2id
 * on two cores). */
#define SLOW_NICE 10
#define SLOW_MAX_QUEUED 512
#define SERIAL_MAX_QUEUED 4096
/* Streamed bodies: each waits for a stream thread in a queue of this many
 * (beyond: 503); each holds two buffers of STREAM_BUF bytes. */
#define STREAM_MAX_QUEUED 64
#define STREAM_BUF (64u * 1024)

/* One request, from the URI log callback to the completion notice (request.c). */
enum phase {
    PH_NEW,      /* request line seen; the headers call has not come yet */
    PH_BODY,     /* routed; reading the body (or discarding it after a rejection) */
    PH_DEFERRED, /* suspended; the slow pool runs req->deferred, or the stream
                  * thread finishes a streamed body */
    PH_QUEUED,   /* a response is queued */
};

struct conn_state {
    struct request req;
    struct response res;
    struct arena arena;
    struct http_server *srv;
    struct MHD_Connection *mhd;
    const char *pattern; /* of the matched route, for on_response */
    const struct route *route;
    size_t path_len;
    int64_t t0;
    size_t discarded;
    int status; /* of the queued response; 0 until then */
    enum phase phase;
    /* A response decided before the handler (404, 405, 413, ...), static text. */
    int reject_status;
    const char *reject_body;
    const char *allow;
    atomic_bool job_done; /* the deferred step returned: its response may be queued */
    bool early;           /* a streamed route's handler answered at once: res is sent
                           * once the body was read and dropped */
    struct stream *stream; /* a streamed body being consumed (stream.c), or NULL */
};

/* The serial pool's batch hooks (request.c). */
int conn_serial_begin(void *srv);
int conn_serial_end(void *srv);
void conn_serial_finish(void *conn_state, int failed);

/* Responses (request.c). */
enum MHD_Result conn_queue_static(struct conn_state *st, int status, const char *json,
                                  const char *allow);
enum MHD_Result conn_queue_reject(struct conn_state *st);
enum MHD_Result conn_queue_handler_response(struct conn_state *st);
/* Decides a static refusal, sent once the body was read and dropped. */
void conn_reject(struct conn_state *st, int status, const char *body);
/* Reports the request (on_response) and frees its state. */
void conn_free(struct conn_state *st);
extern const char CONN_BODY_413[], CONN_BODY_500[], CONN_BODY_503_BUSY[], CONN_BODY_503_STOP[];

/* Streamed bodies (stream.c). Each returns what the access handler returns. */
/* Headers in, route with `stream`: runs the accept step (the route's handler);
 * a refusal sets st->early. */
void stream_accept(struct conn_state *st);
/* The body was accepted and is not over the limit: hands the stream to a
 * stream thread (or decides a 503). */
void stream_start(struct conn_state *st);
/* A piece of the body of an accepted stream; leaves in *upload_size what it
 * could not take yet (the connection is suspended until the consumer caught up). */
enum MHD_Result stream_chunk(struct conn_state *st, const char *data, size_t *upload_size);
/* The body is complete (or was dropped after a 413): waits for finish. */
enum MHD_Result stream_complete(struct conn_state *st);
/* The connection ended (completion notice): true if the caller frees st now,
 * false if the stream thread still uses it and will free it. */
bool stream_release(struct conn_state *st);

struct http_server {
    struct MHD_Daemon *daemon;
    struct router *router;
    struct workpool *slow;
    struct workpool *serial; /* batched (cfg.serial.begin) or cfg.write_threads; or NULL */
    bool serial_batched;
    struct workpool *stream; /* consumers of streamed bodies */
    struct http_config cfg;
    uint16_t port;
    /* Requests between the request line and their completion notice. */
    atomic_size_t inflight;
    /* Deferred jobs whose connection is suspended and not yet resumed. */
    atomic_size_t deferred;
    atomic_bool running;  /* MHD_start_daemon returned (errors are logged lower then) */
    atomic_bool draining; /* quiesced: answers carry "Connection: close" */
    atomic_bool stopping; /* no new deferral: MHD_stop_daemon is near */
    bool tls;             /* serves TLS with tls.c's credentials */
};

/* MHD_OPTION_URI_LOG_CALLBACK: allocates the per-request state (cls = server). */
void *conn_uri_log(void *cls, const char *uri, struct MHD_Connection *c);
/* The access handler (cls = server). */
enum MHD_Result conn_access(void *cls, struct MHD_Connection *c, const char *url,
                            const char *method, const char *version, const char *upload,
                            size_t *upload_size, void **con_cls);
/* MHD_OPTION_NOTIFY_COMPLETED: reports and frees the request state. */
void conn_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe);

#endif
