"""First start on an empty database, restarts, master key file, environment, SIGTERM."""

import os
import re
import stat
import time

import jwt
import requests

from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, MASTER_KEY, PASSWORD_LINE, Client,
                      describe, expect_error, expect_token, jwt_claims, jwt_header)

ADMIN_CLI = Client("admin-cli", None, "main")
BOOTSTRAP_LINE = re.compile(
    r'^keyhold: created user "admin" in realm "main" with password: (\S+)$', re.M)


def printed_password(srv, wait=5.0):
    """The password line on stdout, waiting a little: the server must flush it while it
    runs (an operator tailing a log cannot wait for the process to exit)."""
    deadline = time.monotonic() + wait
    while True:
        match = PASSWORD_LINE.search(srv.stdout())
        if match or time.monotonic() > deadline:
            return match and match.group(1)
        time.sleep(0.1)


def admin_token(srv, password):
    return srv.password_grant(ADMIN_CLI, "admin", password)


def test_generated_admin_password_is_printed_once(make_server):
    srv = make_server(env={"KEYHOLD_MASTER_KEY": MASTER_KEY}).start()
    password = printed_password(srv)
    assert password, f"no 'password: <pw>' line on stdout while running: {srv.stdout()!r}"
    assert BOOTSTRAP_LINE.search(srv.stdout()), srv.stdout()
    assert len(PASSWORD_LINE.findall(srv.stdout())) == 1, srv.stdout()
    expect_token(admin_token(srv, password), refresh=True)
    srv.stop()
    assert password not in srv.stderr(), "the generated password leaked into the logs"

    srv.start()
    expect_token(admin_token(srv, password), refresh=True)
    srv.stop()
    second = srv.stdout(start=2)
    assert "password" not in second.lower(), f"second start printed a password: {second!r}"
    assert password not in second + srv.stderr(start=2)


def test_admin_password_from_environment(make_server):
    password = "from-the-environment-42"
    srv = make_server(env={"KEYHOLD_ADMIN_PASSWORD": password,
                           "KEYHOLD_MASTER_KEY": MASTER_KEY}).start()
    expect_token(admin_token(srv, password), refresh=True)
    expect_error(admin_token(srv, password + "x"), 400, "invalid_grant")
    srv.stop()
    assert password not in srv.stdout() + srv.stderr(), "the admin password was printed"


def test_admin_cli_password_grant(server):
    body = expect_token(admin_token(server, ADMIN_PASSWORD), refresh=True)
    claims = jwt_claims(body["access_token"])
    assert claims["preferred_username"] == "admin", claims
    assert claims["client_id"] == "admin-cli", claims
    assert "admin" in claims["realm_access"]["roles"], claims
    assert claims["iss"] == server.issuer("main"), claims


def test_admin_cli_is_public_with_password_and_refresh_only(server):
    body = expect_token(admin_token(server, ADMIN_PASSWORD), refresh=True)
    expect_token(server.refresh(ADMIN_CLI, body["refresh_token"]), refresh=True)
    cc = server.token({"grant_type": "client_credentials"}, ADMIN_CLI, auth="public")
    expect_error(cc, 400, "unauthorized_client")


def test_bootstrap_realm_is_listed(server):
    listing = server.cli_ok("realm", "list").stdout
    assert "main" in listing.split(), listing
    shown = server.cli_ok("realm", "show", "main").stdout
    assert "main" in shown and "ES256" in shown, shown


def test_master_key_file_is_created_with_mode_0600(make_server):
    srv = make_server(env={"KEYHOLD_ADMIN_PASSWORD": ADMIN_PASSWORD}).start()
    key_file = srv.db.parent / (srv.db.name + ".key")
    assert key_file.exists(), f"no master key file beside the database: {os.listdir(srv.db.parent)}"
    mode = stat.S_IMODE(key_file.stat().st_mode)
    assert mode == 0o600, f"{key_file} has mode {oct(mode)}"
    content = key_file.read_bytes()
    before = expect_token(admin_token(srv, ADMIN_PASSWORD))["access_token"]
    srv.stop()

    # A restart must reuse the file (same content) and still decrypt the realm's keys:
    # the old token's key is still published and new tokens verify against the JWKS.
    srv.start()
    assert key_file.read_bytes() == content, "the master key file changed on restart"
    after = expect_token(admin_token(srv, ADMIN_PASSWORD))["access_token"]
    jwks = jwt.PyJWKSet.from_dict(srv.jwks("main"))
    kids = {key.key_id for key in jwks.keys}
    assert jwt_header(before)["kid"] in kids, (jwt_header(before), kids)
    key = next(k for k in jwks.keys if k.key_id == jwt_header(after)["kid"])
    jwt.decode(after, key.key, algorithms=[jwt_header(after)["alg"]], audience="keyhold-api",
               issuer=srv.issuer("main"))
    srv.stop()


def test_options_from_environment(make_server):
    srv = make_server()
    srv.start(options_from_env=True)
    resp = srv.get("/.well-known/openid-configuration")
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["issuer"] == srv.issuer("main"), resp.json()
    assert srv.db.exists(), "KEYHOLD_DB was not used"
    srv.stop()


def test_default_realm_from_environment(make_server):
    srv = make_server().start()
    srv.create_realm("other")
    srv.stop()

    srv.start(extra_env={"KEYHOLD_DEFAULT_REALM": "other"})
    resp = srv.get("/.well-known/openid-configuration")
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["issuer"] == srv.issuer("other"), resp.json()
    srv.stop()


def test_sigterm_exits_zero_and_closes_the_port(make_server):
    srv = make_server().start()
    expect_token(admin_token(srv, ADMIN_PASSWORD))
    assert srv.stop() == 0
    try:
        requests.get(srv.base + "/healthz", timeout=HTTP_TIMEOUT)
    except requests.ConnectionError:
        return
    raise AssertionError("the server still answers after SIGTERM")
