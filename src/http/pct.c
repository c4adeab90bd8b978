/* pct.c - strict percent-decoding and UTF-8 validation. */
#include "http/pct.h"

#include "core/hash.h"
#include "core/utf8.h"


enum kh_status pct_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out,
                          size_t *out_len)
{
    /* The decoded form is never longer than the input. */
    unsigned char *d = arena_alloc(a, n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (n - i < 3)
                return KH_ERR_INVALID;
            int hi = hex_digit((unsigned char)s[i + 1]);
            int lo = hex_digit((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0)
                return KH_ERR_INVALID;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        if (c == '\0')
            return KH_ERR_INVALID;
        d[o++] = c;
    }
    if (!utf8_valid((const char *)d, o))
        return KH_ERR_INVALID;
    d[o] = '\0';
    *out = (char *)d;
    if (out_len)
        *out_len = o;
    return KH_OK;
}
