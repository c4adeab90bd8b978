/* password.c - argon2id through libsodium's crypto_pwhash_str; the hashes of
 * other schemes (phc.h) verified through OpenSSL's PBKDF2 and libxcrypt's
 * bcrypt, compared in constant time. */
#include "authn/password.h"

#include <crypt.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include "authn/phc.h"
#include "core/hash.h"

/* OWASP: argon2id with m = 19 MiB, t = 2, p = 1 (libsodium always uses p = 1). */
#define OPSLIMIT 2
#define MEMLIMIT (19u * 1024 * 1024)
#define BCRYPT_LEN 60

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

static enum kh_status verify_pbkdf2(const struct phc *p, const char *password, size_t n)
{
    const EVP_MD *md = p->scheme == PHC_PBKDF2_SHA512   ? EVP_sha512()
                       : p->scheme == PHC_PBKDF2_SHA256 ? EVP_sha256()
                                                        : EVP_sha1();
    uint8_t got[PHC_HASH_MAX];
    if (PKCS5_PBKDF2_HMAC(password, (int)n, p->salt, (int)p->salt_len, (int)p->iterations, md,
                          (int)p->hash_len, got) != 1)
        return KH_ERR_DENIED;
    bool ok = secret_equal(got, p->hash, p->hash_len);
    secret_wipe(got, sizeof got);
    return ok ? KH_OK : KH_ERR_DENIED;
}

/* crypt_r needs a NUL-terminated password: one with a NUL inside never
 * matches (it would be cut there). bcrypt itself reads at most 72 bytes, as
 * the system that made the hash did. */
static enum kh_status verify_bcrypt(const char *stored, const char *password, size_t n)
{
    if (memchr(password, '\0', n))
        return KH_ERR_DENIED;
    struct crypt_data *cd = calloc(1, sizeof *cd);
    char *pw = malloc(n + 1);
    enum kh_status rc = KH_ERR_DENIED;
    if (cd && pw) {
        memcpy(pw, password, n);
        pw[n] = '\0';
        const char *got = crypt_r(pw, stored, cd);
        if (got && strlen(got) == BCRYPT_LEN && secret_equal(got, stored, BCRYPT_LEN))
            rc = KH_OK;
        secret_wipe(pw, n);
        secret_wipe(cd, sizeof *cd);
    }
    free(pw);
    free(cd);
    return rc;
}

enum kh_status password_verify(const char *stored, const char *password, size_t n)
{
    struct phc p;
    const char *why;
    if (!stored || n > PASSWORD_MAX_LEN || phc_parse(stored, &p, &why))
        return password_verify_dummy(password, n > PASSWORD_MAX_LEN ? 0 : n);
    switch (p.scheme) {
    case PHC_ARGON2ID:
        return crypto_pwhash_str_verify(stored, password, n) == 0 ? KH_OK : KH_ERR_DENIED;
    case PHC_PBKDF2_SHA1:
    case PHC_PBKDF2_SHA256:
    case PHC_PBKDF2_SHA512:
        return verify_pbkdf2(&p, password, n);
    case PHC_BCRYPT:
        return verify_bcrypt(stored, password, n);
    }
    return KH_ERR_DENIED;
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

bool password_needs_rehash(const char *stored)
{
    struct phc p;
    const char *why;
    if (!stored || phc_parse(stored, &p, &why) || p.scheme != PHC_ARGON2ID)
        return true;
    return (uint64_t)p.memory_kib * 1024 * p.iterations < (uint64_t)MEMLIMIT * OPSLIMIT;
}

const char *password_check_hash(const char *stored)
{
    struct phc p;
    const char *why = NULL;
    return phc_parse(stored, &p, &why) ? why : NULL;
}
