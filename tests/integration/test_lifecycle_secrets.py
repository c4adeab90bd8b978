"""Client secret rotation with a grace (issue 4, HELPERS.md "Round 2"):
`keyhold client rotate-secret REALM ID [--grace SECONDS]`. The new secret works at once, the
previous one until the grace ends (never with grace 0), and two secrets at most."""

import time

import pytest

from conftest import Client, describe, expect_error, expect_token

PAST = 1.2      # seconds past a grace that make it certainly over (whole-second clock)


def new_client(server):
    return server.create_client("main", ["client_credentials"], scope="users:read")


def works(server, client, auth="basic"):
    expect_token(server.client_credentials(client, auth=auth), refresh=False)


def refused(server, client, auth="basic"):
    expect_error(server.client_credentials(client, auth=auth), 401, "invalid_client")


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_rotation_with_a_grace(server, auth):
    client = new_client(server)
    old = Client(client.client_id, client.secret)
    out = server.rotate_secret(client, grace=3)
    assert client.secret != old.secret
    assert abs(out.get("old_secret_valid_until", 0) - (time.time() + 3)) <= 2, \
        f"old_secret_valid_until must be now + 3: {out}"
    works(server, client, auth)
    works(server, old, auth)            # within the grace
    time.sleep(3 + PAST)
    refused(server, old, auth)
    works(server, client, auth)


def test_rotation_without_grace(server):
    client = new_client(server)
    old = Client(client.client_id, client.secret)
    out = server.rotate_secret(client, grace=0)
    assert out.get("old_secret_valid_until") == 0, out
    works(server, client)
    refused(server, old)


def test_default_grace_is_zero(server):
    client = new_client(server)
    old = Client(client.client_id, client.secret)
    server.rotate_secret(client)
    works(server, client)
    refused(server, old)


def test_two_secrets_at_most(server):
    client = new_client(server)
    first = Client(client.client_id, client.secret)
    server.rotate_secret(client, grace=600)
    second = Client(client.client_id, client.secret)
    server.rotate_secret(client, grace=600)
    works(server, client)
    works(server, second)
    refused(server, first)


def test_the_old_secret_cannot_be_the_basic_and_the_new_the_post(server):
    # Both secrets valid: each is still one client authentication, never both at once.
    client = new_client(server)
    old = Client(client.client_id, client.secret)
    server.rotate_secret(client, grace=600)
    resp = server.token({"grant_type": "client_credentials", "client_id": client.client_id,
                         "client_secret": client.secret}, old, auth="basic")
    expect_error(resp, 400, "invalid_request")


def test_rotated_secret_works_at_introspection_and_revocation(server):
    client = server.create_client("main", ["client_credentials", "refresh_token"],
                                  scope="users:read")
    body = expect_token(server.client_credentials(client))
    old = Client(client.client_id, client.secret)
    server.rotate_secret(client, grace=0)
    expect_error(server.introspect(old, body["access_token"]), 401, "invalid_client")
    assert server.is_active(client, body["access_token"])
    resp = server.revoke(client, body["refresh_token"])
    assert resp.status_code == 200, resp.text


def test_rotate_secret_of_a_public_client_is_refused(server):
    public = server.create_client("main", ["password"], scope="users:read", public=True)
    res = server.cli("client", "rotate-secret", "main", public.client_id)
    assert res.returncode == 1, f"exit {res.returncode}; stderr {res.stderr!r}"
    assert res.stdout == "", res.stdout


def test_rotate_secret_of_an_unknown_client(server):
    res = server.cli("client", "rotate-secret", "main", "no-such-client")
    assert res.returncode == 1, f"exit {res.returncode}; stderr {res.stderr!r}"


@pytest.mark.parametrize("grace", ["-1", "soon", "1.5"])
def test_rotate_secret_with_a_bad_grace(server, grace):
    client = new_client(server)
    res = server.cli("client", "rotate-secret", "main", client.client_id, "--grace", grace)
    assert res.returncode in (1, 2), f"exit {res.returncode}; stderr {res.stderr!r}"
    works(server, client)       # nothing changed


def test_rotate_secret_prints_the_secret_once_in_text_mode(server):
    client = new_client(server)
    res = server.cli_ok("client", "rotate-secret", "main", client.client_id)
    secrets = [word for word in res.stdout.split() if word.startswith("khs_")]
    assert len(secrets) == 1, res.stdout
    works(server, Client(client.client_id, secrets[0].strip("\"'.,")))


@pytest.mark.parametrize("command", [["client", "rotate-secret"], ["client", "update"],
                                     ["realm", "update"]])
def test_help(server, command):
    res = server.cli(*command, "--help", db=False)
    assert res.returncode == 0, f"exit {res.returncode}; stderr {res.stderr!r}"
    assert "usage" in res.stdout.lower(), res.stdout


def test_client_update_disable_and_enable(server):
    client = new_client(server)
    server.client_update(client, "--disable")
    resp = server.client_credentials(client)
    assert resp.status_code in (400, 401), describe(resp)
    assert resp.json().get("error") in ("invalid_client", "unauthorized_client"), describe(resp)
    server.client_update(client, "--enable")
    works(server, client)


def test_client_update_scope_and_grants(server):
    client = new_client(server)
    server.client_update(client, scope="users:read imports:manage",
                         default_scope="imports:manage", grant="client_credentials,password")
    body = expect_token(server.client_credentials(client))
    assert body["scope"] == "imports:manage", body


def test_update_of_an_unknown_realm_or_client(server):
    res = server.cli("realm", "update", "no-such-realm", "--access-token-lifetime", "60")
    assert res.returncode == 1, f"exit {res.returncode}; stderr {res.stderr!r}"
    res = server.cli("client", "update", "main", "no-such-client", "--access-token-lifetime",
                     "60")
    assert res.returncode == 1, f"exit {res.returncode}; stderr {res.stderr!r}"
