/* client_credentials.c - the client credentials grant (RFC 6749 §4.4).
 *
 * The subject is the client's owner user, holding only what the owner holds
 * now; without an owner, the client itself. Writes nothing to the store unless
 * the client also has the refresh_token grant or issues opaque access tokens. */
#include "oauth/grant.h"

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
    const char *sid = NULL;
    if (with_refresh) { /* the session first: an opaque access token's row refers to it */
        sid = grant_new_sid(g);
        out = grant_start_session(g, subj.user ? subj.user->id : NULL, &scope, sid);
        if (out.error)
            return out;
    }
    return grant_issue_tokens(g, &subj, &scope, sid, g->now);
}

const struct grant grant_client_credentials = {
    .name = "client_credentials",
    .bit = GRANT_CLIENT_CREDENTIALS,
    .where = OAUTH_RUN_INLINE,
    .needs_owner = true,
    .run = run,
};
