/* utf8.h - strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence. Thread safe. */
#ifndef KH_CORE_UTF8_H
#define KH_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

bool utf8_valid(const char *s, size_t n);

#endif
