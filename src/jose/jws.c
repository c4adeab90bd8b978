/* jws.c - compact JWS with ES256, RS256 and EdDSA over OpenSSL 3 EVP.
 *
 * Signing is on the token endpoint's hot path: the header is built on the
 * stack from a per-key precomputed tail, the payload is base64url-encoded in
 * chunks straight into the output buffer, and the EVP context is copied from
 * a per-key template instead of being initialised (which fetches algorithms). */
#include "jose/jws.h"

#include <string.h>

#include <jansson.h>
#include <openssl/err.h>

#include "core/b64.h"
#include "jose/key_internal.h"

_Static_assert(JWS_SIG_MAX == JOSE_SIG_MAX, "signature buffers must agree");

#define HDR_MAX 2048  /* JSON header we sign: alg + escaped typ + escaped kid */
#define P256_LEN 32   /* bytes of r, s and the group order */
#define ECDSA_DER_MAX 72

/* Order n of the P-256 group (FIPS 186-4 D.1.2.3), big-endian. */
static const uint8_t p256_order[P256_LEN] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

/* Header members that would let the token choose its own key, or change how
 * it is processed (RFC 7515 4.1, RFC 7797); keyhold refuses them all. */
static const char *const refused_members[] = {
    "jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256", "crit", "b64",
};

/* ---- ECDSA signature format: DER (OpenSSL) <-> raw r||s (JWS) ---- */

/* Reads one DER INTEGER at *p into a 32-byte big-endian field. */
static bool der_int_to_raw(const uint8_t **p, const uint8_t *end, uint8_t out[P256_LEN])
{
    const uint8_t *q = *p;
    if (end - q < 2 || q[0] != 0x02)
        return false;
    size_t len = q[1];
    q += 2;
    if (len == 0 || len > (size_t)(end - q))
        return false;
    const uint8_t *v = q;
    size_t vlen = len;
    while (vlen > 1 && v[0] == 0) {
        v++;
        vlen--;
    }
    if (vlen > P256_LEN)
        return false;
    memset(out, 0, P256_LEN - vlen);
    memcpy(out + P256_LEN - vlen, v, vlen);
    *p = q + len;
    return true;
}

static bool der_to_raw(const uint8_t *der, size_t n, uint8_t raw[2 * P256_LEN])
{
    const uint8_t *end = der + n;
    if (n < 2 || der[0] != 0x30 || der[1] >= 0x80 || der[1] != n - 2)
        return false;
    const uint8_t *p = der + 2;
    return der_int_to_raw(&p, end, raw) && der_int_to_raw(&p, end, raw + P256_LEN) && p == end;
}

/* Writes a 32-byte unsigned big-endian value as a minimal DER INTEGER. */
static size_t raw_to_der_int(const uint8_t v[P256_LEN], uint8_t *out)
{
    size_t skip = 0;
    while (skip < P256_LEN - 1 && v[skip] == 0)
        skip++;
    size_t len = P256_LEN - skip;
    bool pad = v[skip] & 0x80;
    out[0] = 0x02;
    out[1] = (uint8_t)(len + pad);
    out[2] = 0;
    memcpy(out + 2 + pad, v + skip, len);
    return 2 + pad + len;
}

static size_t raw_to_der(const uint8_t raw[2 * P256_LEN], uint8_t der[ECDSA_DER_MAX])
{
    size_t len = raw_to_der_int(raw, der + 2);
    len += raw_to_der_int(raw + P256_LEN, der + 2 + len);
    der[0] = 0x30;
    der[1] = (uint8_t)len;
    return len + 2;
}

/* 0 < v < n. Not constant time: r and s are public. */
static bool scalar_in_range(const uint8_t v[P256_LEN])
{
    static const uint8_t zero[P256_LEN];
    return memcmp(v, zero, P256_LEN) != 0 && memcmp(v, p256_order, P256_LEN) < 0;
}

/* ---- signing ---- */

enum kh_status jws_signature(const struct jose_key *key, const void *input, size_t n,
                             uint8_t *sig, size_t *sig_len)
{
    enum kh_status rc = KH_ERR_INVALID;
    uint8_t der[ECDSA_DER_MAX + 8];
    EVP_MD_CTX *ctx = NULL;
    if (!key->has_private)
        goto out;
    rc = KH_ERR_CRYPTO;
    ctx = key_ctx_new(key, true);
    if (!ctx)
        goto out;
    bool ec = key->alg == JOSE_ES256;
    size_t len = ec ? sizeof der : JWS_SIG_MAX;
    if (EVP_DigestSign(ctx, ec ? der : sig, &len, input, n) != 1)
        goto out;
    if (ec) {
        if (!der_to_raw(der, len, sig))
            goto out;
        len = 2 * P256_LEN;
    }
    if (len != key->sig_len)
        goto out;
    *sig_len = len;
    rc = KH_OK;
out:
    EVP_MD_CTX_free(ctx);
    if (rc)
        ERR_clear_error();
    return rc;
}

static size_t put(char *dst, size_t off, const char *s, size_t n)
{
    memcpy(dst + off, s, n);
    return off + n;
}

/* The JSON header {"alg":..,"typ":..,"kid":..} into hdr[HDR_MAX]; 0 if typ is
 * too long. */
static size_t header_json(const struct jose_key *key, const char *typ, char *hdr)
{
    const char *alg = jose_alg_name(key->alg);
    size_t h = put(hdr, 0, "{\"alg\":\"", 8);
    h = put(hdr, h, alg, strlen(alg));
    h = put(hdr, h, "\"", 1);
    if (typ) {
        size_t tn = strlen(typ);
        if (tn > JWS_TYP_MAX)
            return 0;
        h = put(hdr, h, ",\"typ\":\"", 8);
        size_t e = jose_json_escape(typ, tn, hdr + h, HDR_MAX - h);
        if (e == (size_t)-1)
            return 0;
        h = put(hdr, h + e, "\"", 1);
    }
    if (HDR_MAX - h < key->hdr_kid_len)
        return 0;
    return put(hdr, h, key->hdr_kid, key->hdr_kid_len);
}

/* Appends base64url(p) to out in chunks, without a temporary of its size. */
static enum kh_status add_b64(struct buf *out, const uint8_t *p, size_t n)
{
    enum { CHUNK = 768 }; /* a multiple of 3, so chunks concatenate */
    char enc[CHUNK / 3 * 4 + 1];
    enum kh_status rc = KH_OK;
    for (size_t off = 0; off < n && !rc; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        b64url_encode(p + off, len, enc);
        rc = buf_add(out, enc, b64url_encoded_len(len));
    }
    return rc;
}

enum kh_status jws_sign(const struct jose_key *key, const char *typ, const char *payload,
                        size_t payload_len, struct buf *out)
{
    char hdr[HDR_MAX];
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len, start = out->len;
    enum kh_status rc = KH_ERR_INVALID;
    size_t h = header_json(key, typ, hdr);
    if (!key->has_private || h == 0 || (!payload && payload_len))
        return KH_ERR_INVALID;
    rc = add_b64(out, (const uint8_t *)hdr, h);
    if (!rc)
        rc = buf_addc(out, '.');
    if (!rc)
        rc = add_b64(out, (const uint8_t *)payload, payload_len);
    if (!rc)
        rc = jws_signature(key, out->data + start, out->len - start, sig, &sig_len);
    if (!rc)
        rc = buf_addc(out, '.');
    if (!rc)
        rc = add_b64(out, sig, sig_len);
    if (rc && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

/* ---- verification ---- */

struct header {
    const char *alg, *kid, *typ;
};

/* Decodes and checks the protected header; strings stay owned by root. */
static enum kh_status header_parse(const char *b64, size_t n, struct arena *a, json_t **root,
                                   struct header *h)
{
    uint8_t *raw = arena_alloc(a, n / 4 * 3 + 3);
    size_t len;
    if (b64url_decode(b64, n, raw, &len))
        return KH_ERR_INVALID;
    *root = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*root))
        return KH_ERR_INVALID;
    for (size_t i = 0; i < sizeof refused_members / sizeof refused_members[0]; i++) {
        if (json_object_get(*root, refused_members[i]))
            return KH_ERR_INVALID;
    }
    const json_t *alg = json_object_get(*root, "alg");
    const json_t *kid = json_object_get(*root, "kid");
    const json_t *typ = json_object_get(*root, "typ");
    if (!json_is_string(alg) || (kid && !json_is_string(kid)) || (typ && !json_is_string(typ)))
        return KH_ERR_INVALID;
    h->alg = json_string_value(alg);
    h->kid = kid ? json_string_value(kid) : NULL;
    h->typ = typ ? json_string_value(typ) : NULL;
    return KH_OK;
}

static enum kh_status key_select(const struct header *h, const struct jose_key *const *keys,
                                 size_t n_keys, const struct jose_key **out)
{
    const struct jose_key *found = NULL;
    size_t matches = 0;
    if (!h->kid) {
        if (n_keys != 1)
            return n_keys == 0 ? KH_ERR_NOTFOUND : KH_ERR_DENIED;
        *out = keys[0];
        return KH_OK;
    }
    for (size_t i = 0; i < n_keys; i++) {
        if (strcmp(keys[i]->kid, h->kid) == 0) {
            found = keys[i];
            matches++;
        }
    }
    if (matches == 0)
        return KH_ERR_NOTFOUND;
    if (matches > 1)
        return KH_ERR_DENIED;
    *out = found;
    return KH_OK;
}

static enum kh_status signature_check(const struct jose_key *key, const char *input, size_t n,
                                      const uint8_t *sig, size_t sig_len)
{
    uint8_t der[ECDSA_DER_MAX];
    if (sig_len != key->sig_len)
        return KH_ERR_DENIED;
    if (key->alg == JOSE_ES256) {
        if (!scalar_in_range(sig) || !scalar_in_range(sig + P256_LEN))
            return KH_ERR_DENIED;
        sig_len = raw_to_der(sig, der);
        sig = der;
    }
    EVP_MD_CTX *ctx = key_ctx_new(key, false);
    if (!ctx)
        return KH_ERR_CRYPTO;
    int ok = EVP_DigestVerify(ctx, sig, sig_len, (const uint8_t *)input, n);
    EVP_MD_CTX_free(ctx);
    if (ok != 1) {
        ERR_clear_error();
        return KH_ERR_DENIED;
    }
    return KH_OK;
}

enum kh_status jws_verify(const char *token, size_t n, const struct jose_key *const *keys,
                          size_t n_keys, struct arena *a, struct jws_parsed *out)
{
    enum kh_status rc = KH_ERR_INVALID;
    json_t *root = NULL;
    struct header h;
    const struct jose_key *key = NULL;
    uint8_t sig[JWS_SIG_MAX];
    size_t sig_len, payload_len;

    if (!token || n == 0 || n > JWS_TOKEN_MAX)
        return KH_ERR_INVALID;
    const char *d1 = memchr(token, '.', n);
    const char *d2 = d1 ? memchr(d1 + 1, '.', (size_t)(token + n - d1 - 1)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', (size_t)(token + n - d2 - 1)))
        return KH_ERR_INVALID;
    const char *p64 = d1 + 1, *s64 = d2 + 1;
    size_t p64_len = (size_t)(d2 - p64), s64_len = (size_t)(token + n - s64);

    rc = header_parse(token, (size_t)(d1 - token), a, &root, &h);
    if (rc)
        goto out;
    rc = key_select(&h, keys, n_keys, &key);
    if (rc)
        goto out;
    rc = KH_ERR_DENIED;
    if (strcmp(h.alg, jose_alg_name(key->alg)) != 0)
        goto out;
    if (s64_len > b64url_encoded_len(sizeof sig))
        goto out;
    rc = KH_ERR_INVALID;
    if (b64url_decode(s64, s64_len, sig, &sig_len))
        goto out;
    char *payload = arena_alloc(a, p64_len / 4 * 3 + 3);
    if (b64url_decode(p64, p64_len, (uint8_t *)payload, &payload_len))
        goto out;
    payload[payload_len] = '\0';
    rc = signature_check(key, token, (size_t)(d2 - token), sig, sig_len);
    if (rc)
        goto out;
    out->alg = arena_strdup(a, h.alg);
    out->kid = h.kid ? arena_strdup(a, h.kid) : NULL;
    out->typ = h.typ ? arena_strdup(a, h.typ) : NULL;
    out->payload = payload;
    out->payload_len = payload_len;
out:
    json_decref(root);
    return rc;
}
