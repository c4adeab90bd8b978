/* server.c - starts and stops the libmicrohttpd daemon behind http.h.
 *
 * One epoll thread pool (MHD_USE_EPOLL_INTERNAL_THREAD + THREAD_POOL_SIZE)
 * serves every connection; handlers that must block are deferred to a
 * workpool with suspend/resume. We bind the listening socket ourselves so
 * that port 0 works and the real port can be told. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "core/clock.h"
#include "core/log.h"
#include "http/server_internal.h"
#include "http/tls.h"

static unsigned online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Leaves room under RLIMIT_NOFILE for the store, key files and logs. */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return HTTP_MAX_CONNECTIONS;
    if (rl.rlim_cur < 128)
        return 32;
    rlim_t n = rl.rlim_cur - 64;
    return n < HTTP_MAX_CONNECTIONS ? (unsigned)n : HTTP_MAX_CONNECTIONS;
}

/* libmicrohttpd's messages: errors while starting, and per-connection
 * trouble (malformed requests, resets) afterwards, which is debug noise that
 * a client could otherwise use to flood the log. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    char msg[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    vsnprintf(msg, sizeof msg, fmt, ap);
#pragma GCC diagnostic pop
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    if (atomic_load(&srv->running))
        log_debug("http_mhd", LOG_STR("message", msg));
    else
        log_error("http_mhd", LOG_STR("message", msg));
}

/* Fills ss from a numeric host ("127.0.0.1", "::1", "[::1]"). */
static enum kh_status parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss,
                                 socklen_t *len)
{
    char h[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        host++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof h)
        return KH_ERR_INVALID;
    memcpy(h, host, n);
    h[n] = '\0';
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, h, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *len = sizeof(*v4);
        return KH_OK;
    }
    if (inet_pton(AF_INET6, h, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        *len = sizeof(*v6);
        return KH_OK;
    }
    return KH_ERR_INVALID;
}

static uint16_t bound_port(int fd)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static enum kh_status open_listener(const char *host, uint16_t port, int *fd_out,
                                    uint16_t *port_out)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (parse_host(host, port, &ss, &len) != KH_OK) {
        log_error("http_listen_failed", LOG_STR("host", host),
                  LOG_STR("reason", "not a numeric IPv4 or IPv6 address"));
        return KH_ERR_INVALID;
    }
    int one = 1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, SOMAXCONN) != 0) {
        log_error("http_listen_failed", LOG_STR("host", host), LOG_INT("port", port),
                  LOG_STR("reason", strerror(errno)));
        if (fd >= 0)
            close(fd);
        return KH_ERR_IO;
    }
    *fd_out = fd;
    *port_out = bound_port(fd);
    return KH_OK;
}

static struct MHD_Daemon *start_daemon(struct http_server *srv, int fd)
{
    const struct http_config *cfg = &srv->cfg;
    bool tls = cfg->tls_cert_pem && cfg->tls_key_pem;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    unsigned threads = cfg->io_threads ? cfg->io_threads : online_cpus();
    /* Options that apply only sometimes (MHD warns about a pool of one). */
    struct MHD_OptionItem extra[5];
    size_t n = 0;
    if (threads > 1)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, threads, NULL};
    if (cfg->max_connections_per_ip)
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                             (intptr_t)cfg->max_connections_per_ip, NULL};
    if (tls) {
        /* The certificate comes from tls.c at each handshake, so that a
         * reload needs no new daemon (see http_server_reload_tls). */
        flags |= MHD_USE_TLS;
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_CERT_CALLBACK, 0, tls_cert_callback()};
        extra[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES};
    }
    extra[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return MHD_start_daemon(
        flags, 0, NULL, NULL, conn_access, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, /* first, so that it sees every message */
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
        MHD_OPTION_URI_LOG_CALLBACK, conn_uri_log, srv,
        MHD_OPTION_NOTIFY_COMPLETED, conn_completed, srv,
        MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
}

enum kh_status http_server_start(const struct http_config *cfg, struct http_server **out)
{
    if (!cfg->listen_host || (!cfg->tls_cert_pem != !cfg->tls_key_pem))
        return KH_ERR_INVALID;
    struct http_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return KH_ERR_NOMEM;
    srv->cfg = *cfg;
    atomic_init(&srv->inflight, 0);
    atomic_init(&srv->deferred, 0);
    atomic_init(&srv->running, false);
    atomic_init(&srv->draining, false);
    atomic_init(&srv->stopping, false);
    int fd = -1;
    enum kh_status rc = router_new(cfg->routes, cfg->n_routes, &srv->router);
    if (rc)
        goto fail;
    srv->slow = workpool_new(cfg->slow_threads ? cfg->slow_threads : online_cpus(), SLOW_NICE,
                             SLOW_MAX_QUEUED);
    if (!srv->slow) {
        rc = KH_ERR_NOMEM;
        goto fail;
    }
    srv->stream = workpool_new(cfg->stream_threads ? cfg->stream_threads : HTTP_STREAM_THREADS,
                               SLOW_NICE, STREAM_MAX_QUEUED);
    if (!srv->stream) {
        rc = KH_ERR_NOMEM;
        goto fail;
    }
    if (cfg->serial.begin) {
        struct workpool_batch batch = {
            .max = cfg->serial.batch_max, .begin = conn_serial_begin, .end = conn_serial_end,
            .finish = conn_serial_finish, .ctx = srv,
        };
        srv->serial = workpool_new_batched(1, 0, SERIAL_MAX_QUEUED, &batch);
        srv->serial_batched = true;
        if (!srv->serial) {
            rc = KH_ERR_NOMEM;
            goto fail;
        }
    } else if (cfg->write_threads) {
        srv->serial = workpool_new(cfg->write_threads, 0, SERIAL_MAX_QUEUED);
        if (!srv->serial) {
            rc = KH_ERR_NOMEM;
            goto fail;
        }
    }
    if (cfg->tls_cert_pem) {
        const char *why;
        rc = tls_start(cfg->tls_cert_pem, cfg->tls_key_pem, &why);
        if (rc) {
            log_error("tls_start_failed", LOG_STR("reason", why));
            goto fail;
        }
        srv->tls = true;
    }
    rc = open_listener(cfg->listen_host, cfg->port, &fd, &srv->port);
    if (rc)
        goto fail;
    /* From here MHD owns fd: a failed start closes it (checked with 0.9.75 in
     * test_server.c), so it is never closed here, to rule out a double close. */
    srv->daemon = start_daemon(srv, fd);
    if (!srv->daemon) {
        log_error("http_start_failed", LOG_STR("host", cfg->listen_host),
                  LOG_INT("port", srv->port), LOG_STR("reason", "libmicrohttpd refused to start"));
        rc = KH_ERR_IO;
        goto fail;
    }
    atomic_store(&srv->running, true);
    *out = srv;
    return KH_OK;
fail:
    if (srv->tls)
        tls_stop();
    workpool_free(srv->stream);
    workpool_free(srv->serial);
    workpool_free(srv->slow);
    router_free(srv->router);
    free(srv);
    return rc;
}

uint16_t http_server_port(const struct http_server *srv)
{
    return srv->port;
}

enum kh_status http_server_reload_tls(struct http_server *srv, const char *cert_pem,
                                      const char *key_pem, const char **why)
{
    if (!srv->tls) {
        *why = "the server does not serve TLS";
        return KH_ERR_INVALID;
    }
    return tls_reload(cert_pem, key_pem, why);
}

static void wait_until(const atomic_size_t *count, int64_t deadline_us)
{
    while (atomic_load(count) > 0 && (deadline_us < 0 || clock_mono_us() < deadline_us))
        usleep(1000);
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    /* No MHD_quiesce_daemon: with the epoll thread pool, libmicrohttpd 0.9.75
     * may abort in it ("Failed to remove listen FD from epoll set") when a
     * worker took the listening socket out of its set meanwhile. Connections
     * arriving while draining are answered with "Connection: close". */
    atomic_store(&srv->draining, true);
    /* Requests already started may finish (keep-alive ones get "Connection:
     * close"); a client that stalls is cut off after the grace period. */
    wait_until(&srv->inflight, clock_mono_us() + HTTP_STOP_GRACE_US);
    /* A suspended connection must be resumed before MHD_stop_daemon, and a
     * deferred job cannot be cancelled: wait for every one, without limit (a
     * streamed body whose client stalls ends at the connection timeout). */
    atomic_store(&srv->stopping, true);
    wait_until(&srv->deferred, -1);
    MHD_stop_daemon(srv->daemon);
    if (srv->tls)
        tls_stop(); /* no handshake runs any more */
    workpool_free(srv->stream);
    workpool_free(srv->serial);
    workpool_free(srv->slow);
    router_free(srv->router);
    free(srv);
}
