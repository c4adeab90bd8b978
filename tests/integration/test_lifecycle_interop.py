"""The token lifecycle (issue 4) with clients we did not write: Authlib (introspection,
revocation, an offline_access refresh, userinfo) and, in node, openid-client v6
(refreshTokenGrant, tokenIntrospection, tokenRevocation, fetchUserInfo) and jose
(createRemoteJWKSet + jwtVerify across `keyhold key rotate --now`)."""

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from conftest import (HTTP_TIMEOUT, describe, expect_token, jwt_header, unique, wait_until)

INTEROP_DIR = Path(__file__).resolve().parents[1] / "interop"
SCOPE = "users:read openid profile email offline_access"
GRANTS = ["password", "refresh_token"]
PASSWORD = "interop-life-pw"
KEYRING_DEADLINE = 7


@pytest.fixture(scope="module")
def w(server):
    realm = server.create_realm(unique("life-"))
    role = server.create_role(realm, ["users:read"])
    user = server.create_user(realm, password=PASSWORD, roles=[role], email="ivy@example.com",
                              first_name="Ivy", last_name="Stone")
    client = server.create_client(realm, GRANTS, scope=SCOPE, default_scope="users:read")
    other = server.create_client(realm, GRANTS, scope=SCOPE, default_scope="users:read")
    cc = server.create_client(realm, ["client_credentials"], scope="users:read")
    resp = requests.get(server.discovery_url(realm), timeout=HTTP_TIMEOUT)
    assert resp.status_code == 200, describe(resp)
    return SimpleNamespace(realm=realm, user=user, client=client, other=other, cc=cc,
                           doc=resp.json())


def session_for(w, method="client_secret_basic"):
    return OAuth2Session(w.client.client_id, w.client.secret,
                         token_endpoint_auth_method=method,
                         revocation_endpoint_auth_method=method)


def endpoint(w, name):
    url = w.doc.get(name)
    assert url, f"discovery has no {name}: {w.doc}"
    return url


# -- Authlib --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_offline_refresh_introspect_revoke(server, w, method):
    with session_for(w, method) as session:
        first = dict(session.fetch_token(endpoint(w, "token_endpoint"), username=w.user,
                                         password=PASSWORD, scope="users:read offline_access"))
        assert first.get("refresh_expires_in") == 0, first
        second = dict(session.refresh_token(endpoint(w, "token_endpoint")))
        assert second["refresh_token"] != first["refresh_token"], "not rotated"
        assert second.get("refresh_expires_in") == 0, second

        resp = session.introspect_token(endpoint(w, "introspection_endpoint"),
                                        token=second["access_token"])
        assert resp.status_code == 200, describe(resp)
        info = resp.json()
        assert info["active"] is True and info["client_id"] == w.client.client_id, info
        resp = session.introspect_token(endpoint(w, "introspection_endpoint"),
                                        token=second["refresh_token"],
                                        token_type_hint="refresh_token")
        assert resp.status_code == 200 and resp.json()["active"] is True, describe(resp)
        assert resp.json().get("token_type") == "Refresh", resp.json()

        resp = session.revoke_token(endpoint(w, "revocation_endpoint"),
                                    token=second["refresh_token"],
                                    token_type_hint="refresh_token")
        assert resp.status_code == 200, describe(resp)
        resp = session.introspect_token(endpoint(w, "introspection_endpoint"),
                                        token=second["refresh_token"])
        assert resp.status_code == 200 and resp.json() == {"active": False}, describe(resp)
        with pytest.raises(OAuthError) as err:
            session.refresh_token(endpoint(w, "token_endpoint"))
        assert err.value.error == "invalid_grant", err.value


def test_authlib_revoke_access_token_and_userinfo(server, w):
    with session_for(w) as session:
        token = dict(session.fetch_token(endpoint(w, "token_endpoint"), username=w.user,
                                         password=PASSWORD, scope="openid email users:read"))
        resp = session.get(endpoint(w, "userinfo_endpoint"), timeout=HTTP_TIMEOUT)
        assert resp.status_code == 200, describe(resp)
        assert resp.json().get("email") == "ivy@example.com", resp.json()
        resp = session.revoke_token(endpoint(w, "revocation_endpoint"),
                                    token=token["access_token"], token_type_hint="access_token")
        assert resp.status_code == 200, describe(resp)
        resp = session.introspect_token(endpoint(w, "introspection_endpoint"),
                                        token=token["access_token"])
        assert resp.json() == {"active": False}, describe(resp)
        resp = session.get(endpoint(w, "userinfo_endpoint"), timeout=HTTP_TIMEOUT)
        assert resp.status_code == 401, describe(resp)


# -- node: openid-client + jose -------------------------------------------------------------------

def rotate_now(server, w):
    """A token signed before `key rotate --now` and one signed after, in w's realm."""
    before = expect_token(server.client_credentials(w.cc))["access_token"]
    out = server.key_rotate(w.realm, "--now")

    def signed_by_new():
        token = expect_token(server.client_credentials(w.cc))["access_token"]
        return token if jwt_header(token)["kid"] == out["kid"] else None

    after = wait_until(signed_by_new, KEYRING_DEADLINE, f"tokens signed by {out['kid']}")
    return {"before": before, "after": after, "old_kid": jwt_header(before)["kid"],
            "new_kid": out["kid"]}


def test_node_openid_client_and_jose_lifecycle(server, w):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: skipping the openid-client/jose interop check")
    if not (INTEROP_DIR / "node_modules" / "openid-client").is_dir():
        pytest.skip("tests/interop/node_modules is missing: run `npm ci` in tests/interop")
    config = {"issuer": server.issuer(w.realm), "client_id": w.client.client_id,
              "client_secret": w.client.secret, "username": w.user, "password": PASSWORD,
              "other_client_id": w.other.client_id, "other_client_secret": w.other.secret,
              "rotation": rotate_now(server, w)}
    res = subprocess.run([node, str(INTEROP_DIR / "interop_lifecycle.mjs"), json.dumps(config)],
                         capture_output=True, text=True, timeout=120, cwd=INTEROP_DIR)
    lines = res.stdout.strip().splitlines()
    assert lines, f"no output; exit {res.returncode}; stderr: {res.stderr}"
    result = json.loads(lines[-1])
    assert res.returncode == 0 and result["ok"], \
        f"node interop failed at step {result.get('step')}: {result.get('error')}\n" \
        f"cause: {result.get('cause')}\nstderr: {res.stderr}"
    print(f"\nnode lifecycle interop: {json.dumps(result['steps'], sort_keys=True)}")
    assert set(result["steps"]) >= {
        "discovery", "password_openid", "refreshTokenGrant", "refresh_reuse",
        "password_offline", "offline_refreshTokenGrant", "tokenIntrospection_access",
        "tokenIntrospection_refresh", "tokenIntrospection_inactive", "fetchUserInfo",
        "fetchUserInfo_id_token", "tokenRevocation_other_client", "tokenRevocation_access",
        "tokenRevocation_refresh", "tokenRevocation_unknown", "jose_key_rotation"}, result
