/* realm.c - realms and roles (PostgreSQL). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/clock.h"
#include "store/postgres/pg_internal.h"

#define REALM_COLS "id, name, alg, access_ttl, refresh_idle_ttl, session_max_ttl, " \
    "offline_idle_ttl, created_at, refresh_grace, lockout_threshold, lockout_ip_threshold, " \
    "lockout_base_wait, lockout_max_wait, lockout_reset"

static struct pg_stmt realm_insert = PG_STMT(
    "INSERT INTO realms (name, alg, access_ttl, refresh_idle_ttl, session_max_ttl, "
    "offline_idle_ttl, created_at, refresh_grace, lockout_threshold, lockout_ip_threshold, "
    "lockout_base_wait, lockout_max_wait, lockout_reset) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id");
static struct pg_stmt realm_find = PG_STMT("SELECT " REALM_COLS " FROM realms WHERE name = $1");
static struct pg_stmt realm_list = PG_STMT("SELECT " REALM_COLS " FROM realms ORDER BY id");
static struct pg_stmt realm_update = PG_STMT(
    "UPDATE realms SET access_ttl = $2, refresh_idle_ttl = $3, session_max_ttl = $4, "
    "offline_idle_ttl = $5, refresh_grace = $6, alg = $7, lockout_threshold = $8, "
    "lockout_ip_threshold = $9, lockout_base_wait = $10, lockout_max_wait = $11, "
    "lockout_reset = $12 WHERE id = $1");

static struct pg_stmt role_insert = PG_STMT(
    "INSERT INTO roles (realm_id, name, all_permissions) VALUES ($1, $2, $3) RETURNING id");
/* A permission listed twice is one permission. */
static struct pg_stmt role_perm_insert = PG_STMT(
    "INSERT INTO role_permissions (role_id, permission) VALUES ($1, $2) ON CONFLICT DO NOTHING");
/* One row per permission (permission NULL for a role without any). */
static struct pg_stmt role_find = PG_STMT(
    "SELECT r.id, r.realm_id, r.name, r.all_permissions, p.permission FROM roles r "
    "LEFT JOIN role_permissions p ON p.role_id = r.id "
    "WHERE r.realm_id = $1 AND r.name = $2 ORDER BY p.permission");
/* The role to change, locked until the transaction ends. */
static struct pg_stmt role_lock = PG_STMT(
    "SELECT id, all_permissions FROM roles WHERE realm_id = $1 AND name = $2 FOR UPDATE");
static struct pg_stmt role_list = PG_STMT(
    "SELECT r.id, r.realm_id, r.name, r.all_permissions, p.permission FROM "
    "(SELECT * FROM roles WHERE realm_id = $1 AND name > $2 ORDER BY name LIMIT $3) r "
    "LEFT JOIN role_permissions p ON p.role_id = r.id ORDER BY r.name, p.permission");
static struct pg_stmt role_perms_clear = PG_STMT(
    "DELETE FROM role_permissions WHERE role_id = $1");
static struct pg_stmt role_links_clear = PG_STMT("DELETE FROM user_roles WHERE role_id = $1");
static struct pg_stmt role_delete = PG_STMT("DELETE FROM roles WHERE id = $1");

static void realm_params(struct pg_params *p, const struct realm *r)
{
    pg_p_int(p, r->access_ttl);
    pg_p_int(p, r->refresh_idle_ttl);
    pg_p_int(p, r->session_max_ttl);
    pg_p_int(p, r->offline_idle_ttl);
}

enum kh_status pg_realm_create(struct store *s, const struct realm *r, int64_t *id_out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, r->name);
    pg_p_str(&p, r->alg);
    realm_params(&p, r);
    pg_p_int(&p, r->created_at);
    pg_p_int(&p, r->refresh_grace);
    pg_p_int(&p, r->lockout_threshold);
    pg_p_int(&p, r->lockout_ip_threshold);
    pg_p_int(&p, r->lockout_base_wait);
    pg_p_int(&p, r->lockout_max_wait);
    pg_p_int(&p, r->lockout_reset);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &realm_insert, &p, "realm_create", &res);
    if (rc)
        return rc;
    if (id_out)
        *id_out = pg_int(res, 0, 0);
    PQclear(res);
    return KH_OK;
}

static void read_realm(struct arena *a, const PGresult *res, int row, struct realm *r)
{
    r->id = pg_int(res, row, 0);
    r->name = pg_str(a, res, row, 1);
    r->alg = pg_str(a, res, row, 2);
    r->access_ttl = pg_int(res, row, 3);
    r->refresh_idle_ttl = pg_int(res, row, 4);
    r->session_max_ttl = pg_int(res, row, 5);
    r->offline_idle_ttl = pg_int(res, row, 6);
    r->created_at = pg_int(res, row, 7);
    r->refresh_grace = pg_int(res, row, 8);
    r->lockout_threshold = pg_int(res, row, 9);
    r->lockout_ip_threshold = pg_int(res, row, 10);
    r->lockout_base_wait = pg_int(res, row, 11);
    r->lockout_max_wait = pg_int(res, row, 12);
    r->lockout_reset = pg_int(res, row, 13);
}

/* The realm cache (PG_REALM_CACHE_US in pg_internal.h). Misses are not
 * kept: a realm created elsewhere is found at once. */

static struct pg_cached_realm *cache_slot(struct pg_store *st, const char *name)
{
    for (size_t i = 0; i < PG_REALM_CACHE_MAX; i++)
        if (st->realms[i].until_us && strcmp(st->realms[i].name, name) == 0)
            return &st->realms[i];
    return NULL;
}

static bool cache_get(struct pg_store *st, struct arena *a, const char *name, struct realm *out)
{
    int64_t now = clock_mono_us();
    pthread_mutex_lock(&st->realms_mu);
    const struct pg_cached_realm *e = cache_slot(st, name);
    bool hit = e && now < e->until_us;
    if (hit) {
        *out = e->realm;
        out->name = arena_strdup(a, e->name);
        out->alg = arena_strdup(a, e->alg);
    }
    pthread_mutex_unlock(&st->realms_mu);
    return hit && out->name && out->alg;
}

static void cache_put(struct pg_store *st, const struct realm *r)
{
    if (strlen(r->name) >= sizeof st->realms[0].name || strlen(r->alg) >= sizeof st->realms[0].alg)
        return;
    int64_t now = clock_mono_us();
    pthread_mutex_lock(&st->realms_mu);
    struct pg_cached_realm *e = cache_slot(st, r->name);
    for (size_t i = 0; !e && i < PG_REALM_CACHE_MAX; i++) /* a free or an expired slot */
        if (st->realms[i].until_us <= now)
            e = &st->realms[i];
    if (e) {
        e->realm = *r;
        snprintf(e->name, sizeof e->name, "%s", r->name); /* lengths checked above */
        snprintf(e->alg, sizeof e->alg, "%s", r->alg);
        e->realm.name = e->name;
        e->realm.alg = e->alg;
        e->until_us = now + PG_REALM_CACHE_US;
    }
    pthread_mutex_unlock(&st->realms_mu);
}

static void cache_drop(struct pg_store *st, int64_t realm_id)
{
    pthread_mutex_lock(&st->realms_mu);
    for (size_t i = 0; i < PG_REALM_CACHE_MAX; i++)
        if (st->realms[i].realm.id == realm_id)
            st->realms[i].until_us = 0;
    pthread_mutex_unlock(&st->realms_mu);
}

enum kh_status pg_realm_update(struct store *s, const struct realm *r)
{
    cache_drop((struct pg_store *)s, r->id);
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, r->id);
    realm_params(&p, r);
    pg_p_int(&p, r->refresh_grace);
    pg_p_str(&p, r->alg);
    pg_p_int(&p, r->lockout_threshold);
    pg_p_int(&p, r->lockout_ip_threshold);
    pg_p_int(&p, r->lockout_base_wait);
    pg_p_int(&p, r->lockout_max_wait);
    pg_p_int(&p, r->lockout_reset);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &realm_update, &p, "realm_update", &changed);
    cache_drop((struct pg_store *)s, r->id); /* again: a reader may have put the old row back */
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

enum kh_status pg_realm_find(struct store *s, struct arena *a, const char *name,
                             struct realm *out)
{
    if (cache_get((struct pg_store *)s, a, name, out))
        return KH_OK;
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, name);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &realm_find, &p, "realm_find", &res);
    if (rc)
        return rc;
    read_realm(a, res, 0, out);
    PQclear(res);
    cache_put((struct pg_store *)s, out);
    return KH_OK;
}

enum kh_status pg_realm_list(struct store *s, struct arena *a, struct realm **out, size_t *n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &realm_list, NULL, "realm_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct realm *v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++)
        read_realm(a, res, i, &v[i]);
    PQclear(res);
    *out = v;
    *n = (size_t)rows;
    return KH_OK;
}

static enum kh_status insert_permissions(struct pg_conn *c, int64_t role_id,
                                         const char *const *permissions, size_t n,
                                         const char *op)
{
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        struct pg_params p = {0};
        pg_p_int(&p, role_id);
        pg_p_str(&p, permissions[i]);
        rc = pg_exec(c, &role_perm_insert, &p, op, NULL);
    }
    return rc;
}

static enum kh_status insert_role(struct pg_conn *c, const struct role *r, int64_t *id)
{
    struct pg_params p = {0};
    pg_p_int(&p, r->realm_id);
    pg_p_str(&p, r->name);
    pg_p_bool(&p, r->all_permissions);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &role_insert, &p, "role_create", &res);
    if (rc)
        return rc;
    *id = pg_int(res, 0, 0);
    PQclear(res);
    return insert_permissions(c, *id, r->permissions, r->n_permissions, "role_create");
}

enum kh_status pg_role_create(struct store *s, const struct role *r, int64_t *id_out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    int64_t id = 0;
    enum kh_status rc = pg_tx_begin(c, "role_create");
    if (rc)
        return rc;
    rc = pg_tx_end(c, insert_role(c, r, &id), "role_create");
    if (!rc && id_out)
        *id_out = id;
    return rc;
}

/* Rows of role_find/role_list (sorted by role, then permission) from row
 * *at on, for one role, into r; *at moves past them. */
static void read_role(struct arena *a, const PGresult *res, int *at, struct role *r)
{
    int first = *at, rows = PQntuples(res);
    *r = (struct role){0};
    r->id = pg_int(res, first, 0);
    r->realm_id = pg_int(res, first, 1);
    r->name = pg_str(a, res, first, 2);
    r->all_permissions = pg_bool(res, first, 3);
    int end = first;
    while (end < rows && pg_int(res, end, 0) == r->id)
        end++;
    r->permissions = arena_alloc(a, (size_t)(end - first) * sizeof(char *) + sizeof(char *));
    for (int i = first; i < end; i++)
        if (!PQgetisnull(res, i, 4))
            r->permissions[r->n_permissions++] = pg_str(a, res, i, 4);
    *at = end;
}

enum kh_status pg_role_find(struct store *s, struct arena *a, int64_t realm_id, const char *name,
                            struct role *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, name);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &role_find, &p, "role_find", &res);
    if (rc)
        return rc;
    int at = 0;
    read_role(a, res, &at, out);
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_role_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                            size_t limit, struct role **out, size_t *n)
{
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_page(s, &role_list, realm_id, after, limit, "role_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res), at = 0;
    struct role *roles = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*roles));
    size_t count = 0;
    while (at < rows)
        read_role(a, res, &at, &roles[count++]);
    PQclear(res);
    *out = roles;
    *n = count;
    return KH_OK;
}

static enum kh_status exec_with_id(struct pg_conn *c, struct pg_stmt *st, int64_t id,
                                   const char *op)
{
    struct pg_params p = {0};
    pg_p_int(&p, id);
    return pg_exec(c, st, &p, op, NULL);
}

/* The role to change, locked: KH_ERR_CONFLICT for the built-in one with
 * every permission, whose permissions are no list to edit. */
static enum kh_status changeable_role(struct pg_conn *c, int64_t realm_id, const char *name,
                                      int64_t *id, const char *op)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, name);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &role_lock, &p, op, &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0)
        rc = KH_ERR_NOTFOUND;
    else if (pg_bool(res, 0, 1))
        rc = KH_ERR_CONFLICT;
    else
        *id = pg_int(res, 0, 0);
    PQclear(res);
    return rc;
}

static enum kh_status update_role(struct pg_conn *c, int64_t realm_id, const char *name,
                                  const char *const *permissions, size_t n)
{
    int64_t id = 0;
    enum kh_status rc = changeable_role(c, realm_id, name, &id, "role_update");
    if (!rc)
        rc = exec_with_id(c, &role_perms_clear, id, "role_update");
    if (!rc)
        rc = insert_permissions(c, id, permissions, n, "role_update");
    return rc;
}

enum kh_status pg_role_update(struct store *s, int64_t realm_id, const char *name,
                              const char *const *permissions, size_t n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = pg_tx_begin(c, "role_update");
    if (rc)
        return rc;
    return pg_tx_end(c, update_role(c, realm_id, name, permissions, n), "role_update");
}

static enum kh_status delete_role(struct pg_conn *c, int64_t realm_id, const char *name)
{
    int64_t id = 0;
    enum kh_status rc = changeable_role(c, realm_id, name, &id, "role_delete");
    if (!rc)
        rc = exec_with_id(c, &role_links_clear, id, "role_delete");
    if (!rc)
        rc = exec_with_id(c, &role_perms_clear, id, "role_delete");
    if (!rc)
        rc = exec_with_id(c, &role_delete, id, "role_delete");
    return rc;
}

enum kh_status pg_role_delete(struct store *s, int64_t realm_id, const char *name)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = pg_tx_begin(c, "role_delete");
    if (rc)
        return rc;
    return pg_tx_end(c, delete_role(c, realm_id, name), "role_delete");
}
