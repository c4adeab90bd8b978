/* serve.c - keyhold serve: bootstrap, then serve HTTP until SIGTERM. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "api/api.h"
#include "audit/audit.h"
#include "authn/password.h"
#include "cli/cli.h"
#include "core/log.h"
#include "oauth/manage.h"
#include "oauth/purge.h"
#include "oauth/usage.h"

static const char USAGE[] =
    "usage: keyhold serve [--listen ADDR:PORT] [--db FILE] [--public-url URL]\n"
    "                     [--tls-cert FILE --tls-key FILE] [--default-realm NAME]\n"
    "                     [--insecure-http] [--log-level LEVEL] [--threads N]\n"
    "                     [--purge-interval SECONDS] [--max-import-bytes N]\n"
    "                     [--audit-retention-days N] [--max-connections-per-ip N]\n"
    "\n"
    "  --listen ADDR:PORT    address to listen on (KEYHOLD_LISTEN, default 127.0.0.1:8080;\n"
    "                        IPv6 as [::1]:8080)\n"
    "  --db DB               a SQLite file, or a postgres:// URL for several instances\n"
    "                        on one state (KEYHOLD_DB, default ./keyhold.db)\n"
    "  --public-url URL      base URL clients see, for `iss` (KEYHOLD_PUBLIC_URL,\n"
    "                        default http://ADDR:PORT)\n"
    "  --tls-cert FILE       PEM certificate chain (KEYHOLD_TLS_CERT); TLS 1.2 and 1.3,\n"
    "                        AEAD ciphers with forward secrecy only\n"
    "  --tls-key FILE        PEM private key (KEYHOLD_TLS_KEY)\n"
    "  --default-realm NAME  realm of the short paths such as /connect/token\n"
    "                        (KEYHOLD_DEFAULT_REALM, default main)\n"
    "  --insecure-http       allow plain HTTP on a non-loopback address (KEYHOLD_INSECURE_HTTP=1)\n"
    "  --log-level LEVEL     debug, info, warn or error (KEYHOLD_LOG_LEVEL, default info)\n"
    "  --threads N           I/O threads and password-hashing threads each\n"
    "                        (KEYHOLD_THREADS, default: one per core)\n"
    "  --purge-interval S    delete expired tokens and ended sessions every S seconds, in\n"
    "                        small batches (KEYHOLD_PURGE_INTERVAL, default 60; 0: never)\n"
    "  --max-import-bytes N  largest body of POST /v1/imports, 413 beyond\n"
    "                        (KEYHOLD_MAX_IMPORT_BYTES, default 67108864 = 64 MiB)\n"
    "  --audit-retention-days N  purge audit events older than N days (fractions allowed),\n"
    "                        checked every purge interval (60 s if that is 0), leaving a\n"
    "                        signed checkpoint (KEYHOLD_AUDIT_RETENTION_DAYS, default 90;\n"
    "                        0: keep them forever)\n"
    "  --max-connections-per-ip N  open connections from one client address; a new one\n"
    "                        beyond is closed at once (KEYHOLD_MAX_CONNECTIONS_PER_IP,\n"
    "                        default 128; 0: no limit)\n"
    "\n"
    "On an empty database the default realm is bootstrapped with an `admin` role and\n"
    "user and a public `admin-cli` client; the admin password is KEYHOLD_ADMIN_PASSWORD\n"
    "or generated and printed once. The master key that encrypts signing keys is\n"
    "KEYHOLD_MASTER_KEY (64 hex digits), else the file KEYHOLD_MASTER_KEY_FILE, else\n"
    "(SQLite only) the file DB.key, created 0600 if missing.\n"
    "SIGTERM or SIGINT: finish the requests in flight, then exit 0. SIGHUP: read the\n"
    "TLS certificate and key files again for new connections (a bad pair keeps the old).\n";

/* Store writes of up to this many requests share one transaction (SQLite). */
#define SERIAL_BATCH_MAX 64
/* PostgreSQL: requests that write (refresh rotation, revocation, logout) run
 * on a pool of their own, not behind password hashing on the niced slow pool
 * (with SQLite they have the serial writer). */
#define STORE_WRITE_THREADS 4
/* Twice the 64 connections of bench/run.sh (plus its 16 password-grant
 * connections), from one address; a NAT of many API clients fits too. */
#define MAX_CONNECTIONS_PER_IP_DEFAULT 128

struct serve_opts {
    const char *listen;
    const char *db;
    const char *public_url;
    const char *tls_cert;
    const char *tls_key;
    const char *default_realm;
    const char *log_level;
    const char *threads;
    const char *purge_interval;
    const char *max_import_bytes;
    const char *audit_retention;
    const char *max_per_ip;
    bool insecure_http;
};

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static int on_opt(int c, const char *arg, void *ctx)
{
    struct serve_opts *o = ctx;
    switch (c) {
    case 'l': o->listen = arg; return 0;
    case 'd': o->db = arg; return 0;
    case 'u': o->public_url = arg; return 0;
    case 'c': o->tls_cert = arg; return 0;
    case 'k': o->tls_key = arg; return 0;
    case 'r': o->default_realm = arg; return 0;
    case 'v': o->log_level = arg; return 0;
    case 't': o->threads = arg; return 0;
    case 'p': o->purge_interval = arg; return 0;
    case 'm': o->max_import_bytes = arg; return 0;
    case 'a': o->audit_retention = arg; return 0;
    case 'n': o->max_per_ip = arg; return 0;
    case 'i': o->insecure_http = true; return 0;
    }
    return -1;
}

/* "127.0.0.1:8080" or "[::1]:8080" into host (without brackets) and port. */
static int split_listen(const char *listen, char *host, size_t host_size, uint16_t *port)
{
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen)
        return -1;
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return -1;
        h++;
        n -= 2;
    }
    if (n >= host_size)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

static bool is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcmp(host, "localhost") == 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_add(&b, chunk, n)) {
            buf_free(&b);
            fclose(f);
            return NULL;
        }
    }
    fclose(f);
    return b.data;
}

struct server_state {
    struct serve_opts *o;
    struct http_config cfg;
    unsigned purge_interval; /* seconds; 0: no purge thread */
    uint64_t max_import_bytes;
    int64_t audit_retention; /* seconds; 0: audit events are kept forever */
    char host[256];
    char *public_url;
    char *cert;
    char *key;
};

static int configure(struct server_state *st)
{
    struct serve_opts *o = st->o;
    if (split_listen(o->listen, st->host, sizeof st->host, &st->cfg.port))
        return cli_usage_error(USAGE, "--listen takes ADDR:PORT, e.g. 127.0.0.1:8080");
    if (o->log_level) {
        int level = log_level_parse(o->log_level);
        if (level < 0)
            return cli_usage_error(USAGE, "--log-level takes debug, info, warn or error");
        log_set_level((enum log_level)level);
    }
    if (o->threads) {
        char *end;
        long t = strtol(o->threads, &end, 10);
        if (*end || t < 1 || t > 256)
            return cli_usage_error(USAGE, "--threads takes a number from 1 to 256");
        st->cfg.io_threads = st->cfg.slow_threads = (unsigned)t;
    }
    st->purge_interval = PURGE_INTERVAL_DEFAULT;
    if (o->purge_interval) {
        char *end;
        errno = 0;
        long p = strtol(o->purge_interval, &end, 10);
        if (errno || *end || end == o->purge_interval || p < 0 || p > 86400)
            return cli_usage_error(USAGE, "--purge-interval takes seconds from 0 (never) to 86400");
        st->purge_interval = (unsigned)p;
    }
    st->max_import_bytes = API_MAX_IMPORT_BYTES;
    if (o->max_import_bytes) {
        char *end;
        errno = 0;
        unsigned long long m = strtoull(o->max_import_bytes, &end, 10);
        if (errno || *end || end == o->max_import_bytes || o->max_import_bytes[0] == '-' ||
            m < 1 || m > (1ull << 40))
            return cli_usage_error(USAGE, "--max-import-bytes takes a number of bytes from 1 "
                                          "to 1099511627776 (1 TiB)");
        st->max_import_bytes = m;
    }
    st->audit_retention = (int64_t)AUDIT_RETENTION_DAYS_DEFAULT * 86400;
    if (o->audit_retention) {
        char *end;
        errno = 0;
        double days = strtod(o->audit_retention, &end);
        if (errno || *end || end == o->audit_retention || !(days >= 0 && days <= 36500))
            return cli_usage_error(USAGE, "--audit-retention-days takes days from 0 (forever) "
                                          "to 36500, e.g. 90 or 0.5");
        st->audit_retention = (int64_t)(days * 86400);
        if (days > 0 && st->audit_retention == 0)
            st->audit_retention = 1;
    }
    st->cfg.max_connections_per_ip = MAX_CONNECTIONS_PER_IP_DEFAULT;
    if (o->max_per_ip) {
        char *end;
        errno = 0;
        long m = strtol(o->max_per_ip, &end, 10);
        if (errno || *end || end == o->max_per_ip || m < 0 || m > 100000)
            return cli_usage_error(USAGE, "--max-connections-per-ip takes a number from 0 "
                                          "(no limit) to 100000");
        st->cfg.max_connections_per_ip = (unsigned)m;
    }
    if (!o->tls_cert != !o->tls_key)
        return cli_usage_error(USAGE, "--tls-cert and --tls-key go together");
    if (!o->tls_cert && !o->insecure_http && !is_loopback(st->host))
        return cli_fail("refusing plain HTTP on %s, which is not a loopback address: give "
                        "--tls-cert and --tls-key, or --insecure-http behind a TLS proxy", st->host);
    if (o->tls_cert) {
        st->cert = read_file(o->tls_cert);
        st->key = read_file(o->tls_key);
        if (!st->cert || !st->key)
            return cli_fail("cannot read the TLS certificate or key file");
    }
    const char *url = o->public_url;
    if (url)
        st->public_url = strdup(url);
    else if (asprintf(&st->public_url, "%s://%s", o->tls_cert ? "https" : "http", o->listen) < 0)
        st->public_url = NULL;
    if (!st->public_url)
        return cli_fail("out of memory");
    size_t n = strlen(st->public_url);
    while (n > 0 && st->public_url[n - 1] == '/')
        st->public_url[--n] = '\0';
    st->cfg.listen_host = st->host;
    st->cfg.tls_cert_pem = st->cert;
    st->cfg.tls_key_pem = st->key;
    return CLI_OK;
}

static int bootstrap(struct store *s, const uint8_t *master, const char *realm)
{
    struct arena a;
    arena_init(&a);
    const char *generated = NULL, *why = NULL;
    int rc = CLI_OK;
    if (manage_bootstrap(s, &a, master, realm, getenv("KEYHOLD_ADMIN_PASSWORD"), &generated, &why))
        rc = cli_fail("cannot bootstrap realm \"%s\": %s", realm, why);
    else if (generated)
        printf("keyhold: created user \"admin\" in realm \"%s\" with password: %s\n"
               "keyhold: this password is shown only now; change it after signing in.\n",
               realm, generated);
    fflush(stdout);
    arena_free(&a);
    return rc;
}

/* SIGHUP: the certificate and key files again, for new handshakes. A file
 * that cannot be read or a pair that does not fit keeps the credentials in use. */
static void reload_tls(struct server_state *st, struct http_server *srv)
{
    if (!st->o->tls_cert) {
        log_warn("tls_reload_skipped", LOG_STR("reason", "SIGHUP, but the server serves no TLS"));
        return;
    }
    char *cert = read_file(st->o->tls_cert);
    char *key = read_file(st->o->tls_key);
    const char *why = "cannot read the certificate or key file";
    if (cert && key && http_server_reload_tls(srv, cert, key, &why) == KH_OK)
        log_info("tls_reloaded", LOG_STR("cert", st->o->tls_cert));
    else
        log_error("tls_reload_failed", LOG_STR("cert", st->o->tls_cert),
                  LOG_STR("reason", why), LOG_STR("kept", "the certificate in use"));
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    free(cert);
    free(key);
}

/* Blocks until SIGTERM or SIGINT (blocked in every thread, taken here);
 * SIGHUP reloads the TLS credentials meanwhile. */
static void wait_for_signal(const sigset_t *set, struct server_state *st, struct http_server *srv)
{
    int sig = 0;
    for (;;) {
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig != SIGHUP)
            break;
        reload_tls(st, srv);
    }
    log_info("stopping", LOG_STR("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"));
}

/* The signals the main thread takes with sigwait. */
static void serve_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGHUP);
}

static int run_server(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)a;
    struct server_state *st = ctx;
    struct api api = {.oauth = {.store = s, .public_url = st->public_url},
                      .default_realm = st->o->default_realm, .master = master,
                      .max_import_bytes = st->max_import_bytes};
    if (bootstrap(s, master, st->o->default_realm))
        return CLI_FAIL;
    if (password_init())
        return cli_fail("cannot initialise password hashing (libsodium)");
    if (keyring_new(s, master, &api.oauth.keyring))
        return cli_fail("out of memory");
    if (audit_open(s, &api.oauth.audit)) {
        keyring_free(api.oauth.keyring);
        return cli_fail("cannot start the audit log");
    }
    audit_set_retention(api.oauth.audit, master, st->audit_retention,
                        st->purge_interval ? st->purge_interval : PURGE_INTERVAL_DEFAULT);
    st->cfg.routes = api_routes(&st->cfg.n_routes);
    st->cfg.app = &api;
    st->cfg.on_response = api_on_response;
    if (s->ops->batches)
        st->cfg.serial = (struct http_serial){api_batch_begin, api_batch_end, SERIAL_BATCH_MAX};
    else
        st->cfg.write_threads = STORE_WRITE_THREADS;
    struct http_server *srv;
    struct purge *purge = NULL;
    int rc = CLI_OK;
    bool buffered = false;
    if (st->purge_interval && purge_start(s, st->purge_interval, &purge)) {
        rc = cli_fail("cannot start the purge thread");
        goto out;
    }
    api.oauth.usage = usage_new(s);
    if (!api.oauth.usage || usage_start(api.oauth.usage, USAGE_FLUSH_MS)) {
        rc = cli_fail("cannot start the thread that records clients' last use");
        goto out;
    }
    if (http_server_start(&st->cfg, &srv)) {
        rc = cli_fail("cannot listen on %s (see the log line above)", st->o->listen);
        goto out;
    }
    char db_shown[512];
    store_url_display(cli_db(st->o->db), db_shown, sizeof(db_shown));
    log_info("listening", LOG_STR("listen", st->o->listen), LOG_INT("port", http_server_port(srv)),
             LOG_STR("public_url", st->public_url), LOG_STR("db", db_shown));
    buffered = log_buffer_start() == 0; /* from here on, a few writes per 20 ms */
    sigset_t set;
    serve_signals(&set);
    wait_for_signal(&set, st, srv);
    http_server_stop(srv);
    log_info("stopped", LOG_STR("listen", st->o->listen));
out:
    purge_stop(purge); /* before cli_with_store closes the store */
    usage_stop(api.oauth.usage); /* writes what is queued */
    audit_close(api.oauth.audit); /* stores what is queued */
    keyring_free(api.oauth.keyring);
    if (buffered)
        log_buffer_stop();
    return rc;
}

int cli_serve(int argc, char **argv)
{
    static const struct option longs[] = {
        {"listen", required_argument, NULL, 'l'},   {"db", required_argument, NULL, 'd'},
        {"public-url", required_argument, NULL, 'u'}, {"tls-cert", required_argument, NULL, 'c'},
        {"tls-key", required_argument, NULL, 'k'},  {"default-realm", required_argument, NULL, 'r'},
        {"log-level", required_argument, NULL, 'v'}, {"threads", required_argument, NULL, 't'},
        {"insecure-http", no_argument, NULL, 'i'},  {"purge-interval", required_argument, NULL, 'p'},
        {"max-import-bytes", required_argument, NULL, 'm'},
        {"audit-retention-days", required_argument, NULL, 'a'},
        {"max-connections-per-ip", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct serve_opts o = {
        .listen = env_or("KEYHOLD_LISTEN", "127.0.0.1:8080"),
        .public_url = env_or("KEYHOLD_PUBLIC_URL", NULL),
        .tls_cert = env_or("KEYHOLD_TLS_CERT", NULL),
        .tls_key = env_or("KEYHOLD_TLS_KEY", NULL),
        .default_realm = env_or("KEYHOLD_DEFAULT_REALM", "main"),
        .log_level = env_or("KEYHOLD_LOG_LEVEL", NULL),
        .threads = env_or("KEYHOLD_THREADS", NULL),
        .purge_interval = env_or("KEYHOLD_PURGE_INTERVAL", NULL),
        .max_import_bytes = env_or("KEYHOLD_MAX_IMPORT_BYTES", NULL),
        .audit_retention = env_or("KEYHOLD_AUDIT_RETENTION_DAYS", NULL),
        .max_per_ip = env_or("KEYHOLD_MAX_CONNECTIONS_PER_IP", NULL),
        .insecure_http = strcmp(env_or("KEYHOLD_INSECURE_HTTP", "0"), "1") == 0,
    };
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, NULL, 0);
    if (rc)
        return cli_parsed(rc);
    /* Blocked before any thread starts, so that only sigwait() takes them. */
    sigset_t set;
    serve_signals(&set);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct server_state st = {.o = &o};
    rc = configure(&st);
    if (!rc)
        rc = cli_with_store(o.db, run_server, &st);
    free(st.public_url);
    free(st.cert);
    if (st.key)
        OPENSSL_cleanse(st.key, strlen(st.key));
    free(st.key);
    return rc;
}
