-- 0001_init.sql - keyhold's schema on PostgreSQL: the SQLite schema as of
-- its migration 0008, in one step. Applied inside one transaction with the
-- schema_version bump, under the migration advisory lock (migrate.c).
--
-- Column names and types follow the SQLite tables one to one, so that
-- `keyhold migrate` copies rows as they are and the SQL of both backends
-- stays alike: times are Unix seconds (BIGINT), booleans 0/1 (SMALLINT),
-- hashes BYTEA. Every text column sorts by bytes (COLLATE "C"), as SQLite
-- does: the list cursors compare names with > and must agree with ORDER BY.

CREATE TABLE realms (
    id BIGSERIAL PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    alg TEXT COLLATE "C" NOT NULL,
    access_ttl BIGINT NOT NULL,
    refresh_idle_ttl BIGINT NOT NULL,
    session_max_ttl BIGINT NOT NULL,
    offline_idle_ttl BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    refresh_grace BIGINT NOT NULL DEFAULT 0,
    lockout_threshold BIGINT NOT NULL DEFAULT 5,
    lockout_ip_threshold BIGINT NOT NULL DEFAULT 20,
    lockout_base_wait BIGINT NOT NULL DEFAULT 30,
    lockout_max_wait BIGINT NOT NULL DEFAULT 900,
    lockout_reset BIGINT NOT NULL DEFAULT 43200
);

CREATE TABLE roles (
    id BIGSERIAL PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    name TEXT COLLATE "C" NOT NULL,
    all_permissions SMALLINT NOT NULL DEFAULT 0,
    UNIQUE (realm_id, name)
);

CREATE TABLE role_permissions (
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    username TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C",
    first_name TEXT COLLATE "C",
    last_name TEXT COLLATE "C",
    enabled SMALLINT NOT NULL DEFAULT 1,
    password_hash TEXT COLLATE "C",
    created_at BIGINT NOT NULL,
    UNIQUE (realm_id, username)
);
-- SQLite's email COLLATE NOCASE: ASCII case ignored.
CREATE INDEX users_email ON users(realm_id, lower(email));

CREATE TABLE user_roles (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id BIGINT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles(role_id);

CREATE TABLE clients (
    id TEXT COLLATE "C" PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    client_id TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C",
    confidential SMALLINT NOT NULL DEFAULT 0,
    secret_hash BYTEA CHECK (secret_hash IS NULL OR octet_length(secret_hash) = 32),
    grants BIGINT NOT NULL DEFAULT 0,
    scopes TEXT COLLATE "C" NOT NULL DEFAULT '',
    default_scopes TEXT COLLATE "C" NOT NULL DEFAULT '',
    owner_user_id TEXT COLLATE "C" REFERENCES users(id),
    enabled SMALLINT NOT NULL DEFAULT 1,
    opaque SMALLINT NOT NULL DEFAULT 0,
    access_ttl BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    refresh_idle_ttl BIGINT NOT NULL DEFAULT 0,
    session_max_ttl BIGINT NOT NULL DEFAULT 0,
    offline_idle_ttl BIGINT NOT NULL DEFAULT 0,
    refresh_grace BIGINT NOT NULL DEFAULT -1,
    old_secret_hash BYTEA CHECK (old_secret_hash IS NULL OR octet_length(old_secret_hash) = 32),
    old_secret_until BIGINT NOT NULL DEFAULT 0,
    integration SMALLINT NOT NULL DEFAULT 0,
    created_by TEXT COLLATE "C",
    expires_at BIGINT NOT NULL DEFAULT 0,
    last_used_at BIGINT NOT NULL DEFAULT 0,
    UNIQUE (realm_id, client_id)
);
CREATE INDEX clients_owner ON clients(owner_user_id);
CREATE INDEX clients_integrations ON clients(realm_id, client_id) WHERE integration = 1;

CREATE TABLE sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    user_id TEXT COLLATE "C",
    client_id TEXT COLLATE "C" NOT NULL,
    offline SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_revoked ON sessions(revoked_at) WHERE revoked_at > 0;
CREATE INDEX sessions_client ON sessions(realm_id, client_id);

CREATE TABLE refresh_tokens (
    hash BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
    session_id TEXT COLLATE "C" NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    client_id TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C",
    scope TEXT COLLATE "C" NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    retried SMALLINT NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);

CREATE TABLE signing_keys (
    kid TEXT COLLATE "C" PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    alg TEXT COLLATE "C" NOT NULL,
    private_enc BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    active_from BIGINT NOT NULL,
    retire_at BIGINT NOT NULL DEFAULT 0,
    -- insertion order, SQLite's rowid: the newer of two keys made in one second
    seq BIGSERIAL NOT NULL
);
CREATE INDEX signing_keys_realm ON signing_keys(realm_id, created_at);

CREATE TABLE access_tokens (
    hash BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    client_id TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C",
    session_id TEXT COLLATE "C",
    scope TEXT COLLATE "C" NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX access_tokens_expires ON access_tokens(expires_at);
CREATE INDEX access_tokens_user ON access_tokens(user_id) WHERE user_id IS NOT NULL;
CREATE INDEX access_tokens_client ON access_tokens(realm_id, client_id);

CREATE TABLE revoked_jtis (
    realm_id BIGINT NOT NULL REFERENCES realms(id),
    jti TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (realm_id, jti)
);
CREATE INDEX revoked_jtis_expires ON revoked_jtis(expires_at);

CREATE TABLE imports (
    id TEXT COLLATE "C" PRIMARY KEY,
    realm_id BIGINT NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    status TEXT COLLATE "C" NOT NULL,
    format TEXT COLLATE "C" NOT NULL,
    dry_run SMALLINT NOT NULL,
    atomic SMALLINT NOT NULL,
    rows BIGINT NOT NULL,
    created BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    errors_truncated SMALLINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL
);

CREATE TABLE import_errors (
    import_id TEXT COLLATE "C" NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    "row" BIGINT NOT NULL,
    field TEXT COLLATE "C",
    message TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    realm_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    actor TEXT COLLATE "C",
    target TEXT COLLATE "C",
    client_id TEXT COLLATE "C",
    ip TEXT COLLATE "C",
    outcome TEXT COLLATE "C" NOT NULL,
    detail TEXT COLLATE "C",
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    UNIQUE (realm_id, seq)
);

CREATE TABLE audit_heads (
    realm_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    last_id BIGINT NOT NULL,
    hash BYTEA NOT NULL
);

CREATE TABLE audit_checkpoints (
    realm_id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    event_id BIGINT NOT NULL,
    event_at BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    sig BYTEA NOT NULL
);

CREATE TABLE lockouts (
    realm_id BIGINT NOT NULL,
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('user', 'ip', 'client', 'client_ip')),
    key TEXT COLLATE "C" NOT NULL,
    failures BIGINT NOT NULL,
    first_failure_at BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (realm_id, kind, key)
);
CREATE INDEX lockouts_last_failure ON lockouts(last_failure_at);
