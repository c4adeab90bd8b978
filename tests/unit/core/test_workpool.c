/* test_workpool.c - core/workpool (the HTTP server's slow-work pool): every job
 * runs once, FIFO on one thread, the ring grows, and free drains the queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdatomic.h>
#include <unistd.h>
#include "core/workpool.h"

#define N_JOBS 1000

static atomic_int ran;
static atomic_int gate;
static int order[N_JOBS];
static atomic_int next_slot;

static void count_job(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
}

static void order_job(void *arg)
{
    while (!atomic_load(&gate))
        usleep(100);
    order[atomic_fetch_add(&next_slot, 1)] = (int)(intptr_t)arg;
}

static void test_all_jobs_run_and_free_drains(void **state)
{
    (void)state;
    atomic_store(&ran, 0);
    struct workpool *pool = workpool_new(3, 0, 65536);
    assert_non_null(pool);
    for (int i = 0; i < N_JOBS; i++)
        assert_int_equal(workpool_submit(pool, count_job, NULL), KH_OK);
    workpool_free(pool); /* drains before it returns */
    assert_int_equal(atomic_load(&ran), N_JOBS);
}

static void test_fifo_and_growth(void **state)
{
    (void)state;
    atomic_store(&gate, 0);
    atomic_store(&next_slot, 0);
    struct workpool *pool = workpool_new(1, 0, 65536);
    assert_non_null(pool);
    /* The one worker is held by the gate while far more than the initial
     * ring's capacity is queued behind it. */
    for (int i = 0; i < N_JOBS; i++)
        assert_int_equal(workpool_submit(pool, order_job, (void *)(intptr_t)i), KH_OK);
    atomic_store(&gate, 1);
    workpool_free(pool);
    assert_int_equal(atomic_load(&next_slot), N_JOBS);
    for (int i = 0; i < N_JOBS; i++)
        assert_int_equal(order[i], i);
}

static void test_default_threads_and_null(void **state)
{
    (void)state;
    atomic_store(&ran, 0);
    struct workpool *pool = workpool_new(0, 0, 65536);
    assert_non_null(pool);
    assert_int_equal(workpool_submit(pool, count_job, NULL), KH_OK);
    workpool_free(pool);
    assert_int_equal(atomic_load(&ran), 1);
    workpool_free(NULL);
}

/* Batch mode: begin/end bracket the jobs, finish reports end's verdict, and a
 * failing begin skips the jobs but still finishes each one as failed. */
static atomic_int begins, ends, finished, failed_seen, begin_fails;

static int batch_begin(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&begins, 1);
    return atomic_load(&begin_fails);
}

static int batch_end(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&ends, 1);
    return 0;
}

static void batch_finish(void *arg, int failed)
{
    (void)arg;
    atomic_fetch_add(&finished, 1);
    if (failed)
        atomic_fetch_add(&failed_seen, 1);
}

static void gated_count_job(void *arg)
{
    (void)arg;
    while (!atomic_load(&gate))
        usleep(100);
    atomic_fetch_add(&ran, 1);
}

static void run_batches(int fail_begin)
{
    atomic_store(&ran, 0);
    atomic_store(&begins, 0);
    atomic_store(&ends, 0);
    atomic_store(&finished, 0);
    atomic_store(&failed_seen, 0);
    atomic_store(&begin_fails, fail_begin);
    atomic_store(&gate, 0);
    struct workpool_batch b = {.max = 8, .begin = batch_begin, .end = batch_end,
                               .finish = batch_finish, .ctx = NULL};
    struct workpool *pool = workpool_new_batched(1, 0, 1000, &b);
    assert_non_null(pool);
    /* The first job holds the thread until all 100 are queued. */
    assert_int_equal(workpool_submit(pool, gated_count_job, NULL), KH_OK);
    for (int i = 1; i < 100; i++)
        assert_int_equal(workpool_submit(pool, count_job, NULL), KH_OK);
    atomic_store(&gate, 1);
    workpool_free(pool);
    assert_int_equal(atomic_load(&finished), 100);
    assert_true(atomic_load(&begins) >= 13); /* 100 jobs, at most 8 a batch */
    assert_true(atomic_load(&begins) < 100);
    if (fail_begin) {
        assert_int_equal(atomic_load(&ran), 0);
        assert_int_equal(atomic_load(&ends), 0);
        assert_int_equal(atomic_load(&failed_seen), 100);
    } else {
        assert_int_equal(atomic_load(&ran), 100);
        assert_int_equal(atomic_load(&ends), atomic_load(&begins));
        assert_int_equal(atomic_load(&failed_seen), 0);
    }
}

static void test_batches(void **state)
{
    (void)state;
    run_batches(0);
    run_batches(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_all_jobs_run_and_free_drains),
        cmocka_unit_test(test_fifo_and_growth),
        cmocka_unit_test(test_default_threads_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
