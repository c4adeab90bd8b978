/* jws.h - compact JWS (RFC 7515) signing and verification.
 *
 * Thread safety: every function may be called from many threads at once with
 * the same keys; state lives in the caller's buf/arena and one EVP_MD_CTX per
 * call. */
#ifndef KH_JOSE_JWS_H
#define KH_JOSE_JWS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/status.h"
#include "jose/key.h"

#define JWS_TOKEN_MAX 16384 /* longest token jws_verify looks at */
#define JWS_SIG_MAX 1024    /* largest signature (RSA 8192) */
#define JWS_TYP_MAX 64      /* longest typ jws_sign writes */

/* Appends "header.payload.signature" to out, where the header is exactly
 * {"alg":"<key alg>","typ":"<typ>","kid":"<kid>"} (typ omitted when NULL).
 * ECDSA signatures are raw r||s (64 bytes, RFC 7518 §3.4). The key must have
 * its private half (else KH_ERR_INVALID); typ is at most JWS_TYP_MAX bytes.
 * On failure out is left as it was (KH_ERR_TOOBIG when its cap is reached).
 * Cost: one EVP_MD_CTX and the signature; no other allocation unless out grows. */
enum kh_status jws_sign(const struct jose_key *key, const char *typ, const char *payload,
                        size_t payload_len, struct buf *out) KH_MUST_CHECK;

/* The raw JWS signature of an arbitrary signing input (for test vectors and
 * for callers that build their own header): raw r||s for ES256, PKCS#1 v1.5
 * for RS256, Ed25519 for EdDSA. sig has room for JWS_SIG_MAX bytes. */
enum kh_status jws_signature(const struct jose_key *key, const void *input, size_t n,
                             uint8_t *sig, size_t *sig_len) KH_MUST_CHECK;

/* Strings in the arena; kid and typ are NULL when the header has none;
 * payload is NUL-terminated (it may contain other NUL bytes: use payload_len). */
struct jws_parsed {
    const char *alg;
    const char *kid;
    const char *typ;
    const char *payload;
    size_t payload_len;
};

/* Verifies compact JWS token (n bytes, at most JWS_TOKEN_MAX) against keys.
 * The key is chosen by kid: exactly one key with that kid; a token without kid
 * only when the set has exactly one key. The header alg must equal that key's
 * alg: the key fixes the algorithm, so "none", HS256 and the like never pass.
 * Refused: header members jwk, jku, x5u, x5c, x5t, x5t#S256, crit, b64;
 * duplicate header members; padded or non-canonical base64url; an ECDSA
 * signature that is not 64 bytes or has r or s = 0 or >= n.
 * Returns KH_ERR_INVALID for malformed input, KH_ERR_NOTFOUND when no key has
 * the token's kid (a caller may refresh its JWKS and retry), KH_ERR_DENIED for
 * everything else that does not verify (wrong alg, ambiguous kid, bad
 * signature). *out is written only on KH_OK. */
enum kh_status jws_verify(const char *token, size_t n, const struct jose_key *const *keys,
                          size_t n_keys, struct arena *a, struct jws_parsed *out) KH_MUST_CHECK;

#endif
