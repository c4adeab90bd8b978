/* purge.c - deletes rows that can no longer matter, in small batches (SQLite).
 *
 * It runs beside live traffic, so each kind is its own short write
 * transaction of one DELETE bounded by `batch` rows: the write lock is held
 * for a bounded time, and live requests queue behind it at most that long.
 * A caller that wants everything gone calls again until the counts are 0.
 * Refresh tokens go first, so that the sessions they kept alive can go in
 * the same pass. */
#include <stdint.h>
#include <string.h>
#include "store/sqlite/sqlite_internal.h"

/* Runs `del` (a DELETE … RETURNING session_id), then deletes those sessions
 * that it left without a token. */
static enum kh_status drop_tokens_and_empty_sessions(struct sqlite_conn *c, sqlite3_stmt *del,
                                                     size_t *tokens, size_t *sessions)
{
    struct arena a;
    arena_init(&a);
    const char **ids = NULL;
    size_t n_ids = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(del)) == SQLITE_ROW) {
        const char *sid = sqlite_col_str(&a, del, 0);
        if (n_ids && strcmp(ids[n_ids - 1], sid) == 0)
            continue; /* a session's tokens come out together */
        ids = sqlite_arr_grow(&a, ids, n_ids, &cap, sizeof *ids);
        ids[n_ids++] = sid;
    }
    *tokens = (size_t)sqlite3_changes(c->db);
    sqlite_stmt_done(del);
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "purge");
    sqlite3_stmt *st = rc ? NULL : sqlite_stmt(c, SQ_PURGE_SESSION_IF_EMPTY);
    if (!rc && !st)
        rc = KH_ERR_STORE;
    size_t gone = 0;
    for (size_t i = 0; !rc && i < n_ids; i++) {
        sqlite_bind_str(st, 1, ids[i]);
        rc = sqlite_exec_stmt(c, st, "purge");
        gone += rc ? 0 : (size_t)sqlite3_changes(c->db);
    }
    arena_free(&a);
    *sessions = gone;
    return rc;
}

/* One kind: DELETE ... LIMIT batch in its own transaction; *n rows deleted.
 * With `emptied`, the statement returns the session ids of the refresh tokens
 * it deleted, and the sessions left empty go in the same transaction. */
static enum kh_status purge_kind(struct sqlite_conn *c, enum sq_stmt id, int64_t now,
                                 int64_t batch, size_t *n, size_t *emptied)
{
    sqlite3_stmt *st = sqlite_stmt(c, id);
    if (!st)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "purge");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, batch);
    size_t rows = 0, gone = 0;
    if (emptied) {
        rc = drop_tokens_and_empty_sessions(c, st, &rows, &gone);
    } else {
        rc = sqlite_exec_stmt(c, st, "purge");
        rows = rc ? 0 : (size_t)sqlite3_changes(c->db);
    }
    rc = sqlite_tx_end(c, rc, "purge");
    if (!rc) {
        *n = rows;
        if (emptied)
            *emptied = gone;
    }
    return rc;
}

enum kh_status sqlite_purge(struct store *s, int64_t now, size_t batch, struct purge_counts *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    int64_t limit = batch > (size_t)INT32_MAX ? INT32_MAX : (int64_t)batch;
    struct purge_counts pc = {0};
    size_t emptied = 0;
    enum kh_status rc = purge_kind(c, SQ_PURGE_REFRESH, now, limit, &pc.refresh_tokens, &emptied);
    if (!rc)
        rc = purge_kind(c, SQ_PURGE_SESSIONS, now, limit, &pc.sessions, NULL);
    pc.sessions += emptied;
    if (!rc)
        rc = purge_kind(c, SQ_PURGE_ACCESS, now, limit, &pc.access_tokens, NULL);
    if (!rc)
        rc = purge_kind(c, SQ_PURGE_JTIS, now, limit, &pc.revoked_jtis, NULL);
    if (!rc)
        rc = purge_kind(c, SQ_PURGE_LOCKOUTS, now, limit, &pc.lockouts, NULL);
    if (!rc && out)
        *out = pc;
    return rc;
}
