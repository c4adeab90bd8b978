/* fuzz_csv.c - the CSV reader of imports on arbitrary bytes, fed in chunks
 * whose size the first byte picks; every row handed over is re-checked
 * against reader.h. Reads only: no store is involved. */
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
        if (v && !row->error && !utf8_valid(v, row->len[f]))
            abort(); /* a row without error has only valid UTF-8 */
    }
    for (size_t i = 0; i < row->n_roles; i++)
        if (row->roles[i][0] == '\0' || strchr(row->roles[i], ';'))
            abort();
    return KH_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1;
    size_t last = 0;
    struct import_csv *r = import_csv_new(check_row, &last);
    if (!r)
        return 0;
    const char *why = NULL;
    enum kh_status rc = KH_OK;
    for (size_t i = 0; i < size && !rc; i += chunk)
        rc = import_csv_feed(r, data + i, size - i < chunk ? size - i : chunk, &why);
    if (!rc)
        rc = import_csv_finish(r, &why);
    if (rc && (!why || !*why))
        abort(); /* a failure always says why */
    import_csv_free(r);
    return 0;
}
