/* retention.h - purging a realm's oldest audit events, leaving a signed
 * checkpoint where its chain now starts.
 *
 * A purge removes a prefix of the chain only, and only after checking every
 * link it removes (from the previous checkpoint): a broken chain is never
 * purged, so the purge cannot launder tampering; it is logged as an error
 * and left for `keyhold audit verify` to show. Thread safe (store calls only). */
#ifndef KH_AUDIT_RETENTION_H
#define KH_AUDIT_RETENTION_H

#include <stddef.h>
#include <stdint.h>
#include "audit/chain.h"

#define AUDIT_PURGE_BATCH 500

/* Removes up to `batch` of the realm's oldest events whose `at` is before
 * `cutoff`, in one store transaction with the new checkpoint (signed with
 * key, created_at = now). *removed: how many (0: nothing to remove).
 * KH_ERR_DENIED: the chain or the checkpoint is broken (logged), nothing
 * removed; KH_ERR_CONFLICT: another purge ran meanwhile, try again. */
enum kh_status audit_purge_realm(struct store *s, const uint8_t key[AUDIT_KEY_LEN],
                                 int64_t realm_id, int64_t cutoff, int64_t now, size_t batch,
                                 size_t *removed) KH_MUST_CHECK;

#endif
