"""Token introspection, RFC 7662 (issue 4, HELPERS.md "Round 2"): both paths, client
authentication, active:false for anything not usable by the caller, and the fields of an
active answer for JWT and opaque access tokens and for refresh tokens."""

import base64
import json
import time
from types import SimpleNamespace

import pytest
import requests

from conftest import (altered, AUDIENCE, HTTP_TIMEOUT, Client, describe, expect_error, expect_token, jwt_claims,
                      scopes, well_formed_secret)

# None: the default realm's short alias /connect/introspect; "main": the Keycloak path.
PATHS = pytest.mark.parametrize("path", [None, "main"], ids=["alias", "realm"])
AUTHS = pytest.mark.parametrize("auth", ["basic", "post"])
SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token", "client_credentials"]
PASSWORD = "intro-pw"
INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def w(server):
    role = server.create_role("main", ["users:read"])
    user = server.create_user("main", password=PASSWORD, roles=[role])
    a = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read")
    b = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read")
    opaque = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read",
                                  opaque=True)
    cc = server.create_client("main", ["client_credentials"], scope="users:read")
    other = server.create_realm()
    other_role = server.create_role(other, ["users:read"])
    other_user = server.create_user(other, password=PASSWORD, roles=[other_role])
    other_client = server.create_client(other, GRANTS, scope=SCOPE, default_scope="users:read")
    return SimpleNamespace(user=user, a=a, b=b, opaque=opaque, cc=cc, other=other,
                           other_user=other_user, other_client=other_client)


def login(server, client, user, **extra):
    return expect_token(server.password_grant(client, user, PASSWORD, **extra), refresh=True,
                        expires_in=None, refresh_expires_in=None)


def forge_none_alg(token):
    """The same claims under alg "none" with no signature."""
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    return header.decode().rstrip("=") + "." + token.split(".")[1] + "."


def tamper(token):
    header, payload, signature = token.split(".")
    claims = dict(jwt_claims(token), scope="users:read clients:manage")
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


# -- client authentication and the request ----------------------------------------------------------

@PATHS
def test_without_client_authentication_is_401(server, w, path):
    token = login(server, w.a, w.user)["access_token"]
    resp = server.introspect(None, token, realm=path)
    expect_error(resp, 401, "invalid_client")


@PATHS
def test_wrong_secret_is_401_with_basic_challenge(server, w, path):
    token = login(server, w.a, w.user)["access_token"]
    resp = server.introspect(Client(w.a.client_id, altered(w.a.secret)), token, realm=path)
    expect_error(resp, 401, "invalid_client")
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Basic") and 'realm="main"' in challenge, challenge


@PATHS
def test_missing_token_is_invalid_request(server, w, path):
    resp = server.client_post("introspect", {}, w.a, realm=path)
    expect_error(resp, 400, "invalid_request")


@pytest.mark.parametrize("endpoint", ["introspect", "revoke"])
def test_duplicate_token_parameter_is_invalid_request(server, w, endpoint):
    token = login(server, w.a, w.user)["access_token"]
    resp = server.client_post(endpoint, [("token", token), ("token", token)], w.a)
    expect_error(resp, 400, "invalid_request")


@pytest.mark.parametrize("endpoint", ["introspect", "revoke"])
def test_json_body_is_invalid_request(server, w, endpoint):
    token = login(server, w.a, w.user)["access_token"]
    resp = requests.post(server.endpoint_url(endpoint), json={"token": token},
                         auth=(w.a.client_id, w.a.secret), timeout=HTTP_TIMEOUT)
    expect_error(resp, 400, "invalid_request")


def test_body_over_64_kib_is_413(server, w):
    resp = server.introspect(w.a, "x" * (64 * 1024 + 1))
    assert resp.status_code == 413, describe(resp)


# -- active tokens --------------------------------------------------------------------------------

@PATHS
@AUTHS
def test_jwt_access_token_of_a_user(server, w, path, auth):
    body = login(server, w.a, w.user, scope="users:read openid")
    claims = jwt_claims(body["access_token"])
    info = server.introspection(w.a, body["access_token"], realm=path, auth=auth)
    assert info["active"] is True, info
    assert scopes(info.get("scope")) == scopes(body["scope"]), info
    assert info.get("client_id") == w.a.client_id, info
    assert info.get("username") == w.user, info
    assert info.get("sub") == claims["sub"], info
    assert info.get("token_type") == "Bearer", info
    assert info.get("exp") == claims["exp"] and info.get("iat") == claims["iat"], info
    assert info.get("iss") == server.issuer("main"), info
    aud = info.get("aud") if isinstance(info.get("aud"), list) else [info.get("aud")]
    assert AUDIENCE in aud, info
    assert info.get("sid") == body["session_state"], info


def test_jwt_access_token_of_a_client_subject(server, w):
    body = expect_token(server.client_credentials(w.cc), refresh=False)
    info = server.introspection(w.cc, body["access_token"])
    assert info["active"] is True, info
    assert info.get("client_id") == w.cc.client_id, info
    assert info.get("sub") == jwt_claims(body["access_token"])["sub"], info
    assert "username" not in info, f"username is for users only: {info}"
    assert "sid" not in info, f"no session, no sid: {info}"
    assert info.get("token_type") == "Bearer", info


def test_opaque_access_token(server, w):
    body = login(server, w.opaque, w.user, scope="users:read openid")
    assert body["access_token"].startswith("kha_"), body
    info = server.introspection(w.opaque, body["access_token"])
    assert info["active"] is True, info
    assert info.get("token_type") == "Bearer", info
    assert info.get("client_id") == w.opaque.client_id, info
    assert info.get("username") == w.user, info
    assert scopes(info.get("scope")) == scopes(body["scope"]), info
    assert info.get("iss") == server.issuer("main"), info
    assert isinstance(info.get("exp"), int) and isinstance(info.get("iat"), int), info
    assert info["exp"] - info["iat"] == body["expires_in"], info
    aud = info.get("aud") if isinstance(info.get("aud"), list) else [info.get("aud")]
    assert AUDIENCE in aud, info
    assert info.get("sid") == body["session_state"], info
    assert info.get("sub"), info


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_refresh_token(server, w, offline):
    scope = "users:read offline_access" if offline else "users:read"
    body = login(server, w.a, w.user, scope=scope)
    info = server.introspection(w.a, body["refresh_token"])
    assert info["active"] is True, info
    assert info.get("token_type") == "Refresh", info
    assert info.get("client_id") == w.a.client_id, info
    assert info.get("username") == w.user, info
    assert info.get("sub") == jwt_claims(body["access_token"])["sub"], info
    assert scopes(info.get("scope")) == scopes(body["scope"]), info
    assert info.get("sid") == body["session_state"], info
    assert isinstance(info.get("exp"), int) and info["exp"] > info.get("iat", 0), info
    assert info.get("iss") == server.issuer("main"), info


def test_token_type_hint_is_only_a_hint(server, w):
    body = login(server, w.a, w.user)
    for token, hint in ((body["access_token"], "refresh_token"),
                        (body["refresh_token"], "access_token"),
                        (body["access_token"], "no_such_type")):
        assert server.is_active(w.a, token, hint=hint), f"hint {hint} hid an active token"


# -- inactive -------------------------------------------------------------------------------------

MALFORMED = ["", "garbage", "a.b.c", "kha_" + "A" * 43 + "000000", "khr_" + "A" * 43 + "000000",
             "khs_" + "A" * 43 + "000000", "x" * 5000, "Bearer abc", "\u00e9t\u00e9"]


@pytest.mark.parametrize("prefix", ["khr", "kha"])
def test_unknown_well_formed_tokens_are_inactive(server, w, prefix):
    assert server.introspection(w.a, well_formed_secret(prefix)) == INACTIVE


@pytest.mark.parametrize("token", MALFORMED, ids=range(len(MALFORMED)))
def test_malformed_tokens_are_inactive(server, w, token):
    if token == "":
        # An empty token is either inactive or a missing one (invalid_request).
        resp = server.introspect(w.a, token)
        if resp.status_code == 400:
            expect_error(resp, 400, "invalid_request")
            return
    assert server.introspection(w.a, token) == INACTIVE


def test_forged_jwts_are_inactive(server, w):
    token = login(server, w.a, w.user)["access_token"]
    assert server.is_active(w.a, token)
    assert server.introspection(w.a, forge_none_alg(token)) == INACTIVE
    assert server.introspection(w.a, tamper(token)) == INACTIVE
    header, payload, _ = token.split(".")
    assert server.introspection(w.a, f"{header}.{payload}.") == INACTIVE


def test_the_client_secret_is_inactive(server, w):
    assert server.introspection(w.a, w.a.secret) == INACTIVE


@pytest.mark.parametrize("kind", ["access", "refresh", "opaque"])
def test_token_of_another_client_is_inactive(server, w, kind):
    client = w.opaque if kind == "opaque" else w.a
    body = login(server, client, w.user)
    token = body["refresh_token"] if kind == "refresh" else body["access_token"]
    assert server.introspection(w.b, token) == INACTIVE
    assert server.is_active(client, token), "still active for its own client"


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_token_of_another_realm_is_inactive(server, w, kind):
    body = login(server, w.other_client, w.other_user)
    token = body["refresh_token"] if kind == "refresh" else body["access_token"]
    assert server.is_active(w.other_client, token), "active in its own realm"
    assert server.introspection(w.a, token) == INACTIVE


def test_rotated_refresh_token_is_inactive(server, w):
    body = login(server, w.a, w.user)
    again = expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)
    assert server.introspection(w.a, body["refresh_token"]) == INACTIVE
    assert server.is_active(w.a, again["refresh_token"])


def test_revoked_tokens_are_inactive(server, w):
    body = login(server, w.a, w.user)
    opaque = login(server, w.opaque, w.user)
    for client, token in ((w.a, body["access_token"]), (w.a, body["refresh_token"]),
                          (w.opaque, opaque["access_token"])):
        resp = server.revoke(client, token)
        assert resp.status_code == 200, describe(resp)
        assert server.introspection(client, token) == INACTIVE, token[:12]


def test_expired_tokens_are_inactive(server, w):
    a = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read")
    server.client_update(a, access_token_lifetime=2, refresh_idle_lifetime=2)
    o = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read",
                             opaque=True)
    server.client_update(o, access_token_lifetime=2, refresh_idle_lifetime=2)
    body = login(server, a, w.user)
    opaque = login(server, o, w.user)
    assert body["expires_in"] == 2 and opaque["expires_in"] == 2, (body, opaque)
    tokens = [(a, body["access_token"]), (a, body["refresh_token"]),
              (o, opaque["access_token"]), (o, opaque["refresh_token"])]
    for client, token in tokens:
        assert server.is_active(client, token), token[:12]
    time.sleep(3.2)
    for client, token in tokens:
        assert server.introspection(client, token) == INACTIVE, token[:12]
    # userinfo agrees (RFC 6750 invalid_token) for both formats.
    for token in (body["access_token"], opaque["access_token"]):
        resp = server.userinfo(token)
        assert resp.status_code == 401, describe(resp)


def test_inactive_answer_says_nothing_else(server, w):
    resp = server.introspect(w.a, "garbage")
    assert resp.status_code == 200 and resp.json() == INACTIVE, describe(resp)
