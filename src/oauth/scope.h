/* scope.h - OAuth scope strings (RFC 6749 §3.3) and keyhold's scope rules.
 *
 * A scope string is a space-separated list of tokens of %x21 / %x23-5B / %x5D-7E.
 * Protocol scopes (openid, profile, email, offline_access) are granted as
 * requested; every other scope is a permission scope, granted only when the
 * subject holds that permission. Results are arena strings, each token once,
 * in the order first requested. */
#ifndef KH_OAUTH_SCOPE_H
#define KH_OAUTH_SCOPE_H

#include <stdbool.h>
#include "core/arena.h"
#include "core/status.h"
#include "store/store.h"

#define SCOPE_MAX_TOKENS 64

struct scope_set {
    const char *tokens[SCOPE_MAX_TOKENS];
    size_t n;
};

/* KH_ERR_INVALID for a bad character or an empty list where one is required; KH_ERR_TOOBIG. */
enum kh_status scope_parse(struct arena *a, const char *s, struct scope_set *out) KH_MUST_CHECK;
bool scope_has(const struct scope_set *set, const char *token);
bool scope_is_subset(const struct scope_set *sub, const struct scope_set *of);
bool scope_is_protocol(const char *token);
/* Keeps protocol scopes and the permission scopes that `access` holds. */
void scope_filter_held(struct scope_set *set, const struct access *access);
/* Keeps only tokens that are also in `allowed`. */
void scope_intersect(struct scope_set *set, const struct scope_set *allowed);
/* Space-joined; "" for an empty set. */
char *scope_join(struct arena *a, const struct scope_set *set);

#endif
