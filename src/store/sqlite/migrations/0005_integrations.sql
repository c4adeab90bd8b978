-- 0005_integrations.sql - "New client credentials" (issue 5): integrations are
-- confidential client_credentials clients an administrator ties to a user.
-- Additive only: every existing client is no integration, never expires and
-- was never used as far as keyhold knows.

-- 1: created through /admin/realms/{r}/integrations (or `keyhold integration`).
ALTER TABLE clients ADD COLUMN integration INTEGER NOT NULL DEFAULT 0;
-- Who created it: a user id, "client:<client_id>" or "cli"; NULL before 0005.
ALTER TABLE clients ADD COLUMN created_by TEXT;
-- Unix seconds from which the secret no longer authenticates; 0: never.
ALTER TABLE clients ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
-- The last token issued to it, written at most once a minute; 0: never.
ALTER TABLE clients ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;

-- The integrations of a realm, in client_id order (the list's cursor).
CREATE INDEX clients_integrations ON clients(realm_id, client_id) WHERE integration = 1;
