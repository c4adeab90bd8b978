-- 0004_admin_rows.sql - the admin REST rows delete users and clients with
-- everything they hold in one transaction: these indexes find a client's
-- sessions and a user's or client's opaque access tokens without a scan.
-- Additive only.

CREATE INDEX sessions_client ON sessions(realm_id, client_id);
CREATE INDEX access_tokens_user ON access_tokens(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX access_tokens_client ON access_tokens(realm_id, client_id);
