/* fuzz_form.c - form_parse on arbitrary bytes; every accepted result is
 * re-checked against the rules of form.h. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a;
    arena_init(&a);
    struct form f;
    if (form_parse(&a, (const char *)data, size, &f) == KH_OK) {
        if (f.n > FORM_MAX_PARAMS)
            abort();
        for (size_t i = 0; i < f.n; i++) {
            if (f.params[i].name[0] == '\0' || form_get(&f, f.params[i].name) != f.params[i].value)
                abort(); /* an empty name, or a duplicate that shadows this one */
            (void)strlen(f.params[i].value);
        }
    }
    char *out;
    if (form_decode(&a, (const char *)data, size, &out) == KH_OK && strlen(out) > size)
        abort();
    arena_free(&a);
    return 0;
}
