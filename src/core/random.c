/* random.c - the OS CSPRNG (getrandom), never a userspace generator. */
#include "core/random.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void os_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fputs("keyhold: the OS random number generator failed\n", stderr);
            abort();
        }
        p += got;
        n -= (size_t)got;
    }
}

/* Small draws (UUIDs, secrets) come from a per-thread pool refilled from the
 * OS in 256-byte reads, saving a system call per token; the bytes are still
 * the OS CSPRNG's, each handed out once and wiped as it is taken. */
#define POOL_SIZE 256
static _Thread_local unsigned char pool[POOL_SIZE];
static _Thread_local size_t pool_left;

void random_bytes(void *out, size_t n)
{
    if (n > POOL_SIZE / 4) {
        os_random(out, n);
        return;
    }
    if (pool_left < n) {
        os_random(pool, POOL_SIZE);
        pool_left = POOL_SIZE;
    }
    unsigned char *src = pool + POOL_SIZE - pool_left;
    memcpy(out, src, n);
    memset(src, 0, n);
    pool_left -= n;
}

void random_uuid(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    random_bytes(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

void random_base62(char *out, size_t n)
{
    static const char alphabet[] =
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    unsigned char draw[64];
    size_t avail = 0, o = 0;
    while (o < n) {
        if (avail == 0) {
            random_bytes(draw, sizeof draw);
            avail = sizeof draw;
        }
        unsigned char c = draw[--avail];
        if (c >= 248) /* 248 = 4 * 62: reject to keep the draw uniform */
            continue;
        out[o++] = alphabet[c % 62];
    }
    out[n] = '\0';
}
