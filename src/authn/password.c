/* password.c - argon2id through libsodium's crypto_pwhash_str. */
#include "authn/password.h"

#include <sodium.h>
#include <string.h>

/* OWASP: argon2id with m = 19 MiB, t = 2, p = 1 (libsodium always uses p = 1). */
#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024 * 1024)

static char dummy_hash[crypto_pwhash_STRBYTES];

enum kh_status password_init(void)
{
    if (sodium_init() < 0)
        return KH_ERR_CRYPTO;
    if (dummy_hash[0])
        return KH_OK;
    static const char pw[] = "keyhold-dummy-password-for-timing";
    return password_hash(pw, sizeof pw - 1, dummy_hash);
}

enum kh_status password_hash(const char *password, size_t n, char out[PASSWORD_HASH_MAX])
{
    if (n > PASSWORD_MAX_LEN)
        return KH_ERR_TOOBIG;
    if (crypto_pwhash_str_alg(out, password, n, OPSLIMIT, MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return KH_ERR_NOMEM;
    return KH_OK;
}

enum kh_status password_verify(const char *phc, const char *password, size_t n)
{
    if (!phc || n > PASSWORD_MAX_LEN || strncmp(phc, "$argon2id$", 10) != 0)
        return password_verify_dummy(password, n > PASSWORD_MAX_LEN ? 0 : n);
    return crypto_pwhash_str_verify(phc, password, n) == 0 ? KH_OK : KH_ERR_DENIED;
}

enum kh_status password_verify_dummy(const char *password, size_t n)
{
    if (n > PASSWORD_MAX_LEN)
        n = 0;
    /* The outcome is irrelevant: only the work it costs matters. */
    if (crypto_pwhash_str_verify(dummy_hash, password, n) == 0)
        return KH_ERR_DENIED;
    return KH_ERR_DENIED;
}

bool password_needs_rehash(const char *phc)
{
    return crypto_pwhash_str_needs_rehash(phc, OPSLIMIT, MEMLIMIT) != 0;
}
