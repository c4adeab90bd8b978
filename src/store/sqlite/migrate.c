/* migrate.c - applies the embedded SQLite migrations at open.
 *
 * schema_version holds one row: the version of the last migration applied.
 * Each migration runs in its own BEGIN IMMEDIATE transaction that re-reads the
 * version first, so two processes opening one fresh file at once apply each
 * migration exactly once: the second waits for the write lock (busy_timeout),
 * then sees the new version and skips. A migration never contains
 * BEGIN/COMMIT itself. */
#include <stdio.h>
#include "core/log.h"
#include "store/sqlite/sqlite_internal.h"

static enum kh_status exec(sqlite3 *db, const char *sql, const char *what)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
        return KH_OK;
    log_error("store.sqlite.migration_failed", LOG_STR("step", what),
              LOG_STR("error", err ? err : sqlite3_errmsg(db)));
    sqlite3_free(err);
    return KH_ERR_STORE;
}

static void rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        (void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

enum kh_status sqlite_schema_version(sqlite3 *db, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    enum kh_status rc = KH_ERR_STORE;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_step(st) != SQLITE_ROW)
        goto out;
    *out = sqlite3_column_int64(st, 0);
    rc = KH_OK;
out:
    if (rc)
        log_error("store.sqlite.migration_failed", LOG_STR("step", "read schema_version"),
                  LOG_STR("error", sqlite3_errmsg(db)));
    sqlite3_finalize(st);
    return rc;
}

/* Creates schema_version with its one row (version 0) unless it exists. */
static enum kh_status bootstrap(sqlite3 *db)
{
    enum kh_status rc = exec(db, "BEGIN IMMEDIATE", "begin");
    if (rc)
        return rc;
    rc = exec(db,
              "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
              "INSERT INTO schema_version (version) SELECT 0 "
              "WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
              "create schema_version");
    if (!rc)
        rc = exec(db, "COMMIT", "commit");
    if (rc)
        rollback(db);
    return rc;
}

/* Applies m unless another opener already did; the version check and the
 * change share one write transaction. */
static enum kh_status apply(sqlite3 *db, const struct migration *m)
{
    int64_t version = 0;
    char bump[96];
    enum kh_status rc = exec(db, "BEGIN IMMEDIATE", "begin");
    if (rc)
        goto out;
    rc = sqlite_schema_version(db, &version);
    if (rc || version >= m->version)
        goto out;
    rc = exec(db, m->sql, m->name);
    if (rc)
        goto out;
    snprintf(bump, sizeof(bump), "UPDATE schema_version SET version = %d", m->version);
    rc = exec(db, bump, "bump schema_version");
    if (rc)
        goto out;
    rc = exec(db, "COMMIT", "commit");
    if (!rc)
        log_info("store.sqlite.migrated", LOG_INT("version", m->version),
                 LOG_STR("migration", m->name));
out:
    if (rc) {
        rollback(db);
        log_error("store.sqlite.migration_failed", LOG_INT("version", m->version),
                  LOG_STR("migration", m->name),
                  LOG_STR("error", "migration rolled back; the database is unchanged by it"));
        return rc;
    }
    rollback(db); /* skipped: end the read-only transaction */
    return KH_OK;
}

enum kh_status sqlite_migrate(sqlite3 *db, const struct migration *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i].version <= 0 || (i > 0 && m[i].version <= m[i - 1].version)) {
            log_error("store.sqlite.migration_failed", LOG_STR("migration", m[i].name),
                      LOG_STR("error", "migration versions must be positive and increasing"));
            return KH_ERR_INTERNAL;
        }
    }
    int64_t version = 0;
    enum kh_status rc = bootstrap(db);
    if (!rc)
        rc = sqlite_schema_version(db, &version);
    if (rc)
        return rc;
    int64_t known = n ? m[n - 1].version : 0;
    if (version > known) {
        log_error("store.sqlite.migration_failed", LOG_INT("version", version),
                  LOG_INT("known_version", known),
                  LOG_STR("error", "the database was migrated by a newer keyhold; "
                                   "upgrade keyhold to open it"));
        return KH_ERR_STORE;
    }
    for (size_t i = 0; i < n; i++) {
        if (m[i].version <= version)
            continue;
        rc = apply(db, &m[i]);
        if (rc)
            return rc;
    }
    return KH_OK;
}
