-- 0001_init.sql - keyhold's first schema (SQLite).
-- Applied inside one BEGIN IMMEDIATE transaction with the schema_version bump:
-- no BEGIN/COMMIT here. Times are Unix seconds; booleans are 0/1 integers.

CREATE TABLE realms (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    alg TEXT NOT NULL,
    access_ttl INTEGER NOT NULL,
    refresh_idle_ttl INTEGER NOT NULL,
    session_max_ttl INTEGER NOT NULL,
    offline_idle_ttl INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    name TEXT NOT NULL,
    all_permissions INTEGER NOT NULL DEFAULT 0,
    UNIQUE (realm_id, name)
);

CREATE TABLE role_permissions (
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    permission TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    username TEXT NOT NULL,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (realm_id, username)
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles(role_id);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    client_id TEXT NOT NULL,
    name TEXT,
    confidential INTEGER NOT NULL DEFAULT 0,
    secret_hash BLOB CHECK (secret_hash IS NULL OR length(secret_hash) = 32),
    grants INTEGER NOT NULL DEFAULT 0,
    scopes TEXT NOT NULL DEFAULT '',
    default_scopes TEXT NOT NULL DEFAULT '',
    owner_user_id TEXT REFERENCES users(id),
    enabled INTEGER NOT NULL DEFAULT 1,
    opaque INTEGER NOT NULL DEFAULT 0,
    access_ttl INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (realm_id, client_id)
);
CREATE INDEX clients_owner ON clients(owner_user_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    user_id TEXT,
    client_id TEXT NOT NULL,
    offline INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE refresh_tokens (
    hash BLOB PRIMARY KEY CHECK (length(hash) = 32),
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    client_id TEXT NOT NULL,
    user_id TEXT,
    scope TEXT NOT NULL DEFAULT '',
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id),
    alg TEXT NOT NULL,
    private_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    active_from INTEGER NOT NULL,
    retire_at INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX signing_keys_realm ON signing_keys(realm_id, created_at);
