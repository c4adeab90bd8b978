"""The audit log (issue 5 point 7): security events stored with a SHA-256 chain per realm,
GET /admin/realms/{r}/events, `keyhold audit verify|list`, and the retention purge with its
signed checkpoint. Tampering with the database file is detected by `keyhold audit verify`."""

import base64
import hashlib
import hmac
import json
import shutil
import sqlite3
import struct
import time
from types import SimpleNamespace

import pytest
import requests

from conftest import (ADMIN_PASSWORD, HTTP_TIMEOUT, MASTER_KEY, Client, KeyholdServer, altered,
                      db_rows, describe, expect_error, expect_token, unique, wait_until)

PASSWORD = "audit-pw-Zq8!"
EVENT_FIELDS = {"id", "realm_id", "seq", "at", "type", "actor", "target", "client_id", "ip",
                "outcome", "detail", "prev_hash", "hash"}
COLUMNS = "id, realm_id, seq, at, type, actor, target, client_id, ip, outcome, detail, prev_hash, hash"


# -- helpers -------------------------------------------------------------------------------------

def realm_id(server, realm):
    return db_rows(server.db, "SELECT id FROM realms WHERE name = ?", (realm,))[0][0]


def stored(server, realm):
    """The realm's stored events, oldest first, as dicts."""
    rows = db_rows(server.db, f"SELECT {COLUMNS} FROM audit_events WHERE realm_id = ? "
                              "ORDER BY seq", (realm_id(server, realm),))
    names = [c.strip() for c in COLUMNS.split(",")]
    return [dict(zip(names, row)) for row in rows]


def wait_event(server, realm, what, **match):
    """The first stored event of the realm whose fields equal `match` (the writer is
    asynchronous: it stores within a few milliseconds)."""
    def probe():
        for e in stored(server, realm):
            if all(e.get(k) == v for k, v in match.items()):
                return e
        return None
    return wait_until(probe, 20, what, detail=lambda: stored(server, realm)[-5:])


def events(server, realm, token, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(f"{server.base}/admin/realms/{realm}/events", params=params,
                        headers=headers, timeout=HTTP_TIMEOUT)


def chain_hash(e):
    """README "Audit log": the documented bytes, recomputed outside keyhold."""
    b = b"keyhold.audit.v1" + bytes(e["prev_hash"])
    b += struct.pack(">qqq", e["realm_id"], e["seq"], e["at"])
    for field in ("type", "actor", "target", "client_id", "ip", "outcome", "detail"):
        v = e[field]
        if v is None:
            b += b"\x00"
        else:
            raw = v.encode()
            b += b"\x01" + struct.pack(">I", len(raw)) + raw
    return hashlib.sha256(b).digest()


def checkpoint_sig(cp):
    """HMAC-SHA256 under HKDF-SHA256(master key, info "keyhold audit checkpoint v1")."""
    prk = hmac.new(b"\x00" * 32, bytes.fromhex(MASTER_KEY), hashlib.sha256).digest()
    key = hmac.new(prk, b"keyhold audit checkpoint v1\x01", hashlib.sha256).digest()
    msg = b"keyhold.audit.checkpoint.v1" + struct.pack(
        ">qqqq", cp["realm_id"], cp["seq"], cp["event_id"], cp["event_at"]) + bytes(cp["hash"])
    msg += struct.pack(">q", cp["created_at"])
    return hmac.new(key, msg, hashlib.sha256).digest()


def table_text(server):
    """Every stored audit field as one string, to search for what must never be there."""
    rows = db_rows(server.db, "SELECT * FROM audit_events")
    return "\n".join(" ".join(str(v) for v in row) for row in rows)


@pytest.fixture(scope="module")
def w(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))
    assert "events:read" in admin["scope"].split(), admin
    realm = server.create_realm()
    role = server.create_role(realm, ["api", "events:read"])
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    cc = server.create_client(realm, ["client_credentials"], scope="api", owner=user)
    pw = server.create_client(realm, ["password", "refresh_token"], scope="api events:read")
    return SimpleNamespace(admin=admin["access_token"], realm=realm, user=user, cc=cc, pw=pw,
                           user_id=db_rows(server.db, "SELECT id FROM users WHERE username = ?",
                                           (user,))[0][0])


# -- what is recorded ----------------------------------------------------------------------------

def test_token_issued_and_refused_without_secrets(server, w):
    ok = expect_token(server.client_credentials(w.cc, scope="api"))
    bad = Client(w.cc.client_id, altered(w.cc.secret), w.realm)
    expect_error(server.client_credentials(bad), 401, "invalid_client")
    wrong_pw = "not-" + PASSWORD
    expect_error(server.password_grant(w.pw, w.user, wrong_pw), 400, "invalid_grant")
    pw_ok = expect_token(server.password_grant(w.pw, w.user, PASSWORD, scope="api"))

    issued = wait_event(server, w.realm, "token.issued for client credentials",
                        type="token.issued", client_id=w.cc.client_id)
    assert issued["outcome"] == "ok" and issued["target"] == w.user_id, issued
    assert issued["actor"] == f"client:{w.cc.client_id}", issued
    assert issued["detail"] == "grant_type=client_credentials scope=api", issued
    assert issued["ip"] == "127.0.0.1", issued
    refused = wait_event(server, w.realm, "token.refused invalid_client",
                         type="token.refused", outcome="invalid_client")
    assert refused["client_id"] == w.cc.client_id, refused
    assert refused["detail"].startswith("grant_type=client_credentials: "), refused
    guessed = wait_event(server, w.realm, "token.refused for a wrong password",
                         type="token.refused", outcome="invalid_grant")
    assert guessed["target"] == w.user, guessed  # the username tried
    assert guessed["detail"] == "grant_type=password: Invalid user credentials", guessed
    wait_event(server, w.realm, "token.issued for the password grant", type="token.issued",
               client_id=w.pw.client_id)

    secrets = [w.cc.secret, bad.secret, PASSWORD, wrong_pw, ok["access_token"],
               pw_ok["access_token"], pw_ok["refresh_token"]]
    text, log = table_text(server), server.stderr()
    for s in secrets:
        assert s not in text, "a secret, password or token is stored in audit_events"
        assert s not in log, "a secret, password or token is in the server's log"
    assert '"event":"audit"' in log and '"type":"token.issued"' in log  # the JSON line


def test_unknown_grant_type_is_not_copied(server, w):
    """The grant type is named only when keyhold knows it: free text could be anything."""
    junk = "khs_pasted-" + unique("junk")
    resp = server.token({"grant_type": junk}, w.cc, realm=w.realm)
    assert resp.status_code == 400, describe(resp)
    e = wait_event(server, w.realm, "token.refused of the unknown grant type",
                   type="token.refused", outcome=resp.json()["error"])
    assert e["detail"].startswith("grant_type=other: "), e
    assert junk not in table_text(server)


def test_refresh_reuse(server, w):
    first = expect_token(server.password_grant(w.pw, w.user, PASSWORD, scope="api"))
    expect_token(server.refresh(w.pw, first["refresh_token"]))
    expect_error(server.refresh(w.pw, first["refresh_token"]), 400, "invalid_grant")
    e = wait_event(server, w.realm, "refresh.reuse", type="refresh.reuse")
    assert e["outcome"] == "session_revoked" and e["target"] == w.user_id, e
    assert e["client_id"] == w.pw.client_id and first["session_state"] in e["detail"], e
    assert first["refresh_token"] not in table_text(server)


def test_admin_realm_create(server, w):
    name = unique("auditrealm")
    resp = requests.post(server.base + "/admin/realms", json={"name": name},
                         headers={"Authorization": f"Bearer {w.admin}"}, timeout=HTTP_TIMEOUT)
    assert resp.status_code == 201, describe(resp)
    admin_id = db_rows(server.db, "SELECT u.id FROM users u JOIN realms r ON r.id = u.realm_id "
                                  "WHERE r.name = 'main' AND u.username = 'admin'")[0][0]
    e = wait_event(server, name, "realm.create in the new realm's chain", type="realm.create")
    assert e["seq"] == 1 and e["actor"] == admin_id and e["client_id"] == "admin-cli", e
    assert e["target"] == name and e["detail"] == "alg=ES256", e


def test_cli_changes(server):
    realm = server.create_realm()
    role = server.create_role(realm, ["api"])
    user = server.create_user(realm, password=PASSWORD, roles=[role])
    client = server.create_client(realm, ["client_credentials"], scope="api", owner=user)
    server.realm_update(realm, access_token_lifetime=600)
    server.set_user_enabled(realm, user, False)
    rotated = server.cli_json("client", "rotate-secret", realm, client.client_id)
    server.cli_ok("key", "rotate", realm)
    got = [(e["type"], e["actor"], e["ip"]) for e in stored(server, realm)]  # CLI flushes
    assert got == [(t, "cli", None) for t in (
        "realm.create", "role.create", "user.create", "client.create", "realm.update",
        "user.update", "client.secret_rotate", "key.rotate")], got
    text = table_text(server)
    assert client.secret not in text and rotated["client_secret"] not in text
    assert PASSWORD not in text


# -- GET /admin/realms/{r}/events ----------------------------------------------------------------

def test_events_api_pages_and_filters(server, w):
    for _ in range(3):
        expect_token(server.client_credentials(w.cc, scope="api"))
    want = stored(server, w.realm)
    got, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        resp = events(server, w.realm, w.admin, **params)
        assert resp.status_code == 200, describe(resp)
        assert "no-store" in resp.headers.get("Cache-Control", "")
        body = resp.json()
        assert set(body) == {"events", "next_cursor"} and len(body["events"]) <= 2, body
        got += body["events"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(got) >= len(want) > 5
    for e, row in zip(got, want):
        assert set(e) == EVENT_FIELDS, e
        assert e["id"] == row["id"] and e["seq"] == row["seq"] and e["type"] == row["type"]
        assert e["hash"] == row["hash"].hex() and e["prev_hash"] == row["prev_hash"].hex()
    assert [e["seq"] for e in got] == list(range(1, len(got) + 1))  # oldest first

    def types(**params):
        resp = events(server, w.realm, w.admin, limit=500, **params)
        assert resp.status_code == 200, describe(resp)
        return [e["type"] for e in resp.json()["events"]]
    assert set(types(type="token.issued")) == {"token.issued"}
    assert set(types(type="token.")) == {"token.issued", "token.refused"}
    assert types(type="token") == []  # exact unless it ends in '.'
    future = int(time.time()) + 3600
    assert types(since=future) == []
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(got[0]["at"]))
    assert len(types(since=iso)) == len(types())
    for bad in ({"since": "yesterday"}, {"cursor": "!!"}, {"limit": 0}, {"limit": 501},
                {"cursor": base64.urlsafe_b64encode(b"x1").decode().rstrip("=")}):
        resp = events(server, w.realm, w.admin, **bad)
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_request", \
            (bad, describe(resp))


def test_events_api_who_may(server, w):
    resp = events(server, w.realm, None)
    assert resp.status_code == 401, describe(resp)
    assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer realm=")
    # a user of the realm holding events:read reads it
    own = expect_token(server.password_grant(w.pw, w.user, PASSWORD, scope="events:read"))
    assert events(server, w.realm, own["access_token"]).status_code == 200
    # a token without events:read: 403
    no_read = expect_token(server.password_grant(w.pw, w.user, PASSWORD, scope="api"))
    resp = events(server, w.realm, no_read["access_token"])
    assert resp.status_code == 403, describe(resp)
    assert resp.json()["error"] == "insufficient_scope"
    assert 'scope="events:read"' in resp.headers.get("WWW-Authenticate", "")
    # that realm's token is nothing in another realm
    other = server.create_realm()
    resp = events(server, other, own["access_token"])
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_token", describe(resp)
    # an operator of the default realm reads any realm; an unknown one is 404
    assert events(server, other, w.admin).status_code == 200
    resp = events(server, unique("nosuchrealm"), w.admin)
    assert resp.status_code == 404 and resp.json()["error"] == "not_found", describe(resp)


# -- retention and tampering ---------------------------------------------------------------------

def verify(server, realm, db=None):
    """`keyhold audit verify REALM --json` on the server's database or another file."""
    args = ["audit", "verify", realm, "--json"] + (["--db", db] if db else [])
    res = server.cli(*args, db=db is None)
    body = json.loads(res.stdout)
    assert (res.returncode == 0) == body["ok"], (res.returncode, res.stdout, res.stderr)
    return body


def tampered(server, tmp_path, name, sql):
    """A copy of the database changed by `sql` (a script, or a function of the
    connection), as an attacker with the file would."""
    copy = tmp_path / f"{name}.db"
    shutil.copy(server.db, copy)
    conn = sqlite3.connect(copy)
    if callable(sql):
        sql(conn)
    else:
        conn.executescript(sql)
    conn.commit()
    conn.close()
    return str(copy)


@pytest.fixture(scope="module")
def purged(tmp_path_factory):
    """A server with a 2.6-second retention, purging every second: the realm's first
    events are purged behind a checkpoint; then it stops and the CLI adds more."""
    srv = KeyholdServer(tmp_path_factory.mktemp("audit-retention"))
    realm = srv.create_realm()
    for _ in range(3):
        srv.create_role(realm, ["api"])
    srv.start(extra_args=["--audit-retention-days", "0.00003", "--purge-interval", "1"])
    try:
        rid = realm_id(srv, realm)
        wait_until(lambda: db_rows(srv.db, "SELECT seq FROM audit_checkpoints WHERE "
                                           "realm_id = ?", (rid,)) == [(4,)],
                   30, "a checkpoint after the realm's 4 events were purged")
    finally:
        srv.stop()
    assert "audit.purge" in srv.stderr()
    for _ in range(5):
        srv.create_role(realm, ["api"])
    return SimpleNamespace(server=srv, realm=realm, rid=rid)


def test_retention_checkpoint_then_verify_ok(purged):
    srv, realm = purged.server, purged.realm
    rows = stored(srv, realm)
    assert [e["seq"] for e in rows] == [5, 6, 7, 8, 9]  # 1-4 purged
    body = verify(srv, realm)
    assert body["ok"] and body["checked"] == 5, body
    assert body["checkpoint"]["seq"] == 4 and body["head"]["seq"] == 9, body
    res = srv.cli("audit", "verify", realm)
    assert res.returncode == 0 and res.stdout.startswith("OK"), res.stdout
    # an outside tool recomputes every hash and the checkpoint's signature
    cp = dict(zip(["realm_id", "seq", "event_id", "event_at", "hash", "created_at", "sig"],
                  db_rows(srv.db, "SELECT realm_id, seq, event_id, event_at, hash, created_at, "
                                  "sig FROM audit_checkpoints WHERE realm_id = ?",
                          (purged.rid,))[0]))
    assert checkpoint_sig(cp) == bytes(cp["sig"])
    assert bytes(rows[0]["prev_hash"]) == bytes(cp["hash"])
    for e in rows:
        assert chain_hash(e) == bytes(e["hash"]), e


def append_forged(conn):
    """An event appended with a correct hash by someone who read the README: only the
    head (not moved) gives it away."""
    names = [c.strip() for c in COLUMNS.split(",")]
    last = dict(zip(names, conn.execute(f"SELECT {COLUMNS} FROM audit_events "
                                        "ORDER BY id DESC LIMIT 1").fetchone()))
    e = dict(last, seq=last["seq"] + 1, prev_hash=last["hash"], type="role.create",
             detail="forged")
    e["hash"] = chain_hash(e)
    conn.execute("INSERT INTO audit_events (realm_id, seq, at, type, actor, target, client_id, "
                 "ip, outcome, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                 [e[n] for n in names[1:]])


CASES = {
    "edited": ("UPDATE audit_events SET detail = 'nothing to see' WHERE seq = 7",
               "hash_mismatch", 7),
    "middle row deleted": ("DELETE FROM audit_events WHERE seq = 6", "prev_hash_mismatch", 7),
    "row inserted with a wrong hash": (
        "INSERT INTO audit_events (realm_id, seq, at, type, outcome, prev_hash, hash) "
        "SELECT realm_id, 10, at, 'role.create', 'ok', hash, hash FROM audit_events "
        "WHERE seq = 9", "hash_mismatch", 10),
    "row appended, well hashed": (lambda conn: append_forged(conn), "head_mismatch", None),
    "newest row deleted": ("DELETE FROM audit_events WHERE seq = 9", "head_mismatch", None),
    "checkpoint moved": ("DELETE FROM audit_events WHERE seq = 5; UPDATE audit_checkpoints "
                         "SET seq = 5, hash = (SELECT prev_hash FROM audit_events WHERE "
                         "seq = 6)", "bad_checkpoint", None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_is_detected(purged, tmp_path, case):
    sql, error, seq = CASES[case]
    srv, realm = purged.server, purged.realm
    db = tampered(srv, tmp_path, case.replace(" ", "_"), sql)
    body = verify(srv, realm, db=db)
    assert not body["ok"] and body["error"] == error, body
    if seq is not None:
        want_id = db_rows(db, "SELECT id FROM audit_events WHERE realm_id = ? AND seq = ?",
                          (purged.rid, seq))[0][0]
        assert body["event_id"] == want_id and body["seq"] == seq, body
        res = srv.cli("audit", "verify", realm, "--db", db, db=False)
        assert res.returncode == 1 and f"event {want_id} " in res.stdout, res.stdout


def test_audit_cli_usage(server, w):
    res = server.cli("audit", "verify", "--help", db=False)
    assert res.returncode == 0 and "hash mismatch" in res.stdout
    res = server.cli("audit", "verify", unique("nosuchrealm"))
    assert res.returncode == 1 and "no realm" in res.stderr
    res = server.cli("audit", "list", w.realm, "--type", "token.", "--limit", "2", "--json")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(lines) == 2 and all(e["type"].startswith("token.") for e in lines), lines
    assert verify(server, w.realm)["ok"]  # the live server's chain, while it runs
