/* test_token.c - the token endpoint's logic without a socket: a real SQLite
 * file, real keys, oauth_token() called directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "authn/password.h"
#include "core/random.h"
#include "jose/jwt.h"
#include "oauth/manage.h"
#include "oauth/oauth.h"

struct fixture {
    char dir[64];
    char db[96];
    struct store *store;
    uint8_t master[AEAD_KEY_LEN];
    struct oauth oauth;
    struct arena a;
    struct realm realm;
    const char *secret;       /* of "job": client_credentials, owner alice */
    const char *lone_secret;  /* of "lone": client_credentials, no owner */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kh_oauth_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    assert_int_equal(store_open(f->db, &f->store), KH_OK);
    random_bytes(f->master, sizeof f->master);
    assert_int_equal(password_init(), KH_OK);
    arena_init(&f->a);
    const char *why = NULL;
    assert_int_equal(manage_realm_create(f->store, f->master, "r1", "ES256", &why), KH_OK);
    const char *perms[] = {"users:read"};
    assert_int_equal(manage_role_create(f->store, &f->a, "r1", "reader", perms, 1, false, &why), KH_OK);
    const char *roles[] = {"reader"};
    struct user_spec alice = {.username = "Alice", .password = "pw-alice", .roles = roles, .n_roles = 1};
    assert_int_equal(manage_user_create(f->store, &f->a, "r1", &alice, &why), KH_OK);
    struct client_spec job = {.client_id = "job", .grants = "client_credentials",
                              .scopes = "users:read imports:manage", .owner = "alice"};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &job, &f->secret, &why), KH_OK);
    struct client_spec lone = {.client_id = "lone", .grants = "client_credentials", .scopes = "imports:manage"};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &lone, &f->lone_secret, &why), KH_OK);
    struct client_spec app = {.client_id = "app", .grants = "password", .scopes = "users:read openid",
                              .public_client = true};
    const char *none;
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &app, &none, &why), KH_OK);
    assert_null(none);
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &f->realm, &why), KH_OK);
    assert_int_equal(keyring_new(f->store, f->master, &f->oauth.keyring), KH_OK);
    f->oauth.store = f->store;
    f->oauth.public_url = "http://kh.test";
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    keyring_free(f->oauth.keyring);
    store_close(f->store);
    arena_free(&f->a);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct oauth_outcome token(struct fixture *f, struct token_request *req, struct token_response *resp)
{
    req->realm = &f->realm;
    req->remote_ip = "127.0.0.1";
    return oauth_token(&f->oauth, &f->a, req, resp);
}

/* The owner holds users:read only: imports:manage is dropped, and the token
 * verifies against the realm's keys with the RFC 9068 typ. */
static void test_client_credentials_owner(void **state)
{
    struct fixture *f = *state;
    struct token_request req = {.grant_type = "client_credentials", .client_id = "job",
                                .client_secret = f->secret, .basic = true};
    struct token_response resp;
    struct oauth_outcome out = token(f, &req, &resp);
    assert_int_equal(out.error, OAUTH_OK);
    assert_string_equal(resp.scope, "users:read");
    assert_null(resp.refresh_token);
    assert_int_equal(resp.expires_in, 300);
    struct keyset keys;
    assert_int_equal(keyring_get(f->oauth.keyring, &f->realm, &keys), KH_OK);
    struct jwt_expect expect = {.issuer = "http://kh.test/realms/r1", .audience = OAUTH_AUDIENCE,
                                .typ = "at+jwt", .now = time(NULL), .leeway = 5};
    struct jwt_claims claims;
    assert_int_equal(jwt_verify(resp.access_token, strlen(resp.access_token), keys.keys, keys.n, &expect,
                                &f->a, &claims), KH_OK);
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
    assert_int_equal(token(f, &wrong, &resp).error, OAUTH_INVALID_CLIENT);
    struct token_request scope = {.grant_type = "client_credentials", .client_id = "job",
                                  .client_secret = f->secret, .scope = "users:manage"};
    assert_int_equal(token(f, &scope, &resp).error, OAUTH_INVALID_SCOPE);
    struct token_request public_cc = {.grant_type = "client_credentials", .client_id = "app"};
    assert_int_equal(token(f, &public_cc, &resp).error, OAUTH_UNAUTHORIZED_CLIENT);
    struct token_request unknown = {.grant_type = "magic", .client_id = "app"};
    assert_int_equal(token(f, &unknown, &resp).error, OAUTH_UNSUPPORTED_GRANT_TYPE);
    struct token_request missing = {.client_id = "app"};
    assert_int_equal(token(f, &missing, &resp).error, OAUTH_INVALID_REQUEST);
    struct token_request lone = {.grant_type = "client_credentials", .client_id = "lone",
                                 .client_secret = f->lone_secret};
    assert_int_equal(token(f, &lone, &resp).error, OAUTH_OK);
    assert_string_equal(resp.scope, "imports:manage"); /* no owner: what it is allowed */
    const char *why;
    assert_int_equal(manage_user_set_enabled(f->store, &f->a, "r1", "alice", false, &why), KH_OK);
    struct token_request owner_off = {.grant_type = "client_credentials", .client_id = "job",
                                      .client_secret = f->secret};
    assert_int_equal(token(f, &owner_off, &resp).error, OAUTH_INVALID_GRANT);
}

static void test_password_and_refresh(void **state)
{
    struct fixture *f = *state;
    struct token_response resp, next, again;
    struct token_request bad = {.grant_type = "password", .client_id = "app", .username = "alice",
                                .password = "nope"};
    struct oauth_outcome o1 = token(f, &bad, &resp);
    struct token_request nobody = {.grant_type = "password", .client_id = "app", .username = "bob",
                                   .password = "nope"};
    struct oauth_outcome o2 = token(f, &nobody, &resp);
    assert_int_equal(o1.error, OAUTH_INVALID_GRANT);
    assert_int_equal(o2.error, OAUTH_INVALID_GRANT);
    assert_string_equal(o1.description, o2.description); /* no user enumeration */

    struct token_request ok = {.grant_type = "password", .client_id = "app", .username = "ALICE",
                               .password = "pw-alice"};
    assert_int_equal(token(f, &ok, &resp).error, OAUTH_OK);
    assert_string_equal(resp.scope, "users:read openid");
    assert_non_null(resp.refresh_token);
    assert_int_equal(resp.refresh_expires_in, 1800);
    assert_non_null(resp.session_state);

    struct token_request refresh = {.grant_type = "refresh_token", .client_id = "app",
                                    .refresh_token = resp.refresh_token, .scope = "users:read"};
    assert_int_equal(token(f, &refresh, &next).error, OAUTH_OK);
    assert_string_equal(next.scope, "users:read");
    assert_string_not_equal(next.refresh_token, resp.refresh_token);
    assert_string_equal(next.session_state, resp.session_state);
    /* The rotated token again: refused, and the whole family dies. */
    assert_int_equal(token(f, &refresh, &again).error, OAUTH_INVALID_GRANT);
    struct token_request newest = {.grant_type = "refresh_token", .client_id = "app",
                                   .refresh_token = next.refresh_token};
    assert_int_equal(token(f, &newest, &again).error, OAUTH_INVALID_GRANT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_credentials_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_credentials_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_and_refresh, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
