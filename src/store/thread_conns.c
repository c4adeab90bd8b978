/* thread_conns.c - one database connection per thread (thread_conns.h). */
#include "store/thread_conns.h"

#include "core/log.h"

static void unlink_conn(struct thread_conns *t, struct thread_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

/* Thread exit: the connection of a thread that is gone. */
static void destructor(void *p)
{
    struct thread_conn *c = p;
    struct thread_conns *t = c->owner;
    pthread_mutex_lock(&t->mu);
    unlink_conn(t, c);
    pthread_mutex_unlock(&t->mu);
    t->free_conn(c);
}

int thread_conns_init(struct thread_conns *t, void (*free_conn)(struct thread_conn *c))
{
    t->head = NULL;
    t->free_conn = free_conn;
    if (pthread_mutex_init(&t->mu, NULL) != 0)
        return -1;
    if (pthread_key_create(&t->key, destructor) != 0) {
        pthread_mutex_destroy(&t->mu);
        return -1;
    }
    return 0;
}

struct thread_conn *thread_conns_get(struct thread_conns *t)
{
    return pthread_getspecific(t->key);
}

bool thread_conns_adopt(struct thread_conns *t, struct thread_conn *c)
{
    c->owner = t;
    c->prev = c->next = NULL;
    if (pthread_setspecific(t->key, c) != 0) {
        log_error("store.error", LOG_STR("op", "pthread_setspecific"));
        return false;
    }
    pthread_mutex_lock(&t->mu);
    c->next = t->head;
    if (t->head)
        t->head->prev = c;
    t->head = c;
    pthread_mutex_unlock(&t->mu);
    return true;
}

void thread_conns_close(struct thread_conns *t)
{
    /* No destructor runs for a deleted key: the connections of threads
     * still alive are freed here. */
    pthread_key_delete(t->key);
    pthread_mutex_lock(&t->mu);
    struct thread_conn *c = t->head;
    t->head = NULL;
    pthread_mutex_unlock(&t->mu);
    while (c) {
        struct thread_conn *next = c->next;
        t->free_conn(c);
        c = next;
    }
    pthread_mutex_destroy(&t->mu);
}
