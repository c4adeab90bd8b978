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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_jobs_run_and_free_drains),
        cmocka_unit_test(test_fifo_and_growth),
        cmocka_unit_test(test_default_threads_and_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
