/* test_manage.c - the operator side of the token lifecycle on a real SQLite
 * file: realm and client updates, client secret rotation, the purge thread. */
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
#include "oauth/manage.h"
#include "oauth/purge.h"

struct fixture {
    char dir[64];
    char db[96];
    struct store *store;
    uint8_t master[AEAD_KEY_LEN];
    struct arena a;
    const char *secret; /* of "job", confidential */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/kh_manage_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/t.db", f->dir);
    assert_int_equal(store_open(f->db, &f->store), KH_OK);
    random_bytes(f->master, sizeof f->master);
    arena_init(&f->a);
    const char *why = NULL, *none = NULL;
    assert_int_equal(manage_realm_create(f->store, f->master, "r1", "ES256", &why), KH_OK);
    struct client_spec job = {.client_id = "job", .grants = "client_credentials",
                              .scopes = "users:read imports:manage"};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &job, &f->secret, &why), KH_OK);
    struct client_spec app = {.client_id = "app", .grants = "password", .scopes = "openid users:read",
                              .default_scopes = "openid", .public_client = true};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &app, &none, &why), KH_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->store);
    arena_free(&f->a);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static struct realm get_realm(struct fixture *f)
{
    struct realm r;
    const char *why;
    assert_int_equal(manage_realm_get(f->store, &f->a, "r1", &r, &why), KH_OK);
    return r;
}

static struct client get_client(struct fixture *f, const char *client_id)
{
    struct client c;
    const char *why;
    assert_int_equal(manage_client_get(f->store, &f->a, "r1", client_id, &c, &why), KH_OK);
    return c;
}

static void test_realm_update(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct realm r = get_realm(f);
    assert_int_equal(r.access_ttl, 300);
    assert_int_equal(r.refresh_idle_ttl, 1800);
    assert_int_equal(r.session_max_ttl, 36000);
    assert_int_equal(r.offline_idle_ttl, 2592000);
    assert_int_equal(r.refresh_grace, 0);

    /* Only what is given changes; access may exceed the refresh idle lifetime. */
    struct realm_settings set = MANAGE_REALM_SETTINGS_KEEP;
    set.access_ttl = 7200;
    set.refresh_grace = 30;
    assert_int_equal(manage_realm_update(f->store, &f->a, "r1", &set, &why), KH_OK);
    r = get_realm(f);
    assert_int_equal(r.access_ttl, 7200);
    assert_int_equal(r.refresh_idle_ttl, 1800);
    assert_int_equal(r.session_max_ttl, 36000);
    assert_int_equal(r.offline_idle_ttl, 2592000);
    assert_int_equal(r.refresh_grace, 30);

    set = MANAGE_REALM_SETTINGS_KEEP;
    set.refresh_idle_ttl = 1;
    set.session_max_ttl = MANAGE_LIFETIME_MAX;
    set.offline_idle_ttl = 86400;
    set.refresh_grace = 0;
    assert_int_equal(manage_realm_update(f->store, &f->a, "r1", &set, &why), KH_OK);
    r = get_realm(f);
    assert_int_equal(r.refresh_idle_ttl, 1);
    assert_int_equal(r.session_max_ttl, MANAGE_LIFETIME_MAX);
    assert_int_equal(r.offline_idle_ttl, 86400);
    assert_int_equal(r.refresh_grace, 0);
    assert_int_equal(r.access_ttl, 7200);
}

static void test_realm_update_refusals(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    static const struct {
        int field;
        int64_t value;
    } bad[] = {
        {0, 0}, {0, -1}, {0, MANAGE_LIFETIME_MAX + 1}, {1, 0}, {2, 0}, {3, 31536001},
        {4, -1}, {4, MANAGE_GRACE_MAX + 1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct realm_settings set = MANAGE_REALM_SETTINGS_KEEP;
        set.access_ttl = 900; /* valid, but nothing is written when another is not */
        int64_t *fields[] = {&set.access_ttl, &set.refresh_idle_ttl, &set.session_max_ttl,
                             &set.offline_idle_ttl, &set.refresh_grace};
        *fields[bad[i].field] = bad[i].value;
        why = NULL;
        assert_int_equal(manage_realm_update(f->store, &f->a, "r1", &set, &why), KH_ERR_INVALID);
        assert_non_null(why);
        assert_non_null(strstr(why, "must be"));
    }
    assert_int_equal(get_realm(f).access_ttl, 300);
    struct realm_settings set = MANAGE_REALM_SETTINGS_KEEP;
    set.access_ttl = 600;
    assert_int_equal(manage_realm_update(f->store, &f->a, "nope", &set, &why), KH_ERR_NOTFOUND);
    assert_non_null(strstr(why, "nope"));
}

static void test_client_create_defaults(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL, *secret = NULL;
    struct client c = get_client(f, "job");
    assert_int_equal(c.refresh_grace, -1); /* the realm's */
    assert_int_equal(c.access_ttl, 0);
    assert_int_equal(c.refresh_idle_ttl, 0);
    assert_int_equal(c.session_max_ttl, 0);
    assert_int_equal(c.offline_idle_ttl, 0);
    assert_false(c.opaque);
    struct client_spec op = {.client_id = "op", .grants = "client_credentials", .scopes = "users:read",
                             .opaque = true};
    assert_int_equal(manage_client_create(f->store, &f->a, "r1", &op, &secret, &why), KH_OK);
    assert_true(get_client(f, "op").opaque);
}

/* manage_client_update of `set` in realm r1. */
#define UPDATE(client_id, out) \
    manage_client_update(f->store, &f->a, "r1", (client_id), &set, (out), &why)

static void test_client_update(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct client out;
    struct client_settings set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.access_ttl = 60;
    set.refresh_idle_ttl = 600;
    set.refresh_grace = 10;
    set.opaque = 1;
    set.enabled = 0;
    assert_int_equal(UPDATE("job", &out), KH_OK);
    struct client c = get_client(f, "job");
    assert_int_equal(c.access_ttl, 60);
    assert_int_equal(c.refresh_idle_ttl, 600);
    assert_int_equal(c.session_max_ttl, 0);
    assert_int_equal(c.refresh_grace, 10);
    assert_true(c.opaque);
    assert_false(c.enabled);
    assert_true(c.confidential);
    assert_int_equal(c.grants, GRANT_CLIENT_CREDENTIALS);
    assert_string_equal(c.scopes, "users:read imports:manage");
    assert_int_equal(out.access_ttl, 60);
    assert_false(out.enabled);

    /* Back to the realm's, JWTs, enabled; grants and scopes replaced. Defaults
     * that were all of the scopes follow the new scopes. */
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.access_ttl = 0;
    set.refresh_grace = -1;
    set.opaque = 0;
    set.enabled = 1;
    set.grants = "client_credentials,refresh_token";
    set.scopes = "users:read events:read";
    assert_int_equal(UPDATE("job", NULL), KH_OK);
    c = get_client(f, "job");
    assert_int_equal(c.access_ttl, 0);
    assert_int_equal(c.refresh_idle_ttl, 600);
    assert_int_equal(c.refresh_grace, -1);
    assert_false(c.opaque);
    assert_true(c.enabled);
    assert_int_equal(c.grants, GRANT_CLIENT_CREDENTIALS | GRANT_REFRESH_TOKEN);
    assert_string_equal(c.scopes, "users:read events:read");
    assert_string_equal(c.default_scopes, "users:read events:read");
    assert_string_equal(manage_grant_names(&f->a, c.grants), "client_credentials,refresh_token");

    /* Defaults chosen apart stay when the scopes change (and must be allowed). */
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.scopes = "openid users:read email";
    assert_int_equal(UPDATE("app", NULL), KH_OK);
    c = get_client(f, "app");
    assert_string_equal(c.scopes, "openid users:read email");
    assert_string_equal(c.default_scopes, "openid");
    set.scopes = "users:read";
    assert_int_equal(UPDATE("app", NULL), KH_ERR_INVALID);
    set.default_scopes = "users:read";
    assert_int_equal(UPDATE("app", NULL), KH_OK);
    c = get_client(f, "app");
    assert_string_equal(c.scopes, "users:read");
    assert_string_equal(c.default_scopes, "users:read");
}

static void test_client_update_refusals(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL;
    struct client_settings set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.access_ttl = -1;
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    assert_non_null(strstr(why, "access-token lifetime"));
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.offline_idle_ttl = MANAGE_LIFETIME_MAX + 1;
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.refresh_grace = -2;
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set.refresh_grace = MANAGE_GRACE_MAX + 1;
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.grants = "password,implicit";
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set.grants = "";
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set.grants = "password,client_credentials"; /* app is public */
    assert_int_equal(UPDATE("app", NULL), KH_ERR_INVALID);
    assert_non_null(strstr(why, "public"));
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.default_scopes = "events:read"; /* not among job's scopes */
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    set.default_scopes = "bad\"scope";
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    /* A refusal writes nothing, even with valid settings beside it. */
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.access_ttl = 99;
    set.grants = "nope";
    assert_int_equal(UPDATE("job", NULL), KH_ERR_INVALID);
    assert_int_equal(get_client(f, "job").access_ttl, 0);
    set = MANAGE_CLIENT_SETTINGS_KEEP;
    set.enabled = 0;
    assert_int_equal(UPDATE("ghost", NULL), KH_ERR_NOTFOUND);
    assert_non_null(strstr(why, "ghost"));
    assert_int_equal(manage_client_update(f->store, &f->a, "r9", "job", &set, NULL, &why), KH_ERR_NOTFOUND);
}

#define ROTATE(client_id, grace, secret) \
    manage_client_rotate_secret(f->store, &f->a, "r1", (client_id), (grace), (secret), &until, &why)

static void test_rotate_secret(void **state)
{
    struct fixture *f = *state;
    const char *why = NULL, *s2 = NULL, *s3 = NULL;
    int64_t until = -1;
    uint8_t h1[SHA256_LEN], h2[SHA256_LEN], h3[SHA256_LEN];
    secret_hash(f->secret, strlen(f->secret), h1);
    assert_memory_equal(get_client(f, "job").secret_hash, h1, SHA256_LEN);

    int64_t before = clock_now();
    assert_int_equal(ROTATE("job", 60, &s2), KH_OK);
    assert_true(secret_check(SECRET_CLIENT, s2, strlen(s2)));
    assert_string_not_equal(s2, f->secret);
    assert_in_range(until, before + 60, clock_now() + 60);
    secret_hash(s2, strlen(s2), h2);
    struct client c = get_client(f, "job");
    assert_memory_equal(c.secret_hash, h2, SHA256_LEN);     /* the new secret is the one */
    assert_memory_equal(c.old_secret_hash, h1, SHA256_LEN); /* the old one kept ... */
    assert_int_equal(c.old_secret_until, until);            /* ... until the grace ends */

    /* Without a grace the previous secret ends at once; two secrets at most. */
    assert_int_equal(ROTATE("job", 0, &s3), KH_OK);
    assert_int_equal(until, 0);
    secret_hash(s3, strlen(s3), h3);
    c = get_client(f, "job");
    assert_memory_equal(c.secret_hash, h3, SHA256_LEN);
    assert_memory_equal(c.old_secret_hash, h2, SHA256_LEN);
    assert_int_equal(c.old_secret_until, 0);

    const char *none = NULL;
    assert_int_equal(ROTATE("app", 0, &none), KH_ERR_INVALID);
    assert_non_null(strstr(why, "public"));
    assert_null(none);
    assert_int_equal(ROTATE("job", -5, &none), KH_ERR_INVALID);
    assert_int_equal(ROTATE("ghost", 0, &none), KH_ERR_NOTFOUND);
    assert_null(none);
    assert_memory_equal(get_client(f, "job").secret_hash, h3, SHA256_LEN);
}

/* An ended session with an expired token, an expired opaque access token, an
 * expired revoked jti, and one live session that must stay. */
static void seed_expired(struct fixture *f, int64_t realm_id, int64_t now)
{
    struct session dead = {.id = "s-dead", .realm_id = realm_id, .client_id = "job",
                           .created_at = now - 4000, .expires_at = now - 100};
    struct refresh_token dead_rt = {.session_id = "s-dead", .realm_id = realm_id, .client_id = "job",
                                    .scope = "", .issued_at = now - 4000, .expires_at = now - 100};
    secret_hash("dead", 4, dead_rt.hash);
    assert_int_equal(store_session_start(f->store, &dead, &dead_rt), KH_OK);
    struct session live = {.id = "s-live", .realm_id = realm_id, .client_id = "job",
                           .created_at = now, .expires_at = now + 3600};
    struct refresh_token live_rt = {.session_id = "s-live", .realm_id = realm_id, .client_id = "job",
                                    .scope = "", .issued_at = now, .expires_at = now + 1800};
    secret_hash("live", 4, live_rt.hash);
    assert_int_equal(store_session_start(f->store, &live, &live_rt), KH_OK);
    struct access_token at = {.realm_id = realm_id, .client_id = "job", .subject = "c-1", .scope = "",
                              .issued_at = now - 400, .expires_at = now - 100};
    secret_hash("at", 2, at.hash);
    assert_int_equal(store_access_insert(f->store, &at), KH_OK);
    assert_int_equal(store_jti_revoke(f->store, realm_id, "jti-old", now - 100), KH_OK);
}

static bool gone(struct fixture *f, const char *token)
{
    uint8_t h[SHA256_LEN];
    struct refresh_token rt;
    secret_hash(token, strlen(token), h);
    return store_refresh_find(f->store, &f->a, h, &rt) == KH_ERR_NOTFOUND;
}

/* Many more rows than one batch: a run repeats passes until one removes nothing. */
static void test_purge_run(void **state)
{
    struct fixture *f = *state;
    int64_t now = clock_now();
    struct realm r = get_realm(f);
    seed_expired(f, r.id, now);
    assert_int_equal(store_batch_begin(f->store), KH_OK);
    for (int i = 0; i < 2 * PURGE_BATCH + 7; i++) {
        char jti[32];
        snprintf(jti, sizeof jti, "j-%d", i);
        assert_int_equal(store_jti_revoke(f->store, r.id, jti, now - 1), KH_OK);
    }
    assert_int_equal(store_batch_end(f->store), KH_OK);
    struct purge_counts total = {0};
    assert_int_equal(purge_run(f->store, now, &total), KH_OK);
    assert_int_equal(total.revoked_jtis, 2 * PURGE_BATCH + 8);
    assert_int_equal(total.refresh_tokens, 1);
    assert_int_equal(total.sessions, 1);
    assert_int_equal(total.access_tokens, 1);
    assert_true(gone(f, "dead"));
    assert_false(gone(f, "live"));
    struct purge_counts again = {0};
    assert_int_equal(purge_run(f->store, now, &again), KH_OK);
    assert_int_equal(again.refresh_tokens + again.sessions + again.access_tokens + again.revoked_jtis, 0);
}

static void test_purge_thread(void **state)
{
    struct fixture *f = *state;
    int64_t now = clock_now();
    struct realm r = get_realm(f);
    seed_expired(f, r.id, now);
    struct purge *p = NULL;
    assert_int_equal(purge_start(f->store, 0, &p), KH_ERR_INVALID);
    /* A long interval: the first run happens at start, and stopping must not wait for the next. */
    assert_int_equal(purge_start(f->store, 3600, &p), KH_OK);
    int64_t deadline = clock_mono_us() + 5000000;
    while (!gone(f, "dead") && clock_mono_us() < deadline)
        usleep(10000);
    assert_true(gone(f, "dead"));
    struct session s;
    assert_int_equal(store_session_find(f->store, &f->a, "s-dead", &s), KH_ERR_NOTFOUND);
    assert_int_equal(store_session_find(f->store, &f->a, "s-live", &s), KH_OK);
    assert_false(gone(f, "live"));
    int64_t t0 = clock_mono_us();
    purge_stop(p);
    assert_true(clock_mono_us() - t0 < 1000000);
    purge_stop(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_realm_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_realm_update_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_create_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_update_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotate_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_thread, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
