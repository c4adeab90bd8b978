/* user.c - users, their roles and what they hold (SQLite). */
#include "store/sqlite/sqlite_internal.h"

static enum kh_status insert_user(struct sqlite_conn *c, const struct user *u)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_USER_INSERT);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, u->id);
    sqlite3_bind_int64(st, 2, u->realm_id);
    sqlite_bind_str(st, 3, u->username);
    sqlite_bind_str(st, 4, u->email);
    sqlite_bind_str(st, 5, u->first_name);
    sqlite_bind_str(st, 6, u->last_name);
    sqlite3_bind_int(st, 7, u->enabled);
    sqlite_bind_str(st, 8, u->password_hash);
    sqlite3_bind_int64(st, 9, u->created_at);
    return sqlite_exec_stmt(c, st, "user_create");
}

/* Grants the role named `name` of the user's realm; KH_ERR_NOTFOUND if none. */
static enum kh_status grant_role(struct sqlite_conn *c, const struct user *u, const char *name)
{
    sqlite3_stmt *find = sqlite_stmt(c, SQ_ROLE_ID);
    sqlite3_stmt *ins = sqlite_stmt(c, SQ_USER_ROLE_INSERT);
    if (!find || !ins)
        return KH_ERR_STORE;
    sqlite3_bind_int64(find, 1, u->realm_id);
    sqlite_bind_str(find, 2, name);
    int64_t role_id = 0;
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(find);
    if (step == SQLITE_ROW)
        role_id = sqlite3_column_int64(find, 0);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "user_create");
    sqlite_stmt_done(find);
    if (rc)
        return rc;
    sqlite_bind_str(ins, 1, u->id);
    sqlite3_bind_int64(ins, 2, role_id);
    return sqlite_exec_stmt(c, ins, "user_create");
}

enum kh_status sqlite_user_create(struct store *s, const struct user *u,
                                  const char *const *role_names, size_t n_roles)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "user_create");
    if (rc)
        return rc;
    rc = insert_user(c, u);
    for (size_t i = 0; i < n_roles && !rc; i++)
        rc = grant_role(c, u, role_names[i]);
    return sqlite_tx_end(c, rc, "user_create");
}

/* A row of USER_COLS (or the same columns with NULL for the hash). */
static void read_user(struct arena *a, sqlite3_stmt *st, struct user *out)
{
    out->id = sqlite_col_str(a, st, 0);
    out->realm_id = sqlite3_column_int64(st, 1);
    out->username = sqlite_col_str(a, st, 2);
    out->email = sqlite_col_str(a, st, 3);
    out->first_name = sqlite_col_str(a, st, 4);
    out->last_name = sqlite_col_str(a, st, 5);
    out->enabled = sqlite3_column_int(st, 6) != 0;
    out->password_hash = sqlite_col_str(a, st, 7);
    out->created_at = sqlite3_column_int64(st, 8);
}

static enum kh_status find_user(struct store *s, struct arena *a, enum sq_stmt id,
                                int64_t realm_id, const char *key, struct user *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, id) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, key);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        read_user(a, st, out);
    } else {
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "user_find");
    }
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_user_find_by_name(struct store *s, struct arena *a, int64_t realm_id,
                                        const char *username, struct user *out)
{
    return find_user(s, a, SQ_USER_FIND_BY_NAME, realm_id, username, out);
}

enum kh_status sqlite_user_get(struct store *s, struct arena *a, int64_t realm_id,
                               const char *id, struct user *out)
{
    return find_user(s, a, SQ_USER_GET, realm_id, id, out);
}

enum kh_status sqlite_user_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                                size_t limit, struct user **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_USER_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, after ? after : "");
    sqlite3_bind_int64(st, 3, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct user *users = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        users = sqlite_arr_grow(a, users, count, &cap, sizeof *users);
        read_user(a, st, &users[count++]);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "user_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = users;
        *n = count;
    }
    return rc;
}

/* Runs an UPDATE of one user; KH_ERR_NOTFOUND if no row matched. */
static enum kh_status update_user(struct sqlite_conn *c, sqlite3_stmt *st, const char *op)
{
    enum kh_status rc = sqlite_exec_stmt(c, st, op);
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_user_set_password(struct store *s, int64_t realm_id, const char *id,
                                        const char *password_hash)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_USER_SET_PASSWORD) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, id);
    sqlite_bind_str(st, 3, password_hash);
    return update_user(c, st, "user_set_password");
}

enum kh_status sqlite_user_set_enabled(struct store *s, int64_t realm_id, const char *id,
                                       bool enabled)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_USER_SET_ENABLED) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, id);
    sqlite3_bind_int(st, 3, enabled);
    return update_user(c, st, "user_set_enabled");
}

/* The user's roles (sorted by name); KH_ERR_NOTFOUND if the user is not in the realm. */
static enum kh_status read_roles(struct sqlite_conn *c, struct arena *a, int64_t realm_id,
                                 const char *user_id, struct access *acc)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ACCESS_ROLES);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, user_id);
    size_t cap = 0;
    bool found = false;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        found = true;
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue; /* the user, without a role */
        acc->roles = sqlite_arr_grow(a, acc->roles, acc->n_roles, &cap, sizeof(*acc->roles));
        acc->roles[acc->n_roles++] = sqlite_col_str(a, st, 0);
        if (sqlite3_column_int(st, 1))
            acc->all_permissions = true;
    }
    enum kh_status rc = KH_OK;
    if (step != SQLITE_DONE)
        rc = sqlite_fail(c, "user_access");
    else if (!found)
        rc = KH_ERR_NOTFOUND;
    sqlite_stmt_done(st);
    return rc;
}

static enum kh_status read_access(struct sqlite_conn *c, struct arena *a, int64_t realm_id,
                                  const char *user_id, struct access *acc)
{
    enum kh_status rc = read_roles(c, a, realm_id, user_id, acc);
    if (rc)
        return rc;
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ACCESS_PERMS);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, user_id);
    return sqlite_read_strings(c, st, a, &acc->permissions, &acc->n_permissions, "user_access");
}

enum kh_status sqlite_user_access(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *user_id, struct user *user, struct access *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct access acc = {0};
    /* One read transaction: the user, roles and permissions from the same snapshot. */
    enum kh_status rc = sqlite_tx_begin(c, false, "user_access");
    if (rc)
        return rc;
    rc = user ? sqlite_user_get(s, a, realm_id, user_id, user) : KH_OK;
    rc = sqlite_tx_end(c, rc ? rc : read_access(c, a, realm_id, user_id, &acc), "user_access");
    if (!rc)
        *out = acc;
    return rc;
}

static enum kh_status update_user_row(struct sqlite_conn *c, const struct user *u,
                                      const char *const *roles, size_t n_roles)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_USER_UPDATE);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, u->realm_id);
    sqlite_bind_str(st, 2, u->id);
    sqlite_bind_str(st, 3, u->email);
    sqlite_bind_str(st, 4, u->first_name);
    sqlite_bind_str(st, 5, u->last_name);
    sqlite3_bind_int(st, 6, u->enabled);
    enum kh_status rc = update_user(c, st, "user_update");
    if (rc || !roles)
        return rc;
    sqlite3_stmt *clear = sqlite_stmt(c, SQ_USER_ROLES_CLEAR);
    if (!clear)
        return KH_ERR_STORE;
    sqlite_bind_str(clear, 1, u->id);
    rc = sqlite_exec_stmt(c, clear, "user_update");
    for (size_t i = 0; i < n_roles && !rc; i++)
        rc = grant_role(c, u, roles[i]);
    return rc;
}

enum kh_status sqlite_user_update(struct store *s, const struct user *u,
                                  const char *const *roles, size_t n_roles)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "user_update");
    if (rc)
        return rc;
    return sqlite_tx_end(c, update_user_row(c, u, roles, n_roles), "user_update");
}

/* Runs a statement bound to ?1 realm_id and ?2 key (a user id or client_id). */
static enum kh_status exec_realm_key(struct sqlite_conn *c, enum sq_stmt id, int64_t realm_id,
                                     const char *key, const char *op)
{
    sqlite3_stmt *st = sqlite_stmt(c, id);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, key);
    return sqlite_exec_stmt(c, st, op);
}

/* The user's own sessions, refresh and opaque access tokens, its role links,
 * then the user; KH_ERR_NOTFOUND if there was no such user. */
static enum kh_status delete_user_row(struct sqlite_conn *c, int64_t realm_id, const char *id)
{
    static const enum sq_stmt steps[] = {SQ_USER_ACCESS_DELETE, SQ_USER_REFRESH_DELETE,
                                         SQ_USER_SESSIONS_DELETE};
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !rc; i++)
        rc = exec_realm_key(c, steps[i], realm_id, id, "user_delete");
    sqlite3_stmt *clear = rc ? NULL : sqlite_stmt(c, SQ_USER_ROLES_CLEAR);
    if (!rc && !clear)
        rc = KH_ERR_STORE;
    if (!rc) {
        sqlite_bind_str(clear, 1, id);
        rc = sqlite_exec_stmt(c, clear, "user_delete");
    }
    if (!rc)
        rc = exec_realm_key(c, SQ_USER_DELETE, realm_id, id, "user_delete");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

/* The clients the user owns (its integrations) go first, with their tokens:
 * a deleted owner's credentials must stop working at once. */
static enum kh_status delete_user_all(struct sqlite_conn *c, int64_t realm_id, const char *id)
{
    struct arena a;
    arena_init(&a);
    const char **owned = NULL;
    size_t n = 0;
    sqlite3_stmt *st = sqlite_stmt(c, SQ_USER_OWNED_CLIENTS);
    enum kh_status rc = st ? KH_OK : KH_ERR_STORE;
    if (!rc) {
        sqlite3_bind_int64(st, 1, realm_id);
        sqlite_bind_str(st, 2, id);
        rc = sqlite_read_strings(c, st, &a, &owned, &n, "user_delete");
    }
    for (size_t i = 0; i < n && !rc; i++)
        rc = sqlite_client_delete_in(c, realm_id, owned[i]);
    if (!rc)
        rc = delete_user_row(c, realm_id, id);
    arena_free(&a);
    return rc;
}

enum kh_status sqlite_user_delete(struct store *s, int64_t realm_id, const char *id)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "user_delete");
    if (rc)
        return rc;
    return sqlite_tx_end(c, delete_user_all(c, realm_id, id), "user_delete");
}
