/* test_introspect.c - introspection (RFC 7662), revocation (RFC 7009) and
 * logout, each for the client the token was issued to and no other. */
#include "lifecycle_fixture.h"

static struct client_token_request call(struct fixture *f, const char *client, const char *secret,
                                        const char *token, int64_t now)
{
    return (struct client_token_request){.realm = &f->realm, .client_id = client, .client_secret = secret,
                                         .token = token, .now = now};
}

static struct introspection introspect(struct fixture *f, const char *client, const char *secret,
                                       const char *token, int64_t now)
{
    struct client_token_request req = call(f, client, secret, token, now);
    struct introspection in;
    struct oauth_outcome out = oauth_introspect(&f->oauth, &f->a, &req, &in);
    if (out.error)
        fail_msg("introspection: %s", out.description);
    return in;
}

static struct oauth_outcome revoke_token(struct fixture *f, const char *client, const char *secret,
                                         const char *token)
{
    struct client_token_request req = call(f, client, secret, token, 0);
    return oauth_revoke(&f->oauth, &f->a, &req);
}

static struct oauth_outcome logout(struct fixture *f, const char *client, const char *secret,
                                   const char *token)
{
    struct client_token_request req = call(f, client, secret, token, 0);
    return oauth_logout(&f->oauth, &f->a, &req);
}

static void test_introspect_access_token(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r = fx_password(f, "web", f->web_secret, "users:read openid", t);
    struct introspection in = introspect(f, "web", f->web_secret, r.access_token, t);
    assert_true(in.active);
    assert_string_equal(in.scope, "users:read openid");
    assert_string_equal(in.client_id, "web");
    assert_string_equal(in.username, "alice");
    assert_string_equal(in.sub, r.subject);
    assert_string_equal(in.token_type, "Bearer");
    assert_int_equal(in.exp, t + 300);
    assert_int_equal(in.iat, t);
    assert_string_equal(in.iss, "http://kh.test/realms/r1");
    assert_string_equal(in.aud, OAUTH_AUDIENCE);
    assert_string_equal(in.sid, r.session_state);
    /* inactive: expired, another client's, an ID token, garbage */
    assert_false(introspect(f, "web", f->web_secret, r.access_token, t + 300).active);
    assert_false(introspect(f, "app", NULL, r.access_token, t).active);
    assert_false(introspect(f, "web", f->web_secret, r.id_token, t).active);
    assert_false(introspect(f, "web", f->web_secret, "not-a-token", t).active);
    /* a client's own token: no username, the client is the subject */
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "lone",
                               .client_secret = f->lone_secret};
    assert_int_equal(fx_token(f, &cc, &r).error, OAUTH_OK);
    in = introspect(f, "lone", f->lone_secret, r.access_token, 0);
    assert_true(in.active);
    assert_null(in.username);
    assert_null(in.sid);
    assert_string_equal(in.sub, r.subject);
}

static void test_introspect_refresh_token(void **state)
{
    struct fixture *f = *state;
    const int64_t t = time(NULL);
    struct token_response r0 = fx_password(f, "app", NULL, NULL, t), r1;
    struct introspection in = introspect(f, "app", NULL, r0.refresh_token, t);
    assert_true(in.active);
    assert_string_equal(in.token_type, "Refresh");
    assert_string_equal(in.sid, r0.session_state);
    assert_string_equal(in.username, "alice");
    assert_string_equal(in.scope, "users:read openid");
    assert_int_equal(in.exp, t + 1800);
    assert_null(in.aud);
    assert_false(introspect(f, "app", NULL, r0.refresh_token, t + 1800).active); /* idle expiry */
    assert_false(introspect(f, "web", f->web_secret, r0.refresh_token, t).active);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, t + 1, &r1).error, OAUTH_OK);
    assert_false(introspect(f, "app", NULL, r0.refresh_token, t + 1).active); /* used, no grace */
    assert_true(introspect(f, "app", NULL, r1.refresh_token, t + 1).active);
    f->realm.refresh_grace = 10; /* within its one retry, a used token is still good */
    assert_true(introspect(f, "app", NULL, r0.refresh_token, t + 10).active);
    assert_false(introspect(f, "app", NULL, r0.refresh_token, t + 11).active);
}

static void test_introspect_errors(void **state)
{
    struct fixture *f = *state;
    struct introspection in;
    struct client_token_request req = call(f, "web", f->web_secret, NULL, 0);
    assert_int_equal(oauth_introspect(&f->oauth, &f->a, &req, &in).error, OAUTH_INVALID_REQUEST);
    req = call(f, "web", f->lone_secret, "x", 0);
    assert_int_equal(oauth_introspect(&f->oauth, &f->a, &req, &in).error, OAUTH_INVALID_CLIENT);
    req = call(f, "nobody", NULL, "x", 0);
    assert_int_equal(oauth_introspect(&f->oauth, &f->a, &req, &in).error, OAUTH_INVALID_CLIENT);
    assert_int_equal(revoke_token(f, "web", NULL, "x").error, OAUTH_INVALID_CLIENT);
    assert_int_equal(revoke_token(f, "web", f->web_secret, NULL).error, OAUTH_INVALID_REQUEST);
    assert_int_equal(logout(f, "app", NULL, NULL).error, OAUTH_INVALID_REQUEST);
}

/* Revoking a refresh token ends its session: every token of it dies. */
static void test_revoke_refresh_token(void **state)
{
    struct fixture *f = *state;
    struct token_response r0 = fx_password(f, "app", NULL, NULL, 0), r1, x;
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, 0, &r1).error, OAUTH_OK);
    /* another client's attempt changes nothing */
    assert_int_equal(revoke_token(f, "web", f->web_secret, r1.refresh_token).error, OAUTH_OK);
    assert_true(introspect(f, "app", NULL, r1.refresh_token, 0).active);
    assert_int_equal(revoke_token(f, "app", NULL, r1.refresh_token).error, OAUTH_OK);
    assert_false(introspect(f, "app", NULL, r1.refresh_token, 0).active);
    assert_false(introspect(f, "app", NULL, r1.access_token, 0).active);
    assert_int_equal(fx_refresh(f, "app", NULL, r1.refresh_token, 0, &x).error, OAUTH_INVALID_GRANT);
    /* again, or an unknown token: still fine */
    assert_int_equal(revoke_token(f, "app", NULL, r1.refresh_token).error, OAUTH_OK);
    char unknown[SECRET_LEN + 1];
    secret_new(SECRET_REFRESH, unknown);
    assert_int_equal(revoke_token(f, "app", NULL, unknown).error, OAUTH_OK);
    assert_int_equal(revoke_token(f, "app", NULL, "garbage").error, OAUTH_OK);
}

/* Revoking one access token leaves the session and its other tokens alone. */
static void test_revoke_access_token(void **state)
{
    struct fixture *f = *state;
    struct token_response r0 = fx_password(f, "app", NULL, NULL, 0), r1;
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, 0, &r1).error, OAUTH_OK);
    assert_int_equal(revoke_token(f, "web", f->web_secret, r0.access_token).error, OAUTH_OK);
    assert_true(introspect(f, "app", NULL, r0.access_token, 0).active);
    assert_int_equal(revoke_token(f, "app", NULL, r0.access_token).error, OAUTH_OK);
    assert_false(introspect(f, "app", NULL, r0.access_token, 0).active);
    assert_true(introspect(f, "app", NULL, r1.access_token, 0).active);
    assert_true(introspect(f, "app", NULL, r1.refresh_token, 0).active);
    /* opaque: marked revoked */
    struct token_request cc = {.grant_type = "client_credentials", .client_id = "opq",
                               .client_secret = f->opq_secret};
    assert_int_equal(fx_token(f, &cc, &r0).error, OAUTH_OK);
    assert_true(introspect(f, "opq", f->opq_secret, r0.access_token, 0).active);
    assert_int_equal(revoke_token(f, "opq", f->opq_secret, r0.access_token).error, OAUTH_OK);
    assert_false(introspect(f, "opq", f->opq_secret, r0.access_token, 0).active);
}

static void test_logout(void **state)
{
    struct fixture *f = *state;
    struct token_response r0 = fx_password(f, "app", NULL, NULL, 0), web, x;
    web = fx_password(f, "web", f->web_secret, NULL, 0);
    assert_int_equal(logout(f, "web", f->web_secret, r0.refresh_token).error, OAUTH_INVALID_GRANT);
    char unknown[SECRET_LEN + 1];
    secret_new(SECRET_REFRESH, unknown);
    assert_int_equal(logout(f, "app", NULL, unknown).error, OAUTH_INVALID_GRANT);
    assert_int_equal(logout(f, "app", NULL, "garbage").error, OAUTH_INVALID_GRANT);
    assert_int_equal(logout(f, "app", NULL, r0.refresh_token).error, OAUTH_OK);
    assert_int_equal(fx_refresh(f, "app", NULL, r0.refresh_token, 0, &x).error, OAUTH_INVALID_GRANT);
    assert_false(introspect(f, "app", NULL, r0.access_token, 0).active);
    assert_int_equal(logout(f, "app", NULL, r0.refresh_token).error, OAUTH_INVALID_GRANT); /* ended */
    /* the other session lives on */
    assert_true(introspect(f, "web", f->web_secret, web.refresh_token, 0).active);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_introspect_access_token),
        T(test_introspect_refresh_token),
        T(test_introspect_errors),
        T(test_revoke_refresh_token),
        T(test_revoke_access_token),
        T(test_logout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
