/* arena.h - a bump allocator owned by one request or one command.
 *
 * Everything allocated from an arena is freed at once by arena_free(); callers
 * never free arena objects one by one. Not thread safe: one arena belongs to
 * one thread at a time. Allocation failure aborts the process (out of memory
 * is not a recoverable condition for a server with capped inputs). */
#ifndef KH_CORE_ARENA_H
#define KH_CORE_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head;
    size_t used; /* bytes handed out, for caps and metrics */
};

void arena_init(struct arena *a);
void arena_free(struct arena *a); /* frees every block; the arena may be reused */

void *arena_alloc(struct arena *a, size_t n);   /* 16-byte aligned, zeroed */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n); /* NUL-terminated */
void *arena_memdup(struct arena *a, const void *p, size_t n);
/* printf into the arena; never fails (aborts on OOM). */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
