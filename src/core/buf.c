/* buf.c - capped growable buffer. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap_alloc = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static enum kh_status reserve(struct buf *b, size_t extra)
{
    if (extra > b->max - b->len)
        return KH_ERR_TOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap_alloc)
        return KH_OK;
    /* Most buffers (tokens, responses, log lines) end between 0.5 and 2 KiB:
     * start there rather than grow through several reallocations. */
    size_t cap = b->cap_alloc ? b->cap_alloc : 1024;
    while (cap < need)
        cap *= 2;
    if (b->max < SIZE_MAX && cap > b->max + 1) /* max + 1 would wrap to 0 */
        cap = b->max + 1;
    char *p = realloc(b->data, cap);
    if (!p)
        return KH_ERR_NOMEM;
    b->data = p;
    b->cap_alloc = cap;
    return KH_OK;
}

enum kh_status buf_add(struct buf *b, const void *p, size_t n)
{
    enum kh_status rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return KH_OK;
}

enum kh_status buf_addstr(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

enum kh_status buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

enum kh_status buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KH_ERR_INVALID;
    enum kh_status rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KH_OK;
}
