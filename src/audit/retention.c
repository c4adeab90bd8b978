/* retention.c - purging old audit events behind a signed checkpoint. */
#include "audit/retention.h"

#include <string.h>
#include "core/log.h"

/* The realm's checkpoint, checked, into *cp (*found false without one). */
static enum kh_status checked_checkpoint(struct store *s, const uint8_t key[AUDIT_KEY_LEN],
                                         int64_t realm_id, struct audit_checkpoint *cp,
                                         bool *found)
{
    enum kh_status rc = store_audit_checkpoint_find(s, realm_id, cp);
    *found = rc == KH_OK;
    if (rc == KH_ERR_NOTFOUND)
        return KH_OK;
    if (rc)
        return rc;
    if (!audit_checkpoint_valid(key, cp)) {
        log_error("audit.purge_refused", LOG_INT("realm_id", realm_id),
                  LOG_STR("error", audit_break_str(AUDIT_CHECKPOINT)));
        return KH_ERR_DENIED;
    }
    return KH_OK;
}

enum kh_status audit_purge_realm(struct store *s, const uint8_t key[AUDIT_KEY_LEN],
                                 int64_t realm_id, int64_t cutoff, int64_t now, size_t batch,
                                 size_t *removed)
{
    struct audit_checkpoint cp;
    bool has_cp;
    enum kh_status rc = checked_checkpoint(s, key, realm_id, &cp, &has_cp);
    if (rc)
        return rc;
    struct arena a;
    arena_init(&a);
    struct audit_walk w;
    audit_walk_start(&w, has_cp ? &cp : NULL);
    struct audit_query q = {.realm_id = realm_id, .after_seq = has_cp ? cp.seq : 0, .limit = batch};
    struct audit_entry *ev;
    size_t n, take = 0;
    rc = store_audit_list(s, &a, &q, &ev, &n);
    for (; !rc && take < n && ev[take].at < cutoff; take++) {
        enum audit_break b = audit_walk_step(&w, &ev[take]);
        if (b) {
            log_error("audit.purge_refused", LOG_INT("realm_id", realm_id),
                      LOG_INT("event_id", ev[take].id), LOG_STR("error", audit_break_str(b)));
            rc = KH_ERR_DENIED;
        }
    }
    size_t gone = 0;
    if (!rc && take > 0) {
        const struct audit_entry *last = &ev[take - 1];
        struct audit_checkpoint next = {.realm_id = realm_id, .seq = last->seq,
                                        .event_id = last->id, .event_at = last->at,
                                        .created_at = now};
        memcpy(next.hash, last->hash, SHA256_LEN);
        rc = audit_checkpoint_sign(key, &next);
        if (!rc)
            rc = store_audit_purge(s, &next, has_cp ? cp.seq : 0, &gone);
    }
    arena_free(&a);
    if (!rc)
        *removed = gone;
    return rc;
}
