/* backend.h - a fresh, empty store of the backend under test, so that one
 * test program runs its cases against SQLite and PostgreSQL alike.
 *
 * backend_run() runs a group of cases once per backend: SQLite (a file in a
 * new temporary directory per case) and PostgreSQL when KEYHOLD_TEST_PG names
 * a database the tests may wipe (its public schema is dropped and made again
 * before every case). `make check` starts a throw-away PostgreSQL and sets
 * KEYHOLD_TEST_PG and KEYHOLD_REQUIRE_PG=1; without that, a program run by
 * hand says it skipped PostgreSQL, and with it a missing URL is a failure.
 * Include after <cmocka.h>. */
#ifndef KH_TEST_STORE_BACKEND_H
#define KH_TEST_STORE_BACKEND_H

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/store.h"

/* The backend of the group running now: "sqlite" or "postgres". */
static const char *test_backend = "sqlite";

struct backend_fixture {
    char dir[64];   /* SQLite: the case's directory */
    char path[96];  /* SQLite: the database file; PostgreSQL: unused */
    char url[512];  /* what store_open was given */
};

static bool backend_is_postgres(void)
{
    return strcmp(test_backend, "postgres") == 0;
}

/* Drops and recreates the public schema of the test database. */
static int backend_pg_wipe(const char *url)
{
    PGconn *db = PQconnectdb(url);
    int rc = -1;
    if (PQstatus(db) == CONNECTION_OK) {
        PGresult *r = PQexec(db, "SET client_min_messages = warning;"
                                 "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
        rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc)
            fprintf(stderr, "backend.h: wiping the test database: %s", PQerrorMessage(db));
        PQclear(r);
    } else {
        fprintf(stderr, "backend.h: %s", PQerrorMessage(db));
    }
    PQfinish(db);
    return rc;
}

/* Prepares a fresh, empty database for b without opening it (so that a case
 * may open it itself, several times, or from other processes). */
static int backend_fresh(struct backend_fixture *b)
{
    memset(b, 0, sizeof(*b));
    if (backend_is_postgres()) {
        const char *url = getenv("KEYHOLD_TEST_PG");
        if (!url || strlen(url) >= sizeof(b->url))
            return -1;
        snprintf(b->url, sizeof(b->url), "%s", url);
        return backend_pg_wipe(url);
    }
    snprintf(b->dir, sizeof(b->dir), "/tmp/kh_store_XXXXXX");
    if (!mkdtemp(b->dir))
        return -1;
    snprintf(b->path, sizeof(b->path), "%s/keyhold.db", b->dir);
    snprintf(b->url, sizeof(b->url), "%s", b->path);
    return 0;
}

/* backend_fresh, then store_open. */
static int backend_open(struct backend_fixture *b, struct store **s)
{
    if (backend_fresh(b))
        return -1;
    return store_open(b->url, s) == KH_OK ? 0 : -1;
}

/* Removes what backend_fresh made (SQLite: every file of the directory). */
static void backend_cleanup(struct backend_fixture *b)
{
    if (!b->dir[0])
        return;
    DIR *d = opendir(b->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d)
        closedir(d);
    rmdir(b->dir);
}

/* Runs tests[0..n) against each backend; the number of failures. */
static int backend_run(const char *name, const struct CMUnitTest *tests, size_t n)
{
    char group[128];
    test_backend = "sqlite";
    snprintf(group, sizeof(group), "%s (sqlite)", name);
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    const char *require = getenv("KEYHOLD_REQUIRE_PG");
    if (!getenv("KEYHOLD_TEST_PG")) {
        if (require && strcmp(require, "1") == 0) {
            fprintf(stderr, "%s: KEYHOLD_REQUIRE_PG=1 but KEYHOLD_TEST_PG is not set\n", name);
            return failed + 1;
        }
        printf("%s (postgres): skipped, KEYHOLD_TEST_PG is not set "
               "(`make check` starts a PostgreSQL and sets it)\n", name);
        return failed;
    }
    test_backend = "postgres";
    snprintf(group, sizeof(group), "%s (postgres)", name);
    return failed + _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

#define BACKEND_RUN(name, tests) backend_run((name), (tests), sizeof(tests) / sizeof((tests)[0]))

#endif
