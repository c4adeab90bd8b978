/* keyring.h - each realm's signing keys, decrypted once and cached.
 *
 * Private keys are stored sealed with AES-256-GCM under the master key (the
 * key id is the associated data). The keyring loads a realm's keys on first
 * use and re-reads the store every KEYRING_REFRESH_SECONDS, so keys created by
 * another process (`keyhold key rotate`, another instance) are picked up.
 *
 * Threads: keyring_get() is safe from any thread (a read lock on the hot path).
 * Pointers it hands out stay valid until keyring_free(): replaced key sets are
 * kept, never freed while the server runs. */
#ifndef KH_OAUTH_KEYRING_H
#define KH_OAUTH_KEYRING_H

#include <stddef.h>
#include <stdint.h>
#include "core/aead.h"
#include "jose/key.h"
#include "store/store.h"

#define KEYRING_REFRESH_SECONDS 5

/* Resource servers may cache the JWKS this long (its Cache-Control max-age):
 * a rotated key is published at once but signs only this much later, so
 * every verifier has seen it before the first token it signs. */
#define KEYRING_JWKS_MAX_AGE 300
#define KEYRING_STR_(x) #x
#define KEYRING_STR(x) KEYRING_STR_(x)
/* The same as a string literal, for "public, max-age=" KEYRING_JWKS_MAX_AGE_STR. */
#define KEYRING_JWKS_MAX_AGE_STR KEYRING_STR(KEYRING_JWKS_MAX_AGE)

struct keyset {
    const struct jose_key *const *keys; /* every published key, newest first */
    size_t n;
    const struct jose_key *signer;      /* the key that signs now (chosen at each get) */
    const char *jwks;                   /* the realm's JWKS document */
    size_t jwks_len;
};

struct keyring;

/* The master key: KEYHOLD_MASTER_KEY (64 hex digits) if set, else the file
 * `<db_path>.key`, created with mode 0600 if missing. A key file readable by
 * others is refused. The message on failure is logged. */
enum kh_status keyring_master_load(const char *db_path, uint8_t out[AEAD_KEY_LEN]) KH_MUST_CHECK;

enum kh_status keyring_new(struct store *s, const uint8_t master[AEAD_KEY_LEN], struct keyring **out)
    KH_MUST_CHECK;
void keyring_free(struct keyring *kr);

/* The realm's keys as of the last store read (at most KEYRING_REFRESH_SECONDS
 * old). The signer is chosen at each call from those keys, so a key whose
 * active_from passes starts signing at once, without waiting for a re-read.
 * KH_ERR_NOTFOUND if no key may sign now (out is still filled). */
enum kh_status keyring_get(struct keyring *kr, const struct realm *realm, struct keyset *out) KH_MUST_CHECK;

/* The next keyring_get() of the realm reads the store again (after a
 * rotation made in this process). */
void keyring_invalidate(struct keyring *kr, int64_t realm_id);

/* The signing rule, shared by the keyring and `keyhold key list`: among keys
 * ordered newest first (as store_key_list returns them), the first whose
 * active_from <= now and which is not retired (retire_at 0 or > now). The key
 * fixes the algorithm; a realm's `alg` is what its next key is made with, so
 * a rotation to another algorithm keeps the old key signing until the new one
 * is active. Returns its index, or -1 if none. */
long keyring_signer_index(const struct signing_key *keys, size_t n, int64_t now);

/* Generates a key for the realm, seals it and stores it; it signs from
 * `active_from` on. Writes the new kid into kid_out (size >= 64) if not NULL. */
enum kh_status keyring_create_key(struct store *s, const uint8_t master[AEAD_KEY_LEN], int64_t realm_id,
                                  enum jose_alg alg, int64_t active_from, char *kid_out) KH_MUST_CHECK;

#endif
