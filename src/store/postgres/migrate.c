/* migrate.c - applies the embedded PostgreSQL migrations at open.
 *
 * Instances that start at once on one database take turns on a session
 * advisory lock; the one holding it applies what is missing, each migration
 * in its own transaction with the version bump, and the others then find
 * nothing left to do. A migration never contains BEGIN/COMMIT itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/log.h"
#include "store/postgres/pg_internal.h"

/* "kh" "mg" in ASCII: the key no other application is likely to use. */
#define MIGRATE_LOCK_SQL "SELECT pg_advisory_lock(7739556248785256449)"
#define MIGRATE_UNLOCK_SQL "SELECT pg_advisory_unlock(7739556248785256449)"

static enum kh_status exec(PGconn *db, const char *sql, const char *what, PGresult **out)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType status = PQresultStatus(r);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        if (out)
            *out = r;
        else
            PQclear(r);
        return KH_OK;
    }
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    log_error("store.postgres.migration_failed", LOG_STR("step", what),
              LOG_STR("error", msg ? msg : PQerrorMessage(db)));
    PQclear(r);
    return KH_ERR_STORE;
}

static enum kh_status schema_version(PGconn *db, int64_t *out)
{
    PGresult *r = NULL;
    enum kh_status rc = exec(db, "SELECT coalesce(max(version), 0) FROM schema_version",
                             "read schema_version", &r);
    if (!rc) {
        *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
    }
    return rc;
}

static enum kh_status apply(PGconn *db, const struct migration *m)
{
    char bump[96];
    enum kh_status rc = exec(db, "BEGIN", "begin", NULL);
    if (!rc)
        rc = exec(db, m->sql, m->name, NULL);
    if (!rc) {
        snprintf(bump, sizeof(bump), "UPDATE schema_version SET version = %d", m->version);
        rc = exec(db, bump, "bump schema_version", NULL);
    }
    if (!rc)
        rc = exec(db, "COMMIT", "commit", NULL);
    if (rc) {
        (void)exec(db, "ROLLBACK", "rollback", NULL);
        log_error("store.postgres.migration_failed", LOG_INT("version", m->version),
                  LOG_STR("migration", m->name),
                  LOG_STR("error", "migration rolled back; the database is unchanged by it"));
        return rc;
    }
    log_info("store.postgres.migrated", LOG_INT("version", m->version),
             LOG_STR("migration", m->name));
    return KH_OK;
}

static enum kh_status migrate_locked(PGconn *db, const struct migration *m, size_t n)
{
    int64_t version = 0;
    enum kh_status rc = exec(db,
                             "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);"
                             "INSERT INTO schema_version (version) SELECT 0 "
                             "WHERE NOT EXISTS (SELECT 1 FROM schema_version)",
                             "create schema_version", NULL);
    if (!rc)
        rc = schema_version(db, &version);
    if (rc)
        return rc;
    int64_t known = n ? m[n - 1].version : 0;
    if (version > known) {
        log_error("store.postgres.migration_failed", LOG_INT("version", version),
                  LOG_INT("known_version", known),
                  LOG_STR("error", "the database was migrated by a newer keyhold; "
                                   "upgrade keyhold to open it"));
        return KH_ERR_STORE;
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (m[i].version > version)
            rc = apply(db, &m[i]);
    return rc;
}

enum kh_status pg_migrate(PGconn *db, const struct migration *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i].version <= 0 || (i > 0 && m[i].version <= m[i - 1].version)) {
            log_error("store.postgres.migration_failed", LOG_STR("migration", m[i].name),
                      LOG_STR("error", "migration versions must be positive and increasing"));
            return KH_ERR_INTERNAL;
        }
    }
    enum kh_status rc = exec(db, MIGRATE_LOCK_SQL, "lock", NULL);
    if (rc)
        return rc;
    rc = migrate_locked(db, m, n);
    /* Unlock even after a failure; a lost connection drops the lock anyway. */
    (void)exec(db, MIGRATE_UNLOCK_SQL, "unlock", NULL);
    return rc;
}
