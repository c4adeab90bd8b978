"""Password-hash upgrade (issue 6 point 2) over real HTTP and the real CLI: users moved in
with PBKDF2 (passlib, PHC, Keycloak), bcrypt and Keycloak-object hashes through CSV and
JSON imports (`keyhold import` and POST /v1/imports) and the admin API log in with their
password; the stored hash is argon2id afterwards; wrong passwords still fail; plain
passwords and malformed hashes are refused."""

import base64
import hashlib
import json
import warnings
from types import SimpleNamespace

import pytest
import requests

from admin_api import call, expect_admin_error, token_for, users_path
from conftest import (HTTP_TIMEOUT, db_count, db_rows, describe, expect_error, expect_token,
                      unique, wait_until)

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libxcrypt, as keyhold: Python 3.11 still has it

PASSWORD = "upgrade-me-pw"
IMPORT_SCOPE = "imports:manage users:read"
SALT = b"keyhold-salt-16b"


def b64(data):
    return base64.b64encode(data).decode()


def ab64(data):
    """passlib's adapted base64: '.' for '+', no padding."""
    return b64(data).rstrip("=").replace("+", ".")


def pbkdf2(digest, password, iterations, length=None):
    return hashlib.pbkdf2_hmac(digest, password.encode(), SALT, iterations, length)


def kinds(password):
    """Every hash string keyhold takes, for `password`, by name."""
    return {
        "passlib-sha256": f"$pbkdf2-sha256$1000${ab64(SALT)}${ab64(pbkdf2('sha256', password, 1000))}",
        "phc-sha512": f"$pbkdf2-sha512$i=1000${b64(SALT)}${b64(pbkdf2('sha512', password, 1000))}",
        # Keycloak's stored credential pasted: base64 salt and a 512-bit value
        "keycloak-sha256": (f"$pbkdf2-sha256$i=27500${b64(SALT)}$"
                            f"{b64(pbkdf2('sha256', password, 27500, 64))}"),
        "keycloak-sha1": f"$pbkdf2$i=1000${b64(SALT)}${b64(pbkdf2('sha1', password, 1000, 64))}",
        "bcrypt-2b": crypt.crypt(password, "$2b$04$abcdefghijklmnopqrstuu"),
        "bcrypt-2a": crypt.crypt(password, "$2a$05$abcdefghijklmnopqrstuu"),
        "bcrypt-2y": crypt.crypt(password, "$2y$04$abcdefghijklmnopqrstuu"),
    }


def keycloak_object(password, algorithm="pbkdf2-sha512", iterations=1000):
    digest = {"pbkdf2-sha512": "sha512", "pbkdf2-sha256": "sha256", "pbkdf2": "sha1"}[algorithm]
    return {"algorithm": algorithm, "iterations": iterations, "salt": b64(SALT),
            "hash": b64(pbkdf2(digest, password, iterations, 64))}


@pytest.fixture(scope="module")
def w(server):
    realm = server.create_realm(unique("pwu"))
    # The wrong passwords tried here on purpose would trip brute-force protection
    # (test_lockout.py), which is not what this module tests.
    server.cli_ok("realm", "update", realm, "--lockout-threshold", "0",
                  "--lockout-ip-threshold", "0")
    role = server.create_role(realm, ["imports:manage", "users:read"])
    importer = server.create_user(realm, unique("imp"), password=PASSWORD, roles=[role])
    client = server.create_client(realm, ["password"], scope=IMPORT_SCOPE,
                                  default_scope=IMPORT_SCOPE)
    tok = expect_token(server.password_grant(client, importer, PASSWORD, realm=realm))
    return SimpleNamespace(realm=realm, client=client, import_token=tok["access_token"])


def stored_hash(server, realm, username):
    rows = db_rows(server.db, "SELECT u.password_hash FROM users u JOIN realms r "
                   "ON r.id = u.realm_id WHERE r.name = ? AND u.username = ?",
                   (realm, username.lower()))
    assert rows, f"no user {username}"
    return rows[0][0]


def login(server, w, username, password):
    return server.password_grant(w.client, username, password, realm=w.realm)


def logs_in_and_upgrades(server, w, username, given):
    """A wrong password fails and changes nothing; the right one logs in; the hash is then
    argon2id, which the password (and only it) still opens."""
    assert stored_hash(server, w.realm, username) == given
    expect_error(login(server, w, username, PASSWORD + "x"), 400, "invalid_grant")
    assert stored_hash(server, w.realm, username) == given
    expect_token(login(server, w, username, PASSWORD))
    upgraded = stored_hash(server, w.realm, username)
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), upgraded
    expect_token(login(server, w, username, PASSWORD))
    assert stored_hash(server, w.realm, username) == upgraded   # no second rehash
    expect_error(login(server, w, username, PASSWORD + "x"), 400, "invalid_grant")


def post_import(server, token, body, ctype):
    return requests.post(server.base + "/v1/imports", data=body.encode(),
                         headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
                         timeout=HTTP_TIMEOUT)


def csv_of(users):
    """argon2id's m=…,t=…,p=… has commas: such a field is quoted (RFC 4180)."""
    def field(h):
        return f'"{h}"' if "," in h else h
    return "username,password_hash\n" + "".join(f"{u},{field(h)}\n" for u, h in users.items())


def test_csv_cli_every_kind(server, w, tmp_path):
    users = {unique(f"c-{k}-"): h for k, h in kinds(PASSWORD).items()}
    path = tmp_path / "users.csv"
    path.write_text(csv_of(users))
    res = server.cli("import", w.realm, path, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["created"] == len(users), res.stdout
    for username, given in users.items():
        logs_in_and_upgrades(server, w, username, given)


def test_json_api_strings_and_keycloak_objects(server, w):
    strings = {unique(f"j-{k}-"): h for k, h in kinds(PASSWORD).items()}
    objects = {unique(f"kc-{a}-"): keycloak_object(PASSWORD, a)
               for a in ("pbkdf2-sha512", "pbkdf2-sha256", "pbkdf2")}
    doc = {"users": [{"username": u, "password_hash": h}
                     for u, h in {**strings, **objects}.items()]}
    resp = post_import(server, w.import_token, json.dumps(doc), "application/json")
    assert resp.status_code == 201, describe(resp)
    assert resp.json()["created"] == len(doc["users"]), resp.json()
    for username, given in strings.items():
        logs_in_and_upgrades(server, w, username, given)
    for username, obj in objects.items():
        given = stored_hash(server, w.realm, username)   # the object as its PBKDF2 string
        assert given.endswith(f"$i=1000${obj['salt']}${obj['hash']}"), given
        logs_in_and_upgrades(server, w, username, given)


def test_csv_api_and_json_cli(server, w, tmp_path):
    hashes = kinds(PASSWORD)
    a, b = unique("ca-"), unique("jc-")
    resp = post_import(server, w.import_token, csv_of({a: hashes["bcrypt-2b"]}), "text/csv")
    assert resp.status_code == 201 and resp.json()["created"] == 1, describe(resp)
    path = tmp_path / "users.json"
    path.write_text(json.dumps({"users": [{"username": b,
                                           "password_hash": keycloak_object(PASSWORD)}]}))
    res = server.cli("import", w.realm, path, "--json")
    assert res.returncode == 0 and json.loads(res.stdout)["created"] == 1, res.stderr
    logs_in_and_upgrades(server, w, a, hashes["bcrypt-2b"])
    logs_in_and_upgrades(server, w, b, stored_hash(server, w.realm, b))


def test_rehash_is_audited_without_the_hash(server, w):
    user = unique("aud-")
    given = kinds(PASSWORD)["passlib-sha256"]
    resp = post_import(server, w.import_token, csv_of({user: given}), "text/csv")
    assert resp.status_code == 201, describe(resp)
    expect_token(login(server, w, user, PASSWORD))
    user_id = db_rows(server.db, "SELECT id FROM users WHERE username = ?", (user,))[0][0]

    def event():
        rows = db_rows(server.db, "SELECT actor, target, outcome, detail FROM audit_events "
                       "WHERE type = 'user.password_rehash' AND target = ?", (user_id,))
        return rows[0] if rows else None
    actor, target, outcome, detail = wait_until(event, 20, "the user.password_rehash event")
    assert (actor, target, outcome) == (user_id, user_id, "ok")
    text = " ".join(map(str, db_rows(server.db, "SELECT * FROM audit_events")))
    upgraded = stored_hash(server, w.realm, user)
    for secret in (PASSWORD, given, upgraded, given.split("$")[-1], upgraded.split("$")[-1]):
        assert secret not in text and secret not in server.stderr()


def test_plain_password_refused(server, w, tmp_path):
    before = db_count(server.db, "SELECT COUNT(*) FROM users")
    resp = post_import(server, w.import_token, f"username,password\n{unique('pp')},hunter2\n",
                       "text/csv")
    assert resp.status_code == 400, describe(resp)
    assert "never takes a plain password" in resp.json()["error_description"]
    path = tmp_path / "plain.csv"
    path.write_text(f"username,Password\n{unique('pp')},hunter2\n")
    res = server.cli("import", w.realm, path)
    assert res.returncode == 1 and "plain password" in res.stderr, res.stderr
    resp = post_import(server, w.import_token, json.dumps(
        {"users": [{"username": unique("pp"), "password": "hunter2"}]}), "application/json")
    assert resp.status_code == 201, describe(resp)
    rec = resp.json()
    assert rec["created"] == 0 and rec["failed"] == 1, rec
    assert "never takes a plain password" in rec["errors"][0]["message"]
    assert "hunter2" not in resp.text
    assert db_count(server.db, "SELECT COUNT(*) FROM users") == before


MALFORMED = [
    "not-a-hash",
    "$md5$x$y",
    "$2b$31$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",    # days of work
    "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6",     # 59 characters
    "$pbkdf2-sha256$999$a2V5aG9sZC1zYWx0LTE2Yg$X79gw.v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG.sw8",
    "$pbkdf2-sha256$99999999$a2V5aG9sZC1zYWx0LTE2Yg$X79gw.v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG.sw8",
    "$pbkdf2-sha256$27500$c2FsdA$X79gw.v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG.sw8",   # 4-byte salt
    "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",       # 4 GiB
]


def test_malformed_hashes_are_row_errors(server, w):
    good = unique("ok-")
    users = {unique("bad-"): h for h in MALFORMED}
    body = csv_of({**users, good: kinds(PASSWORD)["bcrypt-2b"]})
    resp = post_import(server, w.import_token, body, "text/csv")
    assert resp.status_code == 201, describe(resp)
    rec = resp.json()
    assert (rec["created"], rec["failed"]) == (1, len(MALFORMED)), rec
    assert [e["row"] for e in rec["errors"]] == list(range(1, len(MALFORMED) + 1))
    for e, h in zip(rec["errors"], MALFORMED):
        assert e.get("field") == "password_hash", e
        assert h not in e["message"], e
    for username in users:
        assert not db_rows(server.db, "SELECT 1 FROM users WHERE username = ?", (username,))
    doc = {"users": [
        {"username": unique("kb-"), "password_hash": {**keycloak_object(PASSWORD),
                                                      "algorithm": "md5"}},
        {"username": unique("kb-"), "password_hash": {**keycloak_object(PASSWORD),
                                                      "iterations": 10 ** 9}},
        {"username": unique("kb-"), "password_hash": {"algorithm": "pbkdf2"}}]}
    resp = post_import(server, w.import_token, json.dumps(doc), "application/json")
    rec = resp.json()
    assert (rec["created"], rec["failed"]) == (0, 3), rec
    assert all(e["field"] == "password_hash" for e in rec["errors"]), rec


def test_import_sets_the_hash_of_an_existing_user(server, w):
    user = unique("ex-")
    hashes = kinds(PASSWORD)
    post_import(server, w.import_token, csv_of({user: hashes["bcrypt-2b"]}), "text/csv")
    other = kinds("another-pw")["passlib-sha256"]
    resp = post_import(server, w.import_token, csv_of({user: other}), "text/csv")
    assert resp.status_code == 201 and resp.json()["updated"] == 1, describe(resp)
    assert stored_hash(server, w.realm, user) == other
    expect_error(login(server, w, user, PASSWORD), 400, "invalid_grant")
    expect_token(login(server, w, user, "another-pw"))
    # an empty field leaves the (now upgraded) hash alone
    upgraded = stored_hash(server, w.realm, user)
    resp = post_import(server, w.import_token, f"username,password_hash\n{user},\n", "text/csv")
    assert resp.status_code == 201 and resp.json()["updated"] == 1, describe(resp)
    assert stored_hash(server, w.realm, user) == upgraded


def test_admin_api_password_hash(server, w):
    admin = token_for(server, w.realm, ["users:manage", "users:read"])
    hashes = kinds(PASSWORD)
    resp = call(server, "POST", users_path(w.realm), admin,
                json={"username": unique("adm-"), "password_hash": hashes["keycloak-sha256"]})
    assert resp.status_code == 201, describe(resp)
    created = resp.json()
    assert "password_hash" not in created and "pbkdf2" not in resp.text
    logs_in_and_upgrades(server, w, created["username"], hashes["keycloak-sha256"])
    # PUT sets a new one (like setting a password) and the user keeps logging in with it
    new = kinds("changed-pw")["bcrypt-2y"]
    resp = call(server, "PUT", users_path(w.realm, created["id"]), admin,
                json={"password_hash": new})
    assert resp.status_code == 200, describe(resp)
    assert stored_hash(server, w.realm, created["username"]) == new
    expect_token(login(server, w, created["username"], "changed-pw"))
    for body in ({"username": unique("x"), "password_hash": "$2b$31$x"},
                 {"username": unique("x"), "password_hash": MALFORMED[5]},
                 {"username": unique("x"), "password_hash": 5},
                 {"username": unique("x"), "password_hash": hashes["bcrypt-2b"],
                  "password": "pw-too"}):
        resp = call(server, "POST", users_path(w.realm), admin, json=body)
        desc = expect_admin_error(resp, 400, "invalid_request")["error_description"]
        assert "password" in desc and str(body["password_hash"]) not in desc, desc
    resp = call(server, "PUT", users_path(w.realm, created["id"]), admin,
                json={"password_hash": "$pbkdf2$1$x$y"})
    expect_admin_error(resp, 400, "invalid_request")
    assert stored_hash(server, w.realm, created["username"]).startswith("$argon2id$")


def test_admin_api_hash_needs_the_users_permissions(server, w):
    """Setting a hash is setting a password: a caller without every permission of the
    user (here imports:manage) is refused and nothing changes."""
    admin = token_for(server, w.realm, ["users:manage", "users:read"])
    role = server.create_role(w.realm, ["imports:manage"])
    victim = server.create_user(w.realm, unique("vic-"), password=PASSWORD, roles=[role])
    victim_id = db_rows(server.db, "SELECT id FROM users WHERE username = ?",
                        (victim.lower(),))[0][0]
    before = stored_hash(server, w.realm, victim)
    resp = call(server, "PUT", users_path(w.realm, victim_id), admin,
                json={"password_hash": kinds("attacker-pw")["bcrypt-2b"], "first_name": "X"})
    expect_admin_error(resp, 403, "forbidden")
    assert stored_hash(server, w.realm, victim) == before
    assert db_rows(server.db, "SELECT first_name FROM users WHERE id = ?",
                   (victim_id,))[0][0] is None
    expect_error(login(server, w, victim, "attacker-pw"), 400, "invalid_grant")
