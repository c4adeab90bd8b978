/* jwt.h - JWT verification (RFC 7519, RFC 9068 access tokens).
 *
 * Thread safety: as jws.h; all output lives in the caller's arena. */
#ifndef KH_JOSE_JWT_H
#define KH_JOSE_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/status.h"
#include "jose/key.h"

struct jwt_expect {
    const char *issuer;   /* required: "iss" must equal it */
    const char *audience; /* required: "aud" (string or array) must contain it */
    /* e.g. "at+jwt"; NULL: typ not checked. Compared case-insensitively; the
     * token may carry it with an "application/" prefix (RFC 9068 §4). */
    const char *typ;
    int64_t now;
    int64_t leeway; /* seconds of clock skew allowed, >= 0 */
    /* true: the header must name its key (kid). A token without kid is
     * otherwise accepted when the key set has exactly one key; an issuer that
     * always writes kid (keyhold) refuses one without, so that a token built
     * by other means never matches a key by default (RFC 8725 §3.1, §2.2). */
    bool require_kid;
};

/* Strings in the arena, NULL when the claim is absent; exp/iat/nbf are 0 when
 * absent (exp never is, on success). aud is the matching audience; typ is the
 * header's typ; payload_json is the whole payload (NUL-terminated). */
struct jwt_claims {
    const char *iss, *sub, *aud, *jti, *client_id, *azp, *scope, *sid, *preferred_username, *typ;
    int64_t exp, iat, nbf;
    const char *payload_json;
};

/* jws_verify, then the payload is parsed with jansson (JSON_REJECT_DUPLICATES;
 * it must be an object) and checked: iss equals expect->issuer; aud (string or
 * array of strings) contains expect->audience; exp is required and
 * exp > now - leeway; nbf and iat, when present, are <= now + leeway; the
 * header typ matches expect->typ; the header has a kid if expect->require_kid.
 * Returns the jws_verify status; KH_ERR_INVALID for a payload that is not a
 * JSON object or a registered claim of the wrong JSON type; KH_ERR_DENIED for
 * any claim check that fails; KH_ERR_INTERNAL if expect lacks issuer or
 * audience. *out is written only on KH_OK. */
enum kh_status jwt_verify(const char *token, size_t n, const struct jose_key *const *keys,
                          size_t n_keys, const struct jwt_expect *expect, struct arena *a,
                          struct jwt_claims *out) KH_MUST_CHECK;

#endif
