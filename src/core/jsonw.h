/* jsonw.h - a small streaming JSON writer into a capped buf.
 *
 * Used for every JSON that keyhold emits (responses, JWT headers and claims):
 * strings are always escaped, commas are placed by the writer. Errors are
 * sticky: check jsonw_finish() once at the end. Not for parsing (jansson does
 * that, with JSON_REJECT_DUPLICATES). */
#ifndef KH_CORE_JSONW_H
#define KH_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

#define JSONW_MAX_DEPTH 16

struct jsonw {
    struct buf *out;
    enum kh_status err;
    int depth;
    bool first[JSONW_MAX_DEPTH]; /* no element written yet at this depth */
};

void jsonw_init(struct jsonw *w, struct buf *out);
void jsonw_obj_begin(struct jsonw *w);
void jsonw_obj_end(struct jsonw *w);
void jsonw_arr_begin(struct jsonw *w);
void jsonw_arr_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
void jsonw_str(struct jsonw *w, const char *s);            /* NULL writes null */
void jsonw_strn(struct jsonw *w, const char *s, size_t n);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* Shorthands: key + value. */
void jsonw_kv_str(struct jsonw *w, const char *key, const char *s);
void jsonw_kv_int(struct jsonw *w, const char *key, int64_t v);
/* A time that may be unset: 0 writes null. */
void jsonw_kv_time(struct jsonw *w, const char *key, int64_t t);
void jsonw_kv_bool(struct jsonw *w, const char *key, bool v);
/* Writes each space-separated word of s as a string into an array value. */
void jsonw_kv_words(struct jsonw *w, const char *key, const char *s);
/* KH_OK if everything was written and every object/array closed. */
enum kh_status jsonw_finish(struct jsonw *w) KH_MUST_CHECK;

#endif
