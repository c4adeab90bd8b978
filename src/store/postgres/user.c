/* user.c - users, their roles and what they hold (PostgreSQL).
 *
 * Roles are given by name as one text[] parameter (pg_array.h). A name the
 * realm has no role of is linked to role 0, which no role is (ids start at
 * 1): the foreign key of user_roles then fails the whole statement at its
 * end, so nothing of it is written and pg_exec answers KH_ERR_NOTFOUND, as
 * SQLite's grant_role does. So user_create is one statement without a
 * transaction; its user's own checks come first, as in SQLite: a taken
 * username or id is a unique violation raised by the INSERT itself
 * (KH_ERR_CONFLICT), before any foreign key is checked. */
#include <stdlib.h>
#include "store/postgres/pg_internal.h"

#define USER_COLS PG_USER_COLS("")

/* The user with its roles ($10, a text[]). DISTINCT: a role named twice is
 * one link (and two unknown names one failing link). */
static struct pg_stmt user_insert = PG_STMT(
    "WITH u AS (INSERT INTO users (" USER_COLS ") "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, realm_id) "
    "INSERT INTO user_roles (user_id, role_id) "
    "SELECT u.id, coalesce(r.id, 0) FROM u "
    "CROSS JOIN (SELECT DISTINCT unnest($10::text[]) AS name) w "
    "LEFT JOIN roles r ON r.realm_id = u.realm_id AND r.name = w.name "
    "ON CONFLICT DO NOTHING");
static struct pg_stmt user_find_by_name = PG_STMT(
    "SELECT " USER_COLS " FROM users WHERE realm_id = $1 AND username = $2");
static struct pg_stmt user_get = PG_STMT(
    "SELECT " USER_COLS " FROM users WHERE realm_id = $1 AND id = $2");
static struct pg_stmt user_set_password = PG_STMT(
    "UPDATE users SET password_hash = $3 WHERE realm_id = $1 AND id = $2");
static struct pg_stmt user_set_enabled = PG_STMT(
    "UPDATE users SET enabled = $3 WHERE realm_id = $1 AND id = $2");
/* The hash is not read: NULL in its place keeps read_user's columns. */
static struct pg_stmt user_list = PG_STMT(
    "SELECT id, realm_id, username, email, first_name, last_name, enabled, NULL, created_at "
    "FROM users WHERE realm_id = $1 AND username > $2 ORDER BY username LIMIT $3");
/* The user with what it holds, one row per role and per permission (the
 * user's columns repeated on each), in one round trip from one snapshot. */
static struct pg_stmt user_access = PG_STMT(
    "SELECT " PG_USER_COLS("u.") ", x.* FROM users u " PG_ACCESS_JOIN("u")
    " WHERE u.realm_id = $1 AND u.id = $2 ORDER BY x.kind, x.name");
static struct pg_stmt user_update = PG_STMT(
    "UPDATE users SET email = $3, first_name = $4, last_name = $5, enabled = $6 "
    "WHERE realm_id = $1 AND id = $2");
/* Makes the roles of user $2 those named in $3: links to roles no longer
 * named go, links to the named ones are added (the two sets are disjoint, so
 * the DELETE and the INSERT never meet on a row). Run after the user's row
 * was locked in the same transaction, as its own statement: its snapshot
 * then holds the links of every writer before (each locks the user's row
 * first), so none of theirs survives unseen -- inside the UPDATE's own
 * statement the snapshot would predate the lock. */
static struct pg_stmt user_roles_replace = PG_STMT(
    "WITH w AS (SELECT coalesce(r.id, 0) AS role_id "
    "FROM (SELECT DISTINCT unnest($3::text[]) AS name) n "
    "LEFT JOIN roles r ON r.realm_id = $1 AND r.name = n.name), "
    "d AS (DELETE FROM user_roles WHERE user_id = $2 "
    "AND role_id NOT IN (SELECT role_id FROM w)) "
    "INSERT INTO user_roles (user_id, role_id) SELECT $2, role_id FROM w "
    "ON CONFLICT DO NOTHING");
/* The user, locked until the delete commits (a client_create naming it as
 * owner waits, then fails its foreign key), with the clients it owns. */
static struct pg_stmt user_lock_owned = PG_STMT(
    "SELECT c.client_id FROM users u "
    "LEFT JOIN clients c ON c.realm_id = u.realm_id AND c.owner_user_id = u.id "
    "WHERE u.realm_id = $1 AND u.id = $2 FOR UPDATE OF u");
/* The user's opaque access tokens, sessions with their refresh tokens, role
 * links, then the user. */
static struct pg_stmt user_delete = PG_STMT(
    "WITH t AS (DELETE FROM access_tokens WHERE user_id = $2 AND realm_id = $1), "
    "s AS (DELETE FROM sessions WHERE user_id = $2 AND realm_id = $1 RETURNING id), "
    "r AS (DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM s)), "
    "l AS (DELETE FROM user_roles WHERE user_id = $2) "
    "DELETE FROM users WHERE realm_id = $1 AND id = $2");

enum kh_status pg_user_create(struct store *s, const struct user *u,
                              const char *const *role_names, size_t n_roles)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct arena a;
    arena_init(&a);
    struct pg_params p = {0};
    pg_p_str(&p, u->id);
    pg_p_int(&p, u->realm_id);
    pg_p_str(&p, u->username);
    pg_p_str(&p, u->email);
    pg_p_str(&p, u->first_name);
    pg_p_str(&p, u->last_name);
    pg_p_bool(&p, u->enabled);
    pg_p_str(&p, u->password_hash);
    pg_p_int(&p, u->created_at);
    pg_p_str(&p, pg_text_array(&a, role_names, n_roles));
    enum kh_status rc = pg_exec(c, &user_insert, &p, "user_create", NULL);
    arena_free(&a);
    return rc;
}

void pg_read_user(struct arena *a, const PGresult *res, int row, int col, struct user *out)
{
    out->id = pg_str(a, res, row, col);
    out->realm_id = pg_int(res, row, col + 1);
    out->username = pg_str(a, res, row, col + 2);
    out->email = pg_str(a, res, row, col + 3);
    out->first_name = pg_str(a, res, row, col + 4);
    out->last_name = pg_str(a, res, row, col + 5);
    out->enabled = pg_bool(res, row, col + 6);
    out->password_hash = pg_str(a, res, row, col + 7);
    out->created_at = pg_int(res, row, col + 8);
}

static void read_user(struct arena *a, const PGresult *res, int row, struct user *out)
{
    pg_read_user(a, res, row, 0, out);
}

static enum kh_status find_user(struct store *s, struct arena *a, struct pg_stmt *st,
                                int64_t realm_id, const char *key, struct user *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, key);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, st, &p, "user_find", &res);
    if (rc)
        return rc;
    read_user(a, res, 0, out);
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_user_find_by_name(struct store *s, struct arena *a, int64_t realm_id,
                                    const char *username, struct user *out)
{
    return find_user(s, a, &user_find_by_name, realm_id, username, out);
}

enum kh_status pg_user_get(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                           struct user *out)
{
    return find_user(s, a, &user_get, realm_id, id, out);
}

/* Runs an UPDATE of one user (p: $1 realm_id, $2 id, ...); KH_ERR_NOTFOUND
 * if no row matched. */
static enum kh_status update_user(struct store *s, struct pg_stmt *st, const struct pg_params *p,
                                  const char *op)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, st, p, op, &changed);
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

enum kh_status pg_user_set_password(struct store *s, int64_t realm_id, const char *id,
                                    const char *password_hash)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, id);
    pg_p_str(&p, password_hash);
    return update_user(s, &user_set_password, &p, "user_set_password");
}

enum kh_status pg_user_set_enabled(struct store *s, int64_t realm_id, const char *id,
                                   bool enabled)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, id);
    pg_p_bool(&p, enabled);
    return update_user(s, &user_set_enabled, &p, "user_set_enabled");
}

enum kh_status pg_user_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                            size_t limit, struct user **out, size_t *n)
{
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_page(s, &user_list, realm_id, after, limit, "user_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct user *users = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*users));
    for (int i = 0; i < rows; i++)
        read_user(a, res, i, &users[i]);
    PQclear(res);
    *out = users;
    *n = (size_t)rows;
    return KH_OK;
}

void pg_read_access(struct arena *a, const PGresult *res, int col, struct access *acc)
{
    int rows = PQntuples(res);
    size_t cap = (size_t)(rows ? rows : 1);
    *acc = (struct access){.roles = arena_alloc(a, cap * sizeof(*acc->roles)),
                           .permissions = arena_alloc(a, cap * sizeof(*acc->permissions))};
    for (int i = 0; i < rows; i++) {
        if (PQgetisnull(res, i, col))
            continue; /* no role */
        if (pg_int(res, i, col) == 1) {
            acc->roles[acc->n_roles++] = pg_str(a, res, i, col + 1);
            if (pg_bool(res, i, col + 2))
                acc->all_permissions = true;
        } else {
            acc->permissions[acc->n_permissions++] = pg_str(a, res, i, col + 1);
        }
    }
}

enum kh_status pg_user_access(struct store *s, struct arena *a, int64_t realm_id,
                              const char *user_id, struct user *user, struct access *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, user_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &user_access, &p, "user_access", &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0) {
        rc = KH_ERR_NOTFOUND;
    } else {
        pg_read_access(a, res, PG_USER_NCOLS, out);
        if (user)
            pg_read_user(a, res, 0, 0, user);
    }
    PQclear(res);
    return rc;
}

static enum kh_status replace_roles(struct pg_conn *c, const struct user *u,
                                   const char *const *roles, size_t n_roles)
{
    struct arena a;
    arena_init(&a);
    struct pg_params p = {0};
    pg_p_int(&p, u->realm_id);
    pg_p_str(&p, u->id);
    pg_p_str(&p, pg_text_array(&a, roles, n_roles));
    enum kh_status rc = pg_exec(c, &user_roles_replace, &p, "user_update", NULL);
    arena_free(&a);
    return rc;
}

/* The fields (locking the user's row), then the roles. */
static enum kh_status update_user_row(struct pg_conn *c, const struct user *u,
                                      const char *const *roles, size_t n_roles)
{
    struct pg_params p = {0};
    pg_p_int(&p, u->realm_id);
    pg_p_str(&p, u->id);
    pg_p_str(&p, u->email);
    pg_p_str(&p, u->first_name);
    pg_p_str(&p, u->last_name);
    pg_p_bool(&p, u->enabled);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &user_update, &p, "user_update", &changed);
    if (!rc && changed == 0)
        rc = KH_ERR_NOTFOUND;
    return rc || !roles ? rc : replace_roles(c, u, roles, n_roles);
}

enum kh_status pg_user_update(struct store *s, const struct user *u, const char *const *roles,
                              size_t n_roles)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    if (!roles) /* one statement: no transaction */
        return update_user_row(c, u, NULL, 0);
    enum kh_status rc = pg_tx_begin(c, "user_update");
    if (rc)
        return rc;
    return pg_tx_end(c, update_user_row(c, u, roles, n_roles), "user_update");
}

static enum kh_status exec_realm_key(struct pg_conn *c, struct pg_stmt *st, int64_t realm_id,
                                     const char *key, PGresult **res)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, key);
    return pg_exec(c, st, &p, "user_delete", res);
}

/* The clients the user owns (its integrations) go first, with their tokens:
 * a deleted owner's credentials must stop working at once. */
static enum kh_status delete_user_all(struct pg_conn *c, int64_t realm_id, const char *id)
{
    PGresult *res = NULL;
    enum kh_status rc = exec_realm_key(c, &user_lock_owned, realm_id, id, &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    if (rows == 0)
        rc = KH_ERR_NOTFOUND;
    for (int i = 0; i < rows && !rc; i++) {
        if (PQgetisnull(res, i, 0))
            continue; /* the user, owning none */
        rc = pg_client_delete_in(c, realm_id, PQgetvalue(res, i, 0));
        if (rc == KH_ERR_NOTFOUND)
            rc = KH_OK; /* deleted meanwhile by someone else: gone, as wanted */
    }
    PQclear(res);
    if (rc)
        return rc;
    res = NULL;
    rc = exec_realm_key(c, &user_delete, realm_id, id, &res);
    if (rc)
        return rc;
    if (strtoll(PQcmdTuples(res), NULL, 10) == 0)
        rc = KH_ERR_NOTFOUND; /* cannot happen: the row is locked */
    PQclear(res);
    return rc;
}

enum kh_status pg_user_delete(struct store *s, int64_t realm_id, const char *id)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = pg_tx_begin(c, "user_delete");
    if (rc)
        return rc;
    return pg_tx_end(c, delete_user_all(c, realm_id, id), "user_delete");
}
