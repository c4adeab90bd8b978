"""The role and user rows of the admin REST API (SPEC §4, issue 5):
GET,POST /admin/realms/{r}/roles, GET,PUT,DELETE …/roles/{name}, GET,POST
/admin/realms/{r}/users, GET,PUT,DELETE …/users/{id} and PUT …/users/{id}/password, for a token of realm {r} or of the
default realm `main` carrying roles:manage, users:manage (users:read to read)."""

import base64
from types import SimpleNamespace

import pytest

from admin_api import (call, expect_admin_error, new_user, roles_path, token_for,
                       users_path)
from conftest import (ADMIN_PASSWORD, Client, describe, expect_error, expect_token, unique,
                      well_formed_secret)


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


# -- who may -------------------------------------------------------------------------------------

ROUTES = [("GET", "roles", "roles:manage"), ("POST", "roles", "roles:manage"),
          ("GET", "roles/admin", "roles:manage"), ("GET", "users", "users:read"),
          ("POST", "users", "users:manage"), ("GET", "users/x", "users:read"),
          ("PUT", "users/x/password", "users:manage"), ("PUT", "roles/admin", "roles:manage"),
          ("DELETE", "roles/nosuch", "roles:manage"), ("PUT", "users/x", "users:manage"),
          ("DELETE", "users/x", "users:manage")]


def route_body(path):
    if path == "roles":
        return {"name": unique("r"), "permissions": []}
    if path == "users":
        return {"username": unique("u")}
    if path.startswith("roles/"):
        return {"permissions": []}
    if path == "users/x":
        return {"email": None}
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


# -- changing and deleting roles -------------------------------------------------------------------

def new_role(server, w, permissions):
    name = unique("role")
    resp = call(server, "POST", roles_path(w.realm), w.admin,
                json={"name": name, "permissions": permissions})
    assert resp.status_code == 201, describe(resp)
    return name


def test_role_update(server, w):
    name = new_role(server, w, ["users:read"])
    resp = call(server, "PUT", roles_path(w.realm, name), w.roles_users,
                json={"permissions": ["users:manage", "roles:manage", "users:manage"]})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body == {"name": name, "permissions": ["roles:manage", "users:manage"],
                    "all_permissions": False}, body
    assert resp.headers.get("Cache-Control") == "no-store", resp.headers
    assert call(server, "GET", roles_path(w.realm, name), w.roles_only).json() == body
    resp = call(server, "PUT", roles_path(w.realm, name), w.roles_only, json={"permissions": []})
    assert resp.status_code == 200 and resp.json()["permissions"] == [], describe(resp)


@pytest.mark.parametrize("body", [
    {}, {"permissions": "users:read"}, {"permissions": [1]}, {"permissions": ["bad perm"]},
    {"permissions": ["openid"]}, {"name": "other", "permissions": []}, [],
])
def test_role_update_bad_body_is_400(server, w, body):
    name = new_role(server, w, ["users:read"])
    resp = call(server, "PUT", roles_path(w.realm, name), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")
    assert call(server, "GET", roles_path(w.realm, name), w.admin).json()["permissions"] == \
        ["users:read"]


def test_role_update_not_json_is_400(server, w):
    name = new_role(server, w, [])
    resp = call(server, "PUT", roles_path(w.realm, name), w.admin, data="{\"permissions\":[",
                headers={"Content-Type": "application/json"})
    expect_admin_error(resp, 400, "invalid_request")


def test_role_update_delete_missing_is_404(server, w):
    resp = call(server, "PUT", roles_path(w.realm, "nosuch"), w.admin, json={"permissions": []})
    expect_admin_error(resp, 404, "not_found")
    expect_admin_error(call(server, "DELETE", roles_path(w.realm, "nosuch"), w.admin), 404,
                       "not_found")


def test_builtin_role_cannot_change_is_409(server, w):
    for method, kw in (("PUT", {"json": {"permissions": ["users:read"]}}), ("DELETE", {})):
        resp = call(server, method, roles_path("main", "admin"), w.admin, **kw)
        body = expect_admin_error(resp, 409, "conflict")
        assert "built-in" in body["error_description"], body
    got = call(server, "GET", roles_path("main", "admin"), w.admin).json()
    assert got["all_permissions"] is True and got["permissions"] == [], got


def test_role_update_escalation_is_403(server, w):
    name = new_role(server, w, ["roles:manage"])
    resp = call(server, "PUT", roles_path(w.realm, name), w.roles_only,
                json={"permissions": ["roles:manage", "imports:manage"]})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    assert call(server, "GET", roles_path(w.realm, name), w.admin).json()["permissions"] == \
        ["roles:manage"]


def test_role_delete_removes_it_from_users(server, w):
    name = new_role(server, w, ["users:read"])
    keep = new_role(server, w, [])
    user = new_user(server, w.admin, w.realm, roles=[name, keep], password="role-del-pw")
    client = server.create_client(w.realm, ["password"], scope="users:read")
    tok = expect_token(server.password_grant(client, user["username"], "role-del-pw"))
    assert tok["scope"] == "users:read", tok
    resp = call(server, "DELETE", roles_path(w.realm, name), w.roles_only)
    assert resp.status_code == 204 and resp.content == b"", describe(resp)
    expect_admin_error(call(server, "GET", roles_path(w.realm, name), w.admin), 404, "not_found")
    got = call(server, "GET", users_path(w.realm, user["id"]), w.admin).json()
    assert got["roles"] == [keep], got
    tok = expect_token(server.password_grant(client, user["username"], "role-del-pw"))
    assert tok["scope"] == "", tok  # the permission went with the role
    expect_admin_error(call(server, "DELETE", roles_path(w.realm, name), w.admin), 404,
                       "not_found")


# -- changing and deleting users -------------------------------------------------------------------

def test_user_update(server, w):
    role = new_role(server, w, ["users:read"])
    other = new_role(server, w, ["users:manage"])
    user = new_user(server, w.admin, w.realm, email="old@example.com", first_name="Old",
                    last_name="Name", roles=[role])
    resp = call(server, "PUT", users_path(w.realm, user["id"]), w.roles_users,
                json={"first_name": "New", "enabled": False})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body == {**user, "first_name": "New", "enabled": False}, body  # the rest stays
    resp = call(server, "PUT", users_path(w.realm, user["id"]), w.roles_users,
                json={"email": None, "roles": [other]})
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["email"] is None and body["roles"] == [other], body
    assert body["last_name"] == "Name" and body["enabled"] is False, body
    assert call(server, "GET", users_path(w.realm, user["id"]), w.reader).json() == body
    resp = call(server, "PUT", users_path(w.realm, user["id"]), w.users_manager,
                json={"roles": []})
    assert resp.status_code == 200 and resp.json()["roles"] == [], describe(resp)


@pytest.mark.parametrize("body", [
    {"username": "renamed"}, {"id": "x"}, {"password": "pw-123"}, {"email": "not-an-email"},
    {"enabled": "yes"}, {"roles": "admin"}, {"roles": [1]}, {"roles": ["nosuchrole"]},
    {"first_name": 5}, [],
])
def test_user_update_bad_body_is_400(server, w, body):
    user = new_user(server, w.admin, w.realm, email="keep@example.com")
    resp = call(server, "PUT", users_path(w.realm, user["id"]), w.admin, json=body)
    expect_admin_error(resp, 400, "invalid_request")
    got = call(server, "GET", users_path(w.realm, user["id"]), w.admin).json()
    assert got == user, got


def test_user_update_delete_missing_is_404(server, w):
    resp = call(server, "PUT", users_path(w.realm, "no-such-id"), w.admin,
                json={"first_name": "x"})
    expect_admin_error(resp, 404, "not_found")
    expect_admin_error(call(server, "DELETE", users_path(w.realm, "no-such-id"), w.admin), 404,
                       "not_found")
    other = new_user(server, w.admin, w.third)  # of another realm
    expect_admin_error(call(server, "DELETE", users_path(w.realm, other["id"]), w.admin), 404,
                       "not_found")
    assert call(server, "GET", users_path(w.third, other["id"]), w.admin).status_code == 200


def test_user_update_escalation_is_403(server, w):
    mine = new_role(server, w, ["users:manage"])
    power = new_role(server, w, ["imports:manage"])
    user = new_user(server, w.admin, w.realm, roles=[mine])
    resp = call(server, "PUT", users_path(w.realm, user["id"]), w.users_manager,
                json={"first_name": "Eve", "roles": [mine, power]})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    got = call(server, "GET", users_path(w.realm, user["id"]), w.admin).json()
    assert got == user, got  # nothing changed, not even the name


def test_password_of_a_more_powerful_user_is_403(server, w):
    power = new_role(server, w, ["imports:manage", "users:manage"])
    user = new_user(server, w.admin, w.realm, roles=[power], password="first-pw-1")
    resp = call(server, "PUT", users_path(w.realm, user["id"], password=True), w.users_manager,
                json={"password": "taken-over-pw"})
    body = expect_admin_error(resp, 403, "forbidden")
    assert "imports:manage" in body["error_description"], body
    client = server.create_client(w.realm, ["password"], scope="users:manage")
    expect_token(server.password_grant(client, user["username"], "first-pw-1"))
    assert server.password_grant(client, user["username"], "taken-over-pw").status_code == 400


def test_user_delete_ends_everything_it_held(server, w):
    role = new_role(server, w, ["users:read"])
    user = new_user(server, w.admin, w.realm, roles=[role], password="del-pw-1")
    web = server.create_client(w.realm, ["password"], scope="users:read")
    job = server.create_client(w.realm, ["client_credentials"], scope="users:read",
                               owner=user["username"])
    tok = expect_token(server.password_grant(web, user["username"], "del-pw-1"))
    expect_token(server.client_credentials(job), refresh=False)
    resp = call(server, "DELETE", users_path(w.realm, user["id"]), w.users_manager)
    assert resp.status_code == 204 and resp.content == b"", describe(resp)
    expect_admin_error(call(server, "GET", users_path(w.realm, user["id"]), w.admin), 404,
                       "not_found")
    expect_error(server.refresh(web, tok["refresh_token"]), 400, "invalid_grant")
    expect_error(server.client_credentials(job), 401, "invalid_client")
    # its access token died with its session (keyhold's own checks)
    resp = call(server, "GET", users_path(w.realm), tok["access_token"])
    assert resp.status_code == 401, describe(resp)
    expect_admin_error(call(server, "DELETE", users_path(w.realm, user["id"]), w.admin), 404,
                       "not_found")
