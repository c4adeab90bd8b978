/* client.c - OAuth clients (PostgreSQL). */
#include <string.h>
#include "store/postgres/client_rows.h"

static struct pg_stmt client_insert = PG_STMT(
    "INSERT INTO clients (id, realm_id, client_id, name, confidential, secret_hash, grants, "
    "scopes, default_scopes, owner_user_id, enabled, opaque, access_ttl, created_at, "
    "refresh_idle_ttl, session_max_ttl, offline_idle_ttl, refresh_grace, integration, "
    "created_by, expires_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, "
    "$19, $20, $21)");
static struct pg_stmt client_find = PG_STMT(
    "SELECT " PG_CLIENT_COLS("") " FROM clients WHERE realm_id = $1 AND client_id = $2");
static struct pg_stmt client_max_access_ttl = PG_STMT(
    "SELECT COALESCE(MAX(access_ttl), 0) FROM clients WHERE realm_id = $1");
static struct pg_stmt client_set_secret = PG_STMT(
    "UPDATE clients SET secret_hash = $3 WHERE realm_id = $1 AND client_id = $2");
static struct pg_stmt client_update = PG_STMT(
    "UPDATE clients SET access_ttl = $3, refresh_idle_ttl = $4, session_max_ttl = $5, "
    "offline_idle_ttl = $6, refresh_grace = $7, scopes = $8, default_scopes = $9, "
    "grants = $10, enabled = $11, opaque = $12, name = $13, owner_user_id = $14 "
    "WHERE realm_id = $1 AND client_id = $2");
/* One statement, so the old secret is the one current at this instant (SET
 * expressions read the row as it was before the UPDATE). A public client
 * matches nothing: it has no secret to rotate. */
static struct pg_stmt client_rotate_secret = PG_STMT(
    "UPDATE clients SET old_secret_hash = secret_hash, old_secret_until = $4, "
    "secret_hash = $3 WHERE realm_id = $1 AND client_id = $2 AND confidential = 1");
static struct pg_stmt client_list = PG_STMT(
    "SELECT " PG_CLIENT_COLS("") " FROM clients WHERE realm_id = $1 AND client_id > $2 "
    "ORDER BY client_id LIMIT $3");
static struct pg_stmt client_delete = PG_STMT(PG_CLIENT_DELETE_SQL(""));

enum kh_status pg_client_create(struct store *s, const struct client *cl)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, cl->id);
    pg_p_int(&p, cl->realm_id);
    pg_p_str(&p, cl->client_id);
    pg_p_str(&p, cl->name);
    pg_p_bool(&p, cl->confidential);
    /* A public client has no secret: NULL, not 32 meaningless bytes. */
    pg_p_bytes(&p, cl->confidential ? cl->secret_hash : NULL, SHA256_LEN);
    pg_p_int(&p, cl->grants);
    pg_p_str(&p, cl->scopes ? cl->scopes : "");
    pg_p_str(&p, cl->default_scopes ? cl->default_scopes : "");
    pg_p_str(&p, cl->owner_user_id);
    pg_p_bool(&p, cl->enabled);
    pg_p_bool(&p, cl->opaque);
    pg_p_int(&p, cl->access_ttl);
    pg_p_int(&p, cl->created_at);
    pg_p_int(&p, cl->refresh_idle_ttl);
    pg_p_int(&p, cl->session_max_ttl);
    pg_p_int(&p, cl->offline_idle_ttl);
    pg_p_int(&p, cl->refresh_grace);
    pg_p_bool(&p, cl->integration);
    pg_p_str(&p, cl->created_by);
    pg_p_int(&p, cl->expires_at);
    return pg_exec(c, &client_insert, &p, "client_create", NULL);
}

void pg_read_client(struct arena *a, const PGresult *res, int row, struct client *cl)
{
    cl->id = pg_str(a, res, row, 0);
    cl->realm_id = pg_int(res, row, 1);
    cl->client_id = pg_str(a, res, row, 2);
    cl->name = pg_str(a, res, row, 3);
    cl->confidential = pg_bool(res, row, 4);
    (void)pg_bytes(res, row, 5, cl->secret_hash, SHA256_LEN);
    cl->grants = (unsigned)pg_int(res, row, 6);
    cl->scopes = pg_str(a, res, row, 7);
    cl->default_scopes = pg_str(a, res, row, 8);
    cl->owner_user_id = pg_str(a, res, row, 9);
    cl->enabled = pg_bool(res, row, 10);
    cl->opaque = pg_bool(res, row, 11);
    cl->access_ttl = pg_int(res, row, 12);
    cl->created_at = pg_int(res, row, 13);
    cl->refresh_idle_ttl = pg_int(res, row, 14);
    cl->session_max_ttl = pg_int(res, row, 15);
    cl->offline_idle_ttl = pg_int(res, row, 16);
    cl->refresh_grace = pg_int(res, row, 17);
    (void)pg_bytes(res, row, 18, cl->old_secret_hash, SHA256_LEN);
    cl->old_secret_until = pg_int(res, row, 19);
    cl->integration = pg_bool(res, row, 20);
    cl->created_by = pg_str(a, res, row, 21);
    cl->expires_at = pg_int(res, row, 22);
    cl->last_used_at = pg_int(res, row, 23);
}

/* Every row of a PG_CLIENT_COLS result into an arena array. */
static void read_clients(struct arena *a, const PGresult *res, struct client **out, size_t *n)
{
    int rows = PQntuples(res);
    struct client *v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++) {
        v[i] = (struct client){0};
        pg_read_client(a, res, i, &v[i]);
    }
    *out = v;
    *n = (size_t)rows;
}

enum kh_status pg_client_find(struct store *s, struct arena *a, int64_t realm_id,
                              const char *client_id, struct client *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, client_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &client_find, &p, "client_find", &res);
    if (rc)
        return rc;
    pg_read_client(a, res, 0, out);
    PQclear(res);
    return KH_OK;
}

/* The client (all NULL when there is none), the counter ($3, $4) of the
 * realm (all NULL when there is none) and, if $5, the client's owner with
 * what it holds (PG_ACCESS_JOIN): at least one row, the columns before the
 * access ones repeated on each. */
#define CONTEXT_LOCKOUT PG_CLIENT_NCOLS
#define CONTEXT_OWNER (CONTEXT_LOCKOUT + 4)
#define CONTEXT_ACCESS (CONTEXT_OWNER + PG_USER_NCOLS)
static struct pg_stmt client_context = PG_STMT(
    "SELECT " PG_CLIENT_COLS("c.") ", " PG_LOCKOUT_COLS("l.") ", " PG_USER_COLS("u.")
    ", x.* FROM (SELECT 1) AS one "
    "LEFT JOIN clients c ON c.realm_id = $1 AND c.client_id = $2 "
    "LEFT JOIN lockouts l ON l.realm_id = $1 AND l.kind = $3 AND l.key = $4 "
    "LEFT JOIN users u ON $5::smallint = 1 AND u.realm_id = $1 AND u.id = c.owner_user_id "
    PG_ACCESS_JOIN("u") " ORDER BY x.kind, x.name");

/* On the hot path of every client authentication: one statement. */
enum kh_status pg_client_context(struct store *s, struct arena *a, int64_t realm_id,
                                 const char *client_id, struct client_context *ctx)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, client_id);
    pg_p_str(&p, ctx->address.kind);
    pg_p_str(&p, ctx->address.key);
    pg_p_bool(&p, ctx->with_owner);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &client_context, &p, "client_context", &res);
    if (rc)
        return rc;
    pg_read_counts(res, 0, CONTEXT_LOCKOUT, &ctx->address);
    ctx->owner_found = !PQgetisnull(res, 0, CONTEXT_OWNER);
    if (ctx->owner_found) {
        pg_read_user(a, res, 0, CONTEXT_OWNER, &ctx->owner);
        pg_read_access(a, res, CONTEXT_ACCESS, &ctx->owner_access);
    }
    if (PQgetisnull(res, 0, 0))
        rc = KH_ERR_NOTFOUND;
    else
        pg_read_client(a, res, 0, &ctx->client);
    PQclear(res);
    return rc;
}

enum kh_status pg_client_max_access_ttl(struct store *s, int64_t realm_id, int64_t *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &client_max_access_ttl, &p, "client_max_access_ttl", &res);
    if (rc)
        return rc;
    *out = pg_int(res, 0, 0); /* an aggregate: always one row */
    PQclear(res);
    return KH_OK;
}

/* Runs a write of one client row; KH_ERR_NOTFOUND when it matched none. */
static enum kh_status write_one(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                                const char *op)
{
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, st, p, op, &changed);
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

enum kh_status pg_client_set_secret(struct store *s, int64_t realm_id, const char *client_id,
                                    const uint8_t hash[SHA256_LEN])
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, client_id);
    pg_p_bytes(&p, hash, SHA256_LEN);
    return write_one(c, &client_set_secret, &p, "client_set_secret");
}

/* An owner that does not exist fails the foreign key: KH_ERR_NOTFOUND. */
enum kh_status pg_client_update(struct store *s, const struct client *cl)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, cl->realm_id);
    pg_p_str(&p, cl->client_id);
    pg_p_int(&p, cl->access_ttl);
    pg_p_int(&p, cl->refresh_idle_ttl);
    pg_p_int(&p, cl->session_max_ttl);
    pg_p_int(&p, cl->offline_idle_ttl);
    pg_p_int(&p, cl->refresh_grace);
    pg_p_str(&p, cl->scopes ? cl->scopes : "");
    pg_p_str(&p, cl->default_scopes ? cl->default_scopes : "");
    pg_p_int(&p, cl->grants);
    pg_p_bool(&p, cl->enabled);
    pg_p_bool(&p, cl->opaque);
    pg_p_str(&p, cl->name);
    pg_p_str(&p, cl->owner_user_id);
    return write_one(c, &client_update, &p, "client_update");
}

enum kh_status pg_client_rotate_secret(struct store *s, int64_t realm_id, const char *client_id,
                                       const uint8_t hash[SHA256_LEN], int64_t old_until)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, client_id);
    pg_p_bytes(&p, hash, SHA256_LEN);
    pg_p_int(&p, old_until);
    return write_one(c, &client_rotate_secret, &p, "client_rotate_secret");
}

enum kh_status pg_client_list(struct store *s, struct arena *a, int64_t realm_id,
                              const char *after, size_t limit, struct client **out, size_t *n)
{
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_page(s, &client_list, realm_id, after, limit, "client_list", &res);
    if (rc)
        return rc;
    read_clients(a, res, out, n);
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_client_delete_run(struct pg_conn *c, struct pg_stmt *st, int64_t realm_id,
                                    const char *client_id, const char *op)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, client_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, st, &p, op, &res);
    if (rc)
        return rc;
    if (pg_int(res, 0, 0) == 0)
        rc = KH_ERR_NOTFOUND;
    PQclear(res);
    return rc;
}

/* One statement: inside the caller's transaction it is part of it, alone it
 * is a transaction of its own. */
enum kh_status pg_client_delete_in(struct pg_conn *c, int64_t realm_id, const char *client_id)
{
    return pg_client_delete_run(c, &client_delete, realm_id, client_id, "client_delete");
}

enum kh_status pg_client_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    return pg_client_delete_in(c, realm_id, client_id);
}
