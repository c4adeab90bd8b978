/* sqlite_internal.h - private to src/store/sqlite/: the SQLite backend's store,
 * its per-thread connections, the prepared statement table and small helpers.
 *
 * Threads: one struct sqlite_store is shared by all threads. Each thread gets
 * its own struct sqlite_conn (one sqlite3 handle opened with
 * SQLITE_OPEN_NOMUTEX and its prepared statements; see store/thread_conns.h),
 * so the query path takes no lock. */
#ifndef KH_STORE_SQLITE_INTERNAL_H
#define KH_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/status.h"
#include "store/migration.h"
#include "store/store.h"
#include "store/thread_conns.h"

/* Every statement the backend runs; the SQL lives in statements.c. */
enum sq_stmt {
    SQ_BEGIN,
    SQ_BEGIN_READ,
    SQ_COMMIT,
    SQ_ROLLBACK,
    SQ_SAVEPOINT,
    SQ_RELEASE,
    SQ_ROLLBACK_TO,
    SQ_PING,
    SQ_REALM_INSERT,
    SQ_REALM_FIND,
    SQ_REALM_LIST,
    SQ_REALM_UPDATE,
    SQ_ROLE_INSERT,
    SQ_ROLE_PERM_INSERT,
    SQ_ROLE_FIND,
    SQ_ROLE_PERMS,
    SQ_ROLE_ID,
    SQ_USER_INSERT,
    SQ_USER_ROLE_INSERT,
    SQ_USER_FIND_BY_NAME,
    SQ_USER_GET,
    SQ_USER_SET_PASSWORD,
    SQ_USER_SET_ENABLED,
    SQ_USER_LIST,
    SQ_ACCESS_ROLES,
    SQ_ACCESS_PERMS,
    SQ_CLIENT_INSERT,
    SQ_CLIENT_FIND,
    SQ_CLIENT_MAX_ACCESS_TTL,
    SQ_CLIENT_SET_SECRET,
    SQ_CLIENT_UPDATE,
    SQ_CLIENT_ROTATE_SECRET,
    SQ_SESSION_INSERT,
    SQ_SESSION_REVOKE,
    SQ_SESSION_EXISTS,
    SQ_SESSION_FIND,
    SQ_REFRESH_INSERT,
    SQ_REFRESH_FIND,
    SQ_REFRESH_USE,
    SQ_REFRESH_INSERT_NEXT,
    SQ_REFRESH_SESSION_OF,
    SQ_REFRESH_USE_SESSION,
    SQ_ACCESS_INSERT,
    SQ_ACCESS_FIND,
    SQ_ACCESS_REVOKE,
    SQ_JTI_REVOKE,
    SQ_JTI_IS_REVOKED,
    SQ_PURGE_REFRESH,
    SQ_PURGE_SESSIONS,
    SQ_PURGE_SESSION_IF_EMPTY,
    SQ_PURGE_ACCESS,
    SQ_PURGE_JTIS,
    SQ_PURGE_LOCKOUTS,
    SQ_KEY_INSERT,
    SQ_KEY_LIST,
    SQ_KEY_UPDATE,
    SQ_USER_BY_EMAIL,
    SQ_USER_UPSERT,
    SQ_USER_ROLES_CLEAR,
    SQ_SEEN_CREATE,
    SQ_SEEN_CLEAR,
    SQ_SEEN_ADD,
    SQ_ROLE_LIST,
    /* admin REST rows: updating and deleting roles, users and clients */
    SQ_ROLE_PERMS_CLEAR,
    SQ_ROLE_LINKS_CLEAR,
    SQ_ROLE_DELETE,
    SQ_USER_UPDATE,
    SQ_USER_DELETE,
    SQ_USER_OWNED_CLIENTS,
    SQ_USER_ACCESS_DELETE,
    SQ_USER_REFRESH_DELETE,
    SQ_USER_SESSIONS_DELETE,
    SQ_CLIENT_LIST,
    SQ_CLIENT_ACCESS_DELETE,
    SQ_CLIENT_REFRESH_DELETE,
    SQ_CLIENT_SESSIONS_DELETE,
    SQ_CLIENT_DELETE,
    /* integrations */
    SQ_INTEGRATION_LIST,
    SQ_INTEGRATION_EXISTS,
    SQ_CLIENT_TOUCH,
    /* imports over the API (imports.c) */
    SQ_IMPORT_INSERT,
    SQ_IMPORT_ERROR_INSERT,
    SQ_IMPORT_GET,
    SQ_IMPORT_ERRORS,
    /* audit log (audit.c) */
    SQ_AUDIT_INSERT,
    SQ_AUDIT_HEAD,
    SQ_AUDIT_HEAD_MOVE,
    SQ_AUDIT_HEAD_INSERT,
    SQ_AUDIT_LIST,
    SQ_AUDIT_CHECKPOINT_FIND,
    SQ_AUDIT_HASH_AT,
    SQ_AUDIT_PURGE,
    SQ_AUDIT_CHECKPOINT_PUT,
    /* brute-force protection (lockout.c) */
    SQ_LOCKOUT_FIND,
    SQ_LOCKOUT_COUNT,
    SQ_LOCKOUT_LOCK,
    SQ_LOCKOUT_CLEAR,
    SQ_LOCKOUT_LIST,
    SQ_COUNT
};

extern const char *const sqlite_sql[SQ_COUNT];

struct sqlite_conn {
    struct thread_conn link;         /* first: the store's per-thread connections */
    struct sqlite_store *st;
    sqlite3 *db;
    sqlite3_stmt *stmts[SQ_COUNT];   /* prepared on first use, reused */
    bool snapshot;                   /* inside store_read_begin/end */
    bool nested_read;                /* a read transaction folded into the snapshot */
    bool writer;                     /* holds st->write_mu (inside BEGIN IMMEDIATE) */
    bool batch;                      /* inside store_batch_begin/end: ops are savepoints */
};

struct sqlite_store {
    struct store base; /* first: a struct store * is a struct sqlite_store * */
    char *path;
    struct thread_conns conns; /* this thread's struct sqlite_conn */
    /* Write transactions of this process take turns here before BEGIN IMMEDIATE.
     * Not for correctness (that is SQLite's write lock and the SQL itself), but
     * so that our own threads queue on a mutex instead of SQLite's busy handler,
     * which sleeps for milliseconds. Other processes still meet busy_timeout. */
    pthread_mutex_t write_mu;
};

/* conn.c */
enum kh_status sqlite_store_open(const char *url, struct store **out);
void sqlite_store_close(struct store *s);
/* Opens a connection to path with the per-connection pragmas (not journal_mode). */
enum kh_status sqlite_db_open(const char *path, sqlite3 **out);
/* The calling thread's connection, opened on first use; NULL (logged) on failure. */
struct sqlite_conn *sqlite_conn_get(struct store *s);
/* The same for an autocommit write: ends this thread's read snapshot first,
 * so that the write is not folded into it. */
struct sqlite_conn *sqlite_conn_write(struct store *s);
/* The prepared statement id of c, reset and unbound; NULL (logged) on failure. */
sqlite3_stmt *sqlite_stmt(struct sqlite_conn *c, enum sq_stmt id);
/* Resets st and clears its bindings so it holds no lock and no stale value. */
void sqlite_stmt_done(sqlite3_stmt *st);
/* Maps the connection's last error: unique/primary key -> KH_ERR_CONFLICT,
 * foreign key -> KH_ERR_NOTFOUND (a referenced record is missing), anything
 * else -> KH_ERR_STORE, logged with op (never with a value). */
enum kh_status sqlite_fail(struct sqlite_conn *c, const char *op);
/* Steps a write statement to SQLITE_DONE then resets it. */
enum kh_status sqlite_exec_stmt(struct sqlite_conn *c, sqlite3_stmt *st, const char *op);
/* BEGIN IMMEDIATE (write) or BEGIN (read snapshot). */
enum kh_status sqlite_tx_begin(struct sqlite_conn *c, bool write, const char *op);
/* rc == KH_OK: COMMIT (a failed commit rolls back and gives KH_ERR_STORE);
 * otherwise ROLLBACK if a transaction is still open. Returns the final status. */
enum kh_status sqlite_tx_end(struct sqlite_conn *c, enum kh_status rc, const char *op);

/* migrate.c: applies every migration above the schema version of db, each in
 * its own BEGIN IMMEDIATE transaction with the version bump. Safe against
 * concurrent openers. A failure is logged with the migration's name. */
enum kh_status sqlite_migrate(sqlite3 *db, const struct migration *m, size_t n);
/* The schema version of db (0 for a fresh database). */
enum kh_status sqlite_schema_version(sqlite3 *db, int64_t *out);

/* Column and binding helpers (conn.c). */
const char *sqlite_col_str(struct arena *a, sqlite3_stmt *st, int col); /* NULL for NULL */
int sqlite_bind_str(sqlite3_stmt *st, int idx, const char *s);          /* NULL binds NULL */
/* Steps st to the end, collecting column 0 of each row (strings) in the arena. */
enum kh_status sqlite_read_strings(struct sqlite_conn *c, sqlite3_stmt *st, struct arena *a,
                                   const char ***out, size_t *n, const char *op);
/* A growable array of n elements of size elem in an arena (old copies stay in the arena). */
void *sqlite_arr_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t elem);

/* The ops, one file per record kind. */
enum kh_status sqlite_ping(struct store *s);
void sqlite_read_begin(struct store *s);
void sqlite_read_end(struct store *s);
enum kh_status sqlite_snapshot_begin(struct store *s);
enum kh_status sqlite_batch_begin(struct store *s);
enum kh_status sqlite_batch_end(struct store *s);
void sqlite_batch_abort(struct store *s);
enum kh_status sqlite_realm_create(struct store *s, const struct realm *r, int64_t *id_out);
enum kh_status sqlite_realm_find(struct store *s, struct arena *a, const char *name,
                                 struct realm *out);
enum kh_status sqlite_realm_list(struct store *s, struct arena *a, struct realm **out, size_t *n);
enum kh_status sqlite_realm_update(struct store *s, const struct realm *r);
enum kh_status sqlite_role_create(struct store *s, const struct role *r, int64_t *id_out);
enum kh_status sqlite_role_find(struct store *s, struct arena *a, int64_t realm_id,
                                const char *name, struct role *out);
enum kh_status sqlite_role_list(struct store *s, struct arena *a, int64_t realm_id,
                                const char *after, size_t limit, struct role **out, size_t *n);
enum kh_status sqlite_user_create(struct store *s, const struct user *u,
                                  const char *const *role_names, size_t n_roles);
enum kh_status sqlite_user_find_by_name(struct store *s, struct arena *a, int64_t realm_id,
                                        const char *username, struct user *out);
enum kh_status sqlite_user_get(struct store *s, struct arena *a, int64_t realm_id,
                               const char *id, struct user *out);
enum kh_status sqlite_user_set_password(struct store *s, int64_t realm_id, const char *id,
                                        const char *password_hash);
enum kh_status sqlite_user_set_enabled(struct store *s, int64_t realm_id, const char *id,
                                       bool enabled);
enum kh_status sqlite_user_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                                size_t limit, struct user **out, size_t *n);
enum kh_status sqlite_user_access(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *user_id, struct user *user, struct access *out);
enum kh_status sqlite_client_create(struct store *s, const struct client *c);
enum kh_status sqlite_client_max_access_ttl(struct store *s, int64_t realm_id, int64_t *out);
enum kh_status sqlite_client_find(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *client_id, struct client *out);
enum kh_status sqlite_client_context(struct store *s, struct arena *a, int64_t realm_id,
                                     const char *client_id, struct client_context *ctx);
enum kh_status sqlite_client_set_secret(struct store *s, int64_t realm_id, const char *client_id,
                                        const uint8_t hash[SHA256_LEN]);
enum kh_status sqlite_client_update(struct store *s, const struct client *c);
enum kh_status sqlite_client_rotate_secret(struct store *s, int64_t realm_id,
                                           const char *client_id,
                                           const uint8_t hash[SHA256_LEN], int64_t old_until);
enum kh_status sqlite_session_start(struct store *s, const struct session *sess,
                                    const struct refresh_token *first);
enum kh_status sqlite_refresh_find(struct store *s, struct arena *a,
                                   const uint8_t hash[SHA256_LEN], struct refresh_token *out);
enum kh_status sqlite_refresh_rotate(struct store *s, const uint8_t old_hash[SHA256_LEN],
                                     const struct refresh_token *next, int64_t now,
                                     int64_t grace);
enum kh_status sqlite_session_revoke(struct store *s, const char *session_id, int64_t now);
enum kh_status sqlite_session_find(struct store *s, struct arena *a, const char *session_id,
                                   struct session *out);
enum kh_status sqlite_access_insert(struct store *s, const struct access_token *t);
enum kh_status sqlite_access_find(struct store *s, struct arena *a,
                                  const uint8_t hash[SHA256_LEN], struct access_token *out);
enum kh_status sqlite_access_revoke(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now);
enum kh_status sqlite_jti_revoke(struct store *s, int64_t realm_id, const char *jti,
                                 int64_t expires_at);
enum kh_status sqlite_jti_is_revoked(struct store *s, int64_t realm_id, const char *jti);
enum kh_status sqlite_purge(struct store *s, int64_t now, size_t batch, struct purge_counts *out);
enum kh_status sqlite_key_insert(struct store *s, const struct signing_key *k);
enum kh_status sqlite_key_update(struct store *s, const char *kid, int64_t active_from,
                                 int64_t retire_at);
enum kh_status sqlite_key_list(struct store *s, struct arena *a, int64_t realm_id,
                               struct signing_key **out, size_t *n);
enum kh_status sqlite_user_upsert_begin(struct store *s);
enum kh_status sqlite_user_upsert(struct store *s, int64_t realm_id, struct user_upsert *rows,
                                  size_t n);
/* admin REST rows */
enum kh_status sqlite_role_update(struct store *s, int64_t realm_id, const char *name,
                                  const char *const *permissions, size_t n);
enum kh_status sqlite_role_delete(struct store *s, int64_t realm_id, const char *name);
enum kh_status sqlite_user_update(struct store *s, const struct user *u,
                                  const char *const *roles, size_t n_roles);
enum kh_status sqlite_user_delete(struct store *s, int64_t realm_id, const char *id);
enum kh_status sqlite_client_list(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *after, size_t limit, struct client **out,
                                  size_t *n);
enum kh_status sqlite_client_delete(struct store *s, int64_t realm_id, const char *client_id);
/* client_delete's work inside the caller's transaction (user_delete takes the
 * clients a user owns with it); KH_ERR_NOTFOUND if there was no such client. */
enum kh_status sqlite_client_delete_in(struct sqlite_conn *c, int64_t realm_id,
                                       const char *client_id);
/* integrations (integration.c) */
void sqlite_read_client(struct arena *a, sqlite3_stmt *st, struct client *cl);
enum kh_status sqlite_integration_list(struct store *s, struct arena *a, int64_t realm_id,
                                       const char *after, size_t limit, struct integration **out,
                                       size_t *n);
enum kh_status sqlite_integration_delete(struct store *s, int64_t realm_id, const char *client_id);
enum kh_status sqlite_client_touch(struct store *s, const struct client_use *uses, size_t n,
                                   int64_t min_interval);
/* imports over the API (imports.c) */
enum kh_status sqlite_import_insert(struct store *s, const struct import_record *r);
enum kh_status sqlite_import_get(struct store *s, struct arena *a, int64_t realm_id,
                                 const char *id, struct import_record *out);
/* audit log (audit.c) */
enum kh_status sqlite_audit_append(struct store *s, struct audit_entry *rows, size_t n);
enum kh_status sqlite_audit_head(struct store *s, int64_t realm_id, struct audit_head *out);
enum kh_status sqlite_audit_list(struct store *s, struct arena *a, const struct audit_query *q,
                                 struct audit_entry **out, size_t *n);
enum kh_status sqlite_audit_checkpoint_find(struct store *s, int64_t realm_id,
                                            struct audit_checkpoint *out);
enum kh_status sqlite_audit_purge(struct store *s, const struct audit_checkpoint *cp,
                                  int64_t prev_seq, size_t *removed);
/* brute-force protection (lockout.c) */
enum kh_status sqlite_lockout_find(struct store *s, int64_t realm_id, struct lockout_row *rows,
                                   size_t n);
enum kh_status sqlite_lockout_fail(struct store *s, int64_t realm_id, const char *kind,
                                   const char *key, int64_t now, const struct lockout_rule *rule,
                                   struct lockout_row *out);
enum kh_status sqlite_lockout_clear(struct store *s, int64_t realm_id, const char *kind,
                                    const char *key);
enum kh_status sqlite_lockout_list(struct store *s, struct arena *a, int64_t realm_id,
                                   const char *after_kind, const char *after_key, size_t limit,
                                   struct lockout_row **out, size_t *n);

#endif
