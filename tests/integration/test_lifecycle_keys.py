"""Signing-key rotation without breaking resource servers (issue 4, HELPERS.md "Round 2"):
`keyhold key rotate [--now] [--revoke-old]` and `keyhold key list`.

The server re-reads a realm's keys every 5 s, so what the CLI changed shows in the JWKS and
in signing within 5 s: the tests poll with a deadline (KEYRING_DEADLINE) instead of fixed
sleeps. Each test rotates the keys of its own realm."""

import time
from types import SimpleNamespace

import jwt
import pytest

from conftest import expect_token, jwt_header, unique, verify_access_token, wait_until

KEYRING_DEADLINE = 7        # the 5 s re-read, plus slack for a loaded ASan build
JWKS_MAX_AGE = 300          # the new key signs from now + the JWKS max-age without --now
STATES = {"next", "active", "previous"}


def new_realm(server, alg=None, **settings):
    realm = server.create_realm(unique("keys-"), alg=alg)
    if settings:
        server.realm_update(realm, **settings)
    client = server.create_client(realm, ["client_credentials"], scope="users:read")
    return SimpleNamespace(name=realm, client=client, alg=alg or "ES256")


def issue(server, realm):
    return expect_token(server.client_credentials(realm.client), expires_in=None)["access_token"]


def kid_of(token):
    return jwt_header(token)["kid"]


def signed_by(server, realm, kid):
    """A fresh token if the realm now signs with `kid`, else None (for wait_until)."""
    token = issue(server, realm)
    return token if kid_of(token) == kid else None


def verify(server, realm, token):
    """Verify as a resource server that fetches the JWKS now (no cache)."""
    return verify_access_token(server, token, realm=realm.name, alg=realm.alg, lifetime=None)


def by_kid(keys):
    listed = {k.get("kid"): k for k in keys}
    for key in keys:
        assert key.get("state") in STATES, f"state must be next|active|previous: {key}"
        assert isinstance(key.get("active_from"), int), key
        assert "retire_at" in key and key.get("alg"), key
    return listed


def test_key_list_of_a_new_realm(server):
    realm = new_realm(server)
    keys = server.key_list(realm.name)
    assert len(keys) == 1, keys
    (key,) = keys
    assert key["state"] == "active" and key["alg"] == "ES256", key
    assert key["active_from"] <= time.time() + 1, key
    assert key["kid"] == kid_of(issue(server, realm)), "the listed key signs"
    assert key["kid"] in server.kids(realm.name)


def test_jwks_max_age_is_the_rotation_delay(server):
    # A new key signs JWKS_MAX_AGE seconds after it is published: resource servers must
    # not be told to cache the JWKS longer than that.
    resp = server.get("/realms/main/protocol/openid-connect/certs")
    assert resp.status_code == 200, resp.text
    directives = [d.strip() for d in resp.headers.get("Cache-Control", "").split(",")]
    ages = [int(d.split("=", 1)[1]) for d in directives if d.startswith("max-age=")]
    assert ages and ages[0] <= JWKS_MAX_AGE, resp.headers


def test_rotate_publishes_the_next_key_and_keeps_signing_with_the_old(server):
    realm = new_realm(server)
    before = issue(server, realm)
    old_kid = kid_of(before)
    out = server.key_rotate(realm.name)
    new_kid = out["kid"]
    assert new_kid != old_kid, out
    assert out["alg"] == "ES256", out
    assert out.get("retired") == [], out
    assert abs(out["active_from"] - (time.time() + JWKS_MAX_AGE)) <= 5, \
        f"without --now the new key signs from now + {JWKS_MAX_AGE} s: {out}"

    started = time.monotonic()
    wait_until(lambda: new_kid in server.kids(realm.name), KEYRING_DEADLINE,
               f"new kid {new_kid} in the JWKS of {realm.name}")
    print(f"\nnew kid published after {time.monotonic() - started:.1f}s")
    assert old_kid in server.kids(realm.name), "the old key must stay published"
    # Still signed by the old key: caches that have not seen the new key keep working.
    after = issue(server, realm)
    assert kid_of(after) == old_kid, "without --now the new key must not sign yet"
    verify(server, realm, before)
    verify(server, realm, after)

    keys = by_kid(server.key_list(realm.name))
    assert keys[new_kid]["state"] == "next", keys
    assert keys[new_kid]["active_from"] == out["active_from"], (keys, out)
    assert keys[old_kid]["state"] == "active", keys
    assert keys[old_kid]["retire_at"] == out["active_from"] + 300, \
        f"retire_at = new key's active_from + the longest access lifetime (300): {keys}"


def test_rotate_now_signs_with_the_new_key_and_old_tokens_still_verify(server):
    realm = new_realm(server)
    # A client with a longer access lifetime sets how long the old key stays.
    long_lived = server.create_client(realm.name, ["client_credentials"], scope="users:read")
    server.client_update(long_lived, access_token_lifetime=600)
    before = issue(server, realm)
    old_kid = kid_of(before)
    out = server.key_rotate(realm.name, "--now")
    new_kid = out["kid"]
    assert new_kid != old_kid and out.get("retired") == [], out
    assert out["active_from"] <= time.time() + 1, f"--now: active at once: {out}"

    started = time.monotonic()
    after = wait_until(lambda: signed_by(server, realm, new_kid), KEYRING_DEADLINE,
                       f"tokens of {realm.name} signed by the new kid {new_kid}")
    print(f"\nsigning with the new kid after {time.monotonic() - started:.1f}s")
    kids = server.kids(realm.name)
    assert {old_kid, new_kid} <= kids, f"both keys must be published: {kids}"
    verify(server, realm, before)
    verify(server, realm, after)
    # A token signed before the rotation is still usable at the server too.
    assert server.is_active(realm.client, before)

    keys = by_kid(server.key_list(realm.name))
    assert keys[new_kid]["state"] == "active", keys
    assert keys[old_kid]["state"] == "previous", keys
    assert keys[old_kid]["retire_at"] == keys[new_kid]["active_from"] + 600, \
        f"retire_at = active_from + the longest access lifetime (a client's 600): {keys}"


def test_revoke_old_drops_the_old_key(server):
    realm = new_realm(server)
    before = issue(server, realm)
    old_kid = kid_of(before)
    out = server.key_rotate(realm.name, "--revoke-old")
    new_kid = out["kid"]
    assert old_kid in out.get("retired", []), f"--revoke-old must retire {old_kid}: {out}"
    assert out["active_from"] <= time.time() + 1, f"--revoke-old implies --now: {out}"

    wait_until(lambda: (lambda kids: new_kid in kids and old_kid not in kids)(
        server.kids(realm.name)), KEYRING_DEADLINE,
        f"JWKS of {realm.name} with {new_kid} and without {old_kid}")
    after = wait_until(lambda: signed_by(server, realm, new_kid), KEYRING_DEADLINE,
                       f"tokens signed by {new_kid}")
    verify(server, realm, after)
    # A resource server can no longer verify what the dropped key signed ...
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(server.jwks(realm.name)).keys}
    assert old_kid not in keys
    # ... and neither does keyhold itself.
    assert server.introspection(realm.client, before) == {"active": False}

    listed = by_kid(server.key_list(realm.name))
    assert listed[new_kid]["state"] == "active", listed
    assert old_kid not in listed or listed[old_kid]["state"] == "previous", listed


def test_old_key_vanishes_after_the_longest_access_lifetime(server):
    realm = new_realm(server, access_token_lifetime=2)
    old_kid = kid_of(issue(server, realm))
    out = server.key_rotate(realm.name, "--now")
    keys = by_kid(server.key_list(realm.name))
    assert keys[old_kid]["retire_at"] == out["active_from"] + 2, (keys, out)
    wait_until(lambda: old_kid not in server.kids(realm.name), 2 + KEYRING_DEADLINE + 1,
               f"retired kid {old_kid} gone from the JWKS of {realm.name}")
    assert out["kid"] in server.kids(realm.name)


def test_rotate_keeps_the_realms_algorithm(server):
    realms = [new_realm(server, alg=alg) for alg in ("RS256", "EdDSA")]
    before = [issue(server, realm) for realm in realms]
    outs = [server.key_rotate(realm.name, "--now") for realm in realms]
    for realm, out in zip(realms, outs):
        assert out["alg"] == realm.alg, out
    for realm, out, old in zip(realms, outs, before):
        after = wait_until(lambda: signed_by(server, realm, out["kid"]), KEYRING_DEADLINE,
                           f"tokens of {realm.name} signed by {out['kid']}")
        assert jwt_header(after)["alg"] == realm.alg
        verify(server, realm, old)
        verify(server, realm, after)


def test_rotate_with_an_explicit_alg(server):
    realm = new_realm(server)
    out = server.key_rotate(realm.name, "--alg", "ES256")
    assert out["alg"] == "ES256", out


def test_rotate_to_another_alg(server):
    # ES256 → EdDSA: the old key signs until the new one starts, then the new one signs
    # with its own algorithm, the realm makes its later keys with it, and tokens signed
    # before still verify.
    realm = new_realm(server)
    before = issue(server, realm)
    out = server.key_rotate(realm.name, "--alg", "EdDSA")
    assert out["alg"] == "EdDSA", out
    assert jwt_header(issue(server, realm))["alg"] == "ES256"
    shown = server.cli("realm", "show", realm.name, "--json")
    assert shown.returncode == 0 and '"alg":"EdDSA"' in shown.stdout, shown
    now = server.key_rotate(realm.name, "--now")
    assert now["alg"] == "EdDSA", now
    after = wait_until(lambda: signed_by(server, realm, now["kid"]), KEYRING_DEADLINE,
                       f"tokens of {realm.name} signed by {now['kid']}")
    assert jwt_header(after)["alg"] == "EdDSA"
    realm.alg = "EdDSA"
    verify(server, realm, after)
    realm.alg = "ES256"
    verify(server, realm, before)


@pytest.mark.parametrize("command", [["key"], ["key", "rotate"], ["key", "list"]])
def test_key_help(server, command):
    res = server.cli(*command, "--help", db=False)
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    assert "usage" in res.stdout.lower(), res.stdout


def test_key_commands_on_an_unknown_realm(server):
    for command in (["key", "rotate", "no-such-realm"], ["key", "list", "no-such-realm"]):
        res = server.cli(*command)
        assert res.returncode == 1, f"{command}: exit {res.returncode}; {res.stderr!r}"


def test_rotate_with_an_unknown_alg_is_refused(server):
    realm = new_realm(server)
    res = server.cli("key", "rotate", realm.name, "--alg", "HS256")
    assert res.returncode in (1, 2), f"exit {res.returncode}; stderr {res.stderr!r}"
    assert len(server.key_list(realm.name)) == 1, "nothing may be written"
