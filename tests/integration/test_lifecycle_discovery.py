"""Discovery lists the new endpoints, and only endpoints that exist (issue 4, HELPERS.md
"Round 2")."""

import pytest
import requests

from conftest import HTTP_TIMEOUT, describe, unique

NEW_ENDPOINTS = {
    "introspection_endpoint": "/protocol/openid-connect/token/introspect",
    "revocation_endpoint": "/protocol/openid-connect/revoke",
    "userinfo_endpoint": "/protocol/openid-connect/userinfo",
    "end_session_endpoint": "/protocol/openid-connect/logout",
}
ALIASES = [("POST", "/connect/introspect"), ("POST", "/connect/revocation"),
           ("GET", "/connect/userinfo"), ("POST", "/connect/userinfo"),
           ("POST", "/connect/logout")]
# How each known endpoint is called; an unknown *_endpoint is tried with GET and POST.
METHODS = {"token_endpoint": ["POST"], "introspection_endpoint": ["POST"],
           "revocation_endpoint": ["POST"], "userinfo_endpoint": ["GET", "POST"],
           "end_session_endpoint": ["POST"], "jwks_uri": ["GET"]}
CLAIMS = {"iss", "sub", "aud", "exp", "iat", "auth_time", "azp", "sid", "preferred_username",
          "given_name", "family_name", "email"}
AUTH_METHODS = {"client_secret_basic", "client_secret_post"}


@pytest.fixture(scope="module")
def realms(server):
    return ["main", server.create_realm(unique("disc-"))]


def discovery(server, realm):
    resp = requests.get(server.discovery_url(realm), timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


@pytest.mark.parametrize("index", [0, 1], ids=["main", "other"])
def test_new_endpoints_are_listed(server, realms, index):
    realm = realms[index]
    doc = discovery(server, realm)
    issuer = server.issuer(realm)
    for name, path in NEW_ENDPOINTS.items():
        assert doc.get(name) == issuer + path, f"{name}: {doc.get(name)!r} in {doc}"
    for name in ("introspection_endpoint_auth_methods_supported",
                 "revocation_endpoint_auth_methods_supported"):
        assert AUTH_METHODS <= set(doc.get(name, [])), f"{name}: {doc.get(name)!r}"
    assert {"openid", "profile", "email", "offline_access"} <= set(
        doc.get("scopes_supported", [])), doc.get("scopes_supported")
    assert CLAIMS <= set(doc.get("claims_supported", [])), \
        f"missing claims: {CLAIMS - set(doc.get('claims_supported', []))}"
    assert "refresh_token" in doc.get("grant_types_supported", []), doc


@pytest.mark.parametrize("index", [0, 1], ids=["main", "other"])
def test_every_listed_endpoint_answers(server, realms, index):
    doc = discovery(server, realms[index])
    listed = {k: v for k, v in doc.items()
              if (k.endswith("_endpoint") or k == "jwks_uri") and isinstance(v, str)}
    assert listed, doc
    for name, url in listed.items():
        assert url.startswith(server.base + "/"), f"{name}: {url} is not on this server"
        for method in METHODS.get(name, ["GET", "POST"]):
            resp = requests.request(method, url, timeout=HTTP_TIMEOUT)
            assert resp.status_code != 404, f"{name} is listed but {describe(resp)}"
            assert resp.status_code < 500, f"{name}: {describe(resp)}"


@pytest.mark.parametrize("method,path", ALIASES)
def test_default_realm_aliases_answer(server, method, path):
    resp = server.get(path) if method == "GET" else requests.post(
        server.base + path, data={}, timeout=HTTP_TIMEOUT)
    assert resp.status_code != 404 and resp.status_code < 500, describe(resp)


def test_alias_document_is_the_default_realms(server):
    resp = server.get("/.well-known/openid-configuration")
    assert resp.status_code == 200, describe(resp)
    assert resp.json() == discovery(server, "main")
