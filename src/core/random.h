/* random.h - randomness from the OS CSPRNG only (getrandom(2)).
 * Thread safe. Failure to read the OS CSPRNG aborts: there is no fallback. */
#ifndef KH_CORE_RANDOM_H
#define KH_CORE_RANDOM_H

#include <stddef.h>
#include <stdint.h>

void random_bytes(void *out, size_t n);
/* A random UUID v4 as 36 lowercase chars plus NUL into out[37]. */
void random_uuid(char out[37]);
/* n random base62 characters (uniform, rejection sampled) plus NUL into out. */
void random_base62(char *out, size_t n);

#endif
