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
    return sqlite_exec_stmt(c, st, "client_create");
}

static void read_client(struct arena *a, sqlite3_stmt *st, struct client *cl)
{
    cl->id = sqlite_col_str(a, st, 0);
    cl->realm_id = sqlite3_column_int64(st, 1);
    cl->client_id = sqlite_col_str(a, st, 2);
    cl->name = sqlite_col_str(a, st, 3);
    cl->confidential = sqlite3_column_int(st, 4) != 0;
    const void *hash = sqlite3_column_blob(st, 5);
    if (hash && sqlite3_column_bytes(st, 5) == SHA256_LEN)
        memcpy(cl->secret_hash, hash, SHA256_LEN);
    else
        memset(cl->secret_hash, 0, SHA256_LEN);
    cl->grants = (unsigned)sqlite3_column_int64(st, 6);
    cl->scopes = sqlite_col_str(a, st, 7);
    cl->default_scopes = sqlite_col_str(a, st, 8);
    cl->owner_user_id = sqlite_col_str(a, st, 9);
    cl->enabled = sqlite3_column_int(st, 10) != 0;
    cl->opaque = sqlite3_column_int(st, 11) != 0;
    cl->access_ttl = sqlite3_column_int64(st, 12);
    cl->created_at = sqlite3_column_int64(st, 13);
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
        read_client(a, st, out);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "client_find");
    sqlite_stmt_done(st);
    return rc;
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
