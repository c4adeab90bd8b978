/* copy.c - SQLite rows into PostgreSQL with COPY, in one transaction.
 *
 * The PostgreSQL schema has the SQLite tables' names and columns (see
 * src/store/postgres/migrations/0001_init.sql), so each table is copied
 * column by column as SQLite stores it: integers and text as text, blobs as
 * BYTEA hex, NULL as NULL. Tables go in foreign key order. */
#include <inttypes.h>
#include <stdbool.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/buf.h"
#include "core/log.h"
#include "store/copy.h"
#include "store/store.h"

static const char *const TABLES[COPY_TABLES] = {
    "realms", "roles", "role_permissions", "users", "user_roles", "clients",
    "sessions", "refresh_tokens", "signing_keys", "access_tokens", "revoked_jtis",
    "imports", "import_errors", "audit_events", "audit_heads", "audit_checkpoints",
    "lockouts",
};

/* Tables whose id comes from a sequence in PostgreSQL. */
static const char *const SERIAL_TABLES[] = {"realms", "roles", "audit_events"};

static enum kh_status pg_simple(PGconn *db, const char *sql, const char *step, PGresult **out)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (out)
            *out = r;
        else
            PQclear(r);
        return KH_OK;
    }
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    log_error("migrate.failed", LOG_STR("step", step),
              LOG_STR("error", msg ? msg : PQerrorMessage(db)));
    PQclear(r);
    return KH_ERR_STORE;
}

/* One value in COPY's text format; false when the row outgrew the buffer. */
static bool copy_value(struct buf *b, sqlite3_stmt *st, int col)
{
    static const char hex[] = "0123456789abcdef";
    bool ok = true;
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
        return buf_add(b, "\\N", 2) == KH_OK;
    case SQLITE_BLOB: {
        const uint8_t *p = sqlite3_column_blob(st, col);
        int n = sqlite3_column_bytes(st, col);
        ok = buf_add(b, "\\\\x", 3) == KH_OK; /* COPY unescapes "\\" to the "\" of "\x…" */
        for (int i = 0; ok && i < n; i++) {
            char two[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
            ok = buf_add(b, two, 2) == KH_OK;
        }
        return ok;
    }
    default: {
        const char *s = (const char *)sqlite3_column_text(st, col);
        int n = sqlite3_column_bytes(st, col);
        for (int i = 0; ok && i < n; i++) {
            char ch = s[i];
            const char *esc = ch == '\\' ? "\\\\" : ch == '\t' ? "\\t" : ch == '\n' ? "\\n"
                            : ch == '\r' ? "\\r" : NULL;
            ok = (esc ? buf_add(b, esc, 2) : buf_addc(b, ch)) == KH_OK;
        }
        return ok;
    }
    }
}

#define MAX_ROW_BYTES (64u << 20)

static enum kh_status begin_copy(PGconn *dst, const char *sql, const char *table)
{
    PGresult *r = PQexec(dst, sql);
    enum kh_status rc = PQresultStatus(r) == PGRES_COPY_IN ? KH_OK : KH_ERR_STORE;
    if (rc) {
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        log_error("migrate.failed", LOG_STR("table", table),
                  LOG_STR("error", msg ? msg : PQerrorMessage(dst)));
    }
    PQclear(r);
    return rc;
}

/* COPY table (its columns as SQLite has them) FROM STDIN. */
static enum kh_status copy_table(sqlite3 *src, PGconn *dst, const char *table, int64_t *rows)
{
    char sql[256];
    /* signing_keys in insertion order: PostgreSQL numbers them (seq) as they come. */
    snprintf(sql, sizeof sql, "SELECT * FROM %s%s", table,
             strcmp(table, "signing_keys") == 0 ? " ORDER BY rowid" : "");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(src, sql, -1, &st, NULL) != SQLITE_OK) {
        log_error("migrate.failed", LOG_STR("table", table), LOG_STR("error", sqlite3_errmsg(src)));
        return KH_ERR_STORE;
    }
    struct buf b;
    buf_init(&b, MAX_ROW_BYTES);
    int ncol = sqlite3_column_count(st);
    bool ok = buf_printf(&b, "COPY %s (", table) == KH_OK;
    for (int i = 0; ok && i < ncol; i++)
        ok = buf_printf(&b, "%s\"%s\"", i ? ", " : "", sqlite3_column_name(st, i)) == KH_OK;
    ok = ok && buf_addstr(&b, ") FROM STDIN") == KH_OK;
    enum kh_status rc = ok ? begin_copy(dst, b.data, table) : KH_ERR_NOMEM;
    int step = SQLITE_DONE;
    *rows = 0;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        buf_reset(&b);
        ok = true;
        for (int i = 0; ok && i < ncol; i++)
            ok = (i == 0 || buf_addc(&b, '\t') == KH_OK) && copy_value(&b, st, i);
        ok = ok && buf_addc(&b, '\n') == KH_OK;
        if (!ok) {
            log_error("migrate.failed", LOG_STR("table", table),
                      LOG_STR("error", "a row larger than 64 MiB"));
            rc = KH_ERR_TOOBIG;
        } else if (PQputCopyData(dst, b.data, (int)b.len) != 1) {
            rc = KH_ERR_STORE;
        }
        (*rows)++;
    }
    if (!rc && step != SQLITE_DONE) {
        log_error("migrate.failed", LOG_STR("table", table), LOG_STR("error", sqlite3_errmsg(src)));
        rc = KH_ERR_STORE;
    }
    sqlite3_finalize(st);
    buf_free(&b);
    if (PQputCopyEnd(dst, rc ? "keyhold migrate failed" : NULL) != 1)
        rc = KH_ERR_STORE;
    PGresult *r;
    while ((r = PQgetResult(dst))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && !rc) {
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            log_error("migrate.failed", LOG_STR("table", table),
                      LOG_STR("error", msg ? msg : PQerrorMessage(dst)));
            rc = KH_ERR_STORE;
        }
        PQclear(r);
    }
    return rc;
}

/* The destination must hold nothing yet: copying into a used database would
 * mix two states. */
static enum kh_status check_empty(PGconn *dst)
{
    PGresult *r = NULL;
    enum kh_status rc = pg_simple(dst, "SELECT count(*) FROM realms", "check destination", &r);
    if (rc)
        return rc;
    if (strcmp(PQgetvalue(r, 0, 0), "0") != 0) {
        log_error("migrate.failed", LOG_STR("step", "check destination"),
                  LOG_STR("error", "the PostgreSQL database already holds realms"));
        rc = KH_ERR_CONFLICT;
    }
    PQclear(r);
    return rc;
}

static enum kh_status count_rows(PGconn *dst, const char *table, int64_t want)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    PGresult *r = NULL;
    enum kh_status rc = pg_simple(dst, sql, table, &r);
    if (rc)
        return rc;
    int64_t got = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    if (got != want) {
        log_error("migrate.failed", LOG_STR("table", table), LOG_INT("copied", want),
                  LOG_INT("found", got), LOG_STR("error", "row counts differ"));
        return KH_ERR_STORE;
    }
    return KH_OK;
}

static enum kh_status set_sequences(PGconn *dst)
{
    enum kh_status rc = KH_OK;
    for (size_t i = 0; !rc && i < sizeof SERIAL_TABLES / sizeof SERIAL_TABLES[0]; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                 "coalesce(max(id), 1), max(id) IS NOT NULL) FROM %s",
                 SERIAL_TABLES[i], SERIAL_TABLES[i]);
        rc = pg_simple(dst, sql, "set sequences", NULL);
    }
    return rc;
}

static enum kh_status copy_all(sqlite3 *src, PGconn *dst, struct copy_count counts[COPY_TABLES])
{
    enum kh_status rc = check_empty(dst);
    for (size_t i = 0; !rc && i < COPY_TABLES; i++) {
        counts[i].table = TABLES[i];
        rc = copy_table(src, dst, TABLES[i], &counts[i].rows);
        if (!rc)
            rc = count_rows(dst, TABLES[i], counts[i].rows);
    }
    return rc ? rc : set_sequences(dst);
}

/* Both schemas brought up to date by opening each as keyhold does. */
static enum kh_status migrate_both(const char *from, const char *to)
{
    struct store *s = NULL;
    if (store_url_is_postgres(from) || !store_url_is_postgres(to)) {
        log_error("migrate.failed",
                  LOG_STR("error", "copy from a SQLite file to a postgres:// URL"));
        return KH_ERR_INVALID;
    }
    if (access(from, R_OK) != 0) {
        log_error("migrate.failed", LOG_STR("error", "the SQLite file cannot be read"));
        return KH_ERR_IO;
    }
    enum kh_status rc = store_open(from, &s);
    store_close(s);
    s = NULL;
    if (!rc)
        rc = store_open(to, &s);
    store_close(s);
    return rc;
}

enum kh_status store_copy_to_postgres(const char *from, const char *to,
                                      struct copy_count counts[COPY_TABLES])
{
    enum kh_status rc = migrate_both(from, to);
    if (rc)
        return rc;
    sqlite3 *src = NULL;
    PGconn *dst = NULL;
    if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        log_error("migrate.failed", LOG_STR("error", sqlite3_errmsg(src)));
        sqlite3_close(src);
        return KH_ERR_STORE;
    }
    const char *keys[] = {"client_encoding", "dbname", NULL};
    const char *vals[] = {"UTF8", to, NULL};
    dst = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(dst) != CONNECTION_OK) {
        log_error("migrate.failed", LOG_STR("error", PQerrorMessage(dst)));
        rc = KH_ERR_STORE;
    }
    /* One read transaction on SQLite: a snapshot even if keyhold still runs. */
    if (!rc && sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        rc = KH_ERR_STORE;
    if (!rc)
        rc = pg_simple(dst, "BEGIN", "begin", NULL);
    if (!rc)
        rc = copy_all(src, dst, counts);
    if (!rc)
        rc = pg_simple(dst, "COMMIT", "commit", NULL);
    else if (PQstatus(dst) == CONNECTION_OK)
        (void)pg_simple(dst, "ROLLBACK", "rollback", NULL);
    PQfinish(dst);
    sqlite3_close(src);
    return rc;
}
