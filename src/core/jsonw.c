/* jsonw.c - streaming JSON writer with sticky errors. */
#include "core/jsonw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void jsonw_init(struct jsonw *w, struct buf *out)
{
    w->out = out;
    w->err = KH_OK;
    w->depth = 0;
    w->first[0] = true;
}

static void put(struct jsonw *w, const char *s, size_t n)
{
    if (!w->err)
        w->err = buf_add(w->out, s, n);
}

/* Before a value or key: a comma unless it is the first in its container. */
static void sep(struct jsonw *w)
{
    if (!w->first[w->depth])
        put(w, ",", 1);
    w->first[w->depth] = false;
}

static void open_container(struct jsonw *w, char c)
{
    if (w->depth + 1 >= JSONW_MAX_DEPTH) {
        w->err = KH_ERR_TOOBIG;
        return;
    }
    sep(w);
    put(w, &c, 1);
    w->depth++;
    w->first[w->depth] = true;
}

static void close_container(struct jsonw *w, char c)
{
    if (w->depth == 0) {
        w->err = KH_ERR_INTERNAL;
        return;
    }
    put(w, &c, 1);
    w->depth--;
}

void jsonw_obj_begin(struct jsonw *w)
{
    open_container(w, '{');
}

void jsonw_obj_end(struct jsonw *w)
{
    close_container(w, '}');
}

void jsonw_arr_begin(struct jsonw *w)
{
    open_container(w, '[');
}

void jsonw_arr_end(struct jsonw *w)
{
    close_container(w, ']');
}

/* Writes a quoted, escaped string. Bytes >= 0x80 pass through (input is UTF-8
 * validated where it enters); control characters are escaped. */
static void quoted(struct jsonw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        switch (c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        default: put(w, esc, sizeof esc); break;
        }
    }
    put(w, s + run, n - run);
    put(w, "\"", 1);
}

void jsonw_key(struct jsonw *w, const char *key)
{
    sep(w);
    quoted(w, key, strlen(key));
    put(w, ":", 1);
    /* the value that follows takes no comma */
    w->first[w->depth] = true;
}

void jsonw_strn(struct jsonw *w, const char *s, size_t n)
{
    sep(w);
    quoted(w, s, n);
}

void jsonw_str(struct jsonw *w, const char *s)
{
    if (!s) {
        jsonw_null(w);
        return;
    }
    jsonw_strn(w, s, strlen(s));
}

void jsonw_int(struct jsonw *w, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "%" PRId64, v);
    sep(w);
    put(w, tmp, (size_t)n);
}

void jsonw_bool(struct jsonw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void jsonw_null(struct jsonw *w)
{
    sep(w);
    put(w, "null", 4);
}

void jsonw_kv_str(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_str(w, s);
}

void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v)
{
    jsonw_key(w, key);
    jsonw_int(w, v);
}

void jsonw_kv_bool(struct jsonw *w, const char *key, bool v)
{
    jsonw_key(w, key);
    jsonw_bool(w, v);
}

void jsonw_kv_words(struct jsonw *w, const char *key, const char *s)
{
    jsonw_key(w, key);
    jsonw_arr_begin(w);
    while (s && *s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (n)
            jsonw_strn(w, s, n);
        s += n;
    }
    jsonw_arr_end(w);
}

enum kh_status jsonw_finish(struct jsonw *w)
{
    if (w->err)
        return w->err;
    return w->depth == 0 ? KH_OK : KH_ERR_INTERNAL;
}

void jsonw_kv_time(struct jsonw *w, const char *key, int64_t t)
{
    jsonw_key(w, key);
    if (t)
        jsonw_int(w, t);
    else
        jsonw_null(w);
}
