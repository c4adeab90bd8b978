/* test_basic.c - basic_parse: scheme, spacing, strict base64, form-decoded id and secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "core/b64.h"
#include "http/basic.h"

static struct arena arena;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

/* "<scheme><spaces><base64 of cred>" in the arena. */
static const char *header(const char *prefix, const char *cred)
{
    size_t n = strlen(cred);
    char *b64 = arena_alloc(&arena, b64std_encoded_len(n) + 1);
    b64std_encode((const uint8_t *)cred, n, b64);
    return arena_printf(&arena, "%s%s", prefix, b64);
}

static enum kh_status parse(const char *h, const char **id, const char **secret)
{
    return basic_parse(&arena, h, id, secret);
}

static void test_plain(void **state)
{
    (void)state;
    const char *id = NULL, *secret = NULL;
    /* "Aladdin:open sesame" from RFC 7617 — the space is raw, which form
     * decoding keeps as is. */
    assert_int_equal(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", &id, &secret), KH_OK);
    assert_string_equal(id, "Aladdin");
    assert_string_equal(secret, "open sesame");
}

static void test_scheme_case_and_spaces(void **state)
{
    (void)state;
    const char *id, *secret;
    const char *prefixes[] = {"basic ", "BASIC ", "bAsIc ", "Basic    "};
    for (size_t i = 0; i < 4; i++) {
        id = secret = NULL;
        assert_int_equal(parse(header(prefixes[i], "cli:sec"), &id, &secret), KH_OK);
        assert_string_equal(id, "cli");
        assert_string_equal(secret, "sec");
    }
}

static void test_other_scheme(void **state)
{
    (void)state;
    const char *id = "untouched", *secret = "untouched";
    assert_int_equal(parse(NULL, &id, &secret), KH_ERR_NOTFOUND);
    assert_int_equal(parse("Bearer abc", &id, &secret), KH_ERR_NOTFOUND);
    assert_int_equal(parse("Basically Y2xpOnNlYw==", &id, &secret), KH_ERR_NOTFOUND);
    assert_int_equal(parse("Bas", &id, &secret), KH_ERR_NOTFOUND);
    assert_int_equal(parse("", &id, &secret), KH_ERR_NOTFOUND);
    assert_int_equal(parse(" Basic Y2xpOnNlYw==", &id, &secret), KH_ERR_NOTFOUND);
    assert_string_equal(id, "untouched");
    assert_string_equal(secret, "untouched");
}

static void test_malformed(void **state)
{
    (void)state;
    const char *id = "untouched", *secret = "untouched";
    static const char *const bad[] = {
        "Basic",                     /* no credentials */
        "Basic ",
        "Basic    ",
        "Basic\tY2xpOnNlYw==",       /* only spaces separate */
        "Basic Y2xpOnNlYw",          /* padding missing */
        "Basic Y2xpOnNlYw=",         /* padding short */
        "Basic Y2xpOnNlYw===",
        "Basic Y2xpOnNlYw==\x20",    /* trailing space */
        "Basic Y2xp OnNlYw==",       /* space inside */
        "Basic Y2xpOnNlYw==AAAA",    /* data after padding */
        "Basic Y2xpOnNlYx==",        /* non-canonical last char */
        "Basic Y2xp*nNlYw==",        /* not base64 */
        "Basic Y2xpOnNlYw-_",        /* base64url alphabet */
        "Basic ====",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i], &id, &secret) != KH_ERR_INVALID)
            fail_msg("accepted: %s", bad[i]);
    assert_string_equal(id, "untouched");
    assert_string_equal(secret, "untouched");
}

static void test_credentials_rules(void **state)
{
    (void)state;
    const char *id = "untouched", *secret = "untouched";
    assert_int_equal(parse(header("Basic ", "nocolon"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", ":secret"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", ""), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", "a%zz:b"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", "a:%00"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", "a:%C0%AF"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", "a:\xff"), &id, &secret), KH_ERR_INVALID);
    assert_int_equal(parse(header("Basic ", "%:b"), &id, &secret), KH_ERR_INVALID);
    assert_string_equal(id, "untouched");
    /* A raw NUL inside the decoded credentials. */
    assert_int_equal(parse("Basic YQBiOmM=", &id, &secret), KH_ERR_INVALID); /* "a\0b:c" */
    assert_string_equal(secret, "untouched");
}

static void test_form_encoded_parts(void **state)
{
    (void)state;
    const char *id = NULL, *secret = NULL;
    /* RFC 6749 §2.3.1: both halves are form-urlencoded before base64. */
    assert_int_equal(parse(header("Basic ", "my%3Aclient:p%40ss%3Aw%2Bo+rd"), &id, &secret),
                     KH_OK);
    assert_string_equal(id, "my:client");
    assert_string_equal(secret, "p@ss:w+o rd");
    /* Only the first raw ':' separates; later ones belong to the secret. */
    assert_int_equal(parse(header("Basic ", "id:a:b"), &id, &secret), KH_OK);
    assert_string_equal(id, "id");
    assert_string_equal(secret, "a:b");
    /* An empty secret is returned as "" (the id alone must not be empty). */
    assert_int_equal(parse(header("Basic ", "id:"), &id, &secret), KH_OK);
    assert_string_equal(id, "id");
    assert_string_equal(secret, "");
    /* UTF-8 id. */
    assert_int_equal(parse(header("Basic ", "%C3%A9t%C3%A9:x"), &id, &secret), KH_OK);
    assert_string_equal(id, "\xc3\xa9t\xc3\xa9");
}

static void test_padding_lengths(void **state)
{
    (void)state;
    const char *id, *secret;
    /* 3, 4 and 5 bytes: no padding, "==", "=". */
    assert_int_equal(parse(header("Basic ", "a:b"), &id, &secret), KH_OK);
    assert_string_equal(secret, "b");
    assert_int_equal(parse(header("Basic ", "a:bc"), &id, &secret), KH_OK);
    assert_string_equal(secret, "bc");
    assert_int_equal(parse(header("Basic ", "a:bcd"), &id, &secret), KH_OK);
    assert_string_equal(secret, "bcd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheme_case_and_spaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_credentials_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_form_encoded_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_padding_lengths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
