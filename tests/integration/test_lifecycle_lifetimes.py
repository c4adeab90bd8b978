"""Token lifetimes per realm and per client, the refresh reuse grace and offline_access
(issue 4, HELPERS.md "Round 2").

Short lifetimes are set with `keyhold realm update` / `client update`; where time must pass
the tests sleep just past it. The server counts in whole Unix seconds, so "just past" is the
lifetime + 1.2 s (a token issued at x.9 s expires at second x + lifetime)."""

import threading
import time
from types import SimpleNamespace

import pytest
import requests

from conftest import (HTTP_TIMEOUT, describe, expect_error, expect_token, jwt_claims, scopes,
                      verify_access_token)

SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token"]
PASSWORD = "lifetime-pw"
PAST = 1.2          # seconds past a lifetime that make it certainly over
RACERS = 50


@pytest.fixture(scope="module")
def w(server):
    """Realm main (untouched settings) plus a user in it; realms with changed settings are
    made by the tests that change them."""
    role = server.create_role("main", ["users:read"])
    user = server.create_user("main", password=PASSWORD, roles=[role])
    return SimpleNamespace(user=user)


def new_realm(server, **settings):
    """A realm with a user `u` (password PASSWORD) and the given `realm update` settings."""
    realm = server.create_realm()
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    if settings:
        server.realm_update(realm, **settings)
    return SimpleNamespace(name=realm, user=user)


def new_client(server, realm="main", **overrides):
    """A confidential password+refresh client; keyword overrides go to `client update`."""
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope="users:read")
    if overrides:
        server.client_update(client, **overrides)
    return client


def login(server, client, user, expires_in=None, refresh_expires_in=None, **extra):
    resp = server.password_grant(client, user, PASSWORD, **extra)
    return expect_token(resp, refresh=True, expires_in=expires_in,
                        refresh_expires_in=refresh_expires_in)


def refresh(server, client, token, expires_in=None, refresh_expires_in=None, **extra):
    return expect_token(server.refresh(client, token, **extra), refresh=True,
                        expires_in=expires_in, refresh_expires_in=refresh_expires_in)


def offline_login(server, client, user, **kw):
    body = login(server, client, user, scope="users:read offline_access", **kw)
    assert "offline_access" in scopes(body["scope"]), body
    assert body["refresh_expires_in"] == 0, f"offline tokens report 0: {body}"
    return body


# -- lifetimes ------------------------------------------------------------------------------------

def test_realm_defaults(server):
    realm = new_realm(server)
    client = new_client(server, realm.name)
    body = login(server, client, realm.user, expires_in=300, refresh_expires_in=1800)
    claims = verify_access_token(server, body["access_token"], realm=realm.name)
    assert claims["exp"] - claims["iat"] == 300, claims
    refresh(server, client, body["refresh_token"], expires_in=300, refresh_expires_in=1800)


def test_realm_update_changes_lifetimes(server):
    realm = new_realm(server, access_token_lifetime=120, refresh_idle_lifetime=600)
    client = new_client(server, realm.name)
    body = login(server, client, realm.user, expires_in=120, refresh_expires_in=600)
    verify_access_token(server, body["access_token"], realm=realm.name, lifetime=120)
    again = refresh(server, client, body["refresh_token"], expires_in=120,
                    refresh_expires_in=600)
    verify_access_token(server, again["access_token"], realm=realm.name, lifetime=120)


def test_client_override_and_back_to_the_realms(server):
    realm = new_realm(server, access_token_lifetime=120, refresh_idle_lifetime=600)
    plain = new_client(server, realm.name)
    custom = new_client(server, realm.name, access_token_lifetime=60, refresh_idle_lifetime=90)
    body = login(server, custom, realm.user, expires_in=60, refresh_expires_in=90)
    verify_access_token(server, body["access_token"], realm=realm.name, lifetime=60)
    refresh(server, custom, body["refresh_token"], expires_in=60, refresh_expires_in=90)
    # The realm's other clients keep the realm's lifetimes.
    login(server, plain, realm.user, expires_in=120, refresh_expires_in=600)
    # 0 means "the realm's" again.
    server.client_update(custom, access_token_lifetime=0, refresh_idle_lifetime=0)
    login(server, custom, realm.user, expires_in=120, refresh_expires_in=600)


def test_client_override_of_the_access_lifetime_for_client_credentials(server):
    client = server.create_client("main", ["client_credentials"], scope="users:read")
    server.client_update(client, access_token_lifetime=45)
    body = expect_token(server.client_credentials(client), refresh=False, expires_in=45)
    verify_access_token(server, body["access_token"], lifetime=45)


def test_session_maximum_caps_refresh_expires_in(server):
    realm = new_realm(server, refresh_idle_lifetime=600, session_max_lifetime=100)
    client = new_client(server, realm.name)
    body = login(server, client, realm.user, expires_in=300)
    assert 95 <= body["refresh_expires_in"] <= 100, \
        f"a refresh token expires at min(now + idle, session expiry): {body}"
    capped = new_client(server, realm.name, session_max_lifetime=50)
    body = login(server, capped, realm.user)
    assert 45 <= body["refresh_expires_in"] <= 50, body


def test_refresh_after_the_idle_expiry_is_invalid_grant(server, w):
    # The brief's short lifetimes: access 2 s, refresh idle 3 s, session max 5 s.
    client = new_client(server, access_token_lifetime=2, refresh_idle_lifetime=3,
                        session_max_lifetime=5)
    online = login(server, client, w.user, expires_in=2, refresh_expires_in=3)
    verify_access_token(server, online["access_token"], lifetime=2)
    offline = offline_login(server, client, w.user, expires_in=2)
    # A client's offline idle lifetime applies to its offline tokens the same way.
    short_offline = new_client(server, offline_idle_lifetime=3)
    dying = offline_login(server, short_offline, w.user)
    time.sleep(3 + PAST)
    resp = server.refresh(client, online["refresh_token"])
    expect_error(resp, 400, "invalid_grant")
    expect_error(server.refresh(short_offline, dying["refresh_token"]), 400, "invalid_grant")
    # Offline tokens live by the offline idle lifetime (realm main: 30 days), with no
    # session maximum: the same client's offline token still refreshes.
    again = refresh(server, client, offline["refresh_token"], expires_in=2,
                    refresh_expires_in=0)
    assert again["refresh_token"] != offline["refresh_token"]


def test_refresh_past_the_session_maximum_is_invalid_grant(server, w):
    # Idle 4 s, session max 6 s: refreshing every 2 s keeps the idle expiry ahead, the
    # session maximum still ends the family.
    client = new_client(server, refresh_idle_lifetime=4, session_max_lifetime=6,
                        offline_idle_lifetime=60)
    start = time.monotonic()
    body = login(server, client, w.user, refresh_expires_in=4)
    offline = offline_login(server, client, w.user)
    time.sleep(2)
    body = refresh(server, client, body["refresh_token"])
    assert 0 < body["refresh_expires_in"] <= 4, body
    time.sleep(max(0.0, start + 4 - time.monotonic()))
    body = refresh(server, client, body["refresh_token"])
    assert 0 < body["refresh_expires_in"] < 4, \
        f"refresh_expires_in must be capped by the session expiry (6 s after login): {body}"
    time.sleep(max(0.0, start + 6 + PAST - time.monotonic()))
    expect_error(server.refresh(client, body["refresh_token"]), 400, "invalid_grant")
    # Offline tokens have no session maximum.
    refresh(server, client, offline["refresh_token"], refresh_expires_in=0)


def test_sid_in_tokens_and_session_state_in_responses(server, w):
    client = new_client(server)
    body = login(server, client, w.user)
    sid = jwt_claims(body["access_token"]).get("sid")
    assert sid and body["session_state"] == sid, \
        f"session_state {body['session_state']!r} vs access token sid {sid!r}"
    again = refresh(server, client, body["refresh_token"])
    assert again["session_state"] == sid, "a refresh stays in its session"
    assert jwt_claims(again["access_token"]).get("sid") == sid
    other = login(server, client, w.user)
    assert other["session_state"] != sid, "each login starts a session"


# -- offline_access -------------------------------------------------------------------------------

def test_offline_access_refresh_expires_in_zero(server, w):
    client = new_client(server)
    body = offline_login(server, client, w.user)
    assert body["refresh_token"].startswith("khr_"), body
    assert body.get("session_state"), body
    again = refresh(server, client, body["refresh_token"], refresh_expires_in=0)
    assert again["refresh_token"] != body["refresh_token"], "offline tokens rotate too"
    assert "offline_access" in scopes(again["scope"]), again


def test_offline_access_needs_the_scope_allowed(server, w):
    client = server.create_client("main", GRANTS, scope="users:read")
    resp = server.password_grant(client, w.user, PASSWORD, scope="users:read offline_access")
    expect_error(resp, 400, "invalid_scope")


def test_offline_token_survives_logout_of_the_online_session(server, w):
    client = new_client(server)
    online = login(server, client, w.user)
    assert "offline_access" not in scopes(online["scope"]), online
    offline = offline_login(server, client, w.user)
    resp = server.logout(client, online["refresh_token"])
    assert resp.status_code == 204, describe(resp)
    expect_error(server.refresh(client, online["refresh_token"]), 400, "invalid_grant")
    refresh(server, client, offline["refresh_token"], refresh_expires_in=0)


def test_offline_reuse_kills_the_family(server, w):
    client = new_client(server)
    first = offline_login(server, client, w.user)
    second = refresh(server, client, first["refresh_token"], refresh_expires_in=0)
    expect_error(server.refresh(client, first["refresh_token"]), 400, "invalid_grant")
    expect_error(server.refresh(client, second["refresh_token"]), 400, "invalid_grant")


# -- refresh reuse grace --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def grace_realm(server):
    """A realm whose refresh reuse grace is 5 s."""
    return new_realm(server, refresh_reuse_grace=5)


def test_grace_zero_reuse_kills_the_family(server, grace_realm):
    # The client's 0 beats the realm's 5.
    client = new_client(server, grace_realm.name, refresh_reuse_grace=0)
    first = login(server, client, grace_realm.user)
    second = refresh(server, client, first["refresh_token"])
    expect_error(server.refresh(client, first["refresh_token"]), 400, "invalid_grant")
    expect_error(server.refresh(client, second["refresh_token"]), 400, "invalid_grant")


@pytest.mark.parametrize("source", ["client", "realm", "offline"])
def test_grace_lets_a_rotated_token_be_retried_once(server, w, grace_realm, source):
    if source == "realm":       # the realm's grace 5, the client's default ("the realm's")
        client, user = new_client(server, grace_realm.name), grace_realm.user
    else:                       # realm main (grace 0), the client's own grace 5
        client, user = new_client(server, refresh_reuse_grace=5), w.user
    if source == "offline":
        first = offline_login(server, client, user)
    else:
        first = login(server, client, user)
    second = refresh(server, client, first["refresh_token"])
    retried = refresh(server, client, first["refresh_token"])     # the lost-response retry
    assert retried["refresh_token"] not in (first["refresh_token"], second["refresh_token"])
    assert retried["access_token"] != second["access_token"]
    assert retried["session_state"] == first["session_state"], "same family"
    # Once only: a third presentation is theft, and the whole family dies.
    expect_error(server.refresh(client, first["refresh_token"]), 400, "invalid_grant")
    for token in (retried["refresh_token"], second["refresh_token"]):
        expect_error(server.refresh(client, token), 400, "invalid_grant")


def test_grace_back_to_the_realms(server, w):
    client = new_client(server, refresh_reuse_grace=5)
    server.client_update(client, refresh_reuse_grace="realm")     # realm main: grace 0
    first = login(server, client, w.user)
    refresh(server, client, first["refresh_token"])
    expect_error(server.refresh(client, first["refresh_token"]), 400, "invalid_grant")


def test_reuse_after_the_grace_kills_the_family(server, w):
    client = new_client(server, refresh_reuse_grace=2)
    first = login(server, client, w.user)
    second = refresh(server, client, first["refresh_token"])
    time.sleep(2 + PAST)
    expect_error(server.refresh(client, first["refresh_token"]), 400, "invalid_grant")
    expect_error(server.refresh(client, second["refresh_token"]), 400, "invalid_grant")


def race(server, client, token):
    """RACERS concurrent refreshes of one token; their responses."""
    barrier = threading.Barrier(RACERS)
    results = [None] * RACERS

    def one(i):
        with requests.Session() as session:
            session.get(server.base + "/healthz", timeout=HTTP_TIMEOUT)
            barrier.wait()
            try:
                results[i] = server.refresh(client, token, session=session)
            except requests.RequestException as exc:
                results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"{len(errors)} requests failed: {errors[0]!r}"
    for resp in results:
        if resp.status_code != 200:
            expect_error(resp, 400, "invalid_grant")
    return results


def test_concurrent_refreshes_of_one_offline_token(server, w):
    client = new_client(server, refresh_reuse_grace=0)
    token = offline_login(server, client, w.user)["refresh_token"]
    results = race(server, client, token)
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1, (f"{len(winners)} of {RACERS} concurrent refreshes succeeded: "
                               f"{sorted(r.status_code for r in results)}")
    new = expect_token(winners[0], refresh=True, expires_in=None, refresh_expires_in=0)
    resp = server.refresh(client, new["refresh_token"])
    assert resp.status_code == 400, f"the winner's token survived the reuse: {describe(resp)}"
    expect_error(resp, 400, "invalid_grant")


def test_concurrent_refreshes_with_a_grace(server, w):
    # Grace 5 s: the first request rotates, one retry gets a fresh pair, the next
    # presentation is theft. Exactly two winners, and every token of the family dies.
    client = new_client(server, refresh_reuse_grace=5)
    token = login(server, client, w.user)["refresh_token"]
    results = race(server, client, token)
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 2, (f"{len(winners)} of {RACERS} concurrent refreshes succeeded "
                               f"with a grace of 5 s: {sorted(r.status_code for r in results)}")
    for resp in winners:
        new = expect_token(resp, refresh=True, expires_in=None, refresh_expires_in=None)
        expect_error(server.refresh(client, new["refresh_token"]), 400, "invalid_grant")
