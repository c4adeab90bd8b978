"""Many grants at once: all must succeed with distinct, valid tokens (correctness only; no
timing is measured here, see bench/ for that)."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests

from conftest import expect_token, jwt_claims, verify_access_token

PASSWORD_GRANTS = 8
CLIENT_CREDENTIALS_GRANTS = 50


def test_parallel_password_and_client_credentials_grants(server):
    role = server.create_role("main", ["users:read"])
    users = [server.create_user("main", password=f"pw-{i}", roles=[role])
             for i in range(PASSWORD_GRANTS)]
    pw_client = server.create_client("main", ["password", "refresh_token"], scope="users:read")
    cc_client = server.create_client("main", ["client_credentials"], scope="users:read")

    jobs = [("password", i) for i in range(PASSWORD_GRANTS)]
    jobs += [("client_credentials", i) for i in range(CLIENT_CREDENTIALS_GRANTS)]
    start = threading.Barrier(len(jobs))
    local = threading.local()

    def grant(job):
        kind, i = job
        if not hasattr(local, "session"):
            local.session = requests.Session()
        start.wait()
        if kind == "password":
            data = {"grant_type": "password", "username": users[i], "password": f"pw-{i}"}
            return kind, i, server.token(data, pw_client, session=local.session)
        return kind, i, server.token({"grant_type": "client_credentials"}, cc_client,
                                     session=local.session)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(grant, jobs))

    jtis, refresh_tokens = set(), set()
    for kind, i, resp in results:
        body = expect_token(resp, refresh=kind == "password")
        claims = jwt_claims(body["access_token"])
        assert claims["scope"] == "users:read", (kind, i, claims)
        if kind == "password":
            assert claims["preferred_username"] == users[i], (i, claims)
            refresh_tokens.add(body["refresh_token"])
        jtis.add(claims["jti"])
    assert len(jtis) == len(jobs), "jti values repeat across concurrent grants"
    assert len(refresh_tokens) == PASSWORD_GRANTS, "refresh tokens repeat"
    # A sample verified in full (signature, issuer, audience) — one per kind is enough.
    for kind in ("password", "client_credentials"):
        resp = next(r for k, _, r in results if k == kind)
        verify_access_token(server, resp.json()["access_token"])
    for _, i, resp in results[:PASSWORD_GRANTS]:
        token = resp.json()["refresh_token"]
        expect_token(server.refresh(pw_client, token), refresh=True)
