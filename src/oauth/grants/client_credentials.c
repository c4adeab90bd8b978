/* client_credentials.c - the client credentials grant (RFC 6749 §4.4).
 *
 * The subject is the client's owner user, holding only what the owner holds
 * now; without an owner, the client itself. Writes nothing to the store unless
 * the client also has the refresh_token grant. */
#include <stdint.h>
#include "core/random.h"
#include "oauth/grant.h"

static struct oauth_outcome start_session(struct grant_ctx *g, const struct subject *subj,
                                          const struct scope_set *scope, const char *sid)
{
    const struct realm *realm = g->req->realm;
    bool offline = scope_has(scope, "offline_access");
    struct session sess = {
        .id = sid,
        .realm_id = realm->id,
        .user_id = subj->user ? subj->user->id : NULL,
        .client_id = g->client->client_id,
        .offline = offline,
        .created_at = g->now,
        .expires_at = offline ? INT64_MAX : g->now + realm->session_max_ttl,
    };
    const char *refresh;
    struct refresh_token row;
    grant_new_refresh(g, &sess, scope, &refresh, &row);
    if (store_session_start(g->o->store, &sess, &row))
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    g->resp->refresh_token = refresh;
    g->resp->refresh_expires_in = grant_refresh_expires_in(g, &row);
    return OUTCOME_OK;
}

static struct oauth_outcome run(struct grant_ctx *g)
{
    if (!g->client->confidential)
        return OUTCOME(OAUTH_UNAUTHORIZED_CLIENT, "Public clients cannot use client credentials");
    struct scope_set scope;
    struct oauth_outcome out = grant_requested_scope(g, &scope);
    if (out.error)
        return out;
    struct subject subj;
    out = grant_client_subject(g, &subj);
    if (out.error)
        return out;
    scope_filter_held(&scope, &subj.access);
    bool with_refresh = (g->client->grants & GRANT_REFRESH_TOKEN) != 0;
    char *sid = NULL;
    if (with_refresh) {
        sid = arena_alloc(g->a, 37);
        random_uuid(sid);
    }
    out = grant_issue_access(g, &subj, &scope, sid);
    if (out.error || !with_refresh)
        return out;
    return start_session(g, &subj, &scope, sid);
}

const struct grant grant_client_credentials = {
    .name = "client_credentials",
    .bit = GRANT_CLIENT_CREDENTIALS,
    .slow = false,
    .run = run,
};
