"""OIDC userinfo (GET and POST, header and form) and logout by refresh token (issue 4,
HELPERS.md "Round 2")."""

from types import SimpleNamespace

import pytest

from conftest import (altered, Client, describe, expect_error, expect_token, jwt_claims,
                      well_formed_secret)

PATHS = pytest.mark.parametrize("path", [None, "main"], ids=["alias", "realm"])
SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token", "client_credentials"]
PASSWORD = "userinfo-pw"
# (method, where the token goes)
WAYS = pytest.mark.parametrize("method,via", [("GET", "header"), ("POST", "header"),
                                              ("POST", "form")])


@pytest.fixture(scope="module")
def w(server):
    role = server.create_role("main", ["users:read"])
    user = server.create_user("main", password=PASSWORD, roles=[role],
                              email="uma@example.com", first_name="Uma", last_name="Reyes")
    bare = server.create_user("main", password=PASSWORD, roles=[role])
    a = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read openid")
    b = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read openid")
    opaque = server.create_client("main", GRANTS, scope=SCOPE,
                                  default_scope="users:read openid", opaque=True)
    public = server.create_client("main", ["password", "refresh_token"], scope=SCOPE,
                                  default_scope="users:read openid", public=True)
    owned = server.create_client("main", ["client_credentials"], scope="users:read openid",
                                 owner=user)
    other = server.create_realm()
    other_role = server.create_role(other, ["users:read"])
    other_user = server.create_user(other, password=PASSWORD, roles=[other_role])
    other_client = server.create_client(other, GRANTS, scope=SCOPE,
                                        default_scope="users:read openid")
    return SimpleNamespace(user=user, bare=bare, a=a, b=b, opaque=opaque, public=public,
                           owned=owned, other=other, other_user=other_user,
                           other_client=other_client)


def login(server, client, user, **extra):
    return expect_token(server.password_grant(client, user, PASSWORD, **extra), refresh=True)


def expect_userinfo(resp):
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    return resp.json()


def expect_bearer_error(resp, status, error):
    assert resp.status_code == status, f"expected {status} {error}: {describe(resp)}"
    challenge = resp.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Bearer"), f"WWW-Authenticate: {challenge!r}"
    assert f'error="{error}"' in challenge, f"WWW-Authenticate: {challenge!r}"
    return challenge


# -- userinfo -------------------------------------------------------------------------------------

@PATHS
@WAYS
def test_userinfo(server, w, path, method, via):
    body = login(server, w.a, w.user, scope="users:read openid profile email")
    info = expect_userinfo(server.userinfo(body["access_token"], method=method, via=via,
                                           realm=path))
    assert info.get("sub") == jwt_claims(body["access_token"])["sub"], info
    assert info.get("preferred_username") == w.user, info
    assert info.get("email") == "uma@example.com", info
    assert info.get("email_verified", False) is False, info
    assert info.get("given_name") == "Uma" and info.get("family_name") == "Reyes", info
    assert info.get("name") == "Uma Reyes", info


def test_userinfo_claims_follow_the_scope(server, w):
    token = login(server, w.a, w.user, scope="openid")["access_token"]
    info = expect_userinfo(server.userinfo(token))
    assert info.get("sub"), info
    for absent in ("email", "given_name", "family_name", "name"):
        assert absent not in info, f"{absent} without its scope: {info}"
    token = login(server, w.a, w.user, scope="openid email")["access_token"]
    info = expect_userinfo(server.userinfo(token))
    assert info.get("email") == "uma@example.com" and "given_name" not in info, info
    token = login(server, w.a, w.user, scope="openid profile")["access_token"]
    info = expect_userinfo(server.userinfo(token))
    assert info.get("given_name") == "Uma" and "email" not in info, info


def test_userinfo_of_a_user_without_email_or_names(server, w):
    token = login(server, w.a, w.bare, scope="openid profile email")["access_token"]
    info = expect_userinfo(server.userinfo(token))
    assert info.get("preferred_username") == w.bare, info
    for value in info.values():
        assert value is not None, f"null claims should be left out: {info}"


def test_userinfo_with_an_opaque_token(server, w):
    body = login(server, w.opaque, w.user, scope="openid email")
    assert body["access_token"].startswith("kha_"), body
    info = expect_userinfo(server.userinfo(body["access_token"], method="POST", via="form"))
    assert info.get("preferred_username") == w.user and info.get("email"), info


def test_userinfo_for_an_owner_client_credentials_token(server, w):
    # Client credentials with an owner: the subject is that user.
    token = expect_token(server.client_credentials(w.owned, scope="users:read openid"))[
        "access_token"]
    info = expect_userinfo(server.userinfo(token))
    assert info.get("preferred_username") == w.user, info


def test_bearer_scheme_is_case_insensitive(server, w):
    # RFC 7235 §2.1 / RFC 6750 §2.1: the auth-scheme is case-insensitive.
    token = login(server, w.a, w.user, scope="openid")["access_token"]
    resp = server.userinfo(None, headers={"Authorization": f"bearer {token}"})
    assert resp.status_code == 200, describe(resp)


def test_token_in_header_and_form_is_invalid_request(server, w):
    # RFC 6750 §2 and §3.1: more than one method of sending the token is invalid_request.
    token = login(server, w.a, w.user, scope="openid")["access_token"]
    resp = server.userinfo(token, method="POST", via="form",
                           headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 400, describe(resp)
    assert 'error="invalid_request"' in resp.headers.get("WWW-Authenticate", ""), resp.headers


@PATHS
def test_missing_token_is_401(server, w, path):
    resp = server.userinfo(None, realm=path)
    assert resp.status_code == 401, describe(resp)
    assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), resp.headers


BAD_TOKENS = ["garbage", "a.b.c", "kha_" + "A" * 43 + "000000", "khr_" + "A" * 43 + "000000"]


@pytest.mark.parametrize("token", BAD_TOKENS)
def test_invalid_token_is_401(server, w, token):
    expect_bearer_error(server.userinfo(token), 401, "invalid_token")


def test_forged_token_is_401(server, w):
    token = login(server, w.a, w.user)["access_token"]
    header, payload, signature = token.split(".")
    expect_bearer_error(server.userinfo(f"{header}.{payload}."), 401, "invalid_token")
    expect_bearer_error(server.userinfo(f"{header}.{payload}.{signature[::-1]}"), 401,
                        "invalid_token")


def test_refresh_token_is_not_an_access_token(server, w):
    body = login(server, w.a, w.user)
    expect_bearer_error(server.userinfo(body["refresh_token"]), 401, "invalid_token")


def test_id_token_is_401(server, w):
    body = login(server, w.a, w.user, scope="openid")
    expect_bearer_error(server.userinfo(body["id_token"]), 401, "invalid_token")


def test_token_of_another_realm_is_401(server, w):
    body = login(server, w.other_client, w.other_user)
    assert expect_userinfo(server.userinfo(body["access_token"], realm=w.other))
    expect_bearer_error(server.userinfo(body["access_token"]), 401, "invalid_token")


def test_without_openid_scope_is_403(server, w):
    token = login(server, w.a, w.user, scope="users:read profile")["access_token"]
    challenge = expect_bearer_error(server.userinfo(token), 403, "insufficient_scope")
    assert 'scope="openid"' in challenge, challenge


def test_client_subject_is_403(server, w):
    token = expect_token(server.client_credentials(w.a, scope="users:read openid"))[
        "access_token"]
    challenge = expect_bearer_error(server.userinfo(token), 403, "insufficient_scope")
    assert 'scope="openid"' in challenge, challenge


# -- logout ---------------------------------------------------------------------------------------

@PATHS
@pytest.mark.parametrize("auth", ["basic", "post"])
def test_logout_ends_the_session(server, w, path, auth):
    first = login(server, w.a, w.user)
    second = expect_token(server.refresh(w.a, first["refresh_token"]), refresh=True)
    resp = server.logout(w.a, second["refresh_token"], realm=path, auth=auth)
    assert resp.status_code == 204, describe(resp)
    assert resp.content == b"", describe(resp)
    expect_error(server.refresh(w.a, second["refresh_token"]), 400, "invalid_grant")
    assert server.introspection(w.a, second["refresh_token"]) == {"active": False}


def test_logout_of_an_offline_session(server, w):
    body = expect_token(server.password_grant(w.a, w.user, PASSWORD,
                                              scope="users:read offline_access"),
                        refresh=True, refresh_expires_in=0)
    assert server.logout(w.a, body["refresh_token"]).status_code == 204
    expect_error(server.refresh(w.a, body["refresh_token"]), 400, "invalid_grant")


def test_logout_leaves_other_sessions(server, w):
    kept = login(server, w.a, w.user)
    gone = login(server, w.a, w.user)
    assert server.logout(w.a, gone["refresh_token"]).status_code == 204
    expect_token(server.refresh(w.a, kept["refresh_token"]), refresh=True)


def test_logout_by_a_public_client(server, w):
    body = login(server, w.public, w.user)
    resp = server.logout(w.public, body["refresh_token"], auth="public")
    assert resp.status_code == 204, describe(resp)
    expect_error(server.refresh(w.public, body["refresh_token"]), 400, "invalid_grant")


def test_logout_with_a_token_of_another_client_is_invalid_grant(server, w):
    body = login(server, w.a, w.user)
    expect_error(server.logout(w.b, body["refresh_token"]), 400, "invalid_grant")
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


@pytest.mark.parametrize("token", ["garbage", "khr_" + "A" * 43 + "000000", "well-formed"])
def test_logout_with_an_unknown_token_is_invalid_grant(server, w, token):
    if token == "well-formed":
        token = well_formed_secret("khr")
    expect_error(server.logout(w.a, token), 400, "invalid_grant")


@pytest.mark.parametrize("kind", ["access_token", "id_token"])
def test_logout_with_another_kind_of_token_is_invalid_grant(server, w, kind):
    body = login(server, w.a, w.user, scope="openid")
    expect_error(server.logout(w.a, body[kind]), 400, "invalid_grant")
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


def test_logout_twice_is_invalid_grant(server, w):
    body = login(server, w.a, w.user)
    assert server.logout(w.a, body["refresh_token"]).status_code == 204
    expect_error(server.logout(w.a, body["refresh_token"]), 400, "invalid_grant")


def test_logout_without_client_authentication_is_401(server, w):
    body = login(server, w.a, w.user)
    resp = server.logout(None, body["refresh_token"])
    expect_error(resp, 401, "invalid_client")
    resp = server.logout(Client(w.a.client_id, altered(w.a.secret)), body["refresh_token"])
    expect_error(resp, 401, "invalid_client")
    expect_token(server.refresh(w.a, body["refresh_token"]), refresh=True)


def test_logout_without_refresh_token_is_invalid_request(server, w):
    expect_error(server.client_post("logout", {}, w.a), 400, "invalid_request")
