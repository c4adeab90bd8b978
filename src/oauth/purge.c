/* purge.c - the background purge thread. */
#include "oauth/purge.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include "core/clock.h"
#include "core/log.h"

struct purge {
    struct store *store;
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cond;   /* signalled by purge_stop() */
    bool stop;
};

/* Under p->mu: waits ms milliseconds or until stopped; true if stopped. */
static bool wait_locked(struct purge *p, int64_t ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(ms / 1000);
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (!p->stop)
        if (pthread_cond_timedwait(&p->cond, &p->mu, &deadline) == ETIMEDOUT)
            break;
    return p->stop;
}

static bool pause_or_stop(struct purge *p, int64_t ms)
{
    pthread_mutex_lock(&p->mu);
    bool stop = wait_locked(p, ms);
    pthread_mutex_unlock(&p->mu);
    return stop;
}

static size_t removed(const struct purge_counts *c)
{
    return c->refresh_tokens + c->sessions + c->access_tokens + c->revoked_jtis;
}

static void add(struct purge_counts *total, const struct purge_counts *c)
{
    total->refresh_tokens += c->refresh_tokens;
    total->sessions += c->sessions;
    total->access_tokens += c->access_tokens;
    total->revoked_jtis += c->revoked_jtis;
}

/* Passes until one removes nothing; `now` is fixed for the run, so the rows
 * to remove are a finite set and the run ends. p NULL: no pauses, no stop. */
static enum kh_status run(struct purge *p, struct store *s, int64_t now, struct purge_counts *total,
                          int64_t *passes)
{
    for (;;) {
        struct purge_counts c = {0};
        enum kh_status rc = store_purge(s, now, PURGE_BATCH, &c);
        if (rc)
            return rc;
        add(total, &c);
        ++*passes;
        if (removed(&c) == 0)
            return KH_OK;
        if (p && pause_or_stop(p, PURGE_PAUSE_MS))
            return KH_OK;
    }
}

enum kh_status purge_run(struct store *s, int64_t now, struct purge_counts *total)
{
    int64_t passes = 0;
    return run(NULL, s, now, total, &passes);
}

static void run_logged(struct purge *p)
{
    struct purge_counts total = {0};
    int64_t passes = 0, started = clock_mono_us();
    enum kh_status rc = run(p, p->store, clock_now(), &total, &passes);
    int64_t ms = (clock_mono_us() - started) / 1000;
    log_emit(rc ? LOG_WARN : LOG_INFO, "purge",
             LOG_FIELDS(LOG_INT("refresh_tokens", total.refresh_tokens),
                        LOG_INT("sessions", total.sessions), LOG_INT("access_tokens", total.access_tokens),
                        LOG_INT("revoked_jtis", total.revoked_jtis), LOG_INT("passes", passes),
                        LOG_INT("duration_ms", ms), LOG_STR("error", rc ? kh_status_str(rc) : NULL)));
}

static void *purge_main(void *arg)
{
    struct purge *p = arg;
    do
        run_logged(p);
    while (!pause_or_stop(p, p->interval_ms));
    return NULL;
}

enum kh_status purge_start(struct store *s, unsigned interval_seconds, struct purge **out)
{
    if (interval_seconds == 0)
        return KH_ERR_INVALID;
    struct purge *p = calloc(1, sizeof *p);
    if (!p)
        return KH_ERR_NOMEM;
    p->store = s;
    p->interval_ms = (int64_t)interval_seconds * 1000;
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&p->mu, NULL);
    if (pthread_create(&p->thread, NULL, purge_main, p) != 0) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return KH_ERR_INTERNAL;
    }
    *out = p;
    return KH_OK;
}

void purge_stop(struct purge *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
