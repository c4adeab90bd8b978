/* secret.c - prefixed, checksummed secrets (khs_, khr_, kha_). */
#include "core/secret.h"

#include <string.h>
#include "core/random.h"

static const char BASE62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* CRC32 as 6 base62 digits, most significant first (62^6 > 2^32). */
static void crc_chars(const char *s, size_t n, char out[SECRET_CRC_CHARS])
{
    uint32_t crc = crc32_ieee(s, n);
    for (int i = SECRET_CRC_CHARS - 1; i >= 0; i--) {
        out[i] = BASE62[crc % 62];
        crc /= 62;
    }
}

void secret_new(const char *prefix, char out[SECRET_LEN + 1])
{
    memcpy(out, prefix, 3);
    out[3] = '_';
    random_base62(out + 4, SECRET_RANDOM_CHARS);
    crc_chars(out, 4 + SECRET_RANDOM_CHARS, out + 4 + SECRET_RANDOM_CHARS);
    out[SECRET_LEN] = '\0';
}

bool secret_check(const char *prefix, const char *s, size_t n)
{
    if (n != SECRET_LEN || memcmp(s, prefix, 3) != 0 || s[3] != '_')
        return false;
    for (size_t i = 4; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
            return false;
    }
    char want[SECRET_CRC_CHARS];
    crc_chars(s, 4 + SECRET_RANDOM_CHARS, want);
    return memcmp(want, s + 4 + SECRET_RANDOM_CHARS, SECRET_CRC_CHARS) == 0;
}

void secret_hash(const char *s, size_t n, uint8_t out[SHA256_LEN])
{
    sha256(s, n, out);
}
