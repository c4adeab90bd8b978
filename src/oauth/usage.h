/* usage.h - when each client was last used (clients.last_used_at), recorded
 * off the token endpoint's hot path.
 *
 * The token path already holds the client's row: usage_note() compares its
 * last_used_at with now and, at most once per USAGE_MIN_INTERVAL, queues
 * (client, now) in a small deduplicating queue without blocking (a busy or
 * full queue drops the note; the client's next token notes it again). A
 * background thread writes what is queued every USAGE_FLUSH_MS in one
 * transaction (store_client_touch), whose UPDATE again skips rows written
 * within USAGE_MIN_INTERVAL, so other threads and processes cannot write a
 * client's row more often either.
 *
 * Threads: usage_note() from any thread; usage_start()/usage_stop() from one. */
#ifndef KH_OAUTH_USAGE_H
#define KH_OAUTH_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

#define USAGE_MIN_INTERVAL 60  /* seconds between two writes of one client's last_used_at */
#define USAGE_FLUSH_MS 2000    /* how often the queue is written */
#define USAGE_QUEUE_MAX 256    /* distinct clients waiting at most */

struct usage;

/* True when a client whose row says last_used_at is used at `now` must be
 * recorded: never recorded, or USAGE_MIN_INTERVAL seconds or more ago. */
bool usage_is_due(int64_t last_used_at, int64_t now);

/* A queue without a thread (usage_flush() writes it); NULL on no memory. */
struct usage *usage_new(struct store *s);
/* Starts the thread that flushes every flush_ms milliseconds (> 0). */
enum kh_status usage_start(struct usage *u, unsigned flush_ms) KH_MUST_CHECK;
/* Stops the thread (if started), writes what is queued and frees. NULL is allowed.
 * Call before the store is closed. */
void usage_stop(struct usage *u);

/* Queues c as used at `now` if it is due and not queued yet; true if queued.
 * Never blocks. u NULL: nothing is recorded (the CLI, unit tests). */
bool usage_note(struct usage *u, const struct client *c, int64_t now);

/* Writes the queued uses in one transaction and empties the queue; *written
 * (if not NULL) is how many were queued. On a store failure they are dropped. */
enum kh_status usage_flush(struct usage *u, size_t *written);

#endif
