"""Opaque access tokens (`--opaque`: kha_…) and OpenID Connect ID tokens (issue 4,
HELPERS.md "Round 2")."""

import re
from types import SimpleNamespace

import jwt
import pytest

from conftest import (describe, expect_error, expect_token, jwt_claims, jwt_header, scopes,
                      unique, verify_access_token)

OPAQUE = re.compile(r"kha_[0-9A-Za-z]{49}")     # kha_ + 43 random + 6 CRC32, base62
SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token", "client_credentials"]
PASSWORD = "tokens-pw"
ALGS = ["ES256", "RS256", "EdDSA"]


@pytest.fixture(scope="module")
def w(server):
    role = server.create_role("main", ["users:read"])
    user = server.create_user("main", password=PASSWORD, roles=[role],
                              email="erin@example.com", first_name="Erin", last_name="Quinn")
    jwt_client = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read")
    opaque = server.create_client("main", GRANTS, scope=SCOPE, default_scope="users:read",
                                  opaque=True)
    return SimpleNamespace(role=role, user=user, jwt=jwt_client, opaque=opaque)


def login(server, client, user, scope=None):
    extra = {"scope": scope} if scope is not None else {}
    return expect_token(server.password_grant(client, user, PASSWORD, **extra), refresh=True)


def assert_opaque(token):
    assert OPAQUE.fullmatch(token), f"not a kha_ reference token: {token!r}"
    assert "." not in token


# -- opaque access tokens -------------------------------------------------------------------------

def test_opaque_client_credentials_token(server, w):
    body = expect_token(server.client_credentials(w.opaque), expires_in=300)
    assert_opaque(body["access_token"])
    assert scopes(body["scope"]) == {"users:read"}, body


def test_opaque_password_grant_and_refresh(server, w):
    body = login(server, w.opaque, w.user)
    assert_opaque(body["access_token"])
    assert body["refresh_token"].startswith("khr_"), body
    again = expect_token(server.refresh(w.opaque, body["refresh_token"]), refresh=True)
    assert_opaque(again["access_token"])
    assert again["access_token"] != body["access_token"]


def test_opaque_tokens_are_unique(server, w):
    tokens = {expect_token(server.client_credentials(w.opaque))["access_token"]
              for _ in range(5)}
    assert len(tokens) == 5, tokens


def test_opaque_token_is_not_a_jwt(server, w):
    token = expect_token(server.client_credentials(w.opaque))["access_token"]
    with pytest.raises(jwt.DecodeError):
        jwt.decode(token, options={"verify_signature": False})
    with pytest.raises(jwt.DecodeError):
        jwt.get_unverified_header(token)


def test_opaque_token_introspects_active(server, w):
    body = login(server, w.opaque, w.user, scope="users:read openid")
    info = server.introspection(w.opaque, body["access_token"])
    assert info["active"] is True, info
    assert info.get("client_id") == w.opaque.client_id, info
    assert info.get("token_type") == "Bearer", info
    assert info.get("username") == w.user, info
    assert scopes(info.get("scope")) == scopes(body["scope"]), info
    assert info.get("sid") == body["session_state"], info


def test_opaque_token_at_userinfo(server, w):
    body = login(server, w.opaque, w.user, scope="users:read openid email")
    resp = server.userinfo(body["access_token"])
    assert resp.status_code == 200, describe(resp)
    assert resp.json().get("preferred_username") == w.user, resp.json()
    assert resp.json().get("email") == "erin@example.com", resp.json()


def test_client_update_switches_the_token_format(server, w):
    client = server.create_client("main", ["client_credentials"], scope="users:read")
    assert expect_token(server.client_credentials(client))["access_token"].count(".") == 2
    server.client_update(client, "--opaque")
    assert_opaque(expect_token(server.client_credentials(client))["access_token"])
    server.client_update(client, "--jwt")
    token = expect_token(server.client_credentials(client))["access_token"]
    verify_access_token(server, token)


def test_opaque_client_gets_a_jwt_id_token(server, w):
    body = login(server, w.opaque, w.user, scope="openid")
    assert_opaque(body["access_token"])
    assert body.get("id_token", "").count(".") == 2, body
    assert jwt_claims(body["id_token"])["aud"] in (w.opaque.client_id, [w.opaque.client_id])


# -- ID tokens ------------------------------------------------------------------------------------

def verify_id_token(server, token, client, realm="main", alg="ES256"):
    """Verify an ID token with PyJWT against the realm's JWKS: typ JWT, aud = client_id."""
    header = jwt_header(token)
    assert header.get("typ") == "JWT", header
    assert header.get("alg") == alg, header
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(server.jwks(realm)).keys}
    assert header.get("kid") in keys, (header, list(keys))
    claims = jwt.decode(token, keys[header["kid"]].key, algorithms=[alg],
                        audience=client.client_id, issuer=server.issuer(realm),
                        options={"require": ["iss", "sub", "aud", "exp", "iat"]})
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    assert aud == [client.client_id], claims
    assert claims.get("azp") == client.client_id, claims
    assert isinstance(claims.get("auth_time"), int), claims
    assert claims["auth_time"] <= claims["iat"] < claims["exp"], claims
    return claims


def test_id_token_with_openid(server, w):
    body = login(server, w.jwt, w.user, scope="users:read openid")
    assert "id_token" in body, f"openid granted but no id_token: {body}"
    claims = verify_id_token(server, body["id_token"], w.jwt)
    access = verify_access_token(server, body["access_token"])
    assert claims["sub"] == access["sub"], (claims, access)
    assert claims.get("sid") == body["session_state"] == access["sid"], (claims, body)
    assert jwt_header(body["id_token"])["kid"] == jwt_header(body["access_token"])["kid"], \
        "ID tokens are signed with the same key as access tokens"
    for absent in ("email", "given_name", "family_name"):
        assert absent not in claims, f"{absent} without its scope: {claims}"


def test_id_token_claims_per_scope(server, w):
    profile = verify_id_token(server, login(server, w.jwt, w.user, "openid profile")["id_token"],
                              w.jwt)
    assert profile.get("preferred_username") == w.user, profile
    assert profile.get("given_name") == "Erin" and profile.get("family_name") == "Quinn", profile
    assert "email" not in profile, profile
    email = verify_id_token(server, login(server, w.jwt, w.user, "openid email")["id_token"],
                            w.jwt)
    assert email.get("email") == "erin@example.com", email
    assert "given_name" not in email and "family_name" not in email, email
    both = verify_id_token(server, login(server, w.jwt, w.user,
                                         "openid profile email")["id_token"], w.jwt)
    assert both.get("email") == "erin@example.com" and both.get("given_name") == "Erin", both


def test_no_id_token_without_openid(server, w):
    body = login(server, w.jwt, w.user, scope="users:read profile")
    assert "id_token" not in body, body


def test_no_id_token_for_a_client_subject(server, w):
    body = expect_token(server.client_credentials(w.jwt, scope="users:read openid"))
    assert "id_token" not in body, f"client credentials without a user got an id_token: {body}"


def test_refresh_grant_returns_a_new_id_token(server, w):
    first = login(server, w.jwt, w.user, scope="openid profile")
    again = expect_token(server.refresh(w.jwt, first["refresh_token"]), refresh=True)
    assert "id_token" in again, again
    old = verify_id_token(server, first["id_token"], w.jwt)
    new = verify_id_token(server, again["id_token"], w.jwt)
    assert new["sub"] == old["sub"] and new["sid"] == old["sid"], (old, new)
    assert new["auth_time"] == old["auth_time"], "a refresh is not a new authentication"


@pytest.mark.parametrize("alg", ALGS)
def test_id_token_in_each_algorithm(server, alg):
    realm = server.create_realm(unique("idt-" + alg.lower()), alg=alg)
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope="openid")
    body = expect_token(server.password_grant(client, user, PASSWORD), refresh=True)
    claims = verify_id_token(server, body["id_token"], client, realm=realm, alg=alg)
    assert claims["iss"] == server.issuer(realm)


def test_id_token_is_refused_at_userinfo(server, w):
    body = login(server, w.jwt, w.user, scope="openid")
    assert server.userinfo(body["access_token"]).status_code == 200
    resp = server.userinfo(body["id_token"])
    assert resp.status_code == 401, describe(resp)
    assert 'error="invalid_token"' in resp.headers.get("WWW-Authenticate", ""), resp.headers


def test_id_token_introspects_inactive(server, w):
    body = login(server, w.jwt, w.user, scope="openid")
    assert server.introspection(w.jwt, body["id_token"]) == {"active": False}


def test_refresh_with_an_id_token_is_invalid_grant(server, w):
    body = login(server, w.jwt, w.user, scope="openid")
    expect_error(server.refresh(w.jwt, body["id_token"]), 400, "invalid_grant")
