/* server_internal.h - the server object and the libmicrohttpd callbacks that
 * drive one request (private to src/http: server.c and request.c). */
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

/* The serial pool's batch hooks (request.c). */
int conn_serial_begin(void *srv);
int conn_serial_end(void *srv);
void conn_serial_finish(void *conn_state, int failed);

struct http_server {
    struct MHD_Daemon *daemon;
    struct router *router;
    struct workpool *slow;
    struct workpool *serial; /* NULL without cfg.serial.begin */
    struct http_config cfg;
    uint16_t port;
    /* Requests between the request line and their completion notice. */
    atomic_size_t inflight;
    /* Deferred jobs whose connection is suspended and not yet resumed. */
    atomic_size_t deferred;
    atomic_bool running;  /* MHD_start_daemon returned (errors are logged lower then) */
    atomic_bool draining; /* quiesced: answers carry "Connection: close" */
    atomic_bool stopping; /* no new deferral: MHD_stop_daemon is near */
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
