/* lockout.c - brute-force failure counters (SQLite). Counting a failure is
 * one atomic UPSERT whose RETURNING row decides the wait, and the wait only
 * ever grows (max()), so concurrent failures of one key, from any thread or
 * server, are all counted and never shorten a lock. */
#include "store/sqlite/sqlite_internal.h"

static void bind_key(sqlite3_stmt *st, int64_t realm_id, const char *kind, const char *key)
{
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, kind);
    sqlite_bind_str(st, 3, key);
}

static enum kh_status find_one(struct sqlite_conn *c, int64_t realm_id, struct lockout_row *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_LOCKOUT_FIND);
    if (!st)
        return KH_ERR_STORE;
    bind_key(st, realm_id, r->kind, r->key);
    r->failures = r->first_failure_at = r->last_failure_at = r->locked_until = 0;
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        r->failures = sqlite3_column_int64(st, 0);
        r->first_failure_at = sqlite3_column_int64(st, 1);
        r->last_failure_at = sqlite3_column_int64(st, 2);
        r->locked_until = sqlite3_column_int64(st, 3);
    } else if (step != SQLITE_DONE) {
        rc = sqlite_fail(c, "lockout_find");
    }
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_lockout_find(struct store *s, int64_t realm_id, struct lockout_row *rows,
                                   size_t n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, false, "lockout_find");
    for (size_t i = 0; !rc && i < n; i++)
        rc = find_one(c, realm_id, &rows[i]);
    return sqlite_tx_end(c, rc, "lockout_find");
}

/* The wait after `failures` failures: base_wait at the threshold, doubled by
 * each further failure, at most max_wait; 0 below the threshold or when the
 * rule never locks. */
static int64_t wait_after(const struct lockout_rule *rule, int64_t failures)
{
    if (rule->threshold <= 0 || failures < rule->threshold || rule->base_wait <= 0)
        return 0;
    int64_t wait = rule->base_wait;
    for (int64_t i = rule->threshold; i < failures && wait < rule->max_wait; i++)
        wait *= 2;
    return wait < rule->max_wait ? wait : rule->max_wait;
}

static enum kh_status count_failure(struct sqlite_conn *c, int64_t realm_id, int64_t now,
                                    const struct lockout_rule *rule, struct lockout_row *r)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_LOCKOUT_COUNT);
    if (!st)
        return KH_ERR_STORE;
    bind_key(st, realm_id, r->kind, r->key);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, rule->reset);
    enum kh_status rc = KH_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        r->failures = sqlite3_column_int64(st, 0);
        r->first_failure_at = sqlite3_column_int64(st, 1);
        r->last_failure_at = sqlite3_column_int64(st, 2);
        r->locked_until = sqlite3_column_int64(st, 3);
    } else {
        rc = sqlite_fail(c, "lockout_fail");
    }
    sqlite_stmt_done(st);
    int64_t wait = wait_after(rule, r->failures);
    if (rc || !wait || now + wait <= r->locked_until)
        return rc;
    st = sqlite_stmt(c, SQ_LOCKOUT_LOCK);
    if (!st)
        return KH_ERR_STORE;
    bind_key(st, realm_id, r->kind, r->key);
    sqlite3_bind_int64(st, 4, now + wait);
    rc = sqlite_exec_stmt(c, st, "lockout_fail");
    if (!rc)
        r->locked_until = now + wait;
    return rc;
}

enum kh_status sqlite_lockout_fail(struct store *s, int64_t realm_id, const char *kind,
                                   const char *key, int64_t now, const struct lockout_rule *rule,
                                   struct lockout_row *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct lockout_row r = {.kind = kind, .key = key};
    enum kh_status rc = sqlite_tx_begin(c, true, "lockout_fail");
    if (rc)
        return rc;
    rc = sqlite_tx_end(c, count_failure(c, realm_id, now, rule, &r), "lockout_fail");
    if (!rc && out)
        *out = r;
    return rc;
}

enum kh_status sqlite_lockout_clear(struct store *s, int64_t realm_id, const char *kind,
                                    const char *key)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_LOCKOUT_CLEAR) : NULL;
    if (!st)
        return KH_ERR_STORE;
    bind_key(st, realm_id, kind, key);
    enum kh_status rc = sqlite_exec_stmt(c, st, "lockout_clear");
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_lockout_list(struct store *s, struct arena *a, int64_t realm_id,
                                   const char *after_kind, const char *after_key, size_t limit,
                                   struct lockout_row **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_LOCKOUT_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    /* ("", "") sorts before every (kind, key): kinds are never empty */
    bind_key(st, realm_id, after_kind ? after_kind : "", after_kind && after_key ? after_key : "");
    sqlite3_bind_int64(st, 4, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
    struct lockout_row *v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof *v);
        struct lockout_row *r = &v[len++];
        r->kind = sqlite_col_str(a, st, 0);
        r->key = sqlite_col_str(a, st, 1);
        r->failures = sqlite3_column_int64(st, 2);
        r->first_failure_at = sqlite3_column_int64(st, 3);
        r->last_failure_at = sqlite3_column_int64(st, 4);
        r->locked_until = sqlite3_column_int64(st, 5);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "lockout_list");
    sqlite_stmt_done(st);
    if (!rc) {
        *out = v;
        *n = len;
    }
    return rc;
}
