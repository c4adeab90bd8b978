/* form.h - strict application/x-www-form-urlencoded parsing (HTML form rules).
 *
 * '+' is a space; '%XX' must be two hex digits; %00 and invalid UTF-8 are
 * refused; an empty name or a name given twice is refused (RFC 6749 §3.2:
 * parameters must not be included more than once). Pairs without '=' are
 * refused; empty values ("a=") are kept as "". Results live in the arena. */
#ifndef KH_HTTP_FORM_H
#define KH_HTTP_FORM_H

#include <stddef.h>
#include "core/arena.h"
#include "core/status.h"

#define FORM_MAX_PARAMS 32

struct form_param {
    const char *name;
    const char *value;
};

struct form {
    struct form_param params[FORM_MAX_PARAMS];
    size_t n;
};

/* KH_ERR_INVALID for malformed input or a duplicate, KH_ERR_TOOBIG past FORM_MAX_PARAMS. */
enum kh_status form_parse(struct arena *a, const char *body, size_t n, struct form *out) KH_MUST_CHECK;
/* The value of `name`, or NULL if absent. */
const char *form_get(const struct form *f, const char *name);
/* Decodes one form-urlencoded component (same rules) into a NUL-terminated arena string. */
enum kh_status form_decode(struct arena *a, const char *s, size_t n, char **out) KH_MUST_CHECK;

#endif
