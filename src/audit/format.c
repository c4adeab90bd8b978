/* format.c - audit events as JSON, and the query arguments (format.h). */
#include "audit/format.h"

#include <string.h>
#include <time.h>
#include "core/hash.h"

void audit_entry_json(struct jsonw *w, const struct audit_entry *e)
{
    char prev[2 * SHA256_LEN + 1], hash[2 * SHA256_LEN + 1];
    hex_encode(e->prev_hash, SHA256_LEN, prev);
    hex_encode(e->hash, SHA256_LEN, hash);
    jsonw_obj_begin(w);
    jsonw_kv_int(w, "id", e->id);
    jsonw_kv_int(w, "realm_id", e->realm_id);
    jsonw_kv_int(w, "seq", e->seq);
    jsonw_kv_int(w, "at", e->at);
    jsonw_kv_str(w, "type", e->type);
    jsonw_kv_str(w, "actor", e->actor);
    jsonw_kv_str(w, "target", e->target);
    jsonw_kv_str(w, "client_id", e->client_id);
    jsonw_kv_str(w, "ip", e->ip);
    jsonw_kv_str(w, "outcome", e->outcome);
    jsonw_kv_str(w, "detail", e->detail);
    jsonw_kv_str(w, "prev_hash", prev);
    jsonw_kv_str(w, "hash", hash);
    jsonw_obj_end(w);
}

/* n decimal digits at *p into *out; advances *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, const char *set)
{
    if (!**p || !strchr(set, **p))
        return -1;
    (*p)++;
    return 0;
}

/* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
static int rfc3339(const char *p, int64_t *out)
{
    struct tm tm = {0};
    int year, mon, offset_h = 0, offset_m = 0, sign = 0;
    if (digits(&p, 4, &year) || expect(&p, "-") || digits(&p, 2, &mon) || expect(&p, "-") ||
        digits(&p, 2, &tm.tm_mday) || expect(&p, "Tt ") || digits(&p, 2, &tm.tm_hour) ||
        expect(&p, ":") || digits(&p, 2, &tm.tm_min) || expect(&p, ":") ||
        digits(&p, 2, &tm.tm_sec))
        return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else {
        sign = *p == '-' ? -1 : 1;
        if (expect(&p, "+-") || digits(&p, 2, &offset_h) || expect(&p, ":") ||
            digits(&p, 2, &offset_m))
            return -1;
    }
    if (*p || mon < 1 || mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60 || offset_h > 23 || offset_m > 59)
        return -1;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    *out = (int64_t)t - sign * (offset_h * 3600 + offset_m * 60);
    return 0;
}

int audit_since_parse(const char *s, int64_t *out)
{
    if (!s || !*s)
        return -1;
    size_t n = strspn(s, "0123456789");
    if (n == strlen(s)) {
        if (n > 12) /* beyond year 33658: not a time */
            return -1;
        int64_t v = 0;
        for (size_t i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        *out = v;
        return 0;
    }
    return rfc3339(s, out);
}

void audit_type_filter(const char *type, struct audit_query *q)
{
    q->type = type && *type ? type : NULL;
    q->type_prefix = q->type && type[strlen(type) - 1] == '.';
}
