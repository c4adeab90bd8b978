/* pct.h - percent-decoding and UTF-8 validation shared by form.c, basic.c and
 * router.c (private to src/http).
 *
 * One decoder, so a form value, a Basic client id and a path capture obey the
 * same rules: '%' must be followed by two hex digits, neither %00 nor a raw NUL
 * is accepted, and the decoded bytes must be valid UTF-8 (no overlong forms,
 * no surrogates, nothing above U+10FFFF). Thread safe (no state). */
#ifndef KH_HTTP_PCT_H
#define KH_HTTP_PCT_H

#include <stdbool.h>
#include <stddef.h>
#include "core/arena.h"
#include "core/status.h"

/* Decodes s[0..n) into a NUL-terminated arena string. With plus_is_space a '+'
 * becomes a space (form encoding); otherwise it stays a '+' (URL paths).
 * KH_ERR_INVALID on a bad escape, a NUL or invalid UTF-8; *out and *out_len
 * (may be NULL) are written only on success. */
enum kh_status pct_decode(struct arena *a, const char *s, size_t n, bool plus_is_space, char **out,
                          size_t *out_len) KH_MUST_CHECK;


#endif
