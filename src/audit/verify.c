/* verify.c - walks a stored audit chain (see verify.h). */
#include "audit/verify.h"

#include <string.h>
#include "core/hash.h"

/* The checkpoint, if any, into v; AUDIT_CHECKPOINT if its signature is wrong. */
static enum kh_status read_checkpoint(struct store *s, const uint8_t master[AEAD_KEY_LEN],
                                      int64_t realm_id, struct audit_verdict *v)
{
    enum kh_status rc = store_audit_checkpoint_find(s, realm_id, &v->checkpoint);
    if (rc == KH_ERR_NOTFOUND)
        return KH_OK;
    if (rc)
        return rc;
    v->has_checkpoint = true;
    uint8_t key[AUDIT_KEY_LEN];
    rc = audit_checkpoint_key(master, key);
    if (!rc && !audit_checkpoint_valid(key, &v->checkpoint))
        v->broken = AUDIT_CHECKPOINT;
    secret_wipe(key, sizeof key);
    return rc;
}

/* Walks every event after the start, a page at a time. */
static enum kh_status walk(struct store *s, int64_t realm_id, struct audit_walk *w,
                           struct audit_verdict *v)
{
    struct audit_query q = {.realm_id = realm_id, .after_seq = w->next_seq - 1,
                            .limit = AUDIT_VERIFY_PAGE};
    for (;;) {
        struct arena a;
        arena_init(&a);
        struct audit_entry *ev;
        size_t n;
        enum kh_status rc = store_audit_list(s, &a, &q, &ev, &n);
        for (size_t i = 0; !rc && i < n && !v->broken; i++) {
            v->broken = audit_walk_step(w, &ev[i]);
            if (v->broken) {
                v->event_id = ev[i].id;
                v->seq = ev[i].seq;
            } else {
                v->checked++;
            }
        }
        if (!rc && n)
            q.after_seq = ev[n - 1].seq;
        arena_free(&a);
        if (rc || v->broken || n < q.limit)
            return rc;
    }
}

/* Inside one read snapshot, so that events appended meanwhile (the server
 * keeps writing) are neither half seen nor taken for a broken head. */
static enum kh_status verify_snapshot(struct store *s, const uint8_t master[AEAD_KEY_LEN],
                                      int64_t realm_id, struct audit_verdict *v)
{
    enum kh_status rc = read_checkpoint(s, master, realm_id, v);
    if (rc)
        return rc;
    struct audit_walk w;
    audit_walk_start(&w, v->has_checkpoint ? &v->checkpoint : NULL);
    if (!v->broken)
        rc = walk(s, realm_id, &w, v);
    if (!rc)
        rc = store_audit_head(s, realm_id, &v->head);
    if (!rc && !v->broken)
        v->broken = audit_walk_end(&w, &v->head);
    return rc;
}

enum kh_status audit_verify(struct store *s, const uint8_t master[AEAD_KEY_LEN], int64_t realm_id,
                            struct audit_verdict *out)
{
    struct audit_verdict v = {.broken = AUDIT_INTACT};
    enum kh_status rc = store_snapshot_begin(s);
    if (rc)
        return rc;
    rc = verify_snapshot(s, master, realm_id, &v);
    store_snapshot_end(s);
    if (!rc)
        *out = v;
    return rc;
}
