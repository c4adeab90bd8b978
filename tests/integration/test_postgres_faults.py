"""PostgreSQL stopped under load (issue 7 point 4): two keyhold instances on a PostgreSQL
of this module's own (tools/pg.sh, durable settings), grants running all along. While the
database is down every grant answers 503 temporarily_unavailable (never a token it could
not record), /readyz answers 503 and /healthz 200; when it is back both instances recover
without a restart; every refresh token issued before the fault (or answered 200 during
it) still works after, and no committed row is lost.

A rotation whose COMMIT was under way when the database went away may have committed
although its client got 503; the client then presents the same token again, which the
realm's reuse grace (--refresh-reuse-grace, set here to 10 s) accepts once instead of
revoking the family as a replay. The README recommends a grace for this reason."""

import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import (HTTP_TIMEOUT, REPO, REQUIRE_PG, KeyholdServer, expect_error,
                      expect_token, psql, wait_until)

PASSWORD = "Faults-pw-123"
PG_SH = str(REPO / "tools" / "pg.sh")


def pg(*args):
    res = subprocess.run(["sh", PG_SH, *map(str, args)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, f"tools/pg.sh {' '.join(map(str, args))}: {res.stderr}"
    return res.stdout.strip()


@pytest.fixture(scope="module")
def own_pg(tmp_path_factory):
    if not os.path.exists("/usr/lib/postgresql") and not REQUIRE_PG:
        pytest.skip("PostgreSQL is not installed")
    # Right under /tmp: as root the server runs as `postgres`, which must reach the
    # folder (pytest's own folders are private to root).
    folder = Path(tempfile.mkdtemp(prefix="kh_pgfault_"))
    folder.chmod(0o755)
    url = pg("start", folder / "pg")
    try:
        yield folder / "pg", url
    finally:
        pg("stop", folder / "pg")
        shutil.rmtree(folder, ignore_errors=True)


def ready(node):
    try:
        return requests.get(node.base + "/readyz", timeout=HTTP_TIMEOUT).status_code
    except requests.RequestException:
        return None


class Load(threading.Thread):
    """Client-credentials and refresh grants in a loop at one instance; keeps every answer."""

    def __init__(self, node, cc_client, rt_client, refresh_token):
        super().__init__(daemon=True)
        self.node, self.cc, self.rt = node, cc_client, rt_client
        self.refresh_token = refresh_token
        self.answers = []          # (time, kind, status, body)
        self.issued_refresh = []   # refresh tokens answered 200
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            for kind in ("cc", "refresh"):
                try:
                    if kind == "cc":
                        r = self.node.client_credentials(self.cc)
                    else:
                        r = self.node.refresh(self.rt, self.refresh_token)
                except requests.RequestException as exc:
                    self.answers.append((time.monotonic(), kind, None, str(exc)))
                    continue
                body = r.json() if r.headers.get("Content-Type", "").startswith(
                    "application/json") else {}
                self.answers.append((time.monotonic(), kind, r.status_code, body))
                if kind == "refresh" and r.status_code == 200:
                    self.refresh_token = body["refresh_token"]
                    self.issued_refresh.append(body["refresh_token"])
            time.sleep(0.01)


def test_database_stopped_and_back(own_pg, tmp_path):
    folder, url = own_pg
    nodes = [KeyholdServer(tmp_path / f"n{i}", name=f"n{i}", db=url,
                           public_url="http://keyhold.test") for i in range(2)]
    try:
        run_fault(folder, url, nodes)
    finally:
        for node in nodes:
            node.kill()  # after a failure; run_fault stopped them cleanly otherwise


def run_fault(folder, url, nodes):
    for node in nodes:
        node.start()
    a = nodes[0]
    a.cli_ok("realm", "update", "main", "--refresh-reuse-grace", "10")
    user = a.create_user("main", password=PASSWORD)
    cc = a.create_client("main", ["client_credentials"])
    rt = a.create_client("main", ["password", "refresh_token"])
    # refresh tokens issued before the fault, kept aside (never presented during it)
    before = [expect_token(a.password_grant(rt, user, PASSWORD))["refresh_token"]
              for _ in range(5)]
    loads = [Load(n, cc, rt, expect_token(n.password_grant(rt, user, PASSWORD))
                  ["refresh_token"]) for n in nodes]
    for load in loads:
        load.start()
    try:
        time.sleep(1)
        rows_before = int(psql(url, "SELECT count(*) FROM refresh_tokens")[0][0])
        stopped_at = time.monotonic()
        pg("stop", folder)
        # every instance says it is not ready, and grants are refused with 503
        for node in nodes:
            wait_until(lambda n=node: ready(n) == 503, 15, f"{node.name} /readyz 503")
            assert requests.get(node.base + "/healthz", timeout=HTTP_TIMEOUT).status_code == 200
            resp = node.client_credentials(cc)
            expect_error(resp, 503, "temporarily_unavailable")
        time.sleep(1)
        restarted_at = time.monotonic()
        pg("start", folder)
        # both recover without a restart
        for node in nodes:
            wait_until(lambda n=node: ready(n) == 200, 30, f"{node.name} /readyz 200 again")
            wait_until(lambda n=node: n.client_credentials(cc).status_code == 200, 30,
                       f"{node.name} granting again")
        recovered = time.monotonic() - restarted_at
        print(f"\noutage {restarted_at - stopped_at:.1f} s; every instance granting again "
              f"{recovered:.2f} s after PostgreSQL was started")
        time.sleep(0.5)
    finally:
        for load in loads:
            load.stopping.set()
        for load in loads:
            load.join(timeout=60)
    # during the outage nothing but 200 (recorded) or 503 was answered
    for load in loads:
        statuses = {status for _, _, status, _ in load.answers}
        assert statuses <= {200, 503}, [a for a in load.answers if a[2] not in (200, 503)][:3]
        assert 503 in statuses and 200 in statuses, statuses
    # no committed row lost: every refresh token issued before or answered 200 during the
    # fault is still stored; the ones set aside before the fault still work
    assert int(psql(url, "SELECT count(*) FROM refresh_tokens")[0][0]) >= rows_before
    for token in before:
        expect_token(nodes[1].refresh(rt, token))
    for load in loads:
        expect_token(load.node.refresh(rt, load.refresh_token))
    for node in nodes:
        node.stop()
    for node in nodes:
        node.assert_no_secret_logged()
