/* store.c - picks the store backend from a URL. */
#include <stdio.h>
#include <string.h>
#include "core/log.h"
#include "store/store.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool store_url_is_postgres(const char *url)
{
    return url && (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"));
}

/* Appends s[0..len) to out (size n) at *o, cutting at n - 1. */
static void put(char *out, size_t n, size_t *o, const char *s, size_t len)
{
    while (len-- && *o + 1 < n)
        out[(*o)++] = *s++;
}

void store_url_display(const char *url, char *out, size_t n)
{
    if (!n)
        return;
    size_t o = 0;
    url = url ? url : "";
    if (!store_url_is_postgres(url)) {
        put(out, n, &o, url, strlen(url));
        out[o] = '\0';
        return;
    }
    /* postgres://user:PASSWORD@host/db?...&password=PASSWORD&... */
    const char *auth = strstr(url, "://") + 3;
    const char *auth_end = auth + strcspn(auth, "/?");
    const char *at = NULL;
    for (const char *p = auth; p < auth_end; p++)
        if (*p == '@')
            at = p;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *p = url;
    if (colon) {
        put(out, n, &o, url, (size_t)(colon - url));
        put(out, n, &o, ":***", 4);
        p = at;
    }
    while (*p) {
        bool param_start = p > url && (p[-1] == '?' || p[-1] == '&');
        if (param_start && strncmp(p, "password=", 9) == 0) {
            put(out, n, &o, "password=***", 12);
            p += 9 + strcspn(p + 9, "&");
            continue;
        }
        put(out, n, &o, p, 1);
        p++;
    }
    out[o] = '\0';
}

enum kh_status store_open(const char *url, struct store **out)
{
    if (!url || !out)
        return KH_ERR_INVALID;
    if (store_url_is_postgres(url))
        return store_postgres_ops.open(url, out);
    /* Anything else is the path of a SQLite database file. */
    return store_sqlite_ops.open(url, out);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}
