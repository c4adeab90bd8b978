"""The `keyhold` command line (SPEC §6): exit codes, --help, --json, validation.

Every command here runs against the database of a live server, as an operator would."""

import json
import re

import pytest

from conftest import Client, describe, expect_token, unique

HELP_COMMANDS = [
    [],
    ["serve"],
    ["realm"], ["realm", "create"], ["realm", "list"], ["realm", "show"],
    ["role"], ["role", "create"],
    ["user"], ["user", "create"], ["user", "disable"], ["user", "enable"],
    ["client"], ["client", "create"], ["client", "update"], ["client", "rotate-secret"],
    ["realm", "update"], ["key"], ["key", "rotate"], ["key", "list"], ["import"],
]

VALID_REALM_NAMES = ["a", "0", "a-b_c", "r" + "x" * 62]
INVALID_REALM_NAMES = ["Main", "_abc", "a.b", "a b", "r" + "x" * 63, "caf\u00e9",
                       "a/b", ""]


def one_line_error(res):
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {res.stderr!r}"
    return lines[0]


def assert_user_error(res):
    assert res.returncode == 1, f"exit {res.returncode}; stderr {res.stderr!r}"
    one_line_error(res)


# -- help and usage ---------------------------------------------------------------------------

@pytest.mark.parametrize("command", HELP_COMMANDS, ids=lambda c: " ".join(c) or "keyhold")
def test_help(server, command):
    res = server.cli(*command, "--help", db=False)
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    assert "usage" in res.stdout.lower(), f"no usage on stdout: {res.stdout!r}"


USAGE_ERRORS = [
    ("no command", []),
    ("unknown command", ["frobnicate"]),
    ("unknown subcommand", ["realm", "frobnicate"]),
    ("missing realm name", ["realm", "create"]),
    ("extra argument", ["realm", "show", "main", "extra"]),
    ("unknown option", ["realm", "list", "--bogus"]),
    ("option without its value", ["realm", "create", "x", "--alg"]),
    ("role without --permission", ["role", "create", "main", "nopermrole"]),
    ("user create without username", ["user", "create", "main"]),
    ("client create without --grant", ["client", "create", "main", "nogrant"]),
]


@pytest.mark.parametrize("args", [a for _, a in USAGE_ERRORS],
                         ids=[name for name, _ in USAGE_ERRORS])
def test_usage_error_exits_2(server, args):
    res = server.cli(*args)
    assert res.returncode == 2, f"exit {res.returncode}; stderr {res.stderr!r}"
    assert res.stderr.strip(), "a usage error must say something on stderr"


# -- realms -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", VALID_REALM_NAMES)
def test_valid_realm_names(server, name):
    res = server.cli("realm", "create", name)
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    shown = server.cli_ok("realm", "show", name).stdout
    assert name in shown, shown


@pytest.mark.parametrize("name", INVALID_REALM_NAMES, ids=repr)
def test_invalid_realm_name_is_a_user_error(server, name):
    res = server.cli("realm", "create", name)
    assert_user_error(res)
    assert name == "" or name not in server.cli_ok("realm", "list").stdout.split()


def test_realm_create_show_list(server):
    name = unique("r")
    assert server.cli_json("realm", "create", name, "--alg", "RS256"), "empty JSON"
    shown = server.cli_ok("realm", "show", name).stdout
    assert name in shown and "RS256" in shown, shown
    listing = server.cli_ok("realm", "list").stdout.split()
    assert name in listing and "main" in listing, listing


def test_realm_default_alg_is_es256(server):
    name = server.create_realm()
    assert "ES256" in server.cli_ok("realm", "show", name).stdout


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_realm_created_by_cli_is_served_at_once(server, alg):
    name = server.create_realm(alg=alg)
    resp = server.get(f"/realms/{name}/.well-known/openid-configuration")
    assert resp.status_code == 200, describe(resp)
    assert resp.json()["issuer"] == server.issuer(name)
    keys = server.jwks(name)["keys"]
    assert any(k.get("alg") == alg for k in keys), keys


def test_duplicate_realm_is_a_user_error(server):
    name = server.create_realm()
    assert_user_error(server.cli("realm", "create", name))


def test_unknown_alg_is_rejected(server):
    name = unique("r")
    res = server.cli("realm", "create", name, "--alg", "HS256")
    assert res.returncode in (1, 2), f"exit {res.returncode}; stderr {res.stderr!r}"
    assert_user_error(server.cli("realm", "show", name))


def test_show_unknown_realm_is_a_user_error(server):
    assert_user_error(server.cli("realm", "show", "no-such-realm"))


def test_db_from_environment(server):
    res = server.cli("realm", "list", db=False, env={"KEYHOLD_DB": str(server.db)})
    assert res.returncode == 0, res.stderr
    assert "main" in res.stdout.split(), res.stdout


# -- roles, users -----------------------------------------------------------------------------

def test_role_create_and_duplicate(server):
    name = unique("role")
    out = server.cli_json("role", "create", "main", name, "--permission", "users:read",
                          "--permission", "imports:manage")
    assert isinstance(out, dict), out
    assert_user_error(server.cli("role", "create", "main", name, "--permission", "users:read"))


def test_role_in_unknown_realm_is_a_user_error(server):
    assert_user_error(server.cli("role", "create", "no-such-realm", "r",
                                 "--permission", "users:read"))


def test_user_create_json_and_password_stdin(server):
    client = server.create_client("main", ["password"])
    name = unique("user")
    out = server.cli_json("user", "create", "main", name, "--email", f"{name}@example.com",
                          "--first-name", "Ada", "--last-name", "Lovelace",
                          "--password-stdin", input="s3cret pass phrase\n")
    assert isinstance(out, dict), out
    assert "s3cret" not in json.dumps(out), "the password was echoed"
    expect_token(server.password_grant(client, name, "s3cret pass phrase"))


@pytest.mark.parametrize("case", [str.lower, str.upper], ids=["same", "other case"])
def test_duplicate_username_is_a_user_error(server, case):
    name = server.create_user("main", unique("dup"))
    assert_user_error(server.cli("user", "create", "main", case(name)))


def test_user_with_unknown_role_is_a_user_error(server):
    assert_user_error(server.cli("user", "create", "main", unique("u"), "--role", "nope"))


def test_user_in_unknown_realm_is_a_user_error(server):
    assert_user_error(server.cli("user", "create", "no-such-realm", "u"))


@pytest.mark.parametrize("command", ["disable", "enable"])
def test_unknown_user_enable_disable_is_a_user_error(server, command):
    assert_user_error(server.cli("user", command, "main", "no-such-user"))


def test_user_disable_enable(server):
    client = server.create_client("main", ["password"])
    name = server.create_user("main", password="pw-for-toggle")
    server.cli_ok("user", "disable", "main", name)
    resp = server.password_grant(client, name, "pw-for-toggle")
    assert resp.status_code == 400, describe(resp)
    server.cli_ok("user", "enable", "main", name)
    expect_token(server.password_grant(client, name, "pw-for-toggle"))


# -- clients ------------------------------------------------------------------------------------

def test_client_create_json_prints_one_object_with_secret(server):
    client_id = unique("svc")
    res = server.cli_ok("client", "create", "main", client_id, "--grant", "client_credentials",
                        "--scope", "users:read", "--json")
    out = json.loads(res.stdout)          # the whole of stdout is one JSON object
    assert isinstance(out, dict), out
    assert out["client_id"] == client_id, out
    secret = out["client_secret"]
    assert re.fullmatch(r"khs_[0-9A-Za-z]{43,}", secret), secret
    assert secret not in res.stderr, "the secret leaked to stderr"


def test_client_secrets_differ(server):
    a = server.create_client("main", ["client_credentials"])
    b = server.create_client("main", ["client_credentials"])
    assert a.secret != b.secret


def test_public_client_json_has_no_secret(server):
    client_id = unique("pub")
    out = json.loads(server.cli_ok("client", "create", "main", client_id, "--grant", "password",
                                   "--public", "--json").stdout)
    assert out["client_id"] == client_id and "client_secret" not in out, out


def test_client_create_human_summary_shows_secret_once(server):
    client_id = unique("svc")
    res = server.cli_ok("client", "create", "main", client_id, "--grant", "client_credentials",
                        "--scope", "users:read")
    secrets = re.findall(r"khs_[0-9A-Za-z]+", res.stdout)
    assert len(secrets) == 1, f"expected the secret exactly once: {res.stdout!r}"
    assert client_id in res.stdout, res.stdout
    expect_token(server.client_credentials(Client(client_id, secrets[0])), refresh=False)


def test_duplicate_client_is_a_user_error(server):
    client = server.create_client("main", ["client_credentials"])
    assert_user_error(server.cli("client", "create", "main", client.client_id,
                                 "--grant", "client_credentials"))


def test_client_with_unknown_owner_is_a_user_error(server):
    client_id = unique("bad")
    assert_user_error(server.cli("client", "create", "main", client_id,
                                 "--grant", "client_credentials", "--owner", "no-such-user"))
    # nothing was created: creating it properly now succeeds
    server.cli_ok("client", "create", "main", client_id, "--grant", "client_credentials")


def test_client_with_unknown_grant_is_rejected(server):
    client_id = unique("bad")
    res = server.cli("client", "create", "main", client_id, "--grant", "implicit")
    assert res.returncode in (1, 2), f"exit {res.returncode}; stderr {res.stderr!r}"
    one_line_error(res)
    server.cli_ok("client", "create", "main", client_id, "--grant", "client_credentials")


def test_client_in_unknown_realm_is_a_user_error(server):
    assert_user_error(server.cli("client", "create", "no-such-realm", "c",
                                 "--grant", "client_credentials"))
