/* test_form.c - form_parse / form_decode: every rule of form.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "http/form.h"

struct fixture {
    struct arena a;
    struct form f;
};

static int setup(void **state)
{
    static struct fixture fx;
    arena_init(&fx.a);
    memset(&fx.f, 0, sizeof fx.f);
    *state = &fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    arena_free(&fx->a);
    return 0;
}

static enum kh_status parse(void **state, const char *body)
{
    struct fixture *fx = *state;
    return form_parse(&fx->a, body, strlen(body), &fx->f);
}

static const char *get(void **state, const char *name)
{
    return form_get(&((struct fixture *)*state)->f, name);
}

static void test_basic_pairs(void **state)
{
    assert_int_equal(parse(state, "grant_type=client_credentials&scope=a%20b"), KH_OK);
    assert_int_equal(((struct fixture *)*state)->f.n, 2);
    assert_string_equal(get(state, "grant_type"), "client_credentials");
    assert_string_equal(get(state, "scope"), "a b");
    assert_null(get(state, "missing"));
}

static void test_plus_is_space_and_encoded_plus(void **state)
{
    assert_int_equal(parse(state, "a=x+y&b=x%2By&c=%2b"), KH_OK);
    assert_string_equal(get(state, "a"), "x y");
    assert_string_equal(get(state, "b"), "x+y");
    assert_string_equal(get(state, "c"), "+");
}

static void test_empty_value_kept(void **state)
{
    assert_int_equal(parse(state, "a=&b=1"), KH_OK);
    assert_string_equal(get(state, "a"), "");
    assert_string_equal(get(state, "b"), "1");
}

static void test_empty_body(void **state)
{
    struct fixture *fx = *state;
    fx->f.n = 99;
    assert_int_equal(form_parse(&fx->a, NULL, 0, &fx->f), KH_OK);
    assert_int_equal(fx->f.n, 0);
    assert_int_equal(parse(state, ""), KH_OK);
    assert_int_equal(fx->f.n, 0);
}

static void test_bad_escapes(void **state)
{
    assert_int_equal(parse(state, "a=%G1"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=%1G"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=%4"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=%"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=x%"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a%=1"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=%%41"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=%4a%4A"), KH_OK);
    assert_string_equal(get(state, "a"), "JJ");
}

static void test_nul_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(state, "a=%00"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a%00b=1"), KH_ERR_INVALID);
    static const char raw[] = "a=x\0y";
    assert_int_equal(form_parse(&fx->a, raw, sizeof raw - 1, &fx->f), KH_ERR_INVALID);
}

static void test_duplicates(void **state)
{
    assert_int_equal(parse(state, "a=1&a=2"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&a=1"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&%61=2"), KH_ERR_INVALID); /* same once decoded */
    assert_int_equal(parse(state, "a=1&A=2"), KH_OK);              /* names are case-sensitive */
}

static void test_empty_name_and_missing_eq(void **state)
{
    assert_int_equal(parse(state, "=1"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&=2"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&b"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&"), KH_ERR_INVALID);  /* empty pair */
    assert_int_equal(parse(state, "&a=1"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "a=1&&b=2"), KH_ERR_INVALID);
    assert_int_equal(parse(state, "&"), KH_ERR_INVALID);
}

static void test_equals_in_value(void **state)
{
    assert_int_equal(parse(state, "a=b=c&d=%3D"), KH_OK);
    assert_string_equal(get(state, "a"), "b=c");
    assert_string_equal(get(state, "d"), "=");
}

static void test_too_many_params(void **state)
{
    struct fixture *fx = *state;
    char body[FORM_MAX_PARAMS * 8 + 16];
    size_t len = 0;
    for (int i = 0; i < FORM_MAX_PARAMS; i++)
        len += (size_t)snprintf(body + len, sizeof body - len, "%sp%d=1", i ? "&" : "", i);
    assert_int_equal(form_parse(&fx->a, body, len, &fx->f), KH_OK);
    assert_int_equal(fx->f.n, FORM_MAX_PARAMS);
    snprintf(body + len, sizeof body - len, "&extra=1");
    assert_int_equal(parse(state, body), KH_ERR_TOOBIG);
}

static void test_out_untouched_on_error(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(state, "keep=1"), KH_OK);
    assert_int_equal(parse(state, "x=1&x=2"), KH_ERR_INVALID);
    assert_int_equal(fx->f.n, 1);
    assert_string_equal(get(state, "keep"), "1");
}

static void test_utf8(void **state)
{
    /* Valid: é (C3 A9), € (E2 82 AC), U+10FFFF (F4 8F BF BF), raw or encoded. */
    assert_int_equal(parse(state, "a=%C3%A9&b=%E2%82%AC&c=%F4%8F%BF%BF&d=\xc3\xa9"), KH_OK);
    assert_string_equal(get(state, "a"), "\xc3\xa9");
    assert_string_equal(get(state, "d"), "\xc3\xa9");
    static const char *const bad[] = {
        "a=%C3",           /* truncated */
        "a=%C3%28",        /* bad continuation */
        "a=%A9",           /* stray continuation */
        "a=%C0%AF",        /* overlong '/' */
        "a=%C1%BF",        /* overlong */
        "a=%E0%80%AF",     /* overlong 3-byte */
        "a=%E0%9F%BF",     /* overlong 3-byte (U+07FF) */
        "a=%F0%80%80%AF",  /* overlong 4-byte */
        "a=%F0%8F%BF%BF",  /* overlong 4-byte (U+FFFF) */
        "a=%ED%A0%80",     /* surrogate U+D800 */
        "a=%ED%BF%BF",     /* surrogate U+DFFF */
        "a=%F4%90%80%80",  /* U+110000 */
        "a=%F5%80%80%80",  /* beyond */
        "a=%FF",
        "a=%FE",
        "a=\xc3",          /* raw, truncated */
        "a=\xed\xa0\x80",  /* raw surrogate */
        "%C3=1",           /* in the name too */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(state, bad[i]) != KH_ERR_INVALID)
            fail_msg("accepted: %s", bad[i]);
    }
    /* Edges that are valid: U+D7FF, U+E000, U+0080, U+10000. */
    assert_int_equal(parse(state, "a=%ED%9F%BF&b=%EE%80%80&c=%C2%80&d=%F0%90%80%80"), KH_OK);
}

static void test_form_decode(void **state)
{
    struct fixture *fx = *state;
    char *out = NULL;
    assert_int_equal(form_decode(&fx->a, "a+b%2Bc", 7, &out), KH_OK);
    assert_string_equal(out, "a b+c");
    assert_int_equal(form_decode(&fx->a, "", 0, &out), KH_OK);
    assert_string_equal(out, "");
    char *keep = out;
    assert_int_equal(form_decode(&fx->a, "%zz", 3, &out), KH_ERR_INVALID);
    assert_ptr_equal(out, keep);
    /* Length-bounded: the bytes after n are not read. */
    assert_int_equal(form_decode(&fx->a, "ab%", 2, &out), KH_OK);
    assert_string_equal(out, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic_pairs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plus_is_space_and_encoded_plus, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_value_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nul_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_name_and_missing_eq, setup, teardown),
        cmocka_unit_test_setup_teardown(test_equals_in_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_untouched_on_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_decode, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
