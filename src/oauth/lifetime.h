/* lifetime.h - how long tokens and sessions live: the values in force for a
 * client, and the expiry arithmetic, as pure functions (no clock, no store).
 *
 * Boundary rule used everywhere: something that expires at T is expired when
 * now >= T. Sums saturate at INT64_MAX instead of overflowing. */
#ifndef KH_OAUTH_LIFETIME_H
#define KH_OAUTH_LIFETIME_H

#include <stdbool.h>
#include <stdint.h>
#include "store/store.h"

/* The lifetimes in force for one client of one realm, in seconds. */
struct lifetimes {
    int64_t access;        /* access (and ID) token */
    int64_t refresh_idle;  /* a refresh token of an online session */
    int64_t session_max;   /* an online session, from its start */
    int64_t offline_idle;  /* a refresh token of an offline session */
    int64_t refresh_grace; /* a rotated refresh token may be retried once within it */
};

/* The client's override where it has one (a lifetime > 0, a grace >= 0), else
 * the realm's. c may be NULL: the realm's values. */
void lifetime_effective(const struct realm *r, const struct client *c, struct lifetimes *out);

/* When a session started now ends: now + session_max, or never (INT64_MAX)
 * for an offline session. */
int64_t lifetime_session_expiry(const struct lifetimes *l, bool offline, int64_t now);

/* When a refresh token issued now expires: min(now + idle, session_expires_at),
 * the idle limit being the offline one for an offline session. */
int64_t lifetime_refresh_expiry(const struct lifetimes *l, bool offline, int64_t now,
                                int64_t session_expires_at);

/* refresh_expires_in as Keycloak reports it: 0 for an offline token, else the
 * seconds left (never negative). */
int64_t lifetime_refresh_expires_in(bool offline, int64_t expires_at, int64_t now);

/* now >= expires_at. */
bool lifetime_is_expired(int64_t expires_at, int64_t now);

/* A rotated refresh token (used_at != 0) may be presented once more while
 * grace > 0, it was not retried yet and it was rotated less than `grace`
 * seconds ago (used_at > now - grace). The store's atomic UPDATE has the last
 * word; this only decides whether to try. */
bool lifetime_may_retry(int64_t used_at, bool retried, int64_t grace, int64_t now);

/* Whether a stored refresh token would still be accepted now (introspection's
 * `active`): its session neither revoked nor past its maximum, the token not
 * past its idle expiry, and unused or still within its one retry. */
bool lifetime_refresh_is_active(const struct refresh_token *rt, int64_t grace, int64_t now);

#endif
