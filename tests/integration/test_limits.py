"""Request limits (issue 6, point 8; README "Limits"): each limit answers with its status and
changes nothing. Header count and size, body size per route, parameters per form, JSON depth
of admin bodies, CSV field and row length, connections per client address."""

import socket
import time

import pytest
import requests

from admin_api import call, expect_admin_error, roles_path, token_for
from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, Client, KeyholdServer, db_count,
                      expect_error, expect_token, unique, wait_until)

MAX_HEADERS = 64               # HTTP_MAX_HEADERS, src/http/server_internal.h
FORM_MAX_PARAMS = 32           # src/http/form.h
JSON_MAX_DEPTH = 16            # ADMIN_JSON_MAX_DEPTH, src/api/admin_common.h
BODY_MAX = 64 * 1024           # API_MAX_FORM_BODY, API_MAX_JSON_BODY
CSV_FIELD_MAX = 64 * 1024      # IMPORT_CSV_FIELD_MAX
PER_IP = 4                     # --max-connections-per-ip of the `limited` server


@pytest.fixture(scope="module")
def admin(server):
    tok = expect_token(server.password_grant(Client("admin-cli"), "admin", ADMIN_PASSWORD))
    return tok["access_token"]


def role_count(server, name):
    return db_count(server.db, "SELECT COUNT(*) FROM roles WHERE name = ?", (name,))


def raw_request(port, head, body=b""):
    """Send one request on a fresh connection; return (status, the whole answer)."""
    with socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT) as s:
        s.sendall(head + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return int(data.split(b" ")[1]), data


def role_post_head(server, token, n_headers, extra=b"", length=0):
    fill = b"".join(b"X-Fill-%d: v\r\n" % i for i in range(n_headers))
    return (b"POST /admin/realms/main/roles HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Authorization: Bearer " + token.encode() + b"\r\n"
            b"Content-Type: application/json\r\nConnection: close\r\n" + fill + extra +
            b"Content-Length: %d\r\n\r\n" % length)


# -- headers -------------------------------------------------------------------------------------

def test_too_many_headers_is_431_and_creates_nothing(server, admin):
    name = unique("hdrrole")
    body = ('{"name":"%s","permissions":["users:read"]}' % name).encode()
    # 5 headers of ours plus the fill: one over the limit, then exactly at it.
    status, data = raw_request(server.port, role_post_head(server, admin, MAX_HEADERS - 5 + 1,
                                                           length=len(body)), body)
    assert status == 431, data
    assert b'"error":"invalid_request"' in data
    assert role_count(server, name) == 0
    status, data = raw_request(server.port, role_post_head(server, admin, MAX_HEADERS - 5,
                                                           length=len(body)), body)
    assert status == 201, data
    assert role_count(server, name) == 1


def test_header_over_32_kib_is_431_and_creates_nothing(server, admin):
    name = unique("bigrole")
    body = ('{"name":"%s"}' % name).encode()
    big = b"X-Big: " + b"a" * (33 * 1024) + b"\r\n"
    status, _ = raw_request(server.port, role_post_head(server, admin, 0, big, len(body)), body)
    assert status == 431
    assert role_count(server, name) == 0
    small = b"X-Big: " + b"a" * (16 * 1024) + b"\r\n"
    status, data = raw_request(server.port, role_post_head(server, admin, 0, small, len(body)),
                               body)
    assert status == 201, data


def test_request_line_over_32_kib_is_414(server):
    status, _ = raw_request(server.port, b"GET /healthz?" + b"a" * (33 * 1024) +
                            b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status == 414


# -- bodies --------------------------------------------------------------------------------------

def test_token_body_over_64_kib_is_413(server):
    client = server.create_client("main", ["client_credentials"])
    pad = "x" * BODY_MAX
    resp = server.client_credentials(client, pad=pad)
    assert resp.status_code == 413, resp.text
    assert resp.json()["error"] == "invalid_request"
    expect_token(server.client_credentials(client, pad="x" * 1000), refresh=False)


def test_admin_body_over_64_kib_is_413_and_creates_nothing(server, admin):
    name = unique("fatrole")
    body = {"name": name, "permissions": ["users:read"], "pad": "x" * BODY_MAX}
    resp = call(server, "POST", roles_path("main"), admin, json=body)
    assert resp.status_code == 413, resp.text
    assert role_count(server, name) == 0


# -- forms ---------------------------------------------------------------------------------------

def test_too_many_form_parameters_is_400(server):
    client = server.create_client("main", ["client_credentials"])
    extra = {f"p{i}": "v" for i in range(FORM_MAX_PARAMS)}        # with grant_type: 33
    expect_error(server.client_credentials(client, **extra), 400, "invalid_request")
    extra.pop("p0")                                                # 32: accepted
    expect_token(server.client_credentials(client, **extra), refresh=False)


# -- JSON depth ----------------------------------------------------------------------------------

def nested(depth):
    return "[" * depth + "]" * depth


def test_json_deeper_than_16_is_400_and_creates_nothing(server, admin):
    name = unique("deeprole")
    # The nesting is the 17th level: the object is the first.
    body = '{"name":"%s","permissions":["users:read"],"x":%s}' % (name, nested(JSON_MAX_DEPTH))
    resp = call(server, "POST", roles_path("main"), admin, data=body,
                headers={"Content-Type": "application/json"})
    err = expect_admin_error(resp, 400, "invalid_request")
    assert "16 deep" in err["error_description"], err
    assert role_count(server, name) == 0
    # Very deep (past jansson's own 2048 levels): the same clean 400.
    resp = call(server, "POST", roles_path("main"), admin,
                data='{"x":%s}' % nested(5000), headers={"Content-Type": "application/json"})
    assert "16 deep" in expect_admin_error(resp, 400, "invalid_request")["error_description"]


def test_json_depth_counts_brackets_outside_strings_only(server, admin):
    name = unique("brk")
    body = '{"name":"%s","permissions":["users:read"]}' % name
    resp = call(server, "POST", roles_path("main"), admin, data=body,
                headers={"Content-Type": "application/json"})
    assert resp.status_code == 201, resp.text
    # 16 levels is allowed: an unknown member then, not a depth refusal.
    body = '{"name":"%s","x":%s}' % (unique("d16"), nested(JSON_MAX_DEPTH - 1))
    resp = call(server, "POST", roles_path("main"), admin, data=body,
                headers={"Content-Type": "application/json"})
    assert "16 deep" not in expect_admin_error(resp, 400, "invalid_request")["error_description"]
    # Brackets inside a string (with an escaped quote before them) do not count.
    body = '{"name":"%s","x":"\\"%s"}' % (unique("str"), "[" * 100)
    resp = call(server, "POST", roles_path("main"), admin, data=body,
                headers={"Content-Type": "application/json"})
    assert "16 deep" not in expect_admin_error(resp, 400, "invalid_request")["error_description"]


# -- CSV imports ---------------------------------------------------------------------------------

def post_csv(server, token, body):
    return requests.post(server.base + "/v1/imports", data=body.encode(),
                         headers={"Content-Type": "text/csv", "Authorization": f"Bearer {token}"},
                         timeout=60)


def users_named(server, prefix):
    return db_count(server.db, "SELECT COUNT(*) FROM users WHERE username LIKE ?", (prefix + "%",))


def test_csv_field_over_64_kib_is_400_and_imports_nothing(server):
    token = token_for(server, "main", ["imports:manage"])
    prefix = unique("csvf")
    body = (f"username,first_name\n{prefix}a,Ann\n{prefix}b," + "x" * (CSV_FIELD_MAX + 1) +
            f"\n{prefix}c,Cy\n")
    resp = post_csv(server, token, body)
    err = expect_admin_error(resp, 400, "invalid_request")
    assert "longer than 64 KiB" in err["error_description"], err
    assert users_named(server, prefix) == 0


def test_csv_row_with_extra_fields_is_a_row_error(server):
    token = token_for(server, "main", ["imports:manage"])
    prefix = unique("csvr")
    wide = ",".join(["y" * 1000] * 500)                       # 500 kB of fields past the header
    body = f"username,first_name\n{prefix}a,Ann,{wide}\n{prefix}b,Bob\n"
    resp = post_csv(server, token, body)
    assert resp.status_code == 201, resp.text
    rec = resp.json()
    assert rec["failed"] == 1 and rec["created"] == 1, rec
    assert "more fields than the header" in str(rec["errors"]), rec
    assert users_named(server, prefix + "a") == 0 and users_named(server, prefix + "b") == 1


# -- connections per address ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    srv = KeyholdServer(tmp_path_factory.mktemp("keyhold-perip"))
    srv.start(extra_args=["--max-connections-per-ip", PER_IP])
    yield srv
    srv.stop()


def open_conn(port):
    """A keep-alive connection that has been served one request (so it was accepted)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = s.recv(65536)
    return s, data


def test_connections_per_ip_over_the_limit_are_closed(limited):
    held = []
    try:
        for _ in range(PER_IP):
            s, data = open_conn(limited.port)
            assert data.startswith(b"HTTP/1.1 200"), data
            held.append(s)
        # One more: accepted by the kernel, closed by the server without an answer.
        s = socket.create_connection(("127.0.0.1", limited.port), timeout=HTTP_TIMEOUT)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            got = s.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            got = b""
        finally:
            s.close()
        assert got == b"", got
        # The held connections still work.
        held[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert held[0].recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for s in held:
            s.close()

    # Once they are closed, new connections are served again.
    def served():
        try:
            return requests.get(limited.base + "/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False
    wait_until(served, 20, "a new connection is served after the others closed")


def test_max_connections_per_ip_option_is_checked(server):
    res = server.cli("serve", "--max-connections-per-ip", "-1", db=False)
    assert res.returncode == 2, res
    assert "--max-connections-per-ip" in res.stderr
