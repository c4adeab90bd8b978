/* secret.h - secrets that look like what they are (SPEC §7).
 *
 * Format: PREFIX "_" + 43 base62 chars (256.03 random bits) + 6 base62 chars
 * of CRC32(prefix_ + random). Prefixes: "khs" client secret, "khr" refresh
 * token, "kha" opaque access token. A secret scanner recognises them; a
 * mistyped one fails secret_check() without a store lookup. */
#ifndef KH_CORE_SECRET_H
#define KH_CORE_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include "core/hash.h"

#define SECRET_RANDOM_CHARS 43
#define SECRET_CRC_CHARS 6
#define SECRET_LEN (4 + SECRET_RANDOM_CHARS + SECRET_CRC_CHARS) /* "khs_" + ... = 53 */

#define SECRET_CLIENT "khs"
#define SECRET_REFRESH "khr"
#define SECRET_ACCESS "kha"

/* Makes a new secret with the 3-letter prefix into out[SECRET_LEN + 1]. */
void secret_new(const char *prefix, char out[SECRET_LEN + 1]);
/* True if s (length n) has the prefix, the length, the alphabet and a valid CRC. */
bool secret_check(const char *prefix, const char *s, size_t n) __attribute__((warn_unused_result));
/* The stored form: SHA-256 of the whole string. */
void secret_hash(const char *s, size_t n, uint8_t out[SHA256_LEN]);

#endif
