"""Refresh tokens (SPEC §4 "Refresh tokens"): rotation, reuse detection revoking the whole
family, binding to the client, re-checks of the subject, and a 50-way race on one token."""

import threading
from types import SimpleNamespace

import pytest
import requests

from conftest import (HTTP_TIMEOUT, describe, expect_error, expect_token, jwt_claims, scopes,
                      verify_access_token)

RACERS = 50


@pytest.fixture(scope="module")
def w(server):
    reader = server.create_role("main", ["users:read"])
    importer = server.create_role("main", ["imports:manage"])
    grants = ["password", "refresh_token"]
    scope = "users:read imports:manage profile"
    a = server.create_client("main", grants, scope=scope)
    b = server.create_client("main", grants, scope=scope)
    public = server.create_client("main", grants, scope=scope, public=True)
    user = server.create_user("main", password="carol-pw", roles=[reader, importer])
    return SimpleNamespace(a=a, b=b, public=public, user=user)


def login(server, w, client=None, **extra):
    body = expect_token(server.password_grant(client or w.a, w.user, "carol-pw", **extra),
                        refresh=True)
    return body


def test_refresh_rotates(server, w):
    first = login(server, w)
    second = expect_token(server.refresh(w.a, first["refresh_token"]), refresh=True)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert scopes(second["scope"]) == scopes(first["scope"]), (first, second)
    claims = verify_access_token(server, second["access_token"])
    assert claims["preferred_username"] == w.user and claims.get("sid"), claims
    third = expect_token(server.refresh(w.a, second["refresh_token"]), refresh=True)
    assert third["refresh_token"] not in (first["refresh_token"], second["refresh_token"])


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_refresh_with_either_client_authentication(server, w, auth):
    first = login(server, w)
    expect_token(server.refresh(w.a, first["refresh_token"], auth=auth), refresh=True)


def test_public_client_refresh(server, w):
    first = login(server, w, client=w.public)
    expect_token(server.refresh(w.public, first["refresh_token"]), refresh=True)


def test_reuse_kills_the_family(server, w):
    first = login(server, w)
    second = expect_token(server.refresh(w.a, first["refresh_token"]), refresh=True)
    expect_error(server.refresh(w.a, first["refresh_token"]), 400, "invalid_grant")
    expect_error(server.refresh(w.a, second["refresh_token"]), 400, "invalid_grant")


def test_reuse_does_not_touch_other_sessions(server, w):
    other = login(server, w)
    first = login(server, w)
    expect_token(server.refresh(w.a, first["refresh_token"]))
    expect_error(server.refresh(w.a, first["refresh_token"]), 400, "invalid_grant")
    expect_token(server.refresh(w.a, other["refresh_token"]), refresh=True)


def test_refresh_token_of_another_client(server, w):
    first = login(server, w, client=w.a)
    expect_error(server.refresh(w.b, first["refresh_token"]), 400, "invalid_grant")
    expect_token(server.refresh(w.a, first["refresh_token"]), refresh=True)


def test_narrower_scope_on_refresh(server, w):
    first = login(server, w, scope="users:read imports:manage")
    assert scopes(first["scope"]) == {"users:read", "imports:manage"}, first
    narrow = expect_token(server.refresh(w.a, first["refresh_token"], scope="users:read"))
    assert narrow["scope"] == "users:read", narrow
    assert jwt_claims(narrow["access_token"])["scope"] == "users:read"


def test_wider_scope_on_refresh_is_invalid_scope(server, w):
    first = login(server, w, scope="users:read")
    resp = server.refresh(w.a, first["refresh_token"], scope="users:read imports:manage")
    expect_error(resp, 400, "invalid_scope")


def test_disabled_user_cannot_refresh(server, w):
    reader = server.create_role("main", ["users:read"])
    user = server.create_user("main", password="dave-pw", roles=[reader])
    first = expect_token(server.password_grant(w.a, user, "dave-pw"), refresh=True)
    server.set_user_enabled("main", user, False)
    expect_error(server.refresh(w.a, first["refresh_token"]), 400, "invalid_grant")


def test_concurrent_use_of_one_refresh_token(server, w):
    token = login(server, w)["refresh_token"]
    barrier = threading.Barrier(RACERS)
    results = [None] * RACERS

    def race(i):
        with requests.Session() as session:
            # Open the connection before the barrier so the requests really overlap.
            session.get(server.base + "/healthz", timeout=HTTP_TIMEOUT)
            barrier.wait()
            try:
                results[i] = server.refresh(w.a, token, session=session)
            except requests.RequestException as exc:
                results[i] = exc

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"{len(errors)} requests failed: {errors[0]!r}"
    winners = [r for r in results if r.status_code == 200]
    assert len(winners) == 1, (f"{len(winners)} of {RACERS} concurrent refreshes succeeded: "
                               f"{sorted(r.status_code for r in results)}")
    for resp in results:
        if resp.status_code != 200:
            expect_error(resp, 400, "invalid_grant")
    # The 49 losers presented a rotated token: the family is revoked, the winner's too.
    new = expect_token(winners[0], refresh=True)["refresh_token"]
    resp = server.refresh(w.a, new)
    assert resp.status_code == 400, f"the winner's token survived the reuse: {describe(resp)}"
    expect_error(resp, 400, "invalid_grant")
