/* test_keyring.c - signing keys on a real store (SQLite, then PostgreSQL:
 * store/backend.h): rotation (scheduled,
 * --now, --revoke-old), the signer rule, and a signer that switches when its
 * active_from passes without the key set being read again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/random.h"
#include "oauth/keyring.h"
#include "oauth/manage.h"
#include "store/backend.h"

struct fixture {
    struct backend_fixture b;
    struct store *store;
    uint8_t master[AEAD_KEY_LEN];
    struct keyring *kr;
    struct arena a;
    struct realm realm;
    const char *first_kid; /* the realm's key from its creation */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_int_equal(backend_open(&f->b, &f->store), 0);
    random_bytes(f->master, sizeof f->master);
    arena_init(&f->a);
    const char *why = NULL;
    assert_int_equal(manage_realm_create(f->store, f->master, "r1", "ES256", &why), KH_OK);
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &f->realm, &why), KH_OK);
    assert_int_equal(keyring_new(f->store, f->master, &f->kr), KH_OK);
    struct keyset ks;
    assert_int_equal(keyring_get(f->kr, &f->realm, &ks), KH_OK);
    assert_int_equal(ks.n, 1);
    f->first_kid = arena_strdup(&f->a, jose_key_kid(ks.signer));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    keyring_free(f->kr);
    store_close(f->store);
    arena_free(&f->a);
    backend_cleanup(&f->b);
    free(f);
    return 0;
}

/* The key set after a store read. */
static struct keyset reread(struct fixture *f)
{
    struct keyset ks;
    keyring_invalidate(f->kr, f->realm.id);
    assert_int_equal(keyring_get(f->kr, &f->realm, &ks), KH_OK);
    return ks;
}

static bool has_kid(const struct keyset *ks, const char *kid)
{
    for (size_t i = 0; i < ks->n; i++)
        if (strcmp(jose_key_kid(ks->keys[i]), kid) == 0)
            return strstr(ks->jwks, kid) != NULL; /* published in the JWKS as well */
    return false;
}

static const struct signing_key *stored(struct fixture *f, const char *kid)
{
    struct signing_key *keys;
    size_t n;
    assert_int_equal(store_key_list(f->store, &f->a, f->realm.id, &keys, &n), KH_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].kid, kid) == 0)
            return &keys[i];
    return NULL;
}

static const char *state_of(struct fixture *f, const char *kid)
{
    struct key_info *keys;
    size_t n;
    const char *why;
    assert_int_equal(manage_key_list(f->store, &f->a, "r1", &keys, &n, &why), KH_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(keys[i].kid, kid) == 0)
            return keys[i].state;
    return "absent";
}

#define ROTATE(realm, alg, now, revoke_old, out) \
    manage_key_rotate(f->store, f->master, &f->a, (realm), (alg), (now), (revoke_old), (out), &why)

/* Published at once, signing only after the JWKS max-age; the old key stays
 * for the access-token lifetime after that. */
static void test_rotate_scheduled(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct key_rotation rot;
    int64_t t0 = clock_now();
    assert_int_equal(ROTATE("r1", NULL, false, false, &rot), KH_OK);
    assert_string_equal(rot.alg, "ES256");
    assert_in_range(rot.active_from, t0 + KEYRING_JWKS_MAX_AGE, clock_now() + KEYRING_JWKS_MAX_AGE);
    int64_t lifetime = f->realm.access_ttl;
    int64_t first_retire_at = rot.active_from + lifetime;
    assert_false(rot.revoked_old);
    assert_int_equal(rot.n_older, 1);
    assert_string_equal(rot.older[0].kid, f->first_kid);
    assert_int_equal(rot.older[0].retire_at, first_retire_at);

    struct keyset ks = reread(f);
    assert_int_equal(ks.n, 2);
    assert_true(has_kid(&ks, rot.kid));
    assert_string_equal(jose_key_kid(ks.signer), f->first_kid); /* not before active_from */
    assert_int_equal(stored(f, f->first_kid)->retire_at, first_retire_at);
    assert_int_equal(stored(f, rot.kid)->retire_at, 0);
    assert_string_equal(state_of(f, rot.kid), "next");
    assert_string_equal(state_of(f, f->first_kid), "active");

    /* Rotating again with --now: the new key signs at once; the first key keeps
     * its later retirement, the never-used "next" key gets one. */
    struct key_rotation now;
    assert_int_equal(ROTATE("r1", "ES256", true, false, &now), KH_OK);
    assert_in_range(now.active_from, t0, clock_now());
    assert_int_equal(now.n_older, 2);
    ks = reread(f);
    assert_int_equal(ks.n, 3);
    assert_string_equal(jose_key_kid(ks.signer), now.kid);
    assert_int_equal(stored(f, f->first_kid)->retire_at, first_retire_at);
    assert_int_equal(stored(f, rot.kid)->retire_at, now.active_from + lifetime);
    assert_string_equal(state_of(f, now.kid), "active");
    assert_string_equal(state_of(f, rot.kid), "next");
    assert_string_equal(state_of(f, f->first_kid), "previous");
}

static void test_rotate_now(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct key_rotation rot;
    assert_int_equal(ROTATE("r1", NULL, true, false, &rot), KH_OK);
    struct keyset ks = reread(f);
    assert_int_equal(ks.n, 2);
    assert_string_equal(jose_key_kid(ks.signer), rot.kid);
    assert_true(has_kid(&ks, f->first_kid)); /* still verifies what it signed */
    assert_int_equal(stored(f, f->first_kid)->retire_at,
                     rot.active_from + f->realm.access_ttl);
}

static void test_rotate_revoke_old(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct key_rotation rot;
    struct keyset ks;
    assert_int_equal(keyring_get(f->kr, &f->realm, &ks), KH_OK); /* cached with the old key */
    assert_int_equal(ROTATE("r1", NULL, false, true, &rot), KH_OK);
    assert_true(rot.active_from <= clock_now()); /* implies --now */
    assert_true(rot.revoked_old);
    assert_int_equal(rot.n_older, 1);
    assert_string_equal(rot.older[0].kid, f->first_kid);
    assert_int_equal(rot.older[0].retire_at, rot.active_from);
    ks = reread(f);
    assert_int_equal(ks.n, 1);
    assert_string_equal(jose_key_kid(ks.keys[0]), rot.kid);
    assert_string_equal(jose_key_kid(ks.signer), rot.kid);
    assert_null(strstr(ks.jwks, f->first_kid));
    assert_null(stored(f, f->first_kid));
    assert_string_equal(state_of(f, f->first_kid), "absent");
}

/* Another algorithm: the new key has it, the realm's next keys too, and the
 * old key keeps signing until the new one starts. */
static void test_rotate_to_another_alg(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct key_rotation rot = {0};
    assert_int_equal(ROTATE("r1", "EdDSA", false, false, &rot), KH_OK);
    assert_string_equal(rot.alg, "EdDSA");
    struct realm r;
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &r, &why), KH_OK);
    assert_string_equal(r.alg, "EdDSA");
    struct keyset ks = reread(f);
    assert_int_equal(ks.n, 2);
    assert_string_equal(jose_key_kid(ks.signer), f->first_kid);
}

static void test_rotate_refusals(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct key_rotation rot = {0};
    assert_int_equal(ROTATE("r1", "HS256", false, false, &rot), KH_ERR_INVALID);
    assert_non_null(strstr(why, "algorithm"));
    assert_int_equal(ROTATE("r1", "none", true, true, &rot), KH_ERR_INVALID);
    assert_int_equal(ROTATE("nope", NULL, false, false, &rot), KH_ERR_NOTFOUND);
    assert_null(rot.kid);
    assert_int_equal(reread(f).n, 1); /* nothing was created */
}

/* The rule: newest first, active, not retired; the key fixes the algorithm,
 * so a newer key of another algorithm takes over when it becomes active. */
static void test_signer_index(void **state)
{
    (void)state;
    const struct signing_key keys[] = {
        {.kid = "future", .alg = "ES256", .active_from = 200},
        {.kid = "other-alg", .alg = "RS256", .active_from = 95},
        {.kid = "retired", .alg = "ES256", .active_from = 50, .retire_at = 100},
        {.kid = "current", .alg = "ES256", .active_from = 90, .retire_at = 500},
        {.kid = "old", .alg = "ES256", .active_from = 10},
    };
    assert_int_equal(keyring_signer_index(keys, 5, 100), 1);
    assert_int_equal(keyring_signer_index(keys, 5, 94), 2);
    assert_int_equal(keyring_signer_index(keys, 5, 99), 1);
    assert_int_equal(keyring_signer_index(keys, 5, 200), 0);
    assert_int_equal(keyring_signer_index(keys + 2, 3, 100), 1);  /* "retired" is gone at 100 */
    assert_int_equal(keyring_signer_index(keys + 2, 3, 600), 2);  /* "current" too at 500 */
    assert_int_equal(keyring_signer_index(keys, 5, 5), -1);
    assert_int_equal(keyring_signer_index(keys, 0, 100), -1);
}

/* A key published ahead of its active_from starts signing when that time
 * passes, from the cached set (well within KEYRING_REFRESH_SECONDS). */
static void test_signer_switches_at_active_from(void **state)
{
    struct fixture *f = *state;
    struct timespec ts;
    /* Start early in a second, so that "not yet" is not checked after the boundary. */
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_nsec > 300000000L)
        usleep((useconds_t)((1000000000L - ts.tv_nsec) / 1000 + 1000));
    char kid[64];
    int64_t from = clock_now() + 1;
    assert_int_equal(keyring_create_key(f->store, f->master, f->realm.id, JOSE_ES256, from, kid), KH_OK);
    struct keyset ks = reread(f);
    assert_int_equal(ks.n, 2);
    assert_true(has_kid(&ks, kid));
    assert_string_equal(jose_key_kid(ks.signer), f->first_kid);
    usleep(1200000);
    assert_true(clock_now() >= from);
    assert_int_equal(keyring_get(f->kr, &f->realm, &ks), KH_OK); /* no invalidate: the cached set */
    assert_int_equal(ks.n, 2);
    assert_string_equal(jose_key_kid(ks.signer), kid);
}

int main(void)
{
    const struct CMUnitTest plain[] = {
        cmocka_unit_test(test_signer_index),
    };
    const struct CMUnitTest stored[] = {
        cmocka_unit_test_setup_teardown(test_rotate_scheduled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_revoke_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_to_another_alg, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signer_switches_at_active_from, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("keyring", plain, NULL, NULL);
    return failed + BACKEND_RUN("keyring_store", stored);
}
