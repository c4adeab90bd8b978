/* test_lockout.c - the brute-force counters (SQLite store ops, migration 0008)
 * with injected times: counting, the threshold, doubling waits up to the
 * maximum, forgetting after the reset time, waits that never shorten, clear,
 * list order and cursor, purge of forgotten counters only. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/arena.h"
#include "store/store.h"
#include "store/backend.h"

#define T0 1700000000

struct fixture {
    struct backend_fixture b;
    struct store *s;
    struct arena a;
    int64_t realm;
};

static const struct lockout_rule RULE = {.threshold = 3, .base_wait = 10, .max_wait = 50,
                                         .reset = 1000};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    if (backend_open(&f->b, &f->s))
        return -1;
    arena_init(&f->a);
    struct realm r = {.name = "main", .alg = "ES256", .access_ttl = 300, .refresh_idle_ttl = 1800,
                      .session_max_ttl = 36000, .offline_idle_ttl = 2592000, .created_at = T0,
                      .lockout_threshold = 3, .lockout_ip_threshold = 3, .lockout_base_wait = 10,
                      .lockout_max_wait = 50, .lockout_reset = 1000};
    if (store_realm_create(f->s, &r, &f->realm))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    arena_free(&f->a);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

static struct lockout_row count(struct fixture *f, const char *kind, const char *key, int64_t at)
{
    struct lockout_row r;
    assert_int_equal(store_lockout_fail(f->s, f->realm, kind, key, at, &RULE, &r), KH_OK);
    return r;
}

static struct lockout_row find(struct fixture *f, const char *kind, const char *key)
{
    struct lockout_row r = {.kind = kind, .key = key, .failures = -1};
    assert_int_equal(store_lockout_find(f->s, f->realm, &r, 1), KH_OK);
    return r;
}

static void test_threshold_and_doubling_waits(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(count(f, "user", "alice", T0).locked_until, 0);
    assert_int_equal(count(f, "user", "alice", T0 + 1).locked_until, 0);
    struct lockout_row r = count(f, "user", "alice", T0 + 2); /* the threshold */
    assert_int_equal(r.failures, 3);
    assert_int_equal(r.first_failure_at, T0);
    assert_int_equal(r.locked_until, T0 + 2 + 10);
    /* each failure after a wait doubles the next wait: 20, 40, then the maximum 50 */
    assert_int_equal(count(f, "user", "alice", T0 + 100).locked_until, T0 + 100 + 20);
    assert_int_equal(count(f, "user", "alice", T0 + 200).locked_until, T0 + 200 + 40);
    assert_int_equal(count(f, "user", "alice", T0 + 300).locked_until, T0 + 300 + 50);
    r = count(f, "user", "alice", T0 + 400);
    assert_int_equal(r.failures, 7);
    assert_int_equal(r.locked_until, T0 + 400 + 50);
    /* another key of the same name and of another kind is counted apart */
    assert_int_equal(find(f, "ip", "alice").failures, 0);
    assert_int_equal(find(f, "user", "bob").failures, 0);
    assert_int_equal(find(f, "user", "alice").failures, 7);
}

static void test_reset_after_quiet_time(void **state)
{
    struct fixture *f = *state;
    count(f, "ip", "10.0.0.1", T0);
    count(f, "ip", "10.0.0.1", T0 + 999);
    assert_int_equal(count(f, "ip", "10.0.0.1", T0 + 1500).failures, 3); /* 501 s after the previous */
    struct lockout_row r = count(f, "ip", "10.0.0.1", T0 + 2500);       /* 1000 s: forgotten */
    assert_int_equal(r.failures, 1);
    assert_int_equal(r.first_failure_at, T0 + 2500);
}

static void test_wait_never_shortens(void **state)
{
    struct fixture *f = *state;
    struct lockout_rule longer = RULE;
    longer.base_wait = 40;
    struct lockout_row r;
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_lockout_fail(f->s, f->realm, "client", "app", T0, &longer, &r), KH_OK);
    assert_int_equal(r.locked_until, T0 + 40);
    /* a failure counted concurrently under a shorter rule keeps the longer wait */
    r = count(f, "client", "app", T0 + 1);
    assert_int_equal(r.locked_until, T0 + 40);
    assert_int_equal(find(f, "client", "app").locked_until, T0 + 40);
}

static void test_no_lock_without_threshold(void **state)
{
    struct fixture *f = *state;
    struct lockout_rule off = RULE;
    off.threshold = 0;
    struct lockout_row r;
    for (int i = 0; i < 10; i++)
        assert_int_equal(store_lockout_fail(f->s, f->realm, "ip", "::1", T0 + i, &off, &r), KH_OK);
    assert_int_equal(r.failures, 10);
    assert_int_equal(r.locked_until, 0);
}

static void test_clear_and_list(void **state)
{
    struct fixture *f = *state;
    count(f, "user", "bob", T0);
    count(f, "user", "alice", T0);
    count(f, "ip", "10.0.0.2", T0);
    count(f, "client_ip", "10.0.0.2", T0);
    struct lockout_row *rows;
    size_t n;
    assert_int_equal(store_lockout_list(f->s, &f->a, f->realm, NULL, NULL, 2, &rows, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].kind, "client_ip");
    assert_string_equal(rows[1].kind, "ip");
    assert_int_equal(store_lockout_list(f->s, &f->a, f->realm, rows[1].kind, rows[1].key, 10, &rows,
                                        &n),
                     KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].key, "alice");
    assert_string_equal(rows[1].key, "bob");
    assert_int_equal(store_lockout_clear(f->s, f->realm, "user", "alice"), KH_OK);
    assert_int_equal(store_lockout_clear(f->s, f->realm, "user", "alice"), KH_ERR_NOTFOUND);
    assert_int_equal(store_lockout_clear(f->s, f->realm + 1, "user", "bob"), KH_ERR_NOTFOUND);
    assert_int_equal(find(f, "user", "bob").failures, 1);
    assert_int_equal(find(f, "user", "alice").failures, 0);
}

static void test_purge_forgotten_only(void **state)
{
    struct fixture *f = *state;
    count(f, "user", "old", T0);                  /* quiet for the reset time at T0 + 1000 */
    for (int i = 0; i < 10; i++)
        count(f, "user", "locked", T0 + 900);     /* locked until T0 + 950 (max 50) */
    count(f, "user", "recent", T0 + 500);
    struct purge_counts pc;
    assert_int_equal(store_purge(f->s, T0 + 999, 500, &pc), KH_OK);
    assert_int_equal(pc.lockouts, 0);
    assert_int_equal(store_purge(f->s, T0 + 1000, 500, &pc), KH_OK);
    assert_int_equal(pc.lockouts, 1);
    assert_int_equal(find(f, "user", "old").failures, 0);
    assert_int_equal(find(f, "user", "recent").failures, 1);
    assert_int_equal(store_purge(f->s, T0 + 1900, 500, &pc), KH_OK);
    assert_int_equal(pc.lockouts, 2);
    assert_int_equal(find(f, "user", "locked").failures, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_threshold_and_doubling_waits), T(test_reset_after_quiet_time),
        T(test_wait_never_shortens),          T(test_no_lock_without_threshold),
        T(test_clear_and_list),               T(test_purge_forgotten_only),
    };
    return BACKEND_RUN("store_lockout", tests);
}
