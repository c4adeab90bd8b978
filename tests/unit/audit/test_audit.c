/* test_audit.c - the audit log: the chain's bytes, the store ops, the
 * writer thread, the retention purge and its checkpoint, and verification of
 * every kind of tampering. Every test gets a fresh database: a SQLite file
 * under /tmp, then (with KEYHOLD_TEST_PG) PostgreSQL (store/backend.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit/audit.h"
#include "audit/chain.h"
#include "audit/format.h"
#include "audit/retention.h"
#include "audit/verify.h"
#include "core/clock.h"
#include "core/hash.h"
#include "store/backend.h"

static const uint8_t MASTER[AEAD_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t ZERO[SHA256_LEN];

struct fixture {
    struct backend_fixture b;
    struct store *s;
    int64_t realm, other;
};

static int64_t make_realm(struct store *s, const char *name)
{
    struct realm r = {.name = name, .alg = "ES256", .access_ttl = 300, .refresh_idle_ttl = 1800,
                      .session_max_ttl = 36000, .offline_idle_ttl = 2592000,
                      .created_at = clock_now()};
    int64_t id = 0;
    assert_int_equal(store_realm_create(s, &r, &id), KH_OK);
    return id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    if (backend_open(&f->b, &f->s))
        return -1;
    f->realm = make_realm(f->s, "r1");
    f->other = make_realm(f->s, "r2");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

/* Runs SQL statements on the database, as an attacker would: sqlite_sql on
 * SQLite's file, pg_sql (NULL: the same) on PostgreSQL. */
static void tamper_sql(struct fixture *f, const char *sqlite_sql, const char *pg_sql)
{
    if (backend_is_postgres()) {
        PGconn *db = PQconnectdb(f->b.url);
        PGresult *r = PQexec(db, pg_sql ? pg_sql : sqlite_sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("tamper: %s", PQerrorMessage(db));
        PQclear(r);
        PQfinish(db);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->b.path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *err = NULL;
    if (sqlite3_exec(db, sqlite_sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("tamper: %s", err);
    sqlite3_close(db);
}

static void tamper(struct fixture *f, const char *sql)
{
    tamper_sql(f, sql, NULL);
}

/* Records n events of realm_id through the writer, `at` each, and flushes. */
static void record(struct store *s, int64_t realm_id, size_t n, int64_t at)
{
    struct audit *au;
    assert_int_equal(audit_open(s, &au), KH_OK);
    for (size_t i = 0; i < n; i++) {
        char target[32];
        snprintf(target, sizeof target, "t%zu", i);
        audit_record(au, &(struct audit_event){.realm_id = realm_id, .realm = "r",
                                               .type = AUDIT_TOKEN_ISSUED, .actor = "client:c",
                                               .target = target, .client_id = "c",
                                               .ip = "127.0.0.1", .outcome = "ok", .at = at});
    }
    assert_int_equal(audit_flush(au), KH_OK);
    audit_close(au);
}

static struct audit_verdict verify(struct fixture *f, int64_t realm_id)
{
    struct audit_verdict v;
    assert_int_equal(audit_verify(f->s, MASTER, realm_id, &v), KH_OK);
    return v;
}

/* The documented bytes: recomputed here by hand for one event. */
static void test_hash_bytes(void **state)
{
    (void)state;
    struct audit_entry e = {.realm_id = 7, .seq = 1, .at = 1700000000, .type = "realm.create",
                            .actor = "cli", .target = NULL, .outcome = "ok"};
    uint8_t buf[256], *p = buf, want[SHA256_LEN], got[SHA256_LEN];
    memcpy(p, "keyhold.audit.v1", 16), p += 16;
    memset(p, 0, 32), p += 32;
    const int64_t ints[] = {7, 1, 1700000000};
    for (size_t i = 0; i < 3; i++)
        for (int b = 7; b >= 0; b--)
            *p++ = (uint8_t)((uint64_t)ints[i] >> (8 * b));
    const char *strs[] = {"realm.create", "cli", NULL, NULL, NULL, "ok", NULL};
    for (size_t i = 0; i < 7; i++) {
        *p++ = strs[i] ? 1 : 0;
        if (!strs[i])
            continue;
        size_t n = strlen(strs[i]);
        *p++ = 0, *p++ = 0, *p++ = 0, *p++ = (uint8_t)n;
        memcpy(p, strs[i], n), p += n;
    }
    sha256(buf, (size_t)(p - buf), want);
    assert_int_equal(audit_chain_hash(&e, got), KH_OK);
    assert_memory_equal(got, want, SHA256_LEN);
    /* NULL and "" differ; so does every field */
    e.target = "";
    assert_int_equal(audit_chain_hash(&e, got), KH_OK);
    assert_memory_not_equal(got, want, SHA256_LEN);
}

/* A store-level link from head h of realm_id: the next event, typed type. */
static struct audit_entry next_event(int64_t realm_id, const struct audit_head *h,
                                     const char *type)
{
    struct audit_entry e = {.realm_id = realm_id, .seq = (h->found ? h->seq : h->max_seq) + 1,
                            .at = 10, .type = type, .outcome = "ok"};
    memcpy(e.prev_hash, h->hash, SHA256_LEN);
    assert_int_equal(audit_chain_hash(&e, e.hash), KH_OK);
    return e;
}

static void test_append_head_conflict(void **state)
{
    struct fixture *f = *state;
    struct audit_head h;
    assert_int_equal(store_audit_head(f->s, f->realm, &h), KH_OK);
    assert_false(h.found);
    assert_int_equal(h.max_seq, 0);
    struct audit_entry e[2] = {
        {.realm_id = f->realm, .seq = 1, .at = 10, .type = "a", .outcome = "ok"},
        {.realm_id = f->realm, .seq = 2, .at = 11, .type = "b", .outcome = "ok"},
    };
    assert_int_equal(audit_chain_hash(&e[0], e[0].hash), KH_OK);
    memcpy(e[1].prev_hash, e[0].hash, SHA256_LEN);
    assert_int_equal(audit_chain_hash(&e[1], e[1].hash), KH_OK);
    assert_int_equal(store_audit_append(f->s, e, 2), KH_OK);
    assert_true(e[0].id > 0 && e[1].id > e[0].id);
    assert_int_equal(store_audit_head(f->s, f->realm, &h), KH_OK);
    assert_true(h.found);
    assert_int_equal(h.seq, 2);
    assert_int_equal(h.last_id, e[1].id);
    assert_memory_equal(h.hash, e[1].hash, SHA256_LEN);
    /* a writer that read the head before these two loses: nothing written */
    struct audit_entry stale = {.realm_id = f->realm, .seq = 3, .at = 12, .type = "c",
                                .outcome = "ok"};
    memcpy(stale.prev_hash, e[0].hash, SHA256_LEN);
    assert_int_equal(store_audit_append(f->s, &stale, 1), KH_ERR_CONFLICT);
    memset(stale.prev_hash, 0, SHA256_LEN); /* nor one that saw no head at all */
    assert_int_equal(store_audit_append(f->s, &stale, 1), KH_ERR_CONFLICT);
    /* one transaction for several realms: the other realm's first event,
     * right on its own, is not kept when this realm's is stale */
    struct audit_entry two[2] = {
        {.realm_id = f->other, .seq = 1, .at = 12, .type = "d", .outcome = "ok"},
        stale,
    };
    assert_int_equal(audit_chain_hash(&two[0], two[0].hash), KH_OK);
    assert_int_equal(store_audit_append(f->s, two, 2), KH_ERR_CONFLICT);
    assert_int_equal(store_audit_head(f->s, f->other, &h), KH_OK);
    assert_false(h.found);
    assert_int_equal(h.max_seq, 0);
    /* linked right, both realms move at once */
    two[1] = (struct audit_entry){.realm_id = f->realm, .seq = 3, .at = 12, .type = "c",
                                  .outcome = "ok"};
    memcpy(two[1].prev_hash, e[1].hash, SHA256_LEN);
    assert_int_equal(audit_chain_hash(&two[1], two[1].hash), KH_OK);
    assert_int_equal(store_audit_append(f->s, two, 2), KH_OK);
    assert_true(two[0].id > e[1].id && two[1].id > two[0].id);
    assert_int_equal(store_audit_head(f->s, f->other, &h), KH_OK);
    assert_true(h.found);
    assert_int_equal(h.last_id, two[0].id);
    assert_int_equal(store_audit_head(f->s, f->realm, &h), KH_OK);
    assert_int_equal(h.seq, 3);
    assert_int_equal(h.last_id, two[1].id);
    assert_memory_equal(h.hash, two[1].hash, SHA256_LEN);
    struct arena a;
    arena_init(&a);
    struct audit_entry *ev;
    size_t n;
    struct audit_query q = {.realm_id = f->realm, .limit = 10};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 3);
    assert_string_equal(ev[1].type, "b");
    assert_null(ev[1].actor);
    assert_memory_equal(ev[1].prev_hash, e[0].hash, SHA256_LEN);
    assert_int_equal(ev[2].id, two[1].id);
    assert_memory_equal(ev[2].hash, two[1].hash, SHA256_LEN);
    arena_free(&a);
    /* inside a batch a conflict fails that append alone */
    assert_int_equal(store_batch_begin(f->s), KH_OK);
    assert_int_equal(store_audit_append(f->s, &stale, 1), KH_ERR_CONFLICT);
    struct audit_entry next = next_event(f->realm, &h, "e");
    assert_int_equal(store_audit_append(f->s, &next, 1), KH_OK);
    assert_int_equal(store_batch_end(f->s), KH_OK);
    assert_int_equal(store_audit_head(f->s, f->realm, &h), KH_OK);
    assert_int_equal(h.seq, 4);
    assert_int_equal(h.last_id, next.id);
}

static void test_list_filters(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 5, 100);
    record(f->s, f->other, 3, 200);
    struct audit *au;
    assert_int_equal(audit_open(f->s, &au), KH_OK);
    audit_record(au, &(struct audit_event){.realm_id = f->realm, .type = AUDIT_TOKEN_REFUSED,
                                           .outcome = "invalid_grant", .at = 300});
    audit_record(au, &(struct audit_event){.realm_id = f->realm, .type = AUDIT_ROLE_CREATE,
                                           .at = 400});
    assert_int_equal(audit_flush(au), KH_OK);
    audit_close(au);
    struct arena a;
    arena_init(&a);
    struct audit_entry *ev;
    size_t n;
    struct audit_query q = {.realm_id = f->realm, .limit = 100};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 7); /* only this realm's */
    audit_type_filter("token.", &q);
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 6);
    audit_type_filter("token.refused", &q);
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].outcome, "invalid_grant");
    audit_type_filter("token", &q); /* no '.': exact, matches nothing */
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 0);
    q = (struct audit_query){.realm_id = f->realm, .since = 300, .limit = 100};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].outcome, "ok"); /* the default outcome */
    q = (struct audit_query){.realm_id = f->realm, .after_seq = 5, .limit = 1};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].seq, 6);
    arena_free(&a);
}

static void test_since_parse(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(audit_since_parse("1700000000", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(audit_since_parse("2023-11-14T22:13:20Z", &t), 0);
    assert_int_equal(t, 1700000000);
    assert_int_equal(audit_since_parse("2023-11-15T00:13:20.5+02:00", &t), 0);
    assert_int_equal(t, 1700000000);
    const char *bad[] = {"", "-1", "12x", "2023-13-01T00:00:00Z", "2023-11-14T22:13:20",
                         "2023-11-14", "9999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(audit_since_parse(bad[i], &t), -1);
}

/* Two realms, many events through the writer: each realm's chain is intact,
 * with its own seq from 1; CLI-like writers on the same file interleave. */
static void test_writer_chains(void **state)
{
    struct fixture *f = *state;
    struct audit *au;
    assert_int_equal(audit_open(f->s, &au), KH_OK);
    for (int i = 0; i < 3000; i++)
        audit_record(au, &(struct audit_event){.realm_id = i % 3 ? f->realm : f->other,
                                               .type = AUDIT_TOKEN_ISSUED});
    record(f->s, f->realm, 10, 0); /* a second writer meanwhile */
    assert_int_equal(audit_flush(au), KH_OK);
    audit_close(au);
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_INTACT);
    assert_int_equal(v.checked, 2010);
    assert_int_equal(v.head.seq, 2010);
    v = verify(f, f->other);
    assert_int_equal(v.broken, AUDIT_INTACT);
    assert_int_equal(v.checked, 1000);
}

/* Two keyhold instances on one database (two store_open calls, each with
 * its own audit writer) append to the same realms: in turn, then both at
 * once. The one that finds the head moved by the other links its events
 * again on the new head; every link is checked by `audit verify`. */
static void test_two_instances(void **state)
{
    struct fixture *f = *state;
    struct store *s2;
    assert_int_equal(store_open(f->b.url, &s2), KH_OK);
    /* the store refuses the second of two appends from one head */
    struct audit_head h1, h2;
    assert_int_equal(store_audit_head(f->s, f->realm, &h1), KH_OK);
    assert_int_equal(store_audit_head(s2, f->realm, &h2), KH_OK);
    struct audit_entry e1 = next_event(f->realm, &h1, "one"), e2 = next_event(f->realm, &h2, "two");
    assert_int_equal(store_audit_append(f->s, &e1, 1), KH_OK);
    assert_int_equal(store_audit_append(s2, &e2, 1), KH_ERR_CONFLICT);
    assert_int_equal(store_audit_head(s2, f->realm, &h2), KH_OK);
    e2 = next_event(f->realm, &h2, "two");
    assert_int_equal(store_audit_append(s2, &e2, 1), KH_OK);
    assert_int_equal(e2.seq, 2);

    struct audit *au[2];
    assert_int_equal(audit_open(f->s, &au[0]), KH_OK);
    assert_int_equal(audit_open(s2, &au[1]), KH_OK);
    for (int i = 0; i < 40; i++) { /* in turn: each continues the other's head */
        audit_record(au[i % 2], &(struct audit_event){.realm_id = f->realm,
                                                      .type = AUDIT_TOKEN_ISSUED,
                                                      .actor = i % 2 ? "two" : "one"});
        assert_int_equal(audit_flush(au[i % 2]), KH_OK);
    }
    for (int i = 0; i < 2000; i++) /* at once, batches of both realms racing */
        audit_record(au[i % 2], &(struct audit_event){.realm_id = i % 3 ? f->realm : f->other,
                                                      .type = AUDIT_TOKEN_ISSUED,
                                                      .actor = i % 2 ? "two" : "one"});
    assert_int_equal(audit_flush(au[0]), KH_OK);
    assert_int_equal(audit_flush(au[1]), KH_OK);
    audit_close(au[0]);
    audit_close(au[1]);
    store_close(s2);
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_INTACT);
    assert_int_equal(v.checked, 2 + 40 + 1333);
    assert_int_equal(v.head.seq, 2 + 40 + 1333);
    v = verify(f, f->other);
    assert_int_equal(v.broken, AUDIT_INTACT);
    assert_int_equal(v.checked, 667);
}

/* Long fields are cut at a character boundary; an event without a realm is
 * logged, not stored. */
static void test_record_fields(void **state)
{
    struct fixture *f = *state;
    char *big = malloc(AUDIT_FIELD_MAX + 10);
    memset(big, 'a', AUDIT_FIELD_MAX + 9);
    memcpy(big + AUDIT_FIELD_MAX - 1, "\xc3\xa9", 2); /* é across the cut */
    big[AUDIT_FIELD_MAX + 9] = '\0';
    struct audit *au;
    assert_int_equal(audit_open(f->s, &au), KH_OK);
    audit_record(au, &(struct audit_event){.realm_id = f->realm, .type = "x", .detail = big});
    audit_record(au, &(struct audit_event){.realm_id = 0, .type = "nowhere"});
    /* what is special to SQL, array or JSON literals is kept as it came */
    audit_record(au, &(struct audit_event){.realm_id = f->realm, .type = "y", .actor = "NULL",
                                           .target = "", .client_id = "{a,b}",
                                           .detail = "say \"hi\", C:\\x 'q'\n\xc3\xa9 $1"});
    assert_int_equal(audit_flush(au), KH_OK);
    audit_close(au);
    free(big);
    struct arena a;
    arena_init(&a);
    struct audit_entry *ev;
    size_t n;
    struct audit_query q = {.realm_id = f->realm, .limit = 10};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(strlen(ev[0].detail), AUDIT_FIELD_MAX - 1);
    assert_string_equal(ev[1].actor, "NULL");
    assert_string_equal(ev[1].target, "");
    assert_string_equal(ev[1].client_id, "{a,b}");
    assert_null(ev[1].ip);
    assert_string_equal(ev[1].detail, "say \"hi\", C:\\x 'q'\n\xc3\xa9 $1");
    arena_free(&a);
    assert_int_equal(verify(f, f->realm).broken, AUDIT_INTACT);
    q.realm_id = 0;
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    assert_int_equal(n, 0);
    arena_free(&a);
}

static void test_detects_edit(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 10, 0);
    tamper(f, "UPDATE audit_events SET actor = 'someone' WHERE seq = 4");
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_EDITED);
    assert_int_equal(v.seq, 4);
    assert_int_equal(v.checked, 3);
}

static void test_detects_rehashed_edit(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 10, 0);
    /* the attacker rewrites event 4's hash too: event 5 no longer links */
    tamper_sql(f, "UPDATE audit_events SET hash = zeroblob(32) WHERE seq = 4",
               "UPDATE audit_events SET hash = decode(repeat('00', 32), 'hex') WHERE seq = 4");
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_EDITED); /* its own hash no longer matches */
    assert_int_equal(v.seq, 4);
}

static void test_detects_deletions(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 10, 0);
    tamper(f, "DELETE FROM audit_events WHERE seq = 6");
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_UNLINKED);
    assert_int_equal(v.seq, 7);
    tamper(f, "DELETE FROM audit_events WHERE seq >= 6");
    v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_HEAD); /* the newest ones */
    assert_int_equal(v.checked, 5);
    /* the writer carries on from the head: the gap stays visible */
    record(f->s, f->realm, 1, 0);
    v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_UNLINKED);
    assert_int_equal(v.seq, 11);
    /* even with the head row gone, the writer does not collide and the
     * verifier still sees it */
    tamper(f, "DELETE FROM audit_heads");
    record(f->s, f->realm, 1, 0);
    v = verify(f, f->realm);
    assert_int_not_equal(v.broken, AUDIT_INTACT);
}

static void test_detects_head_rewind(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 5, 0);
    tamper(f, "DELETE FROM audit_events WHERE seq = 5; UPDATE audit_heads SET seq = 4, "
              "hash = (SELECT hash FROM audit_events WHERE seq = 4), "
              "last_id = (SELECT id FROM audit_events WHERE seq = 4)");
    /* a careful attacker who rewinds the head too is not caught by the head;
     * it is the documented limit (the checkpoint and head are not anchored
     * outside the database). This test pins that down. */
    assert_int_equal(verify(f, f->realm).broken, AUDIT_INTACT);
}

static void test_retention_checkpoint(void **state)
{
    struct fixture *f = *state;
    int64_t now = clock_now();
    record(f->s, f->realm, 1200, now - 100 * 86400); /* old */
    record(f->s, f->realm, 5, now);                  /* recent */
    uint8_t key[AUDIT_KEY_LEN];
    assert_int_equal(audit_checkpoint_key(MASTER, key), KH_OK);
    size_t removed = 0, total = 0;
    do {
        assert_int_equal(audit_purge_realm(f->s, key, f->realm, now - 90 * 86400, now,
                                           AUDIT_PURGE_BATCH, &removed),
                         KH_OK);
        total += removed;
    } while (removed);
    assert_int_equal(total, 1200);
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_INTACT);
    assert_true(v.has_checkpoint);
    assert_int_equal(v.checkpoint.seq, 1200);
    assert_int_equal(v.checked, 5);
    /* the other realm was not touched */
    record(f->s, f->other, 2, now - 100 * 86400);
    assert_int_equal(verify(f, f->other).checked, 2);
    /* a checkpoint moved forward to hide an event fails its signature */
    tamper(f, "DELETE FROM audit_events WHERE seq = 1201; UPDATE audit_checkpoints SET "
              "seq = 1201, hash = (SELECT prev_hash FROM audit_events WHERE seq = 1202)");
    v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_CHECKPOINT);
    /* and the purge refuses to go on from a forged checkpoint */
    assert_int_equal(audit_purge_realm(f->s, key, f->realm, now + 1, now, 10, &removed),
                     KH_ERR_DENIED);
}

static void test_purge_refuses_broken_chain(void **state)
{
    struct fixture *f = *state;
    int64_t now = clock_now();
    record(f->s, f->realm, 20, now - 1000);
    tamper(f, "UPDATE audit_events SET detail = 'x' WHERE seq = 3");
    uint8_t key[AUDIT_KEY_LEN];
    assert_int_equal(audit_checkpoint_key(MASTER, key), KH_OK);
    size_t removed = 99;
    assert_int_equal(audit_purge_realm(f->s, key, f->realm, now, now, 100, &removed),
                     KH_ERR_DENIED);
    assert_int_equal(removed, 99); /* untouched on failure */
    struct audit_verdict v = verify(f, f->realm);
    assert_int_equal(v.broken, AUDIT_EDITED); /* the evidence is still there */
    assert_int_equal(v.seq, 3);
}

/* A checkpoint is stored only if the chain's first event is still where the
 * purge read it (two purges at once) */
static void test_purge_conflict(void **state)
{
    struct fixture *f = *state;
    record(f->s, f->realm, 3, 10);
    struct arena a;
    arena_init(&a);
    struct audit_entry *ev;
    size_t n;
    struct audit_query q = {.realm_id = f->realm, .limit = 10};
    assert_int_equal(store_audit_list(f->s, &a, &q, &ev, &n), KH_OK);
    struct audit_checkpoint cp = {.realm_id = f->realm, .seq = 2, .event_id = ev[1].id,
                                  .event_at = 10, .created_at = 20};
    memcpy(cp.hash, ZERO, SHA256_LEN); /* not event 2's hash */
    assert_int_equal(store_audit_purge(f->s, &cp, 0, &n), KH_ERR_CONFLICT);
    memcpy(cp.hash, ev[1].hash, SHA256_LEN);
    assert_int_equal(store_audit_purge(f->s, &cp, 1, &n), KH_ERR_CONFLICT); /* no checkpoint at 1 */
    assert_int_equal(store_audit_purge(f->s, &cp, 0, &n), KH_OK);
    assert_int_equal(n, 2);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_hash_bytes),
        cmocka_unit_test(test_since_parse),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_append_head_conflict, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writer_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detects_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detects_rehashed_edit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detects_deletions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detects_head_rewind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_refuses_broken_chain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_conflict, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("audit", plain, NULL, NULL);
    return failed + BACKEND_RUN("audit_store", tests);
}
