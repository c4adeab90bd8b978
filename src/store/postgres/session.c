/* session.c - sessions and their refresh tokens (PostgreSQL).
 *
 * Rotation is decided by one statement: an UPDATE of the old token (unused,
 * or used within the reuse grace and not yet retried) whose RETURNING row
 * feeds the INSERT of the next token. Concurrent presentations of one token,
 * from any connection of any instance, queue on the token's row lock; each
 * waiter re-checks the WHERE clause against the row as the one before it left
 * it (READ COMMITTED), so exactly one wins the first use and at most one more
 * the retry the grace allows. The success path is one round trip.
 *
 * A presentation that matched nothing (a replay or a lost race) revokes the
 * family in a second statement: a new statement takes a new snapshot, so it
 * sees the winner's token (the first one waited for the winner's commit) and
 * marks it too. Revoking a family marks every token of it used and retried, so
 * that no grace can revive one; and a rotation also requires its session not
 * revoked, so a token inserted by a rotation that committed after a
 * revocation's snapshot (and so escaped its marking) cannot rotate either. */
#include "core/log.h"
#include "store/postgres/pg_internal.h"

/* One statement: the session and its first token, or neither (a taken
 * session id or token hash fails the whole statement). The first token
 * belongs to this session whatever first->session_id says. */
static struct pg_stmt session_start = PG_STMT(
    "WITH s AS (INSERT INTO sessions (id, realm_id, user_id, client_id, offline, created_at, "
    "expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) RETURNING id) "
    "INSERT INTO refresh_tokens (hash, session_id, realm_id, client_id, user_id, scope, "
    "issued_at, expires_at) "
    "SELECT $8::bytea, s.id, $9::bigint, $10::text, $11::text, $12::text, $13::bigint, "
    "$14::bigint FROM s");

static struct pg_stmt refresh_find = PG_STMT(
    "SELECT t.hash, t.session_id, t.realm_id, t.client_id, t.user_id, t.scope, t.issued_at, "
    "t.expires_at, t.used_at, s.expires_at, s.revoked_at, s.created_at, s.offline, t.retried "
    "FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.hash = $1");

/* The rotation. $1 old hash, $2 now, $3 grace, $4 the next token's session,
 * $5.. the next token. An unused token becomes used; one used less than $3
 * seconds ago and not yet retried becomes retried (SET sees the row as it was
 * before the UPDATE, so used_at keeps the first rotation's time). The next
 * token is inserted only if a row was taken: the count of inserted rows (0
 * or 1) is the answer. The next token must continue the old one's session,
 * and a revoked session rotates nothing. */
static struct pg_stmt refresh_rotate = PG_STMT(
    "WITH used AS (UPDATE refresh_tokens t SET used_at = COALESCE(t.used_at, $2::bigint), "
    "retried = CASE WHEN t.used_at IS NULL THEN 0 ELSE 1 END "
    "WHERE t.hash = $1 AND t.session_id = $4::text "
    "AND (t.used_at IS NULL OR ($3::bigint > 0 AND t.retried = 0 "
    "AND t.used_at > $2::bigint - $3::bigint)) "
    "AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = t.session_id AND s.revoked_at = 0) "
    "RETURNING t.session_id) "
    "INSERT INTO refresh_tokens (hash, session_id, realm_id, client_id, user_id, scope, "
    "issued_at, expires_at) "
    "SELECT $5::bytea, used.session_id, $6::bigint, $7::text, $8::text, $9::text, $10::bigint, "
    "$11::bigint FROM used");

/* After a rotation that took nothing: no row, no such token. `misfit`: the
 * token could have rotated but the next token names another session (a
 * caller bug; nothing changes). Otherwise the token's family is revoked: the
 * session (once: revoked_at keeps the first time) and every token of it used
 * and retried. $1 old hash, $2 now, $3 the next token's session, $4 grace.
 *
 * Lock order: `(SELECT count(*) FROM sess)` in the tokens' UPDATE is a
 * one-time filter that runs the session's UPDATE to completion before any
 * token is touched, so every revocation of a family (here and in
 * session_revoke) takes the session's row first and none waits for a token
 * another holds while holding one it wants (no deadlock, whatever plan each
 * connection's prepared statement has). Rotations never wait for the
 * session's row: their foreign key check takes a KEY SHARE lock, which an
 * UPDATE of revoked_at does not block. */
static struct pg_stmt refresh_reuse = PG_STMT(
    "WITH tok AS (SELECT t.session_id, (t.session_id IS DISTINCT FROM $3::text "
    "AND (t.used_at IS NULL "
    "OR ($4::bigint > 0 AND t.retried = 0 AND t.used_at > $2::bigint - $4::bigint))) AS misfit "
    "FROM refresh_tokens t WHERE t.hash = $1), "
    "fam AS (SELECT session_id FROM tok WHERE NOT misfit), "
    "sess AS (UPDATE sessions SET revoked_at = $2::bigint "
    "WHERE id IN (SELECT session_id FROM fam) AND revoked_at = 0 RETURNING 1), "
    "toks AS (UPDATE refresh_tokens SET used_at = COALESCE(used_at, $2::bigint), retried = 1 "
    "WHERE session_id IN (SELECT session_id FROM fam) AND (used_at IS NULL OR retried = 0) "
    "AND (SELECT count(*) FROM sess) >= 0 RETURNING 1) "
    "SELECT misfit FROM tok");

/* One statement: the session revoked (if it is not already) and every token
 * of it used and retried, in refresh_reuse's lock order; one row if the
 * session exists. */
static struct pg_stmt session_revoke = PG_STMT(
    "WITH sess AS (UPDATE sessions SET revoked_at = $2::bigint "
    "WHERE id = $1::text AND revoked_at = 0 RETURNING 1), "
    "toks AS (UPDATE refresh_tokens SET used_at = COALESCE(used_at, $2::bigint), retried = 1 "
    "WHERE session_id = $1::text AND (used_at IS NULL OR retried = 0) "
    "AND (SELECT count(*) FROM sess) >= 0 RETURNING 1) "
    "SELECT 1 FROM sessions WHERE id = $1::text");

static struct pg_stmt session_find = PG_STMT(
    "SELECT id, realm_id, user_id, client_id, offline, created_at, expires_at, revoked_at "
    "FROM sessions WHERE id = $1");

/* Parameters of a refresh token insert after its hash and session. */
static void token_params(struct pg_params *p, const struct refresh_token *t)
{
    pg_p_int(p, t->realm_id);
    pg_p_str(p, t->client_id);
    pg_p_str(p, t->user_id);
    pg_p_str(p, t->scope ? t->scope : "");
    pg_p_int(p, t->issued_at);
    pg_p_int(p, t->expires_at);
}

enum kh_status pg_session_start(struct store *s, const struct session *sess,
                                const struct refresh_token *first)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, sess->id);
    pg_p_int(&p, sess->realm_id);
    pg_p_str(&p, sess->user_id);
    pg_p_str(&p, sess->client_id);
    pg_p_bool(&p, sess->offline);
    pg_p_int(&p, sess->created_at);
    pg_p_int(&p, sess->expires_at);
    pg_p_bytes(&p, first->hash, SHA256_LEN);
    token_params(&p, first);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &session_start, &p, "session_start", &changed);
    return !rc && changed != 1 ? KH_ERR_STORE : rc;
}

static void read_token(struct arena *a, const PGresult *res, struct refresh_token *t)
{
    pg_bytes(res, 0, 0, t->hash, SHA256_LEN);
    t->session_id = pg_str(a, res, 0, 1);
    t->realm_id = pg_int(res, 0, 2);
    t->client_id = pg_str(a, res, 0, 3);
    t->user_id = pg_str(a, res, 0, 4);
    t->scope = pg_str(a, res, 0, 5);
    t->issued_at = pg_int(res, 0, 6);
    t->expires_at = pg_int(res, 0, 7);
    t->used_at = pg_int(res, 0, 8); /* NULL reads as 0: not used */
    t->session_expires_at = pg_int(res, 0, 9);
    t->session_revoked_at = pg_int(res, 0, 10);
    t->auth_time = pg_int(res, 0, 11);
    t->offline = pg_bool(res, 0, 12);
    t->retried = pg_bool(res, 0, 13);
}

enum kh_status pg_refresh_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                               struct refresh_token *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, SHA256_LEN);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &refresh_find, &p, "refresh_find", &res);
    if (rc)
        return rc;
    struct refresh_token t = {0};
    read_token(a, res, &t);
    *out = t;
    PQclear(res);
    return KH_OK;
}

/* The old token was not (or no longer) to be rotated: a replay or a lost
 * race. KH_ERR_CONFLICT after revoking its family, KH_ERR_NOTFOUND if there
 * is no such token. */
static enum kh_status on_reuse(struct pg_conn *c, const uint8_t old_hash[SHA256_LEN],
                               const struct refresh_token *next, int64_t now, int64_t grace)
{
    struct pg_params p = {0};
    pg_p_bytes(&p, old_hash, SHA256_LEN);
    pg_p_int(&p, now);
    pg_p_str(&p, next->session_id);
    pg_p_int(&p, grace);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &refresh_reuse, &p, "refresh_rotate", &res);
    if (rc)
        return rc;
    if (PQntuples(res) == 0) {
        rc = KH_ERR_NOTFOUND;
    } else if (pg_bool(res, 0, 0)) {
        /* A caller bug: the next token must continue the old one's session. */
        log_error("store.postgres.error", LOG_STR("op", "refresh_rotate"),
                  LOG_STR("error", "next token's session_id differs from the old token's"));
        rc = KH_ERR_INVALID;
    } else {
        /* The caller reports the reuse, with the client and address it knows. */
        rc = KH_ERR_CONFLICT;
    }
    PQclear(res);
    return rc;
}

/* No transaction of its own: the rotation is one statement, and the
 * revocation after a reuse is one more that must stick whatever the first
 * did (inside a batch both join the batch's transaction). */
enum kh_status pg_refresh_rotate(struct store *s, const uint8_t old_hash[SHA256_LEN],
                                 const struct refresh_token *next, int64_t now, int64_t grace)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_bytes(&p, old_hash, SHA256_LEN);
    pg_p_int(&p, now);
    pg_p_int(&p, grace);
    pg_p_str(&p, next->session_id);
    pg_p_bytes(&p, next->hash, SHA256_LEN);
    token_params(&p, next);
    int64_t inserted = 0;
    enum kh_status rc = pg_exec_count(c, &refresh_rotate, &p, "refresh_rotate", &inserted);
    if (rc || inserted == 1)
        return rc;
    return on_reuse(c, old_hash, next, now, grace);
}

enum kh_status pg_session_revoke(struct store *s, const char *session_id, int64_t now)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, session_id);
    pg_p_int(&p, now);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &session_revoke, &p, "session_revoke", &res);
    if (rc)
        return rc;
    /* Nothing to revoke is fine (already revoked); no row: no such session. */
    rc = PQntuples(res) == 0 ? KH_ERR_NOTFOUND : KH_OK;
    PQclear(res);
    return rc;
}

enum kh_status pg_session_find(struct store *s, struct arena *a, const char *session_id,
                               struct session *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, session_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &session_find, &p, "session_find", &res);
    if (rc)
        return rc;
    out->id = pg_str(a, res, 0, 0);
    out->realm_id = pg_int(res, 0, 1);
    out->user_id = pg_str(a, res, 0, 2);
    out->client_id = pg_str(a, res, 0, 3);
    out->offline = pg_bool(res, 0, 4);
    out->created_at = pg_int(res, 0, 5);
    out->expires_at = pg_int(res, 0, 6);
    out->revoked_at = pg_int(res, 0, 7);
    PQclear(res);
    return KH_OK;
}
