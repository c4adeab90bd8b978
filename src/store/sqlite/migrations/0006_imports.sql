-- 0006_imports.sql - the record of each user import over the API (POST
-- /v1/imports), dry runs included, and the first errors of its rows
-- (IMPORT_MAX_ERRORS; errors_truncated says that more rows failed).

CREATE TABLE imports (
    id TEXT PRIMARY KEY,
    realm_id INTEGER NOT NULL REFERENCES realms(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    format TEXT NOT NULL,
    dry_run INTEGER NOT NULL,
    atomic INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    errors_truncated INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE import_errors (
    import_id TEXT NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    row INTEGER NOT NULL,
    field TEXT,
    message TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
) WITHOUT ROWID;
