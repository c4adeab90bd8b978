/* lockout.c - brute-force protection around logins and client
 * authentication (see lockout.h); the counting itself is the store's. */
#include <stdio.h>
#include <string.h>
#include "audit/audit.h"
#include "core/log.h"
#include "oauth/lockout.h"

static const char *const KINDS[] = {LOCKOUT_USER, LOCKOUT_IP, LOCKOUT_CLIENT_IP};

bool lockout_is_kind(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof KINDS / sizeof KINDS[0]; i++)
        if (strcmp(kind, KINDS[i]) == 0)
            return true;
    return false;
}

struct lockout_rule lockout_rule_of(const struct realm *realm, const char *kind)
{
    bool address = strcmp(kind, LOCKOUT_IP) == 0 || strcmp(kind, LOCKOUT_CLIENT_IP) == 0;
    return (struct lockout_rule){
        .threshold = address ? realm->lockout_ip_threshold : realm->lockout_threshold,
        .base_wait = realm->lockout_base_wait,
        .max_wait = realm->lockout_max_wait,
        .reset = realm->lockout_reset,
    };
}

static void attempt_init(struct lockout_attempt *at, const struct oauth *o,
                         const struct realm *realm, enum lockout_scope scope, const char *subject,
                         const char *ip, const char *client_id, int64_t now)
{
    bool login = scope == LOCKOUT_LOGIN;
    *at = (struct lockout_attempt){.o = o, .realm = realm, .scope = scope,
                                   .client_id = client_id, .now = now};
    at->rows[0] = (struct lockout_row){.kind = LOCKOUT_USER, .key = subject};
    at->rows[1] = lockout_address_row(scope, ip);
    at->has_subject = login && subject && *subject;
    at->has_ip = at->rows[1].key != NULL;
}

static bool attempt_locked(const struct lockout_attempt *at)
{
    return (at->has_subject && at->now < at->rows[0].locked_until) ||
           (at->has_ip && at->now < at->rows[1].locked_until);
}

struct lockout_row lockout_address_row(enum lockout_scope scope, const char *ip)
{
    return (struct lockout_row){.kind = scope == LOCKOUT_LOGIN ? LOCKOUT_IP : LOCKOUT_CLIENT_IP,
                                .key = ip && *ip ? ip : NULL};
}

enum kh_status lockout_check(const struct oauth *o, const struct realm *realm,
                             enum lockout_scope scope, const char *subject, const char *ip,
                             const char *client_id, int64_t now, struct lockout_attempt *at,
                             bool *locked)
{
    attempt_init(at, o, realm, scope, subject, ip, client_id, now);
    /* one call for the rows there are: the subject's, the address's, or both */
    struct lockout_row *first = at->has_subject ? &at->rows[0] : &at->rows[1];
    size_t n = (size_t)at->has_subject + (size_t)at->has_ip;
    enum kh_status rc = n ? store_lockout_find(o->store, realm->id, first, n) : KH_OK;
    if (rc)
        return rc;
    *locked = attempt_locked(at);
    return KH_OK;
}

bool lockout_check_read(const struct oauth *o, const struct realm *realm,
                        const struct lockout_row *address, const char *client_id, int64_t now,
                        struct lockout_attempt *at)
{
    attempt_init(at, o, realm, LOCKOUT_CLIENT_AUTH, NULL, address->key, client_id, now);
    if (at->has_ip)
        at->rows[1] = *address;
    return attempt_locked(at);
}

/* The event for a key that a failure just locked: never the credential tried. */
static void audit_locked(const struct lockout_attempt *at, const struct lockout_row *r,
                         int64_t was_locked_until)
{
    if (r->locked_until <= at->now || r->locked_until == was_locked_until)
        return;
    char detail[160];
    snprintf(detail, sizeof detail, "kind=%s failures=%lld wait=%llds", r->kind,
             (long long)r->failures, (long long)(r->locked_until - at->now));
    const struct lockout_row *ip = at->has_ip ? &at->rows[1] : NULL;
    audit_record(at->o->audit, &(struct audit_event){
                                   .realm_id = at->realm->id, .realm = at->realm->name,
                                   .type = AUDIT_LOCKOUT, .target = r->key,
                                   .client_id = at->client_id, .ip = ip ? ip->key : NULL,
                                   .outcome = "locked", .detail = detail, .at = at->now});
}

static void count(struct lockout_attempt *at, struct lockout_row *r)
{
    struct lockout_rule rule = lockout_rule_of(at->realm, r->kind);
    if (rule.threshold <= 0) /* protection off for this kind: nothing to count */
        return;
    int64_t was = r->locked_until;
    enum kh_status rc =
        store_lockout_fail(at->o->store, at->realm->id, r->kind, r->key, at->now, &rule, r);
    if (rc) {
        log_warn("lockout.count_failed", LOG_STR("kind", r->kind),
                 LOG_STR("error", kh_status_str(rc)));
        return;
    }
    audit_locked(at, r, was);
}

void lockout_record(struct lockout_attempt *at, bool ok, bool subject_known)
{
    if (ok) {
        /* only when there is something to forget: the hot path writes nothing */
        if (at->has_subject && at->rows[0].failures > 0 &&
            store_lockout_clear(at->o->store, at->realm->id, at->rows[0].kind, at->rows[0].key) ==
                KH_ERR_STORE)
            log_warn("lockout.clear_failed", LOG_STR("kind", at->rows[0].kind));
        return;
    }
    if (at->has_subject && subject_known)
        count(at, &at->rows[0]);
    if (at->has_ip)
        count(at, &at->rows[1]);
}
