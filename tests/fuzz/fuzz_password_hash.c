/* fuzz_password_hash.c - the stored password hash parsers (authn/phc.h): PHC
 * strings (argon2id, PBKDF2 in passlib's and the PHC spec's forms), bcrypt,
 * and Keycloak's credential turned into its string. Parse only: no key
 * derivation runs, so an absurd iteration count costs nothing here. The input
 * is the hash string; for Keycloak it is cut at its first three NUL bytes
 * into algorithm, salt and hash, with the iterations from the first bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "authn/phc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const char *s)
{
    struct phc p;
    memset(&p, 0xA5, sizeof p);
    const char *why = NULL;
    enum kh_status rc = phc_parse(s, &p, &why);
    if (rc == KH_OK) {
        if (p.salt_len > PHC_SALT_MAX || p.hash_len > PHC_HASH_MAX)
            abort();
        if (p.scheme != PHC_BCRYPT && p.scheme != PHC_ARGON2ID &&
            (p.iterations < PHC_PBKDF2_ITER_MIN || p.iterations > PHC_PBKDF2_ITER_MAX))
            abort();
        if (p.scheme == PHC_BCRYPT &&
            (p.cost < PHC_BCRYPT_COST_MIN || p.cost > PHC_BCRYPT_COST_MAX))
            abort();
    } else if (rc != KH_ERR_INVALID || !why) {
        abort();
    }
}

static void check_keycloak(const char *s, size_t size)
{
    const char *alg = s;
    const char *salt = alg + strlen(alg) + 1;
    if (salt >= s + size)
        return;
    const char *hash = salt + strlen(salt) + 1;
    if (hash >= s + size)
        return;
    long long iterations = 0;
    memcpy(&iterations, s, size < sizeof iterations ? size : sizeof iterations);
    char out[PHC_STRING_MAX + 1];
    const char *why = NULL;
    enum kh_status rc = phc_from_keycloak(alg, iterations % 20000000, salt, hash, out, &why);
    if (rc == KH_OK)
        check_parse(out);
    else if (!why)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    check_parse(s);
    check_keycloak(s, size);
    free(s);
    return 0;
}
