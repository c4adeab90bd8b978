"""Integrations, "New client credentials" (SPEC §4, issue 5 points 1, 2 and 6):
POST,GET /admin/realms/{r}/integrations, DELETE …/integrations/{client_id} with
api_access:manage, POST …/clients/{client_id}/secret, expires_at, last_used_at, the
no-escalation rule, the owner's state at each grant, and `keyhold integration`."""

import time
from types import SimpleNamespace

import pytest
import requests

from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, Client, db_rows, describe, expect_error,
                      expect_token, jwt_claims, scopes, unique, wait_until)

PASSWORD = "integrations-pw"
IMPORTER = ("imports:manage", "users:read")


def call(server, method, path, token=None, **kw):
    headers = dict(kw.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kw.setdefault("timeout", HTTP_TIMEOUT)
    return requests.request(method, server.base + path, headers=headers, **kw)


def expect_admin_error(resp, status, error):
    assert resp.status_code == status, f"expected {status} {error}: {describe(resp)}"
    body = resp.json()
    assert body.get("error") == error, describe(resp)
    assert body.get("error_description"), describe(resp)
    return body


def token_for(server, realm, permissions):
    """A password-grant access token of a new user of `realm` holding `permissions`."""
    role = server.create_role(realm, permissions)
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    client = server.create_client(realm, ["password"], scope=" ".join(permissions))
    return expect_token(server.password_grant(client, user, PASSWORD))["access_token"]


@pytest.fixture(scope="module")
def w(server):
    realm = server.create_realm()
    importer = server.create_role(realm, IMPORTER)
    reader = server.create_role(realm, ["users:read"])
    return SimpleNamespace(
        realm=realm,
        importer=importer,
        reader=reader,
        # may confer imports:manage and users:read
        manager=token_for(server, realm, ["api_access:manage", *IMPORTER]),
        # api_access:manage, but only users:read to confer
        weak=token_for(server, realm, ["api_access:manage", "users:read"]),
        # no api_access:manage
        outsider=token_for(server, realm, ["users:read", "imports:manage"]),
        clients=token_for(server, realm, ["clients:manage", *IMPORTER]),
    )


def path(realm, client_id=None):
    return f"/admin/realms/{realm}/integrations" + (f"/{client_id}" if client_id else "")


def owner(server, w, roles=None):
    return server.create_user(w.realm, roles=[w.importer] if roles is None else roles)


def create(server, w, body, token=None):
    return call(server, "POST", path(w.realm), token or w.manager, json=body)


def created(server, w, body, token=None):
    resp = create(server, w, body, token)
    assert resp.status_code == 201, describe(resp)
    out = resp.json()
    assert out["client_secret"].startswith("khs_"), out
    return out, Client(out["client_id"], out["client_secret"], w.realm)


def listing(server, w, token=None, **params):
    resp = call(server, "GET", path(w.realm), token or w.manager, params=params)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


def listed(server, w, client_id):
    found = [i for i in listing(server, w, limit=500)["integrations"]
             if i["client_id"] == client_id]
    return found[0] if found else None


def v1_users(server, access_token):
    return call(server, "GET", "/v1/users", access_token)


def expect_invalid_token(resp):
    assert resp.status_code == 401, describe(resp)
    assert 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", ""), describe(resp)


def test_create_then_grant_carries_only_what_the_owner_holds(server, w):
    alice = owner(server, w)
    before = int(time.time())
    resp = create(server, w, {"user": alice, "name": "Nightly import",
                              "scopes": ["imports:manage"]})
    assert resp.status_code == 201, describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", "")
    out = resp.json()
    client = Client(out["client_id"], out["client_secret"], w.realm)
    assert out["client_secret"].startswith("khs_"), out
    assert out["client_id"].startswith("int-"), out
    assert out["name"] == "Nightly import"
    assert out["user"]["username"] == alice and out["user"]["id"], out
    assert out["scopes"] == ["imports:manage"]
    assert before <= out["created_at"] <= int(time.time()) + 1
    assert out["created_by"] == jwt_claims(w.manager)["sub"]
    assert out["expires_at"] is None and out["last_used_at"] is None
    assert out["active"] is True

    tok = expect_token(server.client_credentials(client), refresh=False)
    assert scopes(tok["scope"]) == {"imports:manage"}
    claims = jwt_claims(tok["access_token"])
    assert claims["sub"] == out["user"]["id"] and claims["client_id"] == client.client_id
    # users:read is the owner's, but not the integration's
    expect_error(server.client_credentials(client, scope="users:read"), 400, "invalid_scope")
    # the client has only the client_credentials grant
    expect_error(server.password_grant(client, alice, "x"), 400, "unauthorized_client")


def test_default_scopes_are_the_owners_permissions(server, w):
    out, client = created(server, w, {"user": owner(server, w)})
    assert set(out["scopes"]) == set(IMPORTER)
    assert scopes(expect_token(server.client_credentials(client))["scope"]) == set(IMPORTER)


def test_secret_never_shown_again(server, w):
    out, client = created(server, w, {"user": owner(server, w)})
    expect_token(server.client_credentials(client))
    resp = call(server, "GET", path(w.realm), w.manager)
    assert resp.status_code == 200 and client.secret not in resp.text
    assert "client_secret" not in resp.text
    assert client.secret not in server.stderr()
    assert client.secret not in server.stdout()
    assert client.secret not in server.cli_ok("integration", "list", w.realm, "--json").stdout


def test_list_fields_last_used_and_paging(server, w):
    alice = owner(server, w)
    out, client = created(server, w, {"user": alice, "expires_at": "2099-01-01T00:00:00Z"})
    item = listed(server, w, client.client_id)
    assert item["expires_at"] == 4070908800
    assert item["last_used_at"] is None and item["active"] is True
    assert item["user"] == out["user"] and item["created_by"] == out["created_by"]
    assert set(item) == {"client_id", "name", "user", "scopes", "created_at", "created_by",
                         "expires_at", "last_used_at", "active"}
    expect_token(server.client_credentials(client))
    used = wait_until(lambda: listed(server, w, client.client_id)["last_used_at"], 15,
                      "last_used_at set after a grant")
    assert abs(used - time.time()) < 30

    first = listing(server, w, limit=1)
    assert len(first["integrations"]) == 1 and first["next_cursor"]
    second = listing(server, w, limit=1, cursor=first["next_cursor"])
    assert second["integrations"][0]["client_id"] > first["integrations"][0]["client_id"]
    expect_admin_error(call(server, "GET", path(w.realm), w.manager, params={"limit": 0}),
                       400, "invalid_request")


def test_expired_integration_is_refused(server, w):
    out, client = created(server, w, {"user": owner(server, w),
                                      "expires_at": int(time.time()) + 2})
    expect_token(server.client_credentials(client))
    wait_until(lambda: time.time() >= out["expires_at"] + 0.2, 10, "expiry")
    expect_error(server.client_credentials(client), 401, "invalid_client")
    expect_error(server.introspect(client, "whatever"), 401, "invalid_client")
    assert listed(server, w, client.client_id)["active"] is False


def test_expiry_in_the_past_or_malformed_is_refused(server, w):
    alice = owner(server, w)
    for bad in (int(time.time()) - 5, "2001-01-01T00:00:00Z", "tomorrow", -1, True):
        expect_admin_error(create(server, w, {"user": alice, "expires_at": bad}), 400,
                           "invalid_request")


def test_disabled_owner_stops_at_once(server, w):
    bob = owner(server, w)
    out, client = created(server, w, {"user": bob})
    issued = expect_token(server.client_credentials(client))["access_token"]
    assert v1_users(server, issued).status_code == 200
    server.set_user_enabled(w.realm, bob, False)
    expect_error(server.client_credentials(client), 400, "invalid_grant")
    # and the token issued before dies with it, not at its exp
    expect_invalid_token(v1_users(server, issued))
    assert listed(server, w, client.client_id)["active"] is False
    server.set_user_enabled(w.realm, bob, True)
    expect_token(server.client_credentials(client))
    assert v1_users(server, issued).status_code == 200
    assert listed(server, w, client.client_id)["active"] is True


def test_demoted_owner_next_token_lacks_the_scope(server, w, tmp_path):
    carol = owner(server, w, roles=[w.importer, w.reader])
    _, client = created(server, w, {"user": carol})
    assert scopes(expect_token(server.client_credentials(client))["scope"]) == set(IMPORTER)
    csv = tmp_path / "demote.csv"
    csv.write_text(f"username,roles\n{carol},{w.reader}\n")   # replaces carol's roles
    server.cli_ok("import", w.realm, str(csv))
    assert scopes(expect_token(server.client_credentials(client))["scope"]) == {"users:read"}


def test_permission_needed(server, w):
    alice = owner(server, w)
    for method, p, body in (("POST", path(w.realm), {"user": alice}),
                            ("GET", path(w.realm), None),
                            ("DELETE", path(w.realm, "int-whatever"), None)):
        resp = call(server, method, p, w.outsider, json=body)
        expect_admin_error(resp, 403, "insufficient_scope")
        assert 'scope="api_access:manage"' in resp.headers.get("WWW-Authenticate", "")
        resp = call(server, method, p, None, json=body)
        assert resp.status_code == 401, describe(resp)
    assert listing(server, w)["integrations"] is not None


def test_escalation_refused_and_nothing_created(server, w):
    alice = owner(server, w)
    count = len(listing(server, w, limit=500)["integrations"])
    for body in ({"user": alice, "scopes": ["imports:manage"]},
                 {"user": alice, "scopes": ["users:read", "imports:manage"]},
                 {"user": alice}):   # default: all alice holds, imports:manage among them
        resp = create(server, w, body, token=w.weak)
        err = expect_admin_error(resp, 403, "forbidden")
        assert "imports:manage" in err["error_description"], err
        assert "WWW-Authenticate" not in resp.headers
    # a scope the owner does not hold confers nothing: refused as a bad request
    expect_admin_error(create(server, w, {"user": alice, "scopes": ["clients:manage"]}), 400,
                       "invalid_request")
    assert len(listing(server, w, limit=500)["integrations"]) == count
    # what the weak manager holds it may confer
    created(server, w, {"user": alice, "scopes": ["users:read"]}, token=w.weak)


def test_bad_bodies(server, w):
    alice = owner(server, w)
    for body in ({}, {"user": 5}, {"user": alice, "extra": 1}, {"user": alice, "scopes": "x"},
                 {"user": alice, "scopes": []}, {"user": alice, "scopes": ["openid"]},
                 {"user": alice, "name": 7}, {"user": "no-such-user"}):
        expect_admin_error(create(server, w, body), 400, "invalid_request")
    resp = call(server, "POST", path(w.realm), w.manager, data="user=x",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_admin_error(resp, 400, "invalid_request")
    expect_admin_error(call(server, "GET", path("no-such-realm"), w.manager), 401,
                       "invalid_token")


def rotate(server, w, client_id, token=None, grace=None):
    kw = {"json": {"grace_seconds": grace}} if grace is not None else {}
    return call(server, "POST", f"/admin/realms/{w.realm}/clients/{client_id}/secret",
                token or w.manager, **kw)


def test_rotate_secret(server, w):
    _, client = created(server, w, {"user": owner(server, w)})
    resp = rotate(server, w, client.client_id)
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["client_id"] == client.client_id and body["old_secret_valid_until"] == 0
    new = Client(client.client_id, body["client_secret"], w.realm)
    expect_error(server.client_credentials(client), 401, "invalid_client")
    expect_token(server.client_credentials(new))
    assert new.secret not in server.stderr()

    resp = rotate(server, w, client.client_id, grace=60)
    assert resp.status_code == 200, describe(resp)
    newer = Client(client.client_id, resp.json()["client_secret"], w.realm)
    assert resp.json()["old_secret_valid_until"] >= time.time() + 50
    expect_token(server.client_credentials(new))      # within the grace
    expect_token(server.client_credentials(newer))
    expect_admin_error(rotate(server, w, client.client_id, grace=-1), 400, "invalid_request")
    expect_admin_error(rotate(server, w, "no-such-client"), 404, "not_found")


def test_rotate_secret_permissions(server, w):
    plain = server.create_client(w.realm, ["client_credentials"], scope="users:read")
    # api_access:manage is for integrations only
    resp = rotate(server, w, plain.client_id)
    expect_admin_error(resp, 403, "insufficient_scope")
    assert 'scope="clients:manage"' in resp.headers.get("WWW-Authenticate", "")
    expect_token(server.client_credentials(plain))      # unchanged
    resp = rotate(server, w, plain.client_id, token=w.clients)
    assert resp.status_code == 200, describe(resp)
    # clients:manage also rotates an integration's secret
    _, integ = created(server, w, {"user": owner(server, w)})
    assert rotate(server, w, integ.client_id, token=w.clients).status_code == 200
    # a new secret gives what the integration gives: the weak manager lacks imports:manage
    err = expect_admin_error(rotate(server, w, integ.client_id, token=w.weak), 403, "forbidden")
    assert "imports:manage" in err["error_description"]
    expect_admin_error(rotate(server, w, integ.client_id, token=w.outsider), 403,
                       "insufficient_scope")


def test_delete(server, w):
    _, client = created(server, w, {"user": owner(server, w)})
    issued = expect_token(server.client_credentials(client))["access_token"]
    assert v1_users(server, issued).status_code == 200
    resp = call(server, "DELETE", path(w.realm, client.client_id), w.manager)
    assert resp.status_code == 204, describe(resp)
    expect_error(server.client_credentials(client), 401, "invalid_client")
    expect_invalid_token(v1_users(server, issued))
    assert listed(server, w, client.client_id) is None
    expect_admin_error(call(server, "DELETE", path(w.realm, client.client_id), w.manager), 404,
                       "not_found")
    plain = server.create_client(w.realm, ["client_credentials"], scope="users:read")
    expect_admin_error(call(server, "DELETE", path(w.realm, plain.client_id), w.manager), 404,
                       "not_found")
    expect_token(server.client_credentials(plain))    # an ordinary client is left alone


def test_cli_create_list_delete(server, w):
    alice = owner(server, w)
    out = server.cli_json("integration", "create", w.realm, "--user", alice, "--scope",
                          "users:read", "--name", "cli job", "--expires-at",
                          "2099-01-01T00:00:00Z")
    assert out["client_id"].startswith("int-") and out["client_secret"].startswith("khs_")
    assert out["created_by"] == "cli" and out["expires_at"] == 4070908800
    assert out["scopes"] == ["users:read"] and out["user"]["username"] == alice
    client = Client(out["client_id"], out["client_secret"], w.realm)
    assert scopes(expect_token(server.client_credentials(client))["scope"]) == {"users:read"}

    human = server.cli_ok("integration", "create", w.realm, "--user", alice).stdout
    assert "khs_" in human and "shown once" in human

    listed_cli = server.cli_json("integration", "list", w.realm)
    ids = [i["client_id"] for i in listed_cli["integrations"]]
    assert out["client_id"] in ids and listed_cli["realm"] == w.realm
    assert out["client_secret"] not in server.cli_ok("integration", "list", w.realm).stdout

    server.cli_ok("integration", "delete", w.realm, out["client_id"])
    expect_error(server.client_credentials(client), 401, "invalid_client")
    # both changes are in the audit log, by the operator, before the commands returned
    events = db_rows(server.db, "SELECT type, actor FROM audit_events WHERE target = ? "
                                "ORDER BY seq", (out["client_id"],))
    assert [tuple(e) for e in events] == [("integration.create", "cli"),
                                          ("integration.delete", "cli")], events
    assert server.cli("integration", "delete", w.realm, out["client_id"]).returncode == 1
    assert server.cli("integration", "create", w.realm, "--user", "nobody").returncode == 1
    assert server.cli("integration", "create", w.realm, "--user", alice, "--scope",
                      "realms:manage").returncode == 1
    assert server.cli("integration", "create", w.realm).returncode == 2
    assert server.cli("integration", "create", w.realm, "--user", alice, "--expires-at",
                      "soon").returncode == 2
    for sub in ("create", "list", "delete"):
        res = server.cli("integration", sub, "--help", db=False)
        assert res.returncode == 0 and "usage: keyhold integration" in res.stdout, res
