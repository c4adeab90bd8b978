"""Bearer authentication of the protected APIs (RFC 6750) and GET /v1/users (SPEC §5,
issue 5): the realm comes from the token, pages by limit and cursor, 401 for missing,
malformed, expired, revoked, forged and foreign tokens, 403 insufficient_scope."""

import base64
import http.client
import json
import re
import time
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import (altered, describe, expect_token, jwt_claims, jwt_header, unique,
                      well_formed_secret)

PASSWORD = "v1-users-pw"
SCOPE = "users:read openid"
GRANTS = ["password", "refresh_token"]
USERS = "/v1/users"
CHALLENGE_PARAM = re.compile(r'([a-z_]+)="([^"\\]*)"')


@pytest.fixture(scope="module")
def w(server):
    """A realm of its own, so that its users are exactly the ones made here."""
    realm = server.create_realm(unique("v1r"))
    role = server.create_role(realm, ["users:read"])
    reader = server.create_user(realm, "reader", password=PASSWORD, roles=[role],
                                email="reader@example.com", first_name="Rea", last_name="Der")
    bare = server.create_user(realm, "bare", password=PASSWORD)
    others = [server.create_user(realm, f"u{i:02d}") for i in range(7)]
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope=SCOPE)
    opaque = server.create_client(realm, GRANTS, scope=SCOPE, default_scope=SCOPE,
                                  opaque=True)
    # a second realm of this server, with users of its own
    second = server.create_realm(unique("v1s"))
    second_role = server.create_role(second, ["users:read"])
    second_reader = server.create_user(second, "second-reader", password=PASSWORD,
                                       roles=[second_role])
    second_client = server.create_client(second, GRANTS, scope=SCOPE, default_scope=SCOPE)
    return SimpleNamespace(realm=realm, reader=reader, bare=bare, client=client, opaque=opaque,
                           usernames=sorted([reader, bare, *others]), second=second,
                           second_reader=second_reader, second_client=second_client)


def token_of(server, client, user, expires_in=300, **extra):
    resp = server.password_grant(client, user, PASSWORD, **extra)
    return expect_token(resp, expires_in=expires_in)["access_token"]


def users(server, token, scheme="Bearer", **params):
    headers = {} if token is None else {"Authorization": f"{scheme} {token}"}
    return server.get(USERS, headers=headers, params=params)


def expect_page(resp):
    assert resp.status_code == 200, describe(resp)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers
    body = resp.json()
    assert set(body) == {"users", "next_cursor"}, body
    return body


def challenge_params(challenge):
    """The auth-params of a Bearer challenge as a dict (all of them quoted strings)."""
    assert challenge.startswith("Bearer"), challenge
    rest = challenge[len("Bearer"):]
    params = dict(CHALLENGE_PARAM.findall(rest))
    assert CHALLENGE_PARAM.sub("", rest).replace(",", "").strip() == "", challenge
    return params


def expect_unauthorized(resp, realm=None, error="invalid_token"):
    """401 with a Bearer challenge; error=None: no error attribute (no credentials)."""
    assert resp.status_code == 401, describe(resp)
    params = challenge_params(resp.headers.get("WWW-Authenticate", ""))
    if error is None:
        assert "error" not in params, params
    else:
        assert params.get("error") == error, params
        assert params.get("error_description"), params
    if realm is not None:
        assert params.get("realm") == realm, params
    body = resp.json()
    assert body.get("error") == "invalid_token", body
    return params


def expect_invalid_request(resp):
    assert resp.status_code == 400, describe(resp)
    body = resp.json()
    assert body.get("error") == "invalid_request", body
    assert body.get("error_description"), body
    return body


# -- /v1/users -------------------------------------------------------------------------------------

def test_users_of_the_tokens_realm(server, w):
    page = expect_page(users(server, token_of(server, w.client, w.reader)))
    assert [u["username"] for u in page["users"]] == w.usernames, page
    assert page["next_cursor"] is None, page
    reader = next(u for u in page["users"] if u["username"] == w.reader)
    assert set(reader) == {"id", "username", "email", "first_name", "last_name", "enabled",
                           "created_at"}, reader
    assert reader["email"] == "reader@example.com", reader
    assert (reader["first_name"], reader["last_name"]) == ("Rea", "Der"), reader
    assert reader["enabled"] is True and isinstance(reader["created_at"], int), reader
    bare = next(u for u in page["users"] if u["username"] == w.bare)
    assert bare["email"] is None and bare["first_name"] is None, bare


def test_pages_walk_every_user_once(server, w):
    token = token_of(server, w.client, w.reader)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = expect_page(users(server, token, **params))
        pages += 1
        assert len(page["users"]) <= 3, page
        seen += [u["username"] for u in page["users"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor, page
        assert pages < 10, "the cursor does not advance"
    assert seen == w.usernames, seen
    assert pages == (len(w.usernames) + 2) // 3


def test_a_full_last_page_has_no_next_cursor(server, w):
    token = token_of(server, w.client, w.reader)
    page = expect_page(users(server, token, limit=len(w.usernames)))
    assert len(page["users"]) == len(w.usernames) and page["next_cursor"] is None, page


def test_another_realms_token_lists_its_own_realm(server, w):
    token = token_of(server, w.second_client, w.second_reader)
    page = expect_page(users(server, token))
    assert [u["username"] for u in page["users"]] == [w.second_reader], page


@pytest.mark.parametrize("limit", ["0", "501", "-1", "abc", "", "1.5", "+5", " 5",
                                   "99999999999999999999"])
def test_bad_limit(server, w, limit):
    expect_invalid_request(users(server, token_of(server, w.client, w.reader), limit=limit))


@pytest.mark.parametrize("cursor", ["", "!!!", "cmVhZGVy=", "a", "AA"])
def test_bad_cursor(server, w, cursor):
    expect_invalid_request(users(server, token_of(server, w.client, w.reader), cursor=cursor))


def test_limits_at_the_bounds(server, w):
    token = token_of(server, w.client, w.reader)
    assert len(expect_page(users(server, token, limit=1))["users"]) == 1
    assert len(expect_page(users(server, token, limit=500))["users"]) == len(w.usernames)


def test_a_cursor_past_the_end_is_an_empty_page(server, w):
    cursor = base64.urlsafe_b64encode(b"zzzz").rstrip(b"=").decode()
    page = expect_page(users(server, token_of(server, w.client, w.reader), cursor=cursor))
    assert page == {"users": [], "next_cursor": None}, page


def test_opaque_tokens_work(server, w):
    token = token_of(server, w.opaque, w.reader)
    assert token.startswith("kha_"), token
    page = expect_page(users(server, token))
    assert [u["username"] for u in page["users"]] == w.usernames, page


# -- 401 -------------------------------------------------------------------------------------------

def test_no_credentials_has_no_error_attribute(server):
    expect_unauthorized(users(server, None), error=None)


def test_another_scheme_counts_as_no_credentials(server, w):
    expect_unauthorized(users(server, "dXNlcjpwdw==", scheme="Basic"), error=None)


def test_scheme_is_case_insensitive(server, w):
    expect_page(users(server, token_of(server, w.client, w.reader), scheme="bEaReR"))


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
                                   well_formed_secret("kha"), well_formed_secret("khr")])
def test_garbage_tokens(server, token):
    expect_unauthorized(users(server, token))


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b",
                                    'Bearer "quoted"'])
def test_malformed_header(server, header):
    resp = server.get(USERS, headers={"Authorization": header})
    expect_unauthorized(resp)


def test_forged_signature(server, w):
    token = token_of(server, w.client, w.reader)
    expect_unauthorized(users(server, altered(token)), realm=w.realm)


def test_forged_issuer_naming_another_realm(server, w):
    """The payload names the second realm; the signature is the first realm's."""
    token = token_of(server, w.client, w.reader)
    head, payload, sig = token.split(".")
    claims = jwt_claims(token)
    claims["iss"] = server.issuer(w.second)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    expect_unauthorized(users(server, f"{head}.{forged}.{sig}"), realm=w.second)


def test_token_of_another_server(server, w):
    """Well signed, but by a key this server never had, and an issuer that is not ours."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    claims = {**jwt_claims(token_of(server, w.client, w.reader)),
              "iss": "https://elsewhere.example/realms/" + w.realm, "iat": now,
              "exp": now + 300}
    token = jwt.encode(claims, key, algorithm="ES256", headers={"typ": "at+jwt"})
    params = expect_unauthorized(users(server, token))
    assert "realm" not in params, params


def test_self_signed_token_with_our_issuer(server, w):
    key = ec.generate_private_key(ec.SECP256R1())
    good = token_of(server, w.client, w.reader)
    token = jwt.encode(jwt_claims(good), key, algorithm="ES256",
                       headers={"typ": "at+jwt", "kid": jwt_header(good)["kid"]})
    expect_unauthorized(users(server, token), realm=w.realm)


def test_id_token_is_not_an_access_token(server, w):
    body = expect_token(server.password_grant(w.client, w.reader, PASSWORD, scope=SCOPE))
    assert body.get("id_token"), body
    expect_unauthorized(users(server, body["id_token"]), realm=w.realm)


def test_expired_token(server):
    realm = server.create_realm(unique("v1exp"))
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope=SCOPE)
    server.realm_update(realm, access_token_lifetime=1)
    token = token_of(server, client, user, expires_in=1)
    time.sleep(2.1)  # exp = iat + 1 in whole seconds: past it for sure
    expect_unauthorized(users(server, token), realm=realm)


@pytest.mark.parametrize("which", ["jwt", "opaque"])
def test_revoked_token(server, w, which):
    client = w.client if which == "jwt" else w.opaque
    token = token_of(server, client, w.reader)
    expect_page(users(server, token))
    resp = server.revoke(client, token)
    assert resp.status_code == 200, describe(resp)
    expect_unauthorized(users(server, token), realm=w.realm)


# -- 400 -------------------------------------------------------------------------------------------

def test_token_in_the_query_string_is_refused(server, w):
    token = token_of(server, w.client, w.reader)
    resp = server.get(USERS, params={"access_token": token})
    expect_invalid_request(resp)
    resp = server.get(USERS, params={"access_token": token},
                      headers={"Authorization": f"Bearer {token}"})
    expect_invalid_request(resp)


def test_two_authorization_headers(server, w):
    token = token_of(server, w.client, w.reader)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.putrequest("GET", USERS)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.endheaders()
        resp = conn.getresponse()
        body = json.loads(resp.read())
        assert resp.status == 400, (resp.status, body)
        assert body.get("error") == "invalid_request", body
        assert 'error="invalid_request"' in resp.getheader("WWW-Authenticate", ""), \
            resp.getheaders()
    finally:
        conn.close()


# -- 403 -------------------------------------------------------------------------------------------

def test_insufficient_scope(server, w):
    """`bare` holds no users:read, so the grant dropped it from the token's scope."""
    body = expect_token(server.password_grant(w.client, w.bare, PASSWORD))
    assert "users:read" not in body["scope"].split(), body
    resp = users(server, body["access_token"])
    assert resp.status_code == 403, describe(resp)
    params = challenge_params(resp.headers.get("WWW-Authenticate", ""))
    assert params.get("error") == "insufficient_scope", params
    assert params.get("scope") == "users:read", params
    assert params.get("realm") == w.realm, params
    assert resp.json().get("error") == "insufficient_scope", resp.json()


def test_insufficient_scope_when_not_requested(server, w):
    token = token_of(server, w.client, w.reader, scope="openid")
    resp = users(server, token)
    assert resp.status_code == 403, describe(resp)
    assert challenge_params(resp.headers["WWW-Authenticate"]).get("scope") == "users:read"
