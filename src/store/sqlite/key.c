/* key.c - signing keys (SQLite). */
#include "core/clock.h"
#include "store/sqlite/sqlite_internal.h"

enum kh_status sqlite_key_insert(struct store *s, const struct signing_key *k)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_KEY_INSERT) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, k->kid);
    sqlite3_bind_int64(st, 2, k->realm_id);
    sqlite_bind_str(st, 3, k->alg);
    /* A zero-length blob, not NULL, when empty: the column is NOT NULL. */
    sqlite3_bind_blob64(st, 4, k->private_enc ? (const void *)k->private_enc : "",
                        k->private_enc ? k->private_enc_len : 0, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, k->created_at);
    sqlite3_bind_int64(st, 6, k->active_from);
    sqlite3_bind_int64(st, 7, k->retire_at);
    return sqlite_exec_stmt(c, st, "key_insert");
}

enum kh_status sqlite_key_update(struct store *s, const char *kid, int64_t active_from,
                                 int64_t retire_at)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_KEY_UPDATE) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, kid);
    sqlite3_bind_int64(st, 2, active_from);
    sqlite3_bind_int64(st, 3, retire_at);
    enum kh_status rc = sqlite_exec_stmt(c, st, "key_update");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

static void read_key(struct arena *a, sqlite3_stmt *st, struct signing_key *k)
{
    k->kid = sqlite_col_str(a, st, 0);
    k->realm_id = sqlite3_column_int64(st, 1);
    k->alg = sqlite_col_str(a, st, 2);
    const void *enc = sqlite3_column_blob(st, 3);
    int n = sqlite3_column_bytes(st, 3);
    k->private_enc = enc && n > 0 ? arena_memdup(a, enc, (size_t)n) : NULL;
    k->private_enc_len = enc && n > 0 ? (size_t)n : 0;
    k->created_at = sqlite3_column_int64(st, 4);
    k->active_from = sqlite3_column_int64(st, 5);
    k->retire_at = sqlite3_column_int64(st, 6);
}

enum kh_status sqlite_key_list(struct store *s, struct arena *a, int64_t realm_id,
                               struct signing_key **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_KEY_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite3_bind_int64(st, 2, clock_now());
    struct signing_key *v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof(*v));
        read_key(a, st, &v[len++]);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "key_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = v;
        *n = len;
    }
    return rc;
}
