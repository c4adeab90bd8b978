/* fuzz_import_json.c - the JSON reader of imports on arbitrary bytes; every row
 * handed over is re-checked against reader.h. Reads only: no store is involved. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/utf8.h"
#include "imports/reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum kh_status check_row(void *ctx, const struct import_row *row)
{
    size_t *last = ctx;
    if (row->number != *last + 1 || row->n_roles > IMPORT_MAX_ROLES)
        abort();
    *last = row->number;
    for (int f = 0; f < IMPORT_N_FIELDS; f++) {
        const char *v = row->value[f];
        if (v && (v[row->len[f]] != '\0' || !(row->present & (1u << f))))
            abort();
        if (v && !utf8_valid(v, row->len[f]))
            abort(); /* jansson hands over UTF-8 only */
    }
    for (size_t i = 0; i < row->n_roles; i++)
        (void)strlen(row->roles[i]);
    return KH_OK;
}

/* The input is fed in two pieces split where its first byte says, so that
 * piece boundaries land everywhere in the scanner's states. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t split = size ? data[0] % (size + 1) : 0;
    const char *why = NULL;
    size_t last = 0;
    struct import_json *r = import_json_new(check_row, &last);
    if (!r)
        return 0;
    enum kh_status rc = import_json_feed(r, data, split, &why);
    if (!rc)
        rc = import_json_feed(r, data + split, size - split, &why);
    if (!rc)
        rc = import_json_finish(r, &why);
    if (rc && (!why || !*why))
        abort();
    import_json_free(r);
    return 0;
}
