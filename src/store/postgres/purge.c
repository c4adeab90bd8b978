/* purge.c - deletes rows that can no longer matter, in small batches
 * (PostgreSQL).
 *
 * It runs beside live traffic, so each kind is one DELETE of at most `batch`
 * rows, committed on its own: the rows it locks stay locked for a bounded
 * time. PostgreSQL has no DELETE ... LIMIT: the rows are chosen by a LIMITed
 * subquery on the primary key. A caller that wants everything gone calls
 * again until the counts are 0. Refresh tokens go first, so that the sessions
 * they kept alive can go in the same statement. */
#include <stdint.h>
#include "store/postgres/pg_internal.h"

/* Refresh tokens expired or of an ended session ($1 now, at most $2; a token
 * listed twice is one row), then the sessions of those tokens that are left
 * without any. The statement's snapshot still shows the tokens it deletes,
 * so "without any" excludes them by hash. */
static struct pg_stmt purge_refresh = PG_STMT(
    "WITH del AS (DELETE FROM refresh_tokens WHERE hash IN ("
    "SELECT hash FROM refresh_tokens WHERE expires_at <= $1::bigint "
    "UNION ALL "
    "SELECT t.hash FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id "
    "WHERE s.revoked_at > 0 OR s.expires_at <= $1::bigint "
    "LIMIT $2::bigint) RETURNING hash, session_id), "
    "gone AS (DELETE FROM sessions s WHERE s.id IN (SELECT session_id FROM del) "
    "AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id "
    "AND t.hash NOT IN (SELECT hash FROM del)) RETURNING 1) "
    "SELECT (SELECT count(*) FROM del), (SELECT count(*) FROM gone)");
/* Sessions expired or revoked with no token left. */
static struct pg_stmt purge_sessions = PG_STMT(
    "DELETE FROM sessions WHERE id IN ("
    "SELECT s.id FROM sessions s WHERE (s.revoked_at > 0 OR s.expires_at <= $1::bigint) "
    "AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id) "
    "LIMIT $2::bigint)");
static struct pg_stmt purge_access = PG_STMT(
    "DELETE FROM access_tokens WHERE hash IN ("
    "SELECT hash FROM access_tokens WHERE expires_at <= $1::bigint LIMIT $2::bigint)");
static struct pg_stmt purge_jtis = PG_STMT(
    "DELETE FROM revoked_jtis WHERE (realm_id, jti) IN ("
    "SELECT realm_id, jti FROM revoked_jtis WHERE expires_at <= $1::bigint LIMIT $2::bigint)");

/* A counter of alias `d` forgotten at $1: not locked and quiet for its
 * realm's reset time, or of no realm. */
#define LOCKOUT_FORGOTTEN                                                               \
    "(EXISTS (SELECT 1 FROM realms r WHERE r.id = d.realm_id "                          \
    "AND d.locked_until <= $1::bigint AND d.last_failure_at <= $1::bigint - r.lockout_reset) " \
    "OR NOT EXISTS (SELECT 1 FROM realms r WHERE r.id = d.realm_id))"
/* The subquery chooses the rows as SQLite's does (each realm's range of the
 * last_failure_at index, then counters of no realm); the condition is checked
 * again on each row deleted, so that a failure counted concurrently (the row
 * changed after the subquery's snapshot) is re-checked on its new version,
 * and kept. */
static struct pg_stmt purge_lockouts = PG_STMT(
    "DELETE FROM lockouts d WHERE (d.realm_id, d.kind, d.key) IN ("
    "SELECT l.realm_id, l.kind, l.key FROM realms r JOIN lockouts l ON l.realm_id = r.id "
    "WHERE l.last_failure_at <= $1::bigint - r.lockout_reset AND l.locked_until <= $1::bigint "
    "UNION ALL SELECT l.realm_id, l.kind, l.key FROM lockouts l "
    "WHERE NOT EXISTS (SELECT 1 FROM realms r WHERE r.id = l.realm_id) "
    "LIMIT $2::bigint) AND " LOCKOUT_FORGOTTEN);

static void purge_params(struct pg_params *p, int64_t now, int64_t limit)
{
    pg_p_int(p, now);
    pg_p_int(p, limit);
}

static enum kh_status purge_kind(struct pg_conn *c, struct pg_stmt *st, int64_t now,
                                 int64_t limit, size_t *n)
{
    struct pg_params p = {0};
    purge_params(&p, now, limit);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, st, &p, "purge", &changed);
    if (!rc)
        *n = (size_t)changed;
    return rc;
}

static enum kh_status purge_tokens(struct pg_conn *c, int64_t now, int64_t limit,
                                   size_t *tokens, size_t *sessions)
{
    struct pg_params p = {0};
    purge_params(&p, now, limit);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &purge_refresh, &p, "purge", &res);
    if (rc)
        return rc;
    *tokens = (size_t)pg_int(res, 0, 0);
    *sessions = (size_t)pg_int(res, 0, 1);
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_purge(struct store *s, int64_t now, size_t batch, struct purge_counts *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    int64_t limit = batch > (size_t)INT32_MAX ? INT32_MAX : (int64_t)batch;
    struct purge_counts pc = {0};
    size_t emptied = 0;
    enum kh_status rc = purge_tokens(c, now, limit, &pc.refresh_tokens, &emptied);
    if (!rc)
        rc = purge_kind(c, &purge_sessions, now, limit, &pc.sessions);
    pc.sessions += emptied;
    if (!rc)
        rc = purge_kind(c, &purge_access, now, limit, &pc.access_tokens);
    if (!rc)
        rc = purge_kind(c, &purge_jtis, now, limit, &pc.revoked_jtis);
    if (!rc)
        rc = purge_kind(c, &purge_lockouts, now, limit, &pc.lockouts);
    if (!rc && out)
        *out = pc;
    return rc;
}
