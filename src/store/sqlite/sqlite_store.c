/* sqlite_store.c - the SQLite backend's ops table. */
#include "store/sqlite/sqlite_internal.h"

enum kh_status sqlite_ping(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_PING) : NULL;
    if (!st)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite3_step(st) == SQLITE_ROW ? KH_OK : sqlite_fail(c, "ping");
    sqlite_stmt_done(st);
    return rc;
}

/* A read transaction is a snapshot in SQLite (WAL). */
enum kh_status sqlite_snapshot_begin(struct store *s)
{
    sqlite_read_begin(s);
    struct sqlite_conn *c = sqlite_conn_get(s);
    return c && c->snapshot ? KH_OK : KH_ERR_STORE;
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .batches = true,
    .open = sqlite_store_open,
    .close = sqlite_store_close,
    .ping = sqlite_ping,
    .read_begin = sqlite_read_begin,
    .read_end = sqlite_read_end,
    .snapshot_begin = sqlite_snapshot_begin,
    .snapshot_end = sqlite_read_end,
    .batch_begin = sqlite_batch_begin,
    .batch_end = sqlite_batch_end,
    .realm_create = sqlite_realm_create,
    .realm_find = sqlite_realm_find,
    .realm_list = sqlite_realm_list,
    .realm_update = sqlite_realm_update,
    .role_create = sqlite_role_create,
    .role_find = sqlite_role_find,
    .user_create = sqlite_user_create,
    .user_find_by_name = sqlite_user_find_by_name,
    .user_get = sqlite_user_get,
    .user_set_password = sqlite_user_set_password,
    .user_set_enabled = sqlite_user_set_enabled,
    .user_access = sqlite_user_access,
    .user_list = sqlite_user_list,
    .client_create = sqlite_client_create,
    .client_find = sqlite_client_find,
    .client_context = sqlite_client_context,
    .client_max_access_ttl = sqlite_client_max_access_ttl,
    .client_set_secret = sqlite_client_set_secret,
    .client_update = sqlite_client_update,
    .client_rotate_secret = sqlite_client_rotate_secret,
    .session_start = sqlite_session_start,
    .refresh_find = sqlite_refresh_find,
    .refresh_rotate = sqlite_refresh_rotate,
    .session_revoke = sqlite_session_revoke,
    .session_find = sqlite_session_find,
    .access_insert = sqlite_access_insert,
    .access_find = sqlite_access_find,
    .access_revoke = sqlite_access_revoke,
    .jti_revoke = sqlite_jti_revoke,
    .jti_is_revoked = sqlite_jti_is_revoked,
    .purge = sqlite_purge,
    .key_insert = sqlite_key_insert,
    .key_update = sqlite_key_update,
    .key_list = sqlite_key_list,
    .batch_abort = sqlite_batch_abort,
    .user_upsert_begin = sqlite_user_upsert_begin,
    .user_upsert = sqlite_user_upsert,
    .role_list = sqlite_role_list,
    /* admin REST rows */
    .role_update = sqlite_role_update,
    .role_delete = sqlite_role_delete,
    .user_update = sqlite_user_update,
    .user_delete = sqlite_user_delete,
    .client_list = sqlite_client_list,
    .client_delete = sqlite_client_delete,
    /* integrations */
    .integration_list = sqlite_integration_list,
    .integration_delete = sqlite_integration_delete,
    .client_touch = sqlite_client_touch,
    /* imports over the API */
    .import_insert = sqlite_import_insert,
    .import_get = sqlite_import_get,
    /* audit log */
    .audit_append = sqlite_audit_append,
    .audit_head = sqlite_audit_head,
    .audit_list = sqlite_audit_list,
    .audit_checkpoint_find = sqlite_audit_checkpoint_find,
    .audit_purge = sqlite_audit_purge,
    /* brute-force protection */
    .lockout_find = sqlite_lockout_find,
    .lockout_fail = sqlite_lockout_fail,
    .lockout_clear = sqlite_lockout_clear,
    .lockout_list = sqlite_lockout_list,
};
