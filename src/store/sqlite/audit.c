/* audit.c - the audit log's events, chain heads and checkpoints (SQLite).
 *
 * The store does not compute hashes (that is audit/chain.c): it keeps the
 * rows, and makes every head move and every purge conditional on the state
 * the caller read, so that two writers (the server and a CLI command on the
 * same file) never fork a chain: the loser gets KH_ERR_CONFLICT, re-reads the
 * head and links its events again. */
#include <stdlib.h>
#include <string.h>
#include "store/sqlite/sqlite_internal.h"

static const uint8_t ZERO_HASH[SHA256_LEN];

static void bind_hash(sqlite3_stmt *st, int idx, const uint8_t h[SHA256_LEN])
{
    sqlite3_bind_blob(st, idx, h, SHA256_LEN, SQLITE_STATIC);
}

/* A stored hash column into out; zeros if it is not 32 bytes (a verifier
 * then reports the mismatch). */
static void col_hash(sqlite3_stmt *st, int col, uint8_t out[SHA256_LEN])
{
    const void *p = sqlite3_column_blob(st, col);
    if (p && sqlite3_column_bytes(st, col) == SHA256_LEN)
        memcpy(out, p, SHA256_LEN);
    else
        memset(out, 0, SHA256_LEN);
}

static enum kh_status insert_row(struct sqlite_conn *c, const struct audit_entry *e, int64_t *id)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_AUDIT_INSERT);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, e->realm_id);
    sqlite3_bind_int64(st, 2, e->seq);
    sqlite3_bind_int64(st, 3, e->at);
    sqlite_bind_str(st, 4, e->type);
    sqlite_bind_str(st, 5, e->actor);
    sqlite_bind_str(st, 6, e->target);
    sqlite_bind_str(st, 7, e->client_id);
    sqlite_bind_str(st, 8, e->ip);
    sqlite_bind_str(st, 9, e->outcome);
    sqlite_bind_str(st, 10, e->detail);
    bind_hash(st, 11, e->prev_hash);
    bind_hash(st, 12, e->hash);
    enum kh_status rc = sqlite_exec_stmt(c, st, "audit_append");
    if (!rc)
        *id = sqlite3_last_insert_rowid(c->db);
    return rc;
}

/* Moves the realm's head from first->prev_hash to last (stored as last_id). */
static enum kh_status move_head(struct sqlite_conn *c, const struct audit_entry *first,
                                const struct audit_entry *last, int64_t last_id)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_AUDIT_HEAD_MOVE);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, last->realm_id);
    sqlite3_bind_int64(st, 2, last->seq);
    sqlite3_bind_int64(st, 3, last_id);
    bind_hash(st, 4, last->hash);
    bind_hash(st, 5, first->prev_hash);
    enum kh_status rc = sqlite_exec_stmt(c, st, "audit_append");
    if (rc || sqlite3_changes(c->db) == 1)
        return rc;
    if (memcmp(first->prev_hash, ZERO_HASH, SHA256_LEN) != 0)
        return KH_ERR_CONFLICT; /* another writer moved the head */
    st = sqlite_stmt(c, SQ_AUDIT_HEAD_INSERT); /* the realm's first event */
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, last->realm_id);
    sqlite3_bind_int64(st, 2, last->seq);
    sqlite3_bind_int64(st, 3, last_id);
    bind_hash(st, 4, last->hash);
    return sqlite_exec_stmt(c, st, "audit_append"); /* a head exists: KH_ERR_CONFLICT */
}

/* Moves the head of every realm in rows to that realm's last row. */
static enum kh_status move_heads(struct sqlite_conn *c, const struct audit_entry *rows,
                                 const int64_t *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = rows[j].realm_id == rows[i].realm_id;
        if (seen)
            continue;
        size_t last = i;
        for (size_t j = i + 1; j < n; j++)
            if (rows[j].realm_id == rows[i].realm_id)
                last = j;
        enum kh_status rc = move_head(c, &rows[i], &rows[last], ids[last]);
        if (rc)
            return rc;
    }
    return KH_OK;
}

enum kh_status sqlite_audit_append(struct store *s, struct audit_entry *rows, size_t n)
{
    if (n == 0)
        return KH_OK;
    struct sqlite_conn *c = sqlite_conn_write(s);
    int64_t *ids = calloc(n, sizeof *ids);
    if (!c || !ids) {
        free(ids);
        return c ? KH_ERR_NOMEM : KH_ERR_STORE;
    }
    enum kh_status rc = sqlite_tx_begin(c, true, "audit_append");
    for (size_t i = 0; i < n && !rc; i++)
        rc = insert_row(c, &rows[i], &ids[i]);
    if (!rc)
        rc = move_heads(c, rows, ids, n);
    rc = sqlite_tx_end(c, rc, "audit_append");
    for (size_t i = 0; i < n && !rc; i++)
        rows[i].id = ids[i];
    free(ids);
    return rc;
}

enum kh_status sqlite_audit_head(struct store *s, int64_t realm_id, struct audit_head *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_AUDIT_HEAD) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    enum kh_status rc = KH_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *out = (struct audit_head){.realm_id = realm_id};
        out->max_seq = sqlite3_column_int64(st, 0);
        out->found = sqlite3_column_type(st, 1) != SQLITE_NULL;
        out->seq = sqlite3_column_int64(st, 1);
        out->last_id = sqlite3_column_int64(st, 2);
        if (out->found)
            col_hash(st, 3, out->hash);
    } else {
        rc = sqlite_fail(c, "audit_head");
    }
    sqlite_stmt_done(st);
    return rc;
}

static void read_entry(struct arena *a, sqlite3_stmt *st, struct audit_entry *e)
{
    e->id = sqlite3_column_int64(st, 0);
    e->realm_id = sqlite3_column_int64(st, 1);
    e->seq = sqlite3_column_int64(st, 2);
    e->at = sqlite3_column_int64(st, 3);
    e->type = sqlite_col_str(a, st, 4);
    e->actor = sqlite_col_str(a, st, 5);
    e->target = sqlite_col_str(a, st, 6);
    e->client_id = sqlite_col_str(a, st, 7);
    e->ip = sqlite_col_str(a, st, 8);
    e->outcome = sqlite_col_str(a, st, 9);
    e->detail = sqlite_col_str(a, st, 10);
    col_hash(st, 11, e->prev_hash);
    col_hash(st, 12, e->hash);
}

enum kh_status sqlite_audit_list(struct store *s, struct arena *a, const struct audit_query *q,
                                 struct audit_entry **out, size_t *n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_AUDIT_LIST) : NULL;
    if (!st)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, false, "audit_list");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, q->realm_id);
    sqlite3_bind_int64(st, 2, q->after_seq);
    sqlite3_bind_int64(st, 3, q->since);
    sqlite_bind_str(st, 4, q->type);
    sqlite3_bind_int(st, 5, q->type_prefix);
    sqlite3_bind_int64(st, 6, q->limit > (size_t)INT32_MAX ? INT32_MAX : (int64_t)q->limit);
    struct audit_entry *v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof(*v));
        read_entry(a, st, &v[len++]);
    }
    rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "audit_list");
    sqlite_stmt_done(st);
    rc = sqlite_tx_end(c, rc, "audit_list");
    if (!rc) {
        *out = v;
        *n = len;
    }
    return rc;
}

/* The checkpoint of realm_id into *out (KH_ERR_NOTFOUND without one). */
static enum kh_status find_checkpoint(struct sqlite_conn *c, int64_t realm_id,
                                      struct audit_checkpoint *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_AUDIT_CHECKPOINT_FIND);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->realm_id = sqlite3_column_int64(st, 0);
        out->seq = sqlite3_column_int64(st, 1);
        out->event_id = sqlite3_column_int64(st, 2);
        out->event_at = sqlite3_column_int64(st, 3);
        col_hash(st, 4, out->hash);
        out->created_at = sqlite3_column_int64(st, 5);
        col_hash(st, 6, out->sig);
    } else if (step == SQLITE_DONE) {
        rc = KH_ERR_NOTFOUND;
    } else {
        rc = sqlite_fail(c, "audit_checkpoint_find");
    }
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_audit_checkpoint_find(struct store *s, int64_t realm_id,
                                            struct audit_checkpoint *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct audit_checkpoint cp;
    enum kh_status rc = find_checkpoint(c, realm_id, &cp);
    if (!rc)
        *out = cp;
    return rc;
}

/* KH_OK if event seq of the realm is stored with hash h, else KH_ERR_CONFLICT. */
static enum kh_status check_event_hash(struct sqlite_conn *c, int64_t realm_id, int64_t seq,
                                       const uint8_t h[SHA256_LEN])
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_AUDIT_HASH_AT);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite3_bind_int64(st, 2, seq);
    enum kh_status rc = KH_ERR_CONFLICT;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        uint8_t stored[SHA256_LEN];
        col_hash(st, 0, stored);
        if (memcmp(stored, h, SHA256_LEN) == 0)
            rc = KH_OK;
    } else if (step != SQLITE_DONE) {
        rc = sqlite_fail(c, "audit_purge");
    }
    sqlite_stmt_done(st);
    return rc;
}

/* The purge's checks and writes, inside its transaction. */
static enum kh_status purge_in_tx(struct sqlite_conn *c, const struct audit_checkpoint *cp,
                                  int64_t prev_seq, size_t *removed)
{
    struct audit_checkpoint old = {0};
    enum kh_status rc = find_checkpoint(c, cp->realm_id, &old);
    if (rc == KH_ERR_NOTFOUND)
        old.seq = 0;
    else if (rc)
        return rc;
    if (old.seq != prev_seq)
        return KH_ERR_CONFLICT; /* another purge ran meanwhile */
    rc = check_event_hash(c, cp->realm_id, cp->seq, cp->hash);
    if (rc)
        return rc;
    sqlite3_stmt *del = sqlite_stmt(c, SQ_AUDIT_PURGE);
    sqlite3_stmt *put = sqlite_stmt(c, SQ_AUDIT_CHECKPOINT_PUT);
    if (!del || !put)
        return KH_ERR_STORE;
    sqlite3_bind_int64(del, 1, cp->realm_id);
    sqlite3_bind_int64(del, 2, cp->seq);
    rc = sqlite_exec_stmt(c, del, "audit_purge");
    if (rc)
        return rc;
    *removed = (size_t)sqlite3_changes(c->db);
    sqlite3_bind_int64(put, 1, cp->realm_id);
    sqlite3_bind_int64(put, 2, cp->seq);
    sqlite3_bind_int64(put, 3, cp->event_id);
    sqlite3_bind_int64(put, 4, cp->event_at);
    bind_hash(put, 5, cp->hash);
    sqlite3_bind_int64(put, 6, cp->created_at);
    bind_hash(put, 7, cp->sig);
    return sqlite_exec_stmt(c, put, "audit_purge");
}

enum kh_status sqlite_audit_purge(struct store *s, const struct audit_checkpoint *cp,
                                  int64_t prev_seq, size_t *removed)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    if (!c)
        return KH_ERR_STORE;
    size_t n = 0;
    enum kh_status rc = sqlite_tx_begin(c, true, "audit_purge");
    if (!rc)
        rc = purge_in_tx(c, cp, prev_seq, &n);
    rc = sqlite_tx_end(c, rc, "audit_purge");
    if (!rc && removed)
        *removed = n;
    return rc;
}
