/* jwk.c - public keys from JWK objects (RFC 7517, RFC 7518 §6, RFC 8037). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>

#include "core/b64.h"
#include "jose/key.h"
#include "jose/key_internal.h"

#define JWK_DOC_MAX 65536
#define JWK_RSA_E_MAX 32 /* bytes; OpenSSL refuses e >= 2^256 anyway */

/* Members that only a private (or symmetric) JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};

/* Optional string member: KH_OK with *out = NULL when absent. */
static enum kh_status opt_string(const json_t *obj, const char *name, const char **out)
{
    const json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v)
        return KH_OK;
    if (!json_is_string(v))
        return KH_ERR_INVALID;
    *out = json_string_value(v);
    return KH_OK;
}

/* A required base64url member decoded into out; its decoded length must be
 * between min and max bytes. */
static enum kh_status b64_member(const json_t *obj, const char *name, uint8_t *out, size_t min,
                                 size_t max, size_t *len)
{
    const json_t *v = json_object_get(obj, name);
    if (!json_is_string(v))
        return KH_ERR_INVALID;
    size_t n = json_string_length(v);
    if (n > b64url_encoded_len(max))
        return KH_ERR_INVALID;
    if (b64url_decode(json_string_value(v), n, out, len) || *len < min || *len > max)
        return KH_ERR_INVALID;
    return KH_OK;
}

/* KH_OK with *usable = false when "use" or "key_ops" exclude verification. */
static enum kh_status check_use(const json_t *obj, bool *usable)
{
    const char *use;
    const json_t *ops = json_object_get(obj, "key_ops");
    *usable = true;
    if (opt_string(obj, "use", &use))
        return KH_ERR_INVALID;
    if (use && strcmp(use, "sig") != 0)
        *usable = false;
    if (!ops)
        return KH_OK;
    if (!json_is_array(ops))
        return KH_ERR_INVALID;
    bool verify = false;
    for (size_t i = 0; i < json_array_size(ops); i++) {
        const json_t *op = json_array_get(ops, i);
        if (!json_is_string(op))
            return KH_ERR_INVALID;
        verify |= strcmp(json_string_value(op), "verify") == 0;
    }
    *usable &= verify;
    return KH_OK;
}

/* check: run OpenSSL's public key check (EC: the point is on the curve and
 * in the group). Not for RSA: there it runs a randomised Miller-Rabin on n,
 * so a malformed modulus would be accepted or refused at random; rsa_pkey
 * checks what matters itself. */
static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM *params, bool check)
{
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (!c || EVP_PKEY_fromdata_init(c) != 1
        || EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
    EVP_PKEY_CTX_free(c);
    if (!pkey || !check)
        return pkey;
    c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!c || EVP_PKEY_public_check(c) != 1) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(c);
    return pkey;
}

static enum kh_status ec_pkey(const json_t *obj, EVP_PKEY **out)
{
    uint8_t pt[65];
    size_t len;
    pt[0] = 0x04; /* uncompressed point: 04 || x || y */
    if (b64_member(obj, "x", pt + 1, 32, 32, &len) || b64_member(obj, "y", pt + 33, 32, 32, &len))
        return KH_ERR_INVALID;
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group - 1),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt),
        OSSL_PARAM_END,
    };
    *out = pkey_fromdata("EC", params, true);
    return *out ? KH_OK : KH_ERR_INVALID;
}

/* *out stays NULL (KH_OK) for a modulus size keyhold does not accept. */
static enum kh_status rsa_pkey(const json_t *obj, EVP_PKEY **out)
{
    uint8_t e[JWK_RSA_E_MAX];
    size_t n_len, e_len;
    enum kh_status rc = KH_ERR_INVALID;
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    uint8_t nbuf[JOSE_RSA_MAX_BITS / 8 + 2];
    /* RFC 7518 6.3.1: minimal big-endian, no leading zero octet. n and e odd,
     * e >= 3 (e = 1 would make every "signature" its own message). */
    if (b64_member(obj, "n", nbuf, 1, sizeof nbuf, &n_len) || nbuf[0] == 0
        || !(nbuf[n_len - 1] & 1))
        return KH_ERR_INVALID;
    if (b64_member(obj, "e", e, 1, sizeof e, &e_len) || e[0] == 0 || !(e[e_len - 1] & 1)
        || (e_len == 1 && e[0] < 3) || e_len >= n_len)
        return KH_ERR_INVALID;
    if (n_len < JOSE_RSA_MIN_BITS / 8 || n_len > JOSE_RSA_MAX_BITS / 8) {
        *out = NULL;
        return KH_OK;
    }
    bn_n = BN_bin2bn(nbuf, (int)n_len, NULL);
    bn_e = BN_bin2bn(e, (int)e_len, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (!bn_n || !bn_e || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n)
        || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e)
        || !(params = OSSL_PARAM_BLD_to_param(bld))) {
        rc = KH_ERR_CRYPTO;
        goto out;
    }
    *out = pkey_fromdata("RSA", params, false);
    rc = *out ? KH_OK : KH_ERR_INVALID;
out:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return rc;
}

static enum kh_status okp_pkey(const json_t *obj, EVP_PKEY **out)
{
    uint8_t x[32];
    size_t len;
    if (b64_member(obj, "x", x, 32, 32, &len))
        return KH_ERR_INVALID;
    *out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, sizeof x);
    return *out ? KH_OK : KH_ERR_INVALID;
}

/* Which alg the JWK's kty/crv implies; KH_OK with *known = false for a key
 * type or curve keyhold does not support. */
static enum kh_status kty_alg(const json_t *obj, enum jose_alg *alg, bool *known)
{
    const char *kty, *crv;
    *known = false;
    if (opt_string(obj, "kty", &kty) || !kty || opt_string(obj, "crv", &crv))
        return KH_ERR_INVALID;
    if (strcmp(kty, "RSA") == 0) {
        *alg = JOSE_RS256;
        *known = true;
    } else if (strcmp(kty, "EC") == 0 || strcmp(kty, "OKP") == 0) {
        if (!crv)
            return KH_ERR_INVALID;
        *alg = kty[0] == 'E' ? JOSE_ES256 : JOSE_EDDSA;
        *known = strcmp(crv, kty[0] == 'E' ? "P-256" : "Ed25519") == 0;
    }
    return KH_OK;
}

enum kh_status jwk_from_json(const json_t *obj, struct jose_key **out)
{
    const char *kid, *alg_name;
    enum jose_alg alg = JOSE_ES256, member_alg = JOSE_ES256; /* set by kty_alg; -O2 cannot see it */
    bool known, usable;
    EVP_PKEY *pkey = NULL;
    enum kh_status rc;

    if (!json_is_object(obj))
        return KH_ERR_INVALID;
    for (size_t i = 0; i < sizeof private_members / sizeof private_members[0]; i++) {
        if (json_object_get(obj, private_members[i]))
            return KH_ERR_INVALID;
    }
    if (opt_string(obj, "kid", &kid) || opt_string(obj, "alg", &alg_name)
        || check_use(obj, &usable) || kty_alg(obj, &alg, &known))
        return KH_ERR_INVALID;
    if (kid && (kid[0] == '\0' || strlen(kid) > JOSE_KID_MAX))
        return KH_ERR_INVALID;
    *out = NULL;
    if (alg_name && jose_alg_parse(alg_name, &member_alg) != KH_OK)
        return KH_OK; /* PS256, RS512, ES384...: well-formed, not ours */
    if (alg_name && (!known || member_alg != alg))
        return KH_ERR_INVALID; /* "alg" contradicts kty/crv */
    if (!known || !usable)
        return KH_OK;
    if (alg == JOSE_ES256)
        rc = ec_pkey(obj, &pkey);
    else if (alg == JOSE_RS256)
        rc = rsa_pkey(obj, &pkey);
    else
        rc = okp_pkey(obj, &pkey);
    ERR_clear_error();
    if (rc || !pkey)
        return rc;
    return key_finish(alg, pkey, false, kid, out);
}

enum kh_status jose_key_from_jwk(const char *json, size_t n, struct jose_key **out)
{
    struct jose_key *k = NULL;
    if (!json || n > JWK_DOC_MAX)
        return KH_ERR_INVALID;
    json_t *root = json_loadb(json, n, JSON_REJECT_DUPLICATES, NULL);
    if (!root)
        return KH_ERR_INVALID;
    enum kh_status rc = jwk_from_json(root, &k);
    json_decref(root);
    if (rc)
        return rc;
    if (!k)
        return KH_ERR_INVALID;
    *out = k;
    return KH_OK;
}
