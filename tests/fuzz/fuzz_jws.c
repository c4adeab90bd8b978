/* fuzz_jws.c - libFuzzer target: the input is a compact JWS/JWT given to
 * jwt_verify against a fixed key set (one ES256, one RS256, one EdDSA public
 * key, generated once; the seed corpus holds tokens signed by their private
 * halves, so valid tokens reach the claims checks).
 *
 * Build with clang -fsanitize=fuzzer,address,undefined, or replay the corpus
 * with tests/fuzz/replay_main.c (make fuzz-replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "jose/jwks.h"
#include "jose/jwt.h"

static const char fuzz_jwks[] =
    "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
    "\"x\":\"pjGEGnR_WoQDarHWVBJsm9y3gkMuAjua0npHAg7_ZJQ\","
    "\"y\":\"aULE5w_ZJwqVQKBvJQ2oX2No0Qf3RX72RxGmpAWiTiA\","
    "\"kid\":\"6sbINSWWApY9FTSKY5DJJqUFgmV4iNe7l4cC6-L4tcY\",\"use\":\"sig\","
    "\"alg\":\"ES256\"},{\"kty\":\"RSA\","
    "\"n\":\"mZLXClNH5cnH5IA4cqkKllfq96lKbzC4yYvmpixAOzx1sd4TB-xDrLDS64q5fDlwy"
    "aty2MueIJ7U_AGXUHPL9U5Uq0cvxK-TP53qb5q8cjB-qC0whsrFHGAD0fXnD8-wxMBQH-K"
    "iLLX6mvB9K7FN3gW3vxJLUg7tCX_RCscbdJFNDBERvoZXJk-M4MvW99Y8kKMpbF8fd5co1"
    "uiQDSQVVN1NSwbG7yY55pOaU35Qsqc3mdoBImsVBK6IBfnCWA8ZIagcdJxkAfJp8P_nEDg"
    "cEEywTRHwbG4Tv2etko3dTC3x4xV1gFpUPBj4S0yIDDDJDBSCYAAwrW-WHABs6INxlQ\",\"e\":\"AQAB\","
    "\"kid\":\"IqyU4gbxYR-mhBgCST80swO1S4KuaEp21vnrT8ISEu8\",\"use\":\"sig\","
    "\"alg\":\"RS256\"},{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
    "\"x\":\"E6ArSmGCsARN4nDGoE_ejFwziN4cv2ihNmKfCM9Kctc\","
    "\"kid\":\"S_605EIQ56m5ySTsPT0fStNxmBv2xnaMx0ujZiydhJw\",\"use\":\"sig\","
    "\"alg\":\"EdDSA\"}]}";

#define NOW 1700000000
#define LEEWAY 60
#define ISSUER "https://id.example/realms/main"

static struct jose_key **keys; /* loaded once, kept for the life of the process */
static size_t n_keys;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!keys && jwks_parse(fuzz_jwks, sizeof fuzz_jwks - 1, &keys, &n_keys) != KH_OK)
        abort();
    static const struct jwt_expect expect = {
        .issuer = ISSUER, .audience = "api", .typ = "at+jwt", .now = NOW, .leeway = LEEWAY,
    };
    struct arena a;
    struct jwt_claims c;
    arena_init(&a);
    enum kh_status rc = jwt_verify((const char *)data, size, (const struct jose_key *const *)keys,
                                   n_keys, &expect, &a, &c);
    /* What jwt_verify promises on success; a violation is a bug worth a crash. */
    if (rc == KH_OK && (c.exp <= NOW - LEEWAY || !c.iss || strcmp(c.iss, ISSUER) != 0
                        || strcmp(c.aud, "api") != 0 || !c.payload_json))
        abort();
    arena_free(&a);
    return 0;
}
