"""What the admin REST API tests share: one request with a bearer token, the
error shape, a token holding chosen permissions, the paths."""

import requests

from conftest import HTTP_TIMEOUT, describe, expect_token, unique

PASSWORD = "admin-roles-users-pw"
ALL_SCOPES = ("realms:manage roles:manage users:read users:manage clients:manage "
              "api_access:manage imports:manage events:read")


def call(server, method, path, token=None, **kw):
    """One request; a GET or DELETE never carries the json= body (routes without a body
    refuse one)."""
    if method in ("GET", "DELETE"):
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
