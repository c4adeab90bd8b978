/* test_integration.c - integrations on a real store (SQLite, then
 * PostgreSQL: store/backend.h): creation with the no-escalation rule (nothing
 * written on a refusal), the store ops behind the list and delete, the
 * last-use queue's "at most once a minute" rule with injected times, and the
 * expiry time formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/integration.h"
#include "oauth/manage.h"
#include "oauth/usage.h"
#include "store/backend.h"

struct fixture {
    struct backend_fixture b;
    struct store *store;
    struct arena a;
    struct realm realm;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(backend_open(&f->b, &f->store), 0);
    arena_init(&f->a);
    uint8_t master[AEAD_KEY_LEN];
    random_bytes(master, sizeof master);
    const char *why = NULL;
    assert_int_equal(manage_realm_create(f->store, master, "r1", "ES256", &why), KH_OK);
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &f->realm, &why), KH_OK);
    const char *imp[] = {"imports:manage", "users:read"};
    assert_int_equal(manage_role_create(f->store, &f->a, "r1", "importer", imp, 2, false, &why),
                     KH_OK);
    const char *roles[] = {"importer"};
    struct user_spec alice = {.username = "alice", .roles = roles, .n_roles = 1};
    assert_int_equal(manage_user_create(f->store, &f->a, "r1", &alice, &why), KH_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->store);
    arena_free(&f->a);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

static size_t count_integrations(struct fixture *f)
{
    struct integration *items;
    size_t n = 99;
    assert_int_equal(store_integration_list(f->store, &f->a, f->realm.id, NULL, 100, &items, &n),
                     KH_OK);
    return n;
}

static enum kh_status create(struct fixture *f, const char *const *scopes, size_t n,
                             const char *creator_scope, struct integration_created *out,
                             const char **missing)
{
    const char *why = NULL;
    struct integration_spec spec = {.username = "ALICE", .scopes = scopes, .n_scopes = n,
                                    .created_by = "u-admin", .creator_scope = creator_scope};
    return integration_create(f->store, &f->a, &f->realm, &spec, out, missing, &why);
}

static void test_create_defaults_to_the_owners_permissions(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL;
    assert_int_equal(create(f, NULL, 0, NULL, &made, &missing), KH_OK);
    assert_string_equal(made.client.scopes, "imports:manage users:read");
    assert_true(strncmp(made.client.client_id, INTEGRATION_ID_PREFIX, 4) == 0);
    assert_int_equal(strncmp(made.secret, "khs_", 4), 0);
    struct client c;
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, made.client.client_id, &c),
                     KH_OK);
    assert_true(c.integration && c.confidential);
    assert_int_equal(c.grants, GRANT_CLIENT_CREDENTIALS);
    assert_string_equal(c.created_by, "u-admin");
    assert_int_equal(c.expires_at, 0);
    assert_int_equal(c.last_used_at, 0);
}

/* The creator lacks a permission the integration would give: refused,
 * naming it, and nothing written. */
static void test_escalation_refused(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL;
    const char *both[] = {"users:read", "imports:manage"};
    assert_int_equal(create(f, both, 2, "api_access:manage users:read", &made, &missing),
                     KH_ERR_DENIED);
    assert_string_equal(missing, "imports:manage");
    assert_int_equal(count_integrations(f), 0);
    /* holding them all, the same request works */
    assert_int_equal(create(f, both, 2, "api_access:manage users:read imports:manage", &made,
                            &missing), KH_OK);
    assert_int_equal(count_integrations(f), 1);
}

static void test_scope_the_owner_lacks_refused(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL;
    const char *realms[] = {"realms:manage"};
    assert_int_equal(create(f, realms, 1, NULL, &made, &missing), KH_ERR_INVALID);
    const char *proto[] = {"openid"};
    assert_int_equal(create(f, proto, 1, NULL, &made, &missing), KH_ERR_INVALID);
    assert_int_equal(create(f, proto, 0, NULL, &made, &missing), KH_ERR_INVALID); /* [] */
    assert_int_equal(count_integrations(f), 0);
}

static void test_owner_unknown_or_disabled(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *why = NULL, *missing = NULL;
    struct integration_spec nobody = {.username = "bob", .created_by = "cli"};
    assert_int_equal(integration_create(f->store, &f->a, &f->realm, &nobody, &made, &missing, &why),
                     KH_ERR_NOTFOUND);
    assert_int_equal(manage_user_set_enabled(f->store, &f->a, "r1", "alice", false, &why), KH_OK);
    assert_int_equal(create(f, NULL, 0, NULL, &made, &missing), KH_ERR_INVALID);
    assert_int_equal(count_integrations(f), 0);
}

static void test_expiry_in_the_past_refused(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *why = NULL, *missing = NULL;
    struct integration_spec spec = {.username = "alice", .expires_at = clock_now() - 1};
    assert_int_equal(integration_create(f->store, &f->a, &f->realm, &spec, &made, &missing, &why),
                     KH_ERR_INVALID);
    spec.expires_at = clock_now() + 3600;
    assert_int_equal(integration_create(f->store, &f->a, &f->realm, &spec, &made, &missing, &why),
                     KH_OK);
    struct integration *items;
    size_t n;
    assert_int_equal(store_integration_list(f->store, &f->a, f->realm.id, NULL, 10, &items, &n),
                     KH_OK);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].owner_username, "alice");
    assert_true(integration_is_active(&items[0], clock_now()));
    assert_false(integration_is_active(&items[0], spec.expires_at));
    items[0].owner_enabled = false;
    assert_false(integration_is_active(&items[0], clock_now()));
}

/* Delete takes the integration's sessions and tokens; an ordinary client is
 * no integration (NOTFOUND, nothing deleted). */
static void test_delete(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL, *why = NULL, *secret = NULL;
    assert_int_equal(create(f, NULL, 0, NULL, &made, &missing), KH_OK);
    int64_t now = clock_now();
    struct session sess = {.id = "s-1", .realm_id = f->realm.id, .client_id = made.client.client_id,
                           .created_at = now, .expires_at = now + 600};
    struct refresh_token first = {.session_id = "s-1", .realm_id = f->realm.id,
                                  .client_id = made.client.client_id, .scope = "users:read",
                                  .issued_at = now, .expires_at = now + 600};
    sha256("khr_x", 5, first.hash);
    assert_int_equal(store_session_start(f->store, &sess, &first), KH_OK);
    struct client_spec plain = {.client_id = "plain", .grants = "client_credentials"};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &plain, &secret, &why), KH_OK);

    assert_int_equal(store_integration_delete(f->store, f->realm.id, "plain"), KH_ERR_NOTFOUND);
    struct client c;
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, "plain", &c), KH_OK);
    assert_int_equal(store_integration_delete(f->store, f->realm.id, made.client.client_id), KH_OK);
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, made.client.client_id, &c),
                     KH_ERR_NOTFOUND);
    struct session gone;
    assert_int_equal(store_session_find(f->store, &f->a, "s-1", &gone), KH_ERR_NOTFOUND);
    struct refresh_token rt;
    assert_int_equal(store_refresh_find(f->store, &f->a, first.hash, &rt), KH_ERR_NOTFOUND);
    assert_int_equal(store_integration_delete(f->store, f->realm.id, made.client.client_id),
                     KH_ERR_NOTFOUND);
}

static void test_usage_is_due(void **state)
{
    (void)state;
    assert_true(usage_is_due(0, 1000));                         /* never recorded */
    assert_false(usage_is_due(1000, 1000));
    assert_false(usage_is_due(1000, 1000 + USAGE_MIN_INTERVAL - 1));
    assert_true(usage_is_due(1000, 1000 + USAGE_MIN_INTERVAL));
}

static int64_t last_used(struct fixture *f, const char *client_id)
{
    struct client c;
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, client_id, &c), KH_OK);
    return c.last_used_at;
}

/* The queue notes a client once until flushed, and a client's row is
 * written at most once a minute, even by uses that reach the store. */
static void test_usage_once_a_minute(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL;
    assert_int_equal(create(f, NULL, 0, NULL, &made, &missing), KH_OK);
    const char *id = made.client.client_id;
    struct usage *u = usage_new(f->store);
    assert_non_null(u);
    const int64_t t0 = 1700000000;
    struct client c;
    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, id, &c), KH_OK);

    assert_true(usage_note(u, &c, t0));
    assert_false(usage_note(u, &c, t0 + 1)); /* queued already: one entry per client */
    size_t written = 0;
    assert_int_equal(usage_flush(u, &written), KH_OK);
    assert_int_equal(written, 1);
    assert_int_equal(last_used(f, id), t0);

    assert_int_equal(store_client_find(f->store, &f->a, f->realm.id, id, &c), KH_OK);
    assert_false(usage_note(u, &c, t0 + USAGE_MIN_INTERVAL - 1)); /* not due from the row */
    assert_true(usage_note(u, &c, t0 + USAGE_MIN_INTERVAL));
    assert_int_equal(usage_flush(u, &written), KH_OK);
    assert_int_equal(last_used(f, id), t0 + USAGE_MIN_INTERVAL);

    /* a note made from a stale row (read before the last write) reaches the
     * store, which still writes the row at most once a minute */
    assert_true(usage_note(u, &c, t0 + USAGE_MIN_INTERVAL + 30));
    assert_int_equal(usage_flush(u, &written), KH_OK);
    assert_int_equal(written, 1);
    assert_int_equal(last_used(f, id), t0 + USAGE_MIN_INTERVAL);
    usage_stop(u);
}

/* With the thread: a note is written within a few flush periods; stop writes
 * what is still queued. */
static void test_usage_thread(void **state)
{
    struct fixture *f = *state;
    struct integration_created made;
    const char *missing = NULL;
    assert_int_equal(create(f, NULL, 0, NULL, &made, &missing), KH_OK);
    struct usage *u = usage_new(f->store);
    assert_int_equal(usage_start(u, 10), KH_OK);
    assert_true(usage_note(u, &made.client, 1700000000));
    for (int i = 0; i < 500 && last_used(f, made.client.client_id) == 0; i++)
        usleep(10000);
    assert_int_equal(last_used(f, made.client.client_id), 1700000000);
    made.client.last_used_at = 1700000000;
    assert_true(usage_note(u, &made.client, 1700000000 + USAGE_MIN_INTERVAL));
    usage_stop(u);
    assert_int_equal(last_used(f, made.client.client_id), 1700000000 + USAGE_MIN_INTERVAL);
    assert_false(usage_note(NULL, &made.client, 1800000000)); /* no queue: nothing recorded */
}

/* One store call for several clients: each due row written with its own
 * time, a row written less than a minute before left alone, unknown clients
 * skipped, and client ids that need quoting in an array are matched exactly. */
static void test_touch_many(void **state)
{
    struct fixture *f = *state;
    const char *ids[] = {"q\"uote", "back\\slash", "plain,comma", "{brace}"};
    const char *row_ids[] = {"c-1", "c-2", "c-3", "c-4"};
    for (size_t i = 0; i < 4; i++) {
        struct client c = {.id = row_ids[i], .realm_id = f->realm.id, .client_id = ids[i],
                           .grants = GRANT_CLIENT_CREDENTIALS, .enabled = true,
                           .refresh_grace = -1, .created_at = clock_now()};
        assert_int_equal(store_client_create(f->store, &c), KH_OK);
    }
    const int64_t t0 = 1700000000;
    struct client_use first[] = {{f->realm.id, ids[0], t0}, {f->realm.id, ids[1], t0 + 1}};
    assert_int_equal(store_client_touch(f->store, first, 2, USAGE_MIN_INTERVAL), KH_OK);
    struct client_use uses[] = {
        {f->realm.id, ids[0], t0 + USAGE_MIN_INTERVAL},     /* due again */
        {f->realm.id, ids[1], t0 + USAGE_MIN_INTERVAL - 1}, /* 59 s after its last write */
        {f->realm.id, "nobody", t0},
        {f->realm.id + 1, ids[2], t0},                      /* another realm: no such client */
        {f->realm.id, ids[2], t0 + 7},
        {f->realm.id, ids[3], t0 + 8},
    };
    assert_int_equal(store_client_touch(f->store, uses, 6, USAGE_MIN_INTERVAL), KH_OK);
    assert_int_equal(last_used(f, ids[0]), t0 + USAGE_MIN_INTERVAL);
    assert_int_equal(last_used(f, ids[1]), t0 + 1);
    assert_int_equal(last_used(f, ids[2]), t0 + 7);
    assert_int_equal(last_used(f, ids[3]), t0 + 8);
    assert_int_equal(store_client_touch(f->store, uses, 0, USAGE_MIN_INTERVAL), KH_OK);
}

static void test_parse_time(void **state)
{
    (void)state;
    int64_t t = -1;
    assert_int_equal(clock_parse_time("1700000000", &t), KH_OK);
    assert_int_equal(t, 1700000000);
    assert_int_equal(clock_parse_time("2023-11-14T22:13:20Z", &t), KH_OK);
    assert_int_equal(t, 1700000000);
    assert_int_equal(clock_parse_time("2023-11-14t23:13:20.123+01:00", &t), KH_OK);
    assert_int_equal(t, 1700000000);
    assert_int_equal(clock_parse_time("2024-02-29T00:00:00-00:30", &t), KH_OK);
    assert_int_equal(t, 1709166600);
    t = 42;
    const char *bad[] = {"", "-5", "12a", "2023-02-29T00:00:00Z", "2023-11-14T22:13:20",
                         "2023-11-14 22:13:20Z", "2023-13-01T00:00:00Z", "2023-11-14T24:00:00Z",
                         "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+1:00", "1e9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (clock_parse_time(bad[i], &t) != KH_ERR_INVALID)
            fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(t, 42);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_usage_is_due),
        cmocka_unit_test(test_parse_time),
    };
    const struct CMUnitTest stored[] = {
        cmocka_unit_test_setup_teardown(test_create_defaults_to_the_owners_permissions, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_escalation_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scope_the_owner_lacks_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_owner_unknown_or_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expiry_in_the_past_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_once_a_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_touch_many, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("integration", plain, NULL, NULL);
    return failed + BACKEND_RUN("integration_store", stored);
}
