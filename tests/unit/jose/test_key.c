/* test_key.c - keys: algorithm names, RFC 7638 thumbprints, PKCS#8, JWK and JWKS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "jose/jwks.h"
#include "jose/key.h"

static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPeb"
    "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368Q"
    "QMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2"
    "NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char ed_x[] = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

static enum kh_status from_jwk(const char *json, struct jose_key **k)
{
    return jose_key_from_jwk(json, strlen(json), k);
}

/* Expects jose_key_from_jwk to refuse a JWK built from fmt. */
static void refuse_jwk(const char *json)
{
    struct jose_key *k = (struct jose_key *)0x1;
    enum kh_status rc = from_jwk(json, &k);
    if (rc != KH_ERR_INVALID)
        fail_msg("accepted (rc=%d): %s", rc, json);
    assert_ptr_equal(k, (struct jose_key *)0x1); /* untouched */
}

static char *ec_jwk(const char *x, const char *y, const char *extra)
{
    char *s = malloc(1024);
    assert_non_null(s);
    snprintf(s, 1024, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"%s}", x, y,
             extra);
    return s;
}

static char *write_jwk(const struct jose_key *k)
{
    struct buf b;
    struct jsonw w;
    buf_init(&b, 8192);
    jsonw_init(&w, &b);
    jose_key_write_jwk(k, &w);
    assert_int_equal(jsonw_finish(&w), KH_OK);
    return b.data;
}

static void test_alg_names(void **state)
{
    (void)state;
    enum jose_alg alg = JOSE_RS256;
    assert_string_equal(jose_alg_name(JOSE_ES256), "ES256");
    assert_string_equal(jose_alg_name(JOSE_RS256), "RS256");
    assert_string_equal(jose_alg_name(JOSE_EDDSA), "EdDSA");
    assert_int_equal(jose_alg_parse("ES256", &alg), KH_OK);
    assert_int_equal(alg, JOSE_ES256);
    assert_int_equal(jose_alg_parse("EdDSA", &alg), KH_OK);
    assert_int_equal(alg, JOSE_EDDSA);
    assert_int_equal(jose_alg_parse("RS256", &alg), KH_OK);
    assert_int_equal(alg, JOSE_RS256);
    static const char *const bad[] = {"es256", "EDDSA",  "eddsa",  "none",  "HS256",
                                      "",      "ES256 ", "RS2560", "PS256", "Ed25519"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(jose_alg_parse(bad[i], &alg), KH_ERR_INVALID);
        assert_int_equal(alg, JOSE_RS256); /* untouched */
    }
    assert_int_equal(jose_alg_parse(NULL, &alg), KH_ERR_INVALID);
}

/* RFC 7638 §3.1: the thumbprint of the RFC 7517 A.1 RSA key. */
static void test_rfc7638_thumbprint(void **state)
{
    (void)state;
    char json[1024];
    struct jose_key *k = NULL;
    snprintf(json, sizeof json, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}", rfc7638_n);
    assert_int_equal(from_jwk(json, &k), KH_OK);
    assert_string_equal(jose_key_kid(k), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    assert_int_equal(jose_key_alg(k), JOSE_RS256);
    assert_false(jose_key_has_private(k));
    jose_key_free(k);
    /* With the RFC's own kid and alg members: the kid member wins. */
    snprintf(
        json, sizeof json,
        "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}",
        rfc7638_n);
    assert_int_equal(from_jwk(json, &k), KH_OK);
    assert_string_equal(jose_key_kid(k), "2011-04-29");
    /* The written JWK keeps n and e exactly. */
    char *out = write_jwk(k);
    char expect[1024];
    snprintf(expect, sizeof expect,
             "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"2011-04-29\",\"use\":\"sig\","
             "\"alg\":\"RS256\"}",
             rfc7638_n);
    assert_string_equal(out, expect);
    free(out);
    jose_key_free(k);
}

/* The thumbprint recomputed by hand from the RFC 7638 canonical form. */
static void test_thumbprint_ec_okp(void **state)
{
    (void)state;
    struct jose_key *k = NULL;
    char *json = ec_jwk(a3_x, a3_y, "");
    assert_int_equal(from_jwk(json, &k), KH_OK);
    free(json);
    char canon[256], expect_kid[44];
    uint8_t d[SHA256_LEN];
    snprintf(canon, sizeof canon, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
             a3_x, a3_y);
    sha256(canon, strlen(canon), d);
    b64url_encode(d, sizeof d, expect_kid);
    assert_string_equal(jose_key_kid(k), expect_kid);
    char *out = write_jwk(k);
    char expect[512];
    snprintf(expect, sizeof expect,
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"%s\","
             "\"use\":\"sig\",\"alg\":\"ES256\"}",
             a3_x, a3_y, expect_kid);
    assert_string_equal(out, expect);
    free(out);
    jose_key_free(k);

    snprintf(canon, sizeof canon, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"}", ed_x);
    assert_int_equal(from_jwk(canon, &k), KH_OK);
    assert_int_equal(jose_key_alg(k), JOSE_EDDSA);
    /* RFC 8037 A.3 */
    assert_string_equal(jose_key_kid(k), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    out = write_jwk(k);
    snprintf(expect, sizeof expect,
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"%s\",\"use\":\"sig\","
             "\"alg\":\"EdDSA\"}",
             ed_x, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_string_equal(out, expect);
    free(out);
    jose_key_free(k);
}

static void test_jwk_accepts(void **state)
{
    (void)state;
    static const char *const extras[] = {
        ",\"alg\":\"ES256\"",
        ",\"use\":\"sig\"",
        ",\"key_ops\":[\"verify\"]",
        ",\"kid\":\"k1\",\"x5c\":[\"ignored\"]",
        ",\"ext\":true",
    };
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        struct jose_key *k = NULL;
        char *json = ec_jwk(a3_x, a3_y, extras[i]);
        assert_int_equal(from_jwk(json, &k), KH_OK);
        assert_int_equal(jose_key_alg(k), JOSE_ES256);
        jose_key_free(k);
        free(json);
    }
}

static void test_jwk_refusals(void **state)
{
    (void)state;
    char rsa[1200];
    char *s;
    /* Private members, in each key type. */
    s = ec_jwk(a3_x, a3_y, ",\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"");
    refuse_jwk(s);
    free(s);
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"p\":\"AQAB\"}",
             rfc7638_n);
    refuse_jwk(rsa);
    refuse_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
               "7TyWQHOg7hcvPapiMlrwIaaPcHURo\","
               "\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}");
    refuse_jwk("{\"kty\":\"oct\",\"k\":\"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T\"}");
    /* Use and algorithm. */
    static const char *const extras[] = {
        ",\"use\":\"enc\"",   ",\"key_ops\":[\"encrypt\"]",
        ",\"key_ops\":[]",    ",\"key_ops\":\"verify\"",
        ",\"alg\":\"RS256\"", ",\"alg\":\"ES384\"",
        ",\"alg\":\"none\"",  ",\"alg\":\"es256\"",
        ",\"alg\":7",         ",\"kid\":\"\"",
        ",\"kid\":3",         ",\"use\":1",
        ",\"x\":\"dup\"",
    };
    for (size_t i = 0; i < sizeof extras / sizeof extras[0]; i++) {
        s = ec_jwk(a3_x, a3_y, extras[i]);
        refuse_jwk(s);
        free(s);
    }
    char longkid[400];
    memset(longkid, 'k', 300);
    longkid[300] = '\0';
    char extra[420];
    snprintf(extra, sizeof extra, ",\"kid\":\"%s\"", longkid);
    s = ec_jwk(a3_x, a3_y, extra);
    refuse_jwk(s);
    free(s);
    /* Coordinates: short, long, padded, non-canonical, off the curve. */
    static const char *const bad_x[] = {
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVE", /* 31 bytes and a bit */
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEUA", /* 33 bytes */
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU=", /* padded */
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEV", /* non-canonical */
        "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEQ", /* another x: off the curve */
        "",
    };
    for (size_t i = 0; i < sizeof bad_x / sizeof bad_x[0]; i++) {
        s = ec_jwk(bad_x[i], a3_y, "");
        refuse_jwk(s);
        free(s);
    }
    /* Other types and curves. */
    refuse_jwk("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}");
    refuse_jwk("{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"11qYAYKxCrfVS_"
               "7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
    refuse_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AA\"}");
    refuse_jwk("{\"kty\":\"oct\"}");
    refuse_jwk("{\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}");
    refuse_jwk("{\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}");
    refuse_jwk("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_"
               "7TyWQHOg7hcvPapiMlrwIaaPcHUR\"}");
    /* RSA: leading zero in n, a 1024-bit modulus, e missing, PS256. */
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"AA%s\",\"e\":\"AQAB\"}", rfc7638_n);
    refuse_jwk(rsa);
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%.171s\",\"e\":\"AQAB\"}", rfc7638_n);
    refuse_jwk(rsa);
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%s\"}", rfc7638_n);
    refuse_jwk(rsa);
    static const char *const bad_e[] = {"AQ", "Ag", "AAEAAQ", "AQAA", ""};
    for (size_t i = 0; i < sizeof bad_e / sizeof bad_e[0]; i++) {
        snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\"}", rfc7638_n,
                 bad_e[i]);
        refuse_jwk(rsa);
    }
    /* An even modulus (last character of n changed from 'w' to 'A'). */
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%.341sA\",\"e\":\"AQAB\"}", rfc7638_n);
    refuse_jwk(rsa);
    snprintf(rsa, sizeof rsa, "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"alg\":\"PS256\"}",
             rfc7638_n);
    refuse_jwk(rsa);
    /* Not a JWK at all. */
    refuse_jwk("");
    refuse_jwk("[]");
    refuse_jwk("\"EC\"");
    refuse_jwk("{\"kty\":\"EC\",\"kty\":\"EC\",\"crv\":\"P-256\"}");
}

static uint8_t *der_of(EVP_PKEY *pkey, size_t *n)
{
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
    uint8_t *der = NULL;
    int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
    assert_true(len > 0);
    PKCS8_PRIV_KEY_INFO_free(p8);
    uint8_t *copy = malloc((size_t)len);
    memcpy(copy, der, (size_t)len);
    OPENSSL_clear_free(der, (size_t)len);
    *n = (size_t)len;
    return copy;
}

static void test_pkcs8(void **state)
{
    (void)state;
    static const enum jose_alg algs[] = {JOSE_ES256, JOSE_RS256, JOSE_EDDSA};
    for (size_t i = 0; i < 3; i++) {
        struct jose_key *k = NULL, *k2 = NULL, *bad = (struct jose_key *)0x1;
        uint8_t *der = NULL;
        size_t n = 0;
        assert_int_equal(jose_key_generate(algs[i], &k), KH_OK);
        assert_true(jose_key_has_private(k));
        assert_int_equal(strlen(jose_key_kid(k)), 43);
        assert_int_equal(jose_key_to_pkcs8(k, &der, &n), KH_OK);
        assert_int_equal(jose_key_from_pkcs8(algs[i], der, n, &k2), KH_OK);
        assert_string_equal(jose_key_kid(k2), jose_key_kid(k));
        /* The DER of one key type under another algorithm. */
        for (size_t j = 0; j < 3; j++) {
            if (j != i)
                assert_int_equal(jose_key_from_pkcs8(algs[j], der, n, &bad), KH_ERR_INVALID);
        }
        /* Truncated, with trailing bytes, empty. */
        assert_int_equal(jose_key_from_pkcs8(algs[i], der, n - 1, &bad), KH_ERR_INVALID);
        uint8_t *longer = malloc(n + 1);
        memcpy(longer, der, n);
        longer[n] = 0;
        assert_int_equal(jose_key_from_pkcs8(algs[i], longer, n + 1, &bad), KH_ERR_INVALID);
        assert_int_equal(jose_key_from_pkcs8(algs[i], der, 0, &bad), KH_ERR_INVALID);
        /* A corrupted public half (for EC the last bytes are the point; OpenSSL
         * writes Ed25519 PKCS#8 without the public key). */
        if (algs[i] == JOSE_ES256) {
            /* Another key's valid point in place of ours: on the curve, wrong pair. */
            struct jose_key *other = NULL;
            uint8_t *oder = NULL;
            size_t on = 0;
            assert_int_equal(jose_key_generate(JOSE_ES256, &other), KH_OK);
            assert_int_equal(jose_key_to_pkcs8(other, &oder, &on), KH_OK);
            assert_int_equal(on, n);
            assert_int_equal(der[n - 65], 0x04);
            memcpy(der + n - 64, oder + on - 64, 64);
            assert_int_equal(jose_key_from_pkcs8(algs[i], der, n, &bad), KH_ERR_INVALID);
            der[n - 1] ^= 1; /* and off the curve */
            assert_int_equal(jose_key_from_pkcs8(algs[i], der, n, &bad), KH_ERR_INVALID);
            secret_wipe(oder, on);
            free(oder);
            jose_key_free(other);
        }
        assert_ptr_equal(bad, (struct jose_key *)0x1);
        secret_wipe(der, n);
        free(der);
        secret_wipe(longer, n + 1);
        free(longer);
        jose_key_free(k2);
        jose_key_free(k);
    }
}

static void test_pkcs8_wrong_curve_or_size(void **state)
{
    (void)state;
    struct jose_key *bad = NULL;
    size_t n;
    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    uint8_t *der = der_of(p384, &n);
    assert_int_equal(jose_key_from_pkcs8(JOSE_ES256, der, n, &bad), KH_ERR_INVALID);
    free(der);
    EVP_PKEY_free(p384);
    EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    der = der_of(rsa1024, &n);
    assert_int_equal(jose_key_from_pkcs8(JOSE_RS256, der, n, &bad), KH_ERR_INVALID);
    free(der);
    EVP_PKEY_free(rsa1024);
    EVP_PKEY *ed448 = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    der = der_of(ed448, &n);
    assert_int_equal(jose_key_from_pkcs8(JOSE_EDDSA, der, n, &bad), KH_ERR_INVALID);
    free(der);
    EVP_PKEY_free(ed448);
    assert_null(bad);

    /* A public key has no PKCS#8. */
    struct jose_key *pub = NULL;
    char *json = ec_jwk(a3_x, a3_y, "");
    assert_int_equal(from_jwk(json, &pub), KH_OK);
    free(json);
    uint8_t *out = NULL;
    assert_int_equal(jose_key_to_pkcs8(pub, &out, &n), KH_ERR_INVALID);
    assert_null(out);
    jose_key_free(pub);
    jose_key_free(NULL);
}

static void test_jwks_parse_skips_unsupported(void **state)
{
    (void)state;
    char doc[4096];
    snprintf(doc, sizeof doc,
             "{\"keys\":["
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"kid\":\"ec\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\",\"kid\":\"p384\"},"
             "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"rsa\",\"alg\":\"RS256\"},"
             "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"pss\",\"alg\":\"PS256\"},"
             "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\",\"kid\":\"enc\",\"use\":\"enc\"},"
             "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"%s\"},"
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\",\"kid\":\"ed\"},"
             "{\"kty\":\"foo\"}"
             "],\"extra\":1}",
             a3_x, a3_y, rfc7638_n, rfc7638_n, rfc7638_n, ed_x, ed_x);
    struct jose_key **keys = NULL;
    size_t n = 0;
    assert_int_equal(jwks_parse(doc, strlen(doc), &keys, &n), KH_OK);
    assert_int_equal(n, 3);
    assert_string_equal(jose_key_kid(keys[0]), "ec");
    assert_string_equal(jose_key_kid(keys[1]), "rsa");
    assert_string_equal(jose_key_kid(keys[2]), "ed");
    jwks_free(keys, n);

    assert_int_equal(jwks_parse("{\"keys\":[]}", 11, &keys, &n), KH_OK);
    assert_int_equal(n, 0);
    assert_null(keys);
    jwks_free(NULL, 0);
}

static void test_jwks_parse_malformed(void **state)
{
    (void)state;
    char ec[512];
    snprintf(ec, sizeof ec, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}", a3_x,
             a3_y);
    char docs[12][1200];
    size_t nd = 0;
    snprintf(docs[nd++], 1200, "%s", "");
    snprintf(docs[nd++], 1200, "%s", "[]");
    snprintf(docs[nd++], 1200, "%s", "{}");
    snprintf(docs[nd++], 1200, "%s", "{\"keys\":{}}");
    snprintf(docs[nd++], 1200, "{\"keys\":[%s,1]}", ec);
    snprintf(docs[nd++], 1200, "{\"keys\":[%s,{\"crv\":\"P-256\"}]}", ec);
    snprintf(docs[nd++], 1200, "{\"keys\":[%s],\"keys\":[]}", ec);
    snprintf(docs[nd++], 1200,
             "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}]}");
    snprintf(
        docs[nd++], 1200,
        "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\",\"d\":\"AA\"}]}",
        a3_x, a3_y);
    snprintf(docs[nd++], 1200, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}");
    snprintf(docs[nd++], 1200, "{\"keys\":[%s]} trailing", ec);
    snprintf(docs[nd++], 1200, "{\"keys\":[%s]", ec);
    for (size_t i = 0; i < nd; i++) {
        struct jose_key **keys = (struct jose_key **)0x1;
        size_t n = 77;
        enum kh_status rc = jwks_parse(docs[i], strlen(docs[i]), &keys, &n);
        if (rc != KH_ERR_INVALID)
            fail_msg("doc %zu accepted (rc=%d): %s", i, rc, docs[i]);
        assert_ptr_equal(keys, (struct jose_key **)0x1);
        assert_int_equal(n, 77);
    }

    /* Caps: too many keys, too big a document. */
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_addstr(&b, "{\"keys\":["), KH_OK);
    for (int i = 0; i <= JWKS_KEYS_MAX; i++)
        assert_int_equal(buf_printf(&b, "%s%s", i ? "," : "", ec), KH_OK);
    assert_int_equal(buf_addstr(&b, "]}"), KH_OK);
    struct jose_key **keys = NULL;
    size_t n = 0;
    assert_int_equal(jwks_parse(b.data, b.len, &keys, &n), KH_ERR_TOOBIG);
    assert_int_equal(jwks_parse(b.data, JWKS_DOC_MAX + 1, &keys, &n), KH_ERR_TOOBIG);
    buf_free(&b);
}

static void test_jwks_write(void **state)
{
    (void)state;
    struct jose_key *k[3];
    assert_int_equal(jose_key_generate(JOSE_ES256, &k[0]), KH_OK);
    assert_int_equal(jose_key_generate(JOSE_RS256, &k[1]), KH_OK);
    assert_int_equal(jose_key_generate(JOSE_EDDSA, &k[2]), KH_OK);
    struct buf b;
    struct jsonw w;
    buf_init(&b, 65536);
    jsonw_init(&w, &b);
    jwks_write((const struct jose_key *const *)k, 3, &w);
    assert_int_equal(jsonw_finish(&w), KH_OK);
    assert_int_equal(strncmp(b.data, "{\"keys\":[{\"kty\":\"EC\"", 20), 0);
    /* Private material never appears. */
    assert_null(strstr(b.data, "\"d\""));
    assert_null(strstr(b.data, "\"p\""));
    struct jose_key **keys = NULL;
    size_t n = 0;
    assert_int_equal(jwks_parse(b.data, b.len, &keys, &n), KH_OK);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(jose_key_kid(keys[i]), jose_key_kid(k[i]));
        assert_int_equal(jose_key_alg(keys[i]), jose_key_alg(k[i]));
        assert_false(jose_key_has_private(keys[i]));
    }
    jwks_free(keys, n);
    buf_reset(&b);
    jsonw_init(&w, &b);
    jwks_write(NULL, 0, &w);
    assert_int_equal(jsonw_finish(&w), KH_OK);
    assert_string_equal(b.data, "{\"keys\":[]}");
    buf_free(&b);
    for (size_t i = 0; i < 3; i++)
        jose_key_free(k[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alg_names),
        cmocka_unit_test(test_rfc7638_thumbprint),
        cmocka_unit_test(test_thumbprint_ec_okp),
        cmocka_unit_test(test_jwk_accepts),
        cmocka_unit_test(test_jwk_refusals),
        cmocka_unit_test(test_pkcs8),
        cmocka_unit_test(test_pkcs8_wrong_curve_or_size),
        cmocka_unit_test(test_jwks_parse_skips_unsupported),
        cmocka_unit_test(test_jwks_parse_malformed),
        cmocka_unit_test(test_jwks_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
