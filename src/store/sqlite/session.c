/* session.c - sessions and their refresh tokens (SQLite).
 *
 * Rotation is decided by one UPDATE (SQ_REFRESH_USE: unused, or used within
 * the reuse grace and not yet retried) and its change count, inside a BEGIN
 * IMMEDIATE transaction: any number of threads or processes racing on one
 * token see exactly one success for the first use, and at most one more for
 * the retry the grace allows. Revoking a family marks every token of it used
 * and retried, so that no grace can revive a token of an ended session. */
#include <string.h>
#include "core/log.h"
#include "store/sqlite/sqlite_internal.h"

static enum kh_status insert_session(struct sqlite_conn *c, const struct session *sess)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_SESSION_INSERT);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, sess->id);
    sqlite3_bind_int64(st, 2, sess->realm_id);
    sqlite_bind_str(st, 3, sess->user_id);
    sqlite_bind_str(st, 4, sess->client_id);
    sqlite3_bind_int(st, 5, sess->offline);
    sqlite3_bind_int64(st, 6, sess->created_at);
    sqlite3_bind_int64(st, 7, sess->expires_at);
    return sqlite_exec_stmt(c, st, "session_start");
}

/* Binds ?1..?8 of a refresh token insert. */
static void bind_token(sqlite3_stmt *st, const struct refresh_token *t, const char *session_id)
{
    sqlite3_bind_blob(st, 1, t->hash, SHA256_LEN, SQLITE_STATIC);
    sqlite_bind_str(st, 2, session_id);
    sqlite3_bind_int64(st, 3, t->realm_id);
    sqlite_bind_str(st, 4, t->client_id);
    sqlite_bind_str(st, 5, t->user_id);
    sqlite_bind_str(st, 6, t->scope ? t->scope : "");
    sqlite3_bind_int64(st, 7, t->issued_at);
    sqlite3_bind_int64(st, 8, t->expires_at);
}

enum kh_status sqlite_session_start(struct store *s, const struct session *sess,
                                    const struct refresh_token *first)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REFRESH_INSERT) : NULL;
    if (!st)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "session_start");
    if (rc)
        return rc;
    rc = insert_session(c, sess);
    if (!rc) {
        /* The first token belongs to this session whatever first->session_id says. */
        bind_token(st, first, sess->id);
        rc = sqlite_exec_stmt(c, st, "session_start");
    }
    return sqlite_tx_end(c, rc, "session_start");
}

static void read_token(struct arena *a, sqlite3_stmt *st, struct refresh_token *t)
{
    const void *hash = sqlite3_column_blob(st, 0);
    if (hash && sqlite3_column_bytes(st, 0) == SHA256_LEN)
        memcpy(t->hash, hash, SHA256_LEN);
    t->session_id = sqlite_col_str(a, st, 1);
    t->realm_id = sqlite3_column_int64(st, 2);
    t->client_id = sqlite_col_str(a, st, 3);
    t->user_id = sqlite_col_str(a, st, 4);
    t->scope = sqlite_col_str(a, st, 5);
    t->issued_at = sqlite3_column_int64(st, 6);
    t->expires_at = sqlite3_column_int64(st, 7);
    t->used_at = sqlite3_column_int64(st, 8); /* NULL reads as 0: not used */
    t->session_expires_at = sqlite3_column_int64(st, 9);
    t->session_revoked_at = sqlite3_column_int64(st, 10);
    t->auth_time = sqlite3_column_int64(st, 11);
    t->offline = sqlite3_column_int(st, 12) != 0;
    t->retried = sqlite3_column_int(st, 13) != 0;
}

enum kh_status sqlite_refresh_find(struct store *s, struct arena *a,
                                   const uint8_t hash[SHA256_LEN], struct refresh_token *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_REFRESH_FIND) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, SHA256_LEN, SQLITE_STATIC);
    struct refresh_token t = {0};
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_token(a, st, &t);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "refresh_find");
    sqlite_stmt_done(st);
    if (!rc)
        *out = t;
    return rc;
}

/* Inside a write transaction: marks the session revoked (if it is not
 * already) and every token of it used and retried. */
static enum kh_status revoke_family(struct sqlite_conn *c, const char *session_id, int64_t now,
                                    int *sessions_changed, const char *op)
{
    sqlite3_stmt *sess = sqlite_stmt(c, SQ_SESSION_REVOKE);
    sqlite3_stmt *toks = sqlite_stmt(c, SQ_REFRESH_USE_SESSION);
    if (!sess || !toks)
        return KH_ERR_STORE;
    sqlite_bind_str(sess, 1, session_id);
    sqlite3_bind_int64(sess, 2, now);
    enum kh_status rc = sqlite_exec_stmt(c, sess, op);
    if (rc)
        return rc;
    *sessions_changed = sqlite3_changes(c->db);
    sqlite_bind_str(toks, 1, session_id);
    sqlite3_bind_int64(toks, 2, now);
    return sqlite_exec_stmt(c, toks, op);
}

/* The old token was not (or no longer) unused: a replay or a lost race.
 * KH_ERR_CONFLICT after revoking its family, KH_ERR_NOTFOUND if no such token. */
static enum kh_status on_reuse(struct sqlite_conn *c, const uint8_t old_hash[SHA256_LEN],
                               int64_t now)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_REFRESH_SESSION_OF);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_blob(st, 1, old_hash, SHA256_LEN, SQLITE_STATIC);
    char session_id[128];
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *sid = (const char *)sqlite3_column_text(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if (!sid || n <= 0 || (size_t)n >= sizeof(session_id))
            rc = KH_ERR_INTERNAL;
        else
            memcpy(session_id, sid, (size_t)n + 1);
    } else {
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "refresh_rotate");
    }
    sqlite_stmt_done(st);
    if (rc)
        return rc;
    int changed = 0;
    rc = revoke_family(c, session_id, now, &changed, "refresh_rotate");
    /* The caller reports the reuse, with the client and address it knows. */
    return rc ? rc : KH_ERR_CONFLICT;
}

/* Inside the write transaction: the rotation proper. */
static enum kh_status rotate(struct sqlite_conn *c, const uint8_t old_hash[SHA256_LEN],
                             const struct refresh_token *next, int64_t now, int64_t grace)
{
    sqlite3_stmt *use = sqlite_stmt(c, SQ_REFRESH_USE);
    sqlite3_stmt *ins = sqlite_stmt(c, SQ_REFRESH_INSERT_NEXT);
    if (!use || !ins)
        return KH_ERR_STORE;
    sqlite3_bind_blob(use, 1, old_hash, SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(use, 2, now);
    sqlite3_bind_int64(use, 3, grace);
    enum kh_status rc = sqlite_exec_stmt(c, use, "refresh_rotate");
    if (rc)
        return rc;
    if (sqlite3_changes(c->db) != 1)
        return on_reuse(c, old_hash, now);
    bind_token(ins, next, next->session_id);
    sqlite3_bind_blob(ins, 9, old_hash, SHA256_LEN, SQLITE_STATIC);
    rc = sqlite_exec_stmt(c, ins, "refresh_rotate");
    if (!rc && sqlite3_changes(c->db) != 1) {
        /* A caller bug: the next token must continue the old one's session. */
        log_error("store.sqlite.error", LOG_STR("op", "refresh_rotate"),
                  LOG_STR("error", "next token's session_id differs from the old token's"));
        rc = KH_ERR_INVALID;
    }
    return rc;
}

enum kh_status sqlite_refresh_rotate(struct store *s, const uint8_t old_hash[SHA256_LEN],
                                     const struct refresh_token *next, int64_t now,
                                     int64_t grace)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "refresh_rotate");
    if (rc)
        return rc;
    rc = rotate(c, old_hash, next, now, grace);
    /* A detected reuse must stick: commit the revocation, then report it. */
    if (rc == KH_ERR_CONFLICT) {
        rc = sqlite_tx_end(c, KH_OK, "refresh_rotate");
        return rc ? rc : KH_ERR_CONFLICT;
    }
    return sqlite_tx_end(c, rc, "refresh_rotate");
}

static enum kh_status revoke(struct sqlite_conn *c, const char *session_id, int64_t now)
{
    int changed = 0;
    enum kh_status rc = revoke_family(c, session_id, now, &changed, "session_revoke");
    if (rc || changed)
        return rc;
    /* Nothing changed: already revoked (fine) or no such session. */
    sqlite3_stmt *st = sqlite_stmt(c, SQ_SESSION_EXISTS);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, session_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = KH_OK;
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "session_revoke");
    sqlite_stmt_done(st);
    return rc;
}

enum kh_status sqlite_session_revoke(struct store *s, const char *session_id, int64_t now)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "session_revoke");
    if (rc)
        return rc;
    return sqlite_tx_end(c, revoke(c, session_id, now), "session_revoke");
}

enum kh_status sqlite_session_find(struct store *s, struct arena *a, const char *session_id,
                                   struct session *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_SESSION_FIND) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, session_id);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->id = sqlite_col_str(a, st, 0);
        out->realm_id = sqlite3_column_int64(st, 1);
        out->user_id = sqlite_col_str(a, st, 2);
        out->client_id = sqlite_col_str(a, st, 3);
        out->offline = sqlite3_column_int(st, 4) != 0;
        out->created_at = sqlite3_column_int64(st, 5);
        out->expires_at = sqlite3_column_int64(st, 6);
        out->revoked_at = sqlite3_column_int64(st, 7);
    } else {
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "session_find");
    }
    sqlite_stmt_done(st);
    return rc;
}
