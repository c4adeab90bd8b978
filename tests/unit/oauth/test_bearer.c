/* test_bearer.c - the access-token verifier and userinfo: JWT and opaque
 * tokens, and every refusal (ID token, expired, revoked, another realm's). */
#include "lifecycle_fixture.h"
#include "core/b64.h"
#include "jose/jws.h"
#include "oauth/bearer.h"
#include "oauth/keyring.h"

static enum kh_status verify(struct fixture *f, const struct realm *r, const char *token, int64_t now,
                             struct bearer *out)
{
    return bearer_verify(&f->oauth, &f->a, r, token, now, out);
}

static struct oauth_outcome revoke_token(struct fixture *f, const char *client, const char *secret, const char *token)
{
    struct client_token_request req = {.realm = &f->realm, .client_id = client, .client_secret = secret,
                                       .token = token};
    return oauth_revoke(&f->oauth, &f->a, &req);
}

static void test_jwt_verified(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "app", NULL, NULL, t);
    struct bearer b;
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    assert_false(b.opaque);
    assert_string_equal(b.sub, r.subject);
    assert_string_equal(b.user_id, r.subject);
    assert_string_equal(b.username, "alice");
    assert_string_equal(b.client_id, "app");
    assert_string_equal(b.scope, "users:read openid");
    assert_string_equal(b.sid, r.session_state);
    assert_non_null(b.jti);
    assert_int_equal(b.iat, t);
    assert_int_equal(b.exp, t + 300);
    /* no leeway: expired at exp */
    assert_int_equal(verify(f, &f->realm, r.access_token, t + 299, &b), KH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t + 300, &b), KH_ERR_DENIED);
    /* a client subject has no user */
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "lone",
                               .client_secret = f->lone_secret, .now = t};
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    assert_null(b.user_id);
    assert_null(b.username);
    assert_null(b.sid);
    /* issued by a clock up to 60 s ahead: still good; further: refused */
    cc.now = t + 60;
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    cc.now = t + 61;
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_ERR_DENIED);
}

static void test_jwt_refusals(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "web", f->web_secret, "openid", t);
    struct bearer b;
    assert_int_equal(verify(f, &f->realm, r.id_token, t, &b), KH_ERR_DENIED);      /* typ JWT */
    assert_int_equal(verify(f, &f->realm, r.refresh_token, t, &b), KH_ERR_DENIED); /* not an access token */
    assert_int_equal(verify(f, &f->realm, "", t, &b), KH_ERR_DENIED);
    assert_int_equal(verify(f, &f->realm, "a.b.c", t, &b), KH_ERR_DENIED);
    char *tampered = arena_strdup(&f->a, r.access_token);
    char *sig = strrchr(tampered, '.') + 1;
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(f, &f->realm, tampered, t, &b), KH_ERR_DENIED);
    /* another realm's token: another issuer and other keys */
    struct token_request other = {.realm = &f->realm2, .grant_type = "password", .client_id = "app",
                                  .username = "alice", .password = "pw-alice2", .now = t};
    struct token_response r2;
    assert_int_equal(fx_token(f, &other, &r2).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm2, r2.access_token, t, &b), KH_OK);
    assert_int_equal(verify(f, &f->realm, r2.access_token, t, &b), KH_ERR_DENIED);
    /* revoked: the jti is remembered */
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    assert_int_equal(revoke_token(f, "web", f->web_secret, r.access_token).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_ERR_DENIED);
}

/* The token's payload under a header of our making, signed with the realm's
 * signing key (arena): only the header differs from what keyhold issues. */
static char *resign(struct fixture *f, const char *token, const char *header)
{
    struct keyset keys;
    assert_int_equal(keyring_get(f->oauth.keyring, &f->realm, &keys), KH_OK);
    const char *p64 = strchr(token, '.') + 1;
    size_t p64_len = (size_t)(strchr(p64, '.') - p64);
    size_t hn = strlen(header), h64 = b64url_encoded_len(hn);
    char *t = arena_alloc(&f->a, h64 + p64_len + 2 + b64url_encoded_len(JWS_SIG_MAX) + 1);
    b64url_encode((const uint8_t *)header, hn, t);
    t[h64] = '.';
    memcpy(t + h64 + 1, p64, p64_len);
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len;
    assert_int_equal(jws_signature(keys.signer, t, h64 + 1 + p64_len, sig, &sig_len), KH_OK);
    t[h64 + 1 + p64_len] = '.';
    b64url_encode(sig, sig_len, t + h64 + p64_len + 2);
    return t;
}

/* keyhold always names its key: a token without kid is refused even when the
 * realm's only key signed it (jws_verify alone would pick that key). */
static void test_jwt_without_kid(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "app", NULL, NULL, t);
    struct keyset keys;
    assert_int_equal(keyring_get(f->oauth.keyring, &f->realm, &keys), KH_OK);
    assert_int_equal(keys.n, 1);
    const char *alg = jose_alg_name(jose_key_alg(keys.signer));
    char with_kid[256], without_kid[128];
    snprintf(with_kid, sizeof with_kid, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}",
             alg, jose_key_kid(keys.signer));
    snprintf(without_kid, sizeof without_kid, "{\"alg\":\"%s\",\"typ\":\"at+jwt\"}", alg);
    struct bearer b;
    assert_int_equal(verify(f, &f->realm, resign(f, r.access_token, with_kid), t, &b), KH_OK);
    assert_int_equal(verify(f, &f->realm, resign(f, r.access_token, without_kid), t, &b),
                     KH_ERR_DENIED);
}

/* Ending the session (logout, or revoking its refresh token) ends its access tokens. */
static void test_session_end_kills_access(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "app", NULL, NULL, t);
    struct bearer b;
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    struct client_token_request req = {.realm = &f->realm, .client_id = "app", .token = r.refresh_token};
    assert_int_equal(oauth_logout(&f->oauth, &f->a, &req).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_ERR_DENIED);
}

static void test_opaque_verified_and_refused(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "opq",
                               .client_secret = f->opq_secret, .now = t};
    struct token_response r;
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    struct bearer b;
    assert_int_equal(verify(f, &f->realm, r.access_token, t + 299, &b), KH_OK);
    assert_true(b.opaque);
    assert_null(b.jti);
    assert_int_equal(b.exp, t + 300);
    assert_int_equal(b.iat, t);
    assert_int_equal(verify(f, &f->realm, r.access_token, t + 300, &b), KH_ERR_DENIED);
    assert_int_equal(verify(f, &f->realm2, r.access_token, t, &b), KH_ERR_DENIED);
    /* a mistyped token fails its checksum; an unknown one is not found */
    char *typo = arena_strdup(&f->a, r.access_token);
    typo[10] = typo[10] == 'a' ? 'b' : 'a';
    assert_int_equal(verify(f, &f->realm, typo, t, &b), KH_ERR_DENIED);
    char unknown[SECRET_LEN + 1];
    secret_new(SECRET_ACCESS, unknown);
    assert_int_equal(verify(f, &f->realm, unknown, t, &b), KH_ERR_DENIED);
    /* another client cannot revoke it; its own client can */
    assert_int_equal(revoke_token(f, "web", f->web_secret, r.access_token).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_OK);
    assert_int_equal(revoke_token(f, "opq", f->opq_secret, r.access_token).error, OAUTH_OK);
    assert_int_equal(verify(f, &f->realm, r.access_token, t, &b), KH_ERR_DENIED);
}

static enum userinfo_status userinfo(struct fixture *f, const char *token, struct userinfo *out)
{
    return oauth_userinfo(&f->oauth, &f->a, &f->realm, token, 0, out);
}

static void test_userinfo_claims(void **state)
{
    struct fixture *f = *state;
    struct token_response r = fx_password(f, "web", f->web_secret, "openid profile email", 0);
    struct userinfo u;
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_OK);
    assert_string_equal(u.sub, r.subject);
    assert_string_equal(u.preferred_username, "alice");
    assert_string_equal(u.email, "alice@example.com");
    assert_true(u.email_verified_known);
    assert_string_equal(u.given_name, "Alice");
    assert_string_equal(u.family_name, "Liddell");
    assert_string_equal(u.name, "Alice Liddell");
    r = fx_password(f, "web", f->web_secret, "openid", 0);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_OK);
    assert_string_equal(u.preferred_username, "alice");
    assert_null(u.email);
    assert_false(u.email_verified_known);
    assert_null(u.given_name);
    assert_null(u.name);
    /* an opaque token works alike */
    r = fx_password(f, "opq", f->opq_secret, "openid", 0);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_OK);
    assert_string_equal(u.sub, r.subject);
}

static void test_userinfo_refusals(void **state)
{
    struct fixture *f = *state;
    struct userinfo u;
    struct token_response r = fx_password(f, "web", f->web_secret, "users:read", 0);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_INSUFFICIENT_SCOPE);
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "lone",
                               .client_secret = f->lone_secret};
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_INSUFFICIENT_SCOPE); /* a client */
    r = fx_password(f, "web", f->web_secret, "openid", 0);
    assert_int_equal(userinfo(f, r.id_token, &u), USERINFO_INVALID_TOKEN);
    assert_int_equal(userinfo(f, "garbage", &u), USERINFO_INVALID_TOKEN);
    assert_int_equal(userinfo(f, NULL, &u), USERINFO_INVALID_TOKEN);
    assert_int_equal(revoke_token(f, "web", f->web_secret, r.access_token).error, OAUTH_OK);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_INVALID_TOKEN);
    r = fx_password(f, "web", f->web_secret, "openid", 0);
    const char *why;
    assert_int_equal(manage_user_set_enabled(f->store, &f->a, "r1", "alice", false, &why), KH_OK);
    assert_int_equal(userinfo(f, r.access_token, &u), USERINFO_INVALID_TOKEN);
}

/* The /v1 API's realm: a JWT's unverified iss, an opaque token's row. */
static void test_realm_find(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct realm r;
    struct token_response jwt = fx_password(f, "app", NULL, NULL, t);
    assert_int_equal(bearer_realm_find(&f->oauth, &f->a, jwt.access_token, &r), KH_OK);
    assert_string_equal(r.name, "r1");
    assert_int_equal(r.id, f->realm.id);
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "opq",
                               .client_secret = f->opq_secret, .now = t};
    struct token_response opq;
    assert_int_equal(fx_token(f, &cc, &opq).error, OAUTH_OK);
    assert_int_equal(bearer_realm_find(&f->oauth, &f->a, opq.access_token, &r), KH_OK);
    assert_string_equal(r.name, "r1");
    /* another public URL, an unknown realm, no token at all: no realm of ours */
    struct oauth elsewhere = f->oauth;
    elsewhere.public_url = "http://other.test";
    assert_int_equal(bearer_realm_find(&elsewhere, &f->a, jwt.access_token, &r), KH_ERR_DENIED);
    elsewhere.public_url = "http://kh";
    assert_int_equal(bearer_realm_find(&elsewhere, &f->a, jwt.access_token, &r), KH_ERR_DENIED);
    const char *garbage[] = {"", "garbage", "a.b.c", "a..c", "eyJpc3MiOjF9.eyJpc3MiOjF9.x",
                             /* {"iss":"http://kh.test/realms/r9"} */
                             "e30.eyJpc3MiOiJodHRwOi8va2gudGVzdC9yZWFsbXMvcjkifQ.x",
                             /* {"iss":"http://kh.test/realms/r1/x"} */
                             "e30.eyJpc3MiOiJodHRwOi8va2gudGVzdC9yZWFsbXMvcjEveCJ9.x"};
    for (size_t i = 0; i < sizeof garbage / sizeof garbage[0]; i++)
        assert_int_equal(bearer_realm_find(&f->oauth, &f->a, garbage[i], &r), KH_ERR_DENIED);
    /* {"iss":"http://kh.test/realms/r2"}: found (only bearer_verify decides) */
    assert_int_equal(bearer_realm_find(&f->oauth, &f->a,
                                       "e30.eyJpc3MiOiJodHRwOi8va2gudGVzdC9yZWFsbXMvcjIifQ.x", &r),
                     KH_OK);
    assert_string_equal(r.name, "r2");
    char unknown[SECRET_LEN + 1];
    secret_new(SECRET_ACCESS, unknown);
    assert_int_equal(bearer_realm_find(&f->oauth, &f->a, unknown, &r), KH_ERR_DENIED);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_jwt_verified),
        T(test_jwt_refusals),
        T(test_jwt_without_kid),
        T(test_session_end_kills_access),
        T(test_opaque_verified_and_refused),
        T(test_userinfo_claims),
        T(test_userinfo_refusals),
        T(test_realm_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
