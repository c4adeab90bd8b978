/* log.c - JSON-line logging on stderr that redacts anything secret. */
#include "core/log.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"

static enum log_level min_level = LOG_INFO;

/* Buffered mode (log_buffer_start): lines gather in `pending` and reach stderr
 * in one write(2) when it is full, every LOG_FLUSH_MS, or at once for a
 * warning or an error; a busy server then writes a few times per 20 ms
 * instead of once or twice per request. Unbuffered otherwise (the CLI). */
#define LOG_PENDING_MAX (64 * 1024)
static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    char data[LOG_PENDING_MAX];
    size_t len;
    bool buffered, stopping;
    pthread_t flusher;
} pending = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void write_all(const char *p, size_t n)
{
    while (n) {
        ssize_t rc = write(STDERR_FILENO, p, n);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0)
            return; /* nowhere left to report a failed log write */
        p += rc;
        n -= (size_t)rc;
    }
}

/* With pending.lock held. */
static void flush_locked(void)
{
    write_all(pending.data, pending.len);
    pending.len = 0;
}

static void emit_line(enum log_level level, const char *line, size_t n)
{
    pthread_mutex_lock(&pending.lock);
    if (!pending.buffered) {
        write_all(line, n);
    } else {
        if (pending.len + n > sizeof pending.data)
            flush_locked();
        if (n > sizeof pending.data) {
            write_all(line, n);
        } else {
            memcpy(pending.data + pending.len, line, n);
            pending.len += n;
        }
        if (level >= LOG_WARN)
            flush_locked();
    }
    pthread_mutex_unlock(&pending.lock);
}

static void *flusher_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pending.lock);
    while (!pending.stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LOG_FLUSH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&pending.wake, &pending.lock, &until);
        flush_locked();
    }
    pthread_mutex_unlock(&pending.lock);
    return NULL;
}

int log_buffer_start(void)
{
    pthread_mutex_lock(&pending.lock);
    pending.stopping = false;
    int rc = pthread_create(&pending.flusher, NULL, flusher_main, NULL);
    pending.buffered = rc == 0;
    pthread_mutex_unlock(&pending.lock);
    return rc ? -1 : 0;
}

void log_buffer_stop(void)
{
    pthread_mutex_lock(&pending.lock);
    bool was = pending.buffered;
    pending.stopping = true;
    pthread_cond_signal(&pending.wake);
    pthread_mutex_unlock(&pending.lock);
    if (was)
        pthread_join(pending.flusher, NULL);
    pthread_mutex_lock(&pending.lock);
    flush_locked();
    pending.buffered = false;
    pthread_mutex_unlock(&pending.lock);
}

static const char *const LEVEL_NAMES[] = {"debug", "info", "warn", "error"};

/* Keys whose values are secret whatever they look like (substring match). */
static const char *const SECRET_KEYS[] = {
    "password", "secret", "token", "authorization", "cookie", "code", "assertion",
    "credential", "private", "master",
};

void log_set_level(enum log_level level)
{
    min_level = level;
}

int log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof LEVEL_NAMES / sizeof LEVEL_NAMES[0]; i++)
        if (strcmp(name, LEVEL_NAMES[i]) == 0)
            return (int)i;
    return -1;
}

int log_is_secret_key(const char *key)
{
    for (size_t i = 0; i < sizeof SECRET_KEYS / sizeof SECRET_KEYS[0]; i++)
        if (strcasestr(key, SECRET_KEYS[i]))
            return 1;
    return 0;
}

/* A keyhold secret (khX_ + base62) or something shaped like a JWS. */
int log_looks_secret(const char *v)
{
    if (!v)
        return 0;
    if (strncmp(v, "kh", 2) == 0 && v[2] && v[3] == '_' && strlen(v) >= 20)
        return 1;
    if (strstr(v, "eyJ") && strchr(v, '.'))
        return 1;
    return 0;
}

void log_emit(enum log_level level, const char *event, const struct log_field *fields, size_t n)
{
    if (level < min_level)
        return;
    struct buf b;
    buf_init(&b, 8192);
    struct jsonw w;
    jsonw_init(&w, &b);
    jsonw_obj_begin(&w);
    jsonw_kv_int(&w, "ts", clock_now());
    jsonw_kv_str(&w, "level", LEVEL_NAMES[level]);
    jsonw_kv_str(&w, "event", event);
    for (size_t i = 0; i < n; i++) {
        const struct log_field *f = &fields[i];
        if (f->type == LOG_T_STR && !f->s)
            continue; /* absent: left out rather than null */
        if (f->type == LOG_T_INT) {
            jsonw_kv_int(&w, f->key, f->i);
            continue;
        }
        int redact = (log_is_secret_key(f->key) || log_looks_secret(f->s));
        jsonw_kv_str(&w, f->key, redact ? "[redacted]" : f->s);
    }
    jsonw_obj_end(&w);
    if (jsonw_finish(&w) == KH_OK && buf_addc(&b, '\n') == KH_OK)
        emit_line(level, b.data, b.len);
    buf_free(&b);
}
