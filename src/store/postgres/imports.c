/* imports.c - the records of imports over the API (PostgreSQL): one row per
 * import and one per kept row error, written by one statement. */
#include <inttypes.h>
#include <string.h>
#include "core/buf.h"
#include "store/postgres/pg_internal.h"

#define IMPORT_COLS "id, realm_id, status, format, dry_run, atomic, rows, created, updated, " \
    "failed, errors_truncated, created_at, created_by"

/* The kept errors of an import are few (the first failed rows): a cap far
 * above what their array literals take. */
#define ARRAY_MAX ((size_t)16 << 20)

/* The record and its errors at once: the errors arrive as one array per
 * column, numbered from 0 in their order (seq). One statement is all or
 * nothing; a taken id is a unique violation (KH_ERR_CONFLICT). */
static struct pg_stmt import_insert = PG_STMT(
    "WITH rec AS (INSERT INTO imports (" IMPORT_COLS ") "
    "  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id) "
    "INSERT INTO import_errors (import_id, seq, \"row\", field, message) "
    "SELECT rec.id, e.ord - 1, e.r, e.f, e.m FROM rec, "
    "  unnest($14::bigint[], $15::text[], $16::text[]) WITH ORDINALITY AS e(r, f, m, ord)");

/* The record, once per error in error order (the error columns NULL when it
 * has none). */
static struct pg_stmt import_get = PG_STMT(
    "SELECT i.id, i.realm_id, i.status, i.format, i.dry_run, i.atomic, i.rows, i.created, "
    "i.updated, i.failed, i.errors_truncated, i.created_at, i.created_by, "
    "e.\"row\", e.field, e.message "
    "FROM imports i LEFT JOIN import_errors e ON e.import_id = i.id "
    "WHERE i.realm_id = $1 AND i.id = $2 ORDER BY e.seq");

enum { ERROR_COLS = 3 }; /* row, field, message */

/* The errors of r as the array literals of $14..$16 (buf_free them in any
 * case). */
static enum kh_status error_arrays(const struct import_record *r, struct buf cols[ERROR_COLS])
{
    enum kh_status rc = KH_OK;
    for (int k = 0; k < ERROR_COLS; k++) {
        buf_init(&cols[k], ARRAY_MAX);
        rc = rc ? rc : buf_addc(&cols[k], '{');
    }
    for (size_t i = 0; i < r->n_errors && !rc; i++) {
        const struct import_record_error *e = &r->errors[i];
        rc = pg_array_int(&cols[0], e->row);
        rc = rc ? rc : pg_array_str(&cols[1], e->field);
        rc = rc ? rc : pg_array_str(&cols[2], e->message);
    }
    for (int k = 0; k < ERROR_COLS && !rc; k++)
        rc = buf_addc(&cols[k], '}');
    return rc;
}

static enum kh_status insert_record(struct pg_conn *c, const struct import_record *r,
                                    const struct buf cols[ERROR_COLS])
{
    struct pg_params p = {0};
    pg_p_str(&p, r->id);
    pg_p_int(&p, r->realm_id);
    pg_p_str(&p, r->status);
    pg_p_str(&p, r->format);
    pg_p_bool(&p, r->dry_run);
    pg_p_bool(&p, r->atomic);
    pg_p_int(&p, r->rows);
    pg_p_int(&p, r->created);
    pg_p_int(&p, r->updated);
    pg_p_int(&p, r->failed);
    pg_p_bool(&p, r->errors_truncated);
    pg_p_int(&p, r->created_at);
    pg_p_str(&p, r->created_by);
    for (int k = 0; k < ERROR_COLS; k++)
        pg_p_str(&p, cols[k].data);
    return pg_exec(c, &import_insert, &p, "import_insert", NULL);
}

enum kh_status pg_import_insert(struct store *s, const struct import_record *r)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct buf cols[ERROR_COLS];
    enum kh_status rc = error_arrays(r, cols);
    if (!rc && c->tx_depth == 0) {
        rc = insert_record(c, r, cols);
    } else if (!rc) {
        /* Inside a batch: a savepoint, so that a taken id fails this op
         * alone and the record commits with the users it counts. */
        rc = pg_tx_begin(c, "import_insert");
        if (!rc)
            rc = pg_tx_end(c, insert_record(c, r, cols), "import_insert");
    }
    for (int k = 0; k < ERROR_COLS; k++)
        buf_free(&cols[k]);
    return rc;
}

static void read_record(struct arena *a, const PGresult *res, struct import_record *r)
{
    *r = (struct import_record){
        .id = pg_str(a, res, 0, 0),
        .realm_id = pg_int(res, 0, 1),
        .status = pg_str(a, res, 0, 2),
        .format = pg_str(a, res, 0, 3),
        .dry_run = pg_bool(res, 0, 4),
        .atomic = pg_bool(res, 0, 5),
        .rows = pg_int(res, 0, 6),
        .created = pg_int(res, 0, 7),
        .updated = pg_int(res, 0, 8),
        .failed = pg_int(res, 0, 9),
        .errors_truncated = pg_bool(res, 0, 10),
        .created_at = pg_int(res, 0, 11),
        .created_by = pg_str(a, res, 0, 12),
    };
}

/* The error columns of every row (none: one row with them NULL). */
static void read_errors(struct arena *a, const PGresult *res, struct import_record *r)
{
    int rows = PQntuples(res);
    if (rows == 1 && PQgetisnull(res, 0, 13))
        return; /* errors NULL, n_errors 0, as the SQLite store answers */
    struct import_record_error *v = arena_alloc(a, (size_t)rows * sizeof(*v));
    for (int i = 0; i < rows; i++)
        v[i] = (struct import_record_error){
            .row = pg_int(res, i, 13),
            .field = pg_str(a, res, i, 14),
            .message = pg_str(a, res, i, 15),
        };
    r->errors = v;
    r->n_errors = (size_t)rows;
}

enum kh_status pg_import_get(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                             struct import_record *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, id);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &import_get, &p, "import_get", &res);
    if (rc)
        return rc;
    read_record(a, res, out);
    read_errors(a, res, out);
    PQclear(res);
    return KH_OK;
}
