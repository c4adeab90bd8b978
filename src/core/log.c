/* log.c - JSON-line logging on stderr that redacts anything secret. */
#include "core/log.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"

static enum log_level min_level = LOG_INFO;

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
    if (jsonw_finish(&w) == KH_OK && buf_addc(&b, '\n') == KH_OK) {
        ssize_t rc = write(STDERR_FILENO, b.data, b.len);
        (void)rc; /* nowhere left to report a failed log write */
    }
    buf_free(&b);
}
