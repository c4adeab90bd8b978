"""Purging expired rows in small batches (issue 4, HELPERS.md "Round 2"):
`keyhold serve --purge-interval SECONDS` (KEYHOLD_PURGE_INTERVAL). Rows are counted with
Python's sqlite3 on the server's database file, read-only; the bulk test writes 100,000
expired refresh tokens straight into the file while the server runs.

Run with `pytest -s` to see the before/after counts."""

import hashlib
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from conftest import (HTTP_TIMEOUT, db_count, db_rows, describe, expect_error, expect_token,
                      running_server, wait_until)

BULK = 100_000
BULK_DEADLINE = 90      # seconds for 100,000 rows (batches of a few hundred, short pauses)
SHORT_DEADLINE = 20     # seconds for the rows of short-lived tokens to go
TABLES = ["refresh_tokens", "sessions", "access_tokens", "revoked_jtis"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's server purges every second."""
    with running_server(tmp_path_factory, extra_args=["--purge-interval", "1"]) as srv:
        yield srv


def realm_id(server, realm):
    rows = db_rows(server.db, "SELECT id FROM realms WHERE name = ?", (realm,))
    assert rows, f"realm {realm} not in the database"
    return rows[0][0]


def counts(server, rid):
    """Rows of realm `rid` in each table the purge cleans."""
    return {table: db_count(server.db, f"SELECT count(*) FROM {table} WHERE realm_id = ?",
                            (rid,))
            for table in TABLES}


class Hammer:
    """Client-credentials grants in a loop on another thread while a purge runs: every
    answer must be 200."""

    def __init__(self, server, client):
        self.server, self.client = server, client
        self.statuses, self.failures, self.seconds = [], [], []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        with requests.Session() as session:
            while not self._stop.is_set():
                try:
                    started = time.monotonic()
                    resp = self.server.token({"grant_type": "client_credentials"}, self.client,
                                             realm=self.client.realm, session=session)
                    self.seconds.append(time.monotonic() - started)
                    self.statuses.append(resp.status_code)
                    if resp.status_code != 200:
                        self.failures.append(describe(resp))
                except requests.RequestException as exc:
                    self.failures.append(repr(exc))
                time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=HTTP_TIMEOUT)

    def summary(self):
        """For the log only (no timing is asserted)."""
        if not self.seconds:
            return "no grants"
        ms = sorted(s * 1000 for s in self.seconds)
        return (f"{len(ms)} client-credentials grants answered meanwhile, {len(self.failures)} "
                f"failed; latency median {ms[len(ms) // 2]:.1f} ms, max {ms[-1]:.1f} ms")

    def check(self):
        assert self.statuses, "no grant was answered during the purge"
        assert not self.failures, (f"{len(self.failures)} of {len(self.statuses)} grants "
                                   f"failed during the purge; first: {self.failures[0]}")


def test_expired_rows_disappear(server):
    realm = server.create_realm()
    server.realm_update(realm, access_token_lifetime=2, refresh_idle_lifetime=2,
                        session_max_lifetime=3)
    grants = ["client_credentials", "refresh_token"]
    jwt_client = server.create_client(realm, grants, scope="users:read")
    opaque = server.create_client(realm, grants, scope="users:read", opaque=True)
    live = server.create_client("main", grants, scope="users:read")
    keep = expect_token(server.client_credentials(live))["refresh_token"]
    reader = server.create_client("main", ["client_credentials"], scope="users:read")
    # A rotated (used) token of a live session: not expired, so it must stay for reuse
    # detection. A logged-out session: ended, so its rows go although not expired.
    rotated = expect_token(server.client_credentials(live))["refresh_token"]
    successor = expect_token(server.refresh(live, rotated))["refresh_token"]
    ended = expect_token(server.client_credentials(live))["refresh_token"]
    ended_hash = hashlib.sha256(ended.encode()).digest()
    ended_session = db_rows(server.db, "SELECT session_id FROM refresh_tokens WHERE hash = ?",
                            (ended_hash,))
    assert ended_session, "the new session's token row (SHA-256 of the token) not found"
    ended_session = ended_session[0][0]
    assert server.logout(live, ended).status_code == 204
    rid = realm_id(server, realm)

    bodies = [expect_token(server.client_credentials(jwt_client), expires_in=2)
              for _ in range(20)]
    for body in bodies[:5]:         # rotated: used rows too
        expect_token(server.refresh(jwt_client, body["refresh_token"]), expires_in=2,
                     refresh_expires_in=None)
    for body in bodies[5:10]:       # revoked JWTs: remembered jtis
        assert server.revoke(jwt_client, body["access_token"]).status_code == 200
    for _ in range(10):             # opaque access tokens: stored hashes
        expect_token(server.client_credentials(opaque), expires_in=2)

    before = counts(server, rid)
    print(f"\npurge of short-lived rows, before: {before}")
    assert before["refresh_tokens"] >= 25 and before["sessions"] >= 20, before
    assert before["access_tokens"] >= 10 and before["revoked_jtis"] >= 5, before

    with Hammer(server, reader) as hammer:
        started = time.monotonic()
        wait_until(lambda: not any(counts(server, rid).values()), SHORT_DEADLINE,
                   f"every expired row of realm {realm} purged",
                   detail=lambda: counts(server, rid))
        elapsed = time.monotonic() - started
    after = counts(server, rid)
    print(f"purge of short-lived rows, after {elapsed:.1f}s: {after}; {hammer.summary()}")
    hammer.check()
    assert db_count(server.db, "SELECT count(*) FROM refresh_tokens WHERE session_id = ?",
                    (ended_session,)) == 0, "the logged-out session's tokens were not purged"
    wait_until(lambda: db_count(server.db, "SELECT count(*) FROM sessions WHERE id = ?",
                                (ended_session,)) == 0, SHORT_DEADLINE,
               "the logged-out session purged")
    # Live rows are left alone, and the purge has not erased the evidence of a rotation:
    # presenting the rotated token still kills its family.
    expect_token(server.refresh(live, keep), refresh=True)
    expect_error(server.refresh(live, rotated), 400, "invalid_grant")
    expect_error(server.refresh(live, successor), 400, "invalid_grant")


def insert_expired_refresh_tokens(db, template_token_hash, n):
    """Write an expired session and n expired refresh tokens of it in one transaction,
    copying realm, client and user from an existing refresh token row. Returns the new
    session id."""
    now = int(time.time())
    session_id = str(uuid.uuid4())
    conn = sqlite3.connect(str(db), timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout = 60000")
        template = conn.execute(
            "SELECT t.realm_id, t.client_id, t.user_id, s.client_id FROM refresh_tokens t "
            "JOIN sessions s ON s.id = t.session_id WHERE t.hash = ?",
            (template_token_hash,)).fetchone()
        assert template, "template refresh token not found"
        rid, token_client, user_id, session_client = template
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO sessions (id, realm_id, user_id, client_id, offline, created_at, "
            "expires_at, revoked_at) VALUES (?, ?, ?, ?, 0, ?, ?, 0)",
            (session_id, rid, user_id, session_client, now - 7200, now - 3600))
        conn.executemany(
            "INSERT INTO refresh_tokens (hash, session_id, realm_id, client_id, user_id, "
            "scope, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?, '', ?, ?, NULL)",
            ((hashlib.sha256(f"{session_id}/{i}".encode()).digest(), session_id, rid,
              token_client, user_id, now - 7200, now - 3600) for i in range(n)))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()
    return session_id


def test_purge_of_100000_expired_refresh_tokens(server):
    grants = ["client_credentials", "refresh_token"]
    client = server.create_client("main", grants, scope="users:read")
    live = expect_token(server.client_credentials(client))["refresh_token"]
    template = hashlib.sha256(live.encode()).digest()

    started = time.monotonic()
    session_id = insert_expired_refresh_tokens(server.db, template, BULK)
    inserted = time.monotonic() - started
    count = ("SELECT count(*) FROM refresh_tokens WHERE session_id = ?", (session_id,))
    before = db_count(server.db, *count)
    total_before = db_count(server.db, "SELECT count(*) FROM refresh_tokens")
    print(f"\nbulk purge: inserted {BULK} expired refresh tokens in {inserted:.1f}s; "
          f"before: {before} rows of the expired session, {total_before} in the table")
    assert before > BULK // 2, before     # the purge may already have begun

    reader = server.create_client("main", ["client_credentials"], scope="users:read")
    with Hammer(server, reader) as hammer:
        started = time.monotonic()
        wait_until(lambda: db_count(server.db, *count) == 0, BULK_DEADLINE,
                   f"{BULK} expired refresh tokens purged", interval=0.5,
                   detail=lambda: f"{db_count(server.db, *count)} rows left")
        elapsed = time.monotonic() - started
    after = db_count(server.db, *count)
    total_after = db_count(server.db, "SELECT count(*) FROM refresh_tokens")
    sessions_left = db_count(server.db, "SELECT count(*) FROM sessions WHERE id = ?",
                             (session_id,))
    print(f"bulk purge: after {elapsed:.1f}s: {after} rows of the expired session, "
          f"{total_after} in the table, expired session rows left {sessions_left}; "
          f"{hammer.summary()}")
    hammer.check()
    wait_until(lambda: db_count(server.db, "SELECT count(*) FROM sessions WHERE id = ?",
                                (session_id,)) == 0, 10, "the emptied expired session purged")
    # The live token of the template session is untouched.
    expect_token(server.refresh(client, live), refresh=True)


def test_purge_interval_from_the_environment(make_server):
    srv = make_server()
    srv.start(extra_env={"KEYHOLD_PURGE_INTERVAL": "1"})
    client = srv.create_client("main", ["client_credentials", "refresh_token"],
                               scope="users:read")
    live = expect_token(srv.client_credentials(client))["refresh_token"]
    session_id = insert_expired_refresh_tokens(srv.db, hashlib.sha256(live.encode()).digest(),
                                               1000)
    wait_until(lambda: db_count(srv.db, "SELECT count(*) FROM refresh_tokens WHERE "
                                "session_id = ?", (session_id,)) == 0, SHORT_DEADLINE,
               "expired rows purged with KEYHOLD_PURGE_INTERVAL=1")
    expect_token(srv.refresh(client, live), refresh=True)
    srv.stop()
