/* jwks.h - JWK Sets (RFC 7517 §5): the document of a realm's public keys.
 *
 * Thread safety: the keys a parse returns are immutable and may be shared by
 * threads; the array itself is owned by the caller. */
#ifndef KH_JOSE_JWKS_H
#define KH_JOSE_JWKS_H

#include <stddef.h>

#include "core/jsonw.h"
#include "core/status.h"
#include "jose/key.h"

#define JWKS_DOC_MAX (256 * 1024) /* bytes of a JWKS document we parse */
#define JWKS_KEYS_MAX 64          /* keys in one document */

/* Writes {"keys":[<public JWK>,...]} (see jose_key_write_jwk). */
void jwks_write(const struct jose_key *const *keys, size_t n, struct jsonw *w);

/* Parses a JWKS document (JSON_REJECT_DUPLICATES). Keys of unsupported types,
 * curves, algorithms (e.g. PS256) or use ("enc") are skipped, so *n_out may
 * be 0. KH_ERR_INVALID for a malformed document: not an object, no "keys"
 * array, a key that is not an object, has no kty, has malformed members of a
 * supported type, or carries private/secret members (d, p, q, ..., k).
 * KH_ERR_TOOBIG beyond JWKS_DOC_MAX bytes or JWKS_KEYS_MAX entries.
 * *out is a malloc'd array (NULL when *n_out is 0); free it with jwks_free. */
enum kh_status jwks_parse(const char *json, size_t n, struct jose_key ***out,
                          size_t *n_out) KH_MUST_CHECK;

/* Frees the keys and the array; NULL is allowed. */
void jwks_free(struct jose_key **keys, size_t n);

#endif
