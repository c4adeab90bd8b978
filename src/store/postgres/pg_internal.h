/* pg_internal.h - private to src/store/postgres/: the PostgreSQL backend's
 * store, its per-thread connections, statements, parameters and results.
 *
 * Threads: one struct pg_store is shared by all threads. Each thread gets its
 * own struct pg_conn (one PGconn and the statements prepared on it; see
 * store/thread_conns.h), so the query path takes no lock.
 *
 * Statements: each ops file declares the SQL it runs next to the code, as
 *     static struct pg_stmt realm_find = PG_STMT("SELECT ... WHERE name = $1");
 * A statement gets a slot number on its first use in the process and is
 * prepared (PQprepare, named "kh<slot>") on each connection the first time
 * that connection runs it.
 *
 * Parameters are sent as text, except bytes (BYTEA), sent binary. Results
 * come back as text; pg_int/pg_str/pg_bytes read them.
 *
 * Correctness lives in SQL: an op that must decide atomically (a refresh
 * rotation, a lock counter) is one statement or one transaction whose
 * statements lock the rows they decide on; affected row counts are checked.
 *
 * Faults: a connection found broken is reset (reconnected, its statements
 * forgotten) at the start of the next op on that thread; the op that met the
 * fault gets KH_ERR_STORE. Nothing is retried behind the caller's back. */
#ifndef KH_STORE_PG_INTERNAL_H
#define KH_STORE_PG_INTERNAL_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/status.h"
#include "store/migration.h"
#include "store/store.h"
#include "store/thread_conns.h"

#define PG_MAX_STMTS 256  /* distinct statements in the whole backend */
#define PG_MAX_PARAMS 32

struct pg_stmt {
    const char *sql;
    atomic_int slot; /* 0: not yet used; else 1 + index into pg_conn.prepared */
};
#define PG_STMT(text) {.sql = (text)}

/* The parameters of one statement, in $1, $2, ... order. Values point into
 * the caller's memory (strings, bytes) or into ints[] (numbers): the struct
 * lives until the statement ran. */
struct pg_params {
    int n;
    const char *values[PG_MAX_PARAMS];
    int lengths[PG_MAX_PARAMS];
    int formats[PG_MAX_PARAMS];
    char ints[PG_MAX_PARAMS][24];
};

void pg_p_int(struct pg_params *p, int64_t v);
void pg_p_limit(struct pg_params *p, size_t limit); /* a LIMIT, at most INT32_MAX */
void pg_p_bool(struct pg_params *p, bool v);       /* 0 or 1 (SMALLINT columns) */
void pg_p_str(struct pg_params *p, const char *s); /* NULL sends NULL */
void pg_p_bytes(struct pg_params *p, const void *b, size_t n); /* BYTEA; NULL sends NULL */

struct pg_conn {
    struct thread_conn link;     /* first: the store's per-thread connections */
    struct pg_store *st;
    PGconn *db;
    bool prepared[PG_MAX_STMTS];
    int tx_depth;                /* 0: autocommit; 1: in BEGIN; more: savepoints inside */
    bool batch;                  /* inside store_batch_begin/end */
    bool tx_failed;              /* a statement of the open transaction failed */
    bool snapshot;               /* inside store_snapshot_begin/end (tx_depth 1) */
};

/* Every request reads its realm by name, and realms change rarely: each
 * instance keeps the realm rows it read for PG_REALM_CACHE_US. A change made
 * through this instance drops its row at once; one made through another
 * instance is seen here within that time (see realm.c). */
#define PG_REALM_CACHE_US 1000000
#define PG_REALM_CACHE_MAX 32
struct pg_cached_realm {
    struct realm realm;           /* name and alg point into the arrays below */
    char name[64];
    char alg[16];
    int64_t until_us;             /* clock_mono_us(); 0: a free slot */
};

struct pg_store {
    struct store base; /* first: a struct store * is a struct pg_store * */
    char *url;
    struct thread_conns conns; /* this thread's struct pg_conn */
    pthread_mutex_t realms_mu;
    struct pg_cached_realm realms[PG_REALM_CACHE_MAX];
};

/* A user's columns in the order pg_read_user reads them; t is a table alias
 * with its dot ("u.") or "". */
#define PG_USER_COLS(t) \
    t "id, " t "realm_id, " t "username, " t "email, " t "first_name, " t "last_name, " \
    t "enabled, " t "password_hash, " t "created_at"
#define PG_USER_NCOLS 9
/* Joins what user U (a table alias; all NULL: none) holds as x(kind, name,
 * all_permissions): a row (1, role, all_permissions) per role and a row
 * (2, permission, 0) per distinct permission of those roles; without any,
 * one row of NULLs. Read with pg_read_access. */
#define PG_ACCESS_JOIN(U) \
    "LEFT JOIN LATERAL (SELECT 1 AS kind, r.name, r.all_permissions " \
    "FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.realm_id = " U ".realm_id " \
    "WHERE ur.user_id = " U ".id UNION ALL SELECT DISTINCT 2, p.permission, 0 " \
    "FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.realm_id = " U ".realm_id " \
    "JOIN role_permissions p ON p.role_id = r.id WHERE ur.user_id = " U ".id) x ON true"

/* A lockout counter's columns (t as in PG_USER_COLS), read by pg_read_counts
 * (lockout.c) from column `col` into r's counts (all NULL reads as 0). */
#define PG_LOCKOUT_COLS(t) \
    t "failures, " t "first_failure_at, " t "last_failure_at, " t "locked_until"
void pg_read_counts(const PGresult *res, int row, int col, struct lockout_row *r);

/* user.c: the PG_USER_COLS at column `col` of a row into *out; the access
 * rows of a PG_ACCESS_JOIN whose x.kind is column `col` into *acc. */
void pg_read_user(struct arena *a, const PGresult *res, int row, int col, struct user *out);
void pg_read_access(struct arena *a, const PGresult *res, int col, struct access *acc);

/* conn.c */
enum kh_status pg_store_open(const char *url, struct store **out);
void pg_store_close(struct store *s);
/* Connects to url (connect_timeout 5 s unless the URL sets one); NULL (logged). */
PGconn *pg_connect(const char *url);
/* The calling thread's connection, opened on first use and reset if it broke;
 * NULL (logged) when the database cannot be reached. */
struct pg_conn *pg_conn_get(struct store *s);

/* Runs st with p (NULL: no parameters). KH_OK with *out (PQclear it) for a
 * statement that returned rows or ran; otherwise the mapped error: unique
 * violation -> KH_ERR_CONFLICT, foreign key violation -> KH_ERR_NOTFOUND,
 * anything else -> KH_ERR_STORE, logged with op and the SQLSTATE (never a
 * value: the DETAIL field, which holds values, is not logged). out may be
 * NULL when the caller needs no result. */
enum kh_status pg_exec(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                       const char *op, PGresult **out);
/* pg_exec for a statement that finds one row (read from row 0): KH_ERR_NOTFOUND
 * when it returned none (nothing to PQclear then). */
enum kh_status pg_exec_row(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                           const char *op, PGresult **out);
/* A page of a realm's rows: st takes $1 realm_id, $2 the cursor (after; NULL
 * sends "", before every key) and $3 the limit (pg_p_limit); on the
 * calling thread's connection. */
enum kh_status pg_exec_page(struct store *s, struct pg_stmt *st, int64_t realm_id,
                            const char *after, size_t limit, const char *op, PGresult **out);
/* pg_exec for a write whose affected row count matters: *changed gets it. */
enum kh_status pg_exec_count(struct pg_conn *c, struct pg_stmt *st, const struct pg_params *p,
                             const char *op, int64_t *changed);

/* Transactions. pg_tx_begin opens a transaction (BEGIN), or inside one (a
 * batch, or an op calling another) a savepoint. pg_tx_end commits (rc KH_OK)
 * or rolls back, releasing the savepoint inside a transaction, and returns
 * the final status (a failed COMMIT gives KH_ERR_STORE). Every begin is
 * paired with one end. */
enum kh_status pg_tx_begin(struct pg_conn *c, const char *op);
enum kh_status pg_tx_end(struct pg_conn *c, enum kh_status rc, const char *op);

/* Reading text results. NULL reads as 0 / false / NULL. */
int64_t pg_int(const PGresult *r, int row, int col);
bool pg_bool(const PGresult *r, int row, int col);
const char *pg_str(struct arena *a, const PGresult *r, int row, int col);
/* A BYTEA of exactly n bytes into out; false (out zeroed) for NULL or any
 * other length. */
bool pg_bytes(const PGresult *r, int row, int col, uint8_t *out, size_t n);
/* A BYTEA of any length, copied into the arena; NULL for NULL. */
const uint8_t *pg_bytes_dup(struct arena *a, const PGresult *r, int row, int col, size_t *len);
/* Array literals, for a statement that takes any number of values in one
 * parameter (`= ANY($1::text[])`, `unnest($1::bigint[])`). The buf holds
 * "{" before the first element; the caller appends "}". pg_array_str quotes
 * every element with " and \\ escaped (NULL: the NULL element), so that no
 * value reads as anything but itself. */
struct buf;
enum kh_status pg_array_str(struct buf *b, const char *s);
enum kh_status pg_array_int(struct buf *b, int64_t v);
/* v[0..n) as a text[] literal in the arena; NULL when out of memory. */
const char *pg_text_array(struct arena *a, const char *const *v, size_t n);

/* Column col of every row, as strings in the arena. */
void pg_strings(struct arena *a, const PGresult *r, int col, const char ***out, size_t *n);

/* migrate.c: applies every migration above the schema version, under a
 * session advisory lock so that instances starting at once apply each one
 * exactly once, each in its own transaction with the version bump. */
enum kh_status pg_migrate(PGconn *db, const struct migration *m, size_t n);

/* The ops, one file per record kind (as in src/store/sqlite/). */
enum kh_status pg_ping(struct store *s);
void pg_read_begin(struct store *s);
void pg_read_end(struct store *s);
enum kh_status pg_snapshot_begin(struct store *s);
void pg_snapshot_end(struct store *s);
enum kh_status pg_batch_begin(struct store *s);
enum kh_status pg_batch_end(struct store *s);
void pg_batch_abort(struct store *s);
/* realm.c */
enum kh_status pg_realm_create(struct store *s, const struct realm *r, int64_t *id_out);
enum kh_status pg_realm_find(struct store *s, struct arena *a, const char *name,
                             struct realm *out);
enum kh_status pg_realm_list(struct store *s, struct arena *a, struct realm **out, size_t *n);
enum kh_status pg_realm_update(struct store *s, const struct realm *r);
enum kh_status pg_role_create(struct store *s, const struct role *r, int64_t *id_out);
enum kh_status pg_role_find(struct store *s, struct arena *a, int64_t realm_id, const char *name,
                            struct role *out);
enum kh_status pg_role_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                            size_t limit, struct role **out, size_t *n);
enum kh_status pg_role_update(struct store *s, int64_t realm_id, const char *name,
                              const char *const *permissions, size_t n);
enum kh_status pg_role_delete(struct store *s, int64_t realm_id, const char *name);
/* user.c */
enum kh_status pg_user_create(struct store *s, const struct user *u,
                              const char *const *role_names, size_t n_roles);
enum kh_status pg_user_find_by_name(struct store *s, struct arena *a, int64_t realm_id,
                                    const char *username, struct user *out);
enum kh_status pg_user_get(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                           struct user *out);
enum kh_status pg_user_set_password(struct store *s, int64_t realm_id, const char *id,
                                    const char *password_hash);
enum kh_status pg_user_set_enabled(struct store *s, int64_t realm_id, const char *id,
                                   bool enabled);
enum kh_status pg_user_list(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                            size_t limit, struct user **out, size_t *n);
enum kh_status pg_user_access(struct store *s, struct arena *a, int64_t realm_id,
                              const char *user_id, struct user *user, struct access *out);
enum kh_status pg_user_update(struct store *s, const struct user *u, const char *const *roles,
                              size_t n_roles);
enum kh_status pg_user_delete(struct store *s, int64_t realm_id, const char *id);
/* upsert.c */
enum kh_status pg_user_upsert_begin(struct store *s);
enum kh_status pg_user_upsert(struct store *s, int64_t realm_id, struct user_upsert *rows,
                              size_t n);
/* client.c */
enum kh_status pg_client_create(struct store *s, const struct client *c);
enum kh_status pg_client_find(struct store *s, struct arena *a, int64_t realm_id,
                              const char *client_id, struct client *out);
enum kh_status pg_client_context(struct store *s, struct arena *a, int64_t realm_id,
                                 const char *client_id, struct client_context *ctx);
enum kh_status pg_client_max_access_ttl(struct store *s, int64_t realm_id, int64_t *out);
enum kh_status pg_client_set_secret(struct store *s, int64_t realm_id, const char *client_id,
                                    const uint8_t hash[SHA256_LEN]);
enum kh_status pg_client_update(struct store *s, const struct client *c);
enum kh_status pg_client_rotate_secret(struct store *s, int64_t realm_id, const char *client_id,
                                       const uint8_t hash[SHA256_LEN], int64_t old_until);
enum kh_status pg_client_list(struct store *s, struct arena *a, int64_t realm_id,
                              const char *after, size_t limit, struct client **out, size_t *n);
enum kh_status pg_client_delete(struct store *s, int64_t realm_id, const char *client_id);
/* client_delete's work inside the caller's transaction (user_delete takes the
 * clients a user owns with it); KH_ERR_NOTFOUND if there was no such client. */
enum kh_status pg_client_delete_in(struct pg_conn *c, int64_t realm_id, const char *client_id);
/* integration.c */
enum kh_status pg_integration_list(struct store *s, struct arena *a, int64_t realm_id,
                                   const char *after, size_t limit, struct integration **out,
                                   size_t *n);
enum kh_status pg_integration_delete(struct store *s, int64_t realm_id, const char *client_id);
enum kh_status pg_client_touch(struct store *s, const struct client_use *uses, size_t n,
                               int64_t min_interval);
/* key.c */
enum kh_status pg_key_insert(struct store *s, const struct signing_key *k);
enum kh_status pg_key_update(struct store *s, const char *kid, int64_t active_from,
                             int64_t retire_at);
enum kh_status pg_key_list(struct store *s, struct arena *a, int64_t realm_id,
                           struct signing_key **out, size_t *n);
/* session.c */
enum kh_status pg_session_start(struct store *s, const struct session *sess,
                                const struct refresh_token *first);
enum kh_status pg_refresh_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                               struct refresh_token *out);
enum kh_status pg_refresh_rotate(struct store *s, const uint8_t old_hash[SHA256_LEN],
                                 const struct refresh_token *next, int64_t now, int64_t grace);
enum kh_status pg_session_revoke(struct store *s, const char *session_id, int64_t now);
enum kh_status pg_session_find(struct store *s, struct arena *a, const char *session_id,
                               struct session *out);
/* access.c */
enum kh_status pg_access_insert(struct store *s, const struct access_token *t);
enum kh_status pg_access_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                              struct access_token *out);
enum kh_status pg_access_revoke(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now);
enum kh_status pg_jti_revoke(struct store *s, int64_t realm_id, const char *jti,
                             int64_t expires_at);
enum kh_status pg_jti_is_revoked(struct store *s, int64_t realm_id, const char *jti);
/* purge.c */
enum kh_status pg_purge(struct store *s, int64_t now, size_t batch, struct purge_counts *out);
/* lockout.c */
enum kh_status pg_lockout_find(struct store *s, int64_t realm_id, struct lockout_row *rows,
                               size_t n);
enum kh_status pg_lockout_fail(struct store *s, int64_t realm_id, const char *kind,
                               const char *key, int64_t now, const struct lockout_rule *rule,
                               struct lockout_row *out);
enum kh_status pg_lockout_clear(struct store *s, int64_t realm_id, const char *kind,
                                const char *key);
enum kh_status pg_lockout_list(struct store *s, struct arena *a, int64_t realm_id,
                               const char *after_kind, const char *after_key, size_t limit,
                               struct lockout_row **out, size_t *n);
/* imports.c */
enum kh_status pg_import_insert(struct store *s, const struct import_record *r);
enum kh_status pg_import_get(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                             struct import_record *out);
/* audit.c */
enum kh_status pg_audit_append(struct store *s, struct audit_entry *rows, size_t n);
enum kh_status pg_audit_head(struct store *s, int64_t realm_id, struct audit_head *out);
enum kh_status pg_audit_list(struct store *s, struct arena *a, const struct audit_query *q,
                             struct audit_entry **out, size_t *n);
enum kh_status pg_audit_checkpoint_find(struct store *s, int64_t realm_id,
                                        struct audit_checkpoint *out);
enum kh_status pg_audit_purge(struct store *s, const struct audit_checkpoint *cp,
                              int64_t prev_seq, size_t *removed);

#endif
