/* verify.h - checking a realm's stored audit chain end to end
 * (`keyhold audit verify`). Thread safe (store calls only). */
#ifndef KH_AUDIT_VERIFY_H
#define KH_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "audit/chain.h"

#define AUDIT_VERIFY_PAGE 1000

struct audit_verdict {
    enum audit_break broken;      /* AUDIT_INTACT when every check passed */
    int64_t event_id;             /* the first event that failed (AUDIT_EDITED, _UNLINKED) */
    int64_t seq;                  /* its seq */
    size_t checked;               /* events whose links were checked */
    bool has_checkpoint;          /* the walk started at a checkpoint (a purge ran) */
    struct audit_checkpoint checkpoint;
    struct audit_head head;
};

/* Walks the realm's chain from its checkpoint (whose signature is checked
 * with the key derived from master) or its first event, checking each event's
 * hash and link, then the head. KH_OK with the verdict (broken or not);
 * another status if the store or crypto failed. */
enum kh_status audit_verify(struct store *s, const uint8_t master[AEAD_KEY_LEN], int64_t realm_id,
                            struct audit_verdict *out) KH_MUST_CHECK;

#endif
