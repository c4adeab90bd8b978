/* jwks.c - JWK Set output and parsing. */
#include "jose/jwks.h"

#include <stdlib.h>

#include <jansson.h>

#include "jose/key_internal.h"

void jwks_write(const struct jose_key *const *keys, size_t n, struct jsonw *w)
{
    jsonw_obj_begin(w);
    jsonw_key(w, "keys");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        jose_key_write_jwk(keys[i], w);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

void jwks_free(struct jose_key **keys, size_t n)
{
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++)
        jose_key_free(keys[i]);
    free(keys);
}

enum kh_status jwks_parse(const char *json, size_t n, struct jose_key ***out, size_t *n_out)
{
    enum kh_status rc = KH_ERR_INVALID;
    struct jose_key **keys = NULL;
    size_t count = 0;
    json_t *root = NULL;

    if (!json)
        return KH_ERR_INVALID;
    if (n > JWKS_DOC_MAX)
        return KH_ERR_TOOBIG;
    root = json_loadb(json, n, JSON_REJECT_DUPLICATES, NULL);
    const json_t *arr = json_object_get(root, "keys");
    if (!json_is_object(root) || !json_is_array(arr))
        goto out;
    size_t total = json_array_size(arr);
    rc = KH_ERR_TOOBIG;
    if (total > JWKS_KEYS_MAX)
        goto out;
    rc = KH_ERR_NOMEM;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers */
    if (total > 0 && !(keys = calloc(total, sizeof *keys)))
        goto out;
    for (size_t i = 0; i < total; i++) {
        struct jose_key *k = NULL;
        rc = jwk_from_json(json_array_get(arr, i), &k);
        if (rc)
            goto out;
        if (k)
            keys[count++] = k;
    }
    if (count == 0) {
        free(keys);
        keys = NULL;
    }
    *out = keys;
    *n_out = count;
    keys = NULL;
    rc = KH_OK;
out:
    jwks_free(keys, count);
    json_decref(root);
    return rc;
}
