/* audit.c - the audit log's events, chain heads and checkpoints (PostgreSQL).
 *
 * The store does not compute hashes (that is audit/chain.c): it keeps the
 * rows, and makes every head move and every purge conditional on the state
 * the caller read, so that several writers (keyhold instances on one
 * database, a CLI command) never fork a chain: the loser gets
 * KH_ERR_CONFLICT, re-reads the head and links its events again.
 *
 * Those conditions are decided where PostgreSQL decides atomically: an
 * INSERT … ON CONFLICT DO UPDATE … WHERE compares the newest version of the
 * head (or checkpoint) row and locks it, waiting for any other writer of it
 * to finish, so two appends can never both extend one head. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "store/postgres/pg_internal.h"

/* An array literal of a whole batch: 512 events of 7 fields of at most
 * 1 KiB each stay far below it. */
#define ARRAY_MAX ((size_t)256 << 20)

/* Appends the whole batch in one statement. Rows arrive as one array per
 * column (unnest zips them, WITH ORDINALITY numbers them from 1) and the
 * hashes as two byte strings of 32 bytes per row. Ids are taken from the
 * sequence first, so that a realm's head can name its last row's id in the
 * same statement.
 *
 * For each realm of the batch, `moved` creates its head (the first row's
 * prev_hash is zeros and no head exists) or moves it if it still has the
 * first row's prev_hash. ON CONFLICT … WHERE compares the newest version of
 * the head and locks it (a concurrent writer of that head is waited for), so
 * a writer that lost the race moves nothing for that realm. A head that did
 * not exist in the statement's snapshot is not created from a non-zero
 * prev_hash: that writer linked onto a head that is gone.
 *
 * The events are inserted only if every realm's head moved (the scalar
 * subqueries run `moved` to completion first); a seq taken meanwhile fails
 * the statement with a unique violation. No rows back: KH_ERR_CONFLICT. */
static struct pg_stmt audit_append = PG_STMT(
    "WITH ev AS MATERIALIZED ("
    "  SELECT nextval('audit_events_id_seq') AS id, e.*, "
    "    substring($11::bytea FROM e.ord::int * 32 - 31 FOR 32) AS prev_hash, "
    "    substring($12::bytea FROM e.ord::int * 32 - 31 FOR 32) AS hash "
    "  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], "
    "              $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) "
    "    WITH ORDINALITY AS e(realm_id, seq, at, type, actor, target, client_id, ip, "
    "                         outcome, detail, ord)), "
    "firsts AS (SELECT DISTINCT ON (realm_id) realm_id, prev_hash FROM ev "
    "           ORDER BY realm_id, ord), "
    "lasts AS (SELECT DISTINCT ON (realm_id) realm_id, seq, id, hash FROM ev "
    "          ORDER BY realm_id, ord DESC), "
    "moved AS ("
    "  INSERT INTO audit_heads AS h (realm_id, seq, last_id, hash) "
    "  SELECT l.realm_id, l.seq, l.id, l.hash FROM lasts l JOIN firsts f USING (realm_id) "
    "  WHERE f.prev_hash = decode(repeat('00', 32), 'hex') "
    "     OR EXISTS (SELECT 1 FROM audit_heads x WHERE x.realm_id = l.realm_id) "
    "  ORDER BY l.realm_id "
    "  ON CONFLICT (realm_id) DO UPDATE "
    "    SET seq = excluded.seq, last_id = excluded.last_id, hash = excluded.hash "
    "    WHERE h.hash = (SELECT f.prev_hash FROM firsts f WHERE f.realm_id = h.realm_id) "
    "  RETURNING h.realm_id), "
    "ins AS ("
    "  INSERT INTO audit_events (id, realm_id, seq, at, type, actor, target, client_id, ip, "
    "                            outcome, detail, prev_hash, hash) "
    "  SELECT id, realm_id, seq, at, type, actor, target, client_id, ip, outcome, detail, "
    "         prev_hash, hash FROM ev "
    "  WHERE (SELECT count(*) FROM moved) = (SELECT count(*) FROM firsts) "
    "  ORDER BY ord RETURNING id) "
    "SELECT ev.ord, ev.id FROM ev JOIN ins USING (id)");

/* Always one row: the highest seq stored (from the (realm_id, seq) index)
 * and the head's columns (NULL without a head), in one snapshot. */
static struct pg_stmt audit_head = PG_STMT(
    "SELECT (SELECT coalesce(max(seq), 0) FROM audit_events WHERE realm_id = $1), "
    "h.seq, h.last_id, h.hash "
    "FROM (VALUES (1)) AS one LEFT JOIN audit_heads h ON h.realm_id = $1");

static struct pg_stmt audit_list = PG_STMT(
    "SELECT id, realm_id, seq, at, type, actor, target, client_id, ip, outcome, detail, "
    "prev_hash, hash FROM audit_events WHERE realm_id = $1 AND seq > $2 AND at >= $3 "
    "AND ($4::text IS NULL OR type = $4::text "
    "     OR ($5::int = 1 AND starts_with(type, $4::text))) "
    "ORDER BY seq LIMIT $6");

static struct pg_stmt audit_checkpoint_find = PG_STMT(
    "SELECT realm_id, seq, event_id, event_at, hash, created_at, sig "
    "FROM audit_checkpoints WHERE realm_id = $1");

/* The whole purge in one statement. `cp` stores the checkpoint only if event
 * $2 still has hash $5 and the stored checkpoint is still at $8 (0: none):
 * ON CONFLICT … WHERE compares the newest checkpoint row and locks it, so of
 * two purges from one checkpoint only the first stores its own. The delete
 * runs only once `cp` stored it (its EXISTS runs `cp` to completion first).
 * Answers (checkpoints stored: 0 or 1, events deleted). */
static struct pg_stmt audit_purge = PG_STMT(
    "WITH cp AS ("
    "  INSERT INTO audit_checkpoints AS c (realm_id, seq, event_id, event_at, hash, "
    "                                      created_at, sig) "
    "  SELECT $1, $2, $3, $4, $5, $6, $7 "
    "  WHERE EXISTS (SELECT 1 FROM audit_events "
    "                WHERE realm_id = $1 AND seq = $2 AND hash = $5::bytea) "
    "    AND ($8::bigint = 0 OR EXISTS (SELECT 1 FROM audit_checkpoints WHERE realm_id = $1)) "
    "  ON CONFLICT (realm_id) DO UPDATE SET seq = excluded.seq, event_id = excluded.event_id, "
    "    event_at = excluded.event_at, hash = excluded.hash, created_at = excluded.created_at, "
    "    sig = excluded.sig "
    "    WHERE c.seq = $8::bigint "
    "  RETURNING 1), "
    "gone AS ("
    "  DELETE FROM audit_events WHERE realm_id = $1 AND seq <= $2 "
    "    AND EXISTS (SELECT 1 FROM cp) RETURNING 1) "
    "SELECT (SELECT count(*) FROM cp), (SELECT count(*) FROM gone)");

/* The three number columns and the seven text columns of audit_append. */
enum { INT_COLS = 3, STR_COLS = 7 };

struct columns {
    struct buf ints[INT_COLS];
    struct buf strs[STR_COLS];
    uint8_t *hashes; /* n prev_hashes, then n hashes */
};

static void columns_free(struct columns *c)
{
    for (int k = 0; k < INT_COLS; k++)
        buf_free(&c->ints[k]);
    for (int k = 0; k < STR_COLS; k++)
        buf_free(&c->strs[k]);
    free(c->hashes);
}

/* Appends row e to every column. */
static enum kh_status columns_add(struct columns *c, const struct audit_entry *e)
{
    const int64_t ints[INT_COLS] = {e->realm_id, e->seq, e->at};
    const char *strs[STR_COLS] = {e->type, e->actor, e->target, e->client_id,
                                  e->ip,   e->outcome, e->detail};
    enum kh_status rc = KH_OK;
    for (int k = 0; k < INT_COLS && !rc; k++)
        rc = pg_array_int(&c->ints[k], ints[k]);
    for (int k = 0; k < STR_COLS && !rc; k++)
        rc = pg_array_str(&c->strs[k], strs[k]);
    return rc;
}

/* The rows as audit_append's columns (columns_free them in any case). */
static enum kh_status columns_build(struct columns *c, const struct audit_entry *rows, size_t n)
{
    memset(c, 0, sizeof(*c));
    enum kh_status rc = KH_OK;
    for (int k = 0; k < INT_COLS; k++) {
        buf_init(&c->ints[k], ARRAY_MAX);
        rc = rc ? rc : buf_addc(&c->ints[k], '{');
    }
    for (int k = 0; k < STR_COLS; k++) {
        buf_init(&c->strs[k], ARRAY_MAX);
        rc = rc ? rc : buf_addc(&c->strs[k], '{');
    }
    c->hashes = malloc(2 * n * SHA256_LEN);
    if (!c->hashes)
        return KH_ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        rc = columns_add(c, &rows[i]);
        memcpy(c->hashes + i * SHA256_LEN, rows[i].prev_hash, SHA256_LEN);
        memcpy(c->hashes + (n + i) * SHA256_LEN, rows[i].hash, SHA256_LEN);
    }
    for (int k = 0; k < INT_COLS && !rc; k++)
        rc = buf_addc(&c->ints[k], '}');
    for (int k = 0; k < STR_COLS && !rc; k++)
        rc = buf_addc(&c->strs[k], '}');
    return rc;
}

/* Runs audit_append; *ids gets each row's id (by position) when every row
 * was inserted, else KH_ERR_CONFLICT. */
static enum kh_status append_rows(struct pg_conn *c, const struct columns *cols, size_t n,
                                  int64_t *ids)
{
    struct pg_params p = {0};
    for (int k = 0; k < INT_COLS; k++)
        pg_p_str(&p, cols->ints[k].data);
    for (int k = 0; k < STR_COLS; k++)
        pg_p_str(&p, cols->strs[k].data);
    pg_p_bytes(&p, cols->hashes, n * SHA256_LEN);
    pg_p_bytes(&p, cols->hashes + n * SHA256_LEN, n * SHA256_LEN);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &audit_append, &p, "audit_append", &res);
    if (rc)
        return rc;
    int got = PQntuples(res);
    if (got == 0)
        rc = KH_ERR_CONFLICT; /* a head had moved: nothing was inserted */
    else if ((size_t)got != n)
        rc = KH_ERR_STORE; /* all or nothing, by the statement: not reached */
    for (int r = 0; r < got && !rc; r++) {
        int64_t ord = pg_int(res, r, 0);
        if (ord < 1 || (uint64_t)ord > n)
            rc = KH_ERR_STORE;
        else
            ids[ord - 1] = pg_int(res, r, 1);
    }
    PQclear(res);
    return rc;
}

static bool one_realm(const struct audit_entry *rows, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (rows[i].realm_id != rows[0].realm_id)
            return false;
    return true;
}

/* One statement is all or nothing, except that with several realms some
 * heads may move before another writer is found to have moved one: then a
 * transaction takes them back. Inside a batch a savepoint keeps a conflict
 * from failing the whole batch. */
static enum kh_status append(struct pg_conn *c, const struct audit_entry *rows, size_t n,
                             const struct columns *cols, int64_t *ids)
{
    if (c->tx_depth == 0 && one_realm(rows, n))
        return append_rows(c, cols, n, ids);
    enum kh_status rc = pg_tx_begin(c, "audit_append");
    if (rc)
        return rc;
    return pg_tx_end(c, append_rows(c, cols, n, ids), "audit_append");
}

enum kh_status pg_audit_append(struct store *s, struct audit_entry *rows, size_t n)
{
    if (n == 0)
        return KH_OK;
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct columns cols;
    enum kh_status rc = columns_build(&cols, rows, n);
    int64_t *ids = rc ? NULL : calloc(n, sizeof(*ids));
    if (!rc && !ids)
        rc = KH_ERR_NOMEM;
    if (!rc)
        rc = append(c, rows, n, &cols, ids);
    for (size_t i = 0; i < n && !rc; i++)
        rows[i].id = ids[i];
    columns_free(&cols);
    free(ids);
    return rc;
}

enum kh_status pg_audit_head(struct store *s, int64_t realm_id, struct audit_head *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &audit_head, &p, "audit_head", &res);
    if (rc)
        return rc;
    *out = (struct audit_head){.realm_id = realm_id};
    out->max_seq = pg_int(res, 0, 0);
    out->found = !PQgetisnull(res, 0, 1);
    out->seq = pg_int(res, 0, 1);
    out->last_id = pg_int(res, 0, 2);
    if (out->found)
        (void)pg_bytes(res, 0, 3, out->hash, SHA256_LEN); /* zeros unless 32 bytes */
    PQclear(res);
    return KH_OK;
}

/* A stored hash that is not 32 bytes reads as zeros (a verifier then
 * reports the mismatch). */
static void read_entry(struct arena *a, const PGresult *res, int row, struct audit_entry *e)
{
    e->id = pg_int(res, row, 0);
    e->realm_id = pg_int(res, row, 1);
    e->seq = pg_int(res, row, 2);
    e->at = pg_int(res, row, 3);
    e->type = pg_str(a, res, row, 4);
    e->actor = pg_str(a, res, row, 5);
    e->target = pg_str(a, res, row, 6);
    e->client_id = pg_str(a, res, row, 7);
    e->ip = pg_str(a, res, row, 8);
    e->outcome = pg_str(a, res, row, 9);
    e->detail = pg_str(a, res, row, 10);
    (void)pg_bytes(res, row, 11, e->prev_hash, SHA256_LEN);
    (void)pg_bytes(res, row, 12, e->hash, SHA256_LEN);
}

enum kh_status pg_audit_list(struct store *s, struct arena *a, const struct audit_query *q,
                             struct audit_entry **out, size_t *n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, q->realm_id);
    pg_p_int(&p, q->after_seq);
    pg_p_int(&p, q->since);
    pg_p_str(&p, q->type);
    pg_p_bool(&p, q->type_prefix);
    pg_p_limit(&p, q->limit);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &audit_list, &p, "audit_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct audit_entry *v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++)
        read_entry(a, res, i, &v[i]);
    PQclear(res);
    *out = v;
    *n = (size_t)rows;
    return KH_OK;
}

enum kh_status pg_audit_checkpoint_find(struct store *s, int64_t realm_id,
                                        struct audit_checkpoint *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &audit_checkpoint_find, &p, "audit_checkpoint_find", &res);
    if (rc)
        return rc;
    out->realm_id = pg_int(res, 0, 0);
    out->seq = pg_int(res, 0, 1);
    out->event_id = pg_int(res, 0, 2);
    out->event_at = pg_int(res, 0, 3);
    (void)pg_bytes(res, 0, 4, out->hash, SHA256_LEN);
    out->created_at = pg_int(res, 0, 5);
    (void)pg_bytes(res, 0, 6, out->sig, SHA256_LEN);
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_audit_purge(struct store *s, const struct audit_checkpoint *cp,
                              int64_t prev_seq, size_t *removed)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, cp->realm_id);
    pg_p_int(&p, cp->seq);
    pg_p_int(&p, cp->event_id);
    pg_p_int(&p, cp->event_at);
    pg_p_bytes(&p, cp->hash, SHA256_LEN);
    pg_p_int(&p, cp->created_at);
    pg_p_bytes(&p, cp->sig, SHA256_LEN);
    pg_p_int(&p, prev_seq);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &audit_purge, &p, "audit_purge", &res);
    if (rc)
        return rc;
    if (pg_int(res, 0, 0) != 1)
        rc = KH_ERR_CONFLICT; /* another purge ran meanwhile, or event cp->seq changed */
    else if (removed)
        *removed = (size_t)pg_int(res, 0, 1);
    PQclear(res);
    return rc;
}
