/* realm.c - realms and roles (SQLite). */
#include "store/sqlite/sqlite_internal.h"

enum kh_status sqlite_realm_create(struct store *s, const struct realm *r, int64_t *id_out)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REALM_INSERT) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, r->name);
    sqlite_bind_str(st, 2, r->alg);
    sqlite3_bind_int64(st, 3, r->access_ttl);
    sqlite3_bind_int64(st, 4, r->refresh_idle_ttl);
    sqlite3_bind_int64(st, 5, r->session_max_ttl);
    sqlite3_bind_int64(st, 6, r->offline_idle_ttl);
    sqlite3_bind_int64(st, 7, r->created_at);
    sqlite3_bind_int64(st, 8, r->refresh_grace);
    sqlite3_bind_int64(st, 9, r->lockout_threshold);
    sqlite3_bind_int64(st, 10, r->lockout_ip_threshold);
    sqlite3_bind_int64(st, 11, r->lockout_base_wait);
    sqlite3_bind_int64(st, 12, r->lockout_max_wait);
    sqlite3_bind_int64(st, 13, r->lockout_reset);
    enum kh_status rc = sqlite_exec_stmt(c, st, "realm_create");
    if (!rc && id_out)
        *id_out = sqlite3_last_insert_rowid(c->db);
    return rc;
}

static void read_realm(struct arena *a, sqlite3_stmt *st, struct realm *r)
{
    r->id = sqlite3_column_int64(st, 0);
    r->name = sqlite_col_str(a, st, 1);
    r->alg = sqlite_col_str(a, st, 2);
    r->access_ttl = sqlite3_column_int64(st, 3);
    r->refresh_idle_ttl = sqlite3_column_int64(st, 4);
    r->session_max_ttl = sqlite3_column_int64(st, 5);
    r->offline_idle_ttl = sqlite3_column_int64(st, 6);
    r->created_at = sqlite3_column_int64(st, 7);
    r->refresh_grace = sqlite3_column_int64(st, 8);
    r->lockout_threshold = sqlite3_column_int64(st, 9);
    r->lockout_ip_threshold = sqlite3_column_int64(st, 10);
    r->lockout_base_wait = sqlite3_column_int64(st, 11);
    r->lockout_max_wait = sqlite3_column_int64(st, 12);
    r->lockout_reset = sqlite3_column_int64(st, 13);
}

enum kh_status sqlite_realm_update(struct store *s, const struct realm *r)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REALM_UPDATE) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->access_ttl);
    sqlite3_bind_int64(st, 3, r->refresh_idle_ttl);
    sqlite3_bind_int64(st, 4, r->session_max_ttl);
    sqlite3_bind_int64(st, 5, r->offline_idle_ttl);
    sqlite3_bind_int64(st, 6, r->refresh_grace);
    sqlite_bind_str(st, 7, r->alg);
    sqlite3_bind_int64(st, 8, r->lockout_threshold);
    sqlite3_bind_int64(st, 9, r->lockout_ip_threshold);
    sqlite3_bind_int64(st, 10, r->lockout_base_wait);
    sqlite3_bind_int64(st, 11, r->lockout_max_wait);
    sqlite3_bind_int64(st, 12, r->lockout_reset);
    enum kh_status rc = sqlite_exec_stmt(c, st, "realm_update");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_realm_find(struct store *s, struct arena *a, const char *name,
                                 struct realm *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REALM_FIND) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, name);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_realm(a, st, out);
    else if (step == SQLITE_DONE)
        rc = KH_ERR_NOTFOUND;
    else
        rc = sqlite_fail(c, "realm_find");
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_realm_list(struct store *s, struct arena *a, struct realm **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REALM_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    struct realm *v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof(*v));
        read_realm(a, st, &v[len++]);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "realm_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = v;
        *n = len;
    }
    return rc;
}

static enum kh_status insert_permissions(struct sqlite_conn *c, int64_t role_id,
                                         const char *const *permissions, size_t n,
                                         const char *op)
{
    sqlite3_stmt *perm = sqlite_stmt(c, SQ_ROLE_PERM_INSERT);
    if (!perm)
        return KH_ERR_STORE;
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_bind_int64(perm, 1, role_id);
        sqlite_bind_str(perm, 2, permissions[i]);
        rc = sqlite_exec_stmt(c, perm, op);
    }
    return rc;
}

static enum kh_status insert_role(struct sqlite_conn *c, const struct role *r, int64_t *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLE_INSERT);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->realm_id);
    sqlite_bind_str(st, 2, r->name);
    sqlite3_bind_int(st, 3, r->all_permissions);
    enum kh_status rc = sqlite_exec_stmt(c, st, "role_create");
    if (rc)
        return rc;
    *id = sqlite3_last_insert_rowid(c->db);
    return insert_permissions(c, *id, r->permissions, r->n_permissions, "role_create");
}

enum kh_status sqlite_role_create(struct store *s, const struct role *r, int64_t *id_out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    int64_t id = 0;
    enum kh_status rc = sqlite_tx_begin(c, true, "role_create");
    if (rc)
        return rc;
    rc = sqlite_tx_end(c, insert_role(c, r, &id), "role_create");
    if (!rc && id_out)
        *id_out = id;
    return rc;
}

static enum kh_status find_role(struct sqlite_conn *c, struct arena *a, int64_t realm_id,
                                const char *name, struct role *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLE_FIND);
    sqlite3_stmt *perms = sqlite_stmt(c, SQ_ROLE_PERMS);
    if (!st || !perms)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, name);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        r->id = sqlite3_column_int64(st, 0);
        r->realm_id = sqlite3_column_int64(st, 1);
        r->name = sqlite_col_str(a, st, 2);
        r->all_permissions = sqlite3_column_int(st, 3) != 0;
    } else {
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "role_find");
    }
    sqlite_stmt_done(st);
    if (rc)
        return rc;
    sqlite3_bind_int64(perms, 1, r->id);
    return sqlite_read_strings(c, perms, a, &r->permissions, &r->n_permissions, "role_find");
}

enum kh_status sqlite_role_find(struct store *s, struct arena *a, int64_t realm_id,
                                const char *name, struct role *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct role r = {0};
    enum kh_status rc = sqlite_tx_begin(c, false, "role_find");
    if (rc)
        return rc;
    rc = sqlite_tx_end(c, find_role(c, a, realm_id, name, &r), "role_find");
    if (!rc)
        *out = r;
    return rc;
}

static enum kh_status list_roles(struct sqlite_conn *c, struct arena *a, int64_t realm_id,
                                 const char *after, size_t limit, struct role **out, size_t *n)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLE_LIST);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, after ? after : "");
    sqlite3_bind_int64(st, 3, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct role *roles = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        roles = sqlite_arr_grow(a, roles, count, &cap, sizeof *roles);
        struct role *r = &roles[count++];
        *r = (struct role){0};
        r->id = sqlite3_column_int64(st, 0);
        r->realm_id = sqlite3_column_int64(st, 1);
        r->name = sqlite_col_str(a, st, 2);
        r->all_permissions = sqlite3_column_int(st, 3) != 0;
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "role_list");
    sqlite_stmt_done(st);
    /* the permissions after the page is read: one statement steps at a time */
    for (size_t i = 0; !rc && i < count; i++) {
        sqlite3_stmt *perms = sqlite_stmt(c, SQ_ROLE_PERMS);
        if (!perms)
            return KH_ERR_STORE;
        sqlite3_bind_int64(perms, 1, roles[i].id);
        rc = sqlite_read_strings(c, perms, a, &roles[i].permissions, &roles[i].n_permissions,
                                 "role_list");
    }
    if (!rc) {
        *out = roles;
        *n = count;
    }
    return rc;
}

enum kh_status sqlite_role_list(struct store *s, struct arena *a, int64_t realm_id,
                                const char *after, size_t limit, struct role **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, false, "role_list");
    if (rc)
        return rc;
    return sqlite_tx_end(c, list_roles(c, a, realm_id, after, limit, out, n), "role_list");
}

/* Runs one statement binding only ?1 = id. */
static enum kh_status exec_with_id(struct sqlite_conn *c, enum sq_stmt id_stmt, int64_t id,
                                   const char *op)
{
    sqlite3_stmt *st = sqlite_stmt(c, id_stmt);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    return sqlite_exec_stmt(c, st, op);
}

/* The role to change: KH_ERR_CONFLICT for the built-in one with every
 * permission, whose permissions are no list to edit. */
static enum kh_status changeable_role(struct sqlite_conn *c, int64_t realm_id, const char *name,
                                      int64_t *id)
{
    struct arena a;
    arena_init(&a);
    struct role r = {0};
    enum kh_status rc = find_role(c, &a, realm_id, name, &r);
    if (!rc && r.all_permissions)
        rc = KH_ERR_CONFLICT;
    if (!rc)
        *id = r.id;
    arena_free(&a);
    return rc;
}

static enum kh_status update_role(struct sqlite_conn *c, int64_t realm_id, const char *name,
                                  const char *const *permissions, size_t n)
{
    int64_t id = 0;
    enum kh_status rc = changeable_role(c, realm_id, name, &id);
    if (!rc)
        rc = exec_with_id(c, SQ_ROLE_PERMS_CLEAR, id, "role_update");
    if (!rc)
        rc = insert_permissions(c, id, permissions, n, "role_update");
    return rc;
}

enum kh_status sqlite_role_update(struct store *s, int64_t realm_id, const char *name,
                                  const char *const *permissions, size_t n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "role_update");
    if (rc)
        return rc;
    return sqlite_tx_end(c, update_role(c, realm_id, name, permissions, n), "role_update");
}

static enum kh_status delete_role(struct sqlite_conn *c, int64_t realm_id, const char *name)
{
    int64_t id = 0;
    enum kh_status rc = changeable_role(c, realm_id, name, &id);
    if (!rc)
        rc = exec_with_id(c, SQ_ROLE_LINKS_CLEAR, id, "role_delete");
    if (!rc)
        rc = exec_with_id(c, SQ_ROLE_PERMS_CLEAR, id, "role_delete");
    if (!rc)
        rc = exec_with_id(c, SQ_ROLE_DELETE, id, "role_delete");
    return rc;
}

enum kh_status sqlite_role_delete(struct store *s, int64_t realm_id, const char *name)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "role_delete");
    if (rc)
        return rc;
    return sqlite_tx_end(c, delete_role(c, realm_id, name), "role_delete");
}
