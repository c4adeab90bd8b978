/* aead.c - AES-256-GCM with OpenSSL EVP. */
#include "core/aead.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include "core/hash.h"
#include "core/random.h"

#define NONCE_LEN 12
#define TAG_LEN 16

static enum kh_status crypt(int enc, const uint8_t key[AEAD_KEY_LEN], const uint8_t nonce[NONCE_LEN],
                            const void *ad, size_t ad_len, const uint8_t *in, size_t n,
                            uint8_t *out, uint8_t tag[TAG_LEN])
{
    enum kh_status rc = KH_ERR_CRYPTO;
    int len = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx || n > INT32_MAX || ad_len > INT32_MAX)
        goto out;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc) != 1)
        goto out;
    if (ad_len && EVP_CipherUpdate(ctx, NULL, &len, ad, (int)ad_len) != 1)
        goto out;
    if (n && EVP_CipherUpdate(ctx, out, &len, in, (int)n) != 1)
        goto out;
    if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
        goto out;
    if (EVP_CipherFinal_ex(ctx, out + len, &len) != 1) {
        rc = enc ? KH_ERR_CRYPTO : KH_ERR_DENIED;
        goto out;
    }
    if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
        goto out;
    rc = KH_OK;
out:
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

enum kh_status aead_seal(const uint8_t key[AEAD_KEY_LEN], const void *ad, size_t ad_len,
                         const uint8_t *plain, size_t n, uint8_t **out, size_t *out_len)
{
    uint8_t *sealed = malloc(n + AEAD_OVERHEAD);
    if (!sealed)
        return KH_ERR_NOMEM;
    random_bytes(sealed, NONCE_LEN);
    enum kh_status rc = crypt(1, key, sealed, ad, ad_len, plain, n, sealed + NONCE_LEN,
                              sealed + NONCE_LEN + n);
    if (rc) {
        free(sealed);
        return rc;
    }
    *out = sealed;
    *out_len = n + AEAD_OVERHEAD;
    return KH_OK;
}

enum kh_status aead_open(const uint8_t key[AEAD_KEY_LEN], const void *ad, size_t ad_len,
                         const uint8_t *sealed, size_t n, uint8_t **out, size_t *out_len)
{
    if (n < AEAD_OVERHEAD)
        return KH_ERR_DENIED;
    size_t plain_len = n - AEAD_OVERHEAD;
    uint8_t *plain = malloc(plain_len ? plain_len : 1);
    if (!plain)
        return KH_ERR_NOMEM;
    uint8_t tag[TAG_LEN];
    memcpy(tag, sealed + n - TAG_LEN, TAG_LEN);
    enum kh_status rc = crypt(0, key, sealed, ad, ad_len, sealed + NONCE_LEN, plain_len, plain, tag);
    if (rc) {
        secret_wipe(plain, plain_len);
        free(plain);
        return rc;
    }
    *out = plain;
    *out_len = plain_len;
    return KH_OK;
}
