/* test_password.c - argon2id hashing: format, verify, refusal, rehash; the
 * hashes of other schemes (PBKDF2, Keycloak's form, bcrypt) against known
 * vectors made with Python's hashlib.pbkdf2_hmac and crypt (libxcrypt), and
 * the Openwall crypt_blowfish vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "authn/password.h"
#include "authn/phc.h"
#include "core/clock.h"

#define PW "correct horse"
#define PW_LEN (sizeof PW - 1)

/* salt "keyhold-salt-16b" in standard base64 */
#define SALT "a2V5aG9sZC1zYWx0LTE2Yg=="

static const char *const GOOD[] = {
    /* hashlib.pbkdf2_hmac('sha256', PW, salt, 27500): Keycloak's form pasted */
    "$pbkdf2-sha256$i=27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
    /* the same as passlib writes it: bare rounds, adapted base64, no padding */
    "$pbkdf2-sha256$27500$a2V5aG9sZC1zYWx0LTE2Yg$X79gw.v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG.sw8",
    /* 64 bytes (Keycloak's 512-bit key), with l= */
    "$pbkdf2-sha256$i=27500,l=64$" SALT
    "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw/nOuZTa617M+V/8hD7ZgsIbFtMQ45IXPiv2qEtH3n6/Q==",
    "$pbkdf2-sha512$i=210000$" SALT
    "$7h6BJWGtlXk+zrZOH28cwo6nCskmV9lJyw10dpMbzbYJJtbrN/tgYD7W2e12Q70kgZVquTQcmaN7ahpV08DPgQ==",
    "$pbkdf2$20000$" SALT "$m/uHWrQMncOsG7UNJ1zEM+0R1Bg=",
    /* crypt.crypt(PW, '$2b$04$abcdefghijklmnopqrstuu') and its 2a/2y twins */
    "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
    "$2a$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
    "$2y$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
    "$2b$10$uiXQ2Mdqv.bltC.RkCg6gOhYFeUKPIdK1OCkLD3fWWrLc7uUC/AlO",
};

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
    assert_null(password_check_hash(phc));
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
    assert_int_equal(password_verify("$2b$10$notabcrypthash", "x", 1), KH_ERR_DENIED);
    assert_int_equal(password_verify_dummy("x", 1), KH_ERR_DENIED);
}

static void test_other_schemes_verify(void **state)
{
    (void)state;
    assert_int_equal(password_init(), KH_OK);
    for (size_t i = 0; i < sizeof GOOD / sizeof GOOD[0]; i++) {
        print_message("%s\n", GOOD[i]);
        assert_null(password_check_hash(GOOD[i]));
        assert_int_equal(password_verify(GOOD[i], PW, PW_LEN), KH_OK);
        assert_int_equal(password_verify(GOOD[i], "correct horsE", PW_LEN), KH_ERR_DENIED);
        assert_int_equal(password_verify(GOOD[i], PW, PW_LEN - 1), KH_ERR_DENIED);
        assert_int_equal(password_verify(GOOD[i], "", 0), KH_ERR_DENIED);
        assert_true(password_needs_rehash(GOOD[i]));
    }
    /* a NUL inside the password never matches bcrypt's cut-off copy */
    assert_int_equal(password_verify(GOOD[5], PW "\0x", PW_LEN + 2), KH_ERR_DENIED);
}

/* Openwall crypt_blowfish's test vectors (independent of libxcrypt). */
static void test_bcrypt_openwall_vectors(void **state)
{
    (void)state;
    assert_int_equal(password_verify("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                                     "U*U", 3), KH_OK);
    assert_int_equal(password_verify("$2a$05$CCCCCCCCCCCCCCCCCCCCC.VGOzA784oUp/Z0DY336zx7pLYAy0lwK",
                                     "U*U*", 4), KH_OK);
    assert_int_equal(password_verify("$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW",
                                     "U*U*", 4), KH_ERR_DENIED);
}

static void test_keycloak_form(void **state)
{
    (void)state;
    char out[PHC_STRING_MAX + 1];
    const char *why = NULL;
    assert_int_equal(phc_from_keycloak("pbkdf2-sha256", 27500, SALT,
                                       "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=", out, &why),
                     KH_OK);
    assert_string_equal(out, GOOD[0]);
    assert_int_equal(password_verify(out, PW, PW_LEN), KH_OK);
    assert_int_equal(phc_from_keycloak("pbkdf2", 20000, SALT, "m/uHWrQMncOsG7UNJ1zEM+0R1Bg=", out,
                                       &why), KH_OK);
    assert_int_equal(password_verify(out, PW, PW_LEN), KH_OK);
    static const struct {
        const char *alg;
        long long iter;
        const char *salt, *hash;
    } BAD[] = {
        {"argon2", 27500, SALT, "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {NULL, 27500, SALT, "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", 999, SALT, "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", 10000001, SALT, "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", -1, SALT, "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", 27500, "", "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", 27500, SALT, "not base64!"},
        {"pbkdf2-sha256", 27500, SALT "$x", "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
        {"pbkdf2-sha256", 27500, "c2FsdA==", "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8="},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        why = NULL;
        assert_int_equal(phc_from_keycloak(BAD[i].alg, BAD[i].iter, BAD[i].salt, BAD[i].hash, out,
                                           &why), KH_ERR_INVALID);
        assert_non_null(why);
    }
}

/* Malformed or absurd hashes: refused at once by the parser, and by
 * password_verify after no more than the dummy hash's work. */
static void test_malformed_refused_fast(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "",
        "$",
        "$$$",
        "plain-text-password",
        "$md5$x$y",
        "$1$saltsalt$hash",                                 /* md5-crypt: not taken */
        "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", /* 4 GiB */
        "$argon2id$v=19$m=19456,t=99,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=19456,t=2,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=19456,t=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", /* 4-byte salt */
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA", /* padding */
        "$pbkdf2-sha256$999$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$4000000000$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$99999999999$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$i=10000001$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$i=27500,l=33$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$x=27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$-27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$pbkdf2-sha256$27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+s",  /* 41 characters */
        "$pbkdf2-sha256$27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsM=gx6EM5XiTRTGrG+sw8=", /* '=' inside */
        "$pbkdf2-sha256$27500$" SALT "$aGFzaA",                                       /* 4 bytes */
        "$pbkdf2-sha256$27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=$x",
        "$pbkdf2-sha256$27500$" SALT,
        /* 10M iterations × 4 SHA-1 blocks: over the work cap */
        "$pbkdf2$10000000$" SALT "$m/uHWrQMncOsG7UNJ1zEM+0R1Bg/WGQSH7amFP5Sx3dig4GX+twNvVqT0RyDFoL/"
        "FxdSlACnTFcJAPGFlP4cew==",
        "$pbkdf2-sha1$27500$" SALT "$X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=",
        "$2b$31$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e", /* days of work */
        "$2b$17$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$03$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$4$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6",
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e!",
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6!",
        "$2x$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$04$abcdefghijklmnopqrstu$jydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
    };
    assert_int_equal(password_init(), KH_OK);
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        print_message("%s\n", BAD[i]);
        struct phc p;
        const char *why = NULL;
        assert_int_equal(phc_parse(BAD[i], &p, &why), KH_ERR_INVALID);
        assert_non_null(why);
        assert_non_null(password_check_hash(BAD[i]));
        int64_t t0 = clock_mono_us();
        assert_int_equal(password_verify(BAD[i], PW, PW_LEN), KH_ERR_DENIED);
        assert_true(clock_mono_us() - t0 < 2000000);
        assert_true(password_needs_rehash(BAD[i]));
    }
    char long_hash[PHC_STRING_MAX + 2];
    memset(long_hash, 'A', sizeof long_hash - 1);
    long_hash[sizeof long_hash - 1] = '\0';
    memcpy(long_hash, "$pbkdf2$1000$", 13);
    assert_non_null(password_check_hash(long_hash));
    assert_non_null(password_check_hash(NULL));
}

/* argon2id weaker than ours is replaced; equal or stronger stays. */
static void test_argon2id_rehash_rule(void **state)
{
    (void)state;
    assert_true(password_needs_rehash(
        "$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
    assert_true(password_needs_rehash(
        "$argon2id$v=19$m=19456,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
    assert_false(password_needs_rehash(
        "$argon2id$v=19$m=47104,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
    assert_false(password_needs_rehash(
        "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verify),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_other_schemes_verify),
        cmocka_unit_test(test_bcrypt_openwall_vectors),
        cmocka_unit_test(test_keycloak_form),
        cmocka_unit_test(test_malformed_refused_fast),
        cmocka_unit_test(test_argon2id_rehash_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
