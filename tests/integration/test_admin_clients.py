"""The client rows of the admin REST API (SPEC §4, issue 5): GET,POST
/admin/realms/{r}/clients and GET,PUT,DELETE …/clients/{client_id}, for a token of realm
{r} or of the default realm carrying clients:manage; no escalation through a client's
scopes or its owner."""

from types import SimpleNamespace

import pytest

from admin_api import call, expect_admin_error, token_for
from conftest import (ADMIN_PASSWORD, Client, describe, expect_error, expect_token, unique,
                      well_formed_secret)

FIELDS = {"client_id", "name", "confidential", "grants", "scopes", "default_scopes", "owner",
          "enabled", "opaque", "access_ttl", "refresh_idle_ttl", "session_max_ttl",
          "offline_idle_ttl", "refresh_grace", "created_at", "integration", "created_by",
          "expires_at", "last_used_at"}


@pytest.fixture(scope="module")
def w(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))
    realm = server.create_realm()
    third = server.create_realm()
    # a user holding more than the clients manager does
    power_role = server.create_role(realm, ["users:read", "imports:manage"])
    power = server.create_user(realm, roles=[power_role])
    weak_role = server.create_role(realm, ["users:read"])
    weak = server.create_user(realm, roles=[weak_role])
    return SimpleNamespace(
        admin=admin["access_token"], realm=realm, third=third, power=power, weak=weak,
        manager=token_for(server, realm, ["clients:manage", "users:read"]),
        reader=token_for(server, realm, ["users:read"]),
        foreign=token_for(server, third, ["clients:manage"]),
    )


def path(realm, client_id=None):
    return f"/admin/realms/{realm}/clients" + (f"/{client_id}" if client_id else "")


def create(server, token, realm, **fields):
    body = {"client_id": unique("c"), "grants": ["client_credentials"], **fields}
    resp = call(server, "POST", path(realm), token, json=body)
    assert resp.status_code == 201, describe(resp)
    return resp.json()


def get(server, w, client_id):
    resp = call(server, "GET", path(w.realm, client_id), w.admin)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


# -- who may -------------------------------------------------------------------------------------

ROUTES = [("GET", ""), ("POST", ""), ("GET", "/x"), ("PUT", "/x"), ("DELETE", "/x")]
BODY = {"client_id": "x", "grants": ["password"]}


@pytest.mark.parametrize("method,sub", ROUTES)
def test_no_token_is_401(server, w, method, sub):
    resp = call(server, method, path(w.realm) + sub, json=BODY)
    expect_admin_error(resp, 401, "invalid_token")
    assert resp.headers.get("WWW-Authenticate") == f'Bearer realm="{w.realm}"', resp.headers
    resp = call(server, method, path(w.realm) + sub, well_formed_secret("kha"), json=BODY)
    expect_admin_error(resp, 401, "invalid_token")


@pytest.mark.parametrize("method,sub", ROUTES)
def test_without_clients_manage_is_403(server, w, method, sub):
    resp = call(server, method, path(w.realm) + sub, w.reader, json=BODY)
    body = expect_admin_error(resp, 403, "insufficient_scope")
    assert body.get("scope") == "clients:manage", body


@pytest.mark.parametrize("method,sub", ROUTES)
def test_token_of_another_realm_is_401(server, w, method, sub):
    resp = call(server, method, path(w.realm) + sub, w.foreign, json=BODY)
    expect_admin_error(resp, 401, "invalid_token")


# -- create, read, list ----------------------------------------------------------------------------

def test_create_confidential(server, w):
    client_id = unique("job")
    resp = call(server, "POST", path(w.realm), w.manager,
                json={"client_id": client_id, "name": "Nightly job",
                      "grants": ["client_credentials"], "scopes": ["users:read", "openid"],
                      "default_scopes": ["users:read"], "access_ttl": 120})
    assert resp.status_code == 201, describe(resp)
    assert resp.headers.get("Location") == path(w.realm, client_id), resp.headers
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    body = resp.json()
    secret = body.pop("client_secret")
    assert secret.startswith("khs_"), body
    assert set(body) == FIELDS, body
    assert body["client_id"] == client_id and body["name"] == "Nightly job", body
    assert body["confidential"] is True and body["enabled"] is True, body
    assert body["grants"] == ["client_credentials"], body
    assert body["scopes"] == ["users:read", "openid"], body
    assert body["default_scopes"] == ["users:read"] and body["owner"] is None, body
    assert body["opaque"] is False and body["access_ttl"] == 120, body
    assert body["refresh_idle_ttl"] == 0 and body["refresh_grace"] == -1, body
    assert isinstance(body["created_at"], int), body
    assert body["integration"] is False and len(body["created_by"]) == 36, body  # a user id
    assert body["expires_at"] is None and body["last_used_at"] is None, body
    # the secret is shown this once
    got = call(server, "GET", path(w.realm, client_id), w.manager)
    assert got.status_code == 200 and got.json() == body, describe(got)
    assert secret not in got.text and "client_secret" not in got.text
    tok = expect_token(server.client_credentials(Client(client_id, secret, w.realm)),
                       refresh=False, expires_in=120)
    assert tok["scope"] == "users:read", tok


def test_create_public_with_owner(server, w):
    body = create(server, w.manager, w.realm, grants=["password", "refresh_token"],
                  confidential=False, owner=w.weak.upper(), opaque=True, enabled=False)
    assert "client_secret" not in body, body
    assert body["confidential"] is False and body["owner"] == w.weak, body
    assert body["grants"] == ["password", "refresh_token"], body
    assert body["opaque"] is True and body["enabled"] is False, body


def test_list_and_pages(server, w):
    realm = server.create_realm()
    ids = sorted(create(server, w.admin, realm)["client_id"] for _ in range(5))
    seen, cursor = [], None
    while True:
        q = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        resp = call(server, "GET", path(realm) + q, w.admin)
        assert resp.status_code == 200, describe(resp)
        page = resp.json()
        assert len(page["clients"]) <= 2
        for c in page["clients"]:
            assert set(c) == FIELDS, c
        seen += [c["client_id"] for c in page["clients"] if c["client_id"] != "admin-cli"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids, seen
    for q in ("?limit=0", "?limit=501", "?cursor=%%%"):
        expect_admin_error(call(server, "GET", path(realm) + q, w.admin), 400,
                           "invalid_request")


def test_taken_client_id_is_409(server, w):
    body = create(server, w.admin, w.realm)
    resp = call(server, "POST", path(w.realm), w.admin,
                json={"client_id": body["client_id"], "grants": ["password"]})
    expect_admin_error(resp, 409, "conflict")
    assert get(server, w, body["client_id"])["grants"] == ["client_credentials"]


@pytest.mark.parametrize("body", [
    {}, {"client_id": "x"}, {"grants": ["password"]}, {"client_id": "a b", "grants": ["password"]},
    {"client_id": 5, "grants": ["password"]}, {"client_id": "x", "grants": "password"},
    {"client_id": "x", "grants": []}, {"client_id": "x", "grants": ["nope"]},
    {"client_id": "x", "grants": ["password,client_credentials"]},
    {"client_id": "x", "grants": ["password"], "scopes": [1]},
    {"client_id": "x", "grants": ["password"], "scopes": ["a b"]},
    {"client_id": "x", "grants": ["password"], "scopes": ["users:read"],
     "default_scopes": ["openid"]},
    {"client_id": "x", "grants": ["client_credentials"], "confidential": False},
    {"client_id": "x", "grants": ["password"], "unknown": 1},
    {"client_id": "x", "grants": ["password"], "client_secret": "mine"},
    {"client_id": "x", "grants": ["password"], "access_ttl": "60"},
    {"client_id": "x", "grants": ["password"], "access_ttl": -5},
    {"client_id": "x", "grants": ["password"], "refresh_grace": 3601},
    {"client_id": "x", "grants": ["password"], "owner": "nosuchuser"},
    {"client_id": "x", "grants": ["password"], "enabled": "yes"},
    {"client_id": "x", "grants": ["password"], "name": "bad\u0001name"}, [],
])
def test_bad_body_is_400(server, w, body):
    resp = call(server, "POST", path(w.realm), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")
    expect_admin_error(call(server, "GET", path(w.realm, "x"), w.admin), 404, "not_found")


def test_not_json_is_400(server, w):
    resp = call(server, "POST", path(w.realm), w.admin, data="client_id=x",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_admin_error(resp, 400, "invalid_request")


def test_missing_is_404(server, w):
    for method in ("GET", "PUT", "DELETE"):
        resp = call(server, method, path(w.realm, "nosuch"), w.admin, json={"name": "n"})
        expect_admin_error(resp, 404, "not_found")
    other = create(server, w.admin, w.third)  # of another realm
    expect_admin_error(call(server, "GET", path(w.realm, other["client_id"]), w.admin), 404,
                       "not_found")


# -- update, delete --------------------------------------------------------------------------------

def test_update(server, w):
    created = create(server, w.manager, w.realm, scopes=["users:read"])
    client = Client(created["client_id"], created.pop("client_secret"), w.realm)
    expect_token(server.client_credentials(client), refresh=False)
    resp = call(server, "PUT", path(w.realm, client.client_id), w.manager,
                json={"name": "Renamed", "enabled": False, "access_ttl": 60,
                      "owner": w.weak})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body == {**created, "name": "Renamed", "enabled": False, "access_ttl": 60,
                    "owner": w.weak}, body
    assert get(server, w, client.client_id) == body
    expect_error(server.client_credentials(client), 401, "invalid_client")  # disabled
    resp = call(server, "PUT", path(w.realm, client.client_id), w.manager,
                json={"name": None, "owner": None, "enabled": True, "scopes": []})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["name"] is None and body["owner"] is None and body["scopes"] == [], body
    assert expect_token(server.client_credentials(client), refresh=False,
                        expires_in=60)["scope"] == ""


@pytest.mark.parametrize("body", [
    {"client_id": "other"}, {"confidential": False}, {"client_secret": "x"},
    {"created_at": 1}, {"grants": ["nope"]}, {"scopes": "users:read"}, {"access_ttl": -1},
    {"owner": "nosuchuser"}, {"opaque": 1}, {"unknown": True}, [],
])
def test_update_bad_body_is_400(server, w, body):
    created = create(server, w.admin, w.realm)
    created.pop("client_secret")
    resp = call(server, "PUT", path(w.realm, created["client_id"]), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")
    assert get(server, w, created["client_id"]) == created


def test_delete_ends_its_sessions_and_tokens(server, w):
    created = create(server, w.manager, w.realm, grants=["password"], scopes=["users:read"])
    client = Client(created["client_id"], created["client_secret"], w.realm)
    user = server.create_user(w.realm, password="client-del-pw")
    tok = expect_token(server.password_grant(client, user, "client-del-pw"))
    resp = call(server, "DELETE", path(w.realm, client.client_id), w.manager)
    assert resp.status_code == 204 and resp.content == b"", describe(resp)
    expect_admin_error(call(server, "GET", path(w.realm, client.client_id), w.admin), 404,
                       "not_found")
    expect_error(server.refresh(client, tok["refresh_token"]), 401, "invalid_client")
    expect_error(server.password_grant(client, user, "client-del-pw"), 401, "invalid_client")
    resp = call(server, "DELETE", path(w.realm, client.client_id), w.manager)
    expect_admin_error(resp, 404, "not_found")


# -- no escalation ---------------------------------------------------------------------------------

def test_scope_the_caller_lacks_is_403(server, w):
    client_id = unique("esc")
    resp = call(server, "POST", path(w.realm), w.manager,
                json={"client_id": client_id, "grants": ["client_credentials"],
                      "scopes": ["users:read", "imports:manage"]})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    expect_admin_error(call(server, "GET", path(w.realm, client_id), w.admin), 404, "not_found")
    created = create(server, w.manager, w.realm, scopes=["users:read"])
    resp = call(server, "PUT", path(w.realm, created["client_id"]), w.manager,
                json={"scopes": ["imports:manage"]})
    expect_admin_error(resp, 403, "forbidden")
    assert get(server, w, created["client_id"])["scopes"] == ["users:read"]


def test_owner_more_powerful_than_the_caller_is_403(server, w):
    client_id = unique("esc")
    resp = call(server, "POST", path(w.realm), w.manager,
                json={"client_id": client_id, "grants": ["client_credentials"],
                      "owner": w.power})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    expect_admin_error(call(server, "GET", path(w.realm, client_id), w.admin), 404, "not_found")
    created = create(server, w.manager, w.realm, owner=w.weak)
    resp = call(server, "PUT", path(w.realm, created["client_id"]), w.manager,
                json={"owner": w.power, "name": "mine now"})
    expect_admin_error(resp, 403, "forbidden")
    got = get(server, w, created["client_id"])
    assert got["owner"] == w.weak and got["name"] is None, got
    # the operator holds everything: it may
    resp = call(server, "PUT", path(w.realm, created["client_id"]), w.admin,
                json={"owner": w.power})
    assert resp.status_code == 200 and resp.json()["owner"] == w.power, describe(resp)


def test_changing_a_client_that_confers_more_is_403(server, w):
    # a client of a powerful owner (made by the operator): the manager may not change it,
    # e.g. remove its owner so that it acts with its own scopes
    created = create(server, w.admin, w.realm, owner=w.power, scopes=["imports:manage"])
    for change in ({"owner": None}, {"enabled": False}):
        resp = call(server, "PUT", path(w.realm, created["client_id"]), w.manager, json=change)
        expect_admin_error(resp, 403, "forbidden")
    got = get(server, w, created["client_id"])
    assert got["owner"] == w.power and got["enabled"] is True, got
