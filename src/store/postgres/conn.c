/* conn.c - the PostgreSQL store: open/close, one connection per thread reset
 * after a fault, statements prepared per connection on first use,
 * transactions and savepoints, error mapping, parameters and results. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/buf.h"
#include "core/log.h"
#include "store/postgres/pg_internal.h"

/* Every admin and import batch of every instance takes this transaction-level
 * advisory lock, so that a batch's checks and writes are decided as if alone,
 * as SQLite's single writer does. ("kh" "bt" in ASCII.) */
#define BATCH_LOCK_KEY 0x6b68627400000001LL

static atomic_int next_slot;

/* While the database is down every request meets the fault: log the first
 * of each second and count the rest into it. */
static _Atomic int64_t last_fault_log;
static atomic_long faults_unlogged;

static void log_fault(const char *op, const char *sqlstate, const char *why)
{
    int64_t now = (int64_t)time(NULL);
    int64_t last = atomic_load(&last_fault_log);
    if (last == now || !atomic_compare_exchange_strong(&last_fault_log, &last, now)) {
        atomic_fetch_add(&faults_unlogged, 1);
        return;
    }
    long skipped = atomic_exchange(&faults_unlogged, 0);
    log_error("store.postgres.error", LOG_STR("op", op), LOG_STR("sqlstate", sqlstate),
              LOG_STR("error", why), LOG_INT("similar_errors_not_logged", skipped));
}

/* libpq's messages end with a newline; the first line is the primary message. */
static const char *first_line(const char *msg, char *buf, size_t len)
{
    if (!msg)
        return "?";
    size_t n = strcspn(msg, "\n");
    if (n >= len)
        n = len - 1;
    memcpy(buf, msg, n);
    buf[n] = '\0';
    return buf;
}

/* libpq prints the server's notices on stderr, which holds only JSON log
 * lines: they are dropped (the ones keyhold could meet say "already exists,
 * skipping" and the like). */
static void drop_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

PGconn *pg_connect(const char *url)
{
    /* The URL comes last: whatever it sets wins over these defaults. */
    const char *keys[] = {"connect_timeout", "application_name", "client_encoding", "dbname",
                          NULL};
    const char *vals[] = {"5", "keyhold", "UTF8", url, NULL};
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (db && PQstatus(db) == CONNECTION_OK) {
        PQsetNoticeProcessor(db, drop_notice, NULL);
        return db;
    }
    char buf[256];
    log_fault("connect", "08006", first_line(db ? PQerrorMessage(db) : "out of memory", buf,
                                             sizeof(buf)));
    PQfinish(db);
    return NULL;
}

static void conn_free(struct thread_conn *tc)
{
    struct pg_conn *c = (struct pg_conn *)tc;
    PQfinish(c->db);
    free(c);
}

/* Adopts db as this thread's connection (db is closed on failure). */
static struct pg_conn *conn_adopt(struct pg_store *st, PGconn *db)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        PQfinish(db);
        return NULL;
    }
    c->st = st;
    c->db = db;
    if (!thread_conns_adopt(&st->conns, &c->link)) {
        conn_free(&c->link);
        return NULL;
    }
    return c;
}

/* The calling thread's connection, NULL before its first op. */
static struct pg_conn *this_thread(struct store *s)
{
    return (struct pg_conn *)thread_conns_get(&((struct pg_store *)s)->conns);
}

/* A fresh session: nothing prepared, no transaction. */
static void conn_forget(struct pg_conn *c)
{
    memset(c->prepared, 0, sizeof(c->prepared));
    c->tx_depth = 0;
    c->batch = false;
    c->tx_failed = false;
    c->snapshot = false;
}

struct pg_conn *pg_conn_get(struct store *s)
{
    struct pg_store *st = (struct pg_store *)s;
    struct pg_conn *c = this_thread(s);
    if (!c) {
        PGconn *db = pg_connect(st->url);
        return db ? conn_adopt(st, db) : NULL;
    }
    if (PQstatus(c->db) == CONNECTION_OK)
        return c;
    if (c->tx_depth > 0)
        return NULL; /* the transaction died with the connection: its ends see to it */
    PGconn *db = pg_connect(st->url);
    if (!db)
        return NULL;
    PQfinish(c->db);
    c->db = db;
    conn_forget(c);
    log_info("store.postgres.reconnected");
    return c;
}

static enum kh_status map_error(struct pg_conn *c, const PGresult *r, const char *op)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (c->tx_depth > 0)
        c->tx_failed = true;
    if (state && strcmp(state, "23505") == 0)
        return KH_ERR_CONFLICT;
    if (state && strcmp(state, "23503") == 0)
        return KH_ERR_NOTFOUND;
    /* The primary message names tables and constraints, never a value (those
     * are in the DETAIL field, which is not logged). */
    const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    char buf[256];
    log_fault(op, state ? state : "08006",
              msg ? msg : first_line(PQerrorMessage(c->db), buf, sizeof(buf)));
    return KH_ERR_STORE;
}

static int stmt_slot(struct pg_stmt *st)
{
    int slot = atomic_load(&st->slot);
    if (slot)
        return slot - 1;
    int mine = atomic_fetch_add(&next_slot, 1) + 1;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&st->slot, &expected, mine))
        return expected - 1; /* another thread numbered it first; mine stays unused */
    return mine - 1;
}

static enum kh_status prepare(struct pg_conn *c, int slot, const char *sql, const char *op)
{
    char name[16];
    snprintf(name, sizeof(name), "kh%d", slot);
    PGresult *r = PQprepare(c->db, name, sql, 0, NULL);
    enum kh_status rc = PQresultStatus(r) == PGRES_COMMAND_OK ? KH_OK : map_error(c, r, op);
    PQclear(r);
    if (!rc)
        c->prepared[slot] = true;
    return rc == KH_OK ? KH_OK : KH_ERR_STORE;
}

enum kh_status pg_exec(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                       const char *op, PGresult **out)
{
    int slot = stmt_slot(st);
    if (slot >= PG_MAX_STMTS) {
        log_error("store.postgres.error", LOG_STR("op", op),
                  LOG_STR("error", "more statements than PG_MAX_STMTS"));
        return KH_ERR_INTERNAL;
    }
    if (!c->prepared[slot] && prepare(c, slot, st->sql, op))
        return KH_ERR_STORE;
    char name[16];
    snprintf(name, sizeof(name), "kh%d", slot);
    PGresult *r = PQexecPrepared(c->db, name, p ? p->n : 0, p ? p->values : NULL,
                                 p ? p->lengths : NULL, p ? p->formats : NULL, 0);
    ExecStatusType status = PQresultStatus(r);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        enum kh_status rc = map_error(c, r, op);
        PQclear(r);
        return rc;
    }
    if (out)
        *out = r;
    else
        PQclear(r);
    return KH_OK;
}

enum kh_status pg_exec_row(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                           const char *op, PGresult **out)
{
    PGresult *r = NULL;
    enum kh_status rc = pg_exec(c, st, p, op, &r);
    if (rc)
        return rc;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return KH_ERR_NOTFOUND;
    }
    *out = r;
    return KH_OK;
}

enum kh_status pg_exec_count(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                             const char *op, int64_t *changed)
{
    PGresult *r = NULL;
    enum kh_status rc = pg_exec(c, st, p, op, &r);
    if (rc)
        return rc;
    *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return KH_OK;
}

enum kh_status pg_exec_page(struct store *s, struct pg_stmt *st, int64_t realm_id,
                            const char *after, size_t limit, const char *op, PGresult **out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, after ? after : "");
    pg_p_limit(&p, limit);
    return pg_exec(c, st, &p, op, out);
}

/* A statement of the transaction's frame (BEGIN, COMMIT, SAVEPOINT, ...):
 * simple protocol, no result wanted. */
static enum kh_status run_simple(struct pg_conn *c, const char *sql, const char *op)
{
    PGresult *r = PQexec(c->db, sql);
    enum kh_status rc = PQresultStatus(r) == PGRES_COMMAND_OK ? KH_OK : map_error(c, r, op);
    /* COMMIT of a transaction that failed answers "ROLLBACK", without an error. */
    if (!rc && strcmp(sql, "COMMIT") == 0 && strcmp(PQcmdStatus(r), "COMMIT") != 0)
        rc = KH_ERR_STORE;
    PQclear(r);
    return rc;
}

enum kh_status pg_tx_begin(struct pg_conn *c, const char *op)
{
    char sql[32];
    if (c->tx_depth == 0) {
        c->tx_failed = false;
        snprintf(sql, sizeof(sql), "BEGIN");
    } else {
        if (c->tx_failed)
            return KH_ERR_STORE; /* nothing runs in an aborted transaction */
        snprintf(sql, sizeof(sql), "SAVEPOINT sp%d", c->tx_depth);
    }
    enum kh_status rc = run_simple(c, sql, op);
    if (rc)
        return KH_ERR_STORE;
    c->tx_depth++;
    return KH_OK;
}

/* Ends the outer transaction: COMMIT, or ROLLBACK after any failure. */
static enum kh_status tx_finish(struct pg_conn *c, enum kh_status rc, const char *op)
{
    if (PQstatus(c->db) != CONNECTION_OK)
        return rc ? rc : KH_ERR_STORE;
    if (rc == KH_OK && !c->tx_failed) {
        if (run_simple(c, "COMMIT", op) == KH_OK)
            return KH_OK;
        rc = KH_ERR_STORE;
    } else if (rc == KH_OK) {
        rc = KH_ERR_STORE; /* a statement failed yet the op did not say so */
    }
    if (PQtransactionStatus(c->db) != PQTRANS_IDLE)
        (void)run_simple(c, "ROLLBACK", op);
    c->tx_failed = false;
    return rc;
}

enum kh_status pg_tx_end(struct pg_conn *c, enum kh_status rc, const char *op)
{
    if (c->tx_depth <= 0) {
        log_error("store.postgres.error", LOG_STR("op", op),
                  LOG_STR("error", "transaction end without a begin"));
        return KH_ERR_INTERNAL;
    }
    c->tx_depth--;
    if (c->tx_depth == 0)
        return tx_finish(c, rc, op);
    if (PQstatus(c->db) != CONNECTION_OK)
        return rc ? rc : KH_ERR_STORE;
    char sql[48];
    if (rc != KH_OK || c->tx_failed) {
        snprintf(sql, sizeof(sql), "ROLLBACK TO SAVEPOINT sp%d", c->tx_depth);
        bool failed_before = c->tx_failed;
        c->tx_failed = false; /* rolling back to the savepoint repairs the transaction */
        if (run_simple(c, sql, op))
            return KH_ERR_STORE;
        if (rc == KH_OK && failed_before)
            rc = KH_ERR_STORE;
    }
    snprintf(sql, sizeof(sql), "RELEASE SAVEPOINT sp%d", c->tx_depth);
    if (run_simple(c, sql, op))
        return KH_ERR_STORE;
    return rc;
}

/* Reads need no snapshot of their own: every statement sees what was
 * committed when it started, and a request's reads decide nothing together
 * that a write does not check again in SQL. Sending BEGIN and COMMIT would
 * cost two round trips on every request. */
void pg_read_begin(struct store *s)
{
    (void)s;
}

void pg_read_end(struct store *s)
{
    (void)s;
}

enum kh_status pg_snapshot_begin(struct store *s)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    if (c->tx_depth) {
        log_error("store.postgres.error", LOG_STR("op", "snapshot_begin"),
                  LOG_STR("error", "a snapshot inside a transaction"));
        return KH_ERR_INTERNAL;
    }
    c->tx_failed = false;
    if (run_simple(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "snapshot"))
        return KH_ERR_STORE;
    c->tx_depth = 1;
    c->snapshot = true;
    return KH_OK;
}

void pg_snapshot_end(struct store *s)
{
    struct pg_conn *c = this_thread(s);
    if (!c || !c->snapshot)
        return;
    c->snapshot = false;
    (void)pg_tx_end(c, KH_OK, "snapshot"); /* read only: COMMIT or ROLLBACK alike */
}

static struct pg_stmt batch_lock = PG_STMT("SELECT pg_advisory_xact_lock($1::bigint)");

enum kh_status pg_batch_begin(struct store *s)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    if (c->batch || c->tx_depth) {
        log_error("store.postgres.error", LOG_STR("op", "batch_begin"),
                  LOG_STR("error", "a batch inside a transaction"));
        return KH_ERR_INTERNAL;
    }
    enum kh_status rc = pg_tx_begin(c, "batch");
    if (rc)
        return rc;
    struct pg_params p = {0};
    pg_p_int(&p, BATCH_LOCK_KEY);
    rc = pg_exec(c, &batch_lock, &p, "batch_lock", NULL);
    if (rc)
        return pg_tx_end(c, rc, "batch");
    c->batch = true;
    return KH_OK;
}

enum kh_status pg_batch_end(struct store *s)
{
    struct pg_conn *c = this_thread(s);
    if (!c || !c->batch)
        return KH_ERR_STORE;
    c->batch = false;
    return pg_tx_end(c, KH_OK, "batch");
}

void pg_batch_abort(struct store *s)
{
    struct pg_conn *c = this_thread(s);
    if (!c || !c->batch)
        return;
    c->batch = false;
    (void)pg_tx_end(c, KH_ERR_INTERNAL, "batch_abort");
}

static struct pg_stmt ping = PG_STMT("SELECT 1");

enum kh_status pg_ping(struct store *s)
{
    struct pg_conn *c = pg_conn_get(s);
    return c ? pg_exec(c, &ping, NULL, "ping", NULL) : KH_ERR_STORE;
}

static void store_free(struct pg_store *st)
{
    pthread_mutex_destroy(&st->realms_mu);
    free(st->url);
    free(st);
}

enum kh_status pg_store_open(const char *url, struct store **out)
{
    struct pg_store *st = calloc(1, sizeof(*st));
    if (!st)
        return KH_ERR_NOMEM;
    st->base.ops = &store_postgres_ops;
    pthread_mutex_init(&st->realms_mu, NULL);
    st->url = strdup(url);
    if (!st->url || thread_conns_init(&st->conns, conn_free) != 0) {
        store_free(st);
        return KH_ERR_NOMEM;
    }
    PGconn *db = pg_connect(url);
    enum kh_status rc = db ? pg_migrate(db, postgres_migrations, postgres_n_migrations)
                           : KH_ERR_STORE;
    /* The opening thread keeps this connection as its own. */
    if (!rc && !conn_adopt(st, db))
        rc = KH_ERR_NOMEM;
    else if (rc)
        PQfinish(db);
    if (rc) {
        thread_conns_close(&st->conns);
        store_free(st);
        return rc;
    }
    *out = &st->base;
    return KH_OK;
}

void pg_store_close(struct store *s)
{
    if (!s)
        return;
    struct pg_store *st = (struct pg_store *)s;
    thread_conns_close(&st->conns);
    store_free(st);
}

/* Parameters */

static void param(struct pg_params *p, const char *v, int len, int fmt)
{
    if (p->n >= PG_MAX_PARAMS) {
        log_error("store.postgres.error", LOG_STR("error", "more than PG_MAX_PARAMS parameters"));
        abort(); /* a bug in an ops file, found by its first test */
    }
    p->values[p->n] = v;
    p->lengths[p->n] = len;
    p->formats[p->n] = fmt;
    p->n++;
}

void pg_p_int(struct pg_params *p, int64_t v)
{
    if (p->n >= PG_MAX_PARAMS)
        param(p, NULL, 0, 0); /* aborts */
    snprintf(p->ints[p->n], sizeof(p->ints[p->n]), "%" PRId64, v);
    param(p, p->ints[p->n], 0, 0);
}

void pg_p_limit(struct pg_params *p, size_t limit)
{
    pg_p_int(p, limit > INT32_MAX ? INT32_MAX : (int64_t)limit);
}

void pg_p_bool(struct pg_params *p, bool v)
{
    pg_p_int(p, v ? 1 : 0);
}

void pg_p_str(struct pg_params *p, const char *s)
{
    param(p, s, 0, 0);
}

void pg_p_bytes(struct pg_params *p, const void *b, size_t n)
{
    param(p, b, b ? (int)n : 0, 1);
}

/* Results */

int64_t pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool pg_bool(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return false;
    const char *v = PQgetvalue(r, row, col);
    return v[0] == 't' || (v[0] >= '1' && v[0] <= '9');
}

const char *pg_str(struct arena *a, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    return arena_strndup(a, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A BYTEA in the hex output format ("\x" then two digits a byte) into out
 * (at least (len - 2) / 2 bytes); the byte count, or -1 if not that format. */
static long unhex(const char *v, int len, uint8_t *out)
{
    if (len < 2 || v[0] != '\\' || v[1] != 'x' || len % 2)
        return -1;
    long n = (len - 2) / 2;
    for (long i = 0; i < n; i++) {
        int hi = hexval(v[2 + 2 * i]), lo = hexval(v[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return n;
}

bool pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n)
{
    memset(out, 0, n);
    if (PQgetisnull(r, row, col))
        return false;
    int len = PQgetlength(r, row, col);
    if ((size_t)len != 2 + 2 * n)
        return false;
    return unhex(PQgetvalue(r, row, col), len, out) == (long)n;
}

const uint8_t *pg_bytes_dup(struct arena *a, const PGresult *r, int row, int col, size_t *len)
{
    *len = 0;
    if (PQgetisnull(r, row, col))
        return NULL;
    int vlen = PQgetlength(r, row, col);
    uint8_t *out = arena_alloc(a, (size_t)vlen / 2 + 1);
    long n = unhex(PQgetvalue(r, row, col), vlen, out);
    if (n < 0)
        return NULL;
    *len = (size_t)n;
    return out;
}

void pg_strings(struct arena *a, const PGresult *r, int col, const char ***out, size_t *n)
{
    int rows = PQntuples(r);
    const char **v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++)
        v[i] = pg_str(a, r, i, col);
    *out = v;
    *n = (size_t)rows;
}

/* Array literals */

static enum kh_status array_sep(struct buf *b)
{
    return b->len > 1 ? buf_addc(b, ',') : KH_OK; /* right after the brace: no comma */
}

enum kh_status pg_array_str(struct buf *b, const char *s)
{
    enum kh_status rc = array_sep(b);
    if (rc || !s)
        return rc ? rc : buf_addstr(b, "NULL");
    rc = buf_addc(b, '"');
    while (!rc && *s) {
        size_t run = strcspn(s, "\"\\");
        rc = buf_add(b, s, run);
        s += run;
        if (!rc && *s) {
            const char esc[2] = {'\\', *s++};
            rc = buf_add(b, esc, sizeof esc);
        }
    }
    return rc ? rc : buf_addc(b, '"');
}

enum kh_status pg_array_int(struct buf *b, int64_t v)
{
    enum kh_status rc = array_sep(b);
    return rc ? rc : buf_printf(b, "%" PRId64, v);
}

const char *pg_text_array(struct arena *a, const char *const *v, size_t n)
{
    struct buf b;
    buf_init(&b, SIZE_MAX);
    enum kh_status rc = buf_addc(&b, '{');
    for (size_t i = 0; i < n && !rc; i++)
        rc = pg_array_str(&b, v[i]);
    rc = rc ? rc : buf_addc(&b, '}');
    const char *out = rc ? NULL : arena_strndup(a, b.data, b.len);
    buf_free(&b);
    return out;
}
