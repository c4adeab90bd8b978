/* test_lifetime.c - the lifetime arithmetic at its boundaries (pure functions). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "oauth/lifetime.h"

static const struct realm REALM = {
    .access_ttl = 300, .refresh_idle_ttl = 1800, .session_max_ttl = 36000,
    .offline_idle_ttl = 2592000, .refresh_grace = 0,
};

static void test_effective_realm_values(void **state)
{
    (void)state;
    struct client c = {.refresh_grace = -1}; /* every override "the realm's" */
    struct lifetimes l;
    lifetime_effective(&REALM, &c, &l);
    assert_int_equal(l.access, 300);
    assert_int_equal(l.refresh_idle, 1800);
    assert_int_equal(l.session_max, 36000);
    assert_int_equal(l.offline_idle, 2592000);
    assert_int_equal(l.refresh_grace, 0);
    lifetime_effective(&REALM, NULL, &l);
    assert_int_equal(l.access, 300);
    struct realm r = REALM;
    r.refresh_grace = 20;
    lifetime_effective(&r, &c, &l);
    assert_int_equal(l.refresh_grace, 20); /* -1: the realm's */
}

static void test_effective_client_overrides(void **state)
{
    (void)state;
    struct client c = {.access_ttl = 60, .refresh_idle_ttl = 120, .session_max_ttl = 600,
                       .offline_idle_ttl = 7200, .refresh_grace = 0};
    struct realm r = REALM;
    r.refresh_grace = 20;
    struct lifetimes l;
    lifetime_effective(&r, &c, &l);
    assert_int_equal(l.access, 60);
    assert_int_equal(l.refresh_idle, 120);
    assert_int_equal(l.session_max, 600);
    assert_int_equal(l.offline_idle, 7200);
    assert_int_equal(l.refresh_grace, 0); /* 0 is the client's own value: no grace */
    c.refresh_grace = 5;
    lifetime_effective(&r, &c, &l);
    assert_int_equal(l.refresh_grace, 5);
}

static void test_session_and_refresh_expiry(void **state)
{
    (void)state;
    struct lifetimes l;
    lifetime_effective(&REALM, NULL, &l);
    const int64_t now = 1000000;
    int64_t session = lifetime_session_expiry(&l, false, now);
    assert_int_equal(session, now + 36000);
    assert_int_equal(lifetime_session_expiry(&l, true, now), INT64_MAX);
    /* idle first, then capped by the session's end */
    assert_int_equal(lifetime_refresh_expiry(&l, false, now, session), now + 1800);
    assert_int_equal(lifetime_refresh_expiry(&l, false, session - 1800, session), session);
    assert_int_equal(lifetime_refresh_expiry(&l, false, session - 10, session), session);
    /* offline: the offline idle limit, no maximum */
    assert_int_equal(lifetime_refresh_expiry(&l, true, now, INT64_MAX), now + 2592000);
    /* no overflow near the end of time */
    assert_int_equal(lifetime_session_expiry(&l, false, INT64_MAX - 5), INT64_MAX);
    assert_int_equal(lifetime_refresh_expiry(&l, true, INT64_MAX - 5, INT64_MAX), INT64_MAX);
}

static void test_expired_boundary(void **state)
{
    (void)state;
    assert_false(lifetime_is_expired(100, 99));
    assert_true(lifetime_is_expired(100, 100)); /* now >= expiry */
    assert_true(lifetime_is_expired(100, 101));
    assert_int_equal(lifetime_refresh_expires_in(false, 100, 40), 60);
    assert_int_equal(lifetime_refresh_expires_in(true, 100, 40), 0); /* offline: Keycloak's 0 */
    assert_int_equal(lifetime_refresh_expires_in(false, 100, 100), 0);
}

static void test_retry_window(void **state)
{
    (void)state;
    const int64_t used = 1000;
    assert_false(lifetime_may_retry(0, false, 30, used));        /* never used: no retry needed */
    assert_true(lifetime_may_retry(used, false, 30, used));
    assert_true(lifetime_may_retry(used, false, 30, used + 29)); /* used_at > now - grace */
    assert_false(lifetime_may_retry(used, false, 30, used + 30));
    assert_false(lifetime_may_retry(used, true, 30, used + 1));  /* once only */
    assert_false(lifetime_may_retry(used, false, 0, used));      /* no grace */
}

static void test_refresh_is_active(void **state)
{
    (void)state;
    struct refresh_token rt = {.expires_at = 2000, .session_expires_at = 3000};
    assert_true(lifetime_refresh_is_active(&rt, 0, 1999));
    assert_false(lifetime_refresh_is_active(&rt, 0, 2000));
    rt.expires_at = 5000;
    assert_false(lifetime_refresh_is_active(&rt, 0, 3000)); /* the session's maximum */
    rt.used_at = 1000;
    assert_false(lifetime_refresh_is_active(&rt, 0, 1001));
    assert_true(lifetime_refresh_is_active(&rt, 30, 1029));
    assert_false(lifetime_refresh_is_active(&rt, 30, 1030));
    rt.retried = true;
    assert_false(lifetime_refresh_is_active(&rt, 30, 1001));
    rt = (struct refresh_token){.expires_at = 2000, .session_expires_at = 3000, .session_revoked_at = 5};
    assert_false(lifetime_refresh_is_active(&rt, 0, 1000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_effective_realm_values),
        cmocka_unit_test(test_effective_client_overrides),
        cmocka_unit_test(test_session_and_refresh_expiry),
        cmocka_unit_test(test_expired_boundary),
        cmocka_unit_test(test_retry_window),
        cmocka_unit_test(test_refresh_is_active),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
