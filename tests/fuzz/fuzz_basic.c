/* fuzz_basic.c - basic_parse on arbitrary bytes made into a NUL-terminated
 * header value (as libmicrohttpd hands it over). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/basic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';
    struct arena a;
    arena_init(&a);
    const char *id = NULL, *secret = NULL;
    enum kh_status rc = basic_parse(&a, header, &id, &secret);
    if (rc == KH_OK && (!id || !secret || id[0] == '\0'))
        abort();
    if (rc != KH_OK && (id || secret))
        abort(); /* out-parameters are written only on success */
    arena_free(&a);
    free(header);
    return 0;
}
