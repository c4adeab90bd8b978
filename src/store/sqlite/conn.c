/* conn.c - the SQLite store: open/close, one connection per thread, the
 * prepared statement cache, transactions and error mapping. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/log.h"
#include "store/sqlite/sqlite_internal.h"

#define BUSY_TIMEOUT_MS 5000

static pthread_once_t config_once = PTHREAD_ONCE_INIT;

/* SQLite counts memory under a global mutex on every allocation unless told
 * not to; with a connection per thread that mutex would be the one lock on
 * the query path. Must run before SQLite initialises (a later call is a no-op). */
static void configure_sqlite(void)
{
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static enum kh_status db_exec(sqlite3 *db, const char *sql, const char *op)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return KH_OK;
    log_error("store.sqlite.error", LOG_STR("op", op), LOG_STR("error", err ? err : "?"));
    sqlite3_free(err);
    return KH_ERR_STORE;
}

enum kh_status sqlite_db_open(const char *path, sqlite3 **out)
{
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_error("store.sqlite.open_failed", LOG_STR("path", path),
                  LOG_STR("error", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
        sqlite3_close(db);
        return KH_ERR_STORE;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    if (db_exec(db, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON", "pragma")) {
        sqlite3_close(db);
        return KH_ERR_STORE;
    }
    *out = db;
    return KH_OK;
}

static void conn_free(struct thread_conn *tc)
{
    struct sqlite_conn *c = (struct sqlite_conn *)tc;
    for (size_t i = 0; i < SQ_COUNT; i++)
        sqlite3_finalize(c->stmts[i]);
    if (sqlite3_close(c->db) != SQLITE_OK)
        log_error("store.sqlite.close_failed", LOG_STR("error", sqlite3_errmsg(c->db)));
    free(c);
}

/* Adopts db as this thread's connection (db is closed on failure). */
static struct sqlite_conn *conn_adopt(struct sqlite_store *st, sqlite3 *db)
{
    struct sqlite_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        sqlite3_close(db);
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

struct sqlite_conn *sqlite_conn_get(struct store *s)
{
    struct sqlite_store *st = (struct sqlite_store *)s;
    struct sqlite_conn *c = (struct sqlite_conn *)thread_conns_get(&st->conns);
    if (c)
        return c;
    sqlite3 *db = NULL;
    if (sqlite_db_open(st->path, &db))
        return NULL;
    return conn_adopt(st, db);
}

sqlite3_stmt *sqlite_stmt(struct sqlite_conn *c, enum sq_stmt id)
{
    if (c->stmts[id])
        return c->stmts[id];
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->db, sqlite_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        log_error("store.sqlite.prepare_failed", LOG_INT("statement", id),
                  LOG_STR("error", sqlite3_errmsg(c->db)));
        sqlite3_finalize(st);
        return NULL;
    }
    c->stmts[id] = st;
    return st;
}

void sqlite_stmt_done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

enum kh_status sqlite_fail(struct sqlite_conn *c, const char *op)
{
    int ext = sqlite3_extended_errcode(c->db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
        return KH_ERR_CONFLICT;
    if (ext == SQLITE_CONSTRAINT_FOREIGNKEY)
        return KH_ERR_NOTFOUND;
    /* errmsg names tables and columns, never bound values. */
    log_error("store.sqlite.error", LOG_STR("op", op), LOG_INT("sqlite_rc", ext),
              LOG_STR("error", sqlite3_errmsg(c->db)));
    return KH_ERR_STORE;
}

enum kh_status sqlite_exec_stmt(struct sqlite_conn *c, sqlite3_stmt *st, const char *op)
{
    enum kh_status rc = KH_OK;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sqlite_fail(c, op);
    sqlite_stmt_done(st);
    return rc;
}

static void tx_rollback(struct sqlite_conn *c, const char *op);

static void writer_done(struct sqlite_conn *c)
{
    if (c->writer) {
        c->writer = false;
        pthread_mutex_unlock(&c->st->write_mu);
    }
}

/* Ends a read snapshot: it only read, so COMMIT just releases the locks. */
static void snapshot_end(struct sqlite_conn *c)
{
    c->snapshot = false;
    c->nested_read = false;
    sqlite3_stmt *st = sqlite_stmt(c, SQ_COMMIT);
    if (!st || sqlite_exec_stmt(c, st, "read_end") != KH_OK)
        tx_rollback(c, "read_end");
}

struct sqlite_conn *sqlite_conn_write(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (c && c->snapshot)
        snapshot_end(c);
    return c;
}

void sqlite_read_begin(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c || c->snapshot || c->batch)
        return;
    sqlite3_stmt *st = sqlite_stmt(c, SQ_BEGIN_READ);
    c->snapshot = st && sqlite_exec_stmt(c, st, "read_begin") == KH_OK;
}

void sqlite_read_end(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (c && c->snapshot)
        snapshot_end(c);
}

/* Inside a batch every op is a savepoint of the batch's transaction. */
static enum kh_status savepoint_begin(struct sqlite_conn *c, const char *op)
{
    if (sqlite3_get_autocommit(c->db)) {
        /* SQLite rolled the whole batch back (an I/O error): refuse to go on
         * in autocommit mode, which would make later ops durable alone. */
        log_error("store.sqlite.error", LOG_STR("op", op),
                  LOG_STR("error", "the batch was rolled back"));
        return KH_ERR_STORE;
    }
    sqlite3_stmt *st = sqlite_stmt(c, SQ_SAVEPOINT);
    return st && sqlite_exec_stmt(c, st, op) == KH_OK ? KH_OK : KH_ERR_STORE;
}

static enum kh_status savepoint_end(struct sqlite_conn *c, enum kh_status rc, const char *op)
{
    sqlite3_stmt *st;
    if (rc != KH_OK && (st = sqlite_stmt(c, SQ_ROLLBACK_TO))
        && sqlite_exec_stmt(c, st, op) != KH_OK)
        rc = KH_ERR_STORE;
    st = sqlite_stmt(c, SQ_RELEASE);
    if (!st || sqlite_exec_stmt(c, st, op) != KH_OK)
        return KH_ERR_STORE;
    return rc;
}

enum kh_status sqlite_batch_begin(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    enum kh_status rc = sqlite_tx_begin(c, true, "batch");
    c->batch = rc == KH_OK;
    return rc;
}

enum kh_status sqlite_batch_end(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c || !c->batch)
        return KH_ERR_STORE;
    c->batch = false;
    if (sqlite3_get_autocommit(c->db)) { /* already rolled back by SQLite */
        writer_done(c);
        return KH_ERR_STORE;
    }
    return sqlite_tx_end(c, KH_OK, "batch");
}

void sqlite_batch_abort(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c || !c->batch)
        return;
    c->batch = false;
    (void)sqlite_tx_end(c, KH_ERR_INTERNAL, "batch_abort"); /* rolls back, ends the writer */
}

enum kh_status sqlite_tx_begin(struct sqlite_conn *c, bool write, const char *op)
{
    if (c->batch) {
        if (!write) {
            c->nested_read = true;
            return KH_OK;
        }
        return savepoint_begin(c, op);
    }
    if (c->snapshot && !write) {
        c->nested_read = true; /* the snapshot is already a read transaction */
        return KH_OK;
    }
    if (c->snapshot)
        snapshot_end(c);
    if (write) {
        pthread_mutex_lock(&c->st->write_mu);
        c->writer = true;
    }
    sqlite3_stmt *st = sqlite_stmt(c, write ? SQ_BEGIN : SQ_BEGIN_READ);
    enum kh_status rc = st ? sqlite_exec_stmt(c, st, op) : KH_ERR_STORE;
    if (rc)
        writer_done(c);
    /* BEGIN cannot conflict; whatever failed is the store's failure. */
    return rc ? KH_ERR_STORE : KH_OK;
}

static void tx_rollback(struct sqlite_conn *c, const char *op)
{
    if (sqlite3_get_autocommit(c->db))
        return; /* SQLite already rolled back (some errors do) */
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLLBACK);
    if (!st || sqlite_exec_stmt(c, st, op) != KH_OK) {
        /* The prepared ROLLBACK could not run; never leave the connection mid-transaction. */
        (void)db_exec(c->db, "ROLLBACK", op);
    }
}

enum kh_status sqlite_tx_end(struct sqlite_conn *c, enum kh_status rc, const char *op)
{
    if (c->nested_read) {
        c->nested_read = false;
        return rc;
    }
    if (c->batch)
        return savepoint_end(c, rc, op);
    if (rc == KH_OK) {
        sqlite3_stmt *st = sqlite_stmt(c, SQ_COMMIT);
        if (!st || sqlite_exec_stmt(c, st, op) != KH_OK)
            rc = KH_ERR_STORE;
    }
    if (rc != KH_OK)
        tx_rollback(c, op);
    writer_done(c);
    return rc;
}

/* The database file is created here, not by SQLite, so that it is 0600 from
 * its first byte (SQLite gives the -wal and -shm files the same mode). */
static enum kh_status create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        log_error("store.sqlite.open_failed", LOG_STR("path", path),
                  LOG_STR("error", strerror(errno)));
        return KH_ERR_STORE;
    }
    close(fd);
    return KH_OK;
}

/* journal_mode is a property of the file: set once, at open. */
static enum kh_status set_wal(sqlite3 *db, const char *path)
{
    sqlite3_stmt *st = NULL;
    const char *why = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK
        || sqlite3_step(st) != SQLITE_ROW) {
        why = sqlite3_errmsg(db);
    } else {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            why = "this file system cannot hold a WAL-mode database";
    }
    if (why)
        log_error("store.sqlite.open_failed", LOG_STR("path", path),
                  LOG_STR("op", "journal_mode"), LOG_STR("error", why));
    sqlite3_finalize(st);
    return why ? KH_ERR_STORE : KH_OK;
}

/* Frees st; its connections are already closed. */
static void store_free(struct sqlite_store *st)
{
    pthread_mutex_destroy(&st->write_mu);
    free(st->path);
    free(st);
}

static struct sqlite_store *store_new(const char *path)
{
    struct sqlite_store *st = calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    st->base.ops = &store_sqlite_ops;
    st->path = strdup(path);
    if (!st->path)
        goto fail;
    if (pthread_mutex_init(&st->write_mu, NULL) != 0)
        goto fail;
    if (thread_conns_init(&st->conns, conn_free) != 0) {
        pthread_mutex_destroy(&st->write_mu);
        goto fail;
    }
    return st;
fail:
    free(st->path);
    free(st);
    return NULL;
}

/* The first connection: creates the file, sets WAL, migrates. */
static enum kh_status open_first(const char *path, sqlite3 **out)
{
    sqlite3 *db = NULL;
    enum kh_status rc = create_file(path);
    if (!rc)
        rc = sqlite_db_open(path, &db);
    if (!rc)
        rc = set_wal(db, path);
    if (!rc)
        rc = sqlite_migrate(db, sqlite_migrations, sqlite_n_migrations);
    if (rc) {
        sqlite3_close(db);
        return rc;
    }
    *out = db;
    return KH_OK;
}

enum kh_status sqlite_store_open(const char *url, struct store **out)
{
    /* Each thread opens its own connection: they must all reach one file. */
    if (!url || !*url || strcmp(url, ":memory:") == 0 || strncmp(url, "file:", 5) == 0) {
        log_error("store.sqlite.open_failed", LOG_STR("path", url),
                  LOG_STR("error", "need a plain database file path"));
        return KH_ERR_INVALID;
    }
    pthread_once(&config_once, configure_sqlite);
    struct sqlite_store *st = store_new(url);
    if (!st)
        return KH_ERR_NOMEM;
    sqlite3 *db = NULL;
    enum kh_status rc = open_first(url, &db);
    /* The opening thread keeps this connection as its own. */
    if (!rc && !conn_adopt(st, db))
        rc = KH_ERR_NOMEM;
    if (rc) {
        thread_conns_close(&st->conns);
        store_free(st);
        return rc;
    }
    *out = &st->base;
    return KH_OK;
}

void sqlite_store_close(struct store *s)
{
    if (!s)
        return;
    struct sqlite_store *st = (struct sqlite_store *)s;
    thread_conns_close(&st->conns);
    store_free(st);
}

const char *sqlite_col_str(struct arena *a, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    const char *s = (const char *)sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    return arena_strndup(a, s ? s : "", s ? (size_t)n : 0);
}

int sqlite_bind_str(sqlite3_stmt *st, int idx, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC);
}

void *sqlite_arr_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return v;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *nv = arena_alloc(a, ncap * elem);
    if (n)
        memcpy(nv, v, n * elem);
    *cap = ncap;
    return nv;
}

enum kh_status sqlite_read_strings(struct sqlite_conn *c, sqlite3_stmt *st, struct arena *a,
                                   const char ***out, size_t *n, const char *op)
{
    const char **v = NULL;
    size_t len = 0, cap = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        v = sqlite_arr_grow(a, v, len, &cap, sizeof(*v));
        v[len++] = sqlite_col_str(a, st, 0);
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, op);
    sqlite_stmt_done(st);
    if (!rc) {
        *out = v;
        *n = len;
    }
    return rc;
}
