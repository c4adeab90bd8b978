"""Shared fixtures for keyhold's integration tests.

Every test module gets its own server (`server` fixture): a fresh SQLite file in a temporary
directory, a free loopback port, a fixed admin password and master key, stdout and stderr
captured to files. Tests talk to it over real HTTP with `requests` and prepare data with the
real command line (`server.cli(...)`, or the `create_*` helpers built on it).

Run with:  KEYHOLD_BIN=build/asan/keyhold /usr/bin/python3 -m pytest -q tests/integration
"""

import base64
import contextlib
import itertools
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.parse
import zlib
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests
import requests.adapters

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("KEYHOLD_BIN", str(REPO / "build" / "asan" / "keyhold"))

ADMIN_PASSWORD = "Adm1n-integration-pw"
MASTER_KEY = "00112233445566778899aabbccddeeff" * 2
AUDIENCE = "keyhold-api"
HTTP_TIMEOUT = 30          # seconds; only a guard against hangs, never a timing assertion
CLI_TIMEOUT = 60
READY_TIMEOUT = 20
STOP_TIMEOUT = 30
LOG_FLUSH_S = 0.1          # > LOG_FLUSH_MS of src/core/log.h: buffered log lines are out
PASSWORD_LINE = re.compile(r"password: (\S+)")    # the bootstrap line on stdout

_names = itertools.count(1)

# A PostgreSQL to test against: `make check` starts one (tools/pg.sh run) and sets these.
PG_URL = os.environ.get("KEYHOLD_TEST_PG")
PG_DIR = os.environ.get("KEYHOLD_TEST_PG_DIR")
REQUIRE_PG = os.environ.get("KEYHOLD_REQUIRE_PG") == "1"

# -- no secret in any log (issue 6 point 5) ---------------------------------------------------
#
# Every secret a test hands to a server or gets from it is recorded on that server
# (KeyholdServer.secrets): passwords and client secrets sent in forms, JSON bodies, Basic
# headers and on the CLI's stdin, tokens in Authorization headers, and every token or
# secret a JSON answer or the CLI's --json output carries. When the server stops, its
# stderr and its audit_events table are searched for each of them and for anything of
# the shape of a keyhold secret or a JWT: a hit fails the module.

SECRET_MIN_LEN = 8        # shorter "passwords" (tests of wrong input) would match anywhere
SECRET_FIELDS = {"password", "client_secret", "refresh_token", "access_token", "id_token",
                 "token", "new_password", "password_hash", "secret", "subject_token",
                 "assertion", "client_assertion"}
SECRET_SHAPES = re.compile(r"\bkh[sra]_[0-9A-Za-z]{40,}|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*")
_servers_by_port = {}


def _record(srv, value):
    if isinstance(value, str) and len(value) >= SECRET_MIN_LEN:
        srv.secrets.add(value)


def _record_fields(srv, obj):
    """Secrets among the members of a JSON value or form, at any depth."""
    if isinstance(obj, dict):
        for name, value in obj.items():
            if name in SECRET_FIELDS:
                _record(srv, value)
            _record_fields(srv, value)
    elif isinstance(obj, list):
        for item in obj:
            _record_fields(srv, item)


def _record_request(srv, req):
    auth = req.headers.get("Authorization", "")
    scheme, _, cred = auth.partition(" ")
    if scheme.lower() == "bearer":
        _record(srv, cred.strip())
    elif scheme.lower() == "basic":
        with contextlib.suppress(ValueError):
            user, _, secret = base64.b64decode(cred).decode().partition(":")
            _record(srv, urllib.parse.unquote_plus(secret))
    body = req.body.decode(errors="replace") if isinstance(req.body, bytes) else req.body
    if not isinstance(body, str) or not body:
        return  # none, or a streamed upload (left unread)
    ctype = req.headers.get("Content-Type", "")
    if "json" in ctype:
        # RecursionError: a test's deliberately too deep document, holding no secret
        with contextlib.suppress(ValueError, RecursionError):
            _record_fields(srv, json.loads(body))
    elif "x-www-form-urlencoded" in ctype:
        _record_fields(srv, dict(urllib.parse.parse_qsl(body, keep_blank_values=True)))


def _record_response(srv, resp):
    if "json" not in resp.headers.get("Content-Type", ""):
        return
    with contextlib.suppress(ValueError, RecursionError):
        _record_fields(srv, resp.json())


_adapter_send = requests.adapters.HTTPAdapter.send


def _recording_send(self, request, **kw):
    """requests' transport, noting the secrets of requests to (and answers of) a test
    server; a streamed answer is left unread."""
    srv = _servers_by_port.get(urllib.parse.urlsplit(request.url).port)
    if srv is not None:
        _record_request(srv, request)
    resp = _adapter_send(self, request, **kw)
    if srv is not None and not kw.get("stream"):
        _record_response(srv, resp)
    return resp


requests.adapters.HTTPAdapter.send = _recording_send


def leaked_secrets(texts, secrets_used):
    """(where, what) for every secret used, or secret-shaped string, found in texts
    (a dict where -> text)."""
    found = []
    for where, text in texts.items():
        for match in SECRET_SHAPES.findall(text):
            found.append((where, match))
        for secret in secrets_used:
            if not SECRET_SHAPES.fullmatch(secret) and _occurs_as_word(secret, text):
                found.append((where, secret))
    return found


def _occurs_as_word(secret, text):
    """True if secret occurs in text not glued to letters, digits, '-' or '_' (so that a
    garbage token "whatever" a test sent does not match the path /int-whatever)."""
    glue = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
    at = text.find(secret)
    while at >= 0:
        end = at + len(secret)
        if (at == 0 or text[at - 1] not in glue) and (end == len(text) or text[end] not in glue):
            return True
        at = text.find(secret, at + 1)
    return False


def unique(prefix):
    """A fresh name for a realm, user, role or client, so tests sharing a server don't clash."""
    return f"{prefix}{next(_names)}"


def pg_url(dbname, base=None):
    """The URL of database `dbname` on the server of `base` (default: the test PostgreSQL)."""
    parts = urllib.parse.urlsplit(base or PG_URL)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


def psql(url, sql):
    """Run SQL with psql on url; the rows, each a list of strings (NULL as "")."""
    res = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtX", "-F", "\t",
                          "-c", sql], capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert res.returncode == 0, f"psql failed: {res.stderr}"
    return [line.split("\t") for line in res.stdout.splitlines()]


def pg_new_database(base=None):
    """A new, empty database on the test PostgreSQL (or on `base`'s server); its URL."""
    if not (base or PG_URL):
        if REQUIRE_PG:
            pytest.fail("KEYHOLD_REQUIRE_PG=1 but KEYHOLD_TEST_PG is not set")
        pytest.skip("no PostgreSQL: KEYHOLD_TEST_PG is not set (`make check` sets it)")
    name = unique(f"kh_{os.getpid()}_")
    psql(base or PG_URL, f"CREATE DATABASE {name}")
    return pg_url(name, base)


def is_pg(db):
    return str(db).startswith(("postgres://", "postgresql://"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env():
    """The caller's environment without any KEYHOLD_* variable leaking into the server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEYHOLD_")}
    # Make ASan/UBSan reports land in the captured stderr and fail the exit status.
    # detect_leaks last, so that it holds whatever ASAN_OPTIONS the caller set: a leak at
    # the server's exit (LeakSanitizer) makes its exit status non-zero and stop() fail.
    asan = env.get("ASAN_OPTIONS", "abort_on_error=0")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "detect_leaks=1"
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    return env


def tail(path, lines=40):
    try:
        text = Path(path).read_text(errors="replace")
    except FileNotFoundError:
        return "<no file>"
    return "\n".join(text.splitlines()[-lines:])


def decode_jwt_part(token, index):
    part = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def jwt_header(token):
    return decode_jwt_part(token, 0)


def jwt_claims(token):
    """Claims of a JWT *without* verifying it (tests that verify use PyJWT)."""
    return decode_jwt_part(token, 1)


def scopes(value):
    return set((value or "").split())


def describe(resp):
    """One line saying what the server answered, for assertion messages."""
    return f"{resp.request.method} {resp.url} -> {resp.status_code} {resp.text[:500]!r}"


BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def well_formed_secret(prefix):
    """A never-issued but well-formed keyhold secret (khs_/khr_/kha_): 43 random base62
    characters and the CRC32 of what precedes it as 6 base62 digits (src/core/secret.c),
    so the server has to look it up rather than refuse it by its form."""
    body = prefix + "_" + "".join(secrets.choice(BASE62) for _ in range(43))
    crc, digits = zlib.crc32(body.encode()), []
    for _ in range(6):
        digits.append(BASE62[crc % 62])
        crc //= 62
    return body + "".join(reversed(digits))


def altered(secret):
    """The secret with its last character changed: always different from it."""
    return secret[:-1] + ("y" if secret.endswith("x") else "x")


def wait_until(probe, timeout, what, interval=0.25, detail=None):
    """Call probe() until it returns something true, at most `timeout` seconds; return that
    value, or fail saying what was awaited and what probe() (or detail(), if given) said
    last. A deadline, not a timing assertion: the contract gives an upper bound (e.g. keys
    re-read every 5 s)."""
    deadline = time.monotonic() + timeout
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() >= deadline:
            seen = detail() if detail is not None else last
            pytest.fail(f"not within {timeout}s: {what}; last seen: {seen!r}")
        time.sleep(interval)


def db_rows(db, sql, params=()):
    """Run one query on the server's SQLite file through a read-only connection."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def db_count(db, sql, params=()):
    return db_rows(db, sql, params)[0][0]


# name: (path under /realms/{r}/protocol/openid-connect/, short alias of the default realm)
ENDPOINTS = {
    "token": ("token", "/connect/token"),
    "introspect": ("token/introspect", "/connect/introspect"),
    "revoke": ("revoke", "/connect/revocation"),
    "userinfo": ("userinfo", "/connect/userinfo"),
    "logout": ("logout", "/connect/logout"),
}
CLIENT_REALM = object()   # "the client's own realm" for KeyholdServer.client_post


def _options(options):
    args = []
    for name, value in options.items():
        args += ["--" + name.replace("_", "-"), str(value)]
    return args


@dataclass
class Client:
    client_id: str
    secret: str = None
    realm: str = "main"


class KeyholdServer:
    """One `keyhold serve` process plus a runner for the CLI on the same database."""

    def __init__(self, workdir, env=None, name="server", db=None, public_url=None):
        """db: a postgres:// URL, or None for a SQLite file keyhold.db in workdir.
        public_url: the issuer's base URL (default: this server's own), the same for
        every instance of one deployment."""
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.db = db if db is not None else self.workdir / "keyhold.db"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.public_url = public_url or self.base
        self.name = name
        self.env = clean_env()
        self.env.update(env if env is not None else {
            "KEYHOLD_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KEYHOLD_MASTER_KEY": MASTER_KEY,
        })
        self.proc = None
        self.starts = 0
        self.stdout_path = None
        self.stderr_path = None
        self.secrets = set()    # every secret a test used with this server (see above)
        _record(self, self.env.get("KEYHOLD_ADMIN_PASSWORD"))
        _servers_by_port[self.port] = self

    # -- process ---------------------------------------------------------------------------

    def start(self, options_from_env=False, extra_env=None, extra_args=()):
        """Start `keyhold serve`; options_from_env passes listen/db/public-url as KEYHOLD_*;
        extra_args are appended to the command line (e.g. --purge-interval 1)."""
        assert self.proc is None, "server already running"
        self.starts += 1
        self.stdout_path = self.workdir / f"{self.name}.{self.starts}.stdout"
        self.stderr_path = self.workdir / f"{self.name}.{self.starts}.stderr"
        options = {"LISTEN": f"127.0.0.1:{self.port}", "DB": str(self.db),
                   "PUBLIC_URL": self.public_url}
        argv, env = [BIN, "serve"], dict(self.env)
        for name, value in options.items():
            if options_from_env:
                env["KEYHOLD_" + name] = value
            else:
                argv += ["--" + name.lower().replace("_", "-"), value]
        argv += [str(a) for a in extra_args]
        env.update(extra_env or {})
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=err, env=env, cwd=self.workdir)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                pytest.fail(f"keyhold serve exited with {rc} before it was ready; stderr:\n"
                            f"{tail(self.stderr_path)}")
            try:
                if requests.get(self.base + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        pytest.fail(f"keyhold serve not ready within {READY_TIMEOUT}s; stderr:\n"
                    f"{tail(self.stderr_path)}")

    def stop(self):
        """SIGTERM, then assert exit status 0 (an ASan/UBSan report would make it non-zero)."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail(f"keyhold serve did not exit within {STOP_TIMEOUT}s of SIGTERM; "
                        f"stderr:\n{tail(self.stderr_path)}")
        assert rc == 0, (f"keyhold serve exited with {rc} after SIGTERM; stderr:\n"
                         f"{tail(self.stderr_path, 80)}")
        return rc

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def stdout(self, start=None):
        path = self.workdir / f"{self.name}.{start or self.starts}.stdout"
        return path.read_text(errors="replace") if path.exists() else ""

    def stderr(self, start=None):
        """The server's log so far. A running server writes info lines within 20 ms
        (LOG_FLUSH_MS, buffered): wait that out so that every line logged before the
        call is read."""
        if self.proc is not None and self.proc.poll() is None:
            time.sleep(LOG_FLUSH_S)
        path = self.workdir / f"{self.name}.{start or self.starts}.stderr"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- command line ----------------------------------------------------------------------

    def cli(self, *args, input=None, db=True, env=None):
        """Run `keyhold ARGS... --db FILE` and return the CompletedProcess (text mode)."""
        argv = [BIN, *map(str, args)]
        if db:
            argv += ["--db", str(self.db)]
        run_env = dict(self.env)
        if env:
            run_env.update(env)
        res = subprocess.run(argv, input=input, capture_output=True, text=True,
                             env=run_env, cwd=self.workdir, timeout=CLI_TIMEOUT)
        self._record_cli(args, input, res.stdout)
        return res

    def _record_cli(self, args, stdin, stdout):
        """The secrets a CLI call handled: its stdin (a password), --password values, the
        secrets of its --json answer and the bootstrap password it may print."""
        for line in (stdin or "").splitlines():
            _record(self, line.strip())
        for flag, value in zip(args, args[1:]):
            if str(flag) in ("--password", "--secret", "--client-secret"):
                _record(self, str(value))
        for match in PASSWORD_LINE.findall(stdout or ""):
            _record(self, match)
        for match in SECRET_SHAPES.findall(stdout or ""):
            _record(self, match)
        with contextlib.suppress(ValueError):
            _record_fields(self, json.loads(stdout or ""))

    def assert_no_secret_logged(self):
        """Fail if the server's stderr (every start) or its audit table holds a secret a
        test used with it, or anything shaped like a keyhold secret or a JWT."""
        texts = {p.name: p.read_text(errors="replace")
                 for p in sorted(self.workdir.glob(f"{self.name}.*.stderr"))}
        audit_sql = ("SELECT id, type, actor, target, client_id, ip, outcome, detail "
                     "FROM audit_events")
        if is_pg(self.db):
            rows = psql(self.db, audit_sql)
            texts["audit_events"] = "\n".join(" ".join(row) for row in rows)
        elif self.db.exists():
            with contextlib.suppress(sqlite3.Error):
                rows = db_rows(self.db, audit_sql)
                texts["audit_events"] = "\n".join(
                    " ".join("" if v is None else str(v) for v in row) for row in rows)
        found = leaked_secrets(texts, self.secrets)
        assert not found, (f"secrets in the server's log or audit table "
                           f"({len(self.secrets)} checked): "
                           + "; ".join(f"{where}: {what[:60]}" for where, what in found[:10]))

    def cli_ok(self, *args, input=None):
        res = self.cli(*args, input=input)
        assert res.returncode == 0, (
            f"keyhold {' '.join(map(str, args))} exited {res.returncode}\n"
            f"stdout: {res.stdout}\nstderr: {res.stderr}")
        return res

    def cli_json(self, *args, input=None):
        res = self.cli_ok(*args, "--json", input=input)
        try:
            return json.loads(res.stdout)
        except ValueError:
            pytest.fail(f"keyhold {' '.join(map(str, args))} --json printed no single JSON "
                        f"object: {res.stdout!r}")

    # -- factories (all through the real CLI) ----------------------------------------------

    def create_realm(self, name=None, alg=None):
        name = name or unique("realm")
        args = ["realm", "create", name] + (["--alg", alg] if alg else [])
        self.cli_ok(*args)
        return name

    def create_role(self, realm, permissions, name=None):
        name = name or unique("role")
        args = ["role", "create", realm, name]
        for perm in permissions:
            args += ["--permission", perm]
        self.cli_ok(*args)
        return name

    def create_user(self, realm, username=None, password=None, roles=(), email=None,
                    first_name=None, last_name=None):
        username = username or unique("user")
        args = ["user", "create", realm, username]
        for opt, value in (("--email", email), ("--first-name", first_name),
                           ("--last-name", last_name)):
            if value is not None:
                args += [opt, value]
        for role in roles:
            args += ["--role", role]
        if password is not None:
            args.append("--password-stdin")
        self.cli_ok(*args, input=None if password is None else password + "\n")
        return username

    def set_user_enabled(self, realm, username, enabled):
        self.cli_ok("user", "enable" if enabled else "disable", realm, username)

    def create_client(self, realm, grants, client_id=None, scope=None, default_scope=None,
                      owner=None, public=False, opaque=False):
        client_id = client_id or unique("client")
        args = ["client", "create", realm, client_id, "--grant", ",".join(grants)]
        if scope is not None:
            args += ["--scope", scope]
        if default_scope is not None:
            args += ["--default-scope", default_scope]
        if owner is not None:
            args += ["--owner", owner]
        if public:
            args.append("--public")
        if opaque:
            args.append("--opaque")
        out = self.cli_json(*args)
        assert out.get("client_id") == client_id, out
        if public:
            assert "client_secret" not in out, out
            return Client(client_id, None, realm)
        assert str(out.get("client_secret", "")).startswith("khs_"), out
        return Client(client_id, out["client_secret"], realm)

    # -- HTTP ------------------------------------------------------------------------------

    def issuer(self, realm="main"):
        return f"{self.public_url}/realms/{realm}"

    def token_url(self, realm="main"):
        """The realm's token endpoint; realm=None means the short alias /connect/token."""
        if realm is None:
            return self.base + "/connect/token"
        return f"{self.base}/realms/{realm}/protocol/openid-connect/token"

    def certs_url(self, realm="main"):
        return f"{self.base}/realms/{realm}/protocol/openid-connect/certs"

    def discovery_url(self, realm="main"):
        return f"{self.base}/realms/{realm}/.well-known/openid-configuration"

    def get(self, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.get(self.base + path, **kw)

    def token(self, data, client=None, auth="basic", realm="main", url=None, session=None,
              **kw):
        """POST the token endpoint. auth: 'basic', 'post' or 'public' (client_id only)."""
        url = url or self.token_url(realm)
        form = dict(data) if isinstance(data, dict) else list(data)
        if client is not None:
            if auth == "basic":
                kw["auth"] = (client.client_id, client.secret)
            elif auth == "post":
                form = _with(form, client_id=client.client_id, client_secret=client.secret)
            elif auth == "public":
                form = _with(form, client_id=client.client_id)
            else:
                raise ValueError(auth)
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return (session or requests).post(url, data=form, **kw)

    def password_grant(self, client, username, password, auth="basic", realm=None, **extra):
        realm = realm or client.realm
        data = {"grant_type": "password", "username": username, "password": password, **extra}
        return self.token(data, client, auth=auth if client.secret else "public", realm=realm)

    def client_credentials(self, client, auth="basic", **extra):
        data = {"grant_type": "client_credentials", **extra}
        return self.token(data, client, auth=auth, realm=client.realm)

    def refresh(self, client, refresh_token, auth="basic", session=None, **extra):
        data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
        return self.token(data, client, auth=auth if client.secret else "public",
                          realm=client.realm, session=session)

    def jwks(self, realm="main"):
        resp = requests.get(self.certs_url(realm), timeout=HTTP_TIMEOUT)
        assert resp.status_code == 200, describe(resp)
        return resp.json()

    def kids(self, realm="main"):
        return {key["kid"] for key in self.jwks(realm)["keys"]}

    # -- token lifecycle (issue 4) ---------------------------------------------------------

    def endpoint_url(self, name, realm="main"):
        """URL of a realm endpoint by name (see ENDPOINTS); realm=None: the short alias."""
        path, alias = ENDPOINTS[name]
        if realm is None:
            return self.base + alias
        return f"{self.base}/realms/{realm}/protocol/openid-connect/{path}"

    def client_post(self, name, data, client=None, auth="basic", realm=CLIENT_REALM,
                    session=None, **kw):
        """POST a form (a dict, or a list of pairs to repeat a parameter) to an endpoint with
        client authentication as token() does; realm: CLIENT_REALM (the default) for the
        client's realm, None for the alias."""
        if realm is CLIENT_REALM:
            realm = client.realm if client is not None else "main"
        form = dict(data) if isinstance(data, dict) else list(data)
        if client is not None:
            if auth == "basic" and client.secret is not None:
                kw["auth"] = (client.client_id, client.secret)
            elif auth == "post" and client.secret is not None:
                form = _with(form, client_id=client.client_id, client_secret=client.secret)
            elif auth in ("public", "basic", "post"):
                form = _with(form, client_id=client.client_id)
            else:
                raise ValueError(auth)
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return (session or requests).post(self.endpoint_url(name, realm), data=form, **kw)

    def introspect(self, client, token, hint=None, **kw):
        """RFC 7662 introspection; returns the Response."""
        data = {"token": token, **({"token_type_hint": hint} if hint else {})}
        return self.client_post("introspect", data, client, **kw)

    def introspection(self, client, token, **kw):
        """The introspection answer's JSON, asserting 200 and a boolean `active`."""
        resp = self.introspect(client, token, **kw)
        assert resp.status_code == 200, describe(resp)
        assert resp.headers.get("Content-Type", "").startswith("application/json"), \
            describe(resp)
        body = resp.json()
        assert isinstance(body.get("active"), bool), describe(resp)
        return body

    def is_active(self, client, token, **kw):
        return self.introspection(client, token, **kw)["active"]

    def revoke(self, client, token, hint=None, **kw):
        """RFC 7009 revocation; returns the Response."""
        data = {"token": token, **({"token_type_hint": hint} if hint else {})}
        return self.client_post("revoke", data, client, **kw)

    def logout(self, client, refresh_token, **kw):
        return self.client_post("logout", {"refresh_token": refresh_token}, client, **kw)

    def userinfo(self, token, method="GET", via="header", realm="main", **kw):
        """Call userinfo with the token in the Authorization header or (POST) the form."""
        url = self.endpoint_url("userinfo", realm)
        kw.setdefault("timeout", HTTP_TIMEOUT)
        headers = dict(kw.pop("headers", {}))
        if via == "header":
            if token is not None:
                headers["Authorization"] = f"Bearer {token}"
            return requests.request(method, url, headers=headers, **kw)
        assert method == "POST" and via == "form", (method, via)
        return requests.post(url, data={"access_token": token}, headers=headers, **kw)

    def realm_update(self, realm, **options):
        """`keyhold realm update REALM --access-token-lifetime 2 ...` from keyword
        arguments (access_token_lifetime=2, refresh_reuse_grace=5, ...)."""
        self.cli_ok("realm", "update", realm, *_options(options))

    def client_update(self, client, *flags, **options):
        """`keyhold client update REALM ID [flags] [--option value ...]`."""
        self.cli_ok("client", "update", client.realm, client.client_id, *flags,
                    *_options(options))

    def rotate_secret(self, client, grace=None):
        """Rotate a client's secret; returns the --json answer and updates `client`."""
        args = ["client", "rotate-secret", client.realm, client.client_id]
        if grace is not None:
            args += ["--grace", grace]
        out = self.cli_json(*args)
        assert out.get("client_id") == client.client_id, out
        assert str(out.get("client_secret", "")).startswith("khs_"), out
        client.secret = out["client_secret"]
        return out

    def key_rotate(self, realm, *flags):
        out = self.cli_json("key", "rotate", realm, *flags)
        assert out.get("kid") and out.get("alg"), out
        return out

    def key_list(self, realm):
        """`keyhold key list REALM --json` as a list of key objects (an array, or an
        object holding one)."""
        out = self.cli_json("key", "list", realm)
        if isinstance(out, dict):
            lists = [v for v in out.values() if isinstance(v, list)]
            assert len(lists) == 1, f"key list --json: no single list in {out}"
            out = lists[0]
        assert isinstance(out, list), out
        return out


def _with(form, **params):
    if isinstance(form, dict):
        return {**form, **params}
    return form + list(params.items())


def expect_token(resp, refresh=None, expires_in=300, refresh_expires_in=1800):
    """Assert a successful token response (SPEC §4) and return its JSON body.

    refresh=True/False asserts whether a refresh token must be present. expires_in and
    refresh_expires_in are the lifetimes expected (None: not checked; 0 for offline)."""
    assert resp.status_code == 200, describe(resp)
    assert "no-store" in resp.headers.get("Cache-Control", ""), resp.headers
    assert resp.headers.get("Pragma") == "no-cache", resp.headers
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert isinstance(body.get("access_token"), str) and body["access_token"], body
    assert body.get("token_type") == "Bearer", body
    if expires_in is not None:
        assert body.get("expires_in") == expires_in, body
    assert body.get("not-before-policy") == 0, body
    assert isinstance(body.get("scope"), str), body
    if refresh is True:
        assert str(body.get("refresh_token", "")).startswith("khr_"), body
        if refresh_expires_in is not None:
            assert body.get("refresh_expires_in") == refresh_expires_in, body
        assert isinstance(body.get("session_state"), str) and body["session_state"], body
    elif refresh is False:
        assert "refresh_token" not in body, body
        assert "refresh_expires_in" not in body, body
    return body


def expect_error(resp, status, error):
    """Assert an RFC 6749 §5.2 error response and return its JSON body."""
    assert resp.status_code == status, f"expected {status} {error}: {describe(resp)}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    body = resp.json()
    assert body.get("error") == error, f"expected {error}: {describe(resp)}"
    assert "access_token" not in body and "refresh_token" not in body, body
    return body


@contextlib.contextmanager
def running_server(tmp_path_factory, extra_args=()):
    """A server on a fresh database for the `with` block; fails if it died meanwhile."""
    srv = KeyholdServer(tmp_path_factory.mktemp("keyhold"))
    srv.start(extra_args=extra_args)
    try:
        yield srv
    finally:
        if srv.proc is not None and srv.proc.poll() is not None:
            rc = srv.proc.returncode
            srv.proc = None
            pytest.fail(f"keyhold serve died during the module with {rc}; stderr:\n"
                        f"{tail(srv.stderr_path, 80)}")
        srv.stop()
        srv.assert_no_secret_logged()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A running server on a fresh database, shared by the tests of one module."""
    with running_server(tmp_path_factory) as srv:
        yield srv


@pytest.fixture
def make_server(tmp_path):
    """Factory for servers with a custom environment; every one is stopped at teardown."""
    made = []

    def make(env=None, name=None):
        srv = KeyholdServer(tmp_path / (name or f"srv{len(made)}"), env=env)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.kill()
    for srv in made:
        srv.assert_no_secret_logged()



def verify_access_token(srv, token, realm="main", alg="ES256", lifetime=300):
    """Verify an access token the way a resource server would (RFC 9068) and return its
    claims: typ at+jwt, the realm's alg, a kid published in the realm's JWKS, a valid
    signature, issuer, audience, and the lifetime (default 300 s; None: not checked)."""
    header = jwt_header(token)
    assert header.get("typ") == "at+jwt", header
    assert header.get("alg") == alg, header
    keys = {key.key_id: key for key in jwt.PyJWKSet.from_dict(srv.jwks(realm)).keys}
    assert header.get("kid") in keys, (header, list(keys))
    claims = jwt.decode(token, keys[header["kid"]].key, algorithms=[alg], audience=AUDIENCE,
                        issuer=srv.issuer(realm),
                        options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]})
    if lifetime is not None:
        assert claims["exp"] == claims["iat"] + lifetime, claims
    return claims
