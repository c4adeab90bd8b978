/* test_router.c - pattern compilation and matching: captures, 404 vs 405,
 * trailing slashes, empty segments, decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "http/router.h"

static enum http_result h(struct request *req, struct response *res)
{
    (void)req;
    (void)res;
    return HTTP_DONE;
}

static const struct route ROUTES[] = {
    {"GET", "/", h, 0, "root"},
    {"GET", "/healthz", h, 0, "health"},
    {"POST", "/realms/{realm}/protocol/openid-connect/token", h, 4096, "token"},
    {"GET", "/realms/{realm}/protocol/openid-connect/certs", h, 0, "certs"},
    {"GET", "/v1/clients/{realm}/{id}", h, 0, "client-get"},
    {"DELETE", "/v1/clients/{realm}/{id}", h, 0, "client-del"},
    {"GET", "/v1/clients/{realm}/new", h, 0, "shadowed"}, /* after the capture: never wins */
    {"PUT", "/v1/clients/{realm}/new", h, 0, "client-new"},
    {"POST", "/v1/clients/{realm}/{id}", h, 0, "client-post"},
    {"POST", "/v1/clients/{realm}/{id}", h, 0, "client-post-dup"},
};

static struct router *router;
static struct arena arena;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    return router_new(ROUTES, sizeof ROUTES / sizeof ROUTES[0], &router) == KH_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    router_free(router);
    arena_free(&arena);
    return 0;
}

static enum router_result match(const char *method, const char *path, struct router_match *m)
{
    return router_match(router, &arena, method, path, strlen(path), m);
}

static void test_literal(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("GET", "/healthz", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "health");
    assert_int_equal(m.n_params, 0);
    assert_int_equal(match("GET", "/", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "root");
    /* Literals compare with the decoded segment. */
    assert_int_equal(match("GET", "/health%7a", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "health");
}

static void test_captures(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("POST", "/realms/acme/protocol/openid-connect/token", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "token");
    assert_int_equal(m.n_params, 1);
    assert_string_equal(m.params[0], "acme");
    assert_int_equal(match("GET", "/v1/clients/r1/c%2F1+x%20y", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "client-get");
    assert_int_equal(m.n_params, 2);
    assert_string_equal(m.params[0], "r1");
    assert_string_equal(m.params[1], "c/1+x y"); /* %2F stays in the capture, '+' is '+' */
    assert_int_equal(match("GET", "/v1/clients/%C3%A9/x", &m), ROUTER_MATCH);
    assert_string_equal(m.params[0], "\xc3\xa9");
}

static void test_first_match_wins(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("GET", "/v1/clients/r/new", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "client-get");
    assert_int_equal(match("PUT", "/v1/clients/r/new", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "client-new");
    assert_int_equal(match("POST", "/v1/clients/r/new", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "client-post");
}

static void test_not_found_vs_method(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("GET", "/nope", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/realms/acme/protocol/openid-connect/nope", &m),
                     ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/realms/acme/protocol/openid-connect/token", &m),
                     ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "POST");
    assert_int_equal(match("PATCH", "/v1/clients/r/x", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, DELETE, POST"); /* distinct, in table order */
    assert_int_equal(match("DELETE", "/v1/clients/r/new", &m), ROUTER_MATCH);
    assert_int_equal(match("PATCH", "/v1/clients/r/new", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET, DELETE, PUT, POST");
    /* Methods are case-sensitive. */
    assert_int_equal(match("get", "/healthz", &m), ROUTER_METHOD_NOT_ALLOWED);
    assert_string_equal(m.allow, "GET");
}

static void test_head_uses_get(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("HEAD", "/healthz", &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "health");
    assert_int_equal(match("HEAD", "/realms/a/protocol/openid-connect/token", &m),
                     ROUTER_METHOD_NOT_ALLOWED);
}

static void test_trailing_slash_and_empty_segments(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("GET", "/healthz/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "//healthz", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/realms//protocol/openid-connect/certs", &m),
                     ROUTER_NOT_FOUND); /* an empty segment is not captured */
    assert_int_equal(match("GET", "/realms/a/protocol/openid-connect/certs/", &m),
                     ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/v1/clients/r/", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "//", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "healthz", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "*", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "http://x/healthz", &m), ROUTER_NOT_FOUND);
    assert_int_equal(match("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", &m), ROUTER_NOT_FOUND);
}

static void test_bad_path(void **state)
{
    (void)state;
    struct router_match m;
    assert_int_equal(match("GET", "/v1/clients/r/%zz", &m), ROUTER_BAD_PATH);
    assert_int_equal(match("GET", "/v1/clients/r/%00", &m), ROUTER_BAD_PATH);
    assert_int_equal(match("GET", "/v1/clients/r/%C0%AF", &m), ROUTER_BAD_PATH);
    assert_int_equal(match("GET", "/v1/clients/r/\xff", &m), ROUTER_BAD_PATH);
    assert_int_equal(match("GET", "/v1/clients/r/%", &m), ROUTER_BAD_PATH);
    static const char nul_path[] = "/v1/clients/r/a\0b"; /* a raw NUL inside the length */
    assert_int_equal(router_match(router, &arena, "GET", nul_path, sizeof nul_path - 1, &m),
                     ROUTER_BAD_PATH);
}

static void test_length_bounded(void **state)
{
    (void)state;
    struct router_match m;
    const char *p = "/healthzXYZ";
    assert_int_equal(router_match(router, &arena, "GET", p, 8, &m), ROUTER_MATCH);
    assert_string_equal(m.route->data, "health");
}

static void test_invalid_patterns(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "healthz", "/a/", "//a", "/a//b", "/{}", "/{a", "/a}", "/{a-b}", "/{a}/{a}",
        "/{a}/{b}/{c}/{d}/{e}", "/a%20b", "/a?b", "/a b", "/a#b", "/x{a}",
        "/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct route r = {"GET", bad[i], h, 0, NULL};
        struct router *rt = NULL;
        if (router_new(&r, 1, &rt) != KH_ERR_INVALID) {
            router_free(rt);
            fail_msg("accepted pattern: \"%s\"", bad[i]);
        }
    }
    struct route no_handler = {"GET", "/a", NULL, 0, NULL};
    struct route no_method = {NULL, "/a", h, 0, NULL};
    struct router *rt = NULL;
    assert_int_equal(router_new(&no_handler, 1, &rt), KH_ERR_INVALID);
    assert_int_equal(router_new(&no_method, 1, &rt), KH_ERR_INVALID);
    struct route ok = {"GET", "/{a}/{b}/{c}/{d}", h, 0, NULL};
    assert_int_equal(router_new(&ok, 1, &rt), KH_OK);
    router_free(rt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),
        cmocka_unit_test(test_captures),
        cmocka_unit_test(test_first_match_wins),
        cmocka_unit_test(test_not_found_vs_method),
        cmocka_unit_test(test_head_uses_get),
        cmocka_unit_test(test_trailing_slash_and_empty_segments),
        cmocka_unit_test(test_bad_path),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_invalid_patterns),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
