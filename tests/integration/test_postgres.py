"""Several keyhold instances on one PostgreSQL (issue 7 point 3): three `keyhold serve`
processes share one database, as behind a load balancer. A token issued by one is
refreshed at another and introspected at a third; 100 concurrent presentations of one
refresh token spread over the three give exactly one success and revoke the family; a
key rotated through one signs at all of them within KEYRING_REFRESH_SECONDS; lockout
counters are shared; an import through one is seen by the others; nginx in front of
them (docs/nginx.conf, the README's configuration) spreads grants over all three."""

import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from admin_api import call, token_for
from conftest import (HTTP_TIMEOUT, REPO, KeyholdServer, describe, expect_error,
                      expect_token, free_port, jwt_header, pg_new_database, psql, tail,
                      unique, wait_until)

PASSWORD = "Several-instances-pw"
PUBLIC_URL = "http://keyhold.test"   # one issuer for every instance, as behind nginx
KEYRING_REFRESH_SECONDS = 5       # src/oauth/keyring.h
INSTANCES = 3


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Three instances on one fresh PostgreSQL database, started one after the other."""
    url = pg_new_database()
    root = tmp_path_factory.mktemp("cluster")
    nodes = [KeyholdServer(root / f"node{i}", name=f"node{i}", db=url, public_url=PUBLIC_URL)
             for i in range(INSTANCES)]
    try:
        for node in nodes:
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
        for node in nodes:
            node.assert_no_secret_logged()


def user_and_client(node, realm="main", grants=("password", "refresh_token"), **settings):
    if settings:
        args = ["realm", "update", realm]
        for name, value in settings.items():
            args += ["--" + name.replace("_", "-"), str(value)]
        node.cli_ok(*args)
    user = node.create_user(realm, password=PASSWORD)
    client = node.create_client(realm, list(grants))
    return user, client


def test_started_together_on_an_empty_database(tmp_path):
    """Instances started at once on an empty database: migrations run once (advisory
    lock) and the default realm is bootstrapped once."""
    url = pg_new_database()
    nodes = [KeyholdServer(tmp_path / f"n{i}", name=f"n{i}", db=url, public_url=PUBLIC_URL)
             for i in range(3)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda n: n.start(), nodes))
    try:
        assert psql(url, "SELECT version FROM schema_version") == [["1"]]
        assert psql(url, "SELECT count(*) FROM realms WHERE name = 'main'") == [["1"]]
        assert psql(url, "SELECT count(*) FROM users WHERE username = 'admin'") == [["1"]]
        for node in nodes:
            assert requests.get(node.base + "/readyz", timeout=HTTP_TIMEOUT).status_code == 200
    finally:
        for node in nodes:
            node.stop()


def test_refreshed_at_another_introspected_at_a_third(cluster):
    a, b, c = cluster
    user, client = user_and_client(a)
    first = expect_token(a.password_grant(client, user, PASSWORD))
    second = expect_token(b.refresh(client, first["refresh_token"]))
    info = c.introspection(client, second["access_token"])
    assert info["active"] is True and info["client_id"] == client.client_id, info
    # the rotated token is used up at every instance (grace 0): reuse revokes the family
    expect_error(c.refresh(client, first["refresh_token"]), 400, "invalid_grant")
    expect_error(a.refresh(client, second["refresh_token"]), 400, "invalid_grant")


def test_one_refresh_token_presented_100_times_across_instances(cluster):
    user, client = user_and_client(cluster[0])
    token = expect_token(cluster[0].password_grant(client, user, PASSWORD))["refresh_token"]

    def present(i):
        return cluster[i % INSTANCES].refresh(client, token)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(present, range(100)))
    ok = [r for r in answers if r.status_code == 200]
    assert len(ok) == 1, [describe(r) for r in answers if r.status_code != 400][:5] or len(ok)
    for r in answers:
        if r.status_code != 200:
            expect_error(r, 400, "invalid_grant")
    # the reuse revoked the family: the winner's new refresh token is refused everywhere
    winner = ok[0].json()["refresh_token"]
    for node in cluster:
        expect_error(node.refresh(client, winner), 400, "invalid_grant")


def test_rotated_key_signs_at_every_instance(cluster):
    a = cluster[0]
    _, client = user_and_client(a, grants=("client_credentials",))
    old = {jwt_header(expect_token(n.client_credentials(client), refresh=False)["access_token"])
           ["kid"] for n in cluster}
    assert len(old) == 1, old
    started = time.monotonic()
    a.cli_ok("key", "rotate", "main", "--now")
    new_kid = a.key_list("main")[0]["kid"]
    assert new_kid not in old

    def everywhere():
        kids = set()
        for n in cluster:
            tok = expect_token(n.client_credentials(client), refresh=False)["access_token"]
            kids.add(jwt_header(tok)["kid"])
            if new_kid not in n.kids():
                return False
        return kids == {new_kid}

    wait_until(everywhere, KEYRING_REFRESH_SECONDS + 5, "the new key signing at every instance")
    elapsed = time.monotonic() - started
    print(f"\nkey rotation reached all {INSTANCES} instances in {elapsed:.1f} s")


def test_lockout_counters_are_shared(cluster):
    realm = cluster[0].create_realm()
    user, client = user_and_client(cluster[0], realm=realm, grants=("password",),
                                   lockout_threshold=3, lockout_ip_threshold=0,
                                   lockout_base_wait=60, lockout_max_wait=60)
    for node in cluster:  # one failure at each instance: three in all
        expect_error(node.password_grant(client, user, "Wrong-guess-1"), 400, "invalid_grant")
    for node in cluster:  # locked at every one of them, the right password included
        expect_error(node.password_grant(client, user, PASSWORD), 400, "invalid_grant")
    rows = cluster[2].cli_json("lockout", "list", realm)
    assert rows["kind"] == "user" and rows["failures"] == 3 and rows["locked"], rows
    cluster[1].cli_ok("lockout", "clear", realm, "--user", user)
    expect_token(cluster[0].password_grant(client, user, PASSWORD))


def test_import_through_one_seen_by_the_others(cluster):
    a, b, c = cluster
    realm = a.create_realm()
    token = token_for(a, realm, ["imports:manage", "users:read"])
    names = [unique("imported") for _ in range(3)]
    body = "username,email\n" + "".join(f"{n},{n}@example.com\n" for n in names)
    resp = requests.post(a.base + "/v1/imports", data=body.encode(), timeout=HTTP_TIMEOUT,
                         headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
    assert resp.status_code in (200, 201), describe(resp)
    record = resp.json()
    got = call(b, "GET", f"/v1/imports/{record['id']}", token)
    assert got.status_code == 200 and got.json()["created"] == 3, describe(got)
    listed = call(c, "GET", "/v1/users?limit=100", token)
    assert listed.status_code == 200, describe(listed)
    usernames = {u["username"] for u in listed.json()["users"]}
    assert set(n.lower() for n in names) <= usernames, usernames


def nginx_config(path, port, upstreams, tmp):
    """docs/nginx.conf with this test's ports and folders."""
    text = (REPO / "docs" / "nginx.conf").read_text()
    servers = "".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;\n"
                      for p in upstreams)
    text = text.replace("        server 10.0.0.11:8080 max_fails=1 fail_timeout=5s;\n"
                        "        server 10.0.0.12:8080 max_fails=1 fail_timeout=5s;\n"
                        "        server 10.0.0.13:8080 max_fails=1 fail_timeout=5s;\n", servers)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};")
    text = text.replace("/run/nginx-keyhold", str(tmp))
    path.write_text(text)


@pytest.mark.skipif(not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"),
                    reason="nginx is not installed (make check installs it)")
def test_nginx_in_front_spreads_grants_over_every_instance(cluster, tmp_path):
    port = free_port()
    conf = tmp_path / "nginx.conf"
    nginx_config(conf, port, [n.port for n in cluster], tmp_path)
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp_path), "-e",
                             str(tmp_path / "error.log"), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                return requests.get(base + "/readyz", timeout=2).status_code == 200
            except requests.RequestException:
                return proc.poll() is not None and pytest.fail(
                    f"nginx exited: {proc.stderr.read()}\n{tail(tmp_path / 'error.log')}")

        wait_until(up, 10, "nginx answering", detail=lambda: tail(tmp_path / "error.log"))
        _, client = user_and_client(cluster[0], grants=("client_credentials",))
        before = [n.stderr().count('"token.issued"') for n in cluster]
        url = base + "/realms/main/protocol/openid-connect/token"
        for _ in range(30):
            resp = requests.post(url, data={"grant_type": "client_credentials"},
                                 auth=(client.client_id, client.secret), timeout=HTTP_TIMEOUT)
            expect_token(resp, refresh=False)
        issued = [n.stderr().count('"token.issued"') - b for n, b in zip(cluster, before)]
        assert sum(issued) == 30 and all(issued), issued
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_migrate_from_sqlite(tmp_path):
    """`keyhold migrate`: a SQLite instance's state moved to PostgreSQL; refresh tokens
    issued before keep working, tokens are signed by the same key, the audit chain
    verifies; a second copy into the same database is refused and changes nothing."""
    lite = KeyholdServer(tmp_path / "lite", name="lite")
    lite.start()
    user, client = user_and_client(lite)
    issued = expect_token(lite.password_grant(client, user, PASSWORD))
    kid = jwt_header(issued["access_token"])["kid"]
    lite.stop()
    url = pg_new_database()
    res = lite.cli("migrate", "--from", lite.db, "--to", url, db=False)
    assert res.returncode == 0, res.stderr
    assert "copied" in res.stdout and "refresh_tokens" in res.stdout, res.stdout
    again = lite.cli("migrate", "--from", lite.db, "--to", url, db=False)
    assert again.returncode == 1 and "already holds realms" in again.stderr, again.stderr
    node = KeyholdServer(tmp_path / "pg", name="pg", db=url)
    node.start()
    try:
        fresh = expect_token(node.refresh(client, issued["refresh_token"]))
        assert jwt_header(fresh["access_token"])["kid"] == kid
        expect_token(node.password_grant(client, user, PASSWORD))
        verified = node.cli("audit", "verify", "main")
        assert verified.returncode == 0, verified.stdout + verified.stderr
    finally:
        node.stop()
    node.assert_no_secret_logged()
    lite.assert_no_secret_logged()


def test_migrate_refuses_bad_arguments(tmp_path):
    node = KeyholdServer(tmp_path / "args", name="args")
    for args in (("migrate",), ("migrate", "--from", "x.db"),
                 ("migrate", "--from", "x.db", "--to", "/tmp/y.db"),
                 ("migrate", "--from", "postgres://a/b", "--to", "postgres://c/d")):
        res = node.cli(*args, db=False)
        assert res.returncode == 2, (args, res.stderr)
    missing = node.cli("migrate", "--from", tmp_path / "none.db", "--to",
                       pg_new_database(), db=False)
    assert missing.returncode == 1, missing.stderr
    assert node.cli("migrate", "--help", db=False).returncode == 0
