/* password.h - user password hashing: argon2id in PHC string form (libsodium).
 *
 * Parameters are OWASP's (m = 19 MiB, t = 2, p = 1). Hashing and verifying
 * cost ~15 ms of a core: never call these on an HTTP I/O thread (defer the
 * work, see http.h). Thread safe. */
#ifndef KH_AUTHN_PASSWORD_H
#define KH_AUTHN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include "core/status.h"

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MAX_LEN 1024 /* longer passwords are refused, not truncated */

enum kh_status password_init(void) KH_MUST_CHECK; /* sodium_init + the dummy hash */
/* Writes a NUL-terminated PHC string into out. */
enum kh_status password_hash(const char *password, size_t n, char out[PASSWORD_HASH_MAX]) KH_MUST_CHECK;
/* KH_OK if it matches, KH_ERR_DENIED if not or if the hash is not understood. */
enum kh_status password_verify(const char *phc, const char *password, size_t n) KH_MUST_CHECK;
/* Does the same work as a real verification, for an unknown user, so that
 * "no such user" and "wrong password" take the same time. Always KH_ERR_DENIED. */
enum kh_status password_verify_dummy(const char *password, size_t n) KH_MUST_CHECK;
/* True if the hash should be replaced (another scheme or weaker parameters). */
bool password_needs_rehash(const char *phc);

#endif
