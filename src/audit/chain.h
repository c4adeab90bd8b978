/* chain.h - the audit log's hash chain and checkpoint signatures: the bytes
 * that are hashed and signed, so that a tool outside keyhold can recompute
 * them (README "Audit log" shows it in a few lines of Python).
 *
 * Event hash (version 1):
 *   hash = SHA-256( "keyhold.audit.v1"             16 ASCII bytes
 *                   prev_hash                      32 bytes (zeros for seq 1)
 *                   realm_id, seq, at              8 bytes each, big-endian signed
 *                   type, actor, target, client_id, ip, outcome, detail
 *                                                  each 0x00 when NULL, else 0x01,
 *                                                  its length (4 bytes, big-endian)
 *                                                  and its UTF-8 bytes )
 * The row id is not hashed: it orders rows across realms; seq is the event's
 * position in its realm's chain and is.
 *
 * Checkpoint signature:
 *   sig = HMAC-SHA256( K, "keyhold.audit.checkpoint.v1"   27 ASCII bytes
 *                         realm_id, seq, event_id, event_at   8 bytes each, big-endian
 *                         hash                                32 bytes
 *                         created_at                          8 bytes, big-endian )
 *   K   = HKDF-SHA256(IKM = the master key, no salt,
 *                     info = "keyhold audit checkpoint v1", L = 32)
 * The master key never enters the database, so whoever can only write the
 * database cannot move a checkpoint forward to hide deleted events.
 *
 * Thread safe; no state. */
#ifndef KH_AUDIT_CHAIN_H
#define KH_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stdint.h>
#include "core/aead.h"
#include "store/store.h"

#define AUDIT_KEY_LEN 32

/* The hash of e (its fields and e->prev_hash) into out. */
enum kh_status audit_chain_hash(const struct audit_entry *e, uint8_t out[SHA256_LEN]) KH_MUST_CHECK;

/* The checkpoint key K derived from the master key. */
enum kh_status audit_checkpoint_key(const uint8_t master[AEAD_KEY_LEN],
                                    uint8_t key[AUDIT_KEY_LEN]) KH_MUST_CHECK;
/* Writes cp->sig. */
enum kh_status audit_checkpoint_sign(const uint8_t key[AUDIT_KEY_LEN],
                                     struct audit_checkpoint *cp) KH_MUST_CHECK;
/* True if cp->sig is the signature of cp under key (constant-time compare). */
bool audit_checkpoint_valid(const uint8_t key[AUDIT_KEY_LEN],
                            const struct audit_checkpoint *cp) KH_MUST_CHECK;

/* What is wrong with a chain, for verification and before a purge. */
enum audit_break {
    AUDIT_INTACT = 0,
    AUDIT_EDITED,      /* the event's hash does not match its fields: it was edited */
    AUDIT_UNLINKED,    /* its seq or prev_hash does not follow the previous event:
                          an event before it was deleted or inserted */
    AUDIT_HEAD,        /* the head does not point at the newest event: newest ones deleted */
    AUDIT_CHECKPOINT,  /* the checkpoint's signature is wrong: it was forged or edited */
};

/* A one-line explanation of b. */
const char *audit_break_str(enum audit_break b);

/* Walks a realm's chain in seq order, from its checkpoint or its first event. */
struct audit_walk {
    int64_t next_seq;
    uint8_t prev[SHA256_LEN];
    int64_t last_id;     /* the last event that passed (0: none yet) */
    int64_t last_at;
};

/* cp NULL: the chain starts at seq 1 with a zero prev_hash. */
void audit_walk_start(struct audit_walk *w, const struct audit_checkpoint *cp);
/* Checks e against the walk so far and, if it passes, moves past it. */
enum audit_break audit_walk_step(struct audit_walk *w, const struct audit_entry *e);
/* Checks that the head is where the walk ended. */
enum audit_break audit_walk_end(const struct audit_walk *w, const struct audit_head *h);

#endif
