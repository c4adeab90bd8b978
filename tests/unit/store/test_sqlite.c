/* test_sqlite.c - what is SQLite's own (the contract suite is test_contract.c):
 * migrations, file mode, concurrent openers, races across processes.
 * Every test gets a fresh database in its own directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
/* Only the contract's helpers (ct_realm, ct_session, ...) are used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "store/store_contract.h"
#include "store/migration.h"
#include "store/sqlite/sqlite_internal.h"

struct fixture {
    char dir[64];
    char path[96];
    struct store *s;
};

static int fixture_new(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/kh_store_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/keyhold.db", f->dir);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    if (fixture_new(state))
        return -1;
    struct fixture *f = *state;
    return store_open(f->path, &f->s) == KH_OK ? 0 : -1;
}

/* Removes every file of the test's directory (db, -wal, -shm), then it. */
static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    DIR *d = opendir(f->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d)
        closedir(d);
    rmdir(f->dir);
    free(f);
    return 0;
}


static int64_t raw_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int64_t latest_version(void)
{
    return sqlite_migrations[sqlite_n_migrations - 1].version;
}

static void test_migrations_once(void **state)
{
    struct fixture *f = *state;
    ct_realm(f->s, "main");
    assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"), latest_version());
    store_close(f->s);
    f->s = NULL;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(store_open(f->path, &f->s), KH_OK);
        assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_version"), 1);
        assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"),
                         latest_version());
        struct arena a;
        arena_init(&a);
        struct realm r;
        assert_int_equal(store_realm_find(f->s, &a, "main", &r), KH_OK);
        arena_free(&a);
        store_close(f->s);
        f->s = NULL;
    }
    assert_int_equal(raw_int(f->path, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(store_open(f->path, &f->s), KH_OK);
}

static void assert_mode_0600(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_file_mode(void **state)
{
    struct fixture *f = *state;
    ct_realm(f->s, "main"); /* a write, so that the WAL exists */
    char wal[128];
    snprintf(wal, sizeof(wal), "%s-wal", f->path);
    assert_mode_0600(f->path);
    assert_mode_0600(wal);
}

static void test_open_refused(void **state)
{
    (void)state;
    struct store *s = (struct store *)0x1;
    assert_int_equal(store_open(":memory:", &s), KH_ERR_INVALID);
    assert_int_equal(store_open("", &s), KH_ERR_INVALID);
    assert_int_equal(store_open("/nonexistent-dir/x/keyhold.db", &s), KH_ERR_STORE);
    assert_ptr_equal(s, (struct store *)0x1);
}

/* A failing migration rolls back alone: earlier ones stay, the version stays. */
static void test_migration_failure(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    char path[128];
    snprintf(path, sizeof(path), "%s/raw.db", f->dir);
    assert_int_equal(sqlite_db_open(path, &db), KH_OK);
    const struct migration good[] = {
        {1, "first", "CREATE TABLE a (x INTEGER);"},
        {2, "second", "CREATE TABLE b (x INTEGER);"},
    };
    assert_int_equal(sqlite_migrate(db, good, 2), KH_OK);
    const struct migration bad[] = {
        good[0], good[1],
        {3, "broken", "CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1);"},
        {4, "never", "CREATE TABLE d (x INTEGER);"},
    };
    assert_int_equal(sqlite_migrate(db, bad, 4), KH_ERR_STORE);
    int64_t v = 0;
    assert_int_equal(sqlite_schema_version(db, &v), KH_OK);
    assert_int_equal(v, 2);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'c'"), 0);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'd'"), 0);
    assert_int_equal(raw_int(path, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 1);

    const struct migration unordered[] = {good[1], good[0]};
    assert_int_equal(sqlite_migrate(db, unordered, 2), KH_ERR_INTERNAL);
    /* A database newer than this binary is refused. */
    assert_int_equal(sqlite_migrate(db, good, 1), KH_ERR_STORE);
    sqlite3_close(db);
}

/* A database written by 0001 alone (an existing file from the previous
 * release): opening it applies the later migrations and keeps its rows, which
 * read with the new columns' defaults and work with the new ops. */
static void test_upgrade_from_0001(void **state)
{
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite_db_open(f->path, &db), KH_OK);
    assert_int_equal(sqlite_migrate(db, sqlite_migrations, 1), KH_OK);
    int64_t now = clock_now();
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO realms VALUES (1, 'main', 'ES256', 60, 600, 6000, 60000, %lld);"
             "INSERT INTO clients (id, realm_id, client_id, confidential, secret_hash, grants, "
             "scopes, default_scopes, access_ttl, created_at) VALUES ('c-1', 1, 'billing', 1, "
             "zeroblob(32), 4, 'openid', 'openid', 30, %lld);"
             "INSERT INTO sessions VALUES ('s-1', 1, NULL, 'billing', 0, %lld, %lld, 0);"
             "INSERT INTO refresh_tokens VALUES (zeroblob(32), 's-1', 1, 'billing', NULL, "
             "'openid', %lld, %lld, NULL);"
             "INSERT INTO signing_keys VALUES ('k1', 1, 'ES256', x'00', %lld, %lld, 0);",
             (long long)now, (long long)now, (long long)now, (long long)now + 3600,
             (long long)now, (long long)now + 600, (long long)now, (long long)now);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"), 1);

    assert_int_equal(store_open(f->path, &f->s), KH_OK);
    assert_int_equal(raw_int(f->path, "SELECT version FROM schema_version"), latest_version());
    struct arena a;
    arena_init(&a);
    struct realm r;
    assert_int_equal(store_realm_find(f->s, &a, "main", &r), KH_OK);
    assert_int_equal(r.access_ttl, 60);
    assert_int_equal(r.offline_idle_ttl, 60000);
    assert_int_equal(r.refresh_grace, 0);
    struct client c;
    assert_int_equal(store_client_find(f->s, &a, 1, "billing", &c), KH_OK);
    uint8_t zero[SHA256_LEN] = {0};
    assert_true(c.confidential);
    assert_int_equal(c.access_ttl, 30);
    assert_int_equal(c.refresh_idle_ttl, 0);
    assert_int_equal(c.session_max_ttl, 0);
    assert_int_equal(c.offline_idle_ttl, 0);
    assert_int_equal(c.refresh_grace, -1);
    assert_int_equal(c.old_secret_until, 0);
    assert_memory_equal(c.old_secret_hash, zero, SHA256_LEN);
    struct refresh_token t;
    assert_int_equal(store_refresh_find(f->s, &a, zero, &t), KH_OK);
    assert_false(t.retried);
    assert_int_equal(t.used_at, 0);
    struct signing_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(store_key_list(f->s, &a, 1, &keys, &n), KH_OK);
    assert_int_equal(n, 1);

    /* The old rows under the new ops. */
    struct refresh_token next = ct_next("s-1", 1, "khr_next", now + 1);
    struct refresh_token retry = ct_next("s-1", 1, "khr_retry", now + 2);
    assert_int_equal(store_refresh_rotate(f->s, zero, &next, now + 1, 5), KH_OK);
    assert_int_equal(store_refresh_rotate(f->s, zero, &retry, now + 2, 5), KH_OK);
    uint8_t h[SHA256_LEN];
    ct_hash("khs_new", h);
    assert_int_equal(store_client_rotate_secret(f->s, 1, "billing", h, now + 60), KH_OK);
    assert_int_equal(store_client_find(f->s, &a, 1, "billing", &c), KH_OK);
    assert_memory_equal(c.old_secret_hash, zero, SHA256_LEN);
    assert_int_equal(c.old_secret_until, now + 60);
    assert_memory_equal(c.secret_hash, h, SHA256_LEN);
    struct access_token at = {.realm_id = 1, .client_id = "billing", .subject = "c-1",
                              .issued_at = now, .expires_at = now + 60};
    ct_hash("kha_x", at.hash);
    assert_int_equal(store_access_insert(f->s, &at), KH_OK);
    assert_int_equal(store_jti_revoke(f->s, 1, "jti", now + 60), KH_OK);
    assert_int_equal(store_jti_is_revoked(f->s, 1, "jti"), KH_OK);
    arena_free(&a);
}

/* The lookups on hot paths use their indexes (a plan change would be a
 * silent table scan under load). */
static void test_query_plans(void **state)
{
    struct fixture *f = *state;
    struct {
        enum sq_stmt id;
        const char *want;
    } plans[] = {
        {SQ_JTI_IS_REVOKED, "USING COVERING INDEX sqlite_autoindex_revoked_jtis_1"},
        {SQ_ACCESS_FIND, "USING INDEX sqlite_autoindex_access_tokens_1"},
        {SQ_REFRESH_USE, "USING INDEX sqlite_autoindex_refresh_tokens_1"},
        {SQ_PURGE_REFRESH, "refresh_tokens_expires"},
        {SQ_PURGE_REFRESH, "sessions_revoked"},
        {SQ_PURGE_SESSIONS, "sessions_expires"},
        {SQ_PURGE_SESSIONS, "sessions_revoked"},
        {SQ_PURGE_ACCESS, "access_tokens_expires"},
        {SQ_PURGE_JTIS, "revoked_jtis_expires"},
        /* audit log: every access goes through (realm_id, seq) */
        {SQ_AUDIT_LIST, "sqlite_autoindex_audit_events_1"},
        {SQ_AUDIT_HEAD, "sqlite_autoindex_audit_events_1"},
        {SQ_AUDIT_HASH_AT, "sqlite_autoindex_audit_events_1"},
        {SQ_AUDIT_PURGE, "sqlite_autoindex_audit_events_1"},
    };
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    for (size_t i = 0; i < sizeof(plans) / sizeof(plans[0]); i++) {
        char sql[1024];
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite_sql[plans[i].id]);
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        bool found = false, scan = false;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *detail = (const char *)sqlite3_column_text(st, 3);
            found = found || (detail && strstr(detail, plans[i].want));
            scan = scan || (detail && strncmp(detail, "SCAN ", 5) == 0);
        }
        sqlite3_finalize(st);
        if (!found || scan)
            fail_msg("plan of statement %d: want %s, no scan", (int)plans[i].id, plans[i].want);
    }
    sqlite3_close(db);
}

#define OPENERS 4

/* Several processes open one fresh file at once: each migration runs once. */
static void test_concurrent_open(void **state)
{
    struct fixture *f = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/fresh.db", f->dir);
    pid_t pids[OPENERS];
    for (int i = 0; i < OPENERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct store *s = NULL;
            int code = store_open(path, &s) == KH_OK && store_ping(s) == KH_OK ? 0 : 1;
            if (s)
                store_close(s);
            _exit(code);
        }
    }
    for (int i = 0; i < OPENERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(raw_int(path, "SELECT count(*) FROM schema_version"), 1);
    assert_int_equal(raw_int(path, "SELECT version FROM schema_version"), latest_version());
    assert_mode_0600(path);
}

/* The rotation race across processes: one file, one token, one winner. */
static void test_rotate_race_processes(void **state)
{
    struct fixture *f = *state;
    int64_t realm = ct_realm(f->s, "main");
    int64_t now = clock_now();
    ct_session(f->s, realm, "s-1", NULL, "khr_one", now);
    /* No SQLite handle may cross a fork: close before, reopen after. */
    store_close(f->s);
    f->s = NULL;
    pid_t pids[OPENERS];
    for (int i = 0; i < OPENERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct store *s = NULL;
            if (store_open(f->path, &s) != KH_OK)
                _exit(100);
            uint8_t old[SHA256_LEN];
            ct_hash("khr_one", old);
            char token[32];
            snprintf(token, sizeof(token), "khr_proc_%d", i);
            struct refresh_token next = ct_next("s-1", realm, token, now + 1);
            enum kh_status rc = store_refresh_rotate(s, old, &next, now + 1, 0);
            store_close(s);
            _exit((int)rc);
        }
    }
    int ok = 0, conflict = 0;
    for (int i = 0; i < OPENERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        ok += WEXITSTATUS(status) == KH_OK;
        conflict += WEXITSTATUS(status) == KH_ERR_CONFLICT;
    }
    assert_int_equal(ok, 1);
    assert_int_equal(conflict, OPENERS - 1);
    assert_int_equal(store_open(f->path, &f->s), KH_OK);
    assert_int_equal(raw_int(f->path, "SELECT count(*) FROM refresh_tokens"), 2);
    assert_true(raw_int(f->path, "SELECT revoked_at FROM sessions WHERE id = 's-1'") > 0);
}

/* Connections of threads that exited are closed by the key destructor, the
 * rest by store_close; ASan's leak check sees either miss. */
static void *use_store(void *p)
{
    struct store *s = p;
    return (void *)(intptr_t)store_ping(s);
}

static void test_thread_connections(void **state)
{
    struct fixture *f = *state;
    for (int i = 0; i < 4; i++) {
        pthread_t th;
        void *rc = NULL;
        assert_int_equal(pthread_create(&th, NULL, use_store, f->s), 0);
        assert_int_equal(pthread_join(th, &rc), 0);
        assert_int_equal((intptr_t)rc, KH_OK);
    }
    struct sqlite_store *st = (struct sqlite_store *)f->s;
    int n = 0;
    for (struct thread_conn *c = st->conns.head; c; c = c->next)
        n++;
    assert_int_equal(n, 1); /* only the opening thread's */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
        cmocka_unit_test(test_open_refused),
        cmocka_unit_test_setup_teardown(test_migration_failure, fixture_new, teardown),
        cmocka_unit_test_setup_teardown(test_upgrade_from_0001, fixture_new, teardown),
        cmocka_unit_test_setup_teardown(test_query_plans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_open, fixture_new, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_race_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_connections, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_sqlite", tests, NULL, NULL);
}
