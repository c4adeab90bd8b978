/* lifetime.c - effective lifetimes and expiry arithmetic. */
#include "oauth/lifetime.h"

static int64_t pick(int64_t client_value, int64_t realm_value)
{
    return client_value > 0 ? client_value : realm_value;
}

void lifetime_effective(const struct realm *r, const struct client *c, struct lifetimes *out)
{
    struct lifetimes l = {
        .access = r->access_ttl,
        .refresh_idle = r->refresh_idle_ttl,
        .session_max = r->session_max_ttl,
        .offline_idle = r->offline_idle_ttl,
        .refresh_grace = r->refresh_grace > 0 ? r->refresh_grace : 0,
    };
    if (c) {
        l.access = pick(c->access_ttl, l.access);
        l.refresh_idle = pick(c->refresh_idle_ttl, l.refresh_idle);
        l.session_max = pick(c->session_max_ttl, l.session_max);
        l.offline_idle = pick(c->offline_idle_ttl, l.offline_idle);
        /* -1 (any negative) is "the realm's"; 0 is a real value: no grace */
        if (c->refresh_grace >= 0)
            l.refresh_grace = c->refresh_grace;
    }
    *out = l;
}

static int64_t add_sat(int64_t now, int64_t ttl)
{
    if (ttl > 0 && now > INT64_MAX - ttl)
        return INT64_MAX;
    return now + ttl;
}

int64_t lifetime_session_expiry(const struct lifetimes *l, bool offline, int64_t now)
{
    /* offline sessions have no maximum, only the offline idle limit */
    return offline ? INT64_MAX : add_sat(now, l->session_max);
}

int64_t lifetime_refresh_expiry(const struct lifetimes *l, bool offline, int64_t now,
                                int64_t session_expires_at)
{
    int64_t idle = add_sat(now, offline ? l->offline_idle : l->refresh_idle);
    return idle < session_expires_at ? idle : session_expires_at;
}

int64_t lifetime_refresh_expires_in(bool offline, int64_t expires_at, int64_t now)
{
    if (offline || expires_at <= now)
        return 0;
    return expires_at - now;
}

bool lifetime_is_expired(int64_t expires_at, int64_t now)
{
    return now >= expires_at;
}

bool lifetime_may_retry(int64_t used_at, bool retried, int64_t grace, int64_t now)
{
    return used_at != 0 && !retried && grace > 0 && used_at > now - grace;
}

bool lifetime_refresh_is_active(const struct refresh_token *rt, int64_t grace, int64_t now)
{
    if (rt->session_revoked_at || lifetime_is_expired(rt->session_expires_at, now))
        return false;
    if (lifetime_is_expired(rt->expires_at, now))
        return false;
    return !rt->used_at || lifetime_may_retry(rt->used_at, rt->retried, grace, now);
}
