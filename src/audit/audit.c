/* audit.c - the audit log's producers' side and its writer thread (audit.h).
 *
 * audit_record() logs the event, copies it into one allocation and appends
 * it to a bounded ring under a mutex: no store call, no hashing, so a
 * client-credentials grant still writes nothing synchronously. The writer
 * thread takes up to AUDIT_BATCH_MAX events at a time, links each to the
 * previous event of its realm (seq, prev_hash, hash; see chain.h) starting
 * from the realm's stored head, and appends them in one transaction. The
 * store refuses the append if another process moved a head meanwhile; the
 * writer then reads the heads again and links again. Between batches, once
 * per retention interval, it purges old events (retention.c). */
#include "audit/audit.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit/retention.h"
#include "core/clock.h"
#include "core/hash.h"
#include "core/log.h"

#define RETRY_FIRST_MS 100
/* How long the writer lets events gather after the first one arrives: one
 * transaction for many events instead of one each (a commit, its file locks
 * and WAL write cost far more than an insert). Flushes cut it short. */
#define LINGER_MS 20
#define CONFLICT_RETRIES 8
#define CONFLICT_PAUSE_US 5000
#define CLOSE_GIVE_UP_S 10
/* A producer waiting for room looks this often whether the store fails. */
#define NOT_STORED_CHECK_US 100000

/* One queued event; its strings live in text[]. */
struct queued {
    struct audit_entry e;
    const char *realm; /* for the log line only */
    char text[];
};

/* The writer's view of one realm's chain while it links a batch. */
struct tip {
    int64_t realm_id;
    int64_t next_seq;
    uint8_t prev[SHA256_LEN];
};

/* A retention pass over every realm, one batch per step (writer only). */
struct purge_pass {
    int64_t *realm_ids;
    size_t n, i;
    int64_t cutoff;
    size_t removed;
};

struct audit {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* to the writer: events queued, stop */
    pthread_cond_t room;  /* to producers: the queue has room */
    pthread_cond_t done;  /* to flushers: events stored */
    struct queued *ring[AUDIT_QUEUE_MAX];
    size_t first, len;
    uint64_t recorded;    /* events queued since open */
    uint64_t stored;      /* events stored, or given up at close (lost) */
    uint64_t lost;
    uint64_t not_stored;  /* events given up while the store fails, not yet logged */
    int64_t not_stored_logged_us;
    int64_t failing_since_us; /* monotonic time of the first failure in a row; 0: none */
    bool writer_waits;    /* the writer sleeps on `work`: producers signal */
    size_t flushers;      /* threads in audit_flush(): no lingering */
    bool stop;
    /* retention, set once before traffic */
    bool keyed;
    uint8_t key[AUDIT_KEY_LEN];
    int64_t retention_s;
    int64_t interval_us;
    int64_t next_purge_us;
    /* the writer thread's own */
    struct purge_pass pass;
    struct tip tips[AUDIT_BATCH_MAX];
    struct audit_entry rows[AUDIT_BATCH_MAX];
};

/* Length of s cut to AUDIT_FIELD_MAX bytes at a UTF-8 character boundary. */
static size_t field_len(const char *s)
{
    if (!s)
        return 0;
    size_t n = strnlen(s, AUDIT_FIELD_MAX + 1);
    if (n > AUDIT_FIELD_MAX) {
        n = AUDIT_FIELD_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return n;
}

static const char *put(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = field_len(s);
    char *out = *p;
    memcpy(out, s, n);
    out[n] = '\0';
    *p += n + 1;
    return out;
}

/* The event copied into one allocation (NULL when out of memory). */
static struct queued *copy_event(const struct audit_event *ev)
{
    const char *outcome = ev->outcome ? ev->outcome : "ok";
    const char *strs[] = {ev->realm, ev->type, ev->actor, ev->target, ev->client_id,
                          ev->ip, outcome, ev->detail};
    size_t size = sizeof(struct queued);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        size += strs[i] ? field_len(strs[i]) + 1 : 0;
    struct queued *q = malloc(size);
    if (!q)
        return NULL;
    char *p = q->text;
    q->e = (struct audit_entry){.realm_id = ev->realm_id, .at = ev->at ? ev->at : clock_now()};
    q->realm = put(&p, ev->realm);
    q->e.type = put(&p, ev->type);
    q->e.actor = put(&p, ev->actor);
    q->e.target = put(&p, ev->target);
    q->e.client_id = put(&p, ev->client_id);
    q->e.ip = put(&p, ev->ip);
    q->e.outcome = put(&p, outcome);
    q->e.detail = put(&p, ev->detail);
    return q;
}

static void log_event(const struct queued *q)
{
    const struct audit_entry *e = &q->e;
    log_info("audit", LOG_STR("realm", q->realm), LOG_STR("type", e->type),
             LOG_STR("actor", e->actor), LOG_STR("target", e->target),
             LOG_STR("client_id", e->client_id), LOG_STR("ip", e->ip),
             LOG_STR("outcome", e->outcome), LOG_STR("detail", e->detail));
}

static void wait_until(struct audit *au, pthread_cond_t *cond, int64_t deadline_us);

/* Under au->mu: the store is failing and the queue is full, so q is given up
 * (it was logged). The count is logged at most once a second. */
static void not_stored(struct audit *au, struct queued *q)
{
    free(q);
    au->not_stored++;
    int64_t now = clock_mono_us();
    if (now - au->not_stored_logged_us < 1000000)
        return;
    au->not_stored_logged_us = now;
    log_error("audit.not_stored", LOG_INT("events", (int64_t)au->not_stored),
              LOG_STR("error", "the store is failing and the queue is full; these events "
                               "are only in the log lines above"));
    au->not_stored = 0;
}

void audit_record(struct audit *au, const struct audit_event *ev)
{
    struct queued *q = copy_event(ev);
    if (!q) {
        log_error("audit.not_stored", LOG_STR("type", ev->type), LOG_STR("error", "out of memory"));
        return;
    }
    log_event(q);
    if (!au || ev->realm_id <= 0) {
        if (au)
            log_error("audit.not_stored", LOG_STR("type", ev->type),
                      LOG_STR("error", "the event names no realm"));
        free(q);
        return;
    }
    pthread_mutex_lock(&au->mu);
    while (au->len == AUDIT_QUEUE_MAX) {
        if (au->failing_since_us) {
            not_stored(au, q);
            pthread_mutex_unlock(&au->mu);
            return;
        }
        /* Timed: the store may start failing while this producer waits. */
        wait_until(au, &au->room, clock_mono_us() + NOT_STORED_CHECK_US);
    }
    au->ring[(au->first + au->len) % AUDIT_QUEUE_MAX] = q;
    au->len++;
    au->recorded++;
    if (au->writer_waits || au->len == AUDIT_BATCH_MAX)
        pthread_cond_signal(&au->work);
    pthread_mutex_unlock(&au->mu);
}

/* The realm's tip among the first *n tips, loaded from its stored head on
 * first use: the next seq follows both the head and any row past it (a
 * tampered head must not make the writer collide with stored seqs forever;
 * the break stays visible to verification). */
static enum kh_status tip_of(struct audit *au, int64_t realm_id, size_t *n, struct tip **out)
{
    for (size_t i = 0; i < *n; i++) {
        if (au->tips[i].realm_id == realm_id) {
            *out = &au->tips[i];
            return KH_OK;
        }
    }
    struct audit_head h;
    enum kh_status rc = store_audit_head(au->store, realm_id, &h);
    if (rc)
        return rc;
    struct tip *t = &au->tips[(*n)++];
    t->realm_id = realm_id;
    t->next_seq = (h.seq > h.max_seq ? h.seq : h.max_seq) + 1;
    memcpy(t->prev, h.hash, SHA256_LEN); /* zeros without a head */
    *out = t;
    return KH_OK;
}

/* Links items[0..n) to their realms' chains and appends them. */
static enum kh_status link_and_append(struct audit *au, struct queued **items, size_t n)
{
    size_t n_tips = 0;
    for (size_t i = 0; i < n; i++) {
        /* items[0..n) are filled by write_one_batch */
        /* cppcheck-suppress uninitvar */
        struct audit_entry *e = &items[i]->e;
        struct tip *t;
        enum kh_status rc = tip_of(au, e->realm_id, &n_tips, &t);
        if (rc)
            return rc;
        e->seq = t->next_seq++;
        memcpy(e->prev_hash, t->prev, SHA256_LEN);
        rc = audit_chain_hash(e, e->hash);
        if (rc)
            return rc;
        memcpy(t->prev, e->hash, SHA256_LEN);
        au->rows[i] = *e;
    }
    return store_audit_append(au->store, au->rows, n);
}

static enum kh_status append_batch(struct audit *au, struct queued **items, size_t n)
{
    enum kh_status rc = KH_ERR_CONFLICT;
    for (int i = 0; i < CONFLICT_RETRIES && rc == KH_ERR_CONFLICT; i++)
        rc = link_and_append(au, items, n); /* lost to another writer: link again */
    return rc;
}

/* Under au->mu: waits until the monotonic deadline (0: none) or a signal. */
static void wait_until(struct audit *au, pthread_cond_t *cond, int64_t deadline_us)
{
    if (!deadline_us) {
        pthread_cond_wait(cond, &au->mu);
        return;
    }
    struct timespec ts = {.tv_sec = (time_t)(deadline_us / 1000000),
                          .tv_nsec = (long)(deadline_us % 1000000) * 1000};
    (void)pthread_cond_timedwait(cond, &au->mu, &ts);
}

static void pop(struct audit *au, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(au->ring[(au->first + i) % AUDIT_QUEUE_MAX]);
    au->first = (au->first + n) % AUDIT_QUEUE_MAX;
    au->len -= n;
    au->stored += n;
    pthread_cond_broadcast(&au->room);
    pthread_cond_broadcast(&au->done);
}

/* Under au->mu: writes the oldest batch, or after a failure logs it and
 * pauses (giving up only once closing has gone on for CLOSE_GIVE_UP_S). */
static void write_one_batch(struct audit *au, int64_t *backoff_ms, int64_t *stop_deadline_us)
{
    size_t n = au->len < AUDIT_BATCH_MAX ? au->len : AUDIT_BATCH_MAX;
    struct queued *items[AUDIT_BATCH_MAX];
    for (size_t i = 0; i < n; i++)
        items[i] = au->ring[(au->first + i) % AUDIT_QUEUE_MAX];
    pthread_mutex_unlock(&au->mu);
    enum kh_status rc = append_batch(au, items, n);
    pthread_mutex_lock(&au->mu);
    if (!rc) {
        pop(au, n);
        au->failing_since_us = 0;
        *backoff_ms = RETRY_FIRST_MS;
        return;
    }
    int64_t now = clock_mono_us();
    if (rc == KH_ERR_CONFLICT && !au->stop) {
        /* Lost CONFLICT_RETRIES races in a row to other instances appending to
         * the same chains: the store works, so no failure (no error, no giving
         * up events); pause a moment so that the others get through. */
        log_warn("audit.append_contended", LOG_INT("events", n));
        wait_until(au, &au->work, now + CONFLICT_PAUSE_US);
        return;
    }
    if (!au->failing_since_us)
        au->failing_since_us = now;
    if (au->stop && !*stop_deadline_us)
        *stop_deadline_us = now + (int64_t)CLOSE_GIVE_UP_S * 1000000;
    if (au->stop && now >= *stop_deadline_us) {
        log_error("audit.events_lost", LOG_INT("events", au->len),
                  LOG_STR("error", "the store kept failing while keyhold stopped; the events "
                                   "are only in the log lines above"));
        au->lost += au->len;
        pop(au, au->len);
        return;
    }
    log_error("audit.store_failed", LOG_INT("events", n), LOG_STR("error", kh_status_str(rc)),
              LOG_INT("retry_in_ms", *backoff_ms));
    wait_until(au, &au->work, now + *backoff_ms * 1000); /* audit_close() cuts it short */
    *backoff_ms = *backoff_ms * 2 > AUDIT_RETRY_MAX_MS ? AUDIT_RETRY_MAX_MS : *backoff_ms * 2;
}

/* The next realm's batch of the running retention pass (starting one if
 * none runs). Writer thread, without au->mu. */
static void purge_step(struct audit *au)
{
    struct purge_pass *p = &au->pass;
    if (!p->realm_ids) {
        struct arena a;
        arena_init(&a);
        struct realm *rs;
        size_t n;
        if (store_realm_list(au->store, &a, &rs, &n) == KH_OK && n &&
            (p->realm_ids = calloc(n, sizeof *p->realm_ids))) {
            for (size_t i = 0; i < n; i++)
                p->realm_ids[i] = rs[i].id;
            *p = (struct purge_pass){.realm_ids = p->realm_ids, .n = n,
                                     .cutoff = clock_now() - au->retention_s};
        }
        arena_free(&a);
    }
    if (p->i < p->n) {
        size_t removed = 0;
        /* p->n > 0 only with realm_ids allocated (above) */
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        enum kh_status rc = audit_purge_realm(au->store, au->key, p->realm_ids[p->i], p->cutoff,
                                              clock_now(), AUDIT_PURGE_BATCH, &removed);
        p->removed += rc ? 0 : removed;
        if (rc || removed < AUDIT_PURGE_BATCH)
            p->i++; /* this realm is done (or refused, logged): the next one */
        if (p->i < p->n)
            return;
    }
    if (p->removed)
        log_info("audit.purge", LOG_INT("events", p->removed), LOG_INT("realms", p->n));
    free(p->realm_ids);
    *p = (struct purge_pass){0};
    au->next_purge_us = clock_mono_us() + au->interval_us;
}

static bool purge_due(const struct audit *au)
{
    return au->keyed && au->retention_s > 0 && clock_mono_us() >= au->next_purge_us;
}

static void *writer_main(void *arg)
{
    struct audit *au = arg;
    int64_t backoff_ms = RETRY_FIRST_MS, stop_deadline_us = 0;
    pthread_mutex_lock(&au->mu);
    for (;;) {
        while (au->len == 0 && !au->stop && !purge_due(au)) {
            au->writer_waits = true;
            wait_until(au, &au->work, au->keyed && au->retention_s > 0 ? au->next_purge_us : 0);
            au->writer_waits = false;
        }
        if (au->len == 0 && au->stop)
            break;
        int64_t linger_until = clock_mono_us() + LINGER_MS * 1000;
        while (au->len > 0 && au->len < AUDIT_BATCH_MAX && !au->stop && !au->flushers &&
               clock_mono_us() < linger_until)
            wait_until(au, &au->work, linger_until);
        if (au->len > 0)
            write_one_batch(au, &backoff_ms, &stop_deadline_us);
        if (!au->stop && purge_due(au)) {
            pthread_mutex_unlock(&au->mu);
            purge_step(au);
            pthread_mutex_lock(&au->mu);
        }
    }
    pthread_mutex_unlock(&au->mu);
    return NULL;
}

static void init_cond(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

enum kh_status audit_open(struct store *s, struct audit **out)
{
    struct audit *au = calloc(1, sizeof *au);
    if (!au)
        return KH_ERR_NOMEM;
    au->store = s;
    pthread_mutex_init(&au->mu, NULL);
    init_cond(&au->work);
    init_cond(&au->room);
    init_cond(&au->done);
    if (pthread_create(&au->thread, NULL, writer_main, au) != 0) {
        pthread_cond_destroy(&au->work);
        pthread_cond_destroy(&au->room);
        pthread_cond_destroy(&au->done);
        pthread_mutex_destroy(&au->mu);
        free(au);
        return KH_ERR_INTERNAL;
    }
    *out = au;
    return KH_OK;
}

void audit_set_retention(struct audit *au, const uint8_t *master, int64_t retention_seconds,
                         unsigned interval_seconds)
{
    if (!au || !master || retention_seconds <= 0 || interval_seconds == 0)
        return;
    uint8_t key[AUDIT_KEY_LEN];
    if (audit_checkpoint_key(master, key)) {
        log_error("audit.retention_off", LOG_STR("error", "cannot derive the checkpoint key"));
        return;
    }
    pthread_mutex_lock(&au->mu);
    memcpy(au->key, key, sizeof key);
    au->keyed = true;
    au->retention_s = retention_seconds;
    au->interval_us = (int64_t)interval_seconds * 1000000;
    au->next_purge_us = clock_mono_us(); /* a first pass at once */
    pthread_cond_signal(&au->work);
    pthread_mutex_unlock(&au->mu);
    secret_wipe(key, sizeof key);
}

enum kh_status audit_flush(struct audit *au)
{
    if (!au)
        return KH_OK;
    enum kh_status rc = KH_OK;
    pthread_mutex_lock(&au->mu);
    uint64_t target = au->recorded, lost = au->lost;
    au->flushers++;
    pthread_cond_signal(&au->work); /* ends a linger */
    while (au->stored < target) {
        int64_t now = clock_mono_us();
        if (au->failing_since_us &&
            now - au->failing_since_us > (int64_t)AUDIT_FLUSH_GIVE_UP_S * 1000000) {
            rc = KH_ERR_STORE;
            break;
        }
        wait_until(au, &au->done, now + 1000000);
    }
    au->flushers--;
    if (au->lost > lost)
        rc = KH_ERR_STORE;
    pthread_mutex_unlock(&au->mu);
    return rc;
}

void audit_close(struct audit *au)
{
    if (!au)
        return;
    pthread_mutex_lock(&au->mu);
    au->stop = true;
    pthread_cond_signal(&au->work);
    pthread_mutex_unlock(&au->mu);
    pthread_join(au->thread, NULL); /* it stores what is queued first */
    free(au->pass.realm_ids);
    secret_wipe(au->key, sizeof au->key);
    pthread_cond_destroy(&au->work);
    pthread_cond_destroy(&au->room);
    pthread_cond_destroy(&au->done);
    pthread_mutex_destroy(&au->mu);
    free(au);
}
