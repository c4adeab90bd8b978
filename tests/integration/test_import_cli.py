"""`keyhold import REALM FILE` (SPEC §5, §6): the real binary on the server's database.

Row errors with and without --atomic, --dry-run writing nothing, exit codes, and a
100,000-row CSV whose peak resident memory is measured while it runs (pytest -s prints it)."""

import json
import os
import subprocess
import time

import pytest

from conftest import BIN, db_count, db_rows, unique

RSS_LIMIT_KIB = 64 * 1024
BIG_ROWS = 100_000
BIG_TIMEOUT = 600          # seconds; a guard against hangs (ASan builds are slow)


@pytest.fixture(scope="module")
def realm(server):
    name = server.create_realm()
    server.create_role(name, ["users:read"], name="reader")
    return name


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def usernames(server, realm):
    return {r[0] for r in db_rows(
        server.db, "SELECT u.username FROM users u JOIN realms r ON r.id = u.realm_id "
        "WHERE r.name = ?", (realm,))}


def import_json(server, *args):
    res = server.cli(*map(str, args), "--json")
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    return json.loads(res.stdout)


def test_bad_row_among_good_ones(server, realm, tmp_path):
    p = unique("p")
    csv = write(tmp_path, "users.csv",
                "email,username,first_name,last_name,roles\r\n"
                f"{p}a@x.io,{p}A,Ann,\"Lee, \"\"Jr\"\"\",reader\r\n"
                f"not-an-email,{p}b,,,\r\n"
                f"{p}c@x.io,{p}c,,,reader;ghost\r\n"
                f"{p}d@x.io,,Dee,,\r\n")
    out = import_json(server, "import", realm, csv)
    assert (out["created"], out["updated"], out["failed"]) == (2, 0, 2), out
    assert [e["row"] for e in out["errors"]] == [2, 3]
    assert "email" in out["errors"][0]["error"]
    assert "ghost" in out["errors"][1]["error"]
    names = usernames(server, realm)
    assert f"{p}a" in names and f"{p}d@x.io" in names
    assert f"{p}b" not in names and f"{p}c" not in names
    last = db_rows(server.db, "SELECT last_name FROM users WHERE username = ?", (f"{p}a",))
    assert last == [('Lee, "Jr"',)]
    # Again: the same users are updated, not created.
    again = import_json(server, "import", realm, csv)
    assert (again["created"], again["updated"], again["failed"]) == (0, 2, 2), again


def test_atomic_writes_nothing_on_a_bad_row(server, realm, tmp_path):
    p = unique("q")
    csv = write(tmp_path, "atomic.csv", f"username,email\n{p}1,\n{p}2,bad\n{p}3,\n")
    out = import_json(server, "import", realm, csv, "--atomic")
    assert out["failed"] == 1 and out["created"] == 0 and out["rolled_back"], out
    assert not {f"{p}1", f"{p}3"} & usernames(server, realm)
    human = server.cli("import", realm, csv, "--atomic")
    assert human.returncode == 0, human.stderr
    assert "nothing written" in human.stdout and "row 2:" in human.stdout


def test_dry_run_writes_nothing(server, realm, tmp_path):
    p = unique("d")
    doc = {"users": [{"username": f"{p}1", "roles": ["reader"]}, {"email": f"{p}2@x.io"},
                     {"username": f"{p}1"}]}
    path = write(tmp_path, "dry.json", json.dumps(doc))
    before = db_count(server.db, "SELECT count(*) FROM users")
    out = import_json(server, "import", realm, path, "--dry-run")
    assert (out["created"], out["failed"], out["dry_run"]) == (2, 1, True), out
    assert out["errors"][0]["row"] == 3
    assert db_count(server.db, "SELECT count(*) FROM users") == before
    # The real import creates what the dry run announced.
    real = import_json(server, "import", realm, path)
    assert (real["created"], real["failed"]) == (2, 1), real
    assert db_count(server.db, "SELECT count(*) FROM users") == before + 2


def test_exit_codes(server, realm, tmp_path):
    good = write(tmp_path, "ok.csv", "username\nx\n")
    assert server.cli("import", realm).returncode == 2
    assert server.cli("import", realm, write(tmp_path, "users.txt", "username\n")).returncode == 2
    assert server.cli("import", realm, good, "--format", "xml").returncode == 2
    assert server.cli("import", "no-such-realm", good).returncode == 1
    assert server.cli("import", realm, tmp_path / "missing.csv").returncode == 1
    bad = server.cli("import", realm, write(tmp_path, "col.csv", "username,nickname\na,b\n"))
    assert bad.returncode == 1 and "unknown column" in bad.stderr, bad.stderr
    txt = write(tmp_path, "users.txt", "username\nfrom-txt\n")
    assert server.cli("import", realm, txt, "--format", "csv").returncode == 0
    help_ = server.cli("import", "--help", db=False)
    assert help_.returncode == 0 and "usage: keyhold import" in help_.stdout


def peak_rss_kib(proc):
    """VmHWM of a running process, polled until it exits; the last value read."""
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    return peak


def test_large_csv_memory_stays_flat(server, realm, tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("username,email,first_name,last_name,roles\n")
        for i in range(BIG_ROWS):
            f.write(f"big{i},big{i}@example.com,First{i},\"Last, {i}\",reader\n")
    env = dict(server.env)
    # ASan keeps freed memory in a quarantine (256 MiB by default): measure the
    # program's own memory, not the sanitizer's bookkeeping.
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1:detect_leaks=0"
    start = time.monotonic()
    proc = subprocess.Popen([BIN, "import", realm, str(path), "--db", str(server.db), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=server.workdir)
    peak = peak_rss_kib(proc)
    out, err = proc.communicate(timeout=BIG_TIMEOUT)
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, err.decode(errors="replace")
    result = json.loads(out)
    assert (result["created"], result["failed"]) == (BIG_ROWS, 0), result
    assert b"100000 rows read" in err
    print(f"\nimport of {BIG_ROWS} rows ({os.path.basename(BIN)} "
          f"{'asan' if 'asan' in BIN else 'release'}): {elapsed:.1f} s, "
          f"{BIG_ROWS / elapsed:.0f} rows/s, peak RSS {peak / 1024:.1f} MiB")
    assert 0 < peak < RSS_LIMIT_KIB, f"peak RSS {peak} KiB"
    assert db_count(server.db, "SELECT count(*) FROM users WHERE username LIKE 'big%'") == BIG_ROWS
