"""The whole partner journey of issue 5, over the real server and nothing else:
an operator's admin token → a realm, a role and a user → "New client credentials" for
that user → a client-credentials token with the secret shown once → a CSV import →
the imported users listed → the import record → the audit trail of all of it."""

import requests

from conftest import ADMIN_PASSWORD, HTTP_TIMEOUT, Client, describe, expect_token, scopes, unique, wait_until


def call(server, method, path, token, **kw):
    headers = dict(kw.pop("headers", {}))
    headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.base + path, headers=headers, timeout=HTTP_TIMEOUT,
                            **kw)


def ok(resp, status):
    assert resp.status_code == status, describe(resp)
    return resp.json() if resp.content else None


CSV = (
    "\ufeffemail,username,first_name,last_name,roles\r\n"
    "ada@example.com,ada,Ada,Lovelace,viewer\r\n"
    'grace@example.com,grace,Grace,"Hopper, Rear Admiral",viewer\r\n'
    "alan@example.com,alan,Alan,Turing,\r\n"
)


def test_partner_journey(server):
    admin_cli = Client("admin-cli", None, "main")
    admin = expect_token(server.password_grant(admin_cli, "admin", ADMIN_PASSWORD))["access_token"]

    realm = unique("acme")
    ok(call(server, "POST", "/admin/realms", admin, json={"name": realm}), 201)
    base = f"/admin/realms/{realm}"
    ok(call(server, "POST", f"{base}/roles", admin,
            json={"name": "importer", "permissions": ["imports:manage", "users:read"]}), 201)
    ok(call(server, "POST", f"{base}/roles", admin, json={"name": "viewer", "permissions": []}),
       201)
    bot = ok(call(server, "POST", f"{base}/users", admin,
                  json={"username": "partner-bot", "roles": ["importer"]}), 201)

    created = ok(call(server, "POST", f"{base}/integrations", admin,
                      json={"user": "partner-bot", "name": "Acme nightly import",
                            "scopes": ["imports:manage", "users:read"]}), 201)
    client_id, secret = created["client_id"], created["client_secret"]
    assert secret.startswith("khs_")

    # The partner's backend job: a client-credentials token with the secret shown once.
    tok = expect_token(server.client_credentials(Client(client_id, secret, realm)), refresh=False)
    assert scopes(tok["scope"]) == {"imports:manage", "users:read"}
    access = tok["access_token"]

    record = ok(call(server, "POST", "/v1/imports", access, data=CSV.encode(),
                     headers={"Content-Type": "text/csv; charset=utf-8"}), 201)
    assert (record["created"], record["updated"], record["failed"]) == (3, 0, 0), record
    assert record["errors"] == []
    assert ok(call(server, "GET", f"/v1/imports/{record['id']}", access), 200)["id"] == record["id"]

    listed = ok(call(server, "GET", "/v1/users?limit=500", access), 200)
    names = {u["username"] for u in listed["users"]}
    assert {"ada", "grace", "alan", "partner-bot"} <= names
    grace = next(u for u in listed["users"] if u["username"] == "grace")
    assert grace["last_name"] == "Hopper, Rear Admiral"

    # The administrator sees the credentials were used, and never the secret again.
    def integration():
        listed = ok(call(server, "GET", f"{base}/integrations", admin), 200)["integrations"]
        return next(i for i in listed if i["client_id"] == client_id)
    wait_until(lambda: integration()["last_used_at"], 10, "last_used_at after the grant")
    row = integration()
    assert "client_secret" not in row and row["user"]["id"] == bot["id"], row

    # And the trail: the integration, the token, the import, in the realm's events.
    wanted = {"role.create", "user.create", "integration.create", "token.issued", "import"}

    def trail():
        events = ok(call(server, "GET", f"{base}/events?limit=500", admin), 200)["events"]
        return wanted <= {e["type"] for e in events}
    wait_until(trail, 10, "the journey's events in the audit log")
    assert secret not in server.stderr()
    assert access not in server.stderr()
