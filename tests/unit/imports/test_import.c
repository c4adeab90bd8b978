/* test_import.c - the import engine on a real store (SQLite, then
 * PostgreSQL: backend.h): upsert by username and by email, per-row errors,
 * batches, dry runs, atomic imports, and failures of the whole input that
 * write nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "imports/import.h"
#include "oauth/manage.h"
#include "store/backend.h"

struct fixture {
    struct backend_fixture b;
    struct store *s;
    struct arena a;
    struct realm realm;
    struct import *imp;
    struct import_result res;
    const char *why;
};

static int teardown(void **state)
{
    struct fixture *f = *state;
    import_free(f->imp);
    store_close(f->s);
    arena_free(&f->a);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    arena_init(&f->a);
    uint8_t master[AEAD_KEY_LEN] = {0};
    const char *why = NULL;
    const char *perm[] = {"users:read"};
    if (backend_open(&f->b, &f->s) || manage_realm_create(f->s, master, "r1", NULL, &why) ||
        manage_realm_get(f->s, &f->a, "r1", &f->realm, &why) ||
        manage_role_create(f->s, &f->a, "r1", "reader", perm, 1, false, &why) ||
        manage_role_create(f->s, &f->a, "r1", "writer", perm, 1, false, &why)) {
        teardown(state); /* cmocka runs no teardown after a failed setup */
        return -1;
    }
    return 0;
}

/* Runs one import of s (fed in chunks of 7 bytes); the record in f->res. */
static enum kh_status run(struct fixture *f, enum import_format fmt, const char *s, bool dry_run,
                          bool atomic)
{
    import_free(f->imp);
    f->imp = NULL;
    struct import_options o = {.format = fmt, .dry_run = dry_run, .atomic = atomic};
    assert_int_equal(import_new(f->s, f->realm.id, &o, &f->imp), KH_OK);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += 7)
        if (import_feed(f->imp, s + i, n - i < 7 ? n - i : 7))
            break;
    memset(&f->res, 0, sizeof f->res);
    return import_finish(f->imp, &f->res, &f->why);
}

#define CSV_OK(f, s, dry, atomic) assert_int_equal(run(f, IMPORT_CSV, s, dry, atomic), KH_OK)

static void expect_counts(struct fixture *f, size_t created, size_t updated, size_t failed)
{
    assert_int_equal(f->res.created, created);
    assert_int_equal(f->res.updated, updated);
    assert_int_equal(f->res.failed, failed);
}

static bool find(struct fixture *f, const char *username, struct user *u)
{
    enum kh_status rc = store_user_find_by_name(f->s, &f->a, f->realm.id, username, u);
    assert_true(rc == KH_OK || rc == KH_ERR_NOTFOUND);
    return rc == KH_OK;
}

static const char *roles_of(struct fixture *f, const char *username)
{
    struct user u;
    struct access acc;
    assert_true(find(f, username, &u));
    assert_int_equal(store_user_access(f->s, &f->a, f->realm.id, u.id, NULL, &acc), KH_OK);
    const char *out = "";
    for (size_t i = 0; i < acc.n_roles; i++)
        out = arena_printf(&f->a, "%s%s%s", out, i ? "," : "", acc.roles[i]);
    return out;
}

static void test_upsert(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username,email,first_name,last_name,roles\n"
              "Ann,ann@x.io,Ann,Lee,reader\n"
              "bob,bob@x.io,Bob,,reader;writer\n", false, false);
    expect_counts(f, 2, 0, 0);
    struct user u;
    assert_true(find(f, "ann", &u));
    assert_string_equal(u.email, "ann@x.io");
    assert_null(u.password_hash);
    assert_true(u.enabled);
    assert_int_equal(strlen(u.id), 36);
    assert_string_equal(roles_of(f, "bob"), "reader,writer");
    /* ANN is ann; absent columns keep their values; empty fields clear; roles replaced. */
    CSV_OK(f, "username,last_name,roles\nANN,,writer\n", false, false);
    expect_counts(f, 0, 1, 0);
    assert_true(find(f, "ann", &u));
    assert_string_equal(u.first_name, "Ann");
    assert_null(u.last_name);
    assert_string_equal(roles_of(f, "ann"), "writer");
    assert_string_equal(roles_of(f, "bob"), "reader,writer");
    /* No username: by email, ASCII case ignored; a new one is named by its email. */
    CSV_OK(f, "email,first_name,roles\nBOB@x.io,Robert,\nNew@X.io,N,\n", false, false);
    expect_counts(f, 1, 1, 0);
    assert_true(find(f, "bob", &u));
    assert_string_equal(u.first_name, "Robert");
    assert_string_equal(roles_of(f, "bob"), "");
    assert_true(find(f, "new@x.io", &u));
    assert_string_equal(u.email, "New@X.io");
}

static void test_row_errors(void **state)
{
    struct fixture *f = *state;
    char long_name[300];
    memset(long_name, 'x', 256);
    long_name[256] = '\0';
    const char *in = arena_printf(&f->a,
        "username,email,first_name,roles\n"
        "good1,g1@x.io,G,reader\n"   /* 1 */
        "bad,not-an-email,,\n"       /* 2 */
        "long,,%s,\n"                /* 3 */
        "norole,,,reader;ghost\n"    /* 4 */
        "GOOD1,,,\n"                 /* 5: same user as row 1 */
        ",,nobody,\n"                /* 6 */
        "sp ace,,,\n"                /* 7 */
        "good2,,,\n",                /* 8 */
        long_name);
    CSV_OK(f, in, false, false);
    expect_counts(f, 2, 0, 6);
    assert_int_equal(f->res.n_errors, 6);
    const size_t rows[] = {2, 3, 4, 5, 6, 7};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f->res.errors[i].row, rows[i]);
    assert_string_equal(f->res.errors[1].message, "the first_name is longer than 255 bytes");
    assert_string_equal(f->res.errors[2].message, "unknown role \"ghost\"");
    assert_non_null(strstr(f->res.errors[3].message, "earlier row"));
    struct user u;
    assert_true(find(f, "good1", &u));
    assert_true(find(f, "good2", &u));
    assert_false(find(f, "norole", &u)); /* the failed row left nothing behind */
    assert_false(find(f, "bad", &u));
}

static void test_dry_run(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username\nold\n", false, false);
    CSV_OK(f, "username,roles\nold,reader\nfresh,\nfresh,\nx,ghost\n", true, false);
    expect_counts(f, 1, 1, 2); /* what the import would do, duplicates and roles checked */
    assert_true(f->res.dry_run);
    struct user u;
    assert_false(find(f, "fresh", &u));
    assert_string_equal(roles_of(f, "old"), "");
    /* The store is free again: a real import goes through. */
    CSV_OK(f, "username\nfresh\n", false, false);
    expect_counts(f, 1, 0, 0);
}

static void test_atomic(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username,email\nok1,\nok2,\nbad,nope\n", false, true);
    expect_counts(f, 0, 0, 1);
    assert_true(f->res.rolled_back);
    struct user u;
    assert_false(find(f, "ok1", &u));
    CSV_OK(f, "username,email\nok1,\nok2,\n", false, true);
    expect_counts(f, 2, 0, 0);
    assert_false(f->res.rolled_back);
}

/* 1,234 rows (three store calls), then a malformed row: nothing is written. */
static void test_batches_and_failure(void **state)
{
    struct fixture *f = *state;
    struct buf b;
    buf_init(&b, 1 << 20);
    assert_int_equal(buf_addstr(&b, "username,email,roles\n"), KH_OK);
    for (int i = 0; i < 1234; i++)
        assert_int_equal(buf_printf(&b, "u%d,u%d@x.io,%s\n", i, i, i % 3 ? "reader" : ""), KH_OK);
    size_t good = b.len;
    assert_int_equal(buf_addstr(&b, "broken,\"x\"y,\n"), KH_OK);
    assert_int_equal(run(f, IMPORT_CSV, b.data, false, false), KH_ERR_INVALID);
    assert_non_null(strstr(f->why, "data row 1235"));
    struct user u;
    assert_false(find(f, "u1", &u));
    b.data[good] = '\0';
    CSV_OK(f, b.data, false, false);
    expect_counts(f, 1234, 0, 0);
    assert_int_equal(f->res.rows, 1234);
    assert_string_equal(roles_of(f, "u1232"), "reader");
    assert_string_equal(roles_of(f, "u1233"), "");
    CSV_OK(f, b.data, false, false);
    expect_counts(f, 0, 1234, 0);
    buf_free(&b);
}

static void test_email_ambiguous(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username,email\na,same@x.io\nb,SAME@x.io\n", false, false);
    CSV_OK(f, "email,first_name\nsame@x.io,Who\n", false, false);
    expect_counts(f, 0, 0, 1);
    assert_non_null(strstr(f->res.errors[0].message, "several users"));
}

/* An email matches without regard to ASCII case only, as SQLite's NOCASE:
 * a non-ASCII letter in another case is another email (and on PostgreSQL
 * the database's own locale, which would fold it, is not asked). */
static void test_email_ascii_case(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username,email\neve,\xc3\x88ve@X.io\n", false, false);
    CSV_OK(f, "email,first_name\n\xc3\x88VE@x.IO,E\n", false, false);
    expect_counts(f, 0, 1, 0);
    struct user u;
    assert_true(find(f, "eve", &u));
    assert_string_equal(u.first_name, "E");
    CSV_OK(f, "email,first_name\n\xc3\xa8ve@x.io,e\n", false, false);
    expect_counts(f, 1, 0, 0);
    assert_true(find(f, "\xc3\xa8ve@x.io", &u));
    assert_true(find(f, "eve", &u));
    assert_string_equal(u.first_name, "E");
}

#define BCRYPT "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"
#define PBKDF2 "$pbkdf2-sha256$27500$a2V5aG9sZC1zYWx0LTE2Yg$X79gw.v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG.sw8"

/* A password_hash is checked, stored as given, set on an existing user, and
 * left alone when empty; a malformed one is an error of its row. */
static void test_password_hash(void **state)
{
    struct fixture *f = *state;
    CSV_OK(f, "username,password_hash\nann," BCRYPT "\nbob,\ncid,$2b$31$x\n"
              "dan,$pbkdf2-sha256$5$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\n", false, false);
    expect_counts(f, 2, 0, 2);
    struct user u;
    assert_true(find(f, "ann", &u));
    assert_string_equal(u.password_hash, BCRYPT);
    assert_true(find(f, "bob", &u));
    assert_null(u.password_hash);
    assert_false(find(f, "cid", &u));
    assert_string_equal(f->res.errors[0].field, "password_hash");
    assert_non_null(strstr(f->res.errors[0].message, "bcrypt"));
    assert_null(strstr(f->res.errors[0].message, "$2b$31$x")); /* never quoted */
    assert_non_null(strstr(f->res.errors[1].message, "iterations"));
    /* An update sets it; an empty field or an absent column leaves it. */
    CSV_OK(f, "username,password_hash\nann," PBKDF2 "\nbob," BCRYPT "\n", false, false);
    expect_counts(f, 0, 2, 0);
    assert_true(find(f, "ann", &u));
    assert_string_equal(u.password_hash, PBKDF2);
    CSV_OK(f, "username,password_hash,first_name\nann,,A\n", false, false);
    CSV_OK(f, "username,first_name\nann,B\n", false, false);
    assert_true(find(f, "ann", &u));
    assert_string_equal(u.password_hash, PBKDF2);
    assert_int_equal(run(f, IMPORT_JSON,
                         "{\"users\":[{\"username\":\"eve\",\"password_hash\":{\"algorithm\":"
                         "\"pbkdf2-sha512\",\"iterations\":210000,\"salt\":\"a2V5aG9sZC1zYWx0LTE2Yg==\","
                         "\"hash\":\"7h6BJWGtlXk+zrZOH28cwo6nCskmV9lJyw10dpMbzbYJJtbrN/tgYD7W2e12Q70kg"
                         "ZVquTQcmaN7ahpV08DPgQ==\"}},{\"username\":\"fay\",\"password\":\"pw\"}]}",
                         false, false), KH_OK);
    expect_counts(f, 1, 0, 1);
    assert_true(find(f, "eve", &u));
    assert_memory_equal(u.password_hash, "$pbkdf2-sha512$i=210000$", 24);
    assert_false(find(f, "fay", &u));
}

static void test_json(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(run(f, IMPORT_JSON,
                         "{\"users\":[{\"username\":\"J1\",\"email\":\"j1@x.io\","
                         "\"roles\":[\"reader\"]},"
                         "{\"username\":\"j2\",\"first_name\":\"a\\tb\"},"
                         "{\"email\":\"j3@x.io\",\"last_name\":null}]}", false, false),
                     KH_OK);
    expect_counts(f, 2, 0, 1);
    assert_int_equal(f->res.errors[0].row, 2);
    assert_non_null(strstr(f->res.errors[0].message, "control character"));
    assert_string_equal(roles_of(f, "j1"), "reader");
    assert_int_equal(run(f, IMPORT_JSON, "{\"users\":[{\"username\":1}", false, false),
                     KH_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_upsert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_row_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batches_and_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_email_ambiguous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_email_ascii_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_hash, setup, teardown),
    };
    return BACKEND_RUN("import", tests);
}
