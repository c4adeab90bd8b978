/* fuzz_router.c - the route table and router_match (src/http/router.c).
 * Input: "METHOD PATH" matched against keyhold's real table (api_routes());
 * with a first byte '#', the rest is a table of its own ("METHOD PATTERN" per
 * line, compiled by router_new, which must refuse a bad one cleanly) and the
 * last line is the request matched against it. Checks what router.h promises:
 * a match names a route of the table with as many decoded, non-empty, NUL-free
 * captures as its pattern has, and 405 comes with an Allow list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/api.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OWN_ROUTES_MAX 16

static enum http_result no_handler(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
    return HTTP_DONE;
}

static size_t captures_in(const char *pattern)
{
    size_t n = 0;
    for (const char *p = pattern; *p; p++)
        n += *p == '{';
    return n;
}

/* Matches "METHOD PATH" (line[0..n)) and checks the result. */
static void match_one(const struct router *r, const struct route *table, size_t n_routes,
                      const char *line, size_t n)
{
    const char *sp = memchr(line, ' ', n);
    if (!sp)
        return;
    char method[16];
    size_t mlen = (size_t)(sp - line);
    if (mlen == 0 || mlen >= sizeof method || memchr(line, '\0', mlen))
        return;
    memcpy(method, line, mlen);
    method[mlen] = '\0';
    const char *path = sp + 1;
    size_t path_len = n - mlen - 1;
    struct arena a;
    arena_init(&a);
    struct router_match m;
    memset(&m, 0, sizeof m);
    enum router_result rc = router_match(r, &a, method, path, path_len, &m);
    if (rc == ROUTER_MATCH) {
        if (m.route < table || m.route >= table + n_routes)
            abort();
        if (m.n_params != captures_in(m.route->pattern) || m.n_params > HTTP_MAX_PARAMS)
            abort();
        for (size_t i = 0; i < m.n_params; i++)
            if (!m.params[i] || m.params[i][0] == '\0')
                abort();
    } else if (rc == ROUTER_METHOD_NOT_ALLOWED) {
        if (!m.allow || m.allow[0] == '\0')
            abort();
    } else if (rc != ROUTER_NOT_FOUND && rc != ROUTER_BAD_PATH) {
        abort();
    }
    arena_free(&a);
}

static void own_table(const char *text, size_t n)
{
    struct route routes[OWN_ROUTES_MAX] = {0};
    char *copy = malloc(n + 1);
    if (!copy)
        return;
    memcpy(copy, text, n);
    copy[n] = '\0';
    size_t n_routes = 0;
    char *line = copy, *last = NULL;
    size_t last_len = 0;
    while (line < copy + n) {
        char *nl = memchr(line, '\n', (size_t)(copy + n - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(copy + n - line);
        if (!nl) { /* the last line is the request */
            last = line;
            last_len = len;
            break;
        }
        *nl = '\0';
        char *sp = strchr(line, ' ');
        if (sp && n_routes < OWN_ROUTES_MAX) {
            *sp = '\0';
            routes[n_routes++] = (struct route){line, sp + 1, no_handler, 0, NULL, NULL};
        }
        line = nl + 1;
    }
    struct router *r = NULL;
    if (router_new(routes, n_routes, &r) == KH_OK) {
        if (last)
            match_one(r, routes, n_routes, last, last_len);
        router_free(r);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct router *real;
    static const struct route *table;
    static size_t n_routes;
    if (size > 0 && data[0] == '#') {
        own_table((const char *)data + 1, size - 1);
        return 0;
    }
    if (!real) {
        table = api_routes(&n_routes);
        if (router_new(table, n_routes, &real) != KH_OK)
            abort();
    }
    match_one(real, table, n_routes, (const char *)data, size);
    return 0;
}
