/* test_scope.c - scope parsing and keyhold's scope rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "oauth/scope.h"

static void test_parse(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct scope_set s;
    assert_int_equal(scope_parse(&a, "  users:read  openid users:read ", &s), KH_OK);
    assert_int_equal(s.n, 2); /* duplicates collapse */
    assert_string_equal(scope_join(&a, &s), "users:read openid");
    assert_int_equal(scope_parse(&a, "", &s), KH_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(scope_parse(&a, "a\"b", &s), KH_ERR_INVALID);
    assert_int_equal(scope_parse(&a, "a\\b", &s), KH_ERR_INVALID);
    assert_int_equal(scope_parse(&a, "a\tb", &s), KH_ERR_INVALID);
    assert_int_equal(scope_parse(&a, "caf\xc3\xa9", &s), KH_ERR_INVALID);
    arena_free(&a);
}

static void test_filter(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct scope_set s, allowed;
    const char *perms[] = {"users:read"};
    struct access held = {.permissions = perms, .n_permissions = 1};
    assert_int_equal(scope_parse(&a, "openid users:read imports:manage offline_access", &s), KH_OK);
    scope_filter_held(&s, &held);
    assert_string_equal(scope_join(&a, &s), "openid users:read offline_access");
    struct access all = {.all_permissions = true};
    assert_int_equal(scope_parse(&a, "imports:manage", &s), KH_OK);
    scope_filter_held(&s, &all);
    assert_int_equal(s.n, 1);
    assert_int_equal(scope_parse(&a, "a b c", &s), KH_OK);
    assert_int_equal(scope_parse(&a, "c a", &allowed), KH_OK);
    assert_false(scope_is_subset(&s, &allowed));
    scope_intersect(&s, &allowed);
    assert_string_equal(scope_join(&a, &s), "a c");
    assert_true(scope_is_subset(&s, &allowed));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_filter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
