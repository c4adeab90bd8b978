"""The token endpoint (SPEC §4): every grant, both paths, both client authentications,
every error of RFC 6749 §5.2 the contract names, scopes, and the access token's claims."""

import base64
import json
import re
import uuid
from types import SimpleNamespace

import pytest
import requests

from conftest import (HTTP_TIMEOUT, Client, describe, expect_error, expect_token, jwt_claims,
                      scopes, unique, verify_access_token)

# None is the short alias /connect/token of the default realm, "main" the Keycloak path.
PATHS = pytest.mark.parametrize("path", [None, "main"], ids=["alias", "realm"])
AUTHS = pytest.mark.parametrize("auth", ["basic", "post"])
INVALID_USER_CREDENTIALS = {"error": "invalid_grant",
                            "error_description": "Invalid user credentials"}


@pytest.fixture(scope="module")
def w(server):
    """The world of this module, all in realm main."""
    # Dozens of deliberate wrong secrets and passwords from 127.0.0.1: brute-force
    # protection (test_lockout.py) would lock the address; it is not what this module tests.
    server.cli_ok("realm", "update", "main", "--lockout-threshold", "0",
                  "--lockout-ip-threshold", "0")
    reader = server.create_role("main", ["users:read"])
    full = server.create_client("main", ["password", "client_credentials", "refresh_token"],
                                scope="users:read imports:manage profile email",
                                default_scope="users:read profile")
    pw_only = server.create_client("main", ["password"], scope="users:read")
    cc_only = server.create_client("main", ["client_credentials"],
                                   scope="users:read imports:manage")
    public = server.create_client("main", ["password", "refresh_token"], scope="users:read",
                                  public=True)
    alice = server.create_user("main", password="alice-pw", roles=[reader],
                               email="alice@example.com")
    disabled = server.create_user("main", password="dis-pw", roles=[reader])
    server.set_user_enabled("main", disabled, False)
    return SimpleNamespace(reader=reader, full=full, pw_only=pw_only, cc_only=cc_only,
                           public=public, alice=alice, disabled=disabled)


def post(server, path, client=None, auth="basic", **kw):
    """POST the token endpoint with raw requests arguments plus client authentication."""
    if client is not None and auth == "basic":
        kw["auth"] = (client.client_id, client.secret)
    kw.setdefault("timeout", HTTP_TIMEOUT)
    return requests.post(server.token_url(path), **kw)


# -- successful grants --------------------------------------------------------------------------

@PATHS
@AUTHS
def test_password_grant(server, w, path, auth):
    data = {"grant_type": "password", "username": w.alice, "password": "alice-pw"}
    body = expect_token(server.token(data, w.full, auth=auth, realm=path), refresh=True)
    assert scopes(body["scope"]) == {"users:read", "profile"}, "default scopes expected"
    claims = verify_access_token(server, body["access_token"])
    uuid.UUID(claims["sub"])
    assert claims["client_id"] == w.full.client_id and claims["azp"] == w.full.client_id
    assert claims["preferred_username"] == w.alice, claims
    assert w.reader in claims["realm_access"]["roles"], claims
    assert scopes(claims["scope"]) == scopes(body["scope"]), claims
    assert claims.get("sid"), claims


@PATHS
def test_password_grant_public_client(server, w, path):
    data = {"grant_type": "password", "username": w.alice, "password": "alice-pw",
            "client_id": w.public.client_id}
    body = expect_token(server.token(data, realm=path), refresh=True)
    assert verify_access_token(server, body["access_token"])["client_id"] == w.public.client_id


@PATHS
@AUTHS
def test_client_credentials_grant(server, w, path, auth):
    body = expect_token(server.token({"grant_type": "client_credentials"}, w.cc_only, auth=auth,
                                     realm=path), refresh=False)
    assert scopes(body["scope"]) == {"users:read", "imports:manage"}, body
    claims = verify_access_token(server, body["access_token"])
    assert claims["client_id"] == w.cc_only.client_id, claims
    assert "preferred_username" not in claims, claims


def test_client_credentials_subject_is_the_client(server, w):
    first = jwt_claims(expect_token(server.client_credentials(w.cc_only))["access_token"])
    second = jwt_claims(expect_token(server.client_credentials(w.cc_only))["access_token"])
    assert first["sub"] and first["sub"] == second["sub"], (first, second)
    assert first["jti"] != second["jti"], "jti must be unique per token"
    alice = jwt_claims(expect_token(server.password_grant(w.full, w.alice, "alice-pw"))
                       ["access_token"])
    assert first["sub"] != alice["sub"]


def test_client_credentials_with_refresh_grant_gets_a_refresh_token(server, w):
    body = expect_token(server.client_credentials(w.full))
    assert body.get("refresh_token", "").startswith("khr_"), body


def test_basic_credentials_are_form_urlencoded(server, w):
    # RFC 6749 §2.3.1: id and secret are form-urlencoded before Base64. openid-client
    # encodes every "_" as %5F, so "khs_…" arrives as "khs%5F…" and must still match.
    def enc(s):
        return "".join(c if c.isalnum() else f"%{ord(c):02X}" for c in s)

    creds = f"{enc(w.cc_only.client_id)}:{enc(w.cc_only.secret)}"
    header = "Basic " + base64.b64encode(creds.encode()).decode()
    resp = post(server, "main", data={"grant_type": "client_credentials"},
                headers={"Authorization": header})
    expect_token(resp)


def test_content_type_with_charset(server, w):
    resp = post(server, "main", w.cc_only, data="grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"})
    expect_token(resp)


def test_requested_scope_narrows_the_grant(server, w):
    body = expect_token(server.client_credentials(w.cc_only, scope="imports:manage"))
    assert body["scope"] == "imports:manage", body
    assert jwt_claims(body["access_token"])["scope"] == "imports:manage"


def test_scope_percent_encoded_and_plus_encoded(server, w):
    for raw in ("grant_type=client_credentials&scope=users%3Aread%20imports%3Amanage",
                "grant_type=client_credentials&scope=users%3Aread+imports%3Amanage"):
        resp = post(server, "main", w.cc_only, data=raw,
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert scopes(expect_token(resp)["scope"]) == {"users:read", "imports:manage"}, raw


def test_permission_scopes_the_user_lacks_are_dropped(server, w):
    resp = server.password_grant(w.full, w.alice, "alice-pw",
                                 scope="users:read imports:manage email")
    body = expect_token(resp, refresh=True)
    assert scopes(body["scope"]) == {"users:read", "email"}, body
    assert scopes(jwt_claims(body["access_token"])["scope"]) == {"users:read", "email"}


def test_owner_client_carries_only_what_the_owner_holds(server, w):
    role = server.create_role("main", ["users:read"])
    owner = server.create_user("main", password="owner-pw", roles=[role])
    client = server.create_client("main", ["client_credentials"],
                                  scope="users:read imports:manage", owner=owner)
    body = expect_token(server.client_credentials(client), refresh=False)
    assert body["scope"] == "users:read", body
    claims = verify_access_token(server, body["access_token"])
    owner_sub = jwt_claims(expect_token(server.password_grant(w.full, owner, "owner-pw"))
                           ["access_token"])["sub"]
    assert claims["sub"] == owner_sub, "the subject must be the owner user"
    assert claims["client_id"] == client.client_id, claims

    server.set_user_enabled("main", owner, False)
    expect_error(server.client_credentials(client), 400, "invalid_grant")
    server.set_user_enabled("main", owner, True)
    assert expect_token(server.client_credentials(client))["scope"] == "users:read"


def test_opaque_client_gets_reference_tokens(server, w):
    # `--opaque` (issue 4): the access token is a kha_ reference token, not a JWT, and it is
    # usable through introspection.
    client = server.create_client("main", ["client_credentials"], scope="users:read",
                                  opaque=True)
    body = expect_token(server.client_credentials(client), refresh=False)
    token = body["access_token"]
    assert re.fullmatch(r"kha_[0-9A-Za-z]{49}", token), f"not a kha_ token: {token!r}"
    assert "." not in token, token
    resp = requests.post(server.base + "/connect/introspect", data={"token": token},
                         auth=(client.client_id, client.secret), timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    info = resp.json()
    assert info.get("active") is True, info
    assert info.get("client_id") == client.client_id and info.get("scope") == "users:read", info
    assert info.get("token_type") == "Bearer", info


def test_access_token_claims_for_a_user(server, w):
    body = expect_token(server.password_grant(w.full, w.alice, "alice-pw"), refresh=True)
    claims = verify_access_token(server, body["access_token"])
    for name in ("iss", "sub", "aud", "exp", "iat", "jti", "client_id", "azp", "scope", "sid",
                 "realm_access", "preferred_username"):
        assert name in claims, f"claim {name} missing: {claims}"
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert "keyhold-api" in aud, claims
    assert isinstance(claims["realm_access"]["roles"], list), claims
    assert body["expires_in"] == claims["exp"] - claims["iat"]


# -- errors ---------------------------------------------------------------------------------------

def form_with(client, **params):
    return {"client_id": client.client_id, "client_secret": client.secret, **params}


# (id, status, error, function(w) -> (client for Basic or None, requests kwargs))
ERROR_CASES = [
    ("json body", 400, "invalid_request",
     lambda w: (w.cc_only, {"json": {"grant_type": "client_credentials"}})),
    ("text/plain body", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": "grant_type=client_credentials",
                            "headers": {"Content-Type": "text/plain"}})),
    ("no content type", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": b"grant_type=client_credentials"})),
    ("duplicate grant_type", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": [("grant_type", "client_credentials")] * 2})),
    ("duplicate scope", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": [("grant_type", "client_credentials"),
                                     ("scope", "users:read"), ("scope", "users:read")]})),
    ("duplicate client_id", 400, "invalid_request",
     lambda w: (None, {"data": [("grant_type", "client_credentials"),
                                ("client_id", w.cc_only.client_id),
                                ("client_id", w.cc_only.client_id),
                                ("client_secret", w.cc_only.secret)]})),
    ("basic and client_secret in body", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": form_with(w.cc_only, grant_type="client_credentials")})),
    ("basic with wrong secret", 401, "invalid_client",
     lambda w: (Client(w.cc_only.client_id, w.cc_only.secret + "x"),
                {"data": {"grant_type": "client_credentials"}})),
    ("basic with unknown client", 401, "invalid_client",
     lambda w: (Client("no-such-client", "khs_nothing"),
                {"data": {"grant_type": "client_credentials"}})),
    ("post with wrong secret", 401, "invalid_client",
     lambda w: (None, {"data": form_with(Client(w.cc_only.client_id, "khs_wrong"),
                                         grant_type="client_credentials")})),
    ("post with unknown client", 401, "invalid_client",
     lambda w: (None, {"data": form_with(Client("no-such-client", "khs_wrong"),
                                         grant_type="client_credentials")})),
    ("confidential client without its secret", 401, "invalid_client",
     lambda w: (None, {"data": {"grant_type": "client_credentials",
                                "client_id": w.cc_only.client_id}})),
    ("missing grant_type", 400, "invalid_request",
     lambda w: (w.cc_only, {"data": {"scope": "users:read"}})),
    ("unknown grant_type", 400, "unsupported_grant_type",
     lambda w: (w.cc_only, {"data": {"grant_type": "urn:example:no-such-grant"}})),
    ("password grant not enabled", 400, "unauthorized_client",
     lambda w: (w.cc_only, {"data": {"grant_type": "password", "username": w.alice,
                                     "password": "alice-pw"}})),
    ("client_credentials grant not enabled", 400, "unauthorized_client",
     lambda w: (w.pw_only, {"data": {"grant_type": "client_credentials"}})),
    ("client_credentials by a public client", 400, "unauthorized_client",
     lambda w: (None, {"data": {"grant_type": "client_credentials",
                                "client_id": w.public.client_id}})),
    ("scope not allowed for the client", 400, "invalid_scope",
     lambda w: (w.cc_only, {"data": {"grant_type": "client_credentials",
                                     "scope": "clients:manage"}})),
    ("one requested scope not allowed", 400, "invalid_scope",
     lambda w: (w.cc_only, {"data": {"grant_type": "client_credentials",
                                     "scope": "users:read events:read"}})),
    ("password grant with a scope not allowed", 400, "invalid_scope",
     lambda w: (w.full, {"data": {"grant_type": "password", "username": w.alice,
                                  "password": "alice-pw", "scope": "events:read"}})),
    ("password grant without username", 400, "invalid_request",
     lambda w: (w.full, {"data": {"grant_type": "password", "password": "alice-pw"}})),
    ("password grant without password", 400, "invalid_request",
     lambda w: (w.full, {"data": {"grant_type": "password", "username": w.alice}})),
    ("refresh grant without refresh_token", 400, "invalid_request",
     lambda w: (w.full, {"data": {"grant_type": "refresh_token"}})),
    ("garbage refresh token", 400, "invalid_grant",
     lambda w: (w.full, {"data": {"grant_type": "refresh_token",
                                  "refresh_token": "not-a-token"}})),
    ("well-formed but unknown refresh token", 400, "invalid_grant",
     lambda w: (w.full, {"data": {"grant_type": "refresh_token",
                                  "refresh_token": "khr_" + "A" * 43 + "000000"}})),
]


@PATHS
@pytest.mark.parametrize("case", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_error(server, w, path, case):
    _, status, error, build = case
    client, kwargs = build(w)
    resp = post(server, path, client, **kwargs)
    expect_error(resp, status, error)
    if status == 401 and client is not None:
        challenge = resp.headers.get("WWW-Authenticate", "")
        assert challenge.startswith("Basic") and 'realm="main"' in challenge, \
            f"WWW-Authenticate: {challenge!r}"


def test_unknown_user_and_wrong_password_are_indistinguishable(server, w):
    victim = server.create_user("main", password="right-pw", roles=[w.reader])
    unknown = server.password_grant(w.full, unique("ghost"), "right-pw", realm=None)
    wrong = server.password_grant(w.full, victim, "wrong-pw", realm="main")
    for resp in (unknown, wrong):
        assert expect_error(resp, 400, "invalid_grant") == INVALID_USER_CREDENTIALS
    assert unknown.content == wrong.content, (unknown.content, wrong.content)


@PATHS
def test_public_client_never_gets_client_credentials(server, path):
    # Even with the grant listed, a public client cannot use client_credentials. Refusing
    # to create such a client at all (a user error) is an acceptable stricter answer.
    client_id = unique("pubcc")
    res = server.cli("client", "create", "main", client_id, "--public", "--json",
                     "--grant", "client_credentials,password", "--scope", "users:read")
    if res.returncode == 1:
        return
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    data = {"grant_type": "client_credentials", "client_id": client_id}
    expect_error(server.token(data, realm=path), 400, "unauthorized_client")


def test_disabled_user_with_right_password(server, w):
    expect_error(server.password_grant(w.full, w.disabled, "dis-pw"), 400, "invalid_grant")


def test_unknown_realm_is_404_json(server, w):
    resp = post(server, "no-such-realm", w.cc_only, data={"grant_type": "client_credentials"})
    assert resp.status_code == 404, describe(resp)
    assert "error" in resp.json(), describe(resp)


# -- body size limit --------------------------------------------------------------------------

def padded_body(size):
    prefix = b"grant_type=client_credentials&padding="
    return prefix + b"a" * (size - len(prefix))


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_body_of_64_kib_is_accepted(server, w):
    # Unknown parameters are ignored (RFC 6749 §3.2), so this is a normal grant.
    resp = post(server, "main", w.cc_only, data=padded_body(64 * 1024), headers=FORM)
    expect_token(resp)


def test_body_over_64_kib_is_413(server, w):
    resp = post(server, "main", w.cc_only, data=padded_body(64 * 1024 + 1), headers=FORM)
    assert resp.status_code == 413, describe(resp)


def test_chunked_body_over_64_kib_is_413(server, w):
    body = padded_body(80 * 1024)
    chunks = (body[i:i + 8192] for i in range(0, len(body), 8192))
    resp = post(server, "main", w.cc_only, data=chunks, headers=FORM)
    assert resp.status_code == 413, describe(resp)


# -- logs (kept last: it reads what the requests above logged) --------------------------------

def test_logs_are_json_lines_without_secrets(server, w):
    body = expect_token(server.password_grant(w.full, w.alice, "alice-pw"), refresh=True)
    secrets = {"alice-pw", "dis-pw", "right-pw", w.full.secret, w.cc_only.secret,
               w.pw_only.secret, body["access_token"], body["refresh_token"]}
    lines = [line for line in server.stderr().splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    leaked = [s for s in secrets if s in server.stderr()]
    assert not leaked, f"secrets in the log: {leaked}"
