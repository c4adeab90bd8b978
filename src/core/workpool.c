/* workpool.c - fixed thread pool over a growable ring of jobs (one mutex). */
#include "core/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

struct job {
    workpool_fn fn;
    void *arg;
};

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct job *ring; /* cap slots; jobs at head .. head + count (mod cap) */
    size_t cap, head, count;
    bool stopping;
    bool batched;
    struct workpool_batch batch;
    int nice;
    size_t max_queued;
    unsigned n_threads;
    pthread_t threads[];
};

#define BATCH_MAX 256

/* Moves up to max waiting jobs into out. Called with the lock held. */
static size_t take(struct workpool *pool, struct job *out, size_t max)
{
    size_t n = 0;
    while (pool->count > 0 && n < max) {
        out[n++] = pool->ring[pool->head];
        pool->head = (pool->head + 1) % pool->cap;
        pool->count--;
    }
    return n;
}

static void run(struct workpool *pool, struct job *jobs, size_t n)
{
    if (n == 0)
        return;
    if (!pool->batched) {
        jobs[0].fn(jobs[0].arg);
        return;
    }
    const struct workpool_batch *b = &pool->batch;
    int failed = b->begin(b->ctx);
    if (!failed) {
        for (size_t i = 0; i < n; i++)
            jobs[i].fn(jobs[i].arg);
        failed = b->end(b->ctx);
    }
    for (size_t i = 0; i < n; i++)
        b->finish(jobs[i].arg, failed);
}

static void *worker(void *p)
{
    struct workpool *pool = p;
    struct job jobs[BATCH_MAX];
    size_t max = pool->batched ? pool->batch.max : 1;
    /* Linux applies a nice value per thread; failing to lower it is harmless. */
    if (pool->nice && setpriority(PRIO_PROCESS, (id_t)gettid(), pool->nice) != 0)
        (void)0;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (pool->count == 0 && !pool->stopping)
            pthread_cond_wait(&pool->cv, &pool->mu);
        if (pool->count == 0)
            break; /* stopping and drained */
        size_t n = take(pool, jobs, max);
        pthread_mutex_unlock(&pool->mu);
        run(pool, jobs, n);
        pthread_mutex_lock(&pool->mu);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

/* Stops and joins the first n threads (used by workpool_free and a failed new). */
static void stop_threads(struct workpool *pool, unsigned n)
{
    pthread_mutex_lock(&pool->mu);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    for (unsigned i = 0; i < n; i++)
        pthread_join(pool->threads[i], NULL);
}

static struct workpool *start(unsigned nthreads, int nice, size_t max_queued,
                              const struct workpool_batch *batch)
{
    if (nthreads == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        nthreads = ncpu > 0 ? (unsigned)ncpu : 1;
    }
    struct workpool *pool = calloc(1, sizeof(*pool) + nthreads * sizeof(pthread_t));
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->nice = nice;
    pool->max_queued = max_queued;
    if (batch) {
        pool->batched = true;
        pool->batch = *batch;
        if (pool->batch.max == 0 || pool->batch.max > BATCH_MAX)
            pool->batch.max = BATCH_MAX;
    }
    for (unsigned i = 0; i < nthreads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0) {
            stop_threads(pool, i);
            pool->n_threads = 0;
            workpool_free(pool);
            return NULL;
        }
    }
    pool->n_threads = nthreads;
    return pool;
}

struct workpool *workpool_new(unsigned nthreads, int nice, size_t max_queued)
{
    return start(nthreads, nice, max_queued, NULL);
}

struct workpool *workpool_new_batched(unsigned nthreads, int nice, size_t max_queued,
                                      const struct workpool_batch *batch)
{
    return start(nthreads, nice, max_queued, batch);
}

/* Doubles the ring, unrolling it so that head is 0. Called with the lock held. */
static enum kh_status grow(struct workpool *pool)
{
    size_t cap = pool->cap ? pool->cap * 2 : 64;
    struct job *ring = malloc(cap * sizeof(*ring));
    if (!ring)
        return KH_ERR_NOMEM;
    for (size_t i = 0; i < pool->count; i++)
        ring[i] = pool->ring[(pool->head + i) % pool->cap];
    free(pool->ring);
    pool->ring = ring;
    pool->cap = cap;
    pool->head = 0;
    return KH_OK;
}

enum kh_status workpool_submit(struct workpool *pool, workpool_fn fn, void *arg)
{
    enum kh_status rc = KH_OK;
    pthread_mutex_lock(&pool->mu);
    if (pool->stopping) {
        rc = KH_ERR_INVALID;
        goto out;
    }
    if (pool->count >= pool->max_queued) {
        rc = KH_ERR_TOOBIG;
        goto out;
    }
    if (pool->count == pool->cap) {
        rc = grow(pool);
        if (rc)
            goto out;
    }
    pool->ring[(pool->head + pool->count) % pool->cap] = (struct job){fn, arg};
    pool->count++;
    pthread_cond_signal(&pool->cv);
out:
    pthread_mutex_unlock(&pool->mu);
    return rc;
}

void workpool_free(struct workpool *pool)
{
    if (!pool)
        return;
    stop_threads(pool, pool->n_threads);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool->ring);
    free(pool);
}
