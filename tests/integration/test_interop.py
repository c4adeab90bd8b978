"""keyhold with independent OAuth/JOSE implementations: Authlib and PyJWT (Python),
openid-client and jose (node); plus discovery, JWKS and the other public endpoints."""

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from conftest import AUDIENCE, HTTP_TIMEOUT, describe, expect_token, jwt_header, unique

INTEROP_DIR = Path(__file__).resolve().parents[1] / "interop"
ALGS = ["ES256", "RS256", "EdDSA"]
KTY = {"ES256": "EC", "RS256": "RSA", "EdDSA": "OKP"}
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
GRANTS = ["password", "client_credentials", "refresh_token"]


def make_realm(server, alg):
    """A realm with a user holding users:read and a client allowed every grant."""
    realm = server.create_realm(unique(alg.lower() + "-"), alg=alg)
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, password="interop-pw", roles=[role])
    client = server.create_client(realm, GRANTS, scope="users:read")
    return SimpleNamespace(name=realm, alg=alg, user=user, password="interop-pw", client=client)


@pytest.fixture(scope="module")
def realms(server):
    return {alg: make_realm(server, alg) for alg in ALGS}


def discovery(server, realm):
    resp = requests.get(server.discovery_url(realm), timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    return resp.json()


# -- discovery, JWKS, health ----------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
def test_discovery_document(server, realms, alg):
    realm = realms[alg].name
    doc = discovery(server, realm)
    issuer = server.issuer(realm)
    assert doc["issuer"] == issuer, doc
    assert doc["token_endpoint"] == issuer + "/protocol/openid-connect/token", doc
    assert doc["jwks_uri"] == issuer + "/protocol/openid-connect/certs", doc
    assert set(GRANTS) <= set(doc["grant_types_supported"]), doc
    assert {"client_secret_basic", "client_secret_post"} <= set(
        doc["token_endpoint_auth_methods_supported"]), doc
    assert alg in doc["id_token_signing_alg_values_supported"], doc
    assert isinstance(doc["response_types_supported"], list), doc


def test_default_realm_aliases(server):
    doc = server.get("/.well-known/openid-configuration")
    assert doc.status_code == 200, describe(doc)
    assert doc.json() == discovery(server, "main")
    jwks = server.get("/.well-known/jwks.json")
    assert jwks.status_code == 200, describe(jwks)
    assert jwks.json() == server.jwks("main")


@pytest.mark.parametrize("alg", ALGS)
def test_jwks_publishes_only_public_keys(server, realms, alg):
    keys = server.jwks(realms[alg].name)["keys"]
    assert keys, "empty JWKS"
    for key in keys:
        assert key.get("kid") and key.get("kty"), key
        assert not PRIVATE_JWK_MEMBERS & key.keys(), f"private key material published: {key}"
    assert any(k["kty"] == KTY[alg] and k.get("alg", alg) == alg for k in keys), keys


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health(server, path):
    assert server.get(path).status_code == 200


@pytest.mark.parametrize("path", [
    "/realms/no-such-realm/.well-known/openid-configuration",
    "/realms/no-such-realm/protocol/openid-connect/certs",
])
def test_unknown_realm_is_404_json(server, path):
    resp = server.get(path)
    assert resp.status_code == 404, describe(resp)
    assert "error" in resp.json(), describe(resp)


@pytest.mark.parametrize("path", ["/no/such/path", "/realms/main/no-such-endpoint"])
def test_unknown_path_is_404(server, path):
    assert server.get(path).status_code == 404


# -- Authlib ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials(server, realms, method):
    realm = realms["ES256"]
    url = discovery(server, realm.name)["token_endpoint"]
    with OAuth2Session(realm.client.client_id, realm.client.secret,
                       token_endpoint_auth_method=method) as session:
        token = session.fetch_token(url, grant_type="client_credentials")
    assert token["token_type"] == "Bearer" and token["access_token"], token
    assert token["scope"] == "users:read", token


def test_authlib_password_then_refresh(server, realms):
    realm = realms["ES256"]
    url = discovery(server, realm.name)["token_endpoint"]
    with OAuth2Session(realm.client.client_id, realm.client.secret,
                       token_endpoint_auth_method="client_secret_basic") as session:
        first = dict(session.fetch_token(url, username=realm.user, password=realm.password))
        assert first["refresh_token"].startswith("khr_"), first
        second = dict(session.refresh_token(url))
    assert second["access_token"] != first["access_token"], second
    assert second["refresh_token"] != first["refresh_token"], "refresh token not rotated"


# -- PyJWT --------------------------------------------------------------------------------------

@pytest.mark.parametrize("alg", ALGS)
@pytest.mark.parametrize("grant", ["password", "client_credentials"])
def test_pyjwt_verifies_access_tokens(server, realms, alg, grant):
    realm = realms[alg]
    doc = discovery(server, realm.name)
    if grant == "password":
        resp = server.password_grant(realm.client, realm.user, realm.password)
    else:
        resp = server.client_credentials(realm.client)
    token = expect_token(resp)["access_token"]
    assert jwt_header(token)["alg"] == alg and jwt_header(token)["typ"] == "at+jwt"

    key = jwt.PyJWKClient(doc["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, key.key, algorithms=[alg], audience=AUDIENCE,
                        issuer=doc["issuer"])
    assert claims["client_id"] == realm.client.client_id, claims
    assert claims["exp"] == claims["iat"] + 300, claims

    # The signature really is checked: a changed payload must not verify.
    header, payload, signature = token.split(".")
    forged_claims = dict(claims, scope="users:read imports:manage")
    forged_payload = jwt.utils.base64url_encode(json.dumps(forged_claims).encode()).decode()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{header}.{forged_payload}.{signature}", key.key, algorithms=[alg],
                   audience=AUDIENCE, issuer=doc["issuer"])


def test_realms_have_their_own_keys(server, realms):
    token = expect_token(server.client_credentials(realms["ES256"].client))["access_token"]
    for other in ("main", realms["RS256"].name, realms["EdDSA"].name):
        kids = {key["kid"] for key in server.jwks(other)["keys"]}
        assert jwt_header(token)["kid"] not in kids, f"signing key shared with realm {other}"


# -- node: openid-client + jose -----------------------------------------------------------------

def test_node_openid_client_and_jose(server, realms):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: skipping the openid-client/jose interop check")
    if not (INTEROP_DIR / "node_modules" / "openid-client").is_dir():
        pytest.skip("tests/interop/node_modules is missing: run `npm ci` in tests/interop")
    realm = realms["ES256"]
    res = subprocess.run(
        [node, str(INTEROP_DIR / "interop.mjs"), server.issuer(realm.name),
         realm.client.client_id, realm.client.secret, realm.user, realm.password],
        capture_output=True, text=True, timeout=120, cwd=INTEROP_DIR)
    lines = res.stdout.strip().splitlines()
    assert lines, f"no output; exit {res.returncode}; stderr: {res.stderr}"
    result = json.loads(lines[-1])
    assert res.returncode == 0 and result["ok"], \
        f"node interop failed at step {result.get('step')}: {result.get('error')}\n" \
        f"cause: {result.get('cause')}\nstderr: {res.stderr}"
    assert set(result["steps"]) >= {"discovery", "client_credentials_basic",
                                     "client_credentials_post", "password", "refresh",
                                     "refresh_reuse", "family_revoked"}, result
