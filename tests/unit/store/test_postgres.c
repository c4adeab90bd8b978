/* test_postgres.c - what is PostgreSQL's own (the contract suite is
 * test_contract.c): the atomic decisions under real concurrency, from many
 * connections of one instance (threads: each thread has its own connection)
 * and of several instances (processes: each opens its own store). One refresh
 * token presented RACERS times at once rotates exactly once (twice with a
 * reuse grace), and the losers revoke the family; failures of one key
 * counted at once are each counted once.
 *
 * Runs only against PostgreSQL (its cases skip in the SQLite group):
 * `tools/pg.sh run ./build/asan/tests/unit/store/test_postgres`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
/* Only the contract's helpers (ct_realm, ct_session, ...) are used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "store/store_contract.h"
#include "store/backend.h"

#define RACERS 100 /* presentations of one token, in all */
#define PROCS 4    /* instances sharing them */
#define PER_PROC (RACERS / PROCS)

struct fixture {
    struct backend_fixture b;
    struct store *s;
    int64_t realm;
    int64_t now;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    *state = f;
    if (!backend_is_postgres())
        return 0;
    return backend_open(&f->b, &f->s);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (f->s)
        store_close(f->s);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

/* A realm and session s-1 whose first token is "khr_one". */
static void one_session(struct fixture *f)
{
    f->realm = ct_realm(f->s, "main");
    f->now = clock_now();
    ct_session(f->s, f->realm, "s-1", NULL, "khr_one", f->now);
}

/* What one racer does: a rotation of khr_one, or a failure of one key. */
enum race_kind { RACE_ROTATE, RACE_LOCKOUT };

struct race {
    struct store *s;
    enum race_kind kind;
    int64_t realm, now, grace;
    pthread_barrier_t ready, go;
};

struct racer {
    struct race *race;
    int index;             /* 0..RACERS-1 over every process */
    enum kh_status rc;
    int64_t failures;      /* RACE_LOCKOUT: the count it saw */
};

static const struct lockout_rule RULE = {.threshold = 5, .base_wait = 10, .max_wait = 900,
                                         .reset = 43200};

static void racer_token(int index, char *buf, size_t len)
{
    snprintf(buf, len, "khr_next_%d", index);
}

static void *racer_run(void *p)
{
    struct racer *r = p;
    struct race *race = r->race;
    /* Connected (and the connection's first round trip done) before the start. */
    enum kh_status ping = store_ping(race->s);
    pthread_barrier_wait(&race->ready);
    pthread_barrier_wait(&race->go);
    if (ping) {
        r->rc = ping;
        return NULL;
    }
    if (race->kind == RACE_ROTATE) {
        uint8_t old[SHA256_LEN];
        ct_hash("khr_one", old);
        char token[32];
        racer_token(r->index, token, sizeof(token));
        struct refresh_token next = ct_next("s-1", race->realm, token, race->now + 1);
        r->rc = store_refresh_rotate(race->s, old, &next, race->now + 1, race->grace);
    } else {
        struct lockout_row row = {0};
        r->rc = store_lockout_fail(race->s, race->realm, "user", "alice", race->now, &RULE, &row);
        r->failures = row.failures;
    }
    return NULL;
}

/* Runs n racers (indexes first..first+n-1) on race->s, all released at
 * once; `gate` (if any) runs once all are connected, before the release. */
static void run_racers(struct race *race, struct racer *racers, int first, int n,
                       void (*gate)(void *), void *gate_arg)
{
    pthread_t th[RACERS];
    if (pthread_barrier_init(&race->ready, NULL, (unsigned)n + 1) ||
        pthread_barrier_init(&race->go, NULL, (unsigned)n + 1))
        abort();
    for (int i = 0; i < n; i++) {
        racers[i] = (struct racer){.race = race, .index = first + i, .rc = KH_ERR_INTERNAL};
        if (pthread_create(&th[i], NULL, racer_run, &racers[i]))
            abort();
    }
    pthread_barrier_wait(&race->ready);
    if (gate)
        gate(gate_arg);
    pthread_barrier_wait(&race->go);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&race->ready);
    pthread_barrier_destroy(&race->go);
}

/* The outcome of a rotation race, summed over threads or processes. */
struct tally {
    int ok, conflict, other;
    int winners[2];
    int64_t seen[RACERS]; /* RACE_LOCKOUT: the count each racer saw */
};

static void tally_add(struct tally *t, const struct racer *racers, int n)
{
    for (int i = 0; i < n; i++) {
        if (racers[i].rc == KH_OK) {
            if (t->ok < 2)
                t->winners[t->ok] = racers[i].index;
            t->ok++;
        } else if (racers[i].rc == KH_ERR_CONFLICT) {
            t->conflict++;
        } else {
            t->other++;
        }
        t->seen[racers[i].index] = racers[i].failures;
    }
}

/* After a rotation race: the winners' tokens stored (and, the family
 * revoked by the losers, used and retried), every loser's missing. */
static void check_rotation(struct fixture *f, const struct tally *t, int want_ok)
{
    assert_int_equal(t->other, 0);
    assert_int_equal(t->ok, want_ok);
    assert_int_equal(t->conflict, RACERS - want_ok);
    uint8_t h[SHA256_LEN];
    ct_hash("khr_one", h);
    ct_token_state(f->s, h, f->now + 1, true, f->now + 1);
    for (int i = 0; i < RACERS; i++) {
        char token[32];
        racer_token(i, token, sizeof(token));
        ct_hash(token, h);
        if (i == t->winners[0] || (want_ok == 2 && i == t->winners[1]))
            ct_token_state(f->s, h, f->now + 1, true, f->now + 1);
        else
            ct_token_missing(f->s, h);
    }
}

static void rotate_threads(void **state, int64_t grace, int want_ok)
{
    struct fixture *f = *state;
    if (!backend_is_postgres())
        skip();
    one_session(f);
    struct race race = {.s = f->s, .kind = RACE_ROTATE, .realm = f->realm, .now = f->now,
                        .grace = grace};
    static struct racer racers[RACERS];
    run_racers(&race, racers, 0, RACERS, NULL, NULL);
    struct tally t = {0};
    tally_add(&t, racers, RACERS);
    check_rotation(f, &t, want_ok);
}

/* RACERS threads, each with its own connection: one winner. */
static void test_rotate_race_threads(void **state)
{
    rotate_threads(state, 0, 1);
}

/* With a grace: the first use and one retry win, the rest revoke. */
static void test_rotate_grace_race_threads(void **state)
{
    rotate_threads(state, 5, 2);
}

/* Process start gate: each child says it is ready on one pipe and waits for
 * a byte on another. */
struct gate {
    int ready_w, go_r;
};

static void child_gate(void *p)
{
    struct gate *g = p;
    char c = 'r';
    if (write(g->ready_w, &c, 1) != 1 || read(g->go_r, &c, 1) != 1)
        _exit(101);
}

/* One instance: its own store, PER_PROC racers; the tally to `out`. */
static void child(const struct fixture *f, enum race_kind kind, int64_t grace, int proc,
                  struct gate *g, int out)
{
    struct store *s = NULL;
    if (store_open(getenv("KEYHOLD_TEST_PG"), &s) != KH_OK)
        _exit(100);
    struct race race = {.s = s, .kind = kind, .realm = f->realm, .now = f->now, .grace = grace};
    static struct racer racers[PER_PROC];
    run_racers(&race, racers, proc * PER_PROC, PER_PROC, child_gate, g);
    struct tally t = {0};
    tally_add(&t, racers, PER_PROC);
    store_close(s);
    size_t len = sizeof(t);
    _exit(write(out, &t, len) == (ssize_t)len ? 0 : 102);
}

/* PROCS instances race; their tallies summed into *sum. The parent's store
 * is closed across the forks (no connection may be shared) and reopened. */
static void race_processes(struct fixture *f, enum race_kind kind, int64_t grace,
                           struct tally *sum)
{
    store_close(f->s);
    f->s = NULL;
    int ready[2], go[2], out[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    assert_int_equal(pipe(out), 0);
    pid_t pids[PROCS];
    for (int i = 0; i < PROCS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct gate g = {.ready_w = ready[1], .go_r = go[0]};
            child(f, kind, grace, i, &g, out[1]);
        }
    }
    char c;
    for (int i = 0; i < PROCS; i++)
        assert_int_equal(read(ready[0], &c, 1), 1);
    char bytes[PROCS];
    memset(bytes, 'g', sizeof(bytes));
    assert_int_equal(write(go[1], bytes, sizeof(bytes)), PROCS); /* all at once */
    memset(sum, 0, sizeof(*sum));
    for (int i = 0; i < PROCS; i++) {
        struct tally t;
        size_t got = 0;
        while (got < sizeof(t)) {
            ssize_t n = read(out[0], (char *)&t + got, sizeof(t) - got);
            assert_true(n > 0);
            got += (size_t)n;
        }
        for (int w = 0; w < t.ok && w < 2 && sum->ok + w < 2; w++)
            sum->winners[sum->ok + w] = t.winners[w];
        sum->ok += t.ok;
        sum->conflict += t.conflict;
        sum->other += t.other;
        for (int k = 0; k < RACERS; k++)
            sum->seen[k] += t.seen[k];
    }
    for (int i = 0; i < PROCS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    for (int i = 0; i < 2; i++) {
        close(ready[i]);
        close(go[i]);
        close(out[i]);
    }
    assert_int_equal(store_open(f->b.url, &f->s), KH_OK);
}

static void rotate_processes(void **state, int64_t grace, int want_ok)
{
    struct fixture *f = *state;
    if (!backend_is_postgres())
        skip();
    one_session(f);
    struct tally t;
    race_processes(f, RACE_ROTATE, grace, &t);
    check_rotation(f, &t, want_ok);
}

/* PROCS instances on one database, PER_PROC connections each: one winner. */
static void test_rotate_race_processes(void **state)
{
    rotate_processes(state, 0, 1);
}

static void test_rotate_grace_race_processes(void **state)
{
    rotate_processes(state, 5, 2);
}

/* RACERS failures of one key at once, from every instance: each counted
 * once (the counts seen are 1..RACERS, each once), and the lock is the
 * longest wait. */
static void test_lockout_race_processes(void **state)
{
    struct fixture *f = *state;
    if (!backend_is_postgres())
        skip();
    f->realm = ct_realm(f->s, "main");
    f->now = clock_now();
    struct tally t;
    race_processes(f, RACE_LOCKOUT, 0, &t);
    assert_int_equal(t.other, 0);
    assert_int_equal(t.ok, RACERS);
    bool seen[RACERS + 1] = {false};
    for (int i = 0; i < RACERS; i++) {
        assert_in_range(t.seen[i], 1, RACERS);
        assert_false(seen[t.seen[i]]);
        seen[t.seen[i]] = true;
    }
    struct lockout_row row = {.kind = "user", .key = "alice"};
    assert_int_equal(store_lockout_find(f->s, f->realm, &row, 1), KH_OK);
    assert_int_equal(row.failures, RACERS);
    assert_int_equal(row.locked_until, f->now + RULE.max_wait);
}

/* A client rotating its chain while the session is revoked from another
 * connection: no rotation that starts after the revocation returned may
 * succeed, and the chain's last token cannot rotate either. The window (a
 * rotation committing between the revocation's snapshot and its end) is
 * narrow: CHAIN_ROUNDS sessions, each revoked after another number of
 * rotations, by one chain thread (one connection) that runs them all. */
#define CHAIN_ROUNDS 40

struct chain {
    struct store *s;
    int64_t realm, now;
    pthread_barrier_t start, done;
    char sid[16];
    atomic_bool revoked;     /* set once session_revoke returned */
    atomic_int rotations;
    int late_successes;      /* rotations begun after it that still succeeded */
    char last[32];           /* the token the chain ended with */
};

static void chain_round(struct chain *ch)
{
    char old[32];
    snprintf(old, sizeof(old), "khr_%s", ch->sid);
    for (int i = 0; i < 100000; i++) {
        uint8_t h[SHA256_LEN];
        ct_hash(old, h);
        char token[32];
        snprintf(token, sizeof(token), "khr_%s_%d", ch->sid, i);
        struct refresh_token next = ct_next(ch->sid, ch->realm, token, ch->now + 1);
        bool after = atomic_load(&ch->revoked);
        enum kh_status rc = store_refresh_rotate(ch->s, h, &next, ch->now + 1, 5);
        if (rc != KH_OK)
            break;
        atomic_fetch_add(&ch->rotations, 1);
        ch->late_successes += after;
        snprintf(old, sizeof(old), "%s", token);
    }
    snprintf(ch->last, sizeof(ch->last), "%s", old);
}

static void *chain_run(void *p)
{
    struct chain *ch = p;
    for (int round = 0; round < CHAIN_ROUNDS; round++) {
        pthread_barrier_wait(&ch->start);
        chain_round(ch);
        pthread_barrier_wait(&ch->done);
    }
    return NULL;
}

static void test_revoke_during_rotations(void **state)
{
    struct fixture *f = *state;
    if (!backend_is_postgres())
        skip();
    f->realm = ct_realm(f->s, "main");
    f->now = clock_now();
    static struct chain ch;
    ch = (struct chain){.s = f->s, .realm = f->realm, .now = f->now};
    assert_int_equal(pthread_barrier_init(&ch.start, NULL, 2), 0);
    assert_int_equal(pthread_barrier_init(&ch.done, NULL, 2), 0);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, chain_run, &ch), 0);
    for (int round = 0; round < CHAIN_ROUNDS; round++) {
        snprintf(ch.sid, sizeof(ch.sid), "s-%d", round);
        char first[32];
        snprintf(first, sizeof(first), "khr_%s", ch.sid);
        ct_session(f->s, f->realm, ch.sid, NULL, first, f->now);
        atomic_store(&ch.revoked, false);
        atomic_store(&ch.rotations, 0);
        ch.late_successes = 0;
        pthread_barrier_wait(&ch.start);
        while (atomic_load(&ch.rotations) < round % 8 + 1)
            sched_yield();
        assert_int_equal(store_session_revoke(f->s, ch.sid, f->now + 1), KH_OK);
        atomic_store(&ch.revoked, true);
        pthread_barrier_wait(&ch.done);
        assert_int_equal(ch.late_successes, 0);
        uint8_t h[SHA256_LEN];
        ct_hash(ch.last, h);
        struct refresh_token next = ct_next(ch.sid, f->realm, "khr_after", f->now + 2);
        assert_int_equal(store_refresh_rotate(f->s, h, &next, f->now + 2, 5), KH_ERR_CONFLICT);
        ct_token_missing(f->s, next.hash);
    }
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_barrier_destroy(&ch.start);
    pthread_barrier_destroy(&ch.done);
}

/* Each instance keeps the realms it read for PG_REALM_CACHE_US (1 s): a
 * change through it is seen there at once, through another instance within
 * that time. */
static void test_realm_cache(void **state)
{
    struct fixture *f = *state;
    if (!f->s)
        skip();
    struct store *other = NULL;
    assert_int_equal(store_open(f->b.url, &other), KH_OK);
    struct arena a;
    arena_init(&a);
    int64_t id = ct_realm(f->s, "cached");
    struct realm mine, theirs;
    assert_int_equal(store_realm_find(f->s, &a, "cached", &mine), KH_OK);
    assert_int_equal(store_realm_find(other, &a, "cached", &theirs), KH_OK);
    assert_int_equal(theirs.access_ttl, 300);
    assert_int_equal(store_realm_find(f->s, &a, "absent", &mine), KH_ERR_NOTFOUND);

    mine.access_ttl = 60;
    assert_int_equal(store_realm_update(f->s, &mine), KH_OK);
    assert_int_equal(store_realm_find(f->s, &a, "cached", &mine), KH_OK);
    assert_int_equal(mine.access_ttl, 60); /* here: at once */
    assert_int_equal(mine.id, id);
    assert_string_equal(mine.name, "cached");
    assert_string_equal(mine.alg, "ES256");
    int64_t start = clock_mono_us();
    do {
        assert_int_equal(store_realm_find(other, &a, "cached", &theirs), KH_OK);
        assert_true(clock_mono_us() - start < 1500000); /* elsewhere: within 1 s (+ slack) */
        usleep(20000);
    } while (theirs.access_ttl != 60);
    arena_free(&a);
    store_close(other);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_rotate_race_threads),        T(test_rotate_grace_race_threads),
        T(test_rotate_race_processes),      T(test_rotate_grace_race_processes),
        T(test_lockout_race_processes),     T(test_revoke_during_rotations),
        T(test_realm_cache),
    };
    return BACKEND_RUN("store_postgres", tests);
}
