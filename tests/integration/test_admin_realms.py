"""The realm rows of the admin REST API (SPEC §4, issue 5): GET,POST /admin/realms and
GET /admin/realms/{r}, for a token of the default realm carrying realms:manage."""

import base64
from types import SimpleNamespace

import pytest
import requests

from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, Client, describe, expect_token, unique,
                      well_formed_secret)

PASSWORD = "admin-realms-pw"
REALMS = "/admin/realms"
NO_MASTER_KEY = "master key"


@pytest.fixture(scope="module")
def w(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))
    assert "realms:manage" in admin["scope"].split(), admin
    # a user of main without realms:manage
    role = server.create_role("main", ["users:read"])
    reader = server.create_user("main", password=PASSWORD, roles=[role])
    main_client = server.create_client("main", ["password"], scope="users:read realms:manage")
    reader_token = expect_token(server.password_grant(main_client, reader, PASSWORD))
    assert "realms:manage" not in reader_token["scope"].split(), reader_token
    # a user of another realm who holds realms:manage there
    other = server.create_realm()
    other_role = server.create_role(other, ["realms:manage"])
    other_user = server.create_user(other, password=PASSWORD, roles=[other_role])
    other_client = server.create_client(other, ["password"], scope="realms:manage")
    other_token = expect_token(server.password_grant(other_client, other_user, PASSWORD))
    assert other_token["scope"] == "realms:manage", other_token
    return SimpleNamespace(admin=admin["access_token"], reader=reader_token["access_token"],
                           other=other, other_token=other_token["access_token"])


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


def create(server, token, body=None, **kw):
    """POST /admin/realms; skips when the server was started without its master key."""
    resp = call(server, "POST", REALMS, token, **({"json": body} if body is not None else {}),
                **kw)
    if resp.status_code == 503 and NO_MASTER_KEY in resp.text:
        pytest.skip("keyhold serve does not hand its master key to the API yet "
                    "(src/cli/serve.c: `.master = master` in struct api)")
    return resp


def expect_realm(body, name, alg="ES256"):
    assert body.get("name") == name and body.get("alg") == alg, body
    for field in ("access_token_lifetime", "refresh_idle_lifetime", "session_max_lifetime",
                  "offline_idle_lifetime", "refresh_reuse_grace", "created_at"):
        assert isinstance(body.get(field), int), (field, body)
    assert body["access_token_lifetime"] == 300, body


# -- who may -------------------------------------------------------------------------------------

ROUTES = pytest.mark.parametrize("method,path", [("GET", REALMS), ("POST", REALMS),
                                                 ("GET", REALMS + "/main")])


@ROUTES
def test_no_token(server, method, path):
    resp = call(server, method, path, json={"name": unique("nope")})
    body = expect_admin_error(resp, 401, "invalid_token")
    assert resp.headers.get("WWW-Authenticate") == 'Bearer realm="main"', resp.headers
    assert body


@ROUTES
@pytest.mark.parametrize("token", ["garbage", well_formed_secret("kha")])
def test_invalid_token(server, method, path, token):
    resp = call(server, method, path, token, json={"name": unique("nope")})
    expect_admin_error(resp, 401, "invalid_token")
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.startswith('Bearer realm="main", error="invalid_token"'), challenge


@ROUTES
def test_without_realms_manage(server, w, method, path):
    resp = call(server, method, path, w.reader, json={"name": unique("nope")})
    expect_admin_error(resp, 403, "insufficient_scope")
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert 'error="insufficient_scope"' in challenge, challenge
    assert 'scope="realms:manage"' in challenge, challenge


@ROUTES
def test_token_of_another_realm_even_with_the_permission(server, w, method, path):
    name = unique("nope")
    resp = call(server, method, path, w.other_token, json={"name": name})
    expect_admin_error(resp, 401, "invalid_token")
    assert call(server, "GET", f"{REALMS}/{name}", w.admin).status_code == 404


# -- create ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", [None, "ES256", "RS256", "EdDSA"])
def test_create(server, w, alg):
    name = unique("apirealm")
    resp = create(server, w.admin, {"name": name, **({"alg": alg} if alg else {})})
    assert resp.status_code == 201, describe(resp)
    assert resp.headers.get("Location") == f"{REALMS}/{name}", resp.headers
    expect_realm(resp.json(), name, alg or "ES256")
    # it exists for the command line and serves its keys at once
    assert server.cli_json("realm", "show", name)["alg"] == (alg or "ES256")
    keys = server.jwks(name)["keys"]
    assert [k.get("alg") for k in keys] == [alg or "ES256"], keys
    got = call(server, "GET", f"{REALMS}/{name}", w.admin)
    assert got.status_code == 200, describe(got)
    expect_realm(got.json(), name, alg or "ES256")


def test_create_twice_is_conflict(server, w):
    name = unique("twice")
    assert create(server, w.admin, {"name": name}).status_code == 201
    expect_admin_error(create(server, w.admin, {"name": name}), 409, "conflict")
    expect_admin_error(create(server, w.admin, {"name": "main"}), 409, "conflict")


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[]", b'"main"', b"{", b'{"name":"a","name":"b"}', b"{}",
    b'{"name":5}', b'{"name":null}', b'{"name":"ok1","alg":"HS256"}',
    b'{"name":"ok2","alg":"none"}', b'{"name":"ok3","alg":7}', b'{"name":"ok4","extra":1}',
    b'{"name":"Upper"}', b'{"name":"-dash"}', b'{"name":"a/b"}', b'{"name":"a\\u0000b"}',
    b'{"name":"' + b"x" * 64 + b'"}', b'{"name":""}',
], ids=lambda b: b.decode(errors="replace")[:30] or "empty")
def test_bad_body(server, w, body):
    resp = create(server, w.admin, data=body, headers={"Content-Type": "application/json"})
    expect_admin_error(resp, 400, "invalid_request")


def test_bad_body_changes_nothing(server, w):
    name = unique("kept")
    create(server, w.admin, data=b'{"name":"%s","alg":"HS256"}' % name.encode(),
           headers={"Content-Type": "application/json"})
    assert call(server, "GET", f"{REALMS}/{name}", w.admin).status_code == 404


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonx"])
def test_create_needs_json(server, w, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    resp = create(server, w.admin, data=b'{"name":"%s"}' % unique("ct").encode(),
                  headers=headers)
    expect_admin_error(resp, 400, "invalid_request")


def test_json_with_charset(server, w):
    name = unique("cs")
    resp = create(server, w.admin, data=b'{"name":"%s"}' % name.encode(),
                  headers={"Content-Type": "application/json; charset=utf-8"})
    assert resp.status_code == 201, describe(resp)


def test_body_over_64_kib(server, w):
    body = b'{"name":"big","pad":"' + b"x" * (64 * 1024) + b'"}'
    resp = call(server, "POST", REALMS, w.admin, data=body,
                headers={"Content-Type": "application/json"})
    assert resp.status_code == 413, describe(resp)


# -- read ------------------------------------------------------------------------------------------

def test_get_one(server, w):
    resp = call(server, "GET", f"{REALMS}/{w.other}", w.admin)
    assert resp.status_code == 200, describe(resp)
    expect_realm(resp.json(), w.other)


@pytest.mark.parametrize("name", ["nosuchrealm", "MAIN", "main2", "x" * 64])
def test_get_unknown(server, w, name):
    expect_admin_error(call(server, "GET", f"{REALMS}/{name}", w.admin), 404, "not_found")


def test_list(server, w):
    extra = [server.create_realm(unique("listed")) for _ in range(3)]
    resp = call(server, "GET", REALMS, w.admin)
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    names = [r["name"] for r in body["realms"]]
    assert names == sorted(names), names
    assert {"main", w.other, *extra} <= set(names), names
    assert body["next_cursor"] is None, body
    # page by page, one realm at a time
    seen, cursor = [], None
    for _ in range(len(names) + 1):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = call(server, "GET", REALMS, w.admin, params=params).json()
        seen += [r["name"] for r in page["realms"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == names, seen


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "501"}, {"limit": "x"},
                                    {"cursor": "!!"}, {"cursor": ""}])
def test_list_bad_paging(server, w, params):
    expect_admin_error(call(server, "GET", REALMS, w.admin, params=params), 400,
                       "invalid_request")


def test_list_cursor_is_base64url_of_the_last_name(server, w):
    cursor = base64.urlsafe_b64encode(b"main").rstrip(b"=").decode()
    body = call(server, "GET", REALMS, w.admin, params={"cursor": cursor}).json()
    assert all(r["name"] > "main" for r in body["realms"]), body
