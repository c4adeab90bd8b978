/* store.h - keyhold's persistent state behind a const ops table.
 *
 * A backend (sqlite/, later postgres/) implements struct store_ops. Callers use
 * the store_*() wrappers below, never the backend directly.
 *
 * Threads: one struct store is shared by every thread; each backend keeps one
 * connection (and its prepared statements) per thread, opened lazily and
 * closed when the thread exits or the store closes.
 *
 * Memory: records returned by _find/_get/_list are allocated in the caller's
 * arena (strings included) and live as long as it. Out-parameters are written
 * only on success.
 *
 * Errors: KH_ERR_NOTFOUND when a _find misses, KH_ERR_CONFLICT for a unique
 * name taken (or a lost race, see store_refresh_rotate), KH_ERR_STORE for
 * anything the database itself failed at. Every operation is one transaction:
 * nothing half-written is ever left behind. */
#ifndef KH_STORE_H
#define KH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "core/hash.h"
#include "core/status.h"

/* Grant types a client may use (a bitmask stored as an integer). */
enum grant_bits {
    GRANT_PASSWORD = 1u << 0,
    GRANT_CLIENT_CREDENTIALS = 1u << 1,
    GRANT_REFRESH_TOKEN = 1u << 2,
};

struct realm {
    int64_t id;
    const char *name;             /* [a-z0-9][a-z0-9_-]{0,62} */
    const char *alg;              /* "ES256" | "RS256" | "EdDSA": the signing algorithm */
    int64_t access_ttl;           /* seconds, default 300 */
    int64_t refresh_idle_ttl;     /* default 1800 */
    int64_t session_max_ttl;      /* default 36000 */
    int64_t offline_idle_ttl;     /* default 2592000 */
    int64_t refresh_grace;        /* seconds a rotated refresh token may be retried once; default 0 */
    int64_t created_at;
    /* Brute-force protection (migration 0008; see struct lockout_rule): */
    int64_t lockout_threshold;    /* failures of a user or client before it waits; 0: off (default 5) */
    int64_t lockout_ip_threshold; /* failures from one address before it waits; 0: off (default 20) */
    int64_t lockout_base_wait;    /* the first wait, seconds (default 30) */
    int64_t lockout_max_wait;     /* the longest wait (default 900) */
    int64_t lockout_reset;        /* failures are forgotten after this quiet time (default 43200) */
};

struct role {
    int64_t id;
    int64_t realm_id;
    const char *name;
    bool all_permissions;         /* the built-in admin role: every permission */
    const char **permissions;     /* n_permissions strings */
    size_t n_permissions;
};

struct user {
    const char *id;               /* UUID, the token subject */
    int64_t realm_id;
    const char *username;         /* stored lowercased; unique per realm */
    const char *email;            /* may be NULL */
    const char *first_name;       /* may be NULL */
    const char *last_name;        /* may be NULL */
    bool enabled;
    const char *password_hash;    /* PHC string; NULL when the user has no password */
    int64_t created_at;
};

/* What a subject holds now: its roles and the union of their permissions. */
struct access {
    const char **roles;
    size_t n_roles;
    const char **permissions;     /* distinct, sorted */
    size_t n_permissions;
    bool all_permissions;         /* one of the roles holds every permission */
};

struct client {
    const char *id;               /* UUID, internal */
    int64_t realm_id;
    const char *client_id;        /* unique per realm */
    const char *name;             /* may be NULL */
    bool confidential;            /* has a secret */
    uint8_t secret_hash[SHA256_LEN]; /* SHA-256 of the secret; meaningful if confidential */
    unsigned grants;              /* enum grant_bits */
    const char *scopes;           /* allowed scopes, space-separated ("" none) */
    const char *default_scopes;   /* space-separated subset of scopes */
    const char *owner_user_id;    /* NULL: no owner (subject is the client) */
    bool enabled;
    bool opaque;                  /* access token format: opaque instead of JWT */
    int64_t access_ttl;           /* 0: the realm's */
    int64_t refresh_idle_ttl;     /* 0: the realm's */
    int64_t session_max_ttl;      /* 0: the realm's */
    int64_t offline_idle_ttl;     /* 0: the realm's */
    int64_t refresh_grace;        /* -1: the realm's; 0 or more: this client's */
    /* The previous secret during a rotation's grace (read only here; written by
     * client_rotate_secret): valid while old_secret_until > now. */
    uint8_t old_secret_hash[SHA256_LEN];
    int64_t old_secret_until;     /* 0: no previous secret */
    int64_t created_at;
    /* Integrations (migration 0005): */
    bool integration;             /* created as "new client credentials" for its owner */
    const char *created_by;       /* a user id, "client:<client_id>" or "cli"; may be NULL */
    int64_t expires_at;           /* its secrets authenticate while now < expires_at; 0: never */
    int64_t last_used_at;         /* the last token issued to it (to the minute); 0: never */
};

/* An integration as listed: the client and its owner as it is now. */
struct integration {
    struct client client;
    const char *owner_username;
    bool owner_enabled;
};

/* A client's use to record (store_client_touch). */
struct client_use {
    int64_t realm_id;
    const char *client_id;
    int64_t at;
};

struct session {
    const char *id;               /* UUID: `sid` and `session_state` */
    int64_t realm_id;
    const char *user_id;          /* NULL when the subject is a client */
    const char *client_id;        /* the client_id string it was started by */
    bool offline;
    int64_t created_at;           /* = auth_time */
    int64_t expires_at;           /* session maximum */
    int64_t revoked_at;           /* 0 while alive */
};

/* A refresh token as stored: never the token itself, only its SHA-256. */
struct refresh_token {
    uint8_t hash[SHA256_LEN];
    const char *session_id;       /* the family */
    int64_t realm_id;
    const char *client_id;
    const char *user_id;          /* NULL when the subject is a client */
    const char *scope;            /* granted scope, space-separated */
    int64_t issued_at;
    int64_t expires_at;           /* idle expiry of this token */
    int64_t used_at;              /* 0 until rotated */
    bool retried;                 /* presented again once within the reuse grace */
    /* joined from the session (read only, ignored on insert): */
    int64_t session_expires_at;
    int64_t session_revoked_at;
    int64_t auth_time;
    bool offline;
};

/* An opaque access token (kha_…) as stored: only its SHA-256. */
struct access_token {
    uint8_t hash[SHA256_LEN];
    int64_t realm_id;
    const char *client_id;
    const char *subject;          /* the token's `sub`: user id or the client's id */
    const char *user_id;          /* NULL when the subject is a client */
    const char *session_id;       /* NULL without a session */
    const char *scope;
    int64_t issued_at;
    int64_t expires_at;
    int64_t revoked_at;           /* 0 while valid */
};

/* What one purge pass removed (see purge). */
struct purge_counts {
    size_t refresh_tokens;
    size_t sessions;
    size_t access_tokens;
    size_t revoked_jtis;
    size_t lockouts;              /* brute-force counters forgotten and not locked */
};

/* Brute-force protection: one failure counter (store_lockout_*). kind is
 * "user" (key: lowercased username), "ip" (failed logins from that address),
 * "client" (key: client_id) or "client_ip" (failed client authentications
 * from that address). A key without a row reads as failures 0. */
struct lockout_row {
    const char *kind;
    const char *key;
    int64_t failures;
    int64_t first_failure_at;
    int64_t last_failure_at;
    int64_t locked_until;         /* attempts fail while now < locked_until; 0: never locked */
};

/* A client with the failure counter of the address authenticating it and,
 * if asked, its owner (store_client_context). */
struct client_context {
    struct client client;
    struct lockout_row address;   /* kind and key set by the caller */
    bool with_owner;              /* set by the caller: read the owner too */
    bool owner_found;             /* with_owner: the client has an owner in the realm */
    struct user owner;            /* if owner_found, with what it holds now: */
    struct access owner_access;
};

/* How failures of one kind turn into waits (from the realm's settings). */
struct lockout_rule {
    int64_t threshold;            /* the failure that locks first; 0: count, never lock */
    int64_t base_wait;            /* the wait at the threshold, doubled by each further failure */
    int64_t max_wait;             /* the longest wait */
    int64_t reset;                /* a failure this long after the previous one starts over at 1 */
};

struct signing_key {
    const char *kid;
    int64_t realm_id;
    const char *alg;              /* "ES256" | "RS256" | "EdDSA" */
    const uint8_t *private_enc;   /* nonce || AES-256-GCM(PKCS#8 DER) || tag */
    size_t private_enc_len;
    int64_t created_at;
    int64_t active_from;          /* signs from this time on */
    int64_t retire_at;            /* 0: not scheduled */
};

/* One user of an import for store_user_upsert (see there). */
enum upsert_outcome {
    UPSERT_CREATED,
    UPSERT_UPDATED,
    UPSERT_UNKNOWN_ROLE,     /* roles[bad_role] is no role of the realm */
    UPSERT_DUPLICATE,        /* the same user was upserted earlier since user_upsert_begin */
    UPSERT_EMAIL_AMBIGUOUS,  /* no username, and several users have that email */
};

/* Which of a user's fields an update writes (a new user gets them all). */
enum upsert_set_bits {
    UPSERT_SET_EMAIL = 1u << 0,
    UPSERT_SET_FIRST_NAME = 1u << 1,
    UPSERT_SET_LAST_NAME = 1u << 2,
    UPSERT_SET_ROLES = 1u << 3,  /* replace the user's roles by roles[] */
    UPSERT_SET_PASSWORD_HASH = 1u << 4, /* user.password_hash (a stored hash, never NULL) */
};

struct user_upsert {
    /* in: user.id is a fresh UUID, used if the user is created; user.username
     * (lowercased) or, when NULL, the email finds the user (a new one found by
     * email gets the lowercased email as its username); user.enabled is
     * ignored (a new user is enabled); user.password_hash is written only with
     * UPSERT_SET_PASSWORD_HASH (else a new user has no password). */
    struct user user;
    unsigned set;                 /* enum upsert_set_bits */
    const char *const *roles;
    size_t n_roles;
    /* out, written for every row when the call returns KH_OK: */
    enum upsert_outcome outcome;
    size_t bad_role;              /* UPSERT_UNKNOWN_ROLE: the index in roles */
};

/* The record of one import over the API (store_import_insert). */
struct import_record_error {
    int64_t row;                  /* CSV: data rows from 1; JSON: the user's index + 1 */
    const char *field;            /* the field the error is about, or NULL */
    const char *message;
};

struct import_record {
    const char *id;               /* UUID */
    int64_t realm_id;
    const char *status;           /* "completed", "rolled_back" or "dry_run" */
    const char *format;           /* "csv" or "json" */
    bool dry_run;
    bool atomic;
    int64_t rows;                 /* rows read */
    int64_t created;
    int64_t updated;
    int64_t failed;
    const struct import_record_error *errors; /* the first failed rows, in row order */
    size_t n_errors;
    bool errors_truncated;        /* failed > n_errors */
    int64_t created_at;
    const char *created_by;       /* a user id, or "client:<client_id>" */
};

/* Audit log: one stored event, a link of its realm's hash chain (see
 * audit/chain.h for how hash is computed from prev_hash and the fields). */
struct audit_entry {
    int64_t id;                   /* row id, assigned by audit_append */
    int64_t realm_id;
    int64_t seq;                  /* position in the realm's chain: 1, 2, … */
    int64_t at;                   /* Unix seconds */
    const char *type;             /* AUDIT_* of audit/audit.h */
    const char *actor;            /* the six strings below: NULL when unknown */
    const char *target;
    const char *client_id;
    const char *ip;
    const char *outcome;          /* never NULL: "ok" or an error code */
    const char *detail;
    uint8_t prev_hash[SHA256_LEN]; /* the previous event's hash; zeros before the first */
    uint8_t hash[SHA256_LEN];
};

/* The newest event of a realm's chain, as its head row says, and the
 * highest seq stored (they differ only when rows were tampered with). */
struct audit_head {
    int64_t realm_id;
    bool found;                   /* a head row exists; else seq, last_id, hash are 0 */
    int64_t seq;
    int64_t last_id;
    uint8_t hash[SHA256_LEN];
    int64_t max_seq;              /* 0 when the realm has no stored event */
};

/* Where a realm's chain starts after a retention purge removed its oldest
 * events: the last removed one, and a signature over all of it. */
struct audit_checkpoint {
    int64_t realm_id;
    int64_t seq;                  /* events 1..seq are gone */
    int64_t event_id;
    int64_t event_at;
    uint8_t hash[SHA256_LEN];     /* hash of event seq: the next one's prev_hash */
    int64_t created_at;           /* when the purge ran */
    uint8_t sig[SHA256_LEN];
};

/* Which events audit_list returns, in chain (seq) order. */
struct audit_query {
    int64_t realm_id;
    int64_t after_seq;            /* 0: from the oldest */
    int64_t since;                /* at >= since; 0: any time */
    const char *type;             /* NULL: any; else exactly this type, or with */
    bool type_prefix;             /*   type_prefix every type that starts with it */
    size_t limit;
};

struct store;

struct store_ops {
    const char *name;
    /* Whether writes go faster grouped into batches on one thread (SQLite:
     * one writer, one commit for many requests) than each on its own worker
     * thread in parallel (PostgreSQL: many connections, group commit). */
    bool batches;
    enum kh_status (*open)(const char *url, struct store **out);
    void (*close)(struct store *s);
    enum kh_status (*ping)(struct store *s);
    /* Optional batching of reads: the reads this thread makes until read_end()
     * may see one snapshot and take the store's locks once (SQLite does; on
     * PostgreSQL each read sees what was committed when it ran, as a snapshot
     * would cost two round trips per request). A write op ends the snapshot
     * first. read_end() without read_begin() does nothing. */
    void (*read_begin)(struct store *s);
    void (*read_end)(struct store *s);
    /* A read snapshot every backend honours, for readers whose reads must
     * agree with each other (audit verification): the reads this thread makes
     * until snapshot_end() see one consistent state. Only reads inside. */
    enum kh_status (*snapshot_begin)(struct store *s);
    void (*snapshot_end)(struct store *s);
    /* Batched writes: every op this thread runs until batch_end() joins one
     * write transaction (each op still all-or-nothing on its own), committed by
     * batch_end(), which returns its status. Nothing of the batch is durable,
     * or visible to other threads, before batch_end() returned KH_OK. */
    enum kh_status (*batch_begin)(struct store *s);
    enum kh_status (*batch_end)(struct store *s);

    enum kh_status (*realm_create)(struct store *s, const struct realm *r, int64_t *id_out);
    enum kh_status (*realm_find)(struct store *s, struct arena *a, const char *name, struct realm *out);
    enum kh_status (*realm_list)(struct store *s, struct arena *a, struct realm **out, size_t *n);
    /* Writes alg, the ttls and refresh_grace of r (found by r->id). */
    enum kh_status (*realm_update)(struct store *s, const struct realm *r);

    enum kh_status (*role_create)(struct store *s, const struct role *r, int64_t *id_out);
    enum kh_status (*role_find)(struct store *s, struct arena *a, int64_t realm_id, const char *name, struct role *out);

    enum kh_status (*user_create)(struct store *s, const struct user *u,
                                  const char *const *role_names, size_t n_roles);
    enum kh_status (*user_find_by_name)(struct store *s, struct arena *a, int64_t realm_id,
                                        const char *username, struct user *out);
    enum kh_status (*user_get)(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                               struct user *out);
    enum kh_status (*user_set_password)(struct store *s, int64_t realm_id, const char *id,
                                        const char *password_hash);
    enum kh_status (*user_set_enabled)(struct store *s, int64_t realm_id, const char *id, bool enabled);
    /* What the user holds now into *out and, unless user is NULL, its row
     * into *user, from one snapshot (one round trip on PostgreSQL).
     * KH_ERR_NOTFOUND if the user is not in the realm. */
    enum kh_status (*user_access)(struct store *s, struct arena *a, int64_t realm_id, const char *user_id,
                                  struct user *user, struct access *out);
    /* Up to `limit` users of the realm in username order, after `after` (a
     * username; NULL or "" from the start): a stable cursor, as users are
     * found by their unique username. password_hash is not read (NULL). */
    enum kh_status (*user_list)(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                                size_t limit, struct user **out, size_t *n);

    enum kh_status (*client_create)(struct store *s, const struct client *c);
    enum kh_status (*client_find)(struct store *s, struct arena *a, int64_t realm_id, const char *client_id,
                                  struct client *out);
    /* What a client's authentication reads, from one snapshot (one round
     * trip on PostgreSQL): the client `client_id` of the realm into
     * ctx->client (KH_ERR_NOTFOUND when there is none), either way the
     * counter ctx->address as lockout_find reads it (address.key NULL: none)
     * and, with ctx->with_owner, the client's owner as user_access reads it. */
    enum kh_status (*client_context)(struct store *s, struct arena *a, int64_t realm_id,
                                     const char *client_id, struct client_context *ctx);
    enum kh_status (*client_set_secret)(struct store *s, int64_t realm_id, const char *client_id,
                                        const uint8_t hash[SHA256_LEN]);
    /* Writes the lifetime overrides, refresh_grace, scopes, default_scopes,
     * grants, enabled, opaque, name and owner_user_id of c (found by
     * realm_id + client_id); KH_ERR_NOTFOUND also for an owner that does not exist. */
    enum kh_status (*client_update)(struct store *s, const struct client *c);
    /* The longest access-token lifetime any client of the realm overrides (0: none). */
    enum kh_status (*client_max_access_ttl)(struct store *s, int64_t realm_id, int64_t *out);
    /* One statement: the current secret becomes the old one, valid until
     * old_until (0: not at all), and `hash` the current one. KH_ERR_NOTFOUND
     * for an unknown or public client. */
    enum kh_status (*client_rotate_secret)(struct store *s, int64_t realm_id, const char *client_id,
                                           const uint8_t hash[SHA256_LEN], int64_t old_until);

    /* Starts a session and stores its first refresh token, in one transaction. */
    enum kh_status (*session_start)(struct store *s, const struct session *sess,
                                    const struct refresh_token *first);
    enum kh_status (*refresh_find)(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                                   struct refresh_token *out);
    /* One transaction: marks `old_hash` used with one atomic UPDATE and, if
     * exactly one row changed, inserts `next`. The UPDATE matches a token not yet
     * used, or (grace > 0) one used less than `grace` seconds ago and not yet
     * retried, which it marks retried: a client that lost a response may retry
     * once. If no row changed the token was already used (a replay or a lost
     * race): the session is revoked and KH_ERR_CONFLICT returned.
     * KH_ERR_NOTFOUND if no such token. */
    enum kh_status (*refresh_rotate)(struct store *s, const uint8_t old_hash[SHA256_LEN],
                                     const struct refresh_token *next, int64_t now, int64_t grace);
    /* Revokes the session (the token family) and every refresh token of it. */
    enum kh_status (*session_revoke)(struct store *s, const char *session_id, int64_t now);

    /* The session itself (revoked_at 0 while alive); KH_ERR_NOTFOUND. */
    enum kh_status (*session_find)(struct store *s, struct arena *a, const char *session_id,
                                   struct session *out);

    enum kh_status (*access_insert)(struct store *s, const struct access_token *t);
    enum kh_status (*access_find)(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                                  struct access_token *out);
    enum kh_status (*access_revoke)(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now);
    /* A revoked JWT access token, remembered by its jti until it expires.
     * Inserting a jti twice is KH_OK. */
    enum kh_status (*jti_revoke)(struct store *s, int64_t realm_id, const char *jti, int64_t expires_at);
    /* KH_OK if the jti is revoked, KH_ERR_NOTFOUND if not. */
    enum kh_status (*jti_is_revoked)(struct store *s, int64_t realm_id, const char *jti);

    /* Deletes at most `batch` rows of each kind that can no longer matter —
     * refresh tokens expired or of an ended session, sessions expired or
     * revoked with no token left, opaque access tokens and revoked jtis past
     * their expiry, brute-force counters not locked and quiet for their
     * realm's lockout_reset — each kind in its own short transaction. */
    enum kh_status (*purge)(struct store *s, int64_t now, size_t batch, struct purge_counts *out);

    enum kh_status (*key_insert)(struct store *s, const struct signing_key *k);
    /* Sets a key's active_from and retire_at (KH_ERR_NOTFOUND for an unknown kid). */
    enum kh_status (*key_update)(struct store *s, const char *kid, int64_t active_from, int64_t retire_at);
    /* Every key of the realm not yet retired, newest first. */
    enum kh_status (*key_list)(struct store *s, struct arena *a, int64_t realm_id,
                               struct signing_key **out, size_t *n);

    /* Ends this thread's batch (batch_begin) by rolling all of it back. */
    void (*batch_abort)(struct store *s);
    /* Starts a series of user_upsert calls on this thread: forgets the users
     * upserted before, which UPSERT_DUPLICATE is about. */
    enum kh_status (*user_upsert_begin)(struct store *s);
    /* Inserts or updates each of rows[0..n) (users of realm_id) by username,
     * else by email (ASCII case ignored); writes the fields of `set` and
     * replaces the roles with UPSERT_SET_ROLES. A row that fails (outcome >
     * UPSERT_UPDATED) writes nothing, not even its mark for UPSERT_DUPLICATE;
     * the others are written. The call is one transaction. Returns KH_OK
     * with every row's outcome, or KH_ERR_STORE with nothing of the call
     * written (outcomes undefined); inside a batch, KH_ERR_STORE rolls back
     * the whole batch (for speed the call is no savepoint of it). */
    enum kh_status (*user_upsert)(struct store *s, int64_t realm_id, struct user_upsert *rows,
                                  size_t n);
    /* Up to `limit` roles of the realm in name order (byte order), after
     * `after` (a role name; NULL or "" from the start), each with its
     * permissions: a stable cursor, as role names are unique per realm. */
    enum kh_status (*role_list)(struct store *s, struct arena *a, int64_t realm_id, const char *after,
                                size_t limit, struct role **out, size_t *n);

    /* admin REST rows: updating and deleting roles, users and clients */
    /* Replaces the permissions of the role `name`. KH_ERR_NOTFOUND: no such
     * role; KH_ERR_CONFLICT: the built-in role with all_permissions, which is
     * never changed. */
    enum kh_status (*role_update)(struct store *s, int64_t realm_id, const char *name,
                                  const char *const *permissions, size_t n);
    /* Deletes the role, its permissions and every user's link to it (the
     * users lose it). KH_ERR_NOTFOUND, KH_ERR_CONFLICT as role_update. */
    enum kh_status (*role_delete)(struct store *s, int64_t realm_id, const char *name);
    /* Writes email, first_name, last_name and enabled of u (found by
     * realm_id + id) and, with roles != NULL, replaces its roles by the n_roles
     * named. KH_ERR_NOTFOUND: no such user, or no such role (nothing written). */
    enum kh_status (*user_update)(struct store *s, const struct user *u,
                                  const char *const *roles, size_t n_roles);
    /* Deletes the user with its role links, sessions, refresh tokens and opaque
     * access tokens, and every client it owns with that client's sessions and
     * tokens. KH_ERR_NOTFOUND: no such user (nothing written). */
    enum kh_status (*user_delete)(struct store *s, int64_t realm_id, const char *id);
    /* Up to `limit` clients of the realm in client_id order (byte order), after
     * `after` (NULL or "" from the start): a stable cursor. */
    enum kh_status (*client_list)(struct store *s, struct arena *a, int64_t realm_id,
                                  const char *after, size_t limit, struct client **out, size_t *n);
    /* Deletes the client with the sessions it started, their refresh tokens and
     * its opaque access tokens. KH_ERR_NOTFOUND: no such client. */
    enum kh_status (*client_delete)(struct store *s, int64_t realm_id, const char *client_id);
    /* integrations */
    /* Up to `limit` integrations of the realm in client_id order, after
     * `after` (a client_id; NULL or "" from the start), with their owners. */
    enum kh_status (*integration_list)(struct store *s, struct arena *a, int64_t realm_id,
                                       const char *after, size_t limit, struct integration **out,
                                       size_t *n);
    /* Deletes an integration with its sessions, refresh tokens and opaque
     * access tokens, in one transaction. KH_ERR_NOTFOUND if the realm has no
     * integration of that client_id (an ordinary client is left alone). */
    enum kh_status (*integration_delete)(struct store *s, int64_t realm_id, const char *client_id);
    /* Sets last_used_at = uses[i].at of each client whose last_used_at is at
     * most uses[i].at - min_interval (so a client's row is written at most once
     * per min_interval seconds, whoever writes), in one transaction. Unknown
     * clients are skipped. */
    enum kh_status (*client_touch)(struct store *s, const struct client_use *uses, size_t n,
                                   int64_t min_interval);
    /* imports over the API */
    /* Stores the record and its errors (one transaction; inside a batch, a
     * savepoint of it, so that the record commits with the users it counts).
     * KH_ERR_CONFLICT if the id exists. */
    enum kh_status (*import_insert)(struct store *s, const struct import_record *r);
    /* The record `id` of the realm, errors included; KH_ERR_NOTFOUND for an
     * unknown id or one of another realm. */
    enum kh_status (*import_get)(struct store *s, struct arena *a, int64_t realm_id, const char *id,
                                 struct import_record *out);
    /* audit log */
    /* Appends rows (already linked: each prev_hash the previous row's hash,
     * seq one more) in one transaction, writes each row's id, and moves each
     * realm's head to its last row. The first row of a realm must continue
     * the stored head (its prev_hash the head's hash; zeros without a head):
     * if another writer moved the head or took the seq, nothing is written
     * and KH_ERR_CONFLICT returned. */
    enum kh_status (*audit_append)(struct store *s, struct audit_entry *rows, size_t n);
    /* The realm's head (out->found false before its first event). */
    enum kh_status (*audit_head)(struct store *s, int64_t realm_id, struct audit_head *out);
    enum kh_status (*audit_list)(struct store *s, struct arena *a, const struct audit_query *q,
                                 struct audit_entry **out, size_t *n);
    /* The realm's checkpoint; KH_ERR_NOTFOUND while nothing was purged. */
    enum kh_status (*audit_checkpoint_find)(struct store *s, int64_t realm_id,
                                            struct audit_checkpoint *out);
    /* One transaction: deletes the realm's events with seq <= cp->seq and
     * stores cp as its checkpoint, if the stored checkpoint is still at
     * prev_seq (0: none) and event cp->seq still has cp->hash; else
     * KH_ERR_CONFLICT and nothing changes. *removed: rows deleted. */
    enum kh_status (*audit_purge)(struct store *s, const struct audit_checkpoint *cp,
                                  int64_t prev_seq, size_t *removed);
    /* brute-force protection (lockout) */
    /* Reads the counters rows[i].kind/key of the realm into rows[i] (a key
     * without a row: failures, times and locked_until 0). */
    enum kh_status (*lockout_find)(struct store *s, int64_t realm_id, struct lockout_row *rows,
                                   size_t n);
    /* One transaction: counts a failure of (kind, key) at `now` and returns
     * the counter as it is now in *out (kind and key point to the caller's).
     * A failure more than rule->reset after the previous one starts over at 1.
     * From rule->threshold failures on (threshold > 0), the key is locked until
     * now + min(base_wait * 2^(failures - threshold), max_wait), or a later
     * locked_until it had (concurrent failures never shorten a wait). */
    enum kh_status (*lockout_fail)(struct store *s, int64_t realm_id, const char *kind,
                                   const char *key, int64_t now, const struct lockout_rule *rule,
                                   struct lockout_row *out);
    /* Deletes the counter (kind NULL: of every kind, for key). KH_ERR_NOTFOUND
     * when there was none. */
    enum kh_status (*lockout_clear)(struct store *s, int64_t realm_id, const char *kind,
                                    const char *key);
    /* Up to `limit` counters of the realm in (kind, key) byte order, after
     * (after_kind, after_key) (after_kind NULL: from the start). */
    enum kh_status (*lockout_list)(struct store *s, struct arena *a, int64_t realm_id,
                                   const char *after_kind, const char *after_key, size_t limit,
                                   struct lockout_row **out, size_t *n);
};

struct store {
    const struct store_ops *ops;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

/* Opens the backend that `url` names: a postgres:// (postgresql://) URL or a SQLite path.
 * Applies pending migrations before returning. */
enum kh_status store_open(const char *url, struct store **out) KH_MUST_CHECK;
void store_close(struct store *s);
/* Whether url names a PostgreSQL database (postgres:// or postgresql://). */
bool store_url_is_postgres(const char *url);
/* url as it may be shown or logged: a PostgreSQL URL's password (user:PASSWORD@
 * and password=) replaced by ***, cut to n - 1 bytes. */
void store_url_display(const char *url, char *out, size_t n);

/* Thin wrappers: store_X(s, ...) calls s->ops->X(s, ...). */
#define store_ping(s) ((s)->ops->ping(s))
#define store_read_begin(s) ((s)->ops->read_begin(s))
#define store_read_end(s) ((s)->ops->read_end(s))
#define store_snapshot_begin(s) ((s)->ops->snapshot_begin(s))
#define store_snapshot_end(s) ((s)->ops->snapshot_end(s))
#define store_batch_begin(s) ((s)->ops->batch_begin(s))
#define store_batch_end(s) ((s)->ops->batch_end(s))
#define store_realm_create(s, ...) ((s)->ops->realm_create((s), __VA_ARGS__))
#define store_realm_find(s, ...) ((s)->ops->realm_find((s), __VA_ARGS__))
#define store_realm_list(s, ...) ((s)->ops->realm_list((s), __VA_ARGS__))
#define store_role_create(s, ...) ((s)->ops->role_create((s), __VA_ARGS__))
#define store_role_find(s, ...) ((s)->ops->role_find((s), __VA_ARGS__))
#define store_user_create(s, ...) ((s)->ops->user_create((s), __VA_ARGS__))
#define store_user_find_by_name(s, ...) ((s)->ops->user_find_by_name((s), __VA_ARGS__))
#define store_user_get(s, ...) ((s)->ops->user_get((s), __VA_ARGS__))
#define store_user_set_password(s, ...) ((s)->ops->user_set_password((s), __VA_ARGS__))
#define store_user_set_enabled(s, ...) ((s)->ops->user_set_enabled((s), __VA_ARGS__))
#define store_user_list(s, ...) ((s)->ops->user_list((s), __VA_ARGS__))
#define store_user_access(s, ...) ((s)->ops->user_access((s), __VA_ARGS__))
#define store_client_create(s, ...) ((s)->ops->client_create((s), __VA_ARGS__))
#define store_client_find(s, ...) ((s)->ops->client_find((s), __VA_ARGS__))
#define store_client_context(s, ...) ((s)->ops->client_context((s), __VA_ARGS__))
#define store_client_set_secret(s, ...) ((s)->ops->client_set_secret((s), __VA_ARGS__))
#define store_session_start(s, ...) ((s)->ops->session_start((s), __VA_ARGS__))
#define store_refresh_find(s, ...) ((s)->ops->refresh_find((s), __VA_ARGS__))
#define store_refresh_rotate(s, ...) ((s)->ops->refresh_rotate((s), __VA_ARGS__))
#define store_session_revoke(s, ...) ((s)->ops->session_revoke((s), __VA_ARGS__))
#define store_realm_update(s, ...) ((s)->ops->realm_update((s), __VA_ARGS__))
#define store_client_update(s, ...) ((s)->ops->client_update((s), __VA_ARGS__))
#define store_client_max_access_ttl(s, ...) ((s)->ops->client_max_access_ttl((s), __VA_ARGS__))
#define store_client_rotate_secret(s, ...) ((s)->ops->client_rotate_secret((s), __VA_ARGS__))
#define store_session_find(s, ...) ((s)->ops->session_find((s), __VA_ARGS__))
#define store_access_insert(s, ...) ((s)->ops->access_insert((s), __VA_ARGS__))
#define store_access_find(s, ...) ((s)->ops->access_find((s), __VA_ARGS__))
#define store_access_revoke(s, ...) ((s)->ops->access_revoke((s), __VA_ARGS__))
#define store_jti_revoke(s, ...) ((s)->ops->jti_revoke((s), __VA_ARGS__))
#define store_jti_is_revoked(s, ...) ((s)->ops->jti_is_revoked((s), __VA_ARGS__))
#define store_purge(s, ...) ((s)->ops->purge((s), __VA_ARGS__))
#define store_key_update(s, ...) ((s)->ops->key_update((s), __VA_ARGS__))
#define store_key_insert(s, ...) ((s)->ops->key_insert((s), __VA_ARGS__))
#define store_key_list(s, ...) ((s)->ops->key_list((s), __VA_ARGS__))
#define store_batch_abort(s) ((s)->ops->batch_abort(s))
#define store_user_upsert_begin(s) ((s)->ops->user_upsert_begin(s))
#define store_user_upsert(s, ...) ((s)->ops->user_upsert((s), __VA_ARGS__))
#define store_role_list(s, ...) ((s)->ops->role_list((s), __VA_ARGS__))
/* admin REST rows */
#define store_role_update(s, ...) ((s)->ops->role_update((s), __VA_ARGS__))
#define store_role_delete(s, ...) ((s)->ops->role_delete((s), __VA_ARGS__))
#define store_user_update(s, ...) ((s)->ops->user_update((s), __VA_ARGS__))
#define store_user_delete(s, ...) ((s)->ops->user_delete((s), __VA_ARGS__))
#define store_client_list(s, ...) ((s)->ops->client_list((s), __VA_ARGS__))
#define store_client_delete(s, ...) ((s)->ops->client_delete((s), __VA_ARGS__))
/* integrations */
#define store_integration_list(s, ...) ((s)->ops->integration_list((s), __VA_ARGS__))
#define store_integration_delete(s, ...) ((s)->ops->integration_delete((s), __VA_ARGS__))
#define store_client_touch(s, ...) ((s)->ops->client_touch((s), __VA_ARGS__))
/* imports over the API */
#define store_import_insert(s, ...) ((s)->ops->import_insert((s), __VA_ARGS__))
#define store_import_get(s, ...) ((s)->ops->import_get((s), __VA_ARGS__))
/* audit log */
#define store_audit_append(s, ...) ((s)->ops->audit_append((s), __VA_ARGS__))
#define store_audit_head(s, ...) ((s)->ops->audit_head((s), __VA_ARGS__))
#define store_audit_list(s, ...) ((s)->ops->audit_list((s), __VA_ARGS__))
#define store_audit_checkpoint_find(s, ...) ((s)->ops->audit_checkpoint_find((s), __VA_ARGS__))
#define store_audit_purge(s, ...) ((s)->ops->audit_purge((s), __VA_ARGS__))
/* brute-force protection (lockout) */
#define store_lockout_find(s, ...) ((s)->ops->lockout_find((s), __VA_ARGS__))
#define store_lockout_fail(s, ...) ((s)->ops->lockout_fail((s), __VA_ARGS__))
#define store_lockout_clear(s, ...) ((s)->ops->lockout_clear((s), __VA_ARGS__))
#define store_lockout_list(s, ...) ((s)->ops->lockout_list((s), __VA_ARGS__))

#endif
