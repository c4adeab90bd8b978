/* lockout.h - brute-force protection (SPEC §7): failed logins are counted per
 * user and per client address, failed client authentications per address, in
 * the store (store_lockout_*), so that the counts hold across restarts and
 * servers. From the realm's threshold on, the user or address waits: every
 * attempt fails until the wait ends, and each further failure doubles the
 * next wait (up to lockout_max_wait). A threshold of 0 turns counting off for
 * that kind. A client itself is never locked: its client_id is public, so a
 * lock would let anyone shut it out, and its 256-bit secret cannot be guessed.
 *
 * A locked attempt is answered exactly as a wrong credential (the callers
 * still spend the same verification work), and is not counted: a locked
 * source costs one read, not a write. Only failures write; a success writes
 * only when the subject's counter (read before) has failures to forget. A
 * success forgets the user's failures, never the address's: one
 * valid account must not wash an address that guesses at others.
 *
 * Thread-safe; call from the thread that runs the request. */
#ifndef KH_OAUTH_LOCKOUT_H
#define KH_OAUTH_LOCKOUT_H

#include <stdbool.h>
#include "oauth/oauth.h"

#define LOCKOUT_USER "user"
#define LOCKOUT_IP "ip"
#define LOCKOUT_CLIENT_IP "client_ip"

/* What is being guarded: a login (user + ip) or a client's secret (client_ip). */
enum lockout_scope { LOCKOUT_LOGIN, LOCKOUT_CLIENT_AUTH };

/* The counters of one attempt, read by lockout_check for lockout_record. */
struct lockout_attempt {
    const struct oauth *o;
    const struct realm *realm;
    enum lockout_scope scope;
    const char *client_id;        /* for the audit event; may be NULL */
    int64_t now;
    struct lockout_row rows[2];   /* [0] the user (logins), [1] the address */
    bool has_subject, has_ip;
};

/* Reads the counters of `subject` (a lowercased username, for logins; NULL:
 * none) and of `ip` (NULL: none) into *at. KH_OK and *locked, or KH_ERR_STORE. */
enum kh_status lockout_check(const struct oauth *o, const struct realm *realm,
                             enum lockout_scope scope, const char *subject, const char *ip,
                             const char *client_id, int64_t now, struct lockout_attempt *at,
                             bool *locked) KH_MUST_CHECK;

/* The address's counter row of `scope` (key NULL without an address), for
 * reading it with other rows (store_client_context). */
struct lockout_row lockout_address_row(enum lockout_scope scope, const char *ip);

/* As lockout_check for a client authentication whose address counter was
 * read already (a lockout_address_row filled by store_client_context): no
 * store call. Whether the address is locked. */
bool lockout_check_read(const struct oauth *o, const struct realm *realm,
                        const struct lockout_row *address, const char *client_id, int64_t now,
                        struct lockout_attempt *at);

/* After the verification: a failure counts for the address and, when
 * subject_known (the user exists), for the user, and records an
 * AUDIT_LOCKOUT event for each key it locks; a success clears the subject's
 * counter if it had failures. Store failures are logged, not returned: the
 * answer is decided already. */
void lockout_record(struct lockout_attempt *at, bool ok, bool subject_known);

/* Is `kind` one of the three kinds (user, ip, client_ip)? */
bool lockout_is_kind(const char *kind);

/* The rule of `kind` from the realm's settings. */
struct lockout_rule lockout_rule_of(const struct realm *realm, const char *kind);

#endif
