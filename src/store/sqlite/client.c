/* client.c - OAuth clients (SQLite). */
#include <string.h>
#include "store/sqlite/sqlite_internal.h"

enum kh_status sqlite_client_create(struct store *s, const struct client *cl)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_INSERT) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, cl->id);
    sqlite3_bind_int64(st, 2, cl->realm_id);
    sqlite_bind_str(st, 3, cl->client_id);
    sqlite_bind_str(st, 4, cl->name);
    sqlite3_bind_int(st, 5, cl->confidential);
    /* A public client has no secret: NULL, not 32 meaningless bytes. */
    if (cl->confidential)
        sqlite3_bind_blob(st, 6, cl->secret_hash, SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, cl->grants);
    sqlite_bind_str(st, 8, cl->scopes ? cl->scopes : "");
    sqlite_bind_str(st, 9, cl->default_scopes ? cl->default_scopes : "");
    sqlite_bind_str(st, 10, cl->owner_user_id);
    sqlite3_bind_int(st, 11, cl->enabled);
    sqlite3_bind_int(st, 12, cl->opaque);
    sqlite3_bind_int64(st, 13, cl->access_ttl);
    sqlite3_bind_int64(st, 14, cl->created_at);
    sqlite3_bind_int64(st, 15, cl->refresh_idle_ttl);
    sqlite3_bind_int64(st, 16, cl->session_max_ttl);
    sqlite3_bind_int64(st, 17, cl->offline_idle_ttl);
    sqlite3_bind_int64(st, 18, cl->refresh_grace);
    sqlite3_bind_int(st, 19, cl->integration);
    sqlite_bind_str(st, 20, cl->created_by);
    sqlite3_bind_int64(st, 21, cl->expires_at);
    return sqlite_exec_stmt(c, st, "client_create");
}

/* A 32-byte hash column into out; zeros for NULL (or anything malformed). */
static void read_hash(sqlite3_stmt *st, int col, uint8_t out[SHA256_LEN])
{
    const void *hash = sqlite3_column_blob(st, col);
    if (hash && sqlite3_column_bytes(st, col) == SHA256_LEN)
        memcpy(out, hash, SHA256_LEN);
    else
        memset(out, 0, SHA256_LEN);
}

void sqlite_read_client(struct arena *a, sqlite3_stmt *st, struct client *cl)
{
    cl->id = sqlite_col_str(a, st, 0);
    cl->realm_id = sqlite3_column_int64(st, 1);
    cl->client_id = sqlite_col_str(a, st, 2);
    cl->name = sqlite_col_str(a, st, 3);
    cl->confidential = sqlite3_column_int(st, 4) != 0;
    read_hash(st, 5, cl->secret_hash);
    cl->grants = (unsigned)sqlite3_column_int64(st, 6);
    cl->scopes = sqlite_col_str(a, st, 7);
    cl->default_scopes = sqlite_col_str(a, st, 8);
    cl->owner_user_id = sqlite_col_str(a, st, 9);
    cl->enabled = sqlite3_column_int(st, 10) != 0;
    cl->opaque = sqlite3_column_int(st, 11) != 0;
    cl->access_ttl = sqlite3_column_int64(st, 12);
    cl->created_at = sqlite3_column_int64(st, 13);
    cl->refresh_idle_ttl = sqlite3_column_int64(st, 14);
    cl->session_max_ttl = sqlite3_column_int64(st, 15);
    cl->offline_idle_ttl = sqlite3_column_int64(st, 16);
    cl->refresh_grace = sqlite3_column_int64(st, 17);
    read_hash(st, 18, cl->old_secret_hash);
    cl->old_secret_until = sqlite3_column_int64(st, 19);
    cl->integration = sqlite3_column_int(st, 20) != 0;
    cl->created_by = sqlite_col_str(a, st, 21);
    cl->expires_at = sqlite3_column_int64(st, 22);
    cl->last_used_at = sqlite3_column_int64(st, 23);
}

enum kh_status sqlite_client_find(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *client_id, struct client *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_FIND) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, client_id);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        sqlite_read_client(a, st, out);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "client_find");
    sqlite_stmt_done(st);
    return rc;
}

/* Several reads: in the snapshot of the token endpoint (api_in_snapshot);
 * elsewhere a counter a moment newer than the client changes nothing. */
enum kh_status sqlite_client_context(struct store *s, struct arena *a, int64_t realm_id,
                                     const char *client_id, struct client_context *ctx)
{
    enum kh_status found = sqlite_client_find(s, a, realm_id, client_id, &ctx->client);
    if (found != KH_OK && found != KH_ERR_NOTFOUND)
        return found;
    struct lockout_row *r = &ctx->address;
    r->failures = r->first_failure_at = r->last_failure_at = r->locked_until = 0;
    enum kh_status rc = r->key ? sqlite_lockout_find(s, realm_id, r, 1) : KH_OK;
    ctx->owner_found = false;
    const char *owner = ctx->client.owner_user_id;
    if (!rc && !found && ctx->with_owner && owner) {
        rc = sqlite_user_access(s, a, realm_id, owner, &ctx->owner, &ctx->owner_access);
        ctx->owner_found = rc == KH_OK;
        rc = rc == KH_ERR_NOTFOUND ? KH_OK : rc;
    }
    return rc ? rc : found;
}

enum kh_status sqlite_client_set_secret(struct store *s, int64_t realm_id, const char *client_id,
                                        const uint8_t hash[SHA256_LEN])
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_SET_SECRET) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, client_id);
    sqlite3_bind_blob(st, 3, hash, SHA256_LEN, SQLITE_STATIC);
    enum kh_status rc = sqlite_exec_stmt(c, st, "client_set_secret");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_client_update(struct store *s, const struct client *cl)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_UPDATE) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, cl->realm_id);
    sqlite_bind_str(st, 2, cl->client_id);
    sqlite3_bind_int64(st, 3, cl->access_ttl);
    sqlite3_bind_int64(st, 4, cl->refresh_idle_ttl);
    sqlite3_bind_int64(st, 5, cl->session_max_ttl);
    sqlite3_bind_int64(st, 6, cl->offline_idle_ttl);
    sqlite3_bind_int64(st, 7, cl->refresh_grace);
    sqlite_bind_str(st, 8, cl->scopes ? cl->scopes : "");
    sqlite_bind_str(st, 9, cl->default_scopes ? cl->default_scopes : "");
    sqlite3_bind_int64(st, 10, cl->grants);
    sqlite3_bind_int(st, 11, cl->enabled);
    sqlite3_bind_int(st, 12, cl->opaque);
    sqlite_bind_str(st, 13, cl->name);
    sqlite_bind_str(st, 14, cl->owner_user_id);
    enum kh_status rc = sqlite_exec_stmt(c, st, "client_update");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_client_rotate_secret(struct store *s, int64_t realm_id,
                                           const char *client_id,
                                           const uint8_t hash[SHA256_LEN], int64_t old_until)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_ROTATE_SECRET) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, client_id);
    sqlite3_bind_blob(st, 3, hash, SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, old_until);
    enum kh_status rc = sqlite_exec_stmt(c, st, "client_rotate_secret");
    /* No row: no such client, or a public one (it has no secret to rotate). */
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_client_max_access_ttl(struct store *s, int64_t realm_id, int64_t *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_MAX_ACCESS_TTL) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    enum kh_status rc = KH_OK;
    if (sqlite3_step(st) == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = sqlite_fail(c, "client_max_access_ttl");
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_client_list(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *after, size_t limit, struct client **out,
                                  size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_CLIENT_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, after ? after : "");
    sqlite3_bind_int64(st, 3, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct client *clients = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        clients = sqlite_arr_grow(a, clients, count, &cap, sizeof *clients);
        sqlite_read_client(a, st, &clients[count++]);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "client_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = clients;
        *n = count;
    }
    return rc;
}

enum kh_status sqlite_client_delete_in(struct sqlite_conn *c, int64_t realm_id,
                                       const char *client_id)
{
    /* tokens first (refresh tokens before the sessions they hang on), the client last */
    static const enum sq_stmt steps[] = {SQ_CLIENT_ACCESS_DELETE, SQ_CLIENT_REFRESH_DELETE,
                                         SQ_CLIENT_SESSIONS_DELETE, SQ_CLIENT_DELETE};
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !rc; i++) {
        sqlite3_stmt *st = sqlite_stmt(c, steps[i]);
        if (!st)
            return KH_ERR_STORE;
        sqlite3_bind_int64(st, 1, realm_id);
        sqlite_bind_str(st, 2, client_id);
        rc = sqlite_exec_stmt(c, st, "client_delete");
    }
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_client_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "client_delete");
    if (rc)
        return rc;
    return sqlite_tx_end(c, sqlite_client_delete_in(c, realm_id, client_id), "client_delete");
}
