/* key.c - JOSE keys on OpenSSL 3 EVP: generation, PKCS#8, thumbprints, JWK output. */
#include "jose/key.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/hash.h"
#include "jose/key_internal.h"

const char *jose_alg_name(enum jose_alg alg)
{
    switch (alg) {
    case JOSE_ES256:
        return "ES256";
    case JOSE_RS256:
        return "RS256";
    case JOSE_EDDSA:
        return "EdDSA";
    }
    return "unknown";
}

enum kh_status jose_alg_parse(const char *name, enum jose_alg *out)
{
    static const enum jose_alg all[] = {JOSE_ES256, JOSE_RS256, JOSE_EDDSA};
    if (!name)
        return KH_ERR_INVALID;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, jose_alg_name(all[i])) == 0) {
            *out = all[i];
            return KH_OK;
        }
    }
    return KH_ERR_INVALID;
}

size_t jose_json_escape(const char *s, size_t n, char *dst, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[6];
        size_t len = 1;
        tmp[0] = (char)c;
        if (c == '"' || c == '\\') {
            tmp[0] = '\\';
            tmp[1] = (char)c;
            len = 2;
        } else if (c < 0x20) {
            /* NOLINTNEXTLINE(bugprone-not-null-terminated-result): bytes, not a string */
            memcpy(tmp, "\\u00", 4);
            tmp[4] = hex[c >> 4];
            tmp[5] = hex[c & 15];
            len = 6;
        }
        if (cap - o < len)
            return (size_t)-1;
        memcpy(dst + o, tmp, len);
        o += len;
    }
    return o;
}

/* base64url of n bytes, malloc'd. */
static char *b64_dup(const uint8_t *p, size_t n)
{
    char *s = malloc(b64url_encoded_len(n) + 1);
    if (s)
        b64url_encode(p, n, s);
    return s;
}

/* base64url of a BIGNUM parameter: minimal big-endian bytes, or left-padded to
 * pad bytes when pad > 0 (EC coordinates have a fixed length, RFC 7518 6.2.1.2). */
static char *bn_param_b64(const EVP_PKEY *pkey, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    uint8_t bytes[JOSE_RSA_MAX_BITS / 8];
    char *s = NULL;
    if (!EVP_PKEY_get_bn_param(pkey, name, &bn))
        return NULL;
    int len = pad > 0 ? pad : BN_num_bytes(bn);
    if (len > 0 && len <= (int)sizeof bytes && BN_bn2binpad(bn, bytes, len) == len)
        s = b64_dup(bytes, (size_t)len);
    BN_free(bn);
    return s;
}

/* True if pkey is the kind of key alg signs with. */
static bool key_fits(enum jose_alg alg, const EVP_PKEY *pkey)
{
    char group[32];
    switch (alg) {
    case JOSE_ES256:
        return EVP_PKEY_is_a(pkey, "EC")
            && EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                              sizeof group, NULL)
            && strcmp(group, "prime256v1") == 0;
    case JOSE_RS256: {
        int bits = EVP_PKEY_get_bits(pkey);
        return EVP_PKEY_is_a(pkey, "RSA") && bits >= JOSE_RSA_MIN_BITS
            && bits <= JOSE_RSA_MAX_BITS;
    }
    case JOSE_EDDSA:
        return EVP_PKEY_is_a(pkey, "ED25519");
    }
    return false;
}

static enum kh_status public_members(struct jose_key *k)
{
    switch (k->alg) {
    case JOSE_ES256:
        k->crv = "P-256";
        k->x = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        k->y = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        return k->x && k->y ? KH_OK : KH_ERR_CRYPTO;
    case JOSE_RS256:
        k->n = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        k->e = bn_param_b64(k->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        return k->n && k->e ? KH_OK : KH_ERR_CRYPTO;
    case JOSE_EDDSA: {
        uint8_t raw[32];
        size_t len = sizeof raw;
        k->crv = "Ed25519";
        if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &len) || len != sizeof raw)
            return KH_ERR_CRYPTO;
        k->x = b64_dup(raw, len);
        return k->x ? KH_OK : KH_ERR_NOMEM;
    }
    }
    return KH_ERR_INTERNAL;
}

/* RFC 7638: SHA-256 over the required members in lexicographic order, no
 * whitespace. The members are base64url, so nothing needs escaping. */
static enum kh_status thumbprint(const struct jose_key *k, char out[44])
{
    struct buf b;
    enum kh_status rc;
    uint8_t digest[SHA256_LEN];
    buf_init(&b, 4096);
    if (k->alg == JOSE_RS256)
        rc = buf_printf(&b, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", k->e, k->n);
    else if (k->alg == JOSE_ES256)
        rc = buf_printf(&b, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", k->x,
                        k->y);
    else
        rc = buf_printf(&b, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", k->x);
    if (rc)
        goto out;
    sha256(b.data, b.len, digest);
    b64url_encode(digest, sizeof digest, out);
out:
    buf_free(&b);
    return rc;
}

static enum kh_status header_tail(struct jose_key *k)
{
    char esc[JOSE_KID_MAX * 6];
    size_t n = jose_json_escape(k->kid, strlen(k->kid), esc, sizeof esc);
    if (n == (size_t)-1)
        return KH_ERR_INVALID;
    k->hdr_kid_len = n + sizeof ",\"kid\":\"\"}" - 1;
    k->hdr_kid = malloc(k->hdr_kid_len + 1);
    if (!k->hdr_kid)
        return KH_ERR_NOMEM;
    memcpy(k->hdr_kid, ",\"kid\":\"", 8);
    memcpy(k->hdr_kid + 8, esc, n);
    memcpy(k->hdr_kid + 8 + n, "\"}", 3);
    return KH_OK;
}

/* A freshly initialised DigestSign/DigestVerify context for k. */
static EVP_MD_CTX *ctx_init(const struct jose_key *k, bool sign)
{
    const char *md = k->alg == JOSE_EDDSA ? NULL : "SHA256";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return NULL;
    int ok = sign ? EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k->pkey, NULL)
                  : EVP_DigestVerifyInit_ex(ctx, NULL, md, NULL, NULL, k->pkey, NULL);
    if (ok != 1) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* A template is kept only if the provider can duplicate it; otherwise each
 * call initialises a context of its own (slower, same result). */
static EVP_MD_CTX *template_new(const struct jose_key *k, bool sign)
{
    EVP_MD_CTX *tmpl = ctx_init(k, sign);
    EVP_MD_CTX *probe = EVP_MD_CTX_new();
    if (!tmpl || !probe || EVP_MD_CTX_copy_ex(probe, tmpl) != 1) {
        EVP_MD_CTX_free(tmpl);
        tmpl = NULL;
    }
    EVP_MD_CTX_free(probe);
    ERR_clear_error();
    return tmpl;
}

EVP_MD_CTX *key_ctx_new(const struct jose_key *k, bool sign)
{
    const EVP_MD_CTX *tmpl = sign ? k->sign_tmpl : k->verify_tmpl;
    EVP_MD_CTX *ctx;
    if (!tmpl) {
        ctx = ctx_init(k, sign);
    } else {
        ctx = EVP_MD_CTX_new();
        if (ctx && EVP_MD_CTX_copy_ex(ctx, tmpl) != 1) {
            EVP_MD_CTX_free(ctx);
            ctx = NULL;
        }
    }
    /* One-shot use: without this flag Final would duplicate the context again. */
    if (ctx)
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    return ctx;
}

enum kh_status key_finish(enum jose_alg alg, EVP_PKEY *pkey, bool has_private, const char *kid,
                          struct jose_key **out)
{
    enum kh_status rc = KH_ERR_INVALID;
    struct jose_key *k = NULL;
    char tp[44];
    if (!pkey || !key_fits(alg, pkey))
        goto out;
    rc = KH_ERR_NOMEM;
    k = calloc(1, sizeof *k);
    if (!k)
        goto out;
    k->alg = alg;
    k->pkey = pkey;
    pkey = NULL;
    k->has_private = has_private;
    k->sig_len = alg == JOSE_RS256 ? (size_t)EVP_PKEY_get_size(k->pkey) : 64;
    rc = public_members(k);
    if (rc)
        goto out;
    if (!kid) {
        rc = thumbprint(k, tp);
        if (rc)
            goto out;
        kid = tp;
    }
    rc = KH_ERR_NOMEM;
    k->kid = strdup(kid);
    if (!k->kid)
        goto out;
    rc = header_tail(k);
    if (rc)
        goto out;
    if (has_private)
        k->sign_tmpl = template_new(k, true);
    k->verify_tmpl = template_new(k, false);
    *out = k;
    k = NULL;
out:
    EVP_PKEY_free(pkey);
    jose_key_free(k);
    if (rc)
        ERR_clear_error();
    return rc;
}

enum kh_status jose_key_generate(enum jose_alg alg, struct jose_key **out)
{
    EVP_PKEY *pkey = NULL;
    switch (alg) {
    case JOSE_ES256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case JOSE_RS256:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)JOSE_RSA_MIN_BITS);
        break;
    case JOSE_EDDSA:
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        break;
    default:
        return KH_ERR_INVALID;
    }
    if (!pkey)
        return KH_ERR_CRYPTO;
    return key_finish(alg, pkey, true, NULL, out);
}

/* The public half must belong to the private half: a DER with a swapped or
 * corrupted public key would sign tokens nobody can verify. */
static bool keypair_consistent(EVP_PKEY *pkey)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    bool ok = c && EVP_PKEY_check(c) == 1;
    EVP_PKEY_CTX_free(c);
    return ok;
}

enum kh_status jose_key_from_pkcs8(enum jose_alg alg, const uint8_t *der, size_t n,
                                   struct jose_key **out)
{
    const unsigned char *p = der;
    PKCS8_PRIV_KEY_INFO *p8;
    EVP_PKEY *pkey = NULL;
    if (!der || n == 0 || n > 65536)
        return KH_ERR_INVALID;
    p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
    if (p8 && p == der + n)
        pkey = EVP_PKCS82PKEY(p8);
    PKCS8_PRIV_KEY_INFO_free(p8);
    ERR_clear_error();
    if (!pkey)
        return KH_ERR_INVALID;
    if (!key_fits(alg, pkey) || !keypair_consistent(pkey)) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return KH_ERR_INVALID;
    }
    return key_finish(alg, pkey, true, NULL, out);
}

enum kh_status jose_key_to_pkcs8(const struct jose_key *k, uint8_t **der, size_t *n)
{
    enum kh_status rc = KH_ERR_INVALID;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    uint8_t *mem = NULL;
    if (!k->has_private)
        goto out;
    rc = KH_ERR_CRYPTO;
    p8 = EVP_PKEY2PKCS8(k->pkey);
    int len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
    if (len <= 0)
        goto out;
    rc = KH_ERR_NOMEM;
    mem = malloc((size_t)len);
    if (!mem)
        goto out;
    unsigned char *p = mem;
    rc = KH_ERR_CRYPTO;
    if (i2d_PKCS8_PRIV_KEY_INFO(p8, &p) != len) {
        secret_wipe(mem, (size_t)len);
        free(mem);
        goto out;
    }
    *der = mem;
    *n = (size_t)len;
    rc = KH_OK;
out:
    PKCS8_PRIV_KEY_INFO_free(p8); /* wipes the private key octets */
    ERR_clear_error();
    return rc;
}

const char *jose_key_kid(const struct jose_key *k)
{
    return k->kid;
}

enum jose_alg jose_key_alg(const struct jose_key *k)
{
    return k->alg;
}

bool jose_key_has_private(const struct jose_key *k)
{
    return k->has_private;
}

void jose_key_free(struct jose_key *k)
{
    if (!k)
        return;
    EVP_MD_CTX_free(k->sign_tmpl);
    EVP_MD_CTX_free(k->verify_tmpl);
    EVP_PKEY_free(k->pkey);
    free(k->kid);
    free(k->x);
    free(k->y);
    free(k->n);
    free(k->e);
    free(k->hdr_kid);
    free(k);
}

void jose_key_write_jwk(const struct jose_key *k, struct jsonw *w)
{
    jsonw_obj_begin(w);
    if (k->alg == JOSE_RS256) {
        jsonw_kv_str(w, "kty", "RSA");
        jsonw_kv_str(w, "n", k->n);
        jsonw_kv_str(w, "e", k->e);
    } else {
        jsonw_kv_str(w, "kty", k->alg == JOSE_ES256 ? "EC" : "OKP");
        jsonw_kv_str(w, "crv", k->crv);
        jsonw_kv_str(w, "x", k->x);
        if (k->y)
            jsonw_kv_str(w, "y", k->y);
    }
    jsonw_kv_str(w, "kid", k->kid);
    jsonw_kv_str(w, "use", "sig");
    jsonw_kv_str(w, "alg", jose_alg_name(k->alg));
    jsonw_obj_end(w);
}
