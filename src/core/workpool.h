/* workpool.h - a small fixed pool of threads running submitted jobs in FIFO order.
 *
 * Used by the HTTP server for slow work (password hashing) so that its I/O
 * threads never block. Jobs are queued up to a limit; each job runs exactly once on one of the pool's threads.
 * Thread safety: workpool_submit() may be called from any thread at once;
 * workpool_free() must be called once, by one thread, after the last submit. */
#ifndef KH_CORE_WORKPOOL_H
#define KH_CORE_WORKPOOL_H

#include <stddef.h>
#include "core/status.h"

struct workpool;

typedef void (*workpool_fn)(void *arg);

/* Starts nthreads threads (0: one per online CPU) running at the given nice
 * value (e.g. 10: below the I/O threads, so that slow work yields the CPU to
 * fast requests), with at most max_queued jobs waiting. NULL if a thread or
 * the memory could not be had (nothing is left running then). */
struct workpool *workpool_new(unsigned nthreads, int nice, size_t max_queued);
/* Batches: a pool made with workpool_new_batched() takes up to `max` waiting
 * jobs at once, calls begin(ctx), runs each job, calls end(ctx), then
 * finish(arg, failed) for each job, failed being end()'s result. If begin()
 * fails, no job of the batch runs and each is finished as failed. So work that
 * must be all-or-nothing (one store transaction for many requests) is done
 * once per batch, and no job's outcome is published before the batch holds. */
struct workpool_batch {
    size_t max;
    int (*begin)(void *ctx);                 /* 0: go on */
    int (*end)(void *ctx);                   /* 0: the batch's work holds */
    void (*finish)(void *job_arg, int failed);
    void *ctx;
};
struct workpool *workpool_new_batched(unsigned nthreads, int nice, size_t max_queued,
                                      const struct workpool_batch *batch);

/* Queues fn(arg). KH_ERR_TOOBIG when max_queued jobs wait,
 * KH_ERR_INVALID once workpool_free() has begun, KH_ERR_NOMEM. The job is not
 * queued on error: the caller still owns arg. */
enum kh_status workpool_submit(struct workpool *pool, workpool_fn fn, void *arg) KH_MUST_CHECK;
/* Runs every job already queued (drains), joins the threads and frees the
 * pool. NULL is ignored. */
void workpool_free(struct workpool *pool);

#endif
