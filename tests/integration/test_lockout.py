"""Brute-force protection (SPEC §7, issue 6 point 1): failed logins counted per user and
per address, failed client authentications per address, in the store; past the realm's
threshold the user or address waits, with doubling waits; a
locked account answers exactly what a wrong password answers; events are audited; an
administrator lists and lifts locks over the admin API and the CLI."""

import base64
import http.client
import json
import time
from types import SimpleNamespace

import pytest

from admin_api import call, expect_admin_error, token_for
from conftest import HTTP_TIMEOUT, db_rows, describe, expect_error, expect_token, unique

PASSWORD = "Lockout-right-pw"
WRONG = "Lockout-wrong-guess"


def realm_with(server, **settings):
    realm = server.create_realm()
    args = ["realm", "update", realm]
    for name, value in settings.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    server.cli_ok(*args)
    return realm


def login_setup(server, **settings):
    realm = realm_with(server, **settings)
    user = server.create_user(realm, password=PASSWORD)
    client = server.create_client(realm, ["password"])
    return SimpleNamespace(realm=realm, user=user, client=client)


def answer(resp):
    return resp.status_code, resp.json()


def lockouts(server, realm, token):
    resp = call(server, "GET", f"/admin/realms/{realm}/lockouts", token)
    assert resp.status_code == 200, describe(resp)
    return {(r["kind"], r["key"]): r for r in resp.json()["lockouts"]}


def audit_events(server, realm, type_):
    return db_rows(server.db, "SELECT e.target, e.ip, e.detail, e.actor FROM audit_events e "
                   "JOIN realms r ON r.id = e.realm_id WHERE r.name = ? AND e.type = ?",
                   (realm, type_))


@pytest.fixture(scope="module")
def admin(server):
    return token_for(server, "main", ["users:manage"])


def test_lock_after_threshold_answers_like_a_wrong_password(server, admin):
    s = login_setup(server, lockout_threshold=3, lockout_ip_threshold=0, lockout_base_wait=30,
                    lockout_max_wait=60)
    wrong = [answer(server.password_grant(s.client, s.user, WRONG)) for _ in range(3)]
    assert all(a == wrong[0] for a in wrong), wrong
    status, body = wrong[0]
    assert status == 400 and body["error"] == "invalid_grant", wrong
    # locked: the right password gets exactly the wrong password's answer
    locked = server.password_grant(s.client, s.user, PASSWORD)
    assert answer(locked) == wrong[0], describe(locked)
    assert answer(server.password_grant(s.client, s.user, WRONG)) == wrong[0]
    # an unknown user gets the same answer too
    assert answer(server.password_grant(s.client, unique("nobody"), WRONG)) == wrong[0]
    rows = lockouts(server, s.realm, admin)
    row = rows[("user", s.user)]
    assert row["failures"] == 3 and row["locked"], row  # attempts while locked are not counted
    assert 29 <= row["locked_until"] - row["last_failure_at"] <= 30, row
    # the event names the user, never the password
    events = audit_events(server, s.realm, "lockout")
    assert [e[0] for e in events] == [s.user], events
    assert "127.0.0.1" == events[0][1]


def test_growing_waits_and_unlock(server, admin):
    s = login_setup(server, lockout_threshold=2, lockout_ip_threshold=0, lockout_base_wait=1,
                    lockout_max_wait=4)
    waits = []
    for _ in range(2):
        expect_error(server.password_grant(s.client, s.user, WRONG), 400, "invalid_grant")
    for level in range(3):
        row = lockouts(server, s.realm, admin)[("user", s.user)]
        waits.append(row["locked_until"] - row["last_failure_at"])
        expect_error(server.password_grant(s.client, s.user, PASSWORD), 400, "invalid_grant")
        time.sleep(row["locked_until"] - time.time() + 0.2)
        if level < 2:  # one more failure after the wait: the next wait doubles
            expect_error(server.password_grant(s.client, s.user, WRONG), 400, "invalid_grant")
    assert waits == [1, 2, 4], waits
    # after the wait the right password works again and forgets the user's failures
    expect_token(server.password_grant(s.client, s.user, PASSWORD))
    assert ("user", s.user) not in lockouts(server, s.realm, admin)


def test_counters_survive_a_restart(server, admin):
    s = login_setup(server, lockout_threshold=2, lockout_ip_threshold=0, lockout_base_wait=600,
                    lockout_max_wait=600)
    for _ in range(2):
        expect_error(server.password_grant(s.client, s.user, WRONG), 400, "invalid_grant")
    server.stop()
    server.start()
    expect_error(server.password_grant(s.client, s.user, PASSWORD), 400, "invalid_grant")
    assert lockouts(server, s.realm, admin)[("user", s.user)]["locked"]


def test_address_counted_across_usernames(server, admin):
    s = login_setup(server, lockout_threshold=100, lockout_ip_threshold=4, lockout_base_wait=600,
                    lockout_max_wait=600)
    for _ in range(4):  # each guess at another name, known or not
        expect_error(server.password_grant(s.client, unique("guess"), WRONG), 400, "invalid_grant")
    rows = lockouts(server, s.realm, admin)
    assert rows[("ip", "127.0.0.1")]["locked"], rows
    assert not any(kind == "user" for kind, _ in rows), "unknown users get no counter"
    # the address is locked: a right password of a user never guessed at fails too
    expect_error(server.password_grant(s.client, s.user, PASSWORD), 400, "invalid_grant")
    # lifted over the admin API: 204, then 404; it works again
    path = f"/admin/realms/{s.realm}/lockouts/ip/127.0.0.1"
    resp = call(server, "DELETE", path, admin)
    assert resp.status_code == 204, describe(resp)
    expect_admin_error(call(server, "DELETE", path, admin), 404, "not_found")
    expect_token(server.password_grant(s.client, s.user, PASSWORD))
    cleared = audit_events(server, s.realm, "lockout.cleared")
    assert [(e[0], e[2]) for e in cleared] == [("127.0.0.1", "kind=ip")], cleared


def cc_from(server, client, source):
    """A client-credentials grant sent from the loopback address `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT,
                                      source_address=(source, 0))
    auth = base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()
    conn.request("POST", f"/realms/{client.realm}/protocol/openid-connect/token",
                 body="grant_type=client_credentials",
                 headers={"Authorization": f"Basic {auth}",
                          "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    status = resp.status
    resp.read()
    conn.close()
    return status


def test_client_secret_failures_lock_the_address_not_the_client(server, admin):
    realm = realm_with(server, lockout_threshold=50, lockout_ip_threshold=3,
                       lockout_base_wait=600, lockout_max_wait=600)
    owner = server.create_user(realm, password=PASSWORD)
    client = server.create_client(realm, ["client_credentials"], owner=owner)
    expect_token(server.client_credentials(client))
    bad = SimpleNamespace(client_id=client.client_id, secret=client.secret[:-4] + "AAAA",
                          realm=realm)
    wrong = [answer(server.client_credentials(bad)) for _ in range(3)]
    assert wrong[0][0] == 401 and wrong[0][1]["error"] == "invalid_client", wrong
    locked = server.client_credentials(client)
    assert answer(locked) == wrong[0], describe(locked)
    # introspection authenticates the same way: the address is locked there too
    resp = server.introspect(client, "x")
    assert resp.status_code == 401, describe(resp)
    # the client itself is not locked: from another address its secret works
    assert cc_from(server, client, "127.0.0.2") == 200
    rows = lockouts(server, realm, admin)
    assert rows[("client_ip", "127.0.0.1")]["locked"], rows
    assert not [k for k in rows if k[1] == client.client_id], rows
    # lifted with the CLI
    res = server.cli_ok("lockout", "clear", realm, "--ip", "127.0.0.1")
    assert "cleared client_ip 127.0.0.1" in res.stdout, res.stdout
    expect_token(server.client_credentials(client))
    assert audit_events(server, realm, "lockout.cleared")[0][3] == "cli"
    assert server.cli("lockout", "clear", realm, "--client", client.client_id).returncode == 2


def test_unknown_clients_count_against_the_address(server, admin):
    realm = realm_with(server, lockout_ip_threshold=3, lockout_base_wait=600,
                       lockout_max_wait=600)
    owner = server.create_user(realm, password=PASSWORD)
    client = server.create_client(realm, ["client_credentials"], owner=owner)
    for _ in range(3):
        ghost = SimpleNamespace(client_id=unique("ghost"), secret=client.secret, realm=realm)
        expect_error(server.client_credentials(ghost), 401, "invalid_client")
    expect_error(server.client_credentials(client), 401, "invalid_client")
    res = server.cli_ok("lockout", "clear", realm, "--ip", "127.0.0.1")
    assert "cleared client_ip 127.0.0.1" in res.stdout, res.stdout
    expect_token(server.client_credentials(client))


def test_admin_list_paging_permission_and_cli(server, admin):
    s = login_setup(server, lockout_threshold=2, lockout_ip_threshold=0, lockout_base_wait=600,
                    lockout_max_wait=600)
    names = sorted(server.create_user(s.realm, password=PASSWORD) for _ in range(3))
    for name in names:
        for _ in range(2):
            expect_error(server.password_grant(s.client, name, WRONG), 400, "invalid_grant")
    page = call(server, "GET", f"/admin/realms/{s.realm}/lockouts?limit=2", admin).json()
    assert [r["key"] for r in page["lockouts"]] == names[:2] and page["next_cursor"], page
    rest = call(server, "GET", f"/admin/realms/{s.realm}/lockouts?limit=2&cursor="
                f"{page['next_cursor']}", admin).json()
    assert [r["key"] for r in rest["lockouts"]] == names[2:] and rest["next_cursor"] is None
    reader = token_for(server, s.realm, ["users:read"])
    expect_admin_error(call(server, "GET", f"/admin/realms/{s.realm}/lockouts", reader), 403,
                       "insufficient_scope")
    resp = call(server, "DELETE", f"/admin/realms/{s.realm}/lockouts/user/{names[0]}", reader)
    assert resp.status_code == 403, describe(resp)
    expect_admin_error(call(server, "DELETE", f"/admin/realms/{s.realm}/lockouts/bogus/x",
                            admin), 404, "not_found")
    out = server.cli_ok("lockout", "list", s.realm, "--json").stdout
    listed = [json.loads(line) for line in out.splitlines()]  # one object per counter
    assert [(r["kind"], r["key"], r["locked"]) for r in listed] == [
        ("user", n, True) for n in names], listed
    text = server.cli_ok("lockout", "list", s.realm).stdout
    assert all(f"user\t{n}\tfailures=2" in text for n in names), text
    server.cli_ok("lockout", "clear", s.realm, "--user", names[1].upper())
    expect_token(server.password_grant(s.client, names[1], PASSWORD))
    assert server.cli("lockout", "clear", s.realm, "--user", names[1]).returncode == 1
    assert server.cli("lockout", "clear", s.realm).returncode == 2
    assert server.cli("lockout", "--help").returncode == 0


def test_realm_settings_validated_and_shown(server):
    realm = server.create_realm()
    shown = server.cli_json("realm", "show", realm)
    assert (shown["lockout_threshold"], shown["lockout_ip_threshold"], shown["lockout_base_wait"],
            shown["lockout_max_wait"], shown["lockout_reset"]) == (5, 20, 30, 900, 43200), shown
    for bad in (["--lockout-threshold", "-1"], ["--lockout-base-wait", "0"],
                ["--lockout-base-wait", "1000", "--lockout-max-wait", "10"]):
        res = server.cli("realm", "update", realm, *bad)
        assert res.returncode == 1 and "lockout" in res.stderr, res.stderr
    assert server.cli_json("realm", "show", realm) == shown


def test_no_password_in_audit_or_log(server):
    rows = db_rows(server.db, "SELECT * FROM audit_events")
    text = repr(rows)
    for secret in (WRONG, PASSWORD):
        assert secret not in text
        assert secret not in server.stderr()
