/* client_rows.h - private to client.c and integration.c (PostgreSQL): the
 * columns a client is read from, and the delete that takes a client with
 * what hangs on it. (Candidates for pg_internal.h.) */
#ifndef KH_STORE_PG_CLIENT_ROWS_H
#define KH_STORE_PG_CLIENT_ROWS_H

#include "store/postgres/pg_internal.h"

/* The clients' columns in the order pg_read_client reads them; t is a
 * table alias with its dot ("c.") or "". */
#define PG_CLIENT_COLS(t) \
    t "id, " t "realm_id, " t "client_id, " t "name, " t "confidential, " t "secret_hash, " \
    t "grants, " t "scopes, " t "default_scopes, " t "owner_user_id, " t "enabled, " \
    t "opaque, " t "access_ttl, " t "created_at, " t "refresh_idle_ttl, " \
    t "session_max_ttl, " t "offline_idle_ttl, " t "refresh_grace, " t "old_secret_hash, " \
    t "old_secret_until, " t "integration, " t "created_by, " t "expires_at, " t "last_used_at"
#define PG_CLIENT_NCOLS 24

/* The client $2 of realm $1 (matching the SQL condition `cond` too, "" for
 * none) deleted with its opaque access tokens, the sessions it started and
 * their refresh tokens, in one statement. The tokens and sessions go only if
 * the client did (EXISTS over c), so that a miss writes nothing even outside
 * a transaction. Every CTE sees the same snapshot; the refresh tokens are
 * found through the sessions deleted here (their foreign key's ON DELETE
 * CASCADE would take them too). The one row counts the clients deleted. */
#define PG_CLIENT_DELETE_SQL(cond) \
    "WITH c AS (DELETE FROM clients WHERE realm_id = $1 AND client_id = $2" cond \
    " RETURNING 1), " \
    "a AS (DELETE FROM access_tokens WHERE realm_id = $1 AND client_id = $2 " \
    "AND EXISTS (SELECT 1 FROM c)), " \
    "s AS (DELETE FROM sessions WHERE realm_id = $1 AND client_id = $2 " \
    "AND EXISTS (SELECT 1 FROM c) RETURNING id), " \
    "r AS (DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM s)) " \
    "SELECT count(*) FROM c"

/* Row `row` of a PG_CLIENT_COLS result into cl (hashes read as zeros when NULL). */
void pg_read_client(struct arena *a, const PGresult *res, int row, struct client *cl);
/* Runs a PG_CLIENT_DELETE_SQL statement; KH_ERR_NOTFOUND if it deleted no client. */
enum kh_status pg_client_delete_run(struct pg_conn *c, struct pg_stmt *st, int64_t realm_id,
                                    const char *client_id, const char *op);

#endif
