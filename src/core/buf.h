/* buf.h - a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Appending past the cap fails with KH_ERR_TOOBIG and leaves the buffer as it
 * was. The content is always NUL-terminated (the NUL is not counted in len).
 * The buffer owns its memory (malloc); buf_free() releases it. */
#ifndef KH_CORE_BUF_H
#define KH_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

struct buf {
    char *data;
    size_t len;
    size_t cap_alloc; /* bytes allocated */
    size_t max;       /* hard cap on len */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b); /* len = 0, keeps memory */

enum kh_status buf_add(struct buf *b, const void *p, size_t n) KH_MUST_CHECK;
enum kh_status buf_addstr(struct buf *b, const char *s) KH_MUST_CHECK;
enum kh_status buf_addc(struct buf *b, char c) KH_MUST_CHECK;
enum kh_status buf_printf(struct buf *b, const char *fmt, ...) KH_MUST_CHECK
    __attribute__((format(printf, 2, 3)));

#endif
