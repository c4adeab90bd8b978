"""The role and user rows of the admin REST API (SPEC §4, issue 5):
GET,POST /admin/realms/{r}/roles, GET …/roles/{name}, GET,POST /admin/realms/{r}/users,
GET …/users/{id} and PUT …/users/{id}/password, for a token of realm {r} or of the
default realm `main` carrying roles:manage, users:manage (users:read to read)."""

import base64
from types import SimpleNamespace

import pytest
import requests

from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, Client, describe, expect_token, unique,
                      well_formed_secret)

PASSWORD = "admin-roles-users-pw"
ALL_SCOPES = ("realms:manage roles:manage users:read users:manage clients:manage "
              "api_access:manage imports:manage events:read")


def call(server, method, path, token=None, **kw):
    """One request; a GET never carries the json= body (routes without a body refuse one)."""
    if method == "GET":
        kw.pop("json", None)
    headers = dict(kw.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kw.setdefault("timeout", HTTP_TIMEOUT)
    return requests.request(method, server.base + path, headers=headers, **kw)


def expect_admin_error(resp, status, error):
    assert resp.status_code == status, f"expected {status} {error}: {describe(resp)}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    body = resp.json()
    assert body.get("error") == error, describe(resp)
    assert body.get("error_description"), describe(resp)
    return body


def token_for(server, realm, permissions, scope=None):
    """A password-grant access token of a new user of `realm` whose one role gives
    `permissions`, through a new client allowing `scope` (default: the permissions)."""
    role = server.create_role(realm, permissions)
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    client = server.create_client(realm, ["password"], scope=scope or " ".join(permissions))
    tok = expect_token(server.password_grant(client, user, PASSWORD))
    return tok["access_token"]


@pytest.fixture(scope="module")
def w(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))
    for perm in ("roles:manage", "users:manage", "users:read", "imports:manage"):
        assert perm in admin["scope"].split(), admin
    realm = server.create_realm()
    third = server.create_realm()
    return SimpleNamespace(
        admin=admin["access_token"],
        realm=realm,
        third=third,
        # tokens of `realm` itself
        reader=token_for(server, realm, ["users:read"]),
        roles_only=token_for(server, realm, ["roles:manage"]),
        roles_users=token_for(server, realm, ["roles:manage", "users:manage", "users:read"]),
        users_manager=token_for(server, realm, ["users:manage"]),
        # a token of `third` with every permission there: nothing in `realm`
        foreign=token_for(server, third, ["roles:manage", "users:manage", "users:read"]),
    )


def roles_path(realm, name=None):
    return f"/admin/realms/{realm}/roles" + (f"/{name}" if name else "")


def users_path(realm, user_id=None, password=False):
    path = f"/admin/realms/{realm}/users" + (f"/{user_id}" if user_id else "")
    return path + ("/password" if password else "")


def new_user(server, token, realm, **fields):
    body = {"username": unique("u"), **fields}
    resp = call(server, "POST", users_path(realm), token, json=body)
    assert resp.status_code == 201, describe(resp)
    return resp.json()


# -- who may -------------------------------------------------------------------------------------

ROUTES = [("GET", "roles", "roles:manage"), ("POST", "roles", "roles:manage"),
          ("GET", "roles/admin", "roles:manage"), ("GET", "users", "users:read"),
          ("POST", "users", "users:manage"), ("GET", "users/x", "users:read"),
          ("PUT", "users/x/password", "users:manage")]


def route_body(path):
    if path == "roles":
        return {"name": unique("r"), "permissions": []}
    if path == "users":
        return {"username": unique("u")}
    return {"password": "whatever-pw"}


@pytest.mark.parametrize("method,path,perm", ROUTES)
def test_no_token(server, w, method, path, perm):
    resp = call(server, method, f"/admin/realms/{w.realm}/{path}", json=route_body(path))
    expect_admin_error(resp, 401, "invalid_token")
    assert resp.headers.get("WWW-Authenticate") == f'Bearer realm="{w.realm}"', resp.headers


@pytest.mark.parametrize("method,path,perm", ROUTES)
@pytest.mark.parametrize("token", ["garbage", well_formed_secret("kha")])
def test_invalid_token(server, w, method, path, perm, token):
    resp = call(server, method, f"/admin/realms/{w.realm}/{path}", token, json=route_body(path))
    expect_admin_error(resp, 401, "invalid_token")


@pytest.mark.parametrize("method,path,perm", ROUTES)
def test_without_the_permission(server, w, method, path, perm):
    token = w.roles_only if perm.startswith("users") else w.reader
    resp = call(server, method, f"/admin/realms/{w.realm}/{path}", token, json=route_body(path))
    body = expect_admin_error(resp, 403, "insufficient_scope")
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert 'error="insufficient_scope"' in challenge, challenge
    assert perm in body.get("scope", ""), body


@pytest.mark.parametrize("method,path,perm", ROUTES)
def test_token_of_another_realm_is_401(server, w, method, path, perm):
    resp = call(server, method, f"/admin/realms/{w.realm}/{path}", w.foreign,
                json=route_body(path))
    expect_admin_error(resp, 401, "invalid_token")


def test_users_manage_may_read(server, w):
    resp = call(server, "GET", users_path(w.realm), w.users_manager)
    assert resp.status_code == 200, describe(resp)


def test_unknown_realm_is_404_for_operators(server, w):
    resp = call(server, "GET", roles_path(unique("nosuch")), w.admin)
    expect_admin_error(resp, 404, "not_found")
    resp = call(server, "GET", users_path(unique("nosuch")), w.admin)
    expect_admin_error(resp, 404, "not_found")


# -- roles -----------------------------------------------------------------------------------------

def test_role_create_get_list(server, w):
    name = unique("role")
    resp = call(server, "POST", roles_path(w.realm), w.roles_users,
                json={"name": name, "permissions": ["users:read", "roles:manage"]})
    assert resp.status_code == 201, describe(resp)
    body = resp.json()
    assert body == {"name": name, "permissions": ["roles:manage", "users:read"],
                    "all_permissions": False}, body
    assert resp.headers.get("Location") == roles_path(w.realm, name), resp.headers
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers

    got = call(server, "GET", roles_path(w.realm, name), w.roles_only)
    assert got.status_code == 200 and got.json() == body, describe(got)

    listed = call(server, "GET", roles_path(w.realm) + "?limit=500", w.roles_only)
    assert listed.status_code == 200, describe(listed)
    page = listed.json()
    assert page["next_cursor"] is None, page
    assert body in page["roles"], page
    names = [r["name"] for r in page["roles"]]
    assert names == sorted(names), names


def test_role_duplicate_is_409(server, w):
    name = unique("role")
    first = call(server, "POST", roles_path(w.realm), w.admin, json={"name": name})
    assert first.status_code == 201, describe(first)
    assert first.json()["permissions"] == []
    expect_admin_error(call(server, "POST", roles_path(w.realm), w.admin, json={"name": name}),
                       409, "conflict")


@pytest.mark.parametrize("body", [
    {"name": "bad name"}, {"name": ""}, {}, {"name": 5}, {"name": "ok", "extra": 1},
    {"name": "ok", "permissions": "users:read"}, {"name": "ok", "permissions": [1]},
    {"name": "ok", "permissions": ["not a permission"]}, {"name": "ok", "permissions": ["openid"]},
    {"name": "x" * 65},
])
def test_role_bad_body_is_400(server, w, body):
    resp = call(server, "POST", roles_path(w.realm), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")


def test_role_not_json_is_400(server, w):
    resp = call(server, "POST", roles_path(w.realm), w.admin, data="name=x",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    expect_admin_error(resp, 400, "invalid_request")


def test_role_escalation_is_403(server, w):
    name = unique("role")
    resp = call(server, "POST", roles_path(w.realm), w.roles_only,
                json={"name": name, "permissions": ["roles:manage", "imports:manage"]})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    expect_admin_error(call(server, "GET", roles_path(w.realm, name), w.admin), 404, "not_found")


def test_role_missing_is_404(server, w):
    expect_admin_error(call(server, "GET", roles_path(w.realm, "nosuch"), w.admin), 404,
                       "not_found")


def test_role_pagination(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))["access_token"]
    realm = server.create_realm()
    names = sorted(f"r{i:02d}" for i in range(7))
    for n in names:
        assert call(server, "POST", roles_path(realm), admin, json={"name": n}).status_code == 201
    seen, cursor = [], None
    while True:
        q = "?limit=3" + (f"&cursor={cursor}" if cursor else "")
        resp = call(server, "GET", roles_path(realm) + q, admin)
        assert resp.status_code == 200, describe(resp)
        page = resp.json()
        assert len(page["roles"]) <= 3
        seen += [r["name"] for r in page["roles"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode() == seen[-1]
    assert seen == names, seen
    for q in ("?limit=0", "?limit=501", "?limit=x", "?cursor=%%%"):
        expect_admin_error(call(server, "GET", roles_path(realm) + q, admin), 400,
                           "invalid_request")


# -- users -----------------------------------------------------------------------------------------

def test_user_create_get(server, w):
    role = unique("role")
    assert call(server, "POST", roles_path(w.realm), w.admin,
                json={"name": role, "permissions": ["users:read"]}).status_code == 201
    username = unique("User")
    resp = call(server, "POST", users_path(w.realm), w.roles_users,
                json={"username": username, "email": "a@example.com", "first_name": "Ann",
                      "last_name": "Lee", "enabled": False, "roles": [role],
                      "password": "s3cret-pw"})
    assert resp.status_code == 201, describe(resp)
    body = resp.json()
    assert body["username"] == username.lower(), body
    assert body["email"] == "a@example.com" and body["first_name"] == "Ann", body
    assert body["last_name"] == "Lee" and body["enabled"] is False, body
    assert body["roles"] == [role], body
    assert isinstance(body["created_at"], int) and body["id"], body
    assert "password" not in resp.text and "argon2" not in resp.text, resp.text
    assert resp.headers.get("Location") == users_path(w.realm, body["id"]), resp.headers

    got = call(server, "GET", users_path(w.realm, body["id"]), w.reader)
    assert got.status_code == 200 and got.json() == body, describe(got)
    assert "argon2" not in got.text


def test_user_minimal_and_list(server, w):
    body = new_user(server, w.admin, w.realm)
    assert body["enabled"] is True and body["roles"] == [] and body["email"] is None, body
    resp = call(server, "GET", users_path(w.realm) + "?limit=500", w.reader)
    assert resp.status_code == 200, describe(resp)
    page = resp.json()
    listed = {u["id"]: u for u in page["users"]}
    assert body["id"] in listed, page
    assert set(listed[body["id"]]) == {"id", "username", "email", "first_name", "last_name",
                                       "enabled", "created_at"}
    assert page["next_cursor"] is None


def test_user_pagination(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))["access_token"]
    realm = server.create_realm()
    names = sorted(f"user{i:02d}" for i in range(5))
    for n in names:
        new_user(server, admin, realm, username=n)
    seen, cursor = [], None
    while True:
        q = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = call(server, "GET", users_path(realm) + q, admin).json()
        seen += [u["username"] for u in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names, seen


def test_user_duplicate_is_409(server, w):
    name = unique("dup")
    new_user(server, w.admin, w.realm, username=name)
    resp = call(server, "POST", users_path(w.realm), w.admin, json={"username": name.upper()})
    expect_admin_error(resp, 409, "conflict")


@pytest.mark.parametrize("body", [
    {}, {"username": ""}, {"username": "has space"}, {"username": 3},
    {"username": "ok", "email": "not-an-email"}, {"username": "ok", "enabled": "yes"},
    {"username": "ok", "roles": "admin"}, {"username": "ok", "roles": [1]},
    {"username": "ok", "roles": ["nosuchrole"]}, {"username": "ok", "password": ""},
    {"username": "ok", "password": 5}, {"username": "ok", "unknown": True},
])
def test_user_bad_body_is_400(server, w, body):
    resp = call(server, "POST", users_path(w.realm), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")


def test_user_escalation_is_403(server, w):
    role = unique("role")
    assert call(server, "POST", roles_path(w.realm), w.admin,
                json={"name": role, "permissions": ["imports:manage"]}).status_code == 201
    name = unique("esc")
    resp = call(server, "POST", users_path(w.realm), w.roles_users,
                json={"username": name, "roles": [role]})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    # nothing of that user was written
    resp = call(server, "POST", users_path(w.realm), w.roles_users,
                json={"username": name, "roles": []})
    assert resp.status_code == 201, describe(resp)


def test_admin_role_needs_every_permission(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))["access_token"]
    narrow = token_for(server, "main", ["users:manage", "users:read"])
    resp = call(server, "POST", users_path("main"), narrow,
                json={"username": unique("esc"), "roles": ["admin"]})
    expect_admin_error(resp, 403, "forbidden")
    resp = call(server, "POST", users_path("main"), admin,
                json={"username": unique("adm"), "roles": ["admin"]})
    assert resp.status_code == 201, describe(resp)


def test_user_missing_is_404(server, w):
    expect_admin_error(call(server, "GET", users_path(w.realm, "no-such-id"), w.admin), 404,
                       "not_found")
    resp = call(server, "PUT", users_path(w.realm, "no-such-id", password=True), w.admin,
                json={"password": "x-pw-1"})
    expect_admin_error(resp, 404, "not_found")


def test_user_of_another_realm_is_404(server, w):
    body = new_user(server, w.admin, w.third)
    expect_admin_error(call(server, "GET", users_path(w.realm, body["id"]), w.admin), 404,
                       "not_found")


def test_set_password(server, w):
    body = new_user(server, w.admin, w.realm, password="first-pw")
    client = server.create_client(w.realm, ["password"], scope="users:read")
    expect_token(server.password_grant(client, body["username"], "first-pw"))
    resp = call(server, "PUT", users_path(w.realm, body["id"], password=True), w.users_manager,
                json={"password": "second-pw"})
    assert resp.status_code == 204, describe(resp)
    assert resp.content == b""
    expect_token(server.password_grant(client, body["username"], "second-pw"))
    assert server.password_grant(client, body["username"], "first-pw").status_code == 400


@pytest.mark.parametrize("body", [{}, {"password": ""}, {"password": 1},
                                  {"password": "x-pw", "other": 1}])
def test_set_password_bad_body_is_400(server, w, body):
    user = new_user(server, w.admin, w.realm)
    resp = call(server, "PUT", users_path(w.realm, user["id"], password=True), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")


# -- which realm -----------------------------------------------------------------------------------

def test_main_token_manages_another_realm(server, w):
    name = unique("role")
    resp = call(server, "POST", roles_path(w.third), w.admin, json={"name": name})
    assert resp.status_code == 201, describe(resp)
    user = new_user(server, w.admin, w.third, roles=[name])
    got = call(server, "GET", users_path(w.third, user["id"]), w.admin)
    assert got.status_code == 200 and got.json()["roles"] == [name], describe(got)


def test_realm_token_manages_its_own_realm(server, w):
    name = unique("role")
    resp = call(server, "POST", roles_path(w.third), w.foreign, json={"name": name})
    assert resp.status_code == 201, describe(resp)
    user = new_user(server, w.foreign, w.third)
    assert call(server, "GET", users_path(w.third, user["id"]), w.foreign).status_code == 200


def test_realm_token_cannot_manage_main(server, w):
    resp = call(server, "GET", users_path("main"), w.foreign)
    expect_admin_error(resp, 401, "invalid_token")
    resp = call(server, "POST", roles_path("main"), w.foreign, json={"name": unique("r")})
    expect_admin_error(resp, 401, "invalid_token")
