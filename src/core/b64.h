/* b64.h - base64url (RFC 4648 §5, no padding) and standard base64.
 *
 * Decoders are strict: no padding for base64url, no whitespace, and the unused
 * low bits of the last character must be zero (non-canonical input is
 * refused, so one byte string has exactly one encoding). */
#ifndef KH_CORE_B64_H
#define KH_CORE_B64_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

/* Length of the unpadded base64url encoding of n bytes (without NUL). */
size_t b64url_encoded_len(size_t n);
/* Writes b64url_encoded_len(n) chars plus a NUL into out (size >= len + 1). */
void b64url_encode(const uint8_t *in, size_t n, char *out);
/* Decodes into out (size >= n * 3 / 4 + 1); *out_len set on success. */
enum kh_status b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len) KH_MUST_CHECK;

/* Standard base64 with '=' padding (HTTP Basic, RFC 7617). Same strictness. */
size_t b64std_encoded_len(size_t n);
void b64std_encode(const uint8_t *in, size_t n, char *out);
enum kh_status b64std_decode(const char *in, size_t n, uint8_t *out, size_t *out_len) KH_MUST_CHECK;

#endif
