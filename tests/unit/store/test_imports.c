/* test_imports.c - the import records of the store (migration 0006):
 * round trip with errors, realms kept apart, unknown ids, a taken id, a
 * record inside a batch that is rolled back leaves nothing, and a taken id
 * inside a batch fails that insert alone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/clock.h"
#include "store/store.h"
#include "store/backend.h"

struct fixture {
    struct backend_fixture b;
    struct store *s;
    int64_t main_id, other_id;
};

static int64_t realm(struct store *s, const char *name)
{
    struct realm r = {
        .name = name, .alg = "ES256", .access_ttl = 300, .refresh_idle_ttl = 1800,
        .session_max_ttl = 36000, .offline_idle_ttl = 2592000, .created_at = clock_now(),
    };
    int64_t id = 0;
    return store_realm_create(s, &r, &id) == KH_OK ? id : -1;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    *state = f;
    if (backend_open(&f->b, &f->s))
        return -1;
    f->main_id = realm(f->s, "main");
    f->other_id = realm(f->s, "other");
    *state = f;
    return f->main_id > 0 && f->other_id > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->s);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

static const struct import_record_error ERRORS[] = {
    {2, "email", "the email address is not valid"},
    {5, NULL, "the row has fewer fields than the header"},
};

static struct import_record record(int64_t realm_id, const char *id)
{
    return (struct import_record){
        .id = id, .realm_id = realm_id, .status = "completed", .format = "csv",
        .atomic = true, .rows = 7, .created = 3, .updated = 2, .failed = 2, .errors = ERRORS,
        .n_errors = 2, .errors_truncated = false, .created_at = 1700000000,
        .created_by = "client:job",
    };
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct arena a;
    arena_init(&a);
    struct import_record in = record(f->main_id, "11111111-1111-4111-8111-111111111111"), out;
    assert_int_equal(store_import_insert(f->s, &in), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, in.id, &out), KH_OK);
    assert_string_equal(out.id, in.id);
    assert_int_equal(out.realm_id, f->main_id);
    assert_string_equal(out.status, "completed");
    assert_string_equal(out.format, "csv");
    assert_false(out.dry_run);
    assert_true(out.atomic);
    assert_int_equal(out.rows, 7);
    assert_int_equal(out.created, 3);
    assert_int_equal(out.updated, 2);
    assert_int_equal(out.failed, 2);
    assert_false(out.errors_truncated);
    assert_int_equal(out.created_at, 1700000000);
    assert_string_equal(out.created_by, "client:job");
    assert_int_equal(out.n_errors, 2);
    assert_int_equal(out.errors[0].row, 2);
    assert_string_equal(out.errors[0].field, "email");
    assert_string_equal(out.errors[0].message, ERRORS[0].message);
    assert_int_equal(out.errors[1].row, 5);
    assert_null(out.errors[1].field);
    /* A record without errors. */
    struct import_record none = record(f->main_id, "22222222-2222-4222-8222-222222222222");
    none.n_errors = 0;
    none.dry_run = true;
    none.status = "dry_run";
    assert_int_equal(store_import_insert(f->s, &none), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, none.id, &out), KH_OK);
    assert_int_equal(out.n_errors, 0);
    assert_true(out.dry_run);
    arena_free(&a);
}

static void test_realms_apart_and_unknown(void **state)
{
    struct fixture *f = *state;
    struct arena a;
    arena_init(&a);
    struct import_record in = record(f->main_id, "33333333-3333-4333-8333-333333333333"), out;
    assert_int_equal(store_import_insert(f->s, &in), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->other_id, in.id, &out), KH_ERR_NOTFOUND);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, "nope", &out), KH_ERR_NOTFOUND);
    /* The same id again: a conflict, and the first record is unchanged. */
    struct import_record again = record(f->main_id, in.id);
    again.created = 99;
    assert_int_equal(store_import_insert(f->s, &again), KH_ERR_CONFLICT);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, in.id, &out), KH_OK);
    assert_int_equal(out.created, 3);
    assert_int_equal(out.n_errors, 2);
    arena_free(&a);
}

static void test_in_batch(void **state)
{
    struct fixture *f = *state;
    struct arena a;
    arena_init(&a);
    struct import_record gone = record(f->main_id, "44444444-4444-4444-8444-444444444444");
    struct import_record kept = record(f->main_id, "55555555-5555-4555-8555-555555555555"), out;
    assert_int_equal(store_batch_begin(f->s), KH_OK);
    assert_int_equal(store_import_insert(f->s, &gone), KH_OK);
    store_batch_abort(f->s);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, gone.id, &out), KH_ERR_NOTFOUND);
    assert_int_equal(store_batch_begin(f->s), KH_OK);
    assert_int_equal(store_import_insert(f->s, &kept), KH_OK);
    assert_int_equal(store_batch_end(f->s), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, kept.id, &out), KH_OK);
    arena_free(&a);
}

static void test_conflict_in_batch(void **state)
{
    struct fixture *f = *state;
    struct arena a;
    arena_init(&a);
    /* text that array and SQL literals treat specially comes back as it went */
    static const struct import_record_error odd[] = {
        {1, "a\"b", "x\\y, {z} 'q' NULL"},
        {2, "NULL", ""},
    };
    struct import_record first = record(f->main_id, "66666666-6666-4666-8666-666666666666");
    struct import_record again = record(f->main_id, first.id);
    struct import_record next = record(f->main_id, "77777777-7777-4777-8777-777777777777"), out;
    next.errors = odd;
    assert_int_equal(store_batch_begin(f->s), KH_OK);
    assert_int_equal(store_import_insert(f->s, &first), KH_OK);
    assert_int_equal(store_import_insert(f->s, &again), KH_ERR_CONFLICT);
    assert_int_equal(store_import_insert(f->s, &next), KH_OK);
    assert_int_equal(store_batch_end(f->s), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, first.id, &out), KH_OK);
    assert_int_equal(store_import_get(f->s, &a, f->main_id, next.id, &out), KH_OK);
    assert_int_equal(out.n_errors, 2);
    assert_string_equal(out.errors[0].field, odd[0].field);
    assert_string_equal(out.errors[0].message, odd[0].message);
    assert_string_equal(out.errors[1].field, "NULL");
    assert_string_equal(out.errors[1].message, "");
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realms_apart_and_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conflict_in_batch, setup, teardown),
    };
    return BACKEND_RUN("store_imports", tests);
}
