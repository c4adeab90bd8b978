/* b64.c - strict base64url and base64 codecs. */
#include "core/b64.h"

static const char URL_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char STD_ALPHABET[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void encode(const char *alphabet, const uint8_t *in, size_t n, char *out, int pad)
{
    size_t i = 0, o = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        out[o++] = alphabet[v >> 6 & 63];
        out[o++] = alphabet[v & 63];
    }
    size_t rest = n - i;
    if (rest) {
        uint32_t v = (uint32_t)in[i] << 16 | (rest == 2 ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18 & 63];
        out[o++] = alphabet[v >> 12 & 63];
        if (rest == 2)
            out[o++] = alphabet[v >> 6 & 63];
        if (pad) {
            if (rest == 1)
                out[o++] = '=';
            out[o++] = '=';
        }
    }
    out[o] = '\0';
}

static int value_of(char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Decodes n unpadded characters; refuses a length of 1 mod 4 and
 * non-zero unused bits in the last character (non-canonical). */
static enum kh_status decode(const char *in, size_t n, uint8_t *out, size_t *out_len, int url)
{
    if (n % 4 == 1)
        return KH_ERR_INVALID;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = value_of(in[i], url);
        if (v < 0)
            return KH_ERR_INVALID;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return KH_ERR_INVALID;
    *out_len = o;
    return KH_OK;
}

size_t b64url_encoded_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

void b64url_encode(const uint8_t *in, size_t n, char *out)
{
    encode(URL_ALPHABET, in, n, out, 0);
}

enum kh_status b64url_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    return decode(in, n, out, out_len, 1);
}

size_t b64std_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void b64std_encode(const uint8_t *in, size_t n, char *out)
{
    encode(STD_ALPHABET, in, n, out, 1);
}

enum kh_status b64std_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    if (n % 4 != 0)
        return KH_ERR_INVALID;
    size_t pad = 0;
    if (n >= 1 && in[n - 1] == '=')
        pad++;
    if (n >= 2 && in[n - 2] == '=')
        pad++;
    return decode(in, n - pad, out, out_len, 0);
}
