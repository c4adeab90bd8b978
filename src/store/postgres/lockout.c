/* lockout.c - brute-force failure counters (PostgreSQL).
 *
 * Counting a failure is one atomic upsert (INSERT ... ON CONFLICT DO UPDATE
 * ... RETURNING): the conflicting row is locked and its latest version read,
 * so concurrent failures of one key, from any connection or instance, are all
 * counted. The same statement computes the wait from the new count and only
 * ever lengthens locked_until (GREATEST), so no failure shortens a lock. */
#include <string.h>
#include "store/postgres/pg_internal.h"

#define LOCKOUT_COLS PG_LOCKOUT_COLS("")

/* Pairs of (kind, key) looked up per statement: a login looks up two (the
 * user's and the address's); more go in further statements. */
#define FIND_PAIRS 4

static struct pg_stmt lockout_find = PG_STMT(
    "SELECT kind, key, " LOCKOUT_COLS " FROM lockouts WHERE realm_id = $1 AND (kind, key) IN "
    "(($2, $3), ($4, $5), ($6, $7), ($8, $9))");

/* The wait after F failures: base_wait ($7) at the threshold ($6), doubled by
 * each further failure, at most max_wait ($8); 0 below the threshold or when
 * the rule never locks. In numeric, so that no doubling overflows. */
#define WAIT_AFTER(F)                                                                       \
    "(CASE WHEN $6::bigint > 0 AND " F " >= $6::bigint AND $7::bigint > 0 THEN "           \
    "LEAST($7::bigint::numeric * power(2::numeric, LEAST(" F " - $6::bigint, 64)), "       \
    "$8::bigint)::bigint ELSE 0 END)"

/* $1 realm, $2 kind, $3 key, $4 now, $5 reset: a failure that long after the
 * previous one starts over at 1. A new row is failure 1; an existing one is
 * counted by the sub-SELECT, which computes the count (n.f) once and from it
 * the wait (w.w); a wait, if any, sets locked_until to now + wait unless it
 * was later already. */
static struct pg_stmt lockout_count = PG_STMT(
    "INSERT INTO lockouts AS l (realm_id, kind, key, failures, first_failure_at, "
    "last_failure_at, locked_until) VALUES ($1, $2, $3, 1, $4::bigint, $4::bigint, "
    "CASE WHEN " WAIT_AFTER("1") " <> 0 THEN GREATEST(0, $4::bigint + " WAIT_AFTER("1")
    ") ELSE 0 END) "
    "ON CONFLICT (realm_id, kind, key) DO UPDATE SET "
    "(failures, first_failure_at, last_failure_at, locked_until) = ("
    "SELECT n.f, n.first, $4::bigint, CASE WHEN w.w <> 0 "
    "THEN GREATEST(l.locked_until, $4::bigint + w.w) ELSE l.locked_until END "
    "FROM (SELECT CASE WHEN l.last_failure_at <= $4::bigint - $5::bigint THEN 1 "
    "ELSE l.failures + 1 END AS f, CASE WHEN l.last_failure_at <= $4::bigint - $5::bigint "
    "THEN $4::bigint ELSE l.first_failure_at END AS first) n "
    "CROSS JOIN LATERAL (SELECT " WAIT_AFTER("n.f") " AS w) w) "
    "RETURNING " LOCKOUT_COLS);

static struct pg_stmt lockout_clear = PG_STMT(
    "DELETE FROM lockouts WHERE realm_id = $1 AND ($2::text IS NULL OR kind = $2::text) "
    "AND key = $3");

/* ("", "") sorts before every (kind, key): kinds are never empty. */
static struct pg_stmt lockout_list = PG_STMT(
    "SELECT kind, key, " LOCKOUT_COLS " FROM lockouts WHERE realm_id = $1 "
    "AND (kind, key) > ($2::text, $3::text) ORDER BY kind, key LIMIT $4");

void pg_read_counts(const PGresult *res, int row, int col, struct lockout_row *r)
{
    r->failures = pg_int(res, row, col);
    r->first_failure_at = pg_int(res, row, col + 1);
    r->last_failure_at = pg_int(res, row, col + 2);
    r->locked_until = pg_int(res, row, col + 3);
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* rows[0..n), n <= FIND_PAIRS, in one statement (the last pair repeated to
 * fill the statement's slots). */
static enum kh_status find_some(struct pg_conn *c, int64_t realm_id, struct lockout_row *rows,
                                size_t n)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    for (size_t i = 0; i < FIND_PAIRS; i++) {
        const struct lockout_row *r = &rows[i < n ? i : n - 1];
        pg_p_str(&p, r->kind);
        pg_p_str(&p, r->key);
    }
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &lockout_find, &p, "lockout_find", &res);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct lockout_row *r = &rows[i];
        r->failures = r->first_failure_at = r->last_failure_at = r->locked_until = 0;
        for (int row = 0; row < PQntuples(res); row++)
            if (same(PQgetvalue(res, row, 0), r->kind) && same(PQgetvalue(res, row, 1), r->key))
                pg_read_counts(res, row, 2, r);
    }
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_lockout_find(struct store *s, int64_t realm_id, struct lockout_row *rows,
                               size_t n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = KH_OK;
    for (size_t at = 0; !rc && at < n; at += FIND_PAIRS)
        rc = find_some(c, realm_id, rows + at, n - at < FIND_PAIRS ? n - at : FIND_PAIRS);
    return rc;
}

enum kh_status pg_lockout_fail(struct store *s, int64_t realm_id, const char *kind,
                               const char *key, int64_t now, const struct lockout_rule *rule,
                               struct lockout_row *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, kind);
    pg_p_str(&p, key);
    pg_p_int(&p, now);
    pg_p_int(&p, rule->reset);
    pg_p_int(&p, rule->threshold);
    pg_p_int(&p, rule->base_wait);
    pg_p_int(&p, rule->max_wait);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &lockout_count, &p, "lockout_fail", &res);
    if (rc)
        return rc;
    struct lockout_row r = {.kind = kind, .key = key};
    if (PQntuples(res) == 1)
        pg_read_counts(res, 0, 0, &r);
    else
        rc = KH_ERR_STORE;
    PQclear(res);
    if (!rc && out)
        *out = r;
    return rc;
}

enum kh_status pg_lockout_clear(struct store *s, int64_t realm_id, const char *kind,
                                const char *key)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, kind);
    pg_p_str(&p, key);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &lockout_clear, &p, "lockout_clear", &changed);
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

enum kh_status pg_lockout_list(struct store *s, struct arena *a, int64_t realm_id,
                               const char *after_kind, const char *after_key, size_t limit,
                               struct lockout_row **out, size_t *n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, after_kind ? after_kind : "");
    pg_p_str(&p, after_kind && after_key ? after_key : "");
    pg_p_limit(&p, limit);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &lockout_list, &p, "lockout_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct lockout_row *v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++) {
        v[i].kind = pg_str(a, res, i, 0);
        v[i].key = pg_str(a, res, i, 1);
        pg_read_counts(res, i, 2, &v[i]);
    }
    PQclear(res);
    *out = v;
    *n = (size_t)rows;
    return KH_OK;
}
