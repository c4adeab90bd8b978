/* password.h - user passwords: argon2id in PHC string form (libsodium) for
 * every hash keyhold makes; PBKDF2 (OpenSSL) and bcrypt (libxcrypt) hashes
 * moved in from elsewhere are verified too, then replaced (see phc.h for the
 * strings understood).
 *
 * Parameters are OWASP's (m = 19 MiB, t = 2, p = 1). Hashing and verifying
 * cost ~15 ms of a core (bcrypt cost 10 ~45 ms, PBKDF2 up to seconds at the
 * caps of phc.h): never call these on an HTTP I/O thread (defer the work,
 * see http.h). Thread safe. */
#ifndef KH_AUTHN_PASSWORD_H
#define KH_AUTHN_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>
#include "core/status.h"

#define PASSWORD_HASH_MAX 128 /* crypto_pwhash_STRBYTES */
#define PASSWORD_MAX_LEN 1024 /* longer passwords are refused, not truncated */

enum kh_status password_init(void) KH_MUST_CHECK; /* sodium_init + the dummy hash */
/* Writes a NUL-terminated argon2id PHC string into out. */
enum kh_status password_hash(const char *password, size_t n, char out[PASSWORD_HASH_MAX]) KH_MUST_CHECK;
/* KH_OK if the password matches the stored hash (any scheme of phc.h);
 * KH_ERR_DENIED if not, or if the hash is not understood (then the dummy
 * hash's work is done, as for an unknown user). Compares in constant time. */
enum kh_status password_verify(const char *stored, const char *password, size_t n) KH_MUST_CHECK;
/* Does the same work as a real verification, for an unknown user, so that
 * "no such user" and "wrong password" take the same time. Always KH_ERR_DENIED. */
enum kh_status password_verify_dummy(const char *password, size_t n) KH_MUST_CHECK;
/* True if the hash should be replaced by password_hash's: another scheme, or
 * an argon2id hash weaker than ours (memory × passes below 19 MiB × 2). */
bool password_needs_rehash(const char *stored);
/* A hash given by an import or an administrator: NULL if keyhold can verify
 * it (phc.h), else a sentence saying what is wrong (never quoting it). */
const char *password_check_hash(const char *stored);

#endif
