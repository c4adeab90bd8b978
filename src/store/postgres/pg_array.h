/* pg_array.h - private to src/store/postgres/: a list of strings as one
 * text[] parameter, so that a statement takes any number of names in one
 * round trip (`= ANY($n::text[])`, `unnest($n::text[])`).
 *
 * (Used by user.c and upsert.c; a candidate for conn.c as pg_p_strs.) */
#ifndef KH_STORE_PG_ARRAY_H
#define KH_STORE_PG_ARRAY_H

#include <stddef.h>
#include <string.h>
#include "core/arena.h"

/* v[0..n) as a PostgreSQL array literal in the arena: {"a","b\"c"}. Every
 * element is quoted, with " and \ escaped, so that no value (empty, NULL,
 * with braces, commas or spaces) is read as anything but itself; a NULL
 * pointer is the SQL NULL element. */
static inline const char *pg_text_array(struct arena *a, const char *const *v, size_t n)
{
    size_t len = 3; /* { } NUL */
    for (size_t i = 0; i < n; i++)
        len += v[i] ? 3 + 2 * strlen(v[i]) : 5; /* "" , and each byte escaped | NULL, */
    char *out = arena_alloc(a, len), *p = out;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        if (!v[i]) {
            memcpy(p, "NULL", 4);
            p += 4;
            continue;
        }
        *p++ = '"';
        for (const char *s = v[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

#endif
