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

struct keyset {
    const struct jose_key *const *keys; /* every published key, newest first */
    size_t n;
    const struct jose_key *signer;      /* the key that signs now */
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

enum kh_status keyring_get(struct keyring *kr, const struct realm *realm, struct keyset *out) KH_MUST_CHECK;

/* Generates a key for the realm, seals it and stores it; it signs from
 * `active_from` on. Writes the new kid into kid_out (size >= 64) if not NULL. */
enum kh_status keyring_create_key(struct store *s, const uint8_t master[AEAD_KEY_LEN], int64_t realm_id,
                                  enum jose_alg alg, int64_t active_from, char *kid_out) KH_MUST_CHECK;

#endif
