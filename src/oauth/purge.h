/* purge.h - deleting rows that can no longer matter (expired or ended refresh
 * tokens and sessions, expired opaque access tokens and revoked jtis), in the
 * background, in small batches.
 *
 * A run calls store_purge(now, PURGE_BATCH) until a pass removes nothing,
 * pausing PURGE_PAUSE_MS between passes so that no write lock is held long
 * and the token endpoint's writes interleave. Each run logs one `purge` line.
 *
 * Threads: purge_start() starts one thread that uses the store from there;
 * purge_stop() (from the thread that started it) ends it promptly and must be
 * called before the store is closed. */
#ifndef KH_OAUTH_PURGE_H
#define KH_OAUTH_PURGE_H

#include <stdint.h>
#include "store/store.h"

#define PURGE_BATCH 500
#define PURGE_PAUSE_MS 20
#define PURGE_INTERVAL_DEFAULT 60

struct purge;

/* Runs a purge now, then every interval_seconds (> 0), until purge_stop(). */
enum kh_status purge_start(struct store *s, unsigned interval_seconds, struct purge **out) KH_MUST_CHECK;
/* Stops the thread (waiting for at most one store pass to finish) and frees
 * the handle. NULL is allowed. */
void purge_stop(struct purge *p);

/* One run in the calling thread, what it removed added into *total. */
enum kh_status purge_run(struct store *s, int64_t now, struct purge_counts *total) KH_MUST_CHECK;

#endif
