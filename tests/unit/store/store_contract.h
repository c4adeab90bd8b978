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
    X(client)                   \
    X(session_refresh)          \
    X(rotate)                   \
    X(rotate_unknown)           \
    X(session_revoke)           \
    X(rotate_race)              \
    X(batch)                    \
    X(batch_read_snapshot)      \
    X(keys)

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
    assert_int_equal(store_user_access(s, &a, realm, "u-1", &acc), KH_OK);
    assert_int_equal(acc.n_roles, 2);
    assert_string_equal(acc.roles[0], "reader");
    assert_string_equal(acc.roles[1], "writer");
    assert_int_equal(acc.n_permissions, 3);
    assert_string_equal(acc.permissions[0], "events:read");
    assert_string_equal(acc.permissions[1], "users:read");
    assert_string_equal(acc.permissions[2], "users:write");
    assert_false(acc.all_permissions);

    assert_int_equal(store_user_access(s, &a, realm, "u-2", &acc), KH_OK);
    assert_int_equal(acc.n_roles, 2);
    assert_string_equal(acc.roles[0], "admin");
    assert_true(acc.all_permissions);
    assert_int_equal(acc.n_permissions, 2);

    assert_int_equal(store_user_access(s, &a, realm, "u-3", &acc), KH_OK);
    assert_int_equal(acc.n_roles, 0);
    assert_int_equal(acc.n_permissions, 0);
    assert_false(acc.all_permissions);

    struct access miss = {.n_roles = 42};
    assert_int_equal(store_user_access(s, &a, realm, "u-404", &miss), KH_ERR_NOTFOUND);
    assert_int_equal(miss.n_roles, 42);
    assert_int_equal(store_user_access(s, &a, realm + 1, "u-1", &miss), KH_ERR_NOTFOUND);
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
    assert_int_equal(store_refresh_rotate(s, old, &next, now + 5), KH_OK);
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
    assert_int_equal(store_refresh_rotate(s, old, &third, now + 9), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_find(s, &a, third.hash, &t), KH_ERR_NOTFOUND);
    assert_int_equal(store_refresh_find(s, &a, old, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 9);
    assert_int_equal(store_refresh_find(s, &a, next.hash, &t), KH_OK);
    assert_int_equal(t.session_revoked_at, now + 9);
    assert_int_equal(t.used_at, now + 9);
    assert_int_equal(store_refresh_rotate(s, next.hash, &third, now + 10), KH_ERR_CONFLICT);
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
    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1), KH_OK);
    assert_int_equal(store_refresh_rotate(s, uno, &dos, now + 1), KH_OK);
    assert_int_equal(store_refresh_rotate(s, one, &thief, now + 2), KH_ERR_CONFLICT);
    assert_int_equal(store_refresh_rotate(s, unknown, &stray, now + 2), KH_ERR_NOTFOUND);
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
    assert_int_equal(store_refresh_rotate(s, one, &two, now + 1), KH_OK);
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
    assert_int_equal(store_refresh_rotate(s, h, &next, now), KH_ERR_NOTFOUND);
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
    assert_int_equal(store_refresh_rotate(s, h, &next, now + 3), KH_ERR_CONFLICT);
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
    enum kh_status rc;
};

static void *ct_race(void *p)
{
    struct ct_racer *r = p;
    pthread_barrier_wait(r->go);
    r->rc = store_refresh_rotate(r->s, r->old, &r->next, r->next.issued_at);
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

#endif
