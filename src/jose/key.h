/* key.h - signing and verification keys for JWS (ES256, RS256, EdDSA).
 *
 * A struct jose_key holds an algorithm, a kid and an OpenSSL EVP_PKEY, with or
 * without its private half. It is immutable after creation, so one key may be
 * used by many threads at once; it is freed once with jose_key_free().
 *
 * Supported keys: ES256 = EC P-256, RS256 = RSA 2048..8192 bits (2048 when
 * generated), EdDSA = Ed25519. Everything else is refused (KH_ERR_INVALID).
 * Out-parameters are written only on success. */
#ifndef KH_JOSE_KEY_H
#define KH_JOSE_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jsonw.h"
#include "core/status.h"

enum jose_alg { JOSE_ES256, JOSE_RS256, JOSE_EDDSA };

/* "ES256", "RS256", "EdDSA"; never NULL. */
const char *jose_alg_name(enum jose_alg alg);
/* Exact, case-sensitive match of one of the three names; else KH_ERR_INVALID. */
enum kh_status jose_alg_parse(const char *name, enum jose_alg *out) KH_MUST_CHECK;

struct jose_key;

/* A new key pair: P-256, RSA 2048 or Ed25519. kid = RFC 7638 JWK thumbprint
 * (SHA-256, base64url, 43 chars). KH_ERR_CRYPTO if OpenSSL fails. */
enum kh_status jose_key_generate(enum jose_alg alg, struct jose_key **out) KH_MUST_CHECK;

/* A private key from PKCS#8 DER (PrivateKeyInfo, unencrypted). The whole of
 * der must be one PKCS#8 structure, its key must fit alg (curve, size) and be
 * consistent (public part matches private part). kid = thumbprint.
 * KH_ERR_INVALID otherwise. */
enum kh_status jose_key_from_pkcs8(enum jose_alg alg, const uint8_t *der, size_t n,
                                   struct jose_key **out) KH_MUST_CHECK;

/* PKCS#8 DER of a private key into *der (malloc'd, *n bytes). The caller wipes
 * it with secret_wipe() and frees it with free(). KH_ERR_INVALID for a public
 * key. */
enum kh_status jose_key_to_pkcs8(const struct jose_key *k, uint8_t **der, size_t *n) KH_MUST_CHECK;

/* A public key from one JWK object (kty EC/P-256, RSA, OKP/Ed25519).
 * alg: the "alg" member if present (it must be ES256/RS256/EdDSA and fit the
 * key), else from kty/crv (RSA -> RS256). kid: the "kid" member if present
 * (a string of 1..255 bytes), else the thumbprint. Refused with
 * KH_ERR_INVALID: private members (d, p, q, dp, dq, qi, oth, k), "use" other
 * than "sig", "key_ops" without "verify", malformed or off-curve
 * coordinates, any other key type. Input is parsed with JSON_REJECT_DUPLICATES. */
enum kh_status jose_key_from_jwk(const char *json, size_t n, struct jose_key **out) KH_MUST_CHECK;

const char *jose_key_kid(const struct jose_key *k);
enum jose_alg jose_key_alg(const struct jose_key *k);
bool jose_key_has_private(const struct jose_key *k);
/* NULL is allowed. Private key material is wiped by OpenSSL on free. */
void jose_key_free(struct jose_key *k);

/* Writes the public JWK object:
 * {"kty":..,"crv":..?,"x":..,"y":.. | "n":..,"e":..,"kid":..,"use":"sig","alg":..}
 * Never writes private members. Errors are sticky in w (jsonw_finish). */
void jose_key_write_jwk(const struct jose_key *k, struct jsonw *w);

#endif
