/* bearer.h - verifying an access token presented to keyhold (userinfo,
 * introspection, revocation, the /v1 API): one function for both formats.
 *
 * A JWT must name its key (kid) and verify with it among the realm's
 * published keys (the key fixes the algorithm), carry the realm's issuer, the audience OAUTH_AUDIENCE and the
 * header typ "at+jwt" (so an ID token, typ "JWT", is refused), be unexpired
 * with no leeway (expired when now >= exp; iat and nbf may be up to 60 s ahead,
 * another instance's clock) and its jti must not be revoked.
 * An opaque token (kha_…) must pass its checksum, be found by its SHA-256,
 * belong to the realm, be unrevoked and unexpired. Either way a token bound
 * to a session is refused once the session was revoked (logout, revocation
 * of its refresh token, refresh token reuse).
 *
 * Threads: any; reads the store (call inside store_read_begin/end to take
 * its locks once) and the keyring. */
#ifndef KH_OAUTH_BEARER_H
#define KH_OAUTH_BEARER_H

#include <stdbool.h>
#include <stdint.h>
#include "core/hash.h"
#include "oauth/oauth.h"

/* A verified access token. Strings live in the caller's arena. */
struct bearer {
    const char *sub;       /* the subject: a user id, or a client's internal id */
    const char *user_id;   /* == sub for a user; NULL when the subject is a client */
    const char *username;  /* the user's preferred_username; NULL for a client */
    const char *client_id; /* the client it was issued to */
    const char *scope;     /* space-separated, "" for none */
    const char *sid;       /* NULL without a session */
    const char *jti;       /* NULL for an opaque token */
    int64_t exp, iat;
    bool opaque;
    uint8_t hash[SHA256_LEN]; /* opaque: the stored SHA-256 of the token */
};

/* KH_OK: *out filled. KH_ERR_DENIED: not a valid access token of this realm
 * now (malformed, forged, expired, revoked, another realm's, an ID or refresh
 * token, session ended; its client or user deleted or disabled, or the
 * client past its expires_at). KH_ERR_STORE or KH_ERR_INTERNAL: the store or the
 * keyring failed — the token's fate is unknown, answer a server error. */
enum kh_status bearer_verify(const struct oauth *o, struct arena *a, const struct realm *realm,
                             const char *token, int64_t now, struct bearer *out) KH_MUST_CHECK;

/* The realm a token claims to belong to, for an endpoint whose realm is not in
 * its path (the /v1 API): a JWT's unverified `iss` must be
 * {public_url}/realms/{name} of an existing realm; an opaque token's realm is
 * the one it is stored with. Nothing is verified here: call bearer_verify()
 * with the realm found. KH_OK: *out filled (arena). KH_ERR_DENIED: no realm
 * of this server (malformed token, foreign issuer, unknown realm or token).
 * KH_ERR_STORE: the store failed. Threads: any; reads the store. */
enum kh_status bearer_realm_find(const struct oauth *o, struct arena *a, const char *token,
                                 struct realm *out) KH_MUST_CHECK;

/* True if token looks like an opaque access token (kha_ prefix); says nothing
 * of its validity. */
bool bearer_is_opaque(const char *token);

#endif
