/* test_password.c - argon2id hashing: format, verify, refusal, rehash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "authn/password.h"

static void test_hash_verify(void **state)
{
    (void)state;
    char phc[PASSWORD_HASH_MAX];
    assert_int_equal(password_init(), KH_OK);
    assert_int_equal(password_hash("s3cret", 6, phc), KH_OK);
    assert_memory_equal(phc, "$argon2id$v=19$m=19456,t=2,p=1$", 31); /* OWASP parameters */
    assert_int_equal(password_verify(phc, "s3cret", 6), KH_OK);
    assert_int_equal(password_verify(phc, "s3creT", 6), KH_ERR_DENIED);
    assert_int_equal(password_verify(phc, "s3cre", 5), KH_ERR_DENIED);
    assert_false(password_needs_rehash(phc));
}

static void test_refusals(void **state)
{
    (void)state;
    char phc[PASSWORD_HASH_MAX];
    char long_pw[PASSWORD_MAX_LEN + 2];
    memset(long_pw, 'x', sizeof long_pw);
    assert_int_equal(password_init(), KH_OK);
    assert_int_equal(password_hash(long_pw, sizeof long_pw, phc), KH_ERR_TOOBIG);
    assert_int_equal(password_verify(NULL, "x", 1), KH_ERR_DENIED);
    assert_int_equal(password_verify("$2b$10$notsupportedyet", "x", 1), KH_ERR_DENIED);
    assert_int_equal(password_verify_dummy("x", 1), KH_ERR_DENIED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
