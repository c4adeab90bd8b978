/* test_sqlite.c - the store contract against SQLite, plus what is SQLite's own:
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

#define CT_WRAP(name)                          \
    static void test_##name(void **state)      \
    {                                          \
        struct fixture *f = *state;            \
        contract_##name(f->s);                 \
    }
STORE_CONTRACT_TESTS(CT_WRAP)

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
    assert_int_equal(store_open("postgres://localhost/keyhold", &s), KH_ERR_INVALID);
    assert_int_equal(store_open("postgresql://u@h/db", &s), KH_ERR_INVALID);
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
            enum kh_status rc = store_refresh_rotate(s, old, &next, now + 1);
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
    for (struct sqlite_conn *c = st->conns; c; c = c->next)
        n++;
    assert_int_equal(n, 1); /* only the opening thread's */
}

#define CT_ENTRY(name) cmocka_unit_test_setup_teardown(test_##name, setup, teardown),

int main(void)
{
    const struct CMUnitTest tests[] = {
        STORE_CONTRACT_TESTS(CT_ENTRY)
        cmocka_unit_test_setup_teardown(test_migrations_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode, setup, teardown),
        cmocka_unit_test(test_open_refused),
        cmocka_unit_test_setup_teardown(test_migration_failure, fixture_new, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_open, fixture_new, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_race_processes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_connections, setup, teardown),
    };
    return cmocka_run_group_tests_name("store_sqlite", tests, NULL, NULL);
}
