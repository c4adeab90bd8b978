/* upsert.c - users written by an import (PostgreSQL): one statement per row
 * (a second one replaces its roles), the rows of one call in one
 * transaction (inside the caller's batch, that batch's transaction).
 *
 * The users upserted since user_upsert_begin (UPSERT_DUPLICATE) are kept in
 * a TEMP table: per session, so per connection and thread as the series is,
 * and transactional, so that a rolled-back call or batch forgets its marks
 * with its rows. */
#include <string.h>
#include "store/postgres/pg_internal.h"

#define USERNAME_MAX 255

/* Creates the session's table of seen usernames, or empties it: one round
 * trip (a DO block), where CREATE TABLE IF NOT EXISTS then DELETE would be
 * two, the first with a NOTICE on every import but a connection's first. A
 * rolled-back transaction takes a table it created with it: the next begin
 * creates it again (and statements prepared on the old one are planned
 * again by the server). */
static struct pg_stmt seen_reset = PG_STMT(
    "DO $$BEGIN "
    "IF to_regclass('pg_temp.import_seen') IS NULL THEN "
    "CREATE TEMP TABLE import_seen (username TEXT COLLATE \"C\" PRIMARY KEY); "
    "ELSE DELETE FROM pg_temp.import_seen; "
    "END IF; END$$");

/* One row: every check, the mark and the user in one round trip (the roles
 * follow in user_roles_replace). Parameters: $1 the fresh id, $2 realm_id,
 * $3 the username (NULL: found by email), $4 email, $5 first_name,
 * $6 last_name, $7 created_at, $8 the set bits, $9 the password hash (NULL
 * unless set), $10 the roles (text[]; NULL unless UPSERT_SET_ROLES), $11 the
 * name of a new user found by no email (the email lowercased; NULL with $3).
 *
 * by_email: up to two users with the email, ASCII case ignored (lower() of
 * the "C" collation is ASCII-only, as SQLite's NOCASE; index users_email).
 * name: the username the row is about, and whether the email is ambiguous.
 * bad: the index (from 0) of the first role the realm lacks, NULL if none.
 * seen: the mark, only for a row whose checks passed; no row returned if the
 * username was marked before (UPSERT_DUPLICATE).
 * up: the new user, or the fields of $8 (enum upsert_set_bits) written over
 * the existing one (its row locked), only with a new mark; its id.
 *
 * So a row that fails a check writes nothing, and the answer is one row:
 * ambiguous, bad, the user's id (NULL: nothing written). */
static struct pg_stmt user_upsert = PG_STMT(
    "WITH by_email AS (SELECT username FROM users "
    "WHERE $3::text IS NULL AND realm_id = $2::bigint "
    "AND lower(email) = lower($4::text COLLATE \"C\") LIMIT 2), "
    "name AS (SELECT coalesce($3::text, (SELECT min(username) FROM by_email), $11::text) "
    "AS username, (SELECT count(*) FROM by_email) > 1 AS ambiguous), "
    "bad AS (SELECT min(n.i) - 1 AS i FROM unnest($10::text[]) WITH ORDINALITY AS n(name, i) "
    "WHERE NOT EXISTS (SELECT 1 FROM roles r WHERE r.realm_id = $2::bigint "
    "AND r.name = n.name)), "
    "seen AS (INSERT INTO pg_temp.import_seen (username) "
    "SELECT name.username FROM name, bad WHERE NOT name.ambiguous AND bad.i IS NULL "
    "ON CONFLICT DO NOTHING RETURNING username), "
    "up AS (INSERT INTO users (id, realm_id, username, email, first_name, last_name, enabled, "
    "password_hash, created_at) "
    "SELECT $1::text, $2::bigint, username, $4::text, $5::text, $6::text, 1, $9::text, "
    "$7::bigint FROM seen "
    "ON CONFLICT (realm_id, username) DO UPDATE SET "
    "email = CASE WHEN $8::int & 1 <> 0 THEN excluded.email ELSE users.email END, "
    "first_name = CASE WHEN $8::int & 2 <> 0 THEN excluded.first_name "
    "ELSE users.first_name END, "
    "last_name = CASE WHEN $8::int & 4 <> 0 THEN excluded.last_name ELSE users.last_name END, "
    "password_hash = CASE WHEN $8::int & 16 <> 0 THEN excluded.password_hash "
    "ELSE users.password_hash END "
    "RETURNING id) "
    "SELECT (SELECT ambiguous FROM name), (SELECT i FROM bad), (SELECT id FROM up)");
/* The roles of user $2 become those named in $3 (all of the realm's: checked
 * by user_upsert). A statement of its own, as user.c's of the same name: run
 * after user_upsert locked the user's row, its snapshot holds the links of
 * every writer before, so none of theirs survives unseen. */
static struct pg_stmt user_roles_replace = PG_STMT(
    "WITH w AS (SELECT coalesce(r.id, 0) AS role_id "
    "FROM (SELECT DISTINCT unnest($3::text[]) AS name) n "
    "LEFT JOIN roles r ON r.realm_id = $1 AND r.name = n.name), "
    "d AS (DELETE FROM user_roles WHERE user_id = $2 "
    "AND role_id NOT IN (SELECT role_id FROM w)) "
    "INSERT INTO user_roles (user_id, role_id) SELECT $2, role_id FROM w "
    "ON CONFLICT DO NOTHING");

enum kh_status pg_user_upsert_begin(struct store *s)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    return pg_exec(c, &seen_reset, NULL, "user_upsert_begin", NULL) ? KH_ERR_STORE : KH_OK;
}

/* The name a new user found by no email gets: the email lowercased (ASCII,
 * as manage_username); NULL when the row has a username. KH_ERR_STORE if
 * the row has neither, or a name too long: the caller broke the contract. */
static enum kh_status new_name(const struct user_upsert *row, char name[USERNAME_MAX + 1],
                               const char **out)
{
    const char *given = row->user.username ? row->user.username : row->user.email;
    size_t n = given ? strlen(given) : 0;
    if (!given || n > USERNAME_MAX)
        return KH_ERR_STORE;
    *out = NULL;
    if (row->user.username)
        return KH_OK;
    for (size_t i = 0; i <= n; i++)
        name[i] = given[i] >= 'A' && given[i] <= 'Z' ? (char)(given[i] - 'A' + 'a') : given[i];
    *out = name;
    return KH_OK;
}

/* The outcome from the statement's answer (ambiguous, bad, id). */
static void read_outcome(const PGresult *res, struct user_upsert *row)
{
    if (pg_bool(res, 0, 0)) {
        row->outcome = UPSERT_EMAIL_AMBIGUOUS;
    } else if (!PQgetisnull(res, 0, 1)) {
        row->outcome = UPSERT_UNKNOWN_ROLE;
        row->bad_role = (size_t)pg_int(res, 0, 1);
    } else if (PQgetisnull(res, 0, 2)) {
        row->outcome = UPSERT_DUPLICATE;
    } else {
        /* The fresh id came back: the row was inserted, not found. */
        bool created = strcmp(PQgetvalue(res, 0, 2), row->user.id) == 0;
        row->outcome = created ? UPSERT_CREATED : UPSERT_UPDATED;
    }
}

/* Replaces the roles of user id (checked before: any failure is the store's). */
static enum kh_status set_roles(struct pg_conn *c, int64_t realm_id, const char *id,
                                const char *roles)
{
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, id);
    pg_p_str(&p, roles);
    return pg_exec(c, &user_roles_replace, &p, "user_upsert", NULL) ? KH_ERR_STORE : KH_OK;
}

/* One row; KH_ERR_STORE is the store's own failure (or a broken contract). */
static enum kh_status upsert_row(struct pg_conn *c, struct arena *a, int64_t realm_id,
                                 struct user_upsert *row)
{
    char lowered[USERNAME_MAX + 1];
    const char *name = NULL;
    if (new_name(row, lowered, &name))
        return KH_ERR_STORE;
    const struct user *u = &row->user;
    struct pg_params p = {0};
    pg_p_str(&p, u->id);
    pg_p_int(&p, realm_id);
    pg_p_str(&p, u->username);
    pg_p_str(&p, u->email);
    pg_p_str(&p, u->first_name);
    pg_p_str(&p, u->last_name);
    pg_p_int(&p, u->created_at);
    pg_p_int(&p, (int64_t)row->set);
    pg_p_str(&p, row->set & UPSERT_SET_PASSWORD_HASH ? u->password_hash : NULL);
    const char *roles = row->set & UPSERT_SET_ROLES
                            ? pg_text_array(a, row->roles, row->n_roles) : NULL;
    pg_p_str(&p, roles);
    pg_p_str(&p, name);
    PGresult *res = NULL;
    if (pg_exec(c, &user_upsert, &p, "user_upsert", &res))
        return KH_ERR_STORE;
    enum kh_status rc = PQntuples(res) == 1 ? KH_OK : KH_ERR_STORE;
    if (!rc)
        read_outcome(res, row);
    if (!rc && roles && row->outcome <= UPSERT_UPDATED)
        rc = set_roles(c, realm_id, PQgetvalue(res, 0, 2), roles);
    PQclear(res);
    return rc;
}

static enum kh_status upsert_rows(struct pg_conn *c, int64_t realm_id, struct user_upsert *rows,
                                  size_t n)
{
    struct arena a; /* the rows' role arrays */
    arena_init(&a);
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = upsert_row(c, &a, realm_id, &rows[i]);
    arena_free(&a);
    return rc;
}

/* Inside a batch the call is no savepoint (store.h): a failure midway marks
 * the batch's transaction failed, so that it is rolled back whole and
 * batch_end answers KH_ERR_STORE, as SQLite's rollback of the batch does. */
static enum kh_status upsert_in_batch(struct pg_conn *c, int64_t realm_id,
                                      struct user_upsert *rows, size_t n)
{
    if (c->tx_failed)
        return KH_ERR_STORE; /* the batch failed already */
    if (upsert_rows(c, realm_id, rows, n)) {
        c->tx_failed = true;
        return KH_ERR_STORE;
    }
    return KH_OK;
}

enum kh_status pg_user_upsert(struct store *s, int64_t realm_id, struct user_upsert *rows,
                              size_t n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    if (c->batch)
        return upsert_in_batch(c, realm_id, rows, n);
    if (pg_tx_begin(c, "user_upsert"))
        return KH_ERR_STORE;
    enum kh_status rc = pg_tx_end(c, upsert_rows(c, realm_id, rows, n), "user_upsert");
    return rc ? KH_ERR_STORE : KH_OK;
}
