/* key_internal.h - the inside of struct jose_key, shared by key.c, jwk.c, jwks.c,
 * jws.c and jwt.c only. Nothing outside src/jose/ includes this file.
 *
 * A key is immutable after creation: every field, the precomputed JWK members
 * and the signing/verifying context templates are written once by
 * key_finish() and only read afterwards, so one key may be used by many
 * threads at once. */
#ifndef KH_JOSE_KEY_INTERNAL_H
#define KH_JOSE_KEY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "jose/key.h"

/* Limits that keep every buffer on the hot paths fixed-size. */
#define JOSE_KID_MAX 255          /* bytes of a kid, before JSON escaping */
#define JOSE_RSA_MIN_BITS 2048
#define JOSE_RSA_MAX_BITS 8192
#define JOSE_SIG_MAX (JOSE_RSA_MAX_BITS / 8)

struct jose_key {
    enum jose_alg alg;
    bool has_private;
    EVP_PKEY *pkey;
    char *kid;
    size_t sig_len;       /* exact length of a JWS signature with this key */
    /* Public JWK members, base64url (NULL when the key type has none). */
    const char *crv;      /* static string */
    char *x, *y;          /* EC, OKP (x only) */
    char *n, *e;          /* RSA */
    /* `,"kid":"<escaped kid>"}` - the end of every JWS header we sign. */
    char *hdr_kid;
    size_t hdr_kid_len;
    /* Initialised EVP_DigestSign/Verify contexts that each call copies, so the
     * hot path does not fetch algorithms again (see jws.c). sign_tmpl is NULL
     * for a public key; either may be NULL if the provider cannot duplicate
     * contexts, and then each call initialises its own. */
    EVP_MD_CTX *sign_tmpl;
    EVP_MD_CTX *verify_tmpl;
};

/* Takes ownership of pkey (freed on failure too). Checks that the key fits
 * alg, computes the public JWK members, the kid (kid == NULL: RFC 7638
 * thumbprint) and the templates. */
enum kh_status key_finish(enum jose_alg alg, EVP_PKEY *pkey, bool has_private, const char *kid,
                          struct jose_key **out) KH_MUST_CHECK;

/* A ready DigestSign (sign) or DigestVerify context for k, to be used once
 * (EVP_DigestSign/EVP_DigestVerify) and freed with EVP_MD_CTX_free. NULL if
 * OpenSSL fails. Thread safe: the templates are only read. */
EVP_MD_CTX *key_ctx_new(const struct jose_key *k, bool sign);

/* The result of parsing one JWK object. KH_OK with *out == NULL means a
 * well-formed key of a type, curve, algorithm or use that keyhold does not
 * verify with (a JWKS skips it). Malformed members and private members are
 * KH_ERR_INVALID. */
enum kh_status jwk_from_json(const json_t *obj, struct jose_key **out) KH_MUST_CHECK;

/* Appends the JSON string escape of s (without quotes) to dst, which has room
 * for cap bytes; returns the new length or (size_t)-1 when it does not fit. */
size_t jose_json_escape(const char *s, size_t n, char *dst, size_t cap);

#endif
