/* store_contract.h - the store contract suite: what every backend must do.
 *
 * Each contract_X(struct store *s) runs against an open, empty store and
 * knows nothing of the backend. A backend's test program includes this file
 * once (after <cmocka.h>), opens a fresh store per test and lists the cases
 * with STORE_CONTRACT_TESTS(X). */
#ifndef KH_TEST_STORE_CONTRACT_H
#define KH_TEST_STORE_CONTRACT_H

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "core/arena.h"
#include "core/clock.h"
#include "core/hash.h"
#include "store/store.h"

#define STORE_CONTRACT_TESTS(X) \
    X(ping)                     \
    X(realm)                    \
    X(role)                     \
    X(user)                     \
    X(user_unknown_role)        \
    X(user_access)              \
    X(user_list)                \
    X(role_list)                \
    X(client)                   \
    X(client_context)           \
    X(session_refresh)          \
    X(rotate)                   \
    X(rotate_unknown)           \
    X(session_revoke)           \
    X(rotate_race)              \
    X(batch)                    \
    X(batch_read_snapshot)      \
    X(keys)                     \
    X(realm_update)             \
    X(client_update)            \
    X(client_rotate_secret)     \
    X(rotate_no_grace)          \
    X(rotate_grace)             \
    X(rotate_grace_expired)     \
    X(rotate_grace_revoked)     \
    X(rotate_grace_race)        \
    X(session_find)             \
    X(access_tokens)            \
    X(jti)                      \
    X(key_update)               \
    X(purge)

static void ct_hash(const char *token, uint8_t out[SHA256_LEN])
{
    sha256(token, strlen(token), out);
}

static int64_t ct_realm(struct store *s, const char *name)
{
    struct realm r = {
        .name = name, .alg = "ES256", .access_ttl = 300, .refresh_idle_ttl = 1800,
        .session_max_ttl = 36000, .offline_idle_ttl = 2592000, .created_at = clock_now(),
    };
    int64_t id = 0;
    assert_int_equal(store_realm_create(s, &r, &id), KH_OK);
    assert_true(id > 0);
    return id;
}

static int64_t ct_role(struct store *s, int64_t realm_id, const char *name, bool all,
                       const char **perms, size_t n)
{
    struct role r = {.realm_id = realm_id, .name = name, .all_permissions = all,
                     .permissions = perms, .n_permissions = n};
    int64_t id = 0;
    assert_int_equal(store_role_create(s, &r, &id), KH_OK);
    return id;
}

static struct user ct_user_rec(int64_t realm_id, const char *id, const char *username)
{
    return (struct user){.id = id, .realm_id = realm_id, .username = username, .enabled = true,
                         .password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
                         .created_at = clock_now()};
}

static void ct_user(struct store *s, int64_t realm_id, const char *id, const char *username,
                    const char *const *roles, size_t n)
{
    struct user u = ct_user_rec(realm_id, id, username);
    assert_int_equal(store_user_create(s, &u, roles, n), KH_OK);
}

/* A session of user `user_id` (NULL: a client subject) with a first token. */
static void ct_session(struct store *s, int64_t realm_id, const char *sid, const char *user_id,
                       const char *token, int64_t now)
{
    struct session sess = {.id = sid, .realm_id = realm_id, .user_id = user_id,
                           .client_id = "web", .offline = false, .created_at = now - 10,
                           .expires_at = now + 36000};
    struct refresh_token first = {.session_id = sid, .realm_id = realm_id, .client_id = "web",
                                  .user_id = user_id, .scope = "openid users:read",
                                  .issued_at = now, .expires_at = now + 1800};
    ct_hash(token, first.hash);
    assert_int_equal(store_session_start(s, &sess, &first), KH_OK);
}

static struct refresh_token ct_next(const char *sid, int64_t realm_id, const char *token,
                                    int64_t now)
{
    struct refresh_token t = {.session_id = sid, .realm_id = realm_id, .client_id = "web",
                              .user_id = NULL, .scope = "openid", .issued_at = now,
                              .expires_at = now + 1800};
    ct_hash(token, t.hash);
    return t;
}

static void contract_ping(struct store *s)
{
    assert_int_equal(store_ping(s), KH_OK);
}

static void contract_realm(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t main_id = ct_realm(s, "main");
    int64_t other_id = ct_realm(s, "other");
    assert_int_not_equal(main_id, other_id);

    struct realm dup = {.name = "main", .alg = "RS256", .created_at = 1};
    int64_t id = -7;
    assert_int_equal(store_realm_create(s, &dup, &id), KH_ERR_CONFLICT);
    assert_int_equal(id, -7);

    struct realm r = {0};
    assert_int_equal(store_realm_find(s, &a, "main", &r), KH_OK);
    assert_int_equal(r.id, main_id);
    assert_string_equal(r.name, "main");
    assert_string_equal(r.alg, "ES256");
    assert_int_equal(r.access_ttl, 300);
    assert_int_equal(r.refresh_idle_ttl, 1800);
    assert_int_equal(r.session_max_ttl, 36000);
    assert_int_equal(r.offline_idle_ttl, 2592000);
    assert_int_equal(r.refresh_grace, 0);
    assert_true(r.created_at > 0);

    struct realm miss = {.id = 99};
    assert_int_equal(store_realm_find(s, &a, "nope", &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.id, 99);

    struct realm *list = NULL;
    size_t n = 0;
    assert_int_equal(store_realm_list(s, &a, &list, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "main");
    assert_string_equal(list[1].name, "other");
    arena_free(&a);
}

static void contract_role(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    const char *perms[] = {"users:read", "events:read", "users:read"};
    int64_t id = ct_role(s, realm, "auditor", false, perms, 3);
    ct_role(s, other, "auditor", false, NULL, 0); /* same name, other realm */
    ct_role(s, realm, "admin", true, NULL, 0);

    struct role dup = {.realm_id = realm, .name = "auditor"};
    assert_int_equal(store_role_create(s, &dup, NULL), KH_ERR_CONFLICT);

    struct role r = {0};
    assert_int_equal(store_role_find(s, &a, realm, "auditor", &r), KH_OK);
    assert_int_equal(r.id, id);
    assert_int_equal(r.realm_id, realm);
    assert_string_equal(r.name, "auditor");
    assert_false(r.all_permissions);
    assert_int_equal(r.n_permissions, 2);
    assert_string_equal(r.permissions[0], "events:read");
    assert_string_equal(r.permissions[1], "users:read");

    assert_int_equal(store_role_find(s, &a, realm, "admin", &r), KH_OK);
    assert_true(r.all_permissions);
    assert_int_equal(r.n_permissions, 0);

    struct role miss = {.id = 5};
    assert_int_equal(store_role_find(s, &a, realm, "nope", &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.id, 5);
    arena_free(&a);
}

static void contract_user(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    struct user u = ct_user_rec(realm, "11111111-1111-4111-8111-111111111111", "alice");
    u.email = "alice@example.com";
    u.first_name = "Alice";
    assert_int_equal(store_user_create(s, &u, NULL, 0), KH_OK);

    struct user dup = ct_user_rec(realm, "22222222-2222-4222-8222-222222222222", "alice");
    assert_int_equal(store_user_create(s, &dup, NULL, 0), KH_ERR_CONFLICT);
    struct user same_id = ct_user_rec(other, u.id, "bob");
    assert_int_equal(store_user_create(s, &same_id, NULL, 0), KH_ERR_CONFLICT);
    struct user elsewhere = ct_user_rec(other, dup.id, "alice");
    assert_int_equal(store_user_create(s, &elsewhere, NULL, 0), KH_OK);

    struct user r = {0};
    assert_int_equal(store_user_find_by_name(s, &a, realm, "alice", &r), KH_OK);
    assert_string_equal(r.id, u.id);
    assert_int_equal(r.realm_id, realm);
    assert_string_equal(r.username, "alice");
    assert_string_equal(r.email, "alice@example.com");
    assert_string_equal(r.first_name, "Alice");
    assert_null(r.last_name);
    assert_true(r.enabled);
    assert_string_equal(r.password_hash, u.password_hash);
    assert_int_equal(r.created_at, u.created_at);

    assert_int_equal(store_user_get(s, &a, realm, u.id, &r), KH_OK);
    assert_string_equal(r.username, "alice");
    struct user miss = {.id = "keep"};
    assert_int_equal(store_user_get(s, &a, other, u.id, &miss), KH_ERR_NOTFOUND);
    assert_string_equal(miss.id, "keep");
    assert_int_equal(store_user_find_by_name(s, &a, realm, "nobody", &miss), KH_ERR_NOTFOUND);

    assert_int_equal(store_user_set_password(s, realm, u.id, NULL), KH_OK);
    assert_int_equal(store_user_set_enabled(s, realm, u.id, false), KH_OK);
    assert_int_equal(store_user_get(s, &a, realm, u.id, &r), KH_OK);
    assert_null(r.password_hash);
    assert_false(r.enabled);
    assert_int_equal(store_user_set_password(s, realm, u.id, "$argon2id$new"), KH_OK);
    assert_int_equal(store_user_get(s, &a, realm, u.id, &r), KH_OK);
    assert_string_equal(r.password_hash, "$argon2id$new");
    assert_int_equal(store_user_set_password(s, other, u.id, "x"), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_set_enabled(s, realm, "no-such-id", true), KH_ERR_NOTFOUND);

    /* A record pointing at a missing one: NOTFOUND, nothing written. */
    struct user lost = ct_user_rec(realm + 99, "33333333-3333-4333-8333-333333333333", "carol");
    assert_int_equal(store_user_create(s, &lost, NULL, 0), KH_ERR_NOTFOUND);
    struct role orphan = {.realm_id = realm + 99, .name = "reader"};
    assert_int_equal(store_role_create(s, &orphan, NULL), KH_ERR_NOTFOUND);
    arena_free(&a);
}

static void contract_user_unknown_role(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    ct_role(s, realm, "reader", false, NULL, 0);
    ct_role(s, other, "writer", false, NULL, 0); /* exists, but in another realm */
    const char *roles[] = {"reader", "nope"};
    struct user u = ct_user_rec(realm, "11111111-1111-4111-8111-111111111111", "alice");
    assert_int_equal(store_user_create(s, &u, roles, 2), KH_ERR_NOTFOUND);
    struct user r = {0};
    assert_int_equal(store_user_find_by_name(s, &a, realm, "alice", &r), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_get(s, &a, realm, u.id, &r), KH_ERR_NOTFOUND);

    const char *foreign[] = {"writer"};
    assert_int_equal(store_user_create(s, &u, foreign, 1), KH_ERR_NOTFOUND);
    /* Nothing half-written: the same user can be created afterwards. */
    assert_int_equal(store_user_create(s, &u, roles, 1), KH_OK);
    arena_free(&a);
}

static void contract_user_access(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    const char *reader[] = {"users:read", "events:read"};
    const char *writer[] = {"users:write", "users:read"};
    ct_role(s, realm, "reader", false, reader, 2);
    ct_role(s, realm, "writer", false, writer, 2);
    ct_role(s, realm, "admin", true, NULL, 0);
    const char *rw[] = {"writer", "reader", "writer"};
    ct_user(s, realm, "u-1", "alice", rw, 3);
    const char *adm[] = {"admin", "reader"};
    ct_user(s, realm, "u-2", "root", adm, 2);
    ct_user(s, realm, "u-3", "nobody", NULL, 0);

    struct access acc = {0};
    assert_int_equal(store_user_access(s, &a, realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 2);
    assert_string_equal(acc.roles[0], "reader");
    assert_string_equal(acc.roles[1], "writer");
    assert_int_equal(acc.n_permissions, 3);
    assert_string_equal(acc.permissions[0], "events:read");
    assert_string_equal(acc.permissions[1], "users:read");
    assert_string_equal(acc.permissions[2], "users:write");
    assert_false(acc.all_permissions);

    struct user u = {0};
    assert_int_equal(store_user_access(s, &a, realm, "u-1", &u, &acc), KH_OK);
    assert_string_equal(u.id, "u-1");
    assert_int_equal(u.realm_id, realm);
    assert_string_equal(u.username, "alice");
    assert_true(u.enabled);
    assert_int_equal(acc.n_roles, 2); /* the same access with the user */
    assert_int_equal(acc.n_permissions, 3);

    assert_int_equal(store_user_access(s, &a, realm, "u-2", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 2);
    assert_string_equal(acc.roles[0], "admin");
    assert_true(acc.all_permissions);
    assert_int_equal(acc.n_permissions, 2);

    assert_int_equal(store_user_access(s, &a, realm, "u-3", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 0);
    assert_int_equal(acc.n_permissions, 0);
    assert_false(acc.all_permissions);

    struct access miss = {.n_roles = 42};
    assert_int_equal(store_user_access(s, &a, realm, "u-404", NULL, &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.n_roles, 42);
    assert_int_equal(store_user_access(s, &a, realm + 1, "u-1", NULL, &miss), KH_ERR_NOTFOUND);
    arena_free(&a);
}

/* The client, the address's counter and the owner with its access, read
 * together; the counter also when there is no such client. */
static void contract_client_context(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    const char *perms[] = {"users:write", "users:read"};
    ct_role(s, realm, "writer", false, perms, 2);
    const char *roles[] = {"writer"};
    ct_user(s, realm, "u-1", "svc", roles, 1);
    struct client c = {.id = "c-1", .realm_id = realm, .client_id = "billing",
                       .confidential = true, .grants = GRANT_CLIENT_CREDENTIALS,
                       .scopes = "users:read", .default_scopes = "", .owner_user_id = "u-1",
                       .enabled = true, .created_at = clock_now()};
    ct_hash("khs_secret", c.secret_hash);
    assert_int_equal(store_client_create(s, &c), KH_OK);
    struct client plain = {.id = "c-2", .realm_id = realm, .client_id = "web",
                           .grants = GRANT_PASSWORD, .scopes = "", .default_scopes = "",
                           .enabled = true, .created_at = 5};
    assert_int_equal(store_client_create(s, &plain), KH_OK);
    struct lockout_rule rule = {.threshold = 2, .base_wait = 30, .max_wait = 900, .reset = 3600};
    struct lockout_row counted;
    for (int i = 0; i < 2; i++)
        assert_int_equal(store_lockout_fail(s, realm, "client_ip", "10.0.0.1", 1000, &rule,
                                            &counted), KH_OK);

    struct client_context ctx = {.address = {.kind = "client_ip", .key = "10.0.0.1"},
                                 .with_owner = true};
    assert_int_equal(store_client_context(s, &a, realm, "billing", &ctx), KH_OK);
    assert_string_equal(ctx.client.id, "c-1");
    assert_memory_equal(ctx.client.secret_hash, c.secret_hash, SHA256_LEN);
    assert_string_equal(ctx.client.owner_user_id, "u-1");
    assert_int_equal(ctx.address.failures, 2);
    assert_int_equal(ctx.address.locked_until, 1030);
    assert_string_equal(ctx.address.kind, "client_ip"); /* the caller's, untouched */
    assert_true(ctx.owner_found);
    assert_string_equal(ctx.owner.id, "u-1");
    assert_string_equal(ctx.owner.username, "svc");
    assert_true(ctx.owner.enabled);
    assert_int_equal(ctx.owner_access.n_roles, 1);
    assert_string_equal(ctx.owner_access.roles[0], "writer");
    assert_int_equal(ctx.owner_access.n_permissions, 2);
    assert_string_equal(ctx.owner_access.permissions[0], "users:read");
    assert_string_equal(ctx.owner_access.permissions[1], "users:write");

    /* the owner only when asked; another address has no counter */
    ctx = (struct client_context){.address = {.kind = "client_ip", .key = "10.0.0.2"}};
    assert_int_equal(store_client_context(s, &a, realm, "billing", &ctx), KH_OK);
    assert_false(ctx.owner_found);
    assert_int_equal(ctx.address.failures, 0);
    assert_int_equal(ctx.address.locked_until, 0);

    /* no owner; no address */
    ctx = (struct client_context){.address = {.kind = "client_ip"}, .with_owner = true};
    assert_int_equal(store_client_context(s, &a, realm, "web", &ctx), KH_OK);
    assert_string_equal(ctx.client.id, "c-2");
    assert_false(ctx.owner_found);
    assert_int_equal(ctx.address.failures, 0);

    /* no such client, here or in another realm: the counter all the same */
    ctx = (struct client_context){.address = {.kind = "client_ip", .key = "10.0.0.1"},
                                  .with_owner = true};
    assert_int_equal(store_client_context(s, &a, realm, "nope", &ctx), KH_ERR_NOTFOUND);
    assert_int_equal(ctx.address.failures, 2);
    assert_false(ctx.owner_found);
    ctx = (struct client_context){.address = {.kind = "client_ip", .key = "10.0.0.1"}};
    assert_int_equal(store_client_context(s, &a, realm + 1, "billing", &ctx), KH_ERR_NOTFOUND);
    assert_int_equal(ctx.address.failures, 0);

    /* a disabled owner is read as it is */
    assert_int_equal(store_user_set_enabled(s, realm, "u-1", false), KH_OK);
    ctx = (struct client_context){.address = {.kind = "client_ip"}, .with_owner = true};
    assert_int_equal(store_client_context(s, &a, realm, "billing", &ctx), KH_OK);
    assert_true(ctx.owner_found);
    assert_false(ctx.owner.enabled);
    arena_free(&a);
}

/* Pages in username order; the cursor is the last username seen. */
static void contract_user_list(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    static const char *const names[] = {"carol", "alice", "dave", "bob", "erin"};
    for (size_t i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "u-%zu", i);
        ct_user(s, realm, id, names[i], NULL, 0);
    }
    ct_user(s, other, "u-other", "aaron", NULL, 0);
    struct user *page;
    size_t n;
    assert_int_equal(store_user_list(s, &a, realm, NULL, 2, &page, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].username, "alice");
    assert_string_equal(page[1].username, "bob");
    assert_null(page[0].password_hash);
    assert_int_equal(store_user_list(s, &a, realm, "bob", 2, &page, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].username, "carol");
    assert_string_equal(page[1].username, "dave");
    assert_int_equal(store_user_list(s, &a, realm, "dave", 2, &page, &n), KH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(page[0].username, "erin");
    assert_int_equal(store_user_list(s, &a, realm, "erin", 2, &page, &n), KH_OK);
    assert_int_equal(n, 0);
    arena_free(&a);
}

static void contract_role_list(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    const char *perms[] = {"users:read", "events:read"};
    ct_role(s, realm, "viewer", false, perms, 2);
    ct_role(s, realm, "admin", true, NULL, 0);
    ct_role(s, realm, "Zeta", false, NULL, 0); /* byte order: upper case first */
    ct_role(s, realm, "ops", false, perms + 1, 1);
    ct_role(s, other, "aaa", false, NULL, 0);
    struct role *page;
    size_t n;
    assert_int_equal(store_role_list(s, &a, realm, NULL, 2, &page, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].name, "Zeta");
    assert_int_equal(page[0].n_permissions, 0);
    assert_string_equal(page[1].name, "admin");
    assert_true(page[1].all_permissions);
    assert_int_equal(page[1].realm_id, realm);
    assert_int_equal(store_role_list(s, &a, realm, "admin", 2, &page, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(page[0].name, "ops");
    assert_int_equal(page[0].n_permissions, 1);
    assert_string_equal(page[0].permissions[0], "events:read");
    assert_string_equal(page[1].name, "viewer");
    assert_false(page[1].all_permissions);
    assert_int_equal(page[1].n_permissions, 2);
    assert_string_equal(page[1].permissions[0], "events:read");
    assert_string_equal(page[1].permissions[1], "users:read");
    assert_int_equal(store_role_list(s, &a, realm, "viewer", 2, &page, &n), KH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_role_list(s, &a, other, "", 10, &page, &n), KH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(page[0].name, "aaa");
    arena_free(&a);
}

static void contract_client(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    ct_user(s, realm, "u-1", "svc", NULL, 0);
    struct client c = {
        .id = "c-1", .realm_id = realm, .client_id = "billing", .name = "Billing",
        .confidential = true, .grants = GRANT_CLIENT_CREDENTIALS | GRANT_REFRESH_TOKEN,
        .scopes = "users:read events:read", .default_scopes = "users:read",
        .owner_user_id = "u-1", .enabled = true, .opaque = true, .access_ttl = 60,
        .created_at = clock_now(),
    };
    ct_hash("khs_secret", c.secret_hash);
    assert_int_equal(store_client_create(s, &c), KH_OK);
    struct client pub = {.id = "c-2", .realm_id = realm, .client_id = "web",
                         .grants = GRANT_PASSWORD, .scopes = "", .default_scopes = "",
                         .enabled = true, .created_at = 5};
    assert_int_equal(store_client_create(s, &pub), KH_OK);
    struct client dup = pub;
    dup.id = "c-3";
    assert_int_equal(store_client_create(s, &dup), KH_ERR_CONFLICT);
    struct client orphan = pub;
    orphan.id = "c-4";
    orphan.client_id = "orphan";
    orphan.owner_user_id = "u-404";
    assert_int_equal(store_client_create(s, &orphan), KH_ERR_NOTFOUND);

    struct client r = {0};
    assert_int_equal(store_client_find(s, &a, realm, "billing", &r), KH_OK);
    assert_string_equal(r.id, "c-1");
    assert_int_equal(r.realm_id, realm);
    assert_string_equal(r.client_id, "billing");
    assert_string_equal(r.name, "Billing");
    assert_true(r.confidential);
    assert_memory_equal(r.secret_hash, c.secret_hash, SHA256_LEN);
    assert_int_equal(r.grants, GRANT_CLIENT_CREDENTIALS | GRANT_REFRESH_TOKEN);
    assert_string_equal(r.scopes, "users:read events:read");
    assert_string_equal(r.default_scopes, "users:read");
    assert_string_equal(r.owner_user_id, "u-1");
    assert_true(r.enabled);
    assert_true(r.opaque);
    assert_int_equal(r.access_ttl, 60);
    assert_int_equal(r.created_at, c.created_at);

    assert_int_equal(store_client_find(s, &a, realm, "web", &r), KH_OK);
    assert_null(r.name);
    assert_null(r.owner_user_id);
    assert_false(r.confidential);
    assert_false(r.opaque);
    assert_string_equal(r.scopes, "");

    uint8_t h[SHA256_LEN];
    ct_hash("khs_rotated", h);
    assert_int_equal(store_client_set_secret(s, realm, "billing", h), KH_OK);
    assert_int_equal(store_client_find(s, &a, realm, "billing", &r), KH_OK);
    assert_memory_equal(r.secret_hash, h, SHA256_LEN);
    assert_int_equal(store_client_set_secret(s, realm, "nope", h), KH_ERR_NOTFOUND);

    struct client miss = {.id = "keep"};
    assert_int_equal(store_client_find(s, &a, realm, "nope", &miss), KH_ERR_NOTFOUND);
    assert_int_equal(store_client_find(s, &a, realm + 1, "billing", &miss), KH_ERR_NOTFOUND);
    assert_string_equal(miss.id, "keep");
    assert_int_equal(store_client_find(s, &a, realm, "orphan", &miss), KH_ERR_NOTFOUND);
    arena_free(&a);
}

static void contract_session_refresh(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    ct_user(s, realm, "u-1", "alice", NULL, 0);
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", "u-1", "khr_one", now);

    uint8_t h[SHA256_LEN];
    ct_hash("khr_one", h);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, h, &t), KH_OK);
    assert_memory_equal(t.hash, h, SHA256_LEN);
    assert_string_equal(t.session_id, "s-1");
    assert_int_equal(t.realm_id, realm);
    assert_string_equal(t.client_id, "web");
    assert_string_equal(t.user_id, "u-1");
    assert_string_equal(t.scope, "openid users:read");
    assert_int_equal(t.issued_at, now);
    assert_int_equal(t.expires_at, now + 1800);
    assert_int_equal(t.used_at, 0);
    assert_int_equal(t.session_expires_at, now + 36000);
    assert_int_equal(t.session_revoked_at, 0);
    assert_int_equal(t.auth_time, now - 10);
    assert_false(t.offline);

    /* An offline session of a client subject (no user). */
    struct session off = {.id = "s-2", .realm_id = realm, .client_id = "cli", .offline = true,
                          .created_at = now, .expires_at = now + 100};
    struct refresh_token first = ct_next("s-2", realm, "khr_two", now);
    first.client_id = "cli";
    assert_int_equal(store_session_start(s, &off, &first), KH_OK);
    assert_int_equal(store_refresh_find(s, &a, first.hash, &t), KH_OK);
    assert_null(t.user_id);
    assert_true(t.offline);
    assert_string_equal(t.session_id, "s-2");

    /* Same session id again: conflict, and its token was not stored. */
    struct refresh_token again = ct_next("s-2", realm, "khr_three", now);
    assert_int_equal(store_session_start(s, &off, &again), KH_ERR_CONFLICT);
    struct refresh_token miss = {.used_at = 3};
    assert_int_equal(store_refresh_find(s, &a, again.hash, &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.used_at, 3);
    arena_free(&a);
}

static void contract_rotate(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t old[SHA256_LEN];
    ct_hash("khr_one", old);

    struct refresh_token next = ct_next("s-1", realm, "khr_two", now + 5);
    assert_int_equal(store_refresh_rotate(s, old, &next, now + 5, 0), KH_OK);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, old, &t), KH_OK);
    assert_int_equal(t.used_at, now + 5);
    assert_int_equal(t.session_revoked_at, 0);
    assert_int_equal(store_refresh_find(s, &a, next.hash, &t), KH_OK);
    assert_int_equal(t.used_at, 0);
    assert_string_equal(t.session_id, "s-1");
    assert_int_equal(t.issued_at, now + 5);

    /* Replaying the old token: theft. The family dies, the new token too. */
    struct refresh_token third = ct_next("s-1", realm, "khr_three", now + 9);
    assert_int_equal(store_refresh_rotate(s, old, &third, now + 9, 0), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_find(s, &a, third.hash, &t), KH_ERR_NOTFOUND);
    assert_int_equal(store_refresh_find(s, &a, old, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 9);
    assert_int_equal(store_refresh_find(s, &a, next.hash, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 9);
    assert_int_equal(t.used_at, now + 9);
    assert_int_equal(store_refresh_rotate(s, next.hash, &third, now + 10, 0), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_find(s, &a, next.hash, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 9); /* revoked once, not moved */
    arena_free(&a);
}

/* Batched writes: two rotations of one token in one batch behave as if in
 * turn (the second is a reuse that revokes the family, durably), a failed op
 * leaves nothing of itself, and nothing is visible before batch_end. */
static void contract_batch(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    ct_session(s, realm, "s-2", NULL, "khr_uno", now);
    uint8_t one[SHA256_LEN], uno[SHA256_LEN];
    ct_hash("khr_one", one);
    ct_hash("khr_uno", uno);
    struct refresh_token two = ct_next("s-1", realm, "khr_two", now + 1);
    struct refresh_token dos = ct_next("s-2", realm, "khr_dos", now + 1);
    struct refresh_token thief = ct_next("s-1", realm, "khr_thief", now + 2);
    struct refresh_token stray = ct_next("s-1", realm, "khr_stray", now + 2);
    uint8_t unknown[SHA256_LEN];
    ct_hash("khr_unknown", unknown);

    assert_int_equal(store_batch_begin(s), KH_OK);
    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1, 0), KH_OK);
    assert_int_equal(store_refresh_rotate(s, uno, &dos, now + 1, 0), KH_OK);
    assert_int_equal(store_refresh_rotate(s, one, &thief, now + 2, 0), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_rotate(s, unknown, &stray, now + 2, 0), KH_ERR_NOTFOUND);
    assert_int_equal(store_batch_end(s), KH_OK);

    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, two.hash, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 2); /* the reuse revoked s-1 */
    assert_int_equal(store_refresh_find(s, &a, thief.hash, &t), KH_ERR_NOTFOUND);
    assert_int_equal(store_refresh_find(s, &a, stray.hash, &t), KH_ERR_NOTFOUND);
    assert_int_equal(store_refresh_find(s, &a, dos.hash, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, 0); /* s-2 untouched */
    arena_free(&a);
}

struct ct_peek {
    struct store *s;
    const uint8_t *hash;
    enum kh_status seen;
};

static void *ct_peek_thread(void *arg)
{
    struct ct_peek *p = arg;
    struct arena a;
    arena_init(&a);
    struct refresh_token t;
    p->seen = store_refresh_find(p->s, &a, p->hash, &t);
    arena_free(&a);
    return NULL;
}

/* Another thread does not see a batch's writes before batch_end. */
static void contract_batch_read_snapshot(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t one[SHA256_LEN];
    ct_hash("khr_one", one);
    struct refresh_token two = ct_next("s-1", realm, "khr_two", now + 1);
    struct ct_peek peek = {.s = s, .hash = two.hash};
    pthread_t th;
    assert_int_equal(store_batch_begin(s), KH_OK);
    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1, 0), KH_OK);
    assert_int_equal(pthread_create(&th, NULL, ct_peek_thread, &peek), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(peek.seen, KH_ERR_NOTFOUND);
    assert_int_equal(store_batch_end(s), KH_OK);
    assert_int_equal(pthread_create(&th, NULL, ct_peek_thread, &peek), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(peek.seen, KH_OK);
}

static void contract_rotate_unknown(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t h[SHA256_LEN];
    ct_hash("khr_unknown", h);
    struct refresh_token next = ct_next("s-1", realm, "khr_two", now);
    assert_int_equal(store_refresh_rotate(s, h, &next, now, 0), KH_ERR_NOTFOUND);
    struct arena a;
    arena_init(&a);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, next.hash, &t), KH_ERR_NOTFOUND);
    ct_hash("khr_one", h);
    assert_int_equal(store_refresh_find(s, &a, h, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, 0);
    arena_free(&a);
}

static void contract_session_revoke(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    ct_session(s, realm, "s-2", NULL, "khr_other", now);
    uint8_t h[SHA256_LEN], other[SHA256_LEN];
    ct_hash("khr_one", h);
    ct_hash("khr_other", other);
    assert_int_equal(store_session_revoke(s, "s-1", now + 1), KH_OK);
    assert_int_equal(store_session_revoke(s, "s-1", now + 2), KH_OK); /* idempotent */
    assert_int_equal(store_session_revoke(s, "s-404", now), KH_ERR_NOTFOUND);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, h, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 1);
    assert_int_equal(t.used_at, now + 1);
    struct refresh_token next = ct_next("s-1", realm, "khr_two", now + 3);
    assert_int_equal(store_refresh_rotate(s, h, &next, now + 3, 0), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_find(s, &a, other, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, 0);
    assert_int_equal(t.used_at, 0);
    arena_free(&a);
}

#define CT_RACERS 8

struct ct_racer {
    struct store *s;
    pthread_barrier_t *go;
    const uint8_t *old;
    struct refresh_token next;
    char token[32];
    int64_t grace;
    enum kh_status rc;
};

static void *ct_race(void *p)
{
    struct ct_racer *r = p;
    pthread_barrier_wait(r->go);
    r->rc = store_refresh_rotate(r->s, r->old, &r->next, r->next.issued_at, r->grace);
    return NULL;
}

static void contract_rotate_race(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t old[SHA256_LEN];
    ct_hash("khr_one", old);

    pthread_barrier_t go;
    assert_int_equal(pthread_barrier_init(&go, NULL, CT_RACERS), 0);
    struct ct_racer racers[CT_RACERS];
    pthread_t th[CT_RACERS];
    for (int i = 0; i < CT_RACERS; i++) {
        struct ct_racer *r = &racers[i];
        *r = (struct ct_racer){.s = s, .go = &go, .old = old, .rc = KH_ERR_INTERNAL};
        snprintf(r->token, sizeof(r->token), "khr_next_%d", i);
        r->next = ct_next("s-1", realm, r->token, now + 1);
        assert_int_equal(pthread_create(&th[i], NULL, ct_race, r), 0);
    }
    int ok = 0, conflict = 0, winner = -1;
    for (int i = 0; i < CT_RACERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        if (racers[i].rc == KH_OK) {
            ok++;
            winner = i;
        } else if (racers[i].rc == KH_ERR_CONFLICT) {
            conflict++;
        }
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, CT_RACERS - 1);

    /* The losers saw a reuse: the family is revoked, the winner's token too. */
    struct arena a;
    arena_init(&a);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, racers[winner].next.hash, &t), KH_OK);
    assert_true(t.session_revoked_at > 0);
    assert_true(t.used_at > 0);
    for (int i = 0; i < CT_RACERS; i++)
        if (i != winner)
            assert_int_equal(store_refresh_find(s, &a, racers[i].next.hash, &t),
                             KH_ERR_NOTFOUND);
    arena_free(&a);
}

static void ct_key(struct store *s, int64_t realm, const char *kid, int64_t created,
                   int64_t retire, enum kh_status want)
{
    uint8_t enc[40];
    memset(enc, kid[1], sizeof(enc));
    struct signing_key k = {.kid = kid, .realm_id = realm, .alg = "ES256", .private_enc = enc,
                            .private_enc_len = sizeof(enc), .created_at = created,
                            .active_from = created + 300, .retire_at = retire};
    assert_int_equal(store_key_insert(s, &k), want);
}

static void contract_keys(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    int64_t now = clock_now();
    ct_key(s, realm, "k1", now - 300, 0, KH_OK);
    ct_key(s, realm, "k2", now - 100, now + 3600, KH_OK);  /* retiring later: listed */
    ct_key(s, realm, "k3", now - 100, 0, KH_OK);           /* same time, inserted later */
    ct_key(s, realm, "k0", now - 900, now - 1, KH_OK);     /* retired: not listed */
    ct_key(s, other, "k9", now, 0, KH_OK);
    ct_key(s, realm, "k1", now, 0, KH_ERR_CONFLICT);

    struct signing_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(store_key_list(s, &a, realm, &keys, &n), KH_OK);
    assert_int_equal(n, 3);
    assert_string_equal(keys[0].kid, "k3");
    assert_string_equal(keys[1].kid, "k2");
    assert_string_equal(keys[2].kid, "k1");
    assert_int_equal(keys[1].realm_id, realm);
    assert_string_equal(keys[1].alg, "ES256");
    assert_int_equal(keys[1].private_enc_len, 40);
    assert_int_equal(keys[1].private_enc[0], '2');
    assert_int_equal(keys[1].private_enc[39], '2');
    assert_int_equal(keys[1].created_at, now - 100);
    assert_int_equal(keys[1].active_from, now + 200);
    assert_int_equal(keys[1].retire_at, now + 3600);

    assert_int_equal(store_key_list(s, &a, realm + 99, &keys, &n), KH_OK);
    assert_int_equal(n, 0);
    arena_free(&a);
}

/* ---- issue 4: the token lifecycle ---- */

static void contract_realm_update(struct store *s)
{
    struct arena a;
    arena_init(&a);
    ct_realm(s, "main");
    ct_realm(s, "other");
    struct realm r = {0};
    assert_int_equal(store_realm_find(s, &a, "main", &r), KH_OK);
    r.access_ttl = 60;
    r.refresh_idle_ttl = 600;
    r.session_max_ttl = 7200;
    r.offline_idle_ttl = 86400;
    r.refresh_grace = 5;
    r.name = "renamed"; /* not written: only the lifetimes and the grace */
    assert_int_equal(store_realm_update(s, &r), KH_OK);
    assert_int_equal(store_realm_update(s, &r), KH_OK); /* same values again: still found */

    struct realm got = {0};
    assert_int_equal(store_realm_find(s, &a, "main", &got), KH_OK);
    assert_int_equal(got.id, r.id);
    assert_int_equal(got.access_ttl, 60);
    assert_int_equal(got.refresh_idle_ttl, 600);
    assert_int_equal(got.session_max_ttl, 7200);
    assert_int_equal(got.offline_idle_ttl, 86400);
    assert_int_equal(got.refresh_grace, 5);
    assert_string_equal(got.alg, "ES256");

    struct realm *list = NULL;
    size_t n = 0;
    assert_int_equal(store_realm_list(s, &a, &list, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].refresh_grace, 5);
    assert_int_equal(list[1].refresh_grace, 0); /* the other realm is untouched */
    assert_int_equal(list[1].access_ttl, 300);

    /* Created with a grace: read back. */
    struct realm g = {.name = "graced", .alg = "EdDSA", .access_ttl = 1, .refresh_idle_ttl = 2,
                      .session_max_ttl = 3, .offline_idle_ttl = 4, .refresh_grace = 9,
                      .created_at = 1};
    assert_int_equal(store_realm_create(s, &g, NULL), KH_OK);
    assert_int_equal(store_realm_find(s, &a, "graced", &got), KH_OK);
    assert_int_equal(got.refresh_grace, 9);

    struct realm missing = r;
    missing.id = r.id + 1000;
    assert_int_equal(store_realm_update(s, &missing), KH_ERR_NOTFOUND);
    arena_free(&a);
}

static struct client ct_client_rec(int64_t realm_id, const char *id, const char *client_id,
                                   bool confidential)
{
    struct client c = {.id = id, .realm_id = realm_id, .client_id = client_id,
                       .confidential = confidential, .grants = GRANT_PASSWORD,
                       .scopes = "openid", .default_scopes = "openid", .enabled = true,
                       .refresh_grace = -1, .created_at = clock_now()};
    if (confidential)
        ct_hash(client_id, c.secret_hash);
    return c;
}

static void contract_client_update(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    struct client plain = ct_client_rec(realm, "c-1", "web", false);
    assert_int_equal(store_client_create(s, &plain), KH_OK);
    struct client r = {0};
    assert_int_equal(store_client_find(s, &a, realm, "web", &r), KH_OK);
    assert_int_equal(r.access_ttl, 0); /* 0 and -1: the realm's */
    assert_int_equal(r.refresh_idle_ttl, 0);
    assert_int_equal(r.session_max_ttl, 0);
    assert_int_equal(r.offline_idle_ttl, 0);
    assert_int_equal(r.refresh_grace, -1);
    assert_int_equal(r.old_secret_until, 0);
    uint8_t zero[SHA256_LEN] = {0};
    assert_memory_equal(r.old_secret_hash, zero, SHA256_LEN);

    /* Overrides given at creation are kept. */
    struct client tuned = ct_client_rec(realm, "c-2", "tuned", true);
    tuned.access_ttl = 30;
    tuned.refresh_idle_ttl = 40;
    tuned.session_max_ttl = 50;
    tuned.offline_idle_ttl = 60;
    tuned.refresh_grace = 0;
    assert_int_equal(store_client_create(s, &tuned), KH_OK);
    assert_int_equal(store_client_find(s, &a, realm, "tuned", &r), KH_OK);
    assert_int_equal(r.access_ttl, 30);
    assert_int_equal(r.refresh_idle_ttl, 40);
    assert_int_equal(r.session_max_ttl, 50);
    assert_int_equal(r.offline_idle_ttl, 60);
    assert_int_equal(r.refresh_grace, 0);

    /* Update: lifetimes, grace, scopes, grants, enabled, opaque, name and owner
     * (test_admin_rows.c); nothing else. */
    struct client u = plain;
    u.access_ttl = 120;
    u.refresh_idle_ttl = 900;
    u.session_max_ttl = 3600;
    u.offline_idle_ttl = 7200;
    u.refresh_grace = 3;
    u.scopes = "openid profile email";
    u.default_scopes = "openid email";
    u.grants = GRANT_PASSWORD | GRANT_REFRESH_TOKEN;
    u.enabled = false;
    u.opaque = true;
    u.name = "Web app";
    u.confidential = true;
    assert_int_equal(store_client_update(s, &u), KH_OK);
    assert_int_equal(store_client_find(s, &a, realm, "web", &r), KH_OK);
    assert_string_equal(r.id, "c-1");
    assert_string_equal(r.name, "Web app");
    assert_false(r.confidential);
    assert_int_equal(r.access_ttl, 120);
    assert_int_equal(r.refresh_idle_ttl, 900);
    assert_int_equal(r.session_max_ttl, 3600);
    assert_int_equal(r.offline_idle_ttl, 7200);
    assert_int_equal(r.refresh_grace, 3);
    assert_string_equal(r.scopes, "openid profile email");
    assert_string_equal(r.default_scopes, "openid email");
    assert_int_equal(r.grants, GRANT_PASSWORD | GRANT_REFRESH_TOKEN);
    assert_false(r.enabled);
    assert_true(r.opaque);
    assert_int_equal(r.created_at, plain.created_at);

    /* Back to the realm's, enabled, JWT. */
    u.access_ttl = u.refresh_idle_ttl = u.session_max_ttl = u.offline_idle_ttl = 0;
    u.refresh_grace = -1;
    u.enabled = true;
    u.opaque = false;
    assert_int_equal(store_client_update(s, &u), KH_OK);
    assert_int_equal(store_client_find(s, &a, realm, "web", &r), KH_OK);
    assert_int_equal(r.access_ttl, 0);
    assert_int_equal(r.refresh_grace, -1);
    assert_true(r.enabled);
    assert_false(r.opaque);
    assert_int_equal(store_client_find(s, &a, realm, "tuned", &r), KH_OK);
    assert_int_equal(r.access_ttl, 30); /* the other client untouched */

    struct client missing = u;
    missing.client_id = "nope";
    assert_int_equal(store_client_update(s, &missing), KH_ERR_NOTFOUND);
    missing = u;
    missing.realm_id = realm + 1;
    assert_int_equal(store_client_update(s, &missing), KH_ERR_NOTFOUND);
    arena_free(&a);
}

static void contract_client_rotate_secret(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    struct client conf = ct_client_rec(realm, "c-1", "billing", true);
    struct client pub = ct_client_rec(realm, "c-2", "web", false);
    assert_int_equal(store_client_create(s, &conf), KH_OK);
    assert_int_equal(store_client_create(s, &pub), KH_OK);

    uint8_t second[SHA256_LEN], third[SHA256_LEN];
    ct_hash("khs_second", second);
    ct_hash("khs_third", third);
    assert_int_equal(store_client_rotate_secret(s, realm, "billing", second, now + 60), KH_OK);
    struct client r = {0};
    assert_int_equal(store_client_find(s, &a, realm, "billing", &r), KH_OK);
    assert_memory_equal(r.secret_hash, second, SHA256_LEN);
    assert_memory_equal(r.old_secret_hash, conf.secret_hash, SHA256_LEN);
    assert_int_equal(r.old_secret_until, now + 60);
    assert_true(r.confidential);

    /* Two secrets at most: the first is gone once the second becomes old. */
    assert_int_equal(store_client_rotate_secret(s, realm, "billing", third, 0), KH_OK);
    assert_int_equal(store_client_find(s, &a, realm, "billing", &r), KH_OK);
    assert_memory_equal(r.secret_hash, third, SHA256_LEN);
    assert_memory_equal(r.old_secret_hash, second, SHA256_LEN);
    assert_int_equal(r.old_secret_until, 0);

    /* A public client has no secret to rotate; nothing is written. */
    assert_int_equal(store_client_rotate_secret(s, realm, "web", second, now + 60),
                     KH_ERR_NOTFOUND);
    assert_int_equal(store_client_find(s, &a, realm, "web", &r), KH_OK);
    assert_false(r.confidential);
    assert_int_equal(r.old_secret_until, 0);
    uint8_t zero[SHA256_LEN] = {0};
    assert_memory_equal(r.old_secret_hash, zero, SHA256_LEN);
    assert_memory_equal(r.secret_hash, zero, SHA256_LEN);

    assert_int_equal(store_client_rotate_secret(s, realm, "nope", second, now), KH_ERR_NOTFOUND);
    assert_int_equal(store_client_rotate_secret(s, realm + 1, "billing", second, now),
                     KH_ERR_NOTFOUND);
    arena_free(&a);
}

/* The state of one token: used_at, retried, and its session's revocation. */
static void ct_token_state(struct store *s, const uint8_t hash[SHA256_LEN], int64_t used_at,
                           bool retried, int64_t session_revoked_at)
{
    struct arena a;
    arena_init(&a);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, hash, &t), KH_OK);
    assert_int_equal(t.used_at, used_at);
    assert_int_equal(t.retried, retried);
    assert_int_equal(t.session_revoked_at, session_revoked_at);
    arena_free(&a);
}

static void ct_token_missing(struct store *s, const uint8_t hash[SHA256_LEN])
{
    struct arena a;
    arena_init(&a);
    struct refresh_token t = {0};
    assert_int_equal(store_refresh_find(s, &a, hash, &t), KH_ERR_NOTFOUND);
    arena_free(&a);
}

/* Grace 0: the second presentation is a reuse, whatever the interval. */
static void contract_rotate_no_grace(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t one[SHA256_LEN];
    ct_hash("khr_one", one);
    struct refresh_token two = ct_next("s-1", realm, "khr_two", now + 1);
    struct refresh_token again = ct_next("s-1", realm, "khr_again", now + 1);
    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1, 0), KH_OK);
    assert_int_equal(store_refresh_rotate(s, one, &again, now + 1, 0), KH_ERR_CONFLICT);
    ct_token_missing(s, again.hash);
    /* Every token of an ended family is used and retried: nothing revives one. */
    ct_token_state(s, one, now + 1, true, now + 1);
    ct_token_state(s, two.hash, now + 1, true, now + 1);
    /* A negative grace is no grace. */
    ct_session(s, realm, "s-2", NULL, "khr_uno", now);
    uint8_t uno[SHA256_LEN];
    ct_hash("khr_uno", uno);
    struct refresh_token dos = ct_next("s-2", realm, "khr_dos", now + 1);
    struct refresh_token tres = ct_next("s-2", realm, "khr_tres", now + 1);
    assert_int_equal(store_refresh_rotate(s, uno, &dos, now + 1, -5), KH_OK);
    assert_int_equal(store_refresh_rotate(s, uno, &tres, now + 2, -5), KH_ERR_CONFLICT);
    ct_token_missing(s, tres.hash);
}

/* Grace 5: one retry within 5 s gets a fresh pair in the same family; the
 * next presentation is a reuse that revokes the family. */
static void contract_rotate_grace(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t one[SHA256_LEN];
    ct_hash("khr_one", one);
    struct refresh_token two = ct_next("s-1", realm, "khr_two", now + 1);
    struct refresh_token retry = ct_next("s-1", realm, "khr_retry", now + 5);
    struct refresh_token third = ct_next("s-1", realm, "khr_third", now + 5);

    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1, 5), KH_OK);
    /* The first use is no retry: SET saw used_at as it was (NULL). */
    ct_token_state(s, one, now + 1, false, 0);
    ct_token_state(s, two.hash, 0, false, 0);

    assert_int_equal(store_refresh_rotate(s, one, &retry, now + 5, 5), KH_OK);
    ct_token_state(s, one, now + 1, true, 0); /* used_at stays the first rotation's */
    ct_token_state(s, retry.hash, 0, false, 0);
    ct_token_state(s, two.hash, 0, false, 0); /* nothing revoked */

    assert_int_equal(store_refresh_rotate(s, one, &third, now + 5, 5), KH_ERR_CONFLICT);
    ct_token_missing(s, third.hash);
    ct_token_state(s, one, now + 1, true, now + 5);
    ct_token_state(s, two.hash, now + 5, true, now + 5);
    ct_token_state(s, retry.hash, now + 5, true, now + 5);

    /* A retried token's successors rotate as usual until the family ends; here it has. */
    struct refresh_token four = ct_next("s-1", realm, "khr_four", now + 6);
    assert_int_equal(store_refresh_rotate(s, retry.hash, &four, now + 6, 5), KH_ERR_CONFLICT);
    ct_token_missing(s, four.hash);
}

/* After the grace (or exactly at its end) a presentation is a reuse. */
static void contract_rotate_grace_expired(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    const char *sids[] = {"s-late", "s-edge"};
    const int64_t after[] = {6, 5};
    for (size_t i = 0; i < 2; i++) {
        char first[32], second[32], late[32];
        snprintf(first, sizeof(first), "khr_first_%zu", i);
        snprintf(second, sizeof(second), "khr_second_%zu", i);
        snprintf(late, sizeof(late), "khr_late_%zu", i);
        ct_session(s, realm, sids[i], NULL, first, now);
        uint8_t h[SHA256_LEN];
        ct_hash(first, h);
        struct refresh_token next = ct_next(sids[i], realm, second, now);
        struct refresh_token retry = ct_next(sids[i], realm, late, now + after[i]);
        assert_int_equal(store_refresh_rotate(s, h, &next, now, 5), KH_OK);
        assert_int_equal(store_refresh_rotate(s, h, &retry, now + after[i], 5), KH_ERR_CONFLICT);
        ct_token_missing(s, retry.hash);
        ct_token_state(s, next.hash, now + after[i], true, now + after[i]);
    }
}

/* A family ended (logout, revocation) stays ended within the grace. */
static void contract_rotate_grace_revoked(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t one[SHA256_LEN];
    ct_hash("khr_one", one);
    struct refresh_token two = ct_next("s-1", realm, "khr_two", now);
    assert_int_equal(store_refresh_rotate(s, one, &two, now, 5), KH_OK);
    assert_int_equal(store_session_revoke(s, "s-1", now + 1), KH_OK);
    struct refresh_token a = ct_next("s-1", realm, "khr_a", now + 2);
    struct refresh_token b = ct_next("s-1", realm, "khr_b", now + 2);
    assert_int_equal(store_refresh_rotate(s, one, &a, now + 2, 5), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_rotate(s, two.hash, &b, now + 2, 5), KH_ERR_CONFLICT);
    ct_token_missing(s, a.hash);
    ct_token_missing(s, b.hash);
    ct_token_state(s, one, now, true, now + 1);
    ct_token_state(s, two.hash, now + 1, true, now + 1);
}

/* Racing on a fresh token with a grace: the first use and one retry win;
 * every other presentation is a reuse (and the family ends). */
static void contract_rotate_grace_race(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", NULL, "khr_one", now);
    uint8_t old[SHA256_LEN];
    ct_hash("khr_one", old);
    pthread_barrier_t go;
    assert_int_equal(pthread_barrier_init(&go, NULL, CT_RACERS), 0);
    struct ct_racer racers[CT_RACERS];
    pthread_t th[CT_RACERS];
    for (int i = 0; i < CT_RACERS; i++) {
        struct ct_racer *r = &racers[i];
        *r = (struct ct_racer){.s = s, .go = &go, .old = old, .grace = 5,
                               .rc = KH_ERR_INTERNAL};
        snprintf(r->token, sizeof(r->token), "khr_next_%d", i);
        r->next = ct_next("s-1", realm, r->token, now + 1);
        assert_int_equal(pthread_create(&th[i], NULL, ct_race, r), 0);
    }
    int ok = 0, conflict = 0;
    for (int i = 0; i < CT_RACERS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        ok += racers[i].rc == KH_OK;
        conflict += racers[i].rc == KH_ERR_CONFLICT;
    }
    pthread_barrier_destroy(&go);
    assert_int_equal(ok, 2);
    assert_int_equal(conflict, CT_RACERS - 2);
    ct_token_state(s, old, now + 1, true, now + 1);
}

static void contract_session_find(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    ct_user(s, realm, "u-1", "alice", NULL, 0);
    int64_t now = clock_now();
    ct_session(s, realm, "s-1", "u-1", "khr_one", now);
    struct session got = {0};
    assert_int_equal(store_session_find(s, &a, "s-1", &got), KH_OK);
    assert_string_equal(got.id, "s-1");
    assert_int_equal(got.realm_id, realm);
    assert_string_equal(got.user_id, "u-1");
    assert_string_equal(got.client_id, "web");
    assert_false(got.offline);
    assert_int_equal(got.created_at, now - 10);
    assert_int_equal(got.expires_at, now + 36000);
    assert_int_equal(got.revoked_at, 0);

    struct session off = {.id = "s-2", .realm_id = realm, .client_id = "cli", .offline = true,
                          .created_at = now, .expires_at = INT64_MAX};
    struct refresh_token first = ct_next("s-2", realm, "khr_two", now);
    assert_int_equal(store_session_start(s, &off, &first), KH_OK);
    assert_int_equal(store_session_find(s, &a, "s-2", &got), KH_OK);
    assert_null(got.user_id);
    assert_true(got.offline);
    assert_int_equal(got.expires_at, INT64_MAX);

    assert_int_equal(store_session_revoke(s, "s-1", now + 3), KH_OK);
    assert_int_equal(store_session_find(s, &a, "s-1", &got), KH_OK);
    assert_int_equal(got.revoked_at, now + 3);

    struct session miss = {.id = "keep"};
    assert_int_equal(store_session_find(s, &a, "s-404", &miss), KH_ERR_NOTFOUND);
    assert_string_equal(miss.id, "keep");
    arena_free(&a);
}

static struct access_token ct_access(int64_t realm_id, const char *token, const char *user_id,
                                     const char *session_id, int64_t now, int64_t ttl)
{
    struct access_token t = {.realm_id = realm_id, .client_id = "web",
                             .subject = user_id ? user_id : "c-1", .user_id = user_id,
                             .session_id = session_id, .scope = "openid email",
                             .issued_at = now, .expires_at = now + ttl};
    ct_hash(token, t.hash);
    return t;
}

static void contract_access_tokens(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    struct access_token user = ct_access(realm, "kha_user", "u-1", "s-1", now, 300);
    struct access_token svc = ct_access(realm, "kha_svc", NULL, NULL, now, 60);
    svc.scope = NULL; /* stored as "" */
    assert_int_equal(store_access_insert(s, &user), KH_OK);
    assert_int_equal(store_access_insert(s, &svc), KH_OK);
    assert_int_equal(store_access_insert(s, &user), KH_ERR_CONFLICT);
    struct access_token orphan = ct_access(realm + 99, "kha_orphan", NULL, NULL, now, 60);
    assert_int_equal(store_access_insert(s, &orphan), KH_ERR_NOTFOUND);

    struct access_token got = {0};
    assert_int_equal(store_access_find(s, &a, user.hash, &got), KH_OK);
    assert_memory_equal(got.hash, user.hash, SHA256_LEN);
    assert_int_equal(got.realm_id, realm);
    assert_string_equal(got.client_id, "web");
    assert_string_equal(got.subject, "u-1");
    assert_string_equal(got.user_id, "u-1");
    assert_string_equal(got.session_id, "s-1");
    assert_string_equal(got.scope, "openid email");
    assert_int_equal(got.issued_at, now);
    assert_int_equal(got.expires_at, now + 300);
    assert_int_equal(got.revoked_at, 0);
    assert_int_equal(store_access_find(s, &a, svc.hash, &got), KH_OK);
    assert_string_equal(got.subject, "c-1");
    assert_null(got.user_id);
    assert_null(got.session_id);
    assert_string_equal(got.scope, "");

    assert_int_equal(store_access_revoke(s, user.hash, now + 7), KH_OK);
    assert_int_equal(store_access_revoke(s, user.hash, now + 9), KH_OK); /* keeps the first */
    assert_int_equal(store_access_find(s, &a, user.hash, &got), KH_OK);
    assert_int_equal(got.revoked_at, now + 7);
    assert_int_equal(store_access_find(s, &a, svc.hash, &got), KH_OK);
    assert_int_equal(got.revoked_at, 0);

    uint8_t unknown[SHA256_LEN];
    ct_hash("kha_unknown", unknown);
    assert_int_equal(store_access_revoke(s, unknown, now), KH_ERR_NOTFOUND);
    struct access_token miss = {.issued_at = 42};
    assert_int_equal(store_access_find(s, &a, unknown, &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.issued_at, 42);
    arena_free(&a);
}

static void contract_jti(struct store *s)
{
    int64_t realm = ct_realm(s, "main");
    int64_t other = ct_realm(s, "other");
    int64_t now = clock_now();
    assert_int_equal(store_jti_is_revoked(s, realm, "jti-1"), KH_ERR_NOTFOUND);
    assert_int_equal(store_jti_revoke(s, realm, "jti-1", now + 300), KH_OK);
    assert_int_equal(store_jti_revoke(s, realm, "jti-1", now + 600), KH_OK); /* twice: fine */
    assert_int_equal(store_jti_is_revoked(s, realm, "jti-1"), KH_OK);
    assert_int_equal(store_jti_is_revoked(s, other, "jti-1"), KH_ERR_NOTFOUND);
    assert_int_equal(store_jti_is_revoked(s, realm, "jti-2"), KH_ERR_NOTFOUND);
    assert_int_equal(store_jti_revoke(s, other, "jti-1", now + 300), KH_OK);
    assert_int_equal(store_jti_is_revoked(s, other, "jti-1"), KH_OK);
}

static void contract_key_update(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_key(s, realm, "k1", now - 300, 0, KH_OK);
    ct_key(s, realm, "k2", now - 100, 0, KH_OK);
    ct_key(s, realm, "k3", now - 50, 0, KH_OK);

    /* k3 scheduled to retire later: still listed, with the new times. */
    assert_int_equal(store_key_update(s, "k3", now - 40, now + 600), KH_OK);
    /* k1 retired now: gone from the list. */
    assert_int_equal(store_key_update(s, "k1", now - 300, now), KH_OK);
    struct signing_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(store_key_list(s, &a, realm, &keys, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].kid, "k3");
    assert_int_equal(keys[0].active_from, now - 40);
    assert_int_equal(keys[0].retire_at, now + 600);
    assert_string_equal(keys[1].kid, "k2");
    assert_int_equal(keys[1].retire_at, 0);

    /* Unscheduling brings a key back (retire_at 0: not scheduled). */
    assert_int_equal(store_key_update(s, "k1", now - 300, 0), KH_OK);
    assert_int_equal(store_key_list(s, &a, realm, &keys, &n), KH_OK);
    assert_int_equal(n, 3);
    assert_string_equal(keys[2].kid, "k1");

    assert_int_equal(store_key_update(s, "k404", now, now), KH_ERR_NOTFOUND);
    arena_free(&a);
}

#define CT_PURGE_EXPIRED 1000

/* The rows purge must leave alone, and those it must remove. */
static void ct_purge_fill(struct store *s, int64_t realm, int64_t now)
{
    /* 1000 dead tokens in one batch: half idle-expired in sessions not yet at
     * their maximum, half of expired sessions. Either way the session goes
     * with its last token: nothing can use an empty session again. */
    assert_int_equal(store_batch_begin(s), KH_OK);
    for (int i = 0; i < CT_PURGE_EXPIRED; i++) {
        char sid[32], tok[32];
        snprintf(sid, sizeof(sid), "s-dead-%d", i);
        snprintf(tok, sizeof(tok), "khr_dead_%d", i);
        bool session_expired = i % 2 == 0;
        struct session sess = {.id = sid, .realm_id = realm, .client_id = "web",
                               .created_at = now - 4000,
                               .expires_at = session_expired ? now - 1 : now + 3600};
        struct refresh_token t = ct_next(sid, realm, tok, now - 4000);
        t.expires_at = session_expired ? now + 1800 : now;
        assert_int_equal(store_session_start(s, &sess, &t), KH_OK);
    }
    for (int i = 0; i < 150; i++) {
        char tok[32];
        snprintf(tok, sizeof(tok), "kha_dead_%d", i);
        struct access_token at = ct_access(realm, tok, NULL, NULL, now - 400, 300 - i % 2 * 100);
        assert_int_equal(store_access_insert(s, &at), KH_OK);
    }
    for (int i = 0; i < 120; i++) {
        char jti[32];
        snprintf(jti, sizeof(jti), "jti-dead-%d", i);
        assert_int_equal(store_jti_revoke(s, realm, jti, now - i), KH_OK);
    }
    assert_int_equal(store_batch_end(s), KH_OK);

    /* Live: a rotated family (the used token is kept until it expires), an
     * offline session, a revoked session (its token and it go), access
     * tokens and jtis not yet expired (revoked or not). */
    ct_session(s, realm, "s-live", NULL, "khr_live", now);
    uint8_t live[SHA256_LEN];
    ct_hash("khr_live", live);
    struct refresh_token next = ct_next("s-live", realm, "khr_live_next", now);
    assert_int_equal(store_refresh_rotate(s, live, &next, now, 0), KH_OK);
    struct session off = {.id = "s-off", .realm_id = realm, .client_id = "web", .offline = true,
                          .created_at = now, .expires_at = INT64_MAX};
    struct refresh_token off_tok = ct_next("s-off", realm, "khr_off", now);
    off_tok.expires_at = now + 2592000;
    assert_int_equal(store_session_start(s, &off, &off_tok), KH_OK);
    ct_session(s, realm, "s-rev", NULL, "khr_rev", now);
    assert_int_equal(store_session_revoke(s, "s-rev", now), KH_OK);
    struct access_token at = ct_access(realm, "kha_live", "u-1", "s-live", now, 1);
    struct access_token rev = ct_access(realm, "kha_rev", "u-1", "s-live", now, 300);
    assert_int_equal(store_access_insert(s, &at), KH_OK);
    assert_int_equal(store_access_insert(s, &rev), KH_OK);
    assert_int_equal(store_access_revoke(s, rev.hash, now), KH_OK);
    assert_int_equal(store_jti_revoke(s, realm, "jti-live", now + 1), KH_OK);
}

static void contract_purge(struct store *s)
{
    struct arena a;
    arena_init(&a);
    int64_t realm = ct_realm(s, "main");
    int64_t now = clock_now();
    ct_purge_fill(s, realm, now);

    struct purge_counts total = {0}, pc;
    int passes = 0;
    do {
        memset(&pc, 0xff, sizeof(pc));
        assert_int_equal(store_purge(s, now, 100, &pc), KH_OK);
        assert_true(pc.refresh_tokens <= 100 && pc.sessions <= 100);
        assert_true(pc.access_tokens <= 100 && pc.revoked_jtis <= 100);
        total.refresh_tokens += pc.refresh_tokens;
        total.sessions += pc.sessions;
        total.access_tokens += pc.access_tokens;
        total.revoked_jtis += pc.revoked_jtis;
        assert_true(++passes < 50);
    } while (pc.refresh_tokens + pc.sessions + pc.access_tokens + pc.revoked_jtis > 0);
    assert_true(passes >= 11); /* 1001 tokens in batches of 100 */
    assert_int_equal(total.refresh_tokens, CT_PURGE_EXPIRED + 1);   /* + s-rev's */
    assert_int_equal(total.sessions, CT_PURGE_EXPIRED + 1);          /* + s-rev */
    assert_int_equal(total.access_tokens, 150);
    assert_int_equal(total.revoked_jtis, 120);

    /* Dead rows are gone. */
    uint8_t h[SHA256_LEN];
    struct session sess;
    for (int i = 0; i < 2; i++) {
        char sid[32], tok[32];
        snprintf(sid, sizeof(sid), "s-dead-%d", i);
        snprintf(tok, sizeof(tok), "khr_dead_%d", i);
        ct_hash(tok, h);
        ct_token_missing(s, h);
        /* s-dead-0 expired; s-dead-1 lost its last token: both went. */
        assert_int_equal(store_session_find(s, &a, sid, &sess), KH_ERR_NOTFOUND);
    }
    assert_int_equal(store_session_find(s, &a, "s-rev", &sess), KH_ERR_NOTFOUND);
    ct_hash("khr_rev", h);
    ct_token_missing(s, h);
    struct access_token at;
    ct_hash("kha_dead_0", h);
    assert_int_equal(store_access_find(s, &a, h, &at), KH_ERR_NOTFOUND);
    assert_int_equal(store_jti_is_revoked(s, realm, "jti-dead-0"), KH_ERR_NOTFOUND);

    /* Live rows are untouched. */
    ct_hash("khr_live", h);
    ct_token_state(s, h, now, false, 0);
    ct_hash("khr_live_next", h);
    ct_token_state(s, h, 0, false, 0);
    ct_hash("khr_off", h);
    ct_token_state(s, h, 0, false, 0);
    assert_int_equal(store_session_find(s, &a, "s-live", &sess), KH_OK);
    assert_int_equal(store_session_find(s, &a, "s-off", &sess), KH_OK);
    ct_hash("kha_live", h);
    assert_int_equal(store_access_find(s, &a, h, &at), KH_OK);
    ct_hash("kha_rev", h);
    assert_int_equal(store_access_find(s, &a, h, &at), KH_OK);
    assert_int_equal(at.revoked_at, now);
    assert_int_equal(store_jti_is_revoked(s, realm, "jti-live"), KH_OK);

    /* Nothing left to do: all zero; a batch of 0 deletes nothing. */
    assert_int_equal(store_purge(s, now, 100, &pc), KH_OK);
    assert_int_equal(pc.refresh_tokens + pc.sessions + pc.access_tokens + pc.revoked_jtis, 0);
    assert_int_equal(store_purge(s, now + 2, 0, &pc), KH_OK);
    assert_int_equal(pc.refresh_tokens + pc.sessions + pc.access_tokens + pc.revoked_jtis, 0);
    /* Later, the short-lived ones expire in turn. */
    assert_int_equal(store_purge(s, now + 2, 100, &pc), KH_OK);
    assert_int_equal(pc.access_tokens, 1);
    assert_int_equal(pc.revoked_jtis, 1);
    assert_int_equal(pc.refresh_tokens, 0);
    assert_int_equal(pc.sessions, 0);
    arena_free(&a);
}

#endif
