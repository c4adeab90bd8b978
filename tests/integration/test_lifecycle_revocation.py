"""Token revocation, RFC 7009 (issue 4, HELPERS.md "Round 2"): both paths, client
authentication, a refresh token ends its whole family, an access token (JWT or opaque) is
refused by introspection and userinfo afterwards, unknown tokens and other clients' tokens
answer 200 and change nothing."""

from types import SimpleNamespace

import pytest

from conftest import Client, describe, expect_error, expect_token, well_formed_secret, altered

PATHS = pytest.mark.parametrize("path", [None, "main"], ids=["alias", "realm"])
AUTHS = pytest.mark.parametrize("auth", ["basic", "post"])
SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token", "client_credentials"]
PASSWORD = "revoke-pw"
INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def w(server):
    role = server.create_role("main", ["users:read"])
    user = server.create_user("main", password=PASSWORD, roles=[role])
    a = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read openid")
    b = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read openid")
    opaque = server.create_client("main", GRANTS, scope=SCOPE,
                                  default_scope="users:read openid", opaque=True)
    public = server.create_client("main", ["password", "refresh_token"], scope=SCOPE,
                                  default_scope="users:read openid", public=True)
    return SimpleNamespace(user=user, a=a, b=b, opaque=opaque, public=public)


def login(server, client, user, **extra):
    return expect_token(server.password_grant(client, user, PASSWORD, **extra), refresh=True)


def expect_revoked_ok(resp):
    """RFC 7009 §2.2: 200, and keyhold's answer has an empty body."""
    assert resp.status_code == 200, describe(resp)
    assert resp.content == b"", f"expected an empty body: {describe(resp)}"


# -- refresh tokens -------------------------------------------------------------------------------

@PATHS
@AUTHS
def test_revoked_refresh_token_ends_the_family(server, w, path, auth):
    first = login(server, w.a, w.user)
    second = expect_token(server.refresh(w.a, first["refresh_token"]), refresh=True)
    expect_revoked_ok(server.revoke(w.a, second["refresh_token"], realm=path, auth=auth))
    expect_error(server.refresh(w.a, second["refresh_token"]), 400, "invalid_grant")
    assert server.introspection(w.a, second["refresh_token"]) == INACTIVE


def test_revoking_one_session_leaves_the_others(server, w):
    kept = login(server, w.a, w.user)
    gone = login(server, w.a, w.user)
    expect_revoked_ok(server.revoke(w.a, gone["refresh_token"], hint="refresh_token"))
    expect_error(server.refresh(w.a, gone["refresh_token"]), 400, "invalid_grant")
    expect_token(server.refresh(w.a, kept["refresh_token"]), refresh=True)


def test_revoking_an_offline_token(server, w):
    body = expect_token(server.password_grant(w.a, w.user, PASSWORD,
                                              scope="users:read offline_access"),
                        refresh=True, refresh_expires_in=0)
    expect_revoked_ok(server.revoke(w.a, body["refresh_token"]))
    expect_error(server.refresh(w.a, body["refresh_token"]), 400, "invalid_grant")


def test_a_wrong_hint_still_revokes(server, w):
    body = login(server, w.a, w.user)
    expect_revoked_ok(server.revoke(w.a, body["refresh_token"], hint="access_token"))
    expect_error(server.refresh(w.a, body["refresh_token"]), 400, "invalid_grant")


def test_public_client_revokes_its_refresh_token(server, w):
    body = login(server, w.public, w.user)
    expect_revoked_ok(server.revoke(w.public, body["refresh_token"], auth="public"))
    expect_error(server.refresh(w.public, body["refresh_token"]), 400, "invalid_grant")


# -- access tokens --------------------------------------------------------------------------------

@PATHS
def test_revoked_jwt_access_token(server, w, path):
    body = login(server, w.a, w.user)
    token = body["access_token"]
    assert server.is_active(w.a, token)
    assert server.userinfo(token).status_code == 200
    expect_revoked_ok(server.revoke(w.a, token, realm=path, hint="access_token"))
    assert server.introspection(w.a, token) == INACTIVE
    resp = server.userinfo(token)
    assert resp.status_code == 401, describe(resp)
    assert 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", ""), resp.headers


def test_revoked_opaque_access_token(server, w):
    body = login(server, w.opaque, w.user)
    token = body["access_token"]
    assert token.startswith("kha_"), body
    assert server.is_active(w.opaque, token)
    assert server.userinfo(token).status_code == 200
    expect_revoked_ok(server.revoke(w.opaque, token))
    assert server.introspection(w.opaque, token) == INACTIVE
    resp = server.userinfo(token)
    assert resp.status_code == 401, describe(resp)


def test_revoking_twice_is_fine(server, w):
    body = login(server, w.a, w.user)
    for _ in range(2):
        expect_revoked_ok(server.revoke(w.a, body["access_token"]))
        expect_revoked_ok(server.revoke(w.a, body["refresh_token"]))


def test_revoking_a_client_credentials_token(server, w):
    token = expect_token(server.client_credentials(w.a, scope="users:read"))["access_token"]
    assert server.is_active(w.a, token)
    expect_revoked_ok(server.revoke(w.a, token))
    assert server.introspection(w.a, token) == INACTIVE


# -- unknown tokens, other clients, errors --------------------------------------------------------

UNKNOWN = ["garbage", "a.b.c", "khr_" + "A" * 43 + "000000", "kha_" + "A" * 43 + "000000"]


@PATHS
@pytest.mark.parametrize("token", UNKNOWN)
def test_unknown_token_is_200(server, w, path, token):
    expect_revoked_ok(server.revoke(w.a, token, realm=path))


@pytest.mark.parametrize("prefix", ["khr", "kha"])
def test_unknown_well_formed_token_is_200(server, w, prefix):
    # Valid form and checksum, never issued: the server must look it up and shrug.
    expect_revoked_ok(server.revoke(w.a, well_formed_secret(prefix)))


def test_revoking_an_id_token_is_200_and_changes_nothing(server, w):
    body = login(server, w.a, w.user, scope="openid")
    expect_revoked_ok(server.revoke(w.a, body["id_token"]))
    assert server.is_active(w.a, body["access_token"])
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


@pytest.mark.parametrize("kind", ["refresh", "access", "opaque"])
def test_token_of_another_client_is_left_alone(server, w, kind):
    owner = w.opaque if kind == "opaque" else w.a
    body = login(server, owner, w.user)
    token = body["refresh_token"] if kind == "refresh" else body["access_token"]
    expect_revoked_ok(server.revoke(w.b, token))
    assert server.is_active(owner, token), "another client's revocation took effect"
    if kind == "refresh":
        expect_token(server.refresh(owner, token), refresh=True)
    else:
        assert server.userinfo(token).status_code == 200


@PATHS
def test_without_client_authentication_is_401(server, w, path):
    body = login(server, w.a, w.user)
    resp = server.revoke(None, body["refresh_token"], realm=path)
    expect_error(resp, 401, "invalid_client")
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


def test_wrong_secret_is_401(server, w):
    body = login(server, w.a, w.user)
    resp = server.revoke(Client(w.a.client_id, altered(w.a.secret)), body["refresh_token"])
    expect_error(resp, 401, "invalid_client")
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


def test_missing_token_is_invalid_request(server, w):
    # RFC 7009 §2.1: token is REQUIRED; the error response is RFC 6749 §5.2's.
    expect_error(server.client_post("revoke", {}, w.a), 400, "invalid_request")
