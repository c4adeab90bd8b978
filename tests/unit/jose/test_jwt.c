/* test_jwt.c - jwt_verify: claims extraction and every claim refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/b64.h"
#include "core/buf.h"
#include "jose/jws.h"
#include "jose/jwt.h"
#include "jose/key.h"

#define NOW 1700000000
#define ISS "https://id.example/realms/main"

static struct jose_key *key;

static int setup(void **state)
{
    (void)state;
    return jose_key_generate(JOSE_ES256, &key) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    jose_key_free(key);
    return 0;
}

static const struct jwt_expect expect = {
    .issuer = ISS,
    .audience = "api",
    .typ = "at+jwt",
    .now = NOW,
    .leeway = 30,
};

/* Signs payload with the fixture key and runs jwt_verify with ex. */
static enum kh_status check(const char *typ, const char *payload, const struct jwt_expect *ex)
{
    struct buf b;
    struct arena a;
    struct jwt_claims c;
    buf_init(&b, JWS_TOKEN_MAX);
    arena_init(&a);
    assert_int_equal(jws_sign(key, typ, payload, strlen(payload), &b), KH_OK);
    const struct jose_key *set[] = {key};
    enum kh_status rc = jwt_verify(b.data, b.len, set, 1, ex, &a, &c);
    arena_free(&a);
    buf_free(&b);
    return rc;
}

/* A payload with the standard claims; fields set to NULL/0 are left out. */
static char *claims(const char *iss, const char *aud_json, long long exp, long long nbf,
                    long long iat)
{
    char *s = malloc(1024);
    int n = snprintf(s, 1024, "{\"sub\":\"u1\"");
    if (iss)
        n += snprintf(s + n, 1024 - (size_t)n, ",\"iss\":\"%s\"", iss);
    if (aud_json)
        n += snprintf(s + n, 1024 - (size_t)n, ",\"aud\":%s", aud_json);
    if (exp)
        n += snprintf(s + n, 1024 - (size_t)n, ",\"exp\":%lld", exp);
    if (nbf)
        n += snprintf(s + n, 1024 - (size_t)n, ",\"nbf\":%lld", nbf);
    if (iat)
        n += snprintf(s + n, 1024 - (size_t)n, ",\"iat\":%lld", iat);
    snprintf(s + n, 1024 - (size_t)n, "}");
    return s;
}

static enum kh_status check_claims(const char *iss, const char *aud, long long exp, long long nbf,
                                   long long iat)
{
    char *p = claims(iss, aud, exp, nbf, iat);
    enum kh_status rc = check("at+jwt", p, &expect);
    free(p);
    return rc;
}

static void test_valid_token_claims(void **state)
{
    (void)state;
    const char *payload =
        "{\"iss\":\"" ISS "\",\"sub\":\"u1\",\"aud\":[\"other\",\"api\"],\"exp\":1700000300,"
        "\"iat\":1700000000,\"nbf\":1699999990,\"jti\":\"j1\",\"client_id\":\"cli\","
        "\"azp\":\"cli\",\"scope\":\"users:read imports:manage\",\"sid\":\"s1\","
        "\"preferred_username\":\"alice\",\"realm_access\":{\"roles\":[\"admin\"]}}";
    struct buf b;
    struct arena a;
    struct jwt_claims c;
    buf_init(&b, JWS_TOKEN_MAX);
    arena_init(&a);
    assert_int_equal(jws_sign(key, "at+jwt", payload, strlen(payload), &b), KH_OK);
    const struct jose_key *set[] = {key};
    assert_int_equal(jwt_verify(b.data, b.len, set, 1, &expect, &a, &c), KH_OK);
    assert_string_equal(c.iss, ISS);
    assert_string_equal(c.sub, "u1");
    assert_string_equal(c.aud, "api");
    assert_string_equal(c.jti, "j1");
    assert_string_equal(c.client_id, "cli");
    assert_string_equal(c.azp, "cli");
    assert_string_equal(c.scope, "users:read imports:manage");
    assert_string_equal(c.sid, "s1");
    assert_string_equal(c.preferred_username, "alice");
    assert_string_equal(c.typ, "at+jwt");
    assert_int_equal(c.exp, 1700000300);
    assert_int_equal(c.iat, 1700000000);
    assert_int_equal(c.nbf, 1699999990);
    assert_string_equal(c.payload_json, payload);
    arena_free(&a);
    buf_free(&b);

    /* Absent optional claims read as NULL / 0. */
    char *p = claims(ISS, "\"api\"", NOW + 60, 0, 0);
    buf_init(&b, JWS_TOKEN_MAX);
    arena_init(&a);
    assert_int_equal(jws_sign(key, "at+jwt", p, strlen(p), &b), KH_OK);
    assert_int_equal(jwt_verify(b.data, b.len, set, 1, &expect, &a, &c), KH_OK);
    assert_null(c.jti);
    assert_null(c.scope);
    assert_int_equal(c.iat, 0);
    assert_int_equal(c.nbf, 0);
    arena_free(&a);
    buf_free(&b);
    free(p);
}

static void test_expiry(void **state)
{
    (void)state;
    /* Valid while exp > now - leeway. */
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, 0, NOW), KH_OK);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW - 29, 0, 0), KH_OK);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW - 30, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW - 3600, 0, 0), KH_ERR_DENIED);
    /* exp is required. */
    assert_int_equal(check_claims(ISS, "\"api\"", 0, 0, NOW), KH_ERR_DENIED);
    /* Fractions round towards refusal. */
    assert_int_equal(
        check("at+jwt", "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1699999970.5}", &expect),
        KH_ERR_DENIED);
    assert_int_equal(
        check("at+jwt", "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000100.5}", &expect),
        KH_OK);
    /* Huge and non-numeric values. */
    assert_int_equal(
        check("at+jwt", "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1e300}", &expect),
        KH_ERR_INVALID);
    assert_int_equal(
        check("at+jwt", "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":\"2099\"}", &expect),
        KH_ERR_INVALID);
    assert_int_equal(check_claims(ISS, "\"api\"", INT64_MAX, 0, 0), KH_OK);
    /* No leeway, and a now near the edge of int64. */
    struct jwt_expect ex = expect;
    ex.leeway = 0;
    assert_int_equal(check_claims(ISS, "\"api\"", NOW, 0, 0), KH_OK); /* leeway 30 */
    char *p = claims(ISS, "\"api\"", NOW, 0, 0);
    assert_int_equal(check("at+jwt", p, &ex), KH_ERR_DENIED);
    free(p);
    ex.now = INT64_MIN;
    ex.leeway = INT64_MAX;
    p = claims(ISS, "\"api\"", -5, 0, 0);
    assert_int_equal(check("at+jwt", p, &ex), KH_OK);
    free(p);
}

static void test_not_before_and_issued_at(void **state)
{
    (void)state;
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, NOW + 30, 0), KH_OK);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, NOW + 31, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, NOW + 3600, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, 0, NOW + 30), KH_OK);
    assert_int_equal(check_claims(ISS, "\"api\"", NOW + 300, 0, NOW + 31), KH_ERR_DENIED);
    assert_int_equal(check("at+jwt",
                           "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300,"
                           "\"nbf\":1700000030.1}",
                           &expect),
                     KH_ERR_DENIED);
}

static void test_issuer(void **state)
{
    (void)state;
    assert_int_equal(check_claims("https://evil.example/realms/main", "\"api\"", NOW + 300, 0, 0),
                     KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS "/", "\"api\"", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims("https://ID.example/realms/main", "\"api\"", NOW + 300, 0, 0),
                     KH_ERR_DENIED);
    assert_int_equal(check_claims(NULL, "\"api\"", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check("at+jwt", "{\"iss\":1,\"aud\":\"api\",\"exp\":1700000300}", &expect),
                     KH_ERR_INVALID);
}

static void test_audience(void **state)
{
    (void)state;
    assert_int_equal(check_claims(ISS, "\"other\"", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "\"API\"", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "[\"a\",\"b\"]", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "[]", NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, NULL, NOW + 300, 0, 0), KH_ERR_DENIED);
    assert_int_equal(check_claims(ISS, "[\"api\"]", NOW + 300, 0, 0), KH_OK);
    assert_int_equal(check_claims(ISS, "[\"a\",\"api\"]", NOW + 300, 0, 0), KH_OK);
    assert_int_equal(check_claims(ISS, "[\"api\",7]", NOW + 300, 0, 0), KH_ERR_INVALID);
    assert_int_equal(check_claims(ISS, "{\"api\":1}", NOW + 300, 0, 0), KH_ERR_INVALID);
}

static void test_typ(void **state)
{
    (void)state;
    char *p = claims(ISS, "\"api\"", NOW + 300, 0, 0);
    assert_int_equal(check("at+jwt", p, &expect), KH_OK);
    assert_int_equal(check("AT+JWT", p, &expect), KH_OK);
    assert_int_equal(check("application/at+jwt", p, &expect), KH_OK);
    assert_int_equal(check("Application/At+Jwt", p, &expect), KH_OK);
    assert_int_equal(check("JWT", p, &expect), KH_ERR_DENIED);
    assert_int_equal(check("application/jwt", p, &expect), KH_ERR_DENIED);
    assert_int_equal(check("at+jwt ", p, &expect), KH_ERR_DENIED);
    assert_int_equal(check("application/", p, &expect), KH_ERR_DENIED);
    assert_int_equal(check("", p, &expect), KH_ERR_DENIED);
    assert_int_equal(check(NULL, p, &expect), KH_ERR_DENIED);
    /* No typ expected: any typ, or none. */
    struct jwt_expect ex = expect;
    ex.typ = NULL;
    assert_int_equal(check(NULL, p, &ex), KH_OK);
    assert_int_equal(check("JWT", p, &ex), KH_OK);
    free(p);
}

static void test_malformed_payload(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "\"str\"",
        "42",
        "null",
        "{",
        "{\"iss\":\"" ISS "\",\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300}",
        "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300} x",
        "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300,\"sub\":5}",
        "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300,\"scope\":[\"a\"]}",
        "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300,\"iat\":true}",
        "{\"iss\":\"" ISS "\",\"aud\":\"api\",\"exp\":1700000300,\"x\":\"\xff\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        enum kh_status rc = check("at+jwt", bad[i], &expect);
        if (rc != KH_ERR_INVALID)
            fail_msg("payload %zu gave %d", i, rc);
    }
}

static void test_expect_required(void **state)
{
    (void)state;
    char *p = claims(ISS, "\"api\"", NOW + 300, 0, 0);
    struct jwt_expect ex = expect;
    ex.issuer = NULL;
    assert_int_equal(check("at+jwt", p, &ex), KH_ERR_INTERNAL);
    ex = expect;
    ex.audience = NULL;
    assert_int_equal(check("at+jwt", p, &ex), KH_ERR_INTERNAL);
    free(p);
}

/* jwt_verify passes the jws_verify refusal through, and writes nothing. */
static void test_signature_first(void **state)
{
    (void)state;
    char *p = claims(ISS, "\"api\"", NOW + 300, 0, 0);
    struct buf b;
    struct arena a;
    struct jwt_claims c;
    memset(&c, 0x5a, sizeof c);
    buf_init(&b, JWS_TOKEN_MAX);
    arena_init(&a);
    assert_int_equal(jws_sign(key, "at+jwt", p, strlen(p), &b), KH_OK);
    b.data[b.len - 3] = b.data[b.len - 3] == 'A' ? 'B' : 'A';
    const struct jose_key *set[] = {key};
    assert_int_not_equal(jwt_verify(b.data, b.len, set, 1, &expect, &a, &c), KH_OK);
    struct jose_key *other = NULL;
    assert_int_equal(jose_key_generate(JOSE_EDDSA, &other), KH_OK);
    buf_reset(&b);
    assert_int_equal(jws_sign(other, "at+jwt", p, strlen(p), &b), KH_OK);
    assert_int_equal(jwt_verify(b.data, b.len, set, 1, &expect, &a, &c), KH_ERR_NOTFOUND);
    const unsigned char *raw = (const unsigned char *)&c;
    for (size_t i = 0; i < sizeof c; i++)
        assert_int_equal(raw[i], 0x5a);
    jose_key_free(other);
    arena_free(&a);
    buf_free(&b);
    free(p);
}

/* A token whose header has no kid, validly signed with the fixture key. */
static char *sign_without_kid(const char *payload)
{
    static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}";
    size_t hn = strlen(header), pn = strlen(payload);
    size_t h64 = b64url_encoded_len(hn), p64 = b64url_encoded_len(pn);
    char *tok = malloc(h64 + p64 + 2 + b64url_encoded_len(JWS_SIG_MAX) + 1);
    b64url_encode((const uint8_t *)header, hn, tok);
    tok[h64] = '.';
    b64url_encode((const uint8_t *)payload, pn, tok + h64 + 1);
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len;
    assert_int_equal(jws_signature(key, tok, h64 + 1 + p64, sig, &sig_len), KH_OK);
    tok[h64 + 1 + p64] = '.';
    b64url_encode(sig, sig_len, tok + h64 + p64 + 2);
    return tok;
}

/* require_kid: a token without kid is refused even with a valid signature
 * from the only key (accepted when kid is not required). */
static void test_require_kid(void **state)
{
    (void)state;
    char *p = claims(ISS, "\"api\"", NOW + 300, 0, 0);
    char *tok = sign_without_kid(p);
    const struct jose_key *set[] = {key};
    struct arena a;
    struct jwt_claims c;
    arena_init(&a);
    struct jwt_expect ex = expect;
    assert_int_equal(jwt_verify(tok, strlen(tok), set, 1, &ex, &a, &c), KH_OK);
    ex.require_kid = true;
    assert_int_equal(jwt_verify(tok, strlen(tok), set, 1, &ex, &a, &c), KH_ERR_DENIED);
    assert_int_equal(check("at+jwt", p, &ex), KH_OK); /* jws_sign writes the kid */
    arena_free(&a);
    free(tok);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_token_claims),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_not_before_and_issued_at),
        cmocka_unit_test(test_issuer),
        cmocka_unit_test(test_audience),
        cmocka_unit_test(test_typ),
        cmocka_unit_test(test_malformed_payload),
        cmocka_unit_test(test_expect_required),
        cmocka_unit_test(test_signature_first),
        cmocka_unit_test(test_require_kid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
