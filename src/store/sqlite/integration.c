/* integration.c - integrations ("new client credentials") and the clients'
 * last use (SQLite). An integration is a row of clients with integration = 1;
 * creating one is client_create. */
#include "store/sqlite/sqlite_internal.h"

/* Column of the owner's username after the client's columns (INTEGRATION_COLS). */
#define OWNER_COL 24

enum kh_status sqlite_integration_list(struct store *s, struct arena *a, int64_t realm_id,
                                       const char *after, size_t limit, struct integration **out,
                                       size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_INTEGRATION_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, after ? after : "");
    sqlite3_bind_int64(st, 3, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct integration *items = NULL;
    size_t count = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        items = sqlite_arr_grow(a, items, count, &cap, sizeof *items);
        struct integration *it = &items[count++];
        sqlite_read_client(a, st, &it->client);
        it->owner_username = sqlite_col_str(a, st, OWNER_COL); /* NULL: the owner is gone */
        it->owner_enabled = sqlite3_column_int(st, OWNER_COL + 1) != 0;
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "integration_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = items;
        *n = count;
    }
    return rc;
}

static enum kh_status integration_exists(struct sqlite_conn *c, int64_t realm_id,
                                         const char *client_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_INTEGRATION_EXISTS);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, client_id);
    int step = sqlite3_step(st);
    enum kh_status rc = step == SQLITE_ROW    ? KH_OK
                        : step == SQLITE_DONE ? KH_ERR_NOTFOUND
                                              : sqlite_fail(c, "integration_delete");
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_integration_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "integration_delete");
    if (rc)
        return rc;
    /* Checked first, so that an ordinary client's tokens are never touched. */
    rc = integration_exists(c, realm_id, client_id);
    if (!rc)
        rc = sqlite_client_delete_in(c, realm_id, client_id);
    return sqlite_tx_end(c, rc, "integration_delete");
}

enum kh_status sqlite_client_touch(struct store *s, const struct client_use *uses, size_t n,
                                   int64_t min_interval)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "client_touch");
    if (rc)
        return rc;
    for (size_t i = 0; !rc && i < n; i++) {
        sqlite3_stmt *st = sqlite_stmt(c, SQ_CLIENT_TOUCH);
        if (!st) {
            rc = KH_ERR_STORE;
            break;
        }
        sqlite3_bind_int64(st, 1, uses[i].realm_id);
        sqlite_bind_str(st, 2, uses[i].client_id);
        sqlite3_bind_int64(st, 3, uses[i].at);
        sqlite3_bind_int64(st, 4, min_interval);
        rc = sqlite_exec_stmt(c, st, "client_touch");
    }
    return sqlite_tx_end(c, rc, "client_touch");
}
