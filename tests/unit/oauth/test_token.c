/* test_token.c - the token endpoint's logic without a socket: a real SQLite
 * file, real keys, oauth_token() called directly, at chosen times. */
#include <jansson.h>

#include "lifecycle_fixture.h"
#include "oauth/bearer.h"

/* The owner holds users:read only: imports:manage is dropped, and the token
 * verifies against the realm's keys with the RFC 9068 typ. */
static void test_client_credentials_owner(void **state)
{
    struct fixture *f = *state;
    struct token_request req = {.grant_type = "client_credentials", .client_id = "job",
                                .client_secret = f->secret, .basic = true};
    struct token_response resp;
    struct oauth_outcome out = fx_token(f, &req, &resp);
    assert_int_equal(out.error, OAUTH_OK);
    assert_string_equal(resp.scope, "users:read");
    assert_null(resp.refresh_token);
    assert_null(resp.id_token);
    assert_int_equal(resp.expires_in, 300);
    struct jwt_claims claims;
    assert_int_equal(fx_jwt(f, resp.access_token, "at+jwt", OAUTH_AUDIENCE, time(NULL), &claims), KH_OK);
    assert_string_equal(claims.client_id, "job");
    assert_string_equal(claims.preferred_username, "alice");
    assert_string_equal(claims.sub, resp.subject);
}

static void test_client_credentials_refusals(void **state)
{
    struct fixture *f = *state;
    struct token_response resp;
    struct token_request wrong = {.grant_type = "client_credentials", .client_id = "job",
                                  .client_secret = f->lone_secret};
    assert_int_equal(fx_token(f, &wrong, &resp).error, OAUTH_INVALID_CLIENT);
    struct token_request scope = {.grant_type = "client_credentials", .client_id = "job",
                                  .client_secret = f->secret, .scope = "users:manage"};
    assert_int_equal(fx_token(f, &scope, &resp).error, OAUTH_INVALID_SCOPE);
    struct token_request public_cc = {.grant_type = "client_credentials", .client_id = "app"};
    assert_int_equal(fx_token(f, &public_cc, &resp).error, OAUTH_UNAUTHORIZED_CLIENT);
    struct token_request unknown = {.grant_type = "magic", .client_id = "app"};
    assert_int_equal(fx_token(f, &unknown, &resp).error, OAUTH_UNSUPPORTED_GRANT_TYPE);
    struct token_request missing = {.client_id = "app"};
    assert_int_equal(fx_token(f, &missing, &resp).error, OAUTH_INVALID_REQUEST);
    struct token_request lone = {.grant_type = "client_credentials", .client_id = "lone",
                                 .client_secret = f->lone_secret};
    assert_int_equal(fx_token(f, &lone, &resp).error, OAUTH_OK);
    assert_string_equal(resp.scope, "imports:manage"); /* no owner: what it is allowed */
    const char *why;
    assert_int_equal(manage_user_set_enabled(f->store, &f->a, "r1", "alice", false, &why), KH_OK);
    struct token_request owner_off = {.grant_type = "client_credentials", .client_id = "job",
                                      .client_secret = f->secret};
    assert_int_equal(fx_token(f, &owner_off, &resp).error, OAUTH_INVALID_GRANT);
}

static void test_password_and_refresh(void **state)
{
    struct fixture *f = *state;
    struct token_response resp, next, again;
    struct token_request bad = {.grant_type = "password", .client_id = "app", .username = "alice",
                                .password = "nope"};
    struct oauth_outcome o1 = fx_token(f, &bad, &resp);
    struct token_request nobody = {.grant_type = "password", .client_id = "app", .username = "carol",
                                   .password = "nope"};
    struct oauth_outcome o2 = fx_token(f, &nobody, &resp);
    assert_int_equal(o1.error, OAUTH_INVALID_GRANT);
    assert_int_equal(o2.error, OAUTH_INVALID_GRANT);
    assert_string_equal(o1.description, o2.description); /* no user enumeration */

    struct token_request ok = {.grant_type = "password", .client_id = "app", .username = "ALICE",
                               .password = "pw-alice"};
    assert_int_equal(fx_token(f, &ok, &resp).error, OAUTH_OK);
    assert_string_equal(resp.scope, "users:read openid");
    assert_non_null(resp.refresh_token);
    assert_int_equal(resp.refresh_expires_in, 1800);
    assert_non_null(resp.session_state);

    struct token_request refresh = {.grant_type = "refresh_token", .client_id = "app",
                                    .refresh_token = resp.refresh_token, .scope = "users:read"};
    assert_int_equal(fx_token(f, &refresh, &next).error, OAUTH_OK);
    assert_string_equal(next.scope, "users:read");
    assert_string_not_equal(next.refresh_token, resp.refresh_token);
    assert_string_equal(next.session_state, resp.session_state);
    /* The rotated token again: refused, and the whole family dies. */
    assert_int_equal(fx_token(f, &refresh, &again).error, OAUTH_INVALID_GRANT);
    struct token_request newest = {.grant_type = "refresh_token", .client_id = "app",
                                   .refresh_token = next.refresh_token};
    assert_int_equal(fx_token(f, &newest, &again).error, OAUTH_INVALID_GRANT);
}

/* Idle expiry and the session maximum, each refused at exactly its second. */
static void test_refresh_lifetime_boundaries(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    f->realm.session_max_ttl = 3000;
    struct token_response r0 = fx_password(f, "app", NULL, NULL, t), r1, r2, x;
    assert_int_equal(r0.expires_in, 300);
    assert_int_equal(r0.refresh_expires_in, 1800);
    struct oauth_outcome out = fx_refresh(f, "app", NULL, r0.refresh_token, t + 1800, &x);
    assert_int_equal(out.error, OAUTH_INVALID_GRANT); /* idle: expired at t + 1800 */
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 1799, &r1).error, OAUTH_OK);
    assert_int_equal(r1.refresh_expires_in, 3000 - 1799); /* capped by the session's end */
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, t + 2999, &r2).error, OAUTH_OK);
    assert_int_equal(r2.refresh_expires_in, 1);
    out = fx_refresh(f, "app", NULL, r2.refresh_token, t + 3000, &x);
    assert_int_equal(out.error, OAUTH_INVALID_GRANT);
    assert_string_equal(out.description, "The session has reached its maximum lifetime");
}

static void set_short_lifetimes(struct client *c, const void *arg)
{
    (void)arg;
    c->access_ttl = 120;
    c->refresh_idle_ttl = 60;
    c->session_max_ttl = 100;
}

static void test_client_lifetime_overrides(void **state)
{
    struct fixture *f = *state;
    fx_client_change(f, "app", set_short_lifetimes, NULL);
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, NULL, t), r1, x;
    assert_int_equal(r0.expires_in, 120);
    assert_int_equal(r0.refresh_expires_in, 60);
    struct jwt_claims claims;
    assert_int_equal(fx_jwt(f, r0.access_token, "at+jwt", OAUTH_AUDIENCE, t, &claims), KH_OK);
    assert_int_equal(claims.exp - claims.iat, 120);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 59, &r1).error, OAUTH_OK);
    assert_int_equal(r1.refresh_expires_in, 100 - 59);
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, t + 100, &x).error, OAUTH_INVALID_GRANT);
}

static void set_grace(struct client *c, const void *arg)
{
    c->refresh_grace = *(const int64_t *)arg;
}

/* Grace 30 s: one retry of a rotated token inside the window gets a fresh
 * pair of the same family; the second retry revokes the family. */
static void test_refresh_grace_retry_once(void **state)
{
    struct fixture *f = *state;
    const int64_t grace = 30;
    fx_client_change(f, "app", set_grace, &grace);
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, NULL, t), r1, r2, x;
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 1, &r1).error, OAUTH_OK);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 30, &r2).error, OAUTH_OK);
    assert_string_equal(r2.session_state, r0.session_state);
    assert_string_not_equal(r2.refresh_token, r1.refresh_token);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 31, &x).error, OAUTH_INVALID_GRANT);
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, t + 32, &x).error, OAUTH_INVALID_GRANT);
    assert_int_equal(fx_refresh(f, "app", NULL, r2.refresh_token, t + 32, &x).error, OAUTH_INVALID_GRANT);
}

/* Past the grace (used_at > now - grace no longer holds) reuse revokes. */
static void test_refresh_grace_window_closed(void **state)
{
    struct fixture *f = *state;
    f->realm.refresh_grace = 30; /* the client's -1: the realm's */
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, NULL, t), r1, x;
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 1, &r1).error, OAUTH_OK);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 31, &x).error, OAUTH_INVALID_GRANT);
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, t + 32, &x).error, OAUTH_INVALID_GRANT);
}

/* offline_access: no session maximum, refresh_expires_in 0, offline idle limit. */
static void test_offline_access(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, "openid offline_access", t), r1, x;
    assert_int_equal(r0.refresh_expires_in, 0);
    const int64_t later = t + 36000 + 10; /* past an online session's maximum */
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, later, &r1).error, OAUTH_OK);
    assert_int_equal(r1.refresh_expires_in, 0);
    assert_string_equal(r1.scope, "openid offline_access");
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, later + 2592000, &x).error,
                     OAUTH_INVALID_GRANT);
}

static const char *claim_str(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_t *id_claims(struct fixture *f, const char *id_token, const char *aud, int64_t now)
{
    struct jwt_claims c;
    assert_int_equal(fx_jwt(f, id_token, "JWT", aud, now, &c), KH_OK);
    assert_string_equal(c.typ, "JWT");
    json_t *o = json_loads(c.payload_json, JSON_REJECT_DUPLICATES, NULL);
    assert_non_null(o);
    return o;
}

static void test_id_token(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "web", f->web_secret, "openid profile email", t);
    assert_non_null(r.id_token);
    json_t *o = id_claims(f, r.id_token, "web", t);
    assert_string_equal(claim_str(o, "sub"), r.subject);
    assert_string_equal(claim_str(o, "aud"), "web");
    assert_string_equal(claim_str(o, "azp"), "web");
    assert_string_equal(claim_str(o, "sid"), r.session_state);
    assert_int_equal(json_integer_value(json_object_get(o, "iat")), t);
    assert_int_equal(json_integer_value(json_object_get(o, "exp")), t + 300);
    assert_int_equal(json_integer_value(json_object_get(o, "auth_time")), t);
    assert_string_equal(claim_str(o, "preferred_username"), "alice");
    assert_string_equal(claim_str(o, "given_name"), "Alice");
    assert_string_equal(claim_str(o, "family_name"), "Liddell");
    assert_string_equal(claim_str(o, "email"), "alice@example.com");
    json_decref(o);
    /* an ID token is not an access token */
    struct jwt_claims c;
    assert_int_equal(fx_jwt(f, r.id_token, "at+jwt", OAUTH_AUDIENCE, t, &c), KH_ERR_DENIED);

    /* openid alone: no profile or email claims */
    r = fx_password(f, "web", f->web_secret, "openid", t);
    o = id_claims(f, r.id_token, "web", t);
    assert_null(json_object_get(o, "preferred_username"));
    assert_null(json_object_get(o, "email"));
    json_decref(o);
    /* no openid: no ID token */
    r = fx_password(f, "web", f->web_secret, "users:read", t);
    assert_null(r.id_token);
}

/* On refresh: a new ID token with the session's auth_time. */
static void test_id_token_on_refresh(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, "users:read openid", t), r1;
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 10, &r1).error, OAUTH_OK);
    assert_non_null(r1.id_token);
    json_t *o = id_claims(f, r1.id_token, "app", t + 10);
    assert_int_equal(json_integer_value(json_object_get(o, "auth_time")), t);
    assert_int_equal(json_integer_value(json_object_get(o, "iat")), t + 10);
    json_decref(o);
    struct token_response r2;
    struct token_request narrow = {.grant_type = "refresh_token", .client_id = "app",
                                   .refresh_token = r1.refresh_token, .scope = "users:read", .now = t + 11};
    assert_int_equal(fx_token(f, &narrow, &r2).error, OAUTH_OK);
    assert_null(r2.id_token);
}

static void test_opaque_access_token(void **state)
{
    struct fixture *f = *state;
    struct token_request req = {.grant_type = "client_credentials", .client_id = "opq",
                                .client_secret = f->opq_secret, .scope = "users:read"};
    struct token_response r;
    assert_int_equal(fx_token(f, &req, &r).error, OAUTH_OK);
    assert_true(secret_check(SECRET_ACCESS, r.access_token, strlen(r.access_token)));
    assert_int_equal(r.expires_in, 300);
    struct bearer b;
    assert_int_equal(bearer_verify(&f->oauth, &f->a, &f->realm, r.access_token, time(NULL), &b), KH_OK);
    assert_true(b.opaque);
    assert_string_equal(b.client_id, "opq");
    assert_string_equal(b.username, "alice");
    assert_string_equal(b.sub, r.subject);
    assert_string_equal(b.scope, "users:read");
    assert_null(b.sid);
    /* with a session (password grant): the token is bound to it, and an ID token is a JWT */
    r = fx_password(f, "opq", f->opq_secret, "openid", time(NULL));
    assert_true(secret_check(SECRET_ACCESS, r.access_token, strlen(r.access_token)));
    assert_non_null(r.id_token);
    assert_int_equal(bearer_verify(&f->oauth, &f->a, &f->realm, r.access_token, time(NULL), &b), KH_OK);
    assert_string_equal(b.sid, r.session_state);
}

/* A rotated client secret: the previous one works while old_secret_until > now. */
static void test_old_secret_grace(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    char fresh[SECRET_LEN + 1];
    secret_new(SECRET_CLIENT, fresh);
    uint8_t hash[SHA256_LEN];
    secret_hash(fresh, SECRET_LEN, hash);
    assert_int_equal(store_client_rotate_secret(f->store, f->realm.id, "web", hash, t + 60), KH_OK);
    struct client c;
    struct oauth *o = &f->oauth;
    assert_int_equal(oauth_client_authenticate(o, &f->a, &f->realm, "web", fresh, NULL, t, &c).error, OAUTH_OK);
    assert_int_equal(oauth_client_authenticate(o, &f->a, &f->realm, "web", f->web_secret, NULL, t + 59, &c).error,
                     OAUTH_OK);
    assert_int_equal(oauth_client_authenticate(o, &f->a, &f->realm, "web", f->web_secret, NULL, t + 60, &c).error,
                     OAUTH_INVALID_CLIENT);
    assert_int_equal(oauth_client_authenticate(o, &f->a, &f->realm, "web", NULL, NULL, t, &c).error,
                     OAUTH_INVALID_CLIENT);
    assert_int_equal(oauth_client_authenticate(o, &f->a, &f->realm, "app", "khs_x", NULL, t, &c).error,
                     OAUTH_INVALID_CLIENT); /* a public client sending a secret */
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_client_credentials_owner),
        T(test_client_credentials_refusals),
        T(test_password_and_refresh),
        T(test_refresh_lifetime_boundaries),
        T(test_client_lifetime_overrides),
        T(test_refresh_grace_retry_once),
        T(test_refresh_grace_window_closed),
        T(test_offline_access),
        T(test_id_token),
        T(test_id_token_on_refresh),
        T(test_opaque_access_token),
        T(test_old_secret_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
