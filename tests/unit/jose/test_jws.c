/* test_jws.c - compact JWS: RFC 7515 / 7520 / 8037 vectors, round trips, and
 * every refusal of jws_verify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <pthread.h>

#include "core/arena.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "jose/jwks.h"
#include "jose/jws.h"
#include "jose/key.h"

/* ---- helpers ---- */

static char *b64(const void *p, size_t n)
{
    char *s = malloc(b64url_encoded_len(n) + 1);
    assert_non_null(s);
    b64url_encode(p, n, s);
    return s;
}

static char *b64s(const char *s)
{
    return b64(s, strlen(s));
}

/* Decodes a base64url test value; n_out gets the length. */
static uint8_t *unb64(const char *s, size_t *n_out)
{
    uint8_t *p = malloc(strlen(s) + 1);
    assert_non_null(p);
    assert_int_equal(b64url_decode(s, strlen(s), p, n_out), KH_OK);
    return p;
}

static char *cat3(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 3;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "%s.%s%s%s", a, b, c[0] ? "." : "", c);
    return s;
}

/* header.payload (both already encoded) signed with key: a token whose only
 * flaw is what the test put in the header or payload. */
static char *forge_enc(const struct jose_key *key, const char *h64, const char *p64)
{
    char *input = cat3(h64, p64, "");
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len;
    assert_int_equal(jws_signature(key, input, strlen(input), sig, &sig_len), KH_OK);
    char *s64 = b64(sig, sig_len);
    char *tok = cat3(h64, p64, s64);
    free(input);
    free(s64);
    return tok;
}

static char *forge(const struct jose_key *key, const char *header, const char *payload)
{
    char *h64 = b64s(header), *p64 = b64s(payload);
    char *tok = forge_enc(key, h64, p64);
    free(h64);
    free(p64);
    return tok;
}

static enum kh_status verify1(const char *tok, const struct jose_key *key)
{
    struct arena a;
    struct jws_parsed p;
    arena_init(&a);
    enum kh_status rc = jws_verify(tok, strlen(tok), &key, 1, &a, &p);
    arena_free(&a);
    return rc;
}

static struct jose_key *jwk(const char *json)
{
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_from_jwk(json, strlen(json), &k), KH_OK);
    return k;
}

static char *sign(const struct jose_key *k, const char *typ, const char *payload)
{
    struct buf b;
    buf_init(&b, JWS_TOKEN_MAX);
    assert_int_equal(jws_sign(k, typ, payload, strlen(payload), &b), KH_OK);
    return b.data;
}

static char *header_of(const struct jose_key *k, const char *typ)
{
    char *h = malloc(512);
    assert_non_null(h);
    if (typ)
        snprintf(h, 512, "{\"alg\":\"%s\",\"typ\":\"%s\",\"kid\":\"%s\"}",
                 jose_alg_name(jose_key_alg(k)), typ, jose_key_kid(k));
    else
        snprintf(h, 512, "{\"alg\":\"%s\",\"kid\":\"%s\"}", jose_alg_name(jose_key_alg(k)),
                 jose_key_kid(k));
    return h;
}

/* ---- RFC vectors ---- */

static const char rfc_payload[] =
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";

/* RFC 7515 A.2: RS256 with the RFC 7517 A.1/A.2 key. */
static const char rfc7515_a2_jwk[] =
    "{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_"
    "wWJcyQoTbji9k0l8W26mPddx"
    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGz"
    "jb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3"
    "qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXp"
    "oQ\"}";
static const char rfc7515_a2_token[] =
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5j"
    "ujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L0"
    "7Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUip"
    "UTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

/* RFC 7515 A.3: ES256. */
static const char rfc7515_a3_jwk[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char rfc7515_a3_token[] =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 8037 A.1 (key), A.4 (signing), A.5 (validation). */
static const char rfc8037_d[] = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
static const char rfc8037_jwk[] =
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}";
static const char rfc8037_input[] = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
static const char rfc8037_sig[] =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

/* RFC 7520 §3.4 key and §4.1 (RS256) output. */
static const char *const rfc7520_rsa[][2] = {
    {"n",
     "n4EPtAOCc9AlkeQHPzHStgAbgs7bTZLwUBZdR8_KuKPEHLd4rHVTeT-O-XV2jRojdNhxJWTDvNd7nqQ0VEiZQHz_A"
     "JmSCpMaJMRBSFKrKb2wqVwGU_NsYOYL-QtiWN2lbzcEe6XC0dApr5ydQLrHqkHHig3RBordaZ6Aj-oBHqFEHYpPe7Tp"
     "e-OfVfHd1E6cS6M1FZcD1NNLYD5lFHpPI9bTwJlsde3uhGqC0ZCuEHg8lhzwOHrtIQbS0FVbb9k3-tVTU4fg_3L_vni"
     "UFAKwuCLqKnS2BYwdq_mzSnbLY7h_qixoR7jig3__kRhuaxwUkRz5iaiQkqgc5gHdrNP5zw"},
    {"e", "AQAB"},
    {"d",
     "bWUC9B-EFRIo8kpGfh0ZuyGPvMNKvYWNtB_ikiH9k20eT-O1q_I78eiZkpXxXQ0UTEs2LsNRS-8uJbvQ-A1irkwMS"
     "MkK1J3XTGgdrhCku9gRldY7sNA_AKZGh-Q661_42rINLRCe8W-nZ34ui_qOfkLnK9QWDDqpaIsA-bMwWWSDFu2MUBYw"
     "kHTMEzLYGqOe04noqeq1hExBTHBOBdkMXiuFhUq1BU6l-DqEiWxqg82sXt2h-LMnT3046AOYJoRioz75tSUQfGCshWT"
     "BnP5uDjd18kKhyv07lhfSJdrPdM5Plyl21hsFf4L_mHCuoFau7gdsPfHPxxjVOcOpBrQzwQ"},
    {"rsa-factor1", "3Slxg_DwTXJcb6095RoXygQCAZ5RnAvZlno1yhHtnUex_fp7AZ_9nRaO7HX_-SFfGQeutao2TDjD"
                    "AWU4Vupk8rw9JR0AzZ0N2fvuIAmr_WCsmGpeNqQnev1T7IyEsnh8UMt-n5CafhkikzhEsrmndH6LxO"
                    "rvRJlsPp6Zv8bUq0k"},
    {"rsa-factor2", "uKE2dh-cTf6ERF4k4e_jy78GfPYUIaUyoSSJuBzp3Cubk3OCqs6grT8bR_cu0Dm1MZwWmtdqDyI9"
                    "5HrUeq3MP15vMMON8lHTeZu2lmKvwqW7anV5UzhM1iZ7z4yMkuUwFWoBvyY898EXvRD-hdqRxHlSqA"
                    "Z192zB3pVFJ0s7pFc"},
    {"rsa-exponent1",
     "B8PVvXkvJrj2L-GYQ7v3y9r6Kw5g9SahXBwsWUzp19TVlgI-YV85q1NIb1rxQtD-IsXXR3-Tanev"
     "uRPRt5OBOdiMGQp8pbt26gljYfKU_E9xn-RULHz0-ed9E9gXLKD4VGngpz-PfQ_q29pk5xWHoJp009"
     "Qf1HvChixRX59ehik"},
    {"rsa-exponent2",
     "CLDmDGduhylc9o7r84rEUVn7pzQ6PF83Y-iBZx5NT-TpnOZKF1pErAMVeKzFEl41DlHHqqBLSM0W"
     "1sOFbwTxYWZDm6sI6og5iTbwQGIC3gnJKbi_7k_vJgGHwHxgPaX2PnvP-zyEkDERuf-ry4c_Z11Cq9"
     "AqC2yeL6kdKT1cYF8"},
    {"rsa-coefficient1",
     "3PiqvXQN0zwMeE-sBvZgi289XP9XCQF3VWqPzMKnIgQp7_Tugo6-NZBKCQsMf3HaEGBjTVJs_"
     "jcK8-TRXvaKe-7ZMaQj8VfBdYkssbu0NKDDhjJ-GtiseaDVWt7dcH0cfwxgFUHpQh7FoCrjFJ6"
     "h6ZEpMF6xmujs4qMpPz8aaI4"},
};
static const char rfc7520_41_token[] =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImJpbGJvLmJhZ2dpbnNAaG9iYml0b24uZXhhbXBsZSJ9."
    "SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250by"
    "B0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUg"
    "eW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4."
    "MRjdkly7_-oTPTS3AXP41iQIGKa80A0ZmTuV5MEaHoxnW2e5CZ5NlKtainoFmKZopdHM1O2U4mwzJdQx996ivp83xuglII"
    "7PNDi84wnB-BDkoBwA78185hX-Es4JIwmDLJK3lfWRa-XtL0RnltuYv746iYTh_qHRD68BNt1uSNCrUCTJDt5aAE6x8wW1"
    "Kt9eRo4QPocSadnHXFxnt8Is9UzpERV0ePPQdLuW3IS_de3xyIrDaLGdjluPxUAhb6L2aXic1U12podGU0KLUQSE_oI-Zn"
    "mKJ3F4uOZDnd6QZWJushZ41Axf_fcIe8u9ipH84ogoree7vjbU5y18kDquDg";
static const char rfc7520_payload[] =
    "It\xe2\x80\x99s a dangerous business, Frodo, going out your door. You step onto the road, and "
    "if you don't keep your feet, there\xe2\x80\x99s no knowing where you might be swept off to.";

static void test_rfc7515_a2_rs256(void **state)
{
    (void)state;
    struct jose_key *k = jwk(rfc7515_a2_jwk);
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {k};
    arena_init(&a);
    assert_int_equal(jose_key_alg(k), JOSE_RS256);
    assert_int_equal(jws_verify(rfc7515_a2_token, strlen(rfc7515_a2_token), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.alg, "RS256");
    assert_null(p.kid);
    assert_null(p.typ);
    assert_int_equal(p.payload_len, strlen(rfc_payload));
    assert_string_equal(p.payload, rfc_payload);
    arena_free(&a);
    jose_key_free(k);
}

static void test_rfc7515_a3_es256(void **state)
{
    (void)state;
    struct jose_key *k = jwk(rfc7515_a3_jwk);
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {k};
    arena_init(&a);
    assert_int_equal(jose_key_alg(k), JOSE_ES256);
    assert_int_equal(jws_verify(rfc7515_a3_token, strlen(rfc7515_a3_token), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.alg, "ES256");
    assert_string_equal(p.payload, rfc_payload);
    arena_free(&a);
    jose_key_free(k);
}

/* PKCS#8 for an Ed25519 seed (RFC 8410 §7). */
static struct jose_key *ed25519_from_seed(const char *d64)
{
    static const uint8_t prefix[] = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06,
                                     0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20};
    uint8_t der[sizeof prefix + 32];
    size_t n;
    uint8_t *seed = unb64(d64, &n);
    assert_int_equal(n, 32);
    memcpy(der, prefix, sizeof prefix);
    memcpy(der + sizeof prefix, seed, 32);
    free(seed);
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_from_pkcs8(JOSE_EDDSA, der, sizeof der, &k), KH_OK);
    return k;
}

static void test_rfc8037_ed25519(void **state)
{
    (void)state;
    struct jose_key *priv = ed25519_from_seed(rfc8037_d);
    struct jose_key *pub = jwk(rfc8037_jwk);
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len;
    /* A.4: Ed25519 is deterministic, so the signature is exactly the RFC's. */
    assert_int_equal(jws_signature(priv, rfc8037_input, strlen(rfc8037_input), sig, &sig_len),
                     KH_OK);
    char *s64 = b64(sig, sig_len);
    assert_string_equal(s64, rfc8037_sig);
    /* A.3: thumbprint; both halves agree on it. */
    assert_string_equal(jose_key_kid(pub), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    assert_string_equal(jose_key_kid(priv), jose_key_kid(pub));
    /* A.5: validation with the public key. */
    size_t n = strlen(rfc8037_input) + 1 + strlen(rfc8037_sig) + 1;
    char *tok = malloc(n);
    snprintf(tok, n, "%s.%s", rfc8037_input, rfc8037_sig);
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {pub};
    arena_init(&a);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.alg, "EdDSA");
    assert_string_equal(p.payload, "Example of Ed25519 signing");
    arena_free(&a);
    free(tok);
    free(s64);
    jose_key_free(priv);
    jose_key_free(pub);
}

static struct jose_key *rfc7520_private(void)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn[8];
    for (size_t i = 0; i < 8; i++) {
        size_t n;
        uint8_t *raw = unb64(rfc7520_rsa[i][1], &n);
        bn[i] = BN_bin2bn(raw, (int)n, NULL);
        free(raw);
        assert_true(OSSL_PARAM_BLD_push_BN(bld, rfc7520_rsa[i][0], bn[i]));
    }
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(c), 1);
    assert_int_equal(EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_KEYPAIR, params), 1);
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(pkey);
    uint8_t *der = NULL;
    int len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
    assert_true(len > 0);
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_from_pkcs8(JOSE_RS256, der, (size_t)len, &k), KH_OK);
    OPENSSL_clear_free(der, (size_t)len);
    PKCS8_PRIV_KEY_INFO_free(p8);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(c);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < 8; i++)
        BN_free(bn[i]);
    return k;
}

static void test_rfc7520_41_rs256(void **state)
{
    (void)state;
    char json[1024];
    snprintf(json, sizeof json,
             "{\"kty\":\"RSA\",\"kid\":\"bilbo.baggins@hobbiton.example\",\"use\":\"sig\","
             "\"n\":\"%s\",\"e\":\"AQAB\"}",
             rfc7520_rsa[0][1]);
    struct jose_key *pub = jwk(json);
    struct jose_key *priv = rfc7520_private();
    assert_string_equal(jose_key_kid(pub), "bilbo.baggins@hobbiton.example");

    /* Verification of the RFC's token, selected by its kid. */
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {priv, pub};
    arena_init(&a);
    assert_int_equal(jws_verify(rfc7520_41_token, strlen(rfc7520_41_token), set, 2, &a, &p), KH_OK);
    assert_string_equal(p.kid, "bilbo.baggins@hobbiton.example");
    assert_string_equal(p.payload, rfc7520_payload);
    arena_free(&a);

    /* RSASSA-PKCS1-v1_5 is deterministic: signing gives the RFC's signature. */
    const char *last_dot = strrchr(rfc7520_41_token, '.');
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len;
    assert_int_equal(
        jws_signature(priv, rfc7520_41_token, (size_t)(last_dot - rfc7520_41_token), sig, &sig_len),
        KH_OK);
    char *s64 = b64(sig, sig_len);
    assert_string_equal(s64, last_dot + 1);
    free(s64);
    jose_key_free(pub);
    jose_key_free(priv);
}

/* ---- round trips ---- */

static void roundtrip(enum jose_alg alg)
{
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_generate(alg, &k), KH_OK);
    char *tok = sign(k, "at+jwt", "{\"sub\":\"alice\"}");

    /* The header is exactly the documented one. */
    char *expect = header_of(k, "at+jwt");
    char *h64 = b64s(expect);
    assert_int_equal(strncmp(tok, h64, strlen(h64)), 0);
    assert_int_equal(tok[strlen(h64)], '.');
    free(h64);
    free(expect);

    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {k};
    arena_init(&a);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.alg, jose_alg_name(alg));
    assert_string_equal(p.kid, jose_key_kid(k));
    assert_string_equal(p.typ, "at+jwt");
    assert_string_equal(p.payload, "{\"sub\":\"alice\"}");
    arena_free(&a);

    /* PKCS#8 out and back in: same key, same kid, verifies the same token. */
    uint8_t *der = NULL;
    size_t der_len = 0;
    assert_int_equal(jose_key_to_pkcs8(k, &der, &der_len), KH_OK);
    struct jose_key *k2 = NULL;
    assert_int_equal(jose_key_from_pkcs8(alg, der, der_len, &k2), KH_OK);
    secret_wipe(der, der_len);
    free(der);
    assert_string_equal(jose_key_kid(k2), jose_key_kid(k));
    assert_int_equal(verify1(tok, k2), KH_OK);

    /* JWK out, JWKS in: the public key verifies, has no private half. */
    struct buf b;
    struct jsonw w;
    buf_init(&b, 65536);
    jsonw_init(&w, &b);
    const struct jose_key *both[] = {k, k2};
    jwks_write(both, 1, &w);
    assert_int_equal(jsonw_finish(&w), KH_OK);
    struct jose_key **keys = NULL;
    size_t n_keys = 0;
    assert_int_equal(jwks_parse(b.data, b.len, &keys, &n_keys), KH_OK);
    assert_int_equal(n_keys, 1);
    assert_false(jose_key_has_private(keys[0]));
    assert_string_equal(jose_key_kid(keys[0]), jose_key_kid(k));
    assert_int_equal(jose_key_alg(keys[0]), alg);
    arena_init(&a);
    assert_int_equal(
        jws_verify(tok, strlen(tok), (const struct jose_key *const *)keys, n_keys, &a, &p), KH_OK);
    arena_free(&a);
    /* A public key cannot sign. */
    struct buf o;
    buf_init(&o, 4096);
    assert_int_equal(jws_sign(keys[0], NULL, "{}", 2, &o), KH_ERR_INVALID);
    assert_int_equal(o.len, 0);
    buf_free(&o);

    jwks_free(keys, n_keys);
    buf_free(&b);
    jose_key_free(k2);
    jose_key_free(k);
    free(tok);
}

static void test_roundtrip_es256(void **state)
{
    (void)state;
    roundtrip(JOSE_ES256);
}

static void test_roundtrip_rs256(void **state)
{
    (void)state;
    roundtrip(JOSE_RS256);
}

static void test_roundtrip_eddsa(void **state)
{
    (void)state;
    roundtrip(JOSE_EDDSA);
}

static void test_sign_no_typ_and_escaping(void **state)
{
    (void)state;
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_generate(JOSE_EDDSA, &k), KH_OK);
    char *tok = sign(k, NULL, "x");
    char *h = header_of(k, NULL);
    char *h64 = b64s(h);
    assert_int_equal(strncmp(tok, h64, strlen(h64)), 0);
    free(h64);
    free(h);
    free(tok);

    /* typ is JSON-escaped; the result still verifies and reads back. */
    tok = sign(k, "a\"b\\c", "x");
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {k};
    arena_init(&a);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.typ, "a\"b\\c");
    arena_free(&a);
    free(tok);

    /* A cap that is too small leaves the buffer as it was. */
    struct buf b;
    buf_init(&b, 40);
    assert_int_equal(buf_addstr(&b, "prefix"), KH_OK);
    assert_int_equal(jws_sign(k, "at+jwt", "{}", 2, &b), KH_ERR_TOOBIG);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "prefix");
    buf_free(&b);
    /* Appends after existing content. */
    buf_init(&b, 4096);
    assert_int_equal(buf_addstr(&b, "Bearer "), KH_OK);
    assert_int_equal(jws_sign(k, "at+jwt", "{}", 2, &b), KH_OK);
    assert_int_equal(verify1(b.data + 7, k), KH_OK);
    buf_free(&b);
    jose_key_free(k);
}

/* A large payload crosses the chunked encoder's boundaries. */
static void test_sign_large_payload(void **state)
{
    (void)state;
    struct jose_key *k = NULL;
    assert_int_equal(jose_key_generate(JOSE_ES256, &k), KH_OK);
    char payload[5000];
    for (size_t i = 0; i < sizeof payload - 1; i++)
        payload[i] = (char)('a' + i % 26);
    payload[sizeof payload - 1] = '\0';
    char *tok = sign(k, "JWT", payload);
    struct arena a;
    struct jws_parsed p;
    const struct jose_key *set[] = {k};
    arena_init(&a);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 1, &a, &p), KH_OK);
    assert_string_equal(p.payload, payload);
    arena_free(&a);
    free(tok);
    jose_key_free(k);
}

/* ---- refusals ---- */

struct fixture {
    struct jose_key *es, *rs, *ed;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f || jose_key_generate(JOSE_ES256, &f->es) || jose_key_generate(JOSE_RS256, &f->rs)
        || jose_key_generate(JOSE_EDDSA, &f->ed))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    jose_key_free(f->es);
    jose_key_free(f->rs);
    jose_key_free(f->ed);
    free(f);
    return 0;
}

static void test_refuse_alg_none(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {"none", "None", "NONE", "nOnE"};
    for (size_t i = 0; i < 4; i++) {
        char h[256];
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"kid\":\"%s\"}", names[i], jose_key_kid(f->es));
        char *h64 = b64s(h), *p64 = b64s("{}");
        char *tok = cat3(h64, p64, "");
        size_t n = strlen(tok) + 2;
        char *tok_dot = malloc(n);
        snprintf(tok_dot, n, "%s.", tok);
        assert_int_not_equal(verify1(tok_dot, f->es), KH_OK);
        assert_int_not_equal(verify1(tok, f->es), KH_OK); /* two segments */
        free(tok_dot);
        free(tok);
        free(h64);
        free(p64);
    }
}

/* The classic confusion: HS256 keyed with the public key's bytes, in every
 * form a verifier might have them (SPKI DER, PEM, JWK). */
static void test_refuse_hs256_with_public_key(void **state)
{
    struct fixture *f = *state;
    const struct jose_key *keys[] = {f->rs, f->es};
    for (size_t i = 0; i < 2; i++) {
        struct buf jw;
        struct jsonw w;
        buf_init(&jw, 8192);
        jsonw_init(&w, &jw);
        jose_key_write_jwk(keys[i], &w);
        assert_int_equal(jsonw_finish(&w), KH_OK);
        char h[256];
        snprintf(h, sizeof h, "{\"alg\":\"HS256\",\"kid\":\"%s\"}", jose_key_kid(keys[i]));
        char *h64 = b64s(h), *p64 = b64s("{\"sub\":\"mallory\"}");
        char *input = cat3(h64, p64, "");
        uint8_t mac[32];
        size_t mac_len;
        assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, jw.data, jw.len,
                                  (const uint8_t *)input, strlen(input), mac, sizeof mac,
                                  &mac_len));
        char *m64 = b64(mac, mac_len);
        char *tok = cat3(h64, p64, m64);
        assert_int_equal(verify1(tok, keys[i]), KH_ERR_DENIED);
        struct arena a;
        struct jws_parsed p;
        arena_init(&a);
        assert_int_equal(jws_verify(tok, strlen(tok), keys, 2, &a, &p), KH_ERR_DENIED);
        arena_free(&a);
        free(tok);
        free(m64);
        free(input);
        free(h64);
        free(p64);
        buf_free(&jw);
    }
}

static void test_refuse_alg_mismatch(void **state)
{
    struct fixture *f = *state;
    static const char *const algs[] = {"RS256", "EdDSA", "ES384", "es256", "HS256", "PS256"};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char h[256];
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"kid\":\"%s\"}", algs[i], jose_key_kid(f->es));
        char *tok = forge(f->es, h, "{}");
        assert_int_equal(verify1(tok, f->es), KH_ERR_DENIED);
        free(tok);
    }
    /* An RS256 key with an ES256 header. */
    char h[256];
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", jose_key_kid(f->rs));
    char *tok = forge(f->rs, h, "{}");
    assert_int_equal(verify1(tok, f->rs), KH_ERR_DENIED);
    free(tok);
}

static void test_kid_selection(void **state)
{
    struct fixture *f = *state;
    const struct jose_key *set[] = {f->es, f->rs, f->ed};
    struct arena a;
    struct jws_parsed p;
    arena_init(&a);

    /* Unknown kid: not found, even with a single key. */
    char *tok = forge(f->es, "{\"alg\":\"ES256\",\"kid\":\"nope\"}", "{}");
    assert_int_equal(jws_verify(tok, strlen(tok), set, 3, &a, &p), KH_ERR_NOTFOUND);
    assert_int_equal(verify1(tok, f->es), KH_ERR_NOTFOUND);
    free(tok);

    /* No kid: only with exactly one key. */
    tok = forge(f->es, "{\"alg\":\"ES256\"}", "{}");
    assert_int_equal(verify1(tok, f->es), KH_OK);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 3, &a, &p), KH_ERR_DENIED);
    assert_int_equal(jws_verify(tok, strlen(tok), set, 0, &a, &p), KH_ERR_NOTFOUND);
    free(tok);

    /* The right key among several. */
    tok = sign(f->ed, "at+jwt", "{}");
    assert_int_equal(jws_verify(tok, strlen(tok), set, 3, &a, &p), KH_OK);
    /* Two keys with the same kid: ambiguous. */
    const struct jose_key *dup[] = {f->ed, f->ed};
    assert_int_equal(jws_verify(tok, strlen(tok), dup, 2, &a, &p), KH_ERR_DENIED);
    /* A key of another set with the same kid cannot verify it. */
    free(tok);

    /* kid of the wrong type. */
    tok = forge(f->es, "{\"alg\":\"ES256\",\"kid\":42}", "{}");
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    arena_free(&a);
}

static void test_refuse_header_members(void **state)
{
    struct fixture *f = *state;
    static const char *const members[] = {
        "\"jwk\":{\"kty\":\"EC\"}",
        "\"jku\":\"https://evil.example/jwks\"",
        "\"x5u\":\"https://evil.example/cert\"",
        "\"x5c\":[\"MIIB\"]",
        "\"x5t\":\"abc\"",
        "\"x5t#S256\":\"abc\"",
        "\"crit\":[\"exp\"]",
        "\"crit\":[]",
        "\"b64\":false",
        "\"b64\":true",
    };
    for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
        char h[512];
        snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\",%s}", jose_key_kid(f->es),
                 members[i]);
        char *tok = forge(f->es, h, "{}");
        assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
        free(tok);
    }
    /* Unknown members are ignored (RFC 7515 4). */
    char h[512];
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"cty\":\"JWT\",\"zzz\":[1]}",
             jose_key_kid(f->es));
    char *tok = forge(f->es, h, "{}");
    assert_int_equal(verify1(tok, f->es), KH_OK);
    free(tok);
}

static void test_refuse_duplicate_header_key(void **state)
{
    struct fixture *f = *state;
    char h[512];
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"%s\"}",
             jose_key_kid(f->es));
    char *tok = forge(f->es, h, "{}");
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\",\"kid\":\"other\"}",
             jose_key_kid(f->es));
    tok = forge(f->es, h, "{}");
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    /* Not an object, not JSON. */
    tok = forge(f->es, "[\"ES256\"]", "{}");
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    tok = forge(f->es, "{\"alg\":\"ES256\"", "{}");
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
}

/* Appends pad to a copy of s. */
static char *with_suffix(const char *s, const char *pad)
{
    size_t n = strlen(s) + strlen(pad) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%s%s", s, pad);
    return r;
}

static void test_refuse_padded_b64(void **state)
{
    struct fixture *f = *state;
    /* Header of 37+kid bytes; pick a header whose length is not a multiple of 3. */
    char h[256];
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", jose_key_kid(f->es));
    size_t hl = strlen(h);
    if (hl % 3 == 0)
        snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\" }", jose_key_kid(f->es));
    hl = strlen(h);
    char *h64 = b64s(h);
    char *h64p = with_suffix(h64, hl % 3 == 1 ? "==" : "=");
    char *p64 = b64s("{}"); /* 2 bytes: "e30", padded "e30=" */
    char *p64p = with_suffix(p64, "=");

    char *tok = forge_enc(f->es, h64p, p64);
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    tok = forge_enc(f->es, h64, p64p);
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    /* Padded signature: 64 bytes encode to 86 chars + "==". */
    tok = forge_enc(f->es, h64, p64);
    assert_int_equal(verify1(tok, f->es), KH_OK);
    char *tokp = with_suffix(tok, "==");
    assert_int_equal(verify1(tokp, f->es), KH_ERR_INVALID);
    free(tokp);
    /* Standard-alphabet characters are not base64url. */
    char *plus = strdup(tok);
    char *sig = strrchr(plus, '.') + 1;
    sig[3] = sig[3] == '-' ? '+' : sig[3] == '_' ? '/' : '+';
    assert_int_equal(verify1(plus, f->es), KH_ERR_INVALID);
    free(plus);
    free(tok);
    free(h64);
    free(h64p);
    free(p64);
    free(p64p);
}

static char b64_next(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const char *p = strchr(alphabet, c);
    return p[1] ? p[1] : alphabet[0];
}

static void test_refuse_noncanonical_b64(void **state)
{
    struct fixture *f = *state;
    char h[256];
    snprintf(h, sizeof h, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", jose_key_kid(f->es));
    char *h64 = b64s(h);
    /* "{}" is 2 bytes: "e30", the last char carries 2 unused bits. */
    char *p64 = b64s("{}");
    assert_string_equal(p64, "e30");
    p64[2] = b64_next(p64[2]); /* "e31": decodes to the same bytes, non-canonically */
    char *tok = forge_enc(f->es, h64, p64);
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    /* The signature: 64 bytes end in a 2-char group with 4 unused bits. */
    tok = forge_enc(f->es, h64, "e30");
    size_t n = strlen(tok);
    tok[n - 1] = b64_next(tok[n - 1]);
    assert_int_equal(verify1(tok, f->es), KH_ERR_INVALID);
    free(tok);
    free(h64);
    free(p64);
}

static void test_refuse_bad_signatures(void **state)
{
    struct fixture *f = *state;
    char *tok = sign(f->es, "at+jwt", "{\"sub\":\"alice\"}");
    assert_int_equal(verify1(tok, f->es), KH_OK);
    char *dot = strrchr(tok, '.');
    size_t input_len = (size_t)(dot - tok);
    size_t sig_len;
    uint8_t *sig = unb64(dot + 1, &sig_len);
    assert_int_equal(sig_len, 64);

    struct {
        const char *what;
        size_t off; /* 0: r, 32: s */
        int fill; /* -1: the group order n, -2: all 0xff */
    } cases[] = {
        {"r=0", 0, 0},   {"s=0", 32, 0}, {"r=n", 0, -1},
        {"s=n", 32, -1}, {"r>n", 0, -2}, {"s>n", 32, -2},
    };
    static const uint8_t order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
        0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bad[64];
        memcpy(bad, sig, 64);
        if (cases[i].fill == -1)
            memcpy(bad + cases[i].off, order, 32);
        else
            memset(bad + cases[i].off, cases[i].fill == -2 ? 0xff : 0, 32);
        char *s64 = b64(bad, 64);
        char *t = malloc(input_len + strlen(s64) + 2);
        memcpy(t, tok, input_len + 1);
        memcpy(t + input_len + 1, s64, strlen(s64) + 1);
        assert_int_equal(verify1(t, f->es), KH_ERR_DENIED);
        free(t);
        free(s64);
    }

    /* Truncated signatures: cut text (never OK), cut bytes re-encoded (denied),
     * empty; then a DER signature of the same input. */
    char *t = strdup(tok);
    t[strlen(t) - 4] = '\0';
    assert_int_not_equal(verify1(t, f->es), KH_OK);
    free(t);
    static const size_t cuts[] = {63, 61, 32, 0};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char *s64 = b64(sig, cuts[i]);
        t = malloc(input_len + strlen(s64) + 2);
        memcpy(t, tok, input_len + 1);
        memcpy(t + input_len + 1, s64, strlen(s64) + 1);
        assert_int_equal(verify1(t, f->es), KH_ERR_DENIED);
        free(t);
        free(s64);
    }

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t der[80];
    size_t der_len = sizeof der;
    /* The key's EVP_PKEY is private to the module: re-import its PKCS#8. */
    uint8_t *p8 = NULL;
    size_t p8_len = 0;
    assert_int_equal(jose_key_to_pkcs8(f->es, &p8, &p8_len), KH_OK);
    const uint8_t *pp = p8;
    EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &pp, (long)p8_len);
    assert_non_null(pkey);
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey), 1);
    assert_int_equal(EVP_DigestSign(ctx, der, &der_len, (const uint8_t *)tok, input_len), 1);
    char *d64 = b64(der, der_len);
    t = malloc(input_len + strlen(d64) + 2);
    memcpy(t, tok, input_len + 1);
    memcpy(t + input_len + 1, d64, strlen(d64) + 1);
    assert_int_equal(verify1(t, f->es), KH_ERR_DENIED);
    free(t);
    free(d64);
    EVP_PKEY_free(pkey);
    EVP_MD_CTX_free(ctx);
    secret_wipe(p8, p8_len);
    free(p8);

    /* Modified payload, signature of another key, flipped signature bit. */
    char *p64 = b64s("{\"sub\":\"admin\"}");
    char *h64 = strndup(tok, (size_t)(strchr(tok, '.') - tok));
    t = cat3(h64, p64, dot + 1);
    assert_int_equal(verify1(t, f->es), KH_ERR_DENIED);
    free(t);
    free(h64);
    free(p64);
    struct jose_key *other = NULL;
    assert_int_equal(jose_key_generate(JOSE_ES256, &other), KH_OK);
    t = sign(other, "at+jwt", "{\"sub\":\"alice\"}");
    char *mixed = malloc(input_len + strlen(strrchr(t, '.')) + 1);
    memcpy(mixed, tok, input_len);
    memcpy(mixed + input_len, strrchr(t, '.'), strlen(strrchr(t, '.')) + 1);
    assert_int_equal(verify1(mixed, f->es), KH_ERR_DENIED);
    free(mixed);
    free(t);
    jose_key_free(other);
    sig[10] ^= 1;
    char *s64 = b64(sig, 64);
    t = malloc(input_len + strlen(s64) + 2);
    memcpy(t, tok, input_len + 1);
    memcpy(t + input_len + 1, s64, strlen(s64) + 1);
    assert_int_equal(verify1(t, f->es), KH_ERR_DENIED);
    free(t);
    free(s64);
    free(sig);
    free(tok);
}

static void test_refuse_bad_signatures_rsa_ed(void **state)
{
    struct fixture *f = *state;
    const struct jose_key *keys[] = {f->rs, f->ed};
    for (size_t i = 0; i < 2; i++) {
        char *tok = sign(keys[i], "at+jwt", "{}");
        assert_int_equal(verify1(tok, keys[i]), KH_OK);
        char *t = strdup(tok);
        t[strlen(t) - 4] = '\0'; /* truncated */
        assert_int_not_equal(verify1(t, keys[i]), KH_OK);
        free(t);
        /* One byte short, canonically encoded. */
        char *dot = strrchr(tok, '.');
        size_t sig_len;
        uint8_t *sig = unb64(dot + 1, &sig_len);
        char *s64 = b64(sig, sig_len - 1);
        t = malloc((size_t)(dot - tok) + strlen(s64) + 2);
        memcpy(t, tok, (size_t)(dot - tok) + 1);
        memcpy(t + (dot - tok) + 1, s64, strlen(s64) + 1);
        assert_int_equal(verify1(t, keys[i]), KH_ERR_DENIED);
        free(t);
        free(s64);
        free(sig);
        t = strdup(tok);
        char *c = strrchr(t, '.') + 5;
        *c = *c == 'A' ? 'B' : 'A'; /* flipped bits */
        assert_int_equal(verify1(t, keys[i]), KH_ERR_DENIED);
        free(t);
        free(tok);
    }
}

static void test_refuse_structure(void **state)
{
    struct fixture *f = *state;
    char *tok = sign(f->es, NULL, "{}");
    static const char *const bad[] = {"",    ".",       "..",       "...",
                                      "a.b", "a.b.c.d", "e30.e30.", ".e30.e30"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(verify1(bad[i], f->es), KH_OK);
    char *t = with_suffix(tok, ".");
    assert_int_equal(verify1(t, f->es), KH_ERR_INVALID);
    free(t);
    t = with_suffix(tok, " ");
    assert_int_equal(verify1(t, f->es), KH_ERR_INVALID);
    free(t);
    /* A NUL inside the token (length given explicitly). */
    t = strdup(tok);
    t[5] = '\0';
    struct arena a;
    struct jws_parsed p;
    arena_init(&a);
    assert_int_equal(jws_verify(t, strlen(tok), (const struct jose_key *const *)&f->es, 1, &a, &p),
                     KH_ERR_INVALID);
    free(t);
    /* Longer than 16 KiB, even with a valid signature. */
    char *big = malloc(20000);
    memset(big, 'a', 19999);
    big[19999] = '\0';
    struct buf b;
    buf_init(&b, 65536);
    assert_int_equal(jws_sign(f->es, NULL, big, 13000, &b), KH_OK);
    assert_true(b.len > JWS_TOKEN_MAX);
    assert_int_equal(jws_verify(b.data, b.len, (const struct jose_key *const *)&f->es, 1, &a, &p),
                     KH_ERR_INVALID);
    buf_reset(&b);
    assert_int_equal(jws_sign(f->es, NULL, big, 11000, &b), KH_OK);
    assert_true(b.len <= JWS_TOKEN_MAX);
    assert_int_equal(jws_verify(b.data, b.len, (const struct jose_key *const *)&f->es, 1, &a, &p),
                     KH_OK);
    buf_free(&b);
    free(big);
    arena_free(&a);
    free(tok);
}

/* One key, many threads: the key is immutable and the EVP templates are only read. */
static void *thread_main(void *arg)
{
    const struct jose_key *k = arg;
    for (int i = 0; i < 50; i++) {
        struct buf b;
        struct arena a;
        struct jws_parsed p;
        buf_init(&b, 4096);
        arena_init(&a);
        if (jws_sign(k, "at+jwt", "{\"i\":1}", 7, &b) || jws_verify(b.data, b.len, &k, 1, &a, &p))
            return (void *)1;
        arena_free(&a);
        buf_free(&b);
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct fixture *f = *state;
    const struct jose_key *keys[] = {f->es, f->ed};
    for (size_t k = 0; k < 2; k++) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            assert_int_equal(pthread_create(&t[i], NULL, thread_main, (void *)keys[k]), 0);
        for (int i = 0; i < 4; i++) {
            void *res;
            assert_int_equal(pthread_join(t[i], &res), 0);
            assert_null(res);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7515_a2_rs256),
        cmocka_unit_test(test_rfc7515_a3_es256),
        cmocka_unit_test(test_rfc8037_ed25519),
        cmocka_unit_test(test_rfc7520_41_rs256),
        cmocka_unit_test(test_roundtrip_es256),
        cmocka_unit_test(test_roundtrip_rs256),
        cmocka_unit_test(test_roundtrip_eddsa),
        cmocka_unit_test(test_sign_no_typ_and_escaping),
        cmocka_unit_test(test_sign_large_payload),
        cmocka_unit_test_setup_teardown(test_refuse_alg_none, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_hs256_with_public_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_alg_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kid_selection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_header_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_duplicate_header_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_padded_b64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_noncanonical_b64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_bad_signatures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_bad_signatures_rsa_ed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
