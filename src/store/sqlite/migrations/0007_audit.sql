-- 0007_audit.sql - the audit log (issue 5 point 7): security events with a
-- hash chain per realm, the chain's head, and the signed checkpoint a
-- retention purge leaves behind. Additive only: new tables and indexes.
--
-- hash = SHA-256(prev_hash || the event's canonical bytes), see
-- src/audit/chain.h and README "Audit log". seq is the event's position in
-- its realm's chain (1, 2, …); id only orders rows across realms.
-- AUTOINCREMENT: an id is never given out twice, even after the newest rows
-- are deleted. No foreign key to realms: a queued event must never become
-- unstorable.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    realm_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    actor TEXT,
    target TEXT,
    client_id TEXT,
    ip TEXT,
    outcome TEXT NOT NULL,
    detail TEXT,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    UNIQUE (realm_id, seq)
);

-- The newest event of each realm, written in the same transaction as the
-- events: deleting the newest rows leaves the head pointing past them.
CREATE TABLE audit_heads (
    realm_id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    last_id INTEGER NOT NULL,
    hash BLOB NOT NULL
);

-- Where a realm's chain starts after a purge: the last removed event (its
-- seq, id, time and hash), when the purge ran, and an HMAC-SHA256 over these
-- under a key derived from the master key (see src/audit/chain.h).
CREATE TABLE audit_checkpoints (
    realm_id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    event_id INTEGER NOT NULL,
    event_at INTEGER NOT NULL,
    hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    sig BLOB NOT NULL
);
