/* phc.h - the stored password hash strings keyhold understands, parsed without
 * any key-derivation work (so that a parser can be fuzzed and an import can
 * refuse a bad hash at once):
 *
 *   $argon2id$v=19$m=M,t=T,p=P$SALT$HASH      keyhold's own (libsodium)
 *   $pbkdf2-sha256$ITER$SALT$HASH             PBKDF2-HMAC-SHA256 (passlib);
 *   $pbkdf2-sha256$i=ITER[,l=LEN]$SALT$HASH   the PHC spec's parameter form;
 *   $pbkdf2-sha512$…, $pbkdf2$… (SHA-1)       likewise
 *   $2a$CC$…, $2b$CC$…, $2y$CC$…              bcrypt (60 characters)
 *
 * SALT and HASH of PBKDF2 are base64 of the raw bytes in either alphabet:
 * passlib's "adapted base64" ('.' for '+', no padding) or standard base64
 * with or without '=' padding. So Keycloak's stored credential (base64 salt
 * and value) is written as a PBKDF2 string by pasting its two strings
 * (phc_from_keycloak). argon2id's SALT and HASH are standard base64 without
 * padding (PHC).
 *
 * Caps, so that a hash cannot cost minutes or gigabytes: PBKDF2 iterations
 * PHC_PBKDF2_ITER_MIN..MAX and at most PHC_PBKDF2_WORK_MAX block
 * computations (a 64-byte SHA-256 hash is two blocks), salt PHC_SALT_MIN..MAX bytes, hash
 * PHC_HASH_MIN..MAX bytes; bcrypt cost PHC_BCRYPT_COST_MIN..MAX; argon2id
 * m ≤ PHC_ARGON2_M_MAX KiB, t ≤ PHC_ARGON2_T_MAX, p ≤ PHC_ARGON2_P_MAX.
 * Thread safe (no state). */
#ifndef KH_AUTHN_PHC_H
#define KH_AUTHN_PHC_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

#define PHC_STRING_MAX 255 /* longest stored hash string accepted (bytes) */
#define PHC_PBKDF2_ITER_MIN 1000
#define PHC_PBKDF2_ITER_MAX 10000000
/* iterations × blocks of the hash's digest size: PBKDF2's real cost */
#define PHC_PBKDF2_WORK_MAX 10000000
#define PHC_SALT_MIN 8
#define PHC_SALT_MAX 64
#define PHC_HASH_MIN 16
#define PHC_HASH_MAX 64
#define PHC_BCRYPT_COST_MIN 4
#define PHC_BCRYPT_COST_MAX 16 /* 2^16 rounds take ~3 s here; 31 would take days */
#define PHC_ARGON2_M_MAX 65536 /* KiB: 64 MiB, RFC 9106's second recommendation */
#define PHC_ARGON2_T_MAX 10
#define PHC_ARGON2_P_MAX 8

enum phc_scheme {
    PHC_ARGON2ID,
    PHC_PBKDF2_SHA1,
    PHC_PBKDF2_SHA256,
    PHC_PBKDF2_SHA512,
    PHC_BCRYPT,
};

struct phc {
    enum phc_scheme scheme;
    uint32_t iterations;           /* PBKDF2; argon2id: t */
    uint32_t memory_kib;           /* argon2id: m */
    uint32_t lanes;                /* argon2id: p */
    uint32_t cost;                 /* bcrypt: log2 of the rounds */
    uint8_t salt[PHC_SALT_MAX];    /* PBKDF2 and argon2id, decoded */
    size_t salt_len;
    uint8_t hash[PHC_HASH_MAX];
    size_t hash_len;
};

/* Parses the stored hash s (NUL-terminated). KH_OK and *out, or
 * KH_ERR_INVALID with *why a sentence naming the problem (never quoting the
 * hash). No key derivation is run. */
enum kh_status phc_parse(const char *s, struct phc *out, const char **why) KH_MUST_CHECK;

/* Keycloak's stored credential: credentialData.algorithm ("pbkdf2-sha256",
 * "pbkdf2-sha512", or "pbkdf2" = PBKDF2-HMAC-SHA1, Keycloak's older default),
 * credentialData.hashIterations and secretData's base64 "salt" and "value" —
 * as the PBKDF2 string keyhold stores, written into out (size PHC_STRING_MAX
 * + 1) and checked with phc_parse. KH_ERR_INVALID with *why. */
enum kh_status phc_from_keycloak(const char *algorithm, long long iterations, const char *salt,
                                 const char *hash, char out[PHC_STRING_MAX + 1],
                                 const char **why) KH_MUST_CHECK;

#endif
