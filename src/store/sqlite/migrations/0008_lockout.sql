-- 0008_lockout.sql - brute-force protection (issue 6 point 1): each realm's
-- lockout settings and the failure counters, kept in the store so that they
-- hold across restarts and are shared by every server of one database.
-- Additive only: columns with defaults, a new table and an index.

-- Failures of one user or client before it waits (0: never), failures from
-- one address before it waits (0: never), the first wait, the longest wait,
-- and the quiet time after which failures are forgotten (seconds).
ALTER TABLE realms ADD COLUMN lockout_threshold INTEGER NOT NULL DEFAULT 5;
ALTER TABLE realms ADD COLUMN lockout_ip_threshold INTEGER NOT NULL DEFAULT 20;
ALTER TABLE realms ADD COLUMN lockout_base_wait INTEGER NOT NULL DEFAULT 30;
ALTER TABLE realms ADD COLUMN lockout_max_wait INTEGER NOT NULL DEFAULT 900;
ALTER TABLE realms ADD COLUMN lockout_reset INTEGER NOT NULL DEFAULT 43200;

-- One counter per (realm, kind, key): kind 'user' (key: the lowercased
-- username), 'ip' (failed logins from an address), 'client' (key: client_id)
-- or 'client_ip' (failed client authentications from an address).
-- locked_until: attempts fail until then (0: never locked). No foreign key to
-- realms: a counter never blocks anything, and purge removes it.
CREATE TABLE lockouts (
    realm_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'ip', 'client', 'client_ip')),
    key TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_failure_at INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (realm_id, kind, key)
);
-- Purge finds forgotten counters by their last failure.
CREATE INDEX lockouts_last_failure ON lockouts(last_failure_at);
