"""POST /v1/imports and GET /v1/imports/{id} (SPEC §5, issue 5 point 3) over real HTTP:
CSV (BOM, CRLF/LF, RFC 4180 quoting) and JSON, per-row errors with row numbers and fields,
atomic and dry runs, the body limit (--max-import-bytes) with Content-Length and chunked,
a client gone mid-upload, 401/403/415/400, records per realm."""

import json
import socket
import time
from types import SimpleNamespace

import pytest
import requests

from conftest import db_count, db_rows, describe, expect_token, running_server, unique

LIMIT = 64 * 1024          # the server's --max-import-bytes in this module
PASSWORD = "imports-pw"
SCOPE = "imports:manage users:read"
IMPORTS = "/v1/imports"


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    with running_server(tmp_path_factory, extra_args=("--max-import-bytes", LIMIT)) as s:
        yield s


def importer_of(srv, realm):
    srv.create_role(realm, ["users:read"], name="reader")
    role = srv.create_role(realm, ["imports:manage", "users:read"])
    user = srv.create_user(realm, unique("imp"), password=PASSWORD, roles=[role])
    client = srv.create_client(realm, ["password"], scope=SCOPE, default_scope=SCOPE)
    token = expect_token(srv.password_grant(client, user, PASSWORD, realm=realm))["access_token"]
    return client, user, token


@pytest.fixture(scope="module")
def w(srv):
    realm = srv.create_realm(unique("imr"))
    client, user, token = importer_of(srv, realm)
    reader = srv.create_user(realm, unique("rdr"), password=PASSWORD, roles=["reader"])
    weak = expect_token(srv.password_grant(client, reader, PASSWORD, realm=realm))["access_token"]
    other = srv.create_realm(unique("imo"))
    _, _, other_token = importer_of(srv, other)
    user_id = db_rows(srv.db, "SELECT id FROM users WHERE username = ?", (user.lower(),))[0][0]
    return SimpleNamespace(realm=realm, token=token, weak=weak, other=other,
                           other_token=other_token, user_id=user_id)


def post(srv, token, body, ctype="text/csv", headers=None, **params):
    h = {"Content-Type": ctype} if ctype else {}
    if token:
        h["Authorization"] = f"Bearer {token}"
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    return requests.post(srv.base + IMPORTS, data=body, headers=h, params=params, timeout=60)


def created(resp):
    assert resp.status_code == 201, describe(resp)
    rec = resp.json()
    assert resp.headers["Location"] == f"{IMPORTS}/{rec['id']}"
    assert resp.headers["Cache-Control"] == "no-store"
    return rec


def users(srv, realm):
    return {r[0]: r[1:] for r in db_rows(
        srv.db, "SELECT u.username, u.email, u.first_name, u.last_name FROM users u "
        "JOIN realms r ON r.id = u.realm_id WHERE r.name = ?", (realm,))}


def roles_of(srv, realm, username):
    return sorted(r[0] for r in db_rows(
        srv.db, "SELECT ro.name FROM users u JOIN realms r ON r.id = u.realm_id "
        "JOIN user_roles ur ON ur.user_id = u.id JOIN roles ro ON ro.id = ur.role_id "
        "WHERE r.name = ? AND u.username = ?", (realm, username)))


def get_record(srv, token, import_id):
    return requests.get(f"{srv.base}{IMPORTS}/{import_id}",
                        headers={"Authorization": f"Bearer {token}"}, timeout=10)


def csv_rows(prefix, n):
    return "".join(f"{prefix}{i}@x.io,{prefix}{i}\n" for i in range(n))


# -- formats ---------------------------------------------------------------------------------


def test_csv_bom_crlf_quoting(srv, w):
    p = unique("q")
    # A quoted newline is part of its field (row 2 is one row, not two); names may not
    # hold control characters, so that row is an error of the last_name field.
    body = ("\ufeffemail,username,first_name,last_name,roles\r\n"
            f"{p}a@x.io,{p}A,\"Ann, the \"\"first\"\"\",\"Lee, Jr\",reader\r\n"
            f"{p}n@x.io,{p}n,Nat,\"two\r\nlines\",\r\n"
            f"{p}b@x.io,{p}b,Bob,,\r\n")
    rec = created(post(srv, w.token, body, ctype="text/csv; charset=utf-8"))
    assert (rec["status"], rec["format"], rec["rows"], rec["created"], rec["updated"],
            rec["failed"], rec["errors_truncated"]) == ("completed", "csv", 3, 2, 0, 1, False)
    assert [(e["row"], e["field"]) for e in rec["errors"]] == [(2, "last_name")]
    assert "control character" in rec["errors"][0]["message"]
    assert rec["dry_run"] is False and rec["atomic"] is False
    assert rec["created_by"] == w.user_id
    assert abs(rec["created_at"] - time.time()) < 60
    got = users(srv, w.realm)
    assert got[f"{p}a".lower()] == (f"{p}a@x.io", 'Ann, the "first"', "Lee, Jr")
    assert got[f"{p}b"] == (f"{p}b@x.io", "Bob", None)
    assert f"{p}n" not in got
    assert roles_of(srv, w.realm, f"{p}a".lower()) == ["reader"]
    # the same file again updates; GET answers the stored record
    again = created(post(srv, w.token, body))
    assert (again["created"], again["updated"]) == (0, 2)
    resp = get_record(srv, w.token, again["id"])
    assert resp.status_code == 200, describe(resp)
    assert resp.json() == again


def test_csv_lf_and_json(srv, w):
    p = unique("j")
    rec = created(post(srv, w.token, f"username,email\n{p}1,{p}1@x.io\n{p}2,{p}2@x.io\n"))
    assert rec["created"] == 2
    doc = {"users": [{"username": f"{p}3", "email": f"{p}3@x.io", "first_name": "Jo",
                      "last_name": None, "roles": ["reader"]},
                     {"email": f"{p}4@x.io"}]}
    rec = created(post(srv, w.token, json.dumps(doc), ctype="application/json; charset=utf-8"))
    assert (rec["format"], rec["created"], rec["failed"]) == ("json", 2, 0)
    got = users(srv, w.realm)
    assert got[f"{p}3"] == (f"{p}3@x.io", "Jo", None)
    assert f"{p}4@x.io" in got  # no username: the email becomes it
    assert roles_of(srv, w.realm, f"{p}3") == ["reader"]


# -- row errors, atomic, dry run ---------------------------------------------------------------

def bad_file(p):
    long = "x" * 256
    return ("username,email,first_name,roles\n"
            f"{p}ok1,{p}ok1@x.io,,reader\n"        # 1 good
            f"{p}r,{p}r@x.io,,nosuchrole\n"       # 2 unknown role
            f"{p}e,not-an-email,,\n"              # 3 bad email
            f"{p}ok1,{p}dup@x.io,,\n"             # 4 same username as row 1
            f"{p}l,{p}l@x.io,{long},\n"           # 5 over-long field
            f"{p}u,{p}u@x.io,\xff\xfe,\n"         # 6 bad UTF-8 (latin-1 bytes below)
            f"{p}ok2,{p}ok2@x.io,,\n")            # 7 good


EXPECTED_ERRORS = [(2, "roles"), (3, "email"), (4, "username"), (5, "first_name"),
                   (6, "first_name")]


def post_bad(srv, w, p, **params):
    return post(srv, w.token, bad_file(p).encode("latin-1"), **params)


def test_row_errors_without_atomic(srv, w):
    p = unique("e")
    rec = created(post_bad(srv, w, p))
    assert (rec["status"], rec["rows"], rec["created"], rec["failed"]) == ("completed", 7, 2, 5)
    assert [(e["row"], e.get("field")) for e in rec["errors"]] == EXPECTED_ERRORS
    assert all(e["message"] for e in rec["errors"])
    assert 'unknown role "nosuchrole"' in rec["errors"][0]["message"]
    got = users(srv, w.realm)
    assert {f"{p}ok1", f"{p}ok2"} <= set(got)
    assert not {f"{p}r", f"{p}e", f"{p}l", f"{p}u"} & set(got)
    assert get_record(srv, w.token, rec["id"]).json()["errors"] == rec["errors"]


def test_row_errors_atomic_writes_nothing(srv, w):
    p = unique("a")
    rec = created(post_bad(srv, w, p, atomic="true"))
    assert (rec["status"], rec["atomic"], rec["created"], rec["updated"], rec["failed"]) == (
        "rolled_back", True, 0, 0, 5)
    assert [(e["row"], e.get("field")) for e in rec["errors"]] == EXPECTED_ERRORS
    assert not [u for u in users(srv, w.realm) if u.startswith(p)]
    # atomic=false explicitly is the default behaviour
    rec = created(post(srv, w.token, f"username\n{p}z\n", atomic="false"))
    assert rec["created"] == 1


def test_dry_run_writes_nothing_but_reports(srv, w):
    p = unique("d")
    before = users(srv, w.realm)
    rec = created(post_bad(srv, w, p, dry_run="true"))
    assert (rec["status"], rec["dry_run"], rec["created"], rec["failed"]) == (
        "dry_run", True, 2, 5)
    assert users(srv, w.realm) == before
    stored = get_record(srv, w.token, rec["id"]).json()
    assert stored["dry_run"] is True and stored["created"] == 2


def test_json_row_and_document_errors(srv, w):
    p = unique("k")
    doc = {"users": [{"username": f"{p}1", "nick": "x"}, {"username": 5},
                     {"username": f"{p}2", "roles": "reader"}, {"username": f"{p}3"}]}
    rec = created(post(srv, w.token, json.dumps(doc), ctype="application/json"))
    assert (rec["created"], rec["failed"]) == (1, 3)
    assert [(e["row"], e.get("field")) for e in rec["errors"]] == [
        (1, None), (2, "username"), (3, "roles")]
    for bad in ('{"users":[{"username":"a","username":"b"}]}', '{"users":[]', '[1]',
                '{"users":[],"more":1}'):
        resp = post(srv, w.token, bad, ctype="application/json")
        assert resp.status_code == 400, describe(resp)
        assert resp.json()["error"] == "invalid_request"


def test_malformed_csv_is_400_and_writes_nothing(srv, w):
    p = unique("m")
    count = db_count(srv.db, "SELECT count(*) FROM imports")
    for bad in (f"username,nickname\n{p}1,x\n", f"username\n{p}1\n\"open", ""):
        resp = post(srv, w.token, bad)
        assert resp.status_code == 400, describe(resp)
        assert resp.json()["error"] == "invalid_request"
        assert "Nothing was imported" in resp.json()["error_description"]
    assert db_count(srv.db, "SELECT count(*) FROM imports") == count
    assert f"{p}1" not in users(srv, w.realm)


# -- the body limit ------------------------------------------------------------------------------

def body_of_size(p, size):
    """A valid CSV of exactly `size` bytes, and its number of rows: many rows (past one
    write batch of the import), the last username padded."""
    head = "username\n"
    row_len = len(f"{p}00000\n")
    n = (size - len(head) - 200) // row_len
    rows = "".join(f"{p}{i:05d}\n" for i in range(n))
    pad = size - len(head) - len(rows) - len(f"{p}last\n")
    assert 0 <= pad < 240, pad
    return (head + rows + f"{p}last{'x' * pad}\n").encode(), n + 1


def test_limit_with_content_length(srv, w):
    p = unique("c")
    body, _ = body_of_size(p, LIMIT + 1)
    resp = post(srv, w.token, body)
    assert resp.status_code == 413, describe(resp)
    assert resp.json()["error"] == "invalid_request"
    assert not [u for u in users(srv, w.realm) if u.startswith(p)]
    body, n = body_of_size(p, LIMIT)
    rec = created(post(srv, w.token, body))  # exactly the limit is fine
    assert rec["created"] == n > 1000


def test_limit_chunked_rolls_back(srv, w):
    p = unique("h")
    count = db_count(srv.db, "SELECT count(*) FROM imports")
    body, _ = body_of_size(p, LIMIT + 1)

    def chunks(data):
        for i in range(0, len(data), 4096):
            yield data[i:i + 4096]

    resp = post(srv, w.token, chunks(body))
    assert resp.status_code == 413, describe(resp)
    assert not [u for u in users(srv, w.realm) if u.startswith(p)]
    assert db_count(srv.db, "SELECT count(*) FROM imports") == count
    body, n = body_of_size(p, LIMIT)
    rec = created(post(srv, w.token, chunks(body)))
    assert rec["created"] == n


def test_json_limit(srv, w):
    doc = json.dumps({"users": [{"username": "x" * 10}]})
    body = doc[:-2] + " " * (LIMIT + 1 - len(doc)) + doc[-2:]
    assert len(body) == LIMIT + 1
    resp = post(srv, w.token, body, ctype="application/json")
    assert resp.status_code == 413, describe(resp)


def test_client_gone_mid_upload(srv, w):
    p = unique("g")
    body, _ = body_of_size(p, LIMIT)
    head = (f"POST {IMPORTS} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {w.token}\r\n"
            f"Content-Type: text/csv\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", srv.port)) as s:
        s.sendall(head + body[:len(body) * 3 // 4])  # past the first write batch
        time.sleep(0.3)
    # the server is healthy and the write lock free: another import goes through
    assert requests.get(srv.base + "/healthz", timeout=10).status_code == 200
    rec = created(post(srv, w.token, f"username\n{p}after\n"))
    assert rec["created"] == 1
    assert [u for u in users(srv, w.realm) if u.startswith(p)] == [f"{p}after"]


# -- refusals ------------------------------------------------------------------------------------

def test_authentication_and_permission(srv, w):
    body = "username\nnobody\n"
    resp = post(srv, None, body)
    assert resp.status_code == 401, describe(resp)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    resp = post(srv, "not-a-token", body)
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    resp = post(srv, w.weak, body)
    assert resp.status_code == 403, describe(resp)
    assert 'scope="imports:manage"' in resp.headers["WWW-Authenticate"]
    resp = requests.get(f"{srv.base}{IMPORTS}/x", timeout=10)
    assert resp.status_code == 401
    assert get_record(srv, w.weak, "x").status_code == 403
    assert "nobody" not in users(srv, w.realm)


def test_media_type_and_query(srv, w):
    for ctype in ("text/plain", None, "application/x-www-form-urlencoded", "text/csvx"):
        resp = post(srv, w.token, "username\nnobody\n", ctype=ctype)
        assert resp.status_code == 415, describe(resp)
    for params in ({"dry_run": "yes"}, {"atomic": "1"}, {"dry_run": ""}, {"atomic": "TRUE"}):
        resp = post(srv, w.token, "username\nnobody\n", **params)
        assert resp.status_code == 400, describe(resp)
        assert resp.json()["error"] == "invalid_request"
    assert "nobody" not in users(srv, w.realm)


def test_records_are_per_realm(srv, w):
    p = unique("r")
    rec = created(post(srv, w.token, f"username\n{p}1\n"))
    assert get_record(srv, w.other_token, rec["id"]).status_code == 404
    resp = get_record(srv, w.token, "00000000-0000-4000-8000-000000000000")
    assert resp.status_code == 404 and resp.json()["error"] == "not_found"
    # the other realm's token imports into its own realm only
    mine = created(post(srv, w.other_token, f"username\n{p}2\n"))
    assert f"{p}2" in users(srv, w.other) and f"{p}2" not in users(srv, w.realm)
    assert get_record(srv, w.token, mine["id"]).status_code == 404
    assert get_record(srv, w.other_token, mine["id"]).status_code == 200


def test_audit_line(srv, w):
    p = unique("au")
    rec = created(post(srv, w.token, f"username\n{p}1\n"))
    deadline = time.time() + 5
    while time.time() < deadline:
        lines = [json.loads(line) for line in srv.stderr().splitlines() if line.startswith("{")]
        events = [e for e in lines if e.get("target") == rec["id"]]
        if events:
            break
        time.sleep(0.1)
    assert events, "no audit line for the import"
    e = events[0]
    assert e.get("type") == "import" and e.get("actor") == w.user_id
    assert "1 created" in e.get("detail", "")
