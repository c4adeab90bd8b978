/* aead.h - AES-256-GCM for data at rest (private signing keys).
 *
 * Sealed form: 12-byte random nonce || ciphertext || 16-byte tag. The
 * associated data binds the ciphertext to its row (e.g. the key id), so a
 * sealed blob moved to another row does not open. Thread safe. */
#ifndef KH_CORE_AEAD_H
#define KH_CORE_AEAD_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

#define AEAD_KEY_LEN 32
#define AEAD_OVERHEAD (12 + 16)

/* *out is malloc'd (n + AEAD_OVERHEAD bytes). */
enum kh_status aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *ad, size_t ad_len,
                         const uint8_t *plain, size_t n, uint8_t **out, size_t *out_len) KH_MUST_CHECK;
/* *out is malloc'd; the caller wipes and frees it. KH_ERR_DENIED if it does not authenticate. */
enum kh_status aead_open(const uint8_t key[AEAD_KEY_LEN], const void *ad, size_t ad_len,
                         const uint8_t *sealed, size_t n, uint8_t **out, size_t *out_len) KH_MUST_CHECK;

#endif
