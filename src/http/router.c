/* router.c - a compiled route table matched segment by segment. */
#include "http/router.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "http/pct.h"

struct segment {
    const char *p; /* literal text, or the capture name (pattern); the bytes (path) */
    size_t len;
    bool capture;
};

struct compiled {
    const struct route *route;
    struct segment segs[ROUTER_MAX_SEGMENTS];
    size_t n_segs;
};

struct router {
    size_t n;
    struct compiled routes[];
};

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_literal_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("{}%?#", c);
}

static bool segment_valid(const struct segment *s)
{
    if (s->len == 0)
        return false;
    for (size_t i = 0; i < s->len; i++)
        if (s->capture ? !is_name_char(s->p[i]) : !is_literal_char((unsigned char)s->p[i]))
            return false;
    return true;
}

/* Splits a pattern into segments; "{x}" becomes a capture named x. */
static enum kh_status compile(const struct route *rt, struct compiled *c)
{
    const char *p = rt->pattern;
    if (!rt->method || !rt->method[0] || !rt->handler || !p || p[0] != '/')
        return KH_ERR_INVALID;
    c->route = rt;
    c->n_segs = 0;
    size_t n_captures = 0;
    for (p++; *p;) {
        size_t len = strcspn(p, "/");
        if (c->n_segs == ROUTER_MAX_SEGMENTS)
            return KH_ERR_INVALID;
        struct segment *s = &c->segs[c->n_segs++];
        s->capture = len >= 2 && p[0] == '{' && p[len - 1] == '}';
        s->p = s->capture ? p + 1 : p;
        s->len = s->capture ? len - 2 : len;
        if (!segment_valid(s))
            return KH_ERR_INVALID;
        if (s->capture && ++n_captures > HTTP_MAX_PARAMS)
            return KH_ERR_INVALID;
        for (size_t i = 0; s->capture && i + 1 < c->n_segs; i++) {
            const struct segment *o = &c->segs[i];
            if (o->capture && o->len == s->len && memcmp(o->p, s->p, s->len) == 0)
                return KH_ERR_INVALID; /* the same name twice */
        }
        p += len;
        if (*p == '/' && *++p == '\0')
            return KH_ERR_INVALID; /* a trailing slash would be an empty segment */
    }
    return KH_OK;
}

enum kh_status router_new(const struct route *routes, size_t n, struct router **out)
{
    struct router *r = calloc(1, sizeof(*r) + n * sizeof(r->routes[0]));
    if (!r)
        return KH_ERR_NOMEM;
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        if (compile(&routes[i], &r->routes[i]) != KH_OK) {
            log_error("http_route_invalid", LOG_STR("method", routes[i].method),
                      LOG_STR("pattern", routes[i].pattern),
                      LOG_STR("reason", "malformed pattern, or no method or handler"));
            free(r);
            return KH_ERR_INVALID;
        }
    }
    *out = r;
    return KH_OK;
}

void router_free(struct router *r)
{
    free(r);
}

/* Splits the path into segments, decoding those that hold an escape, a NUL
 * or a non-ASCII byte (which must then be valid UTF-8). Returns ROUTER_MATCH on
 * success, or the result to answer with. */
static enum router_result split_path(struct arena *a, const char *path, size_t n,
                                     struct segment *segs, size_t *n_segs)
{
    if (n == 0 || path[0] != '/')
        return ROUTER_NOT_FOUND;
    size_t count = 0;
    /* "/" has no segment; otherwise each '/' starts one, so "/a/" is "a", "". */
    for (size_t i = 1; n > 1;) {
        const char *p = path + i;
        const char *slash = memchr(p, '/', n - i);
        size_t len = slash ? (size_t)(slash - p) : n - i;
        if (count == ROUTER_MAX_SEGMENTS)
            return ROUTER_NOT_FOUND;
        struct segment *s = &segs[count++];
        s->p = p;
        s->len = len;
        s->capture = false;
        for (size_t k = 0; k < len; k++) {
            /* pct_decode also refuses a raw NUL (a capture must be a C string). */
            if (p[k] == '%' || p[k] == '\0' || (unsigned char)p[k] >= 0x80) {
                char *dec;
                if (pct_decode(a, p, len, false, &dec, &s->len) != KH_OK)
                    return ROUTER_BAD_PATH;
                s->p = dec;
                break;
            }
        }
        if (!slash)
            break;
        i += len + 1;
    }
    *n_segs = count;
    return ROUTER_MATCH;
}

static bool segments_match(const struct compiled *c, const struct segment *segs, size_t n)
{
    if (c->n_segs != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        const struct segment *want = &c->segs[i];
        bool differs = want->capture ? segs[i].len == 0
                                     : want->len != segs[i].len ||
                                           memcmp(want->p, segs[i].p, want->len) != 0;
        if (differs)
            return false;
    }
    return true;
}

static bool method_matches(const char *route_method, const char *method)
{
    return strcmp(route_method, method) == 0 ||
           (strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* "GET, POST": the distinct methods of the routes whose pattern matched. */
static const char *allow_list(const struct router *r, struct arena *a, const struct segment *segs,
                              size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < r->n; i++)
        if (segments_match(&r->routes[i], segs, n))
            total += strlen(r->routes[i].route->method) + 2;
    char *out = arena_alloc(a, total);
    size_t len = 0;
    for (size_t i = 0; i < r->n; i++) {
        const char *m = r->routes[i].route->method;
        size_t mlen = strlen(m);
        if (!segments_match(&r->routes[i], segs, n))
            continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = segments_match(&r->routes[j], segs, n) && !strcmp(r->routes[j].route->method, m);
        if (seen)
            continue;
        if (len) {
            memcpy(out + len, ", ", 2);
            len += 2;
        }
        memcpy(out + len, m, mlen);
        len += mlen;
    }
    out[len] = '\0';
    return out;
}

static void fill_match(const struct compiled *c, struct arena *a, const struct segment *segs,
                       struct router_match *m)
{
    m->route = c->route;
    m->n_params = 0;
    m->allow = NULL;
    for (size_t i = 0; i < c->n_segs; i++)
        if (c->segs[i].capture)
            m->params[m->n_params++] = arena_strndup(a, segs[i].p, segs[i].len);
}

enum router_result router_match(const struct router *r, struct arena *a, const char *method,
                                const char *path, size_t path_len, struct router_match *m)
{
    struct segment segs[ROUTER_MAX_SEGMENTS] = {{0}};
    size_t n = 0;
    enum router_result res = split_path(a, path, path_len, segs, &n);
    if (res != ROUTER_MATCH)
        return res;
    bool path_known = false;
    for (size_t i = 0; i < r->n; i++) {
        const struct compiled *c = &r->routes[i];
        if (!segments_match(c, segs, n))
            continue;
        if (method_matches(c->route->method, method)) {
            fill_match(c, a, segs, m);
            return ROUTER_MATCH;
        }
        path_known = true;
    }
    if (!path_known)
        return ROUTER_NOT_FOUND;
    m->route = NULL;
    m->n_params = 0;
    m->allow = allow_list(r, a, segs, n);
    return ROUTER_METHOD_NOT_ALLOWED;
}
