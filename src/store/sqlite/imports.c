/* imports.c - the records of imports over the API (migration 0006): one row
 * per import and one per kept row error, written in one transaction. */
#include "store/sqlite/sqlite_internal.h"

static enum kh_status insert_record(struct sqlite_conn *c, const struct import_record *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_IMPORT_INSERT);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->realm_id);
    sqlite_bind_str(st, 3, r->status);
    sqlite_bind_str(st, 4, r->format);
    sqlite3_bind_int(st, 5, r->dry_run);
    sqlite3_bind_int(st, 6, r->atomic);
    sqlite3_bind_int64(st, 7, r->rows);
    sqlite3_bind_int64(st, 8, r->created);
    sqlite3_bind_int64(st, 9, r->updated);
    sqlite3_bind_int64(st, 10, r->failed);
    sqlite3_bind_int(st, 11, r->errors_truncated);
    sqlite3_bind_int64(st, 12, r->created_at);
    sqlite_bind_str(st, 13, r->created_by);
    return sqlite_exec_stmt(c, st, "import_insert");
}

static enum kh_status insert_errors(struct sqlite_conn *c, const struct import_record *r)
{
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < r->n_errors && !rc; i++) {
        sqlite3_stmt *st = sqlite_stmt(c, SQ_IMPORT_ERROR_INSERT);
        if (!st)
            return KH_ERR_STORE;
        sqlite_bind_str(st, 1, r->id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int64(st, 3, r->errors[i].row);
        sqlite_bind_str(st, 4, r->errors[i].field);
        sqlite_bind_str(st, 5, r->errors[i].message);
        rc = sqlite_exec_stmt(c, st, "import_insert");
    }
    return rc;
}

enum kh_status sqlite_import_insert(struct store *s, const struct import_record *r)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "import_insert");
    if (rc)
        return rc;
    rc = insert_record(c, r);
    if (!rc)
        rc = insert_errors(c, r);
    return sqlite_tx_end(c, rc, "import_insert");
}

static enum kh_status read_errors(struct sqlite_conn *c, struct arena *a, struct import_record *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_IMPORT_ERRORS);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, r->id);
    struct import_record_error *v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof *v);
        v[len++] = (struct import_record_error){
            .row = sqlite3_column_int64(st, 0),
            .field = sqlite_col_str(a, st, 1),
            .message = sqlite_col_str(a, st, 2),
        };
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "import_get");
    sqlite_stmt_done(st);
    r->errors = v;
    r->n_errors = len;
    return rc;
}

static void read_record(struct arena *a, sqlite3_stmt *st, struct import_record *r)
{
    *r = (struct import_record){
        .id = sqlite_col_str(a, st, 0),
        .realm_id = sqlite3_column_int64(st, 1),
        .status = sqlite_col_str(a, st, 2),
        .format = sqlite_col_str(a, st, 3),
        .dry_run = sqlite3_column_int(st, 4) != 0,
        .atomic = sqlite3_column_int(st, 5) != 0,
        .rows = sqlite3_column_int64(st, 6),
        .created = sqlite3_column_int64(st, 7),
        .updated = sqlite3_column_int64(st, 8),
        .failed = sqlite3_column_int64(st, 9),
        .errors_truncated = sqlite3_column_int(st, 10) != 0,
        .created_at = sqlite3_column_int64(st, 11),
        .created_by = sqlite_col_str(a, st, 12),
    };
}

enum kh_status sqlite_import_get(struct store *s, struct arena *a, int64_t realm_id,
                                 const char *id, struct import_record *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, false, "import_get");
    if (rc)
        return rc;
    sqlite3_stmt *st = sqlite_stmt(c, SQ_IMPORT_GET);
    struct import_record r = {0};
    if (!st) {
        rc = KH_ERR_STORE;
    } else {
        sqlite3_bind_int64(st, 1, realm_id);
        sqlite_bind_str(st, 2, id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            read_record(a, st, &r);
        else
            rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "import_get");
        sqlite_stmt_done(st);
    }
    if (!rc)
        rc = read_errors(c, a, &r);
    rc = sqlite_tx_end(c, rc, "import_get");
    if (!rc)
        *out = r;
    return rc;
}
