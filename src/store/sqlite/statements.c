/* statements.c - every SQL statement of the SQLite backend, in one place.
 *
 * Each connection prepares a statement on its first use and reuses it
 * (sqlite_stmt() in conn.c). Column order here is what the readers in the
 * ops files expect: keep them in step. */
#include "store/sqlite/sqlite_internal.h"

#define USER_COLS "id, realm_id, username, email, first_name, last_name, enabled, " \
    "password_hash, created_at"
#define CLIENT_COLS "id, realm_id, client_id, name, confidential, secret_hash, grants, scopes, " \
    "default_scopes, owner_user_id, enabled, opaque, access_ttl, created_at, refresh_idle_ttl, " \
    "session_max_ttl, offline_idle_ttl, refresh_grace, old_secret_hash, old_secret_until, " \
    "integration, created_by, expires_at, last_used_at"
/* CLIENT_COLS of the clients table aliased c (the integration list joins users). */
#define INTEGRATION_COLS "c.id, c.realm_id, c.client_id, c.name, c.confidential, c.secret_hash, " \
    "c.grants, c.scopes, c.default_scopes, c.owner_user_id, c.enabled, c.opaque, c.access_ttl, " \
    "c.created_at, c.refresh_idle_ttl, c.session_max_ttl, c.offline_idle_ttl, c.refresh_grace, " \
    "c.old_secret_hash, c.old_secret_until, c.integration, c.created_by, c.expires_at, " \
    "c.last_used_at"
#define REALM_COLS "id, name, alg, access_ttl, refresh_idle_ttl, session_max_ttl, " \
    "offline_idle_ttl, created_at, refresh_grace, lockout_threshold, lockout_ip_threshold, " \
    "lockout_base_wait, lockout_max_wait, lockout_reset"
#define SESSION_COLS "id, realm_id, user_id, client_id, offline, created_at, expires_at, " \
    "revoked_at"
#define IMPORT_COLS "id, realm_id, status, format, dry_run, atomic, rows, created, updated, " \
    "failed, errors_truncated, created_at, created_by"
#define ACCESS_COLS "hash, realm_id, client_id, subject, user_id, session_id, scope, " \
    "issued_at, expires_at, revoked_at"

const char *const sqlite_sql[SQ_COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_BEGIN_READ] = "BEGIN",
    [SQ_COMMIT] = "COMMIT",
    [SQ_SAVEPOINT] = "SAVEPOINT op",
    [SQ_RELEASE] = "RELEASE op",
    [SQ_ROLLBACK_TO] = "ROLLBACK TO op",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_PING] = "SELECT 1",

    [SQ_REALM_INSERT] =
        "INSERT INTO realms (name, alg, access_ttl, refresh_idle_ttl, session_max_ttl, "
        "offline_idle_ttl, created_at, refresh_grace, lockout_threshold, lockout_ip_threshold, "
        "lockout_base_wait, lockout_max_wait, lockout_reset) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SQ_REALM_FIND] = "SELECT " REALM_COLS " FROM realms WHERE name = ?1",
    [SQ_REALM_LIST] = "SELECT " REALM_COLS " FROM realms ORDER BY id",
    [SQ_REALM_UPDATE] =
        "UPDATE realms SET access_ttl = ?2, refresh_idle_ttl = ?3, session_max_ttl = ?4, "
        "offline_idle_ttl = ?5, refresh_grace = ?6, alg = ?7, lockout_threshold = ?8, "
        "lockout_ip_threshold = ?9, lockout_base_wait = ?10, lockout_max_wait = ?11, "
        "lockout_reset = ?12 WHERE id = ?1",
    [SQ_CLIENT_MAX_ACCESS_TTL] =
        "SELECT COALESCE(MAX(access_ttl), 0) FROM clients WHERE realm_id = ?1",

    [SQ_ROLE_INSERT] =
        "INSERT INTO roles (realm_id, name, all_permissions) VALUES (?1, ?2, ?3)",
    /* A permission listed twice is one permission. */
    [SQ_ROLE_PERM_INSERT] =
        "INSERT INTO role_permissions (role_id, permission) VALUES (?1, ?2) "
        "ON CONFLICT DO NOTHING",
    [SQ_ROLE_FIND] =
        "SELECT id, realm_id, name, all_permissions FROM roles WHERE realm_id = ?1 AND name = ?2",
    [SQ_ROLE_PERMS] =
        "SELECT permission FROM role_permissions WHERE role_id = ?1 ORDER BY permission",
    [SQ_ROLE_ID] = "SELECT id FROM roles WHERE realm_id = ?1 AND name = ?2",

    [SQ_USER_INSERT] =
        "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [SQ_USER_ROLE_INSERT] =
        "INSERT INTO user_roles (user_id, role_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    [SQ_USER_FIND_BY_NAME] =
        "SELECT " USER_COLS " FROM users WHERE realm_id = ?1 AND username = ?2",
    [SQ_USER_GET] = "SELECT " USER_COLS " FROM users WHERE realm_id = ?1 AND id = ?2",
    [SQ_USER_SET_PASSWORD] =
        "UPDATE users SET password_hash = ?3 WHERE realm_id = ?1 AND id = ?2",
    [SQ_USER_LIST] =
        "SELECT id, realm_id, username, email, first_name, last_name, enabled, NULL, created_at "
        "FROM users WHERE realm_id = ?1 AND username > ?2 ORDER BY username LIMIT ?3",
    [SQ_USER_SET_ENABLED] = "UPDATE users SET enabled = ?3 WHERE realm_id = ?1 AND id = ?2",
    /* One row per role (r.name NULL when the user has none); no row: no such user. */
    [SQ_ACCESS_ROLES] =
        "SELECT r.name, r.all_permissions FROM users u "
        "LEFT JOIN user_roles ur ON ur.user_id = u.id "
        "LEFT JOIN roles r ON r.id = ur.role_id AND r.realm_id = u.realm_id "
        "WHERE u.id = ?2 AND u.realm_id = ?1 ORDER BY r.name",
    [SQ_ACCESS_PERMS] =
        "SELECT DISTINCT rp.permission FROM user_roles ur "
        "JOIN roles r ON r.id = ur.role_id AND r.realm_id = ?1 "
        "JOIN role_permissions rp ON rp.role_id = r.id "
        "WHERE ur.user_id = ?2 ORDER BY rp.permission",

    [SQ_CLIENT_INSERT] =
        "INSERT INTO clients (id, realm_id, client_id, name, confidential, secret_hash, grants, "
        "scopes, default_scopes, owner_user_id, enabled, opaque, access_ttl, created_at, "
        "refresh_idle_ttl, session_max_ttl, offline_idle_ttl, refresh_grace, integration, "
        "created_by, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
        "?19, ?20, ?21)",
    [SQ_CLIENT_FIND] =
        "SELECT " CLIENT_COLS " FROM clients WHERE realm_id = ?1 AND client_id = ?2",
    [SQ_CLIENT_SET_SECRET] =
        "UPDATE clients SET secret_hash = ?3 WHERE realm_id = ?1 AND client_id = ?2",
    [SQ_CLIENT_UPDATE] =
        "UPDATE clients SET access_ttl = ?3, refresh_idle_ttl = ?4, session_max_ttl = ?5, "
        "offline_idle_ttl = ?6, refresh_grace = ?7, scopes = ?8, default_scopes = ?9, "
        "grants = ?10, enabled = ?11, opaque = ?12, name = ?13, owner_user_id = ?14 "
        "WHERE realm_id = ?1 AND client_id = ?2",
    /* One statement, so the old secret is the one current at this instant. */
    [SQ_CLIENT_ROTATE_SECRET] =
        "UPDATE clients SET old_secret_hash = secret_hash, old_secret_until = ?4, "
        "secret_hash = ?3 WHERE realm_id = ?1 AND client_id = ?2 AND confidential = 1",

    [SQ_SESSION_INSERT] =
        "INSERT INTO sessions (id, realm_id, user_id, client_id, offline, created_at, "
        "expires_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
    [SQ_SESSION_REVOKE] =
        "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at = 0",
    [SQ_SESSION_EXISTS] = "SELECT 1 FROM sessions WHERE id = ?1",
    [SQ_SESSION_FIND] = "SELECT " SESSION_COLS " FROM sessions WHERE id = ?1",

    [SQ_REFRESH_INSERT] =
        "INSERT INTO refresh_tokens (hash, session_id, realm_id, client_id, user_id, scope, "
        "issued_at, expires_at, used_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL)",
    [SQ_REFRESH_FIND] =
        "SELECT t.hash, t.session_id, t.realm_id, t.client_id, t.user_id, t.scope, "
        "t.issued_at, t.expires_at, t.used_at, s.expires_at, s.revoked_at, s.created_at, "
        "s.offline, t.retried FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id "
        "WHERE t.hash = ?1",
    /* The rotation itself: exactly one caller can see a change of one row.
     * An unused token becomes used; a token used less than ?3 (the grace)
     * seconds ago and not yet retried becomes retried: SET expressions see
     * the row as it was before the UPDATE, so `used_at IS NOT NULL` tells the
     * two apart and used_at keeps the time of the first rotation. */
    [SQ_REFRESH_USE] =
        "UPDATE refresh_tokens SET used_at = COALESCE(used_at, ?2), "
        "retried = (used_at IS NOT NULL) WHERE hash = ?1 AND (used_at IS NULL "
        "OR (?3 > 0 AND retried = 0 AND used_at > ?2 - ?3))",
    /* The next token joins the old one's family, or nothing is inserted. */
    [SQ_REFRESH_INSERT_NEXT] =
        "INSERT INTO refresh_tokens (hash, session_id, realm_id, client_id, user_id, scope, "
        "issued_at, expires_at, used_at) "
        "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL "
        "WHERE EXISTS (SELECT 1 FROM refresh_tokens WHERE hash = ?9 AND session_id = ?2)",
    [SQ_REFRESH_SESSION_OF] = "SELECT session_id FROM refresh_tokens WHERE hash = ?1",
    /* A revoked family: every token used, and retried so that no reuse grace
     * can bring one back. */
    [SQ_REFRESH_USE_SESSION] =
        "UPDATE refresh_tokens SET used_at = COALESCE(used_at, ?2), retried = 1 "
        "WHERE session_id = ?1 AND (used_at IS NULL OR retried = 0)",

    [SQ_ACCESS_INSERT] =
        "INSERT INTO access_tokens (" ACCESS_COLS ") "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
    [SQ_ACCESS_FIND] = "SELECT " ACCESS_COLS " FROM access_tokens WHERE hash = ?1",
    /* Matches any known token (one change) but keeps the first revocation time. */
    [SQ_ACCESS_REVOKE] =
        "UPDATE access_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2 "
        "ELSE revoked_at END WHERE hash = ?1",
    [SQ_JTI_REVOKE] =
        "INSERT OR IGNORE INTO revoked_jtis (realm_id, jti, expires_at) VALUES (?1, ?2, ?3)",
    [SQ_JTI_IS_REVOKED] = "SELECT 1 FROM revoked_jtis WHERE realm_id = ?1 AND jti = ?2",

    /* Purge: each deletes at most ?2 rows that are past mattering at ?1. A
     * token of an ended session may be listed twice; IN makes it one row. */
    [SQ_PURGE_REFRESH] =
        "DELETE FROM refresh_tokens WHERE rowid IN ("
        "SELECT rowid FROM refresh_tokens WHERE expires_at <= ?1 "
        "UNION ALL "
        "SELECT t.rowid FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id "
        "WHERE s.revoked_at > 0 OR s.expires_at <= ?1 "
        "LIMIT ?2) RETURNING session_id",
    /* A session whose last token was just purged is of no use any more, even an
     * offline one (it has no maximum) or one not yet at its maximum. */
    [SQ_PURGE_SESSION_IF_EMPTY] =
        "DELETE FROM sessions WHERE id = ?1 "
        "AND NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE session_id = ?1)",
    [SQ_PURGE_SESSIONS] =
        "DELETE FROM sessions WHERE rowid IN ("
        "SELECT s.rowid FROM sessions s WHERE (s.revoked_at > 0 OR s.expires_at <= ?1) "
        "AND NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id) "
        "LIMIT ?2)",
    [SQ_PURGE_ACCESS] =
        "DELETE FROM access_tokens WHERE rowid IN ("
        "SELECT rowid FROM access_tokens WHERE expires_at <= ?1 LIMIT ?2)",
    /* Counters not locked any more and quiet for their realm's reset time. */
    [SQ_PURGE_LOCKOUTS] =
        "DELETE FROM lockouts WHERE rowid IN ("
        "SELECT l.rowid FROM lockouts l JOIN realms r ON r.id = l.realm_id "
        "WHERE l.last_failure_at <= ?1 - r.lockout_reset AND l.locked_until <= ?1 "
        "UNION ALL SELECT l.rowid FROM lockouts l "
        "WHERE NOT EXISTS (SELECT 1 FROM realms r WHERE r.id = l.realm_id) LIMIT ?2)",
    [SQ_PURGE_JTIS] =
        "DELETE FROM revoked_jtis WHERE rowid IN ("
        "SELECT rowid FROM revoked_jtis WHERE expires_at <= ?1 LIMIT ?2)",

    [SQ_KEY_INSERT] =
        "INSERT INTO signing_keys (kid, realm_id, alg, private_enc, created_at, active_from, "
        "retire_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [SQ_KEY_LIST] =
        "SELECT kid, realm_id, alg, private_enc, created_at, active_from, retire_at "
        "FROM signing_keys WHERE realm_id = ?1 AND (retire_at = 0 OR retire_at > ?2) "
        "ORDER BY created_at DESC, rowid DESC",
    [SQ_KEY_UPDATE] =
        "UPDATE signing_keys SET active_from = ?2, retire_at = ?3 WHERE kid = ?1",

    /* Imports (upsert.c). Emails are matched without regard to ASCII case
     * (index users_email, migration 0003); LIMIT 2 tells one from several. */
    [SQ_USER_BY_EMAIL] =
        "SELECT username FROM users WHERE realm_id = ?1 AND email = ?2 COLLATE NOCASE LIMIT 2",
    /* One statement: a new user, or the fields of ?8 (enum upsert_set_bits)
     * written over the existing one of that username. */
    [SQ_USER_UPSERT] =
        "INSERT INTO users (id, realm_id, username, email, first_name, last_name, enabled, "
        "password_hash, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?9, ?7) "
        "ON CONFLICT (realm_id, username) DO UPDATE SET "
        "email = CASE WHEN ?8 & 1 THEN excluded.email ELSE email END, "
        "first_name = CASE WHEN ?8 & 2 THEN excluded.first_name ELSE first_name END, "
        "last_name = CASE WHEN ?8 & 4 THEN excluded.last_name ELSE last_name END, "
        "password_hash = CASE WHEN ?8 & 16 THEN excluded.password_hash ELSE password_hash END "
        "RETURNING id",
    [SQ_USER_ROLES_CLEAR] = "DELETE FROM user_roles WHERE user_id = ?1",
    /* The users one series of upserts touched: per connection, never durable. */
    [SQ_SEEN_CREATE] =
        "CREATE TEMP TABLE IF NOT EXISTS import_seen (username TEXT PRIMARY KEY) WITHOUT ROWID",
    [SQ_SEEN_CLEAR] = "DELETE FROM temp.import_seen",
    [SQ_SEEN_ADD] = "INSERT INTO temp.import_seen (username) VALUES (?1)",

    /* Admin API (realm.c): a page of roles after a name cursor. */
    [SQ_ROLE_LIST] =
        "SELECT id, realm_id, name, all_permissions FROM roles "
        "WHERE realm_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3",

    /* Admin REST rows (realm.c, user.c, client.c): updates and deletes. A
     * delete takes everything that hangs on the row in the same transaction
     * (indexes of migration 0004), so no token outlives what it was for. */
    [SQ_ROLE_PERMS_CLEAR] = "DELETE FROM role_permissions WHERE role_id = ?1",
    [SQ_ROLE_LINKS_CLEAR] = "DELETE FROM user_roles WHERE role_id = ?1",
    [SQ_ROLE_DELETE] = "DELETE FROM roles WHERE id = ?1",
    [SQ_USER_UPDATE] =
        "UPDATE users SET email = ?3, first_name = ?4, last_name = ?5, enabled = ?6 "
        "WHERE realm_id = ?1 AND id = ?2",
    [SQ_USER_DELETE] = "DELETE FROM users WHERE realm_id = ?1 AND id = ?2",
    [SQ_USER_OWNED_CLIENTS] =
        "SELECT client_id FROM clients WHERE realm_id = ?1 AND owner_user_id = ?2",
    /* `+realm_id`: found by the user's index, not by the realm's whole range */
    [SQ_USER_ACCESS_DELETE] = "DELETE FROM access_tokens WHERE user_id = ?2 AND +realm_id = ?1",
    [SQ_USER_REFRESH_DELETE] =
        "DELETE FROM refresh_tokens WHERE session_id IN "
        "(SELECT id FROM sessions WHERE user_id = ?2 AND +realm_id = ?1)",
    [SQ_USER_SESSIONS_DELETE] = "DELETE FROM sessions WHERE user_id = ?2 AND +realm_id = ?1",
    [SQ_CLIENT_LIST] =
        "SELECT " CLIENT_COLS " FROM clients WHERE realm_id = ?1 AND client_id > ?2 "
        "ORDER BY client_id LIMIT ?3",
    [SQ_CLIENT_ACCESS_DELETE] = "DELETE FROM access_tokens WHERE realm_id = ?1 AND client_id = ?2",
    [SQ_CLIENT_REFRESH_DELETE] =
        "DELETE FROM refresh_tokens WHERE session_id IN "
        "(SELECT id FROM sessions WHERE realm_id = ?1 AND client_id = ?2)",
    [SQ_CLIENT_SESSIONS_DELETE] = "DELETE FROM sessions WHERE realm_id = ?1 AND client_id = ?2",
    [SQ_CLIENT_DELETE] = "DELETE FROM clients WHERE realm_id = ?1 AND client_id = ?2",
    /* Integrations (integration.c): CLIENT_COLS of the clients, then the owner. */
    [SQ_INTEGRATION_LIST] =
        "SELECT " INTEGRATION_COLS ", u.username, u.enabled FROM clients c "
        "LEFT JOIN users u ON u.id = c.owner_user_id "
        "WHERE c.realm_id = ?1 AND c.integration = 1 AND c.client_id > ?2 "
        "ORDER BY c.client_id LIMIT ?3",
    [SQ_INTEGRATION_EXISTS] =
        "SELECT 1 FROM clients WHERE realm_id = ?1 AND client_id = ?2 AND integration = 1",
    /* The once-a-minute rule lives here too: a row already written within ?4
     * seconds of ?3 is left alone, whichever process or thread wrote it. */
    [SQ_CLIENT_TOUCH] =
        "UPDATE clients SET last_used_at = ?3 "
        "WHERE realm_id = ?1 AND client_id = ?2 AND last_used_at <= ?3 - ?4",
    /* Imports over the API (imports.c): a record and its first row errors. */
    [SQ_IMPORT_INSERT] =
        "INSERT INTO imports (" IMPORT_COLS ") "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    [SQ_IMPORT_ERROR_INSERT] =
        "INSERT INTO import_errors (import_id, seq, row, field, message) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
    [SQ_IMPORT_GET] = "SELECT " IMPORT_COLS " FROM imports WHERE realm_id = ?1 AND id = ?2",
    [SQ_IMPORT_ERRORS] =
        "SELECT row, field, message FROM import_errors WHERE import_id = ?1 ORDER BY seq",
    /* Audit log (audit.c). */
    [SQ_AUDIT_INSERT] =
        "INSERT INTO audit_events (realm_id, seq, at, type, actor, target, client_id, ip, "
        "outcome, detail, prev_hash, hash) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    /* Always one row (an aggregate): the highest seq stored, from the
     * (realm_id, seq) index, and the head's columns (NULL without a head). */
    [SQ_AUDIT_HEAD] =
        "SELECT coalesce(max(seq), 0), "
        "(SELECT seq FROM audit_heads WHERE realm_id = ?1), "
        "(SELECT last_id FROM audit_heads WHERE realm_id = ?1), "
        "(SELECT hash FROM audit_heads WHERE realm_id = ?1) "
        "FROM audit_events WHERE realm_id = ?1",
    /* Moves the head only if it is still where this writer found it. */
    [SQ_AUDIT_HEAD_MOVE] =
        "UPDATE audit_heads SET seq = ?2, last_id = ?3, hash = ?4 "
        "WHERE realm_id = ?1 AND hash = ?5",
    [SQ_AUDIT_HEAD_INSERT] =
        "INSERT INTO audit_heads (realm_id, seq, last_id, hash) VALUES (?1, ?2, ?3, ?4)",
    [SQ_AUDIT_LIST] =
        "SELECT id, realm_id, seq, at, type, actor, target, client_id, ip, outcome, detail, "
        "prev_hash, hash FROM audit_events WHERE realm_id = ?1 AND seq > ?2 AND at >= ?3 "
        "AND (?4 IS NULL OR type = ?4 OR (?5 AND substr(type, 1, length(?4)) = ?4)) "
        "ORDER BY seq LIMIT ?6",
    [SQ_AUDIT_CHECKPOINT_FIND] =
        "SELECT realm_id, seq, event_id, event_at, hash, created_at, sig "
        "FROM audit_checkpoints WHERE realm_id = ?1",
    [SQ_AUDIT_HASH_AT] = "SELECT hash FROM audit_events WHERE realm_id = ?1 AND seq = ?2",
    [SQ_AUDIT_PURGE] = "DELETE FROM audit_events WHERE realm_id = ?1 AND seq <= ?2",
    [SQ_AUDIT_CHECKPOINT_PUT] =
        "INSERT INTO audit_checkpoints (realm_id, seq, event_id, event_at, hash, created_at, sig) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (realm_id) DO UPDATE SET "
        "seq = excluded.seq, event_id = excluded.event_id, event_at = excluded.event_at, "
        "hash = excluded.hash, created_at = excluded.created_at, sig = excluded.sig",

    /* brute-force protection (lockout.c) */
    [SQ_LOCKOUT_FIND] =
        "SELECT failures, first_failure_at, last_failure_at, locked_until FROM lockouts "
        "WHERE realm_id = ?1 AND kind = ?2 AND key = ?3",
    /* ?5: the reset time; a failure that long after the previous one starts over. */
    [SQ_LOCKOUT_COUNT] =
        "INSERT INTO lockouts (realm_id, kind, key, failures, first_failure_at, last_failure_at) "
        "VALUES (?1, ?2, ?3, 1, ?4, ?4) ON CONFLICT (realm_id, kind, key) DO UPDATE SET "
        "failures = CASE WHEN last_failure_at <= ?4 - ?5 THEN 1 ELSE failures + 1 END, "
        "first_failure_at = CASE WHEN last_failure_at <= ?4 - ?5 THEN ?4 "
        "ELSE first_failure_at END, last_failure_at = ?4 "
        "RETURNING failures, first_failure_at, last_failure_at, locked_until",
    [SQ_LOCKOUT_LOCK] =
        "UPDATE lockouts SET locked_until = max(locked_until, ?4) "
        "WHERE realm_id = ?1 AND kind = ?2 AND key = ?3",
    [SQ_LOCKOUT_CLEAR] =
        "DELETE FROM lockouts WHERE realm_id = ?1 AND (?2 IS NULL OR kind = ?2) AND key = ?3",
    [SQ_LOCKOUT_LIST] =
        "SELECT kind, key, failures, first_failure_at, last_failure_at, locked_until "
        "FROM lockouts WHERE realm_id = ?1 AND (kind, key) > (?2, ?3) "
        "ORDER BY kind, key LIMIT ?4",
};
