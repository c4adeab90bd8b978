/* usage.c - the last-use queue and its writer thread (usage.h). */
#include "oauth/usage.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/log.h"

#define CLIENT_ID_MAX 255 /* manage.c's limit on client ids */

struct pending_use {
    int64_t realm_id;
    int64_t at;
    char client_id[CLIENT_ID_MAX + 1];
};

struct usage {
    struct store *store;
    pthread_mutex_t mu;           /* guards n, queue and stop; held only briefly */
    pthread_cond_t cond;          /* wakes the writer to stop */
    struct pending_use queue[USAGE_QUEUE_MAX];
    size_t n;
    bool stop, started;
    unsigned flush_ms;
    pthread_t thread;
    /* the writer's copy of the queue, so the lock is not held during the write */
    struct pending_use batch[USAGE_QUEUE_MAX];
};

bool usage_is_due(int64_t last_used_at, int64_t now)
{
    return last_used_at == 0 || now - last_used_at >= USAGE_MIN_INTERVAL;
}

struct usage *usage_new(struct store *s)
{
    struct usage *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->store = s;
    pthread_mutex_init(&u->mu, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&u->cond, &attr);
    pthread_condattr_destroy(&attr);
    return u;
}

/* Under u->mu: true if the client is queued already. */
static bool is_queued(const struct usage *u, int64_t realm_id, const char *client_id)
{
    for (size_t i = 0; i < u->n; i++)
        if (u->queue[i].realm_id == realm_id && strcmp(u->queue[i].client_id, client_id) == 0)
            return true;
    return false;
}

bool usage_note(struct usage *u, const struct client *c, int64_t now)
{
    if (!u || !usage_is_due(c->last_used_at, now) || strlen(c->client_id) > CLIENT_ID_MAX)
        return false;
    if (pthread_mutex_trylock(&u->mu) != 0)
        return false; /* the writer is swapping the queue: the next token notes it */
    bool queued = false;
    if (u->n < USAGE_QUEUE_MAX && !is_queued(u, c->realm_id, c->client_id)) {
        struct pending_use *p = &u->queue[u->n++];
        p->realm_id = c->realm_id;
        p->at = now;
        memcpy(p->client_id, c->client_id, strlen(c->client_id) + 1);
        queued = true;
    }
    pthread_mutex_unlock(&u->mu);
    return queued;
}

enum kh_status usage_flush(struct usage *u, size_t *written)
{
    pthread_mutex_lock(&u->mu);
    size_t n = u->n;
    memcpy(u->batch, u->queue, n * sizeof u->queue[0]);
    u->n = 0;
    pthread_mutex_unlock(&u->mu);
    if (written)
        *written = n;
    if (n == 0)
        return KH_OK;
    struct client_use uses[USAGE_QUEUE_MAX];
    for (size_t i = 0; i < n; i++)
        uses[i] = (struct client_use){u->batch[i].realm_id, u->batch[i].client_id, u->batch[i].at};
    enum kh_status rc = store_client_touch(u->store, uses, n, USAGE_MIN_INTERVAL);
    if (rc)
        log_warn("usage.write_failed", LOG_INT("clients", (int64_t)n),
                 LOG_STR("error", kh_status_str(rc)));
    return rc;
}

/* Under u->mu: waits ms milliseconds or until stopped; true if stopped. */
static bool wait_locked(struct usage *u, int64_t ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += (time_t)(ms / 1000);
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (!u->stop)
        if (pthread_cond_timedwait(&u->cond, &u->mu, &deadline) == ETIMEDOUT)
            break;
    return u->stop;
}

static void *usage_main(void *arg)
{
    struct usage *u = arg;
    for (;;) {
        pthread_mutex_lock(&u->mu);
        bool stop = wait_locked(u, u->flush_ms);
        pthread_mutex_unlock(&u->mu);
        if (stop)
            return NULL; /* usage_stop() writes the rest */
        usage_flush(u, NULL); /* a failure is logged; the next tokens note them again */
    }
}

enum kh_status usage_start(struct usage *u, unsigned flush_ms)
{
    if (!u || flush_ms == 0 || u->started)
        return KH_ERR_INVALID;
    u->flush_ms = flush_ms;
    if (pthread_create(&u->thread, NULL, usage_main, u) != 0)
        return KH_ERR_INTERNAL;
    u->started = true;
    return KH_OK;
}

void usage_stop(struct usage *u)
{
    if (!u)
        return;
    if (u->started) {
        pthread_mutex_lock(&u->mu);
        u->stop = true;
        pthread_cond_signal(&u->cond);
        pthread_mutex_unlock(&u->mu);
        pthread_join(u->thread, NULL);
    }
    usage_flush(u, NULL);
    pthread_cond_destroy(&u->cond);
    pthread_mutex_destroy(&u->mu);
    free(u);
}
