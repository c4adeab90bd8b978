/* fuzz_jwks.c - libFuzzer target: the input is a JWKS document for
 * jwks_parse, and a single JWK for jose_key_from_jwk. Every key that parses
 * is written back with jwks_write and must parse again to the same kids.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined, or replay the corpus
 * with tests/fuzz/replay_main.c (make fuzz-replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "jose/jwks.h"
#include "jose/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Written keys must read back as the same keys. */
static void roundtrip(struct jose_key **keys, size_t n)
{
    struct buf b;
    struct jsonw w;
    struct jose_key **again = NULL;
    size_t n_again = 0;
    buf_init(&b, 1 << 20);
    jsonw_init(&w, &b);
    jwks_write((const struct jose_key *const *)keys, n, &w);
    if (jsonw_finish(&w) || jwks_parse(b.data, b.len, &again, &n_again) || n_again != n)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(jose_key_kid(keys[i]), jose_key_kid(again[i])) != 0
            || jose_key_alg(keys[i]) != jose_key_alg(again[i]))
            abort();
    }
    jwks_free(again, n_again);
    buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jose_key **keys = NULL;
    size_t n = 0;
    if (jwks_parse((const char *)data, size, &keys, &n) == KH_OK) {
        roundtrip(keys, n);
        jwks_free(keys, n);
    }
    struct jose_key *k = NULL;
    if (jose_key_from_jwk((const char *)data, size, &k) == KH_OK) {
        roundtrip(&k, 1);
        jose_key_free(k);
    }
    return 0;
}
