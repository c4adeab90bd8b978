/* test_admin_rows.c - the store ops of the admin REST rows (SQLite): updating
 * and deleting roles, users and clients, each one transaction that leaves
 * nothing half-written, and deletes that take sessions and tokens along. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/clock.h"
#include "core/hash.h"
#include "store/store.h"
#include "store/backend.h"
#include "store/sqlite/sqlite_internal.h"

struct fixture {
    struct backend_fixture b;
    struct store *s;
    struct arena a;
    int64_t realm;
    int64_t now;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    if (backend_open(&f->b, &f->s))
        return -1;
    arena_init(&f->a);
    f->now = clock_now();
    struct realm r = {.name = "main", .alg = "ES256", .access_ttl = 300,
                      .refresh_idle_ttl = 1800, .session_max_ttl = 36000,
                      .offline_idle_ttl = 2592000, .created_at = f->now};
    if (store_realm_create(f->s, &r, &f->realm))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    arena_free(&f->a);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

static void role(struct fixture *f, const char *name, bool all, const char **perms, size_t n)
{
    struct role r = {.realm_id = f->realm, .name = name, .all_permissions = all,
                     .permissions = perms, .n_permissions = n};
    assert_int_equal(store_role_create(f->s, &r, NULL), KH_OK);
}

static struct user user_rec(struct fixture *f, const char *id, const char *username)
{
    return (struct user){.id = id, .realm_id = f->realm, .username = username, .enabled = true,
                         .created_at = f->now};
}

static void user(struct fixture *f, const char *id, const char *username,
                 const char *const *roles, size_t n)
{
    struct user u = user_rec(f, id, username);
    assert_int_equal(store_user_create(f->s, &u, roles, n), KH_OK);
}

static void client(struct fixture *f, const char *id, const char *client_id, const char *owner)
{
    struct client c = {.id = id, .realm_id = f->realm, .client_id = client_id,
                       .confidential = true, .grants = GRANT_CLIENT_CREDENTIALS,
                       .scopes = "users:read", .default_scopes = "users:read",
                       .owner_user_id = owner, .enabled = true, .refresh_grace = -1,
                       .created_at = f->now};
    sha256(client_id, strlen(client_id), c.secret_hash);
    assert_int_equal(store_client_create(f->s, &c), KH_OK);
}

/* A session of user_id started by client_id, with its refresh token `token`
 * and an opaque access token `token`+"-at". */
static void session(struct fixture *f, const char *sid, const char *user_id,
                    const char *client_id, const char *token)
{
    struct session sess = {.id = sid, .realm_id = f->realm, .user_id = user_id,
                           .client_id = client_id, .created_at = f->now,
                           .expires_at = f->now + 3600};
    struct refresh_token rt = {.session_id = sid, .realm_id = f->realm, .client_id = client_id,
                               .user_id = user_id, .scope = "", .issued_at = f->now,
                               .expires_at = f->now + 1800};
    sha256(token, strlen(token), rt.hash);
    assert_int_equal(store_session_start(f->s, &sess, &rt), KH_OK);
    char at[64];
    snprintf(at, sizeof at, "%s-at", token);
    struct access_token t = {.realm_id = f->realm, .client_id = client_id,
                             .subject = user_id ? user_id : client_id, .user_id = user_id,
                             .session_id = sid, .scope = "", .issued_at = f->now,
                             .expires_at = f->now + 300};
    sha256(at, strlen(at), t.hash);
    assert_int_equal(store_access_insert(f->s, &t), KH_OK);
}

/* Whether the session's refresh token and access token are still stored. */
static bool tokens_exist(struct fixture *f, const char *token)
{
    uint8_t h[SHA256_LEN];
    struct refresh_token rt;
    struct access_token at;
    char name[64];
    sha256(token, strlen(token), h);
    bool refresh = store_refresh_find(f->s, &f->a, h, &rt) == KH_OK;
    snprintf(name, sizeof name, "%s-at", token);
    sha256(name, strlen(name), h);
    bool access = store_access_find(f->s, &f->a, h, &at) == KH_OK;
    assert_int_equal(refresh, access); /* both go, or neither */
    return refresh;
}

static bool session_exists(struct fixture *f, const char *sid)
{
    struct session s;
    return store_session_find(f->s, &f->a, sid, &s) == KH_OK;
}

static void test_role_update(void **state)
{
    struct fixture *f = *state;
    const char *before[] = {"users:read", "roles:manage"};
    const char *after[] = {"imports:manage", "events:read", "imports:manage"};
    role(f, "ops", false, before, 2);
    role(f, "admin", true, NULL, 0);
    assert_int_equal(store_role_update(f->s, f->realm, "ops", after, 3), KH_OK);
    struct role r;
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "ops", &r), KH_OK);
    assert_int_equal(r.n_permissions, 2); /* listed twice: one permission */
    assert_string_equal(r.permissions[0], "events:read");
    assert_string_equal(r.permissions[1], "imports:manage");
    assert_int_equal(store_role_update(f->s, f->realm, "ops", NULL, 0), KH_OK);
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "ops", &r), KH_OK);
    assert_int_equal(r.n_permissions, 0);

    assert_int_equal(store_role_update(f->s, f->realm, "nosuch", after, 1), KH_ERR_NOTFOUND);
    assert_int_equal(store_role_update(f->s, f->realm + 1, "ops", after, 1), KH_ERR_NOTFOUND);
    /* the built-in role is never changed */
    assert_int_equal(store_role_update(f->s, f->realm, "admin", after, 1), KH_ERR_CONFLICT);
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "admin", &r), KH_OK);
    assert_true(r.all_permissions);
    assert_int_equal(r.n_permissions, 0);
}

static void test_role_delete(void **state)
{
    struct fixture *f = *state;
    const char *perms[] = {"users:read"};
    const char *other[] = {"events:read"};
    role(f, "reader", false, perms, 1);
    role(f, "auditor", false, other, 1);
    role(f, "admin", true, NULL, 0);
    const char *roles[] = {"reader", "auditor"};
    user(f, "u-1", "ann", roles, 2);

    assert_int_equal(store_role_delete(f->s, f->realm, "reader"), KH_OK);
    struct role r;
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "reader", &r), KH_ERR_NOTFOUND);
    struct access acc;
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 1); /* the user lost it, and kept the other */
    assert_string_equal(acc.roles[0], "auditor");
    assert_int_equal(acc.n_permissions, 1);
    assert_string_equal(acc.permissions[0], "events:read");
    /* a role of that name again starts empty: nothing of the old one was left */
    role(f, "reader", false, NULL, 0);
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "reader", &r), KH_OK);
    assert_int_equal(r.n_permissions, 0);

    assert_int_equal(store_role_delete(f->s, f->realm, "nosuch"), KH_ERR_NOTFOUND);
    assert_int_equal(store_role_delete(f->s, f->realm, "admin"), KH_ERR_CONFLICT);
    assert_int_equal(store_role_find(f->s, &f->a, f->realm, "admin", &r), KH_OK);
}

static void test_user_update(void **state)
{
    struct fixture *f = *state;
    const char *perms[] = {"users:read"};
    role(f, "reader", false, perms, 1);
    role(f, "auditor", false, NULL, 0);
    const char *roles[] = {"reader"};
    user(f, "u-1", "ann", roles, 1);

    struct user u = user_rec(f, "u-1", "ann");
    u.email = "ann@example.com";
    u.first_name = "Ann";
    u.enabled = false;
    assert_int_equal(store_user_update(f->s, &u, NULL, 0), KH_OK); /* roles kept */
    struct user got;
    struct access acc;
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-1", &got), KH_OK);
    assert_string_equal(got.email, "ann@example.com");
    assert_string_equal(got.first_name, "Ann");
    assert_null(got.last_name);
    assert_false(got.enabled);
    assert_string_equal(got.username, "ann");
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 1);

    const char *replaced[] = {"auditor"};
    assert_int_equal(store_user_update(f->s, &u, replaced, 1), KH_OK);
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 1);
    assert_string_equal(acc.roles[0], "auditor");
    assert_int_equal(store_user_update(f->s, &u, replaced, 0), KH_OK); /* no roles at all */
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 0);

    /* an unknown role: nothing written, not even the fields */
    const char *bad[] = {"reader", "nosuch"};
    struct user changed = u;
    changed.email = "other@example.com";
    assert_int_equal(store_user_update(f->s, &changed, bad, 2), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-1", &got), KH_OK);
    assert_string_equal(got.email, "ann@example.com");
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 0);

    struct user missing = user_rec(f, "u-404", "nobody");
    assert_int_equal(store_user_update(f->s, &missing, NULL, 0), KH_ERR_NOTFOUND);
    missing = u;
    missing.realm_id = f->realm + 1; /* another realm's id */
    assert_int_equal(store_user_update(f->s, &missing, NULL, 0), KH_ERR_NOTFOUND);
}

static void test_user_delete(void **state)
{
    struct fixture *f = *state;
    const char *perms[] = {"users:read"};
    role(f, "reader", false, perms, 1);
    const char *roles[] = {"reader"};
    user(f, "u-1", "ann", roles, 1);
    user(f, "u-2", "bob", roles, 1);
    client(f, "c-web", "web", NULL);
    client(f, "c-job", "ann-job", "u-1");  /* owned by ann: goes with her */
    client(f, "c-job2", "bob-job", "u-2");
    session(f, "s-ann", "u-1", "web", "rt-ann");
    session(f, "s-job", "u-1", "ann-job", "rt-job");
    session(f, "s-bob", "u-2", "web", "rt-bob");
    session(f, "s-bobjob", "u-2", "bob-job", "rt-bobjob");

    assert_int_equal(store_user_delete(f->s, f->realm, "u-1"), KH_OK);
    struct user u;
    struct client c;
    struct access acc;
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-1", &u), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-1", NULL, &acc), KH_ERR_NOTFOUND);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "ann-job", &c), KH_ERR_NOTFOUND);
    assert_false(session_exists(f, "s-ann"));
    assert_false(session_exists(f, "s-job"));
    assert_false(tokens_exist(f, "rt-ann"));
    assert_false(tokens_exist(f, "rt-job"));
    /* everyone else's untouched */
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-2", &u), KH_OK);
    assert_int_equal(store_user_access(f->s, &f->a, f->realm, "u-2", NULL, &acc), KH_OK);
    assert_int_equal(acc.n_roles, 1);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "web", &c), KH_OK);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "bob-job", &c), KH_OK);
    assert_true(session_exists(f, "s-bob") && session_exists(f, "s-bobjob"));
    assert_true(tokens_exist(f, "rt-bob") && tokens_exist(f, "rt-bobjob"));
    /* the username is free again */
    user(f, "u-3", "ann", NULL, 0);

    assert_int_equal(store_user_delete(f->s, f->realm, "u-404"), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_delete(f->s, f->realm + 1, "u-2"), KH_ERR_NOTFOUND);
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-2", &u), KH_OK);
}

/* A delete inside a batch that is rolled back leaves everything (the admin
 * API decides and writes inside one batch). */
static void test_user_delete_rolled_back(void **state)
{
    struct fixture *f = *state;
    user(f, "u-1", "ann", NULL, 0);
    client(f, "c-job", "ann-job", "u-1");
    session(f, "s-job", "u-1", "ann-job", "rt-job");
    assert_int_equal(store_batch_begin(f->s), KH_OK);
    assert_int_equal(store_user_delete(f->s, f->realm, "u-1"), KH_OK);
    store_batch_abort(f->s);
    struct user u;
    struct client c;
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-1", &u), KH_OK);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "ann-job", &c), KH_OK);
    assert_true(session_exists(f, "s-job"));
    assert_true(tokens_exist(f, "rt-job"));
}

static void test_client_list(void **state)
{
    struct fixture *f = *state;
    client(f, "c-2", "b-job", NULL);
    client(f, "c-1", "a-job", NULL);
    client(f, "c-3", "C-job", NULL); /* byte order: upper case first */
    struct client *cs;
    size_t n;
    assert_int_equal(store_client_list(f->s, &f->a, f->realm, NULL, 2, &cs, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(cs[0].client_id, "C-job");
    assert_string_equal(cs[1].client_id, "a-job");
    assert_true(cs[1].confidential);
    assert_string_equal(cs[1].scopes, "users:read");
    assert_int_equal(store_client_list(f->s, &f->a, f->realm, "a-job", 10, &cs, &n), KH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(cs[0].client_id, "b-job");
    assert_int_equal(store_client_list(f->s, &f->a, f->realm + 1, NULL, 10, &cs, &n), KH_OK);
    assert_int_equal(n, 0);
}

static void test_client_delete(void **state)
{
    struct fixture *f = *state;
    user(f, "u-1", "ann", NULL, 0);
    client(f, "c-web", "web", NULL);
    client(f, "c-app", "app", NULL);
    session(f, "s-web", "u-1", "web", "rt-web");
    session(f, "s-app", "u-1", "app", "rt-app");
    assert_int_equal(store_client_delete(f->s, f->realm, "web"), KH_OK);
    struct client c;
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "web", &c), KH_ERR_NOTFOUND);
    assert_false(session_exists(f, "s-web"));
    assert_false(tokens_exist(f, "rt-web"));
    assert_true(session_exists(f, "s-app"));
    assert_true(tokens_exist(f, "rt-app"));
    struct user u;
    assert_int_equal(store_user_get(f->s, &f->a, f->realm, "u-1", &u), KH_OK);
    assert_int_equal(store_client_delete(f->s, f->realm, "web"), KH_ERR_NOTFOUND);
    assert_int_equal(store_client_delete(f->s, f->realm + 1, "app"), KH_ERR_NOTFOUND);
    assert_true(tokens_exist(f, "rt-app"));
}

static void test_client_update_name_owner(void **state)
{
    struct fixture *f = *state;
    user(f, "u-1", "ann", NULL, 0);
    client(f, "c-job", "job", NULL);
    struct client c;
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "job", &c), KH_OK);
    c.name = "Nightly job";
    c.owner_user_id = "u-1";
    assert_int_equal(store_client_update(f->s, &c), KH_OK);
    struct client got;
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "job", &got), KH_OK);
    assert_string_equal(got.name, "Nightly job");
    assert_string_equal(got.owner_user_id, "u-1");
    c.owner_user_id = "u-404"; /* no such user: refused, nothing written */
    c.name = NULL;
    assert_int_equal(store_client_update(f->s, &c), KH_ERR_NOTFOUND);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "job", &got), KH_OK);
    assert_string_equal(got.owner_user_id, "u-1");
    c.owner_user_id = NULL;
    assert_int_equal(store_client_update(f->s, &c), KH_OK);
    assert_int_equal(store_client_find(f->s, &f->a, f->realm, "job", &got), KH_OK);
    assert_null(got.owner_user_id);
    assert_null(got.name);
}

/* The deletes find what hangs on a user or client by the indexes of
 * migration 0004, never by a scan of the token tables. */
static void test_query_plans(void **state)
{
    if (backend_is_postgres())
        skip(); /* SQLite's query planner; PostgreSQL's plans: test_postgres.c */
    struct fixture *f = *state;
    struct {
        enum sq_stmt id;
        const char *want;
    } plans[] = {
        {SQ_USER_ACCESS_DELETE, "access_tokens_user"},
        {SQ_USER_SESSIONS_DELETE, "sessions_user"},
        {SQ_USER_REFRESH_DELETE, "refresh_tokens_session"},
        {SQ_CLIENT_ACCESS_DELETE, "access_tokens_client"},
        {SQ_CLIENT_SESSIONS_DELETE, "sessions_client"},
        {SQ_CLIENT_REFRESH_DELETE, "refresh_tokens_session"},
        {SQ_USER_OWNED_CLIENTS, "clients_owner"},
    };
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->b.path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof plans / sizeof plans[0]; i++) {
        char sql[1024];
        snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", sqlite_sql[plans[i].id]);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        bool found = false, scan = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            found = found || (detail && strstr(detail, plans[i].want));
            scan = scan || (detail && strncmp(detail, "SCAN ", 5) == 0);
        }
        sqlite3_finalize(st);
        if (!found || scan)
            fail_msg("plan of statement %d: want %s, no scan", (int)plans[i].id, plans[i].want);
    }
    sqlite3_close(db);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_role_update),       T(test_role_delete),         T(test_user_update),
        T(test_user_delete),       T(test_user_delete_rolled_back), T(test_client_list),
        T(test_client_delete),     T(test_client_update_name_owner), T(test_query_plans),
    };
    return BACKEND_RUN("store_admin_rows", tests);
}
