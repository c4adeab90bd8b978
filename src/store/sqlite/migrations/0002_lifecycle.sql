-- 0002_lifecycle.sql - the token lifecycle (issue 4): lifetimes and a refresh
-- reuse grace per realm and client, client secret rotation, opaque access
-- tokens, revoked JWT ids, and what purging needs.
-- Additive only (columns with defaults, new tables and indexes): a database
-- of 0001 keeps every row. Applied in one transaction with the version bump.

ALTER TABLE realms ADD COLUMN refresh_grace INTEGER NOT NULL DEFAULT 0;

-- 0 means "the realm's" for the lifetimes; -1 means "the realm's" for the grace.
ALTER TABLE clients ADD COLUMN refresh_idle_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN session_max_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN offline_idle_ttl INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clients ADD COLUMN refresh_grace INTEGER NOT NULL DEFAULT -1;
-- The previous secret during a rotation's grace: valid while old_secret_until > now.
ALTER TABLE clients ADD COLUMN old_secret_hash BLOB
    CHECK (old_secret_hash IS NULL OR length(old_secret_hash) = 32);
ALTER TABLE clients ADD COLUMN old_secret_until INTEGER NOT NULL DEFAULT 0;

-- 1 once a used token was presented again within the grace (or its family
-- was revoked): it can never be presented successfully again.
ALTER TABLE refresh_tokens ADD COLUMN retried INTEGER NOT NULL DEFAULT 0;

-- Purge finds ended sessions by these two indexes (sessions_expires exists).
CREATE INDEX sessions_revoked ON sessions(revoked_at) WHERE revoked_at > 0;

-- Opaque access tokens (kha_...): only their SHA-256 is stored.
CREATE TABLE access_tokens (
    hash BLOB PRIMARY KEY CHECK (length(hash) = 32),
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    client_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT,
    session_id TEXT,
    scope TEXT NOT NULL DEFAULT '',
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_expires ON access_tokens(expires_at);

-- Revoked JWT access tokens, remembered by jti until they expire.
CREATE TABLE revoked_jtis (
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    jti TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (realm_id, jti)
);
CREATE INDEX revoked_jtis_expires ON revoked_jtis(expires_at);
