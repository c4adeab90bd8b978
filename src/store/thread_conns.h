/* thread_conns.h - one database connection per thread, for a store backend.
 *
 * A backend's connection struct embeds struct thread_conn as its FIRST
 * member. thread_conns_get() finds the calling thread's connection through a
 * pthread key, so the query path takes no lock; the mutex guards only the
 * list of all connections, touched when a thread adopts one or exits (its
 * connection is then freed by the key's destructor) and at close. */
#ifndef KH_STORE_THREAD_CONNS_H
#define KH_STORE_THREAD_CONNS_H

#include <pthread.h>
#include <stdbool.h>

struct thread_conns;

struct thread_conn {
    struct thread_conns *owner;
    struct thread_conn *prev, *next; /* owner's list, under owner->mu */
};

struct thread_conns {
    pthread_key_t key;
    pthread_mutex_t mu;
    struct thread_conn *head;
    void (*free_conn)(struct thread_conn *c); /* closes and frees one connection */
};

/* 0, or -1 (nothing to undo) when the key or mutex cannot be made. */
int thread_conns_init(struct thread_conns *t, void (*free_conn)(struct thread_conn *c));
/* The calling thread's connection, or NULL before it adopted one. */
struct thread_conn *thread_conns_get(struct thread_conns *t);
/* Makes c the calling thread's connection; false (logged, c not freed) on failure. */
bool thread_conns_adopt(struct thread_conns *t, struct thread_conn *c);
/* Frees every connection (of threads still alive too) and the key and mutex. */
void thread_conns_close(struct thread_conns *t);

#endif
