/* audit.h - the audit log: every security event, stored with a per-realm
 * hash chain and written as one JSON line on stderr.
 *
 * Producers call audit_record() from any thread; it never blocks on the store
 * for long: events are queued and a writer thread appends them in batches,
 * chaining each event to the previous one of its realm (SHA-256). A
 * client-credentials grant therefore still writes nothing synchronously.
 *
 * An event never carries a secret: producers pass identifiers (user ids,
 * client_ids, role names, import ids), error codes and short reasons only.
 *
 * The queue holds at most AUDIT_QUEUE_MAX events: a producer that finds it
 * full waits until the writer made room while the store is merely slower than
 * traffic, so no event is dropped then. While the store is failing (the
 * database is down) a producer that finds the queue full does not wait: the
 * request it serves must still get its answer (503). Its event is then only
 * in the log line, and the count of such events is logged once a second
 * ("audit.not_stored"). A store failure is logged as an error and the batch
 * retried (backing off up to AUDIT_RETRY_MAX_MS).
 * String fields longer than AUDIT_FIELD_MAX bytes are cut (at a UTF-8
 * character boundary).
 *
 * struct audit * may be NULL (unit tests): events are then only logged. */
#ifndef KH_AUDIT_AUDIT_H
#define KH_AUDIT_AUDIT_H

#include <stdint.h>
#include "core/status.h"

struct store;
struct audit;

#define AUDIT_QUEUE_MAX 16384   /* events waiting for the writer */
#define AUDIT_BATCH_MAX 512     /* events per store transaction */
#define AUDIT_FIELD_MAX 1024    /* bytes of one string field */
#define AUDIT_RETRY_MAX_MS 5000 /* longest pause between retries of a failed batch */
#define AUDIT_RETENTION_DAYS_DEFAULT 90

/* Event types, "<object>.<action>", stable strings (they are stored). */
#define AUDIT_TOKEN_ISSUED "token.issued"
#define AUDIT_TOKEN_REFUSED "token.refused"
#define AUDIT_REFRESH_REUSE "refresh.reuse"
#define AUDIT_REALM_CREATE "realm.create"
#define AUDIT_REALM_UPDATE "realm.update"
#define AUDIT_ROLE_CREATE "role.create"
#define AUDIT_ROLE_UPDATE "role.update"
#define AUDIT_ROLE_DELETE "role.delete"
#define AUDIT_USER_CREATE "user.create"
#define AUDIT_USER_UPDATE "user.update"
#define AUDIT_USER_DELETE "user.delete"
#define AUDIT_USER_PASSWORD "user.password"
#define AUDIT_CLIENT_CREATE "client.create"
#define AUDIT_CLIENT_UPDATE "client.update"
#define AUDIT_CLIENT_DELETE "client.delete"
#define AUDIT_CLIENT_SECRET "client.secret_rotate"
#define AUDIT_INTEGRATION_CREATE "integration.create"
#define AUDIT_INTEGRATION_DELETE "integration.delete"
#define AUDIT_KEY_ROTATE "key.rotate"
#define AUDIT_IMPORT "import"
/* password-hash upgrade: a hash of another scheme replaced by argon2id at login */
#define AUDIT_PASSWORD_REHASH "user.password_rehash"
/* brute-force protection: a user, client or address locked by its failures
 * (target: the username, client_id or address), and a lock lifted by an
 * administrator */
#define AUDIT_LOCKOUT "lockout"
#define AUDIT_LOCKOUT_CLEARED "lockout.cleared"

struct audit_event {
    int64_t realm_id;       /* the realm the event belongs to (its chain) */
    const char *realm;      /* its name, for the log line */
    const char *type;       /* one of AUDIT_* */
    const char *actor;      /* who: a user id, "client:<client_id>", or "cli"; NULL: unknown */
    const char *target;     /* what it was done to: a user id, client_id, role name, import id… */
    const char *client_id;  /* the client involved (token events; the caller's client) */
    const char *ip;         /* the remote address; NULL for the CLI */
    const char *outcome;    /* "ok", or an error code ("invalid_grant", "forbidden") */
    const char *detail;     /* a short reason or summary, never a secret; may be NULL */
    int64_t at;             /* Unix seconds; 0: now */
};

/* Starts the writer thread on `s`. */
enum kh_status audit_open(struct store *s, struct audit **out) KH_MUST_CHECK;
/* Writes what is queued, stops the writer and frees. NULL is allowed. Call
 * before the store is closed. */
void audit_close(struct audit *au);

/* Logs the event at once and queues it for the store. The strings are copied. */
void audit_record(struct audit *au, const struct audit_event *ev);

/* Waits until every event recorded before the call is stored (tests, the
 * CLI before exiting, shutdown). KH_ERR_STORE if the store has been failing
 * for AUDIT_FLUSH_GIVE_UP_S seconds (the events stay queued and retried). */
enum kh_status audit_flush(struct audit *au) KH_MUST_CHECK;
#define AUDIT_FLUSH_GIVE_UP_S 30

/* Retention, for the server: from now on the writer purges, every
 * interval_seconds, the events older than retention_seconds (0: keeps them
 * forever) in batches, leaving per realm a checkpoint signed with a key
 * derived from `master` (32 bytes, copied; see audit/chain.h). Call once,
 * before traffic. */
void audit_set_retention(struct audit *au, const uint8_t *master, int64_t retention_seconds,
                         unsigned interval_seconds);

#endif
