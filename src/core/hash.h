/* hash.h - SHA-256, constant-time compare, wiping, CRC32 (OpenSSL + zlib-free). */
#ifndef KH_CORE_HASH_H
#define KH_CORE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);
/* Constant-time equality of two n-byte strings. */
bool secret_equal(const void *a, const void *b, size_t n);
/* Overwrites n bytes so the compiler cannot elide it. */
void secret_wipe(void *p, size_t n);
/* CRC-32 (IEEE 802.3, as zlib's crc32). */
uint32_t crc32_ieee(const void *p, size_t n);
/* Lowercase hex of n bytes plus NUL into out (size 2n + 1). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* The value of one hex digit (either case), or -1. */
int hex_digit(unsigned char c);
/* Exactly 2n hex digits into n bytes; false (out untouched) otherwise. */
bool hex_decode(const char *s, size_t len, uint8_t *out, size_t n);

#endif
