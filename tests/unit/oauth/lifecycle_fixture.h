/* lifecycle_fixture.h - a realm with users and clients on a real SQLite file,
 * shared by the oauth tests that call the protocol logic without a socket.
 * Header-only: each test program includes it once. */
#ifndef KH_TEST_LIFECYCLE_FIXTURE_H
#define KH_TEST_LIFECYCLE_FIXTURE_H

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
#include "core/secret.h"
#include "jose/jwt.h"
#include "oauth/manage.h"
#include "oauth/oauth.h"

/* Realm r1:
 *   role reader (users:read); alice (reader, email and names), bob (no role)
 *   job  cc, owner alice, "users:read imports:manage"           secret
 *   lone cc, no owner, "imports:manage"                           lone_secret
 *   app  public, password, "users:read openid profile email offline_access",
 *        default "users:read openid"
 *   web  confidential, password, "users:read openid profile email"  web_secret
 *   opq  confidential, password + cc, opaque, owner alice,
 *        "users:read openid"                                       opq_secret
 * Realm r2: alice and a public client app (password, "openid"). */
/* Each test program uses some of the helpers below. */
#define FX_FN static __attribute__((unused))

struct fixture {
    char dir[64];
    char db[96];
    struct store *store;
    uint8_t master[AEAD_KEY_LEN];
    struct oauth oauth;
    struct arena a;
    struct realm realm;
    struct realm realm2;
    const char *secret;
    const char *lone_secret;
    const char *web_secret;
    const char *opq_secret;
};

FX_FN void fx_client(struct fixture *f, const char *realm, const struct client_spec *spec,
                     const char **secret)
{
    const char *why = NULL, *none = NULL;
    enum kh_status rc = manage_client_create(f->store, &f->a, realm, spec, secret ? secret : &none, &why);
    if (rc)
        fail_msg("client %s: %s", spec->client_id, why ? why : "?");
}

static void fx_realm1(struct fixture *f)
{
    const char *why = NULL;
    assert_int_equal(manage_realm_create(f->store, f->master, "r1", "ES256", &why), KH_OK);
    const char *perms[] = {"users:read"};
    assert_int_equal(manage_role_create(f->store, &f->a, "r1", "reader", perms, 1, false, &why), KH_OK);
    const char *roles[] = {"reader"};
    struct user_spec alice = {.username = "Alice", .password = "pw-alice", .email = "alice@example.com",
                              .first_name = "Alice", .last_name = "Liddell", .roles = roles, .n_roles = 1};
    assert_int_equal(manage_user_create(f->store, &f->a, "r1", &alice, &why), KH_OK);
    struct user_spec bob = {.username = "bob", .password = "pw-bob"};
    assert_int_equal(manage_user_create(f->store, &f->a, "r1", &bob, &why), KH_OK);
    fx_client(f, "r1", &(struct client_spec){.client_id = "job", .grants = "client_credentials",
                                             .scopes = "users:read imports:manage", .owner = "alice"},
              &f->secret);
    fx_client(f, "r1", &(struct client_spec){.client_id = "lone", .grants = "client_credentials",
                                             .scopes = "imports:manage"},
              &f->lone_secret);
    fx_client(f, "r1", &(struct client_spec){.client_id = "app", .grants = "password",
                                             .scopes = "users:read openid profile email offline_access",
                                             .default_scopes = "users:read openid", .public_client = true},
              NULL);
    fx_client(f, "r1", &(struct client_spec){.client_id = "web", .grants = "password",
                                             .scopes = "users:read openid profile email"},
              &f->web_secret);
    fx_client(f, "r1", &(struct client_spec){.client_id = "opq", .grants = "password,client_credentials",
                                             .scopes = "users:read openid", .owner = "alice", .opaque = true},
              &f->opq_secret);
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &f->realm, &why), KH_OK);
}

static void fx_realm2(struct fixture *f)
{
    const char *why = NULL;
    assert_int_equal(manage_realm_create(f->store, f->master, "r2", "ES256", &why), KH_OK);
    struct user_spec alice = {.username = "alice", .password = "pw-alice2"};
    assert_int_equal(manage_user_create(f->store, &f->a, "r2", &alice, &why), KH_OK);
    fx_client(f, "r2", &(struct client_spec){.client_id = "app", .grants = "password", .scopes = "openid",
                                             .public_client = true},
              NULL);
    assert_int_equal(manage_realm_get(f->store, &f->a, "r2", &f->realm2, &why), KH_OK);
}

FX_FN int fx_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kh_oauth_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    assert_int_equal(store_open(f->db, &f->store), KH_OK);
    random_bytes(f->master, sizeof f->master);
    assert_int_equal(password_init(), KH_OK);
    arena_init(&f->a);
    fx_realm1(f);
    fx_realm2(f);
    assert_int_equal(keyring_new(f->store, f->master, &f->oauth.keyring), KH_OK);
    f->oauth.store = f->store;
    f->oauth.public_url = "http://kh.test";
    *state = f;
    return 0;
}

FX_FN int fx_teardown(void **state)
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

/* oauth_token() in realm r1 (or req->realm when set). */
FX_FN struct oauth_outcome fx_token(struct fixture *f, struct token_request *req,
                                    struct token_response *resp)
{
    if (!req->realm)
        req->realm = &f->realm;
    req->remote_ip = "127.0.0.1";
    return oauth_token(&f->oauth, &f->a, req, resp);
}

/* A password grant for alice through `client` (NULL secret: a public client). */
FX_FN struct token_response fx_password(struct fixture *f, const char *client, const char *secret,
                                         const char *scope, int64_t now)
{
    struct token_request req = {.grant_type = "password", .client_id = client, .client_secret = secret,
                                .username = "alice", .password = "pw-alice", .scope = scope, .now = now};
    struct token_response resp;
    struct oauth_outcome out = fx_token(f, &req, &resp);
    if (out.error)
        fail_msg("password grant: %s", out.description);
    return resp;
}

FX_FN struct oauth_outcome fx_refresh(struct fixture *f, const char *client, const char *secret,
                                       const char *token, int64_t now, struct token_response *resp)
{
    struct token_request req = {.grant_type = "refresh_token", .client_id = client, .client_secret = secret,
                                .refresh_token = token, .now = now};
    return fx_token(f, &req, resp);
}

/* Changes a client's stored settings with `change`. */
FX_FN void fx_client_change(struct fixture *f, const char *client_id,
                            void (*change)(struct client *, const void *), const void *arg)
{
    struct client c;
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, client_id, &c), KH_OK);
    change(&c, arg);
    assert_int_equal(store_client_update(f->store, &c), KH_OK);
}

/* Verifies a JWT against realm r1's keys; typ and audience as given. */
FX_FN enum kh_status fx_jwt(struct fixture *f, const char *token, const char *typ, const char *aud,
                            int64_t now, struct jwt_claims *out)
{
    struct keyset keys;
    assert_int_equal(keyring_get(f->oauth.keyring, &f->realm, &keys), KH_OK);
    struct jwt_expect expect = {.issuer = "http://kh.test/realms/r1", .audience = aud, .typ = typ,
                                .now = now, .leeway = 5};
    return jwt_verify(token, strlen(token), keys.keys, keys.n, &expect, &f->a, out);
}

#endif
