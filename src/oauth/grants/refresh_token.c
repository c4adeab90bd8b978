/* refresh_token.c - the refresh grant with rotation and reuse detection.
 *
 * Every use rotates: one atomic UPDATE in the store decides which request
 * wins. A token presented after it was rotated is treated as stolen: the
 * whole session (the token family) is revoked — unless the client has a
 * reuse grace G > 0 and the token was rotated less than G seconds ago and not
 * retried yet: a client that lost the response may retry once and gets a
 * fresh pair in the same family. */
#include <string.h>
#include "audit/audit.h"
#include "core/secret.h"
#include "oauth/grant.h"

static const struct oauth_outcome INVALID = {OAUTH_INVALID_GRANT, "Invalid refresh token"};

static struct oauth_outcome find_token(struct grant_ctx *g, struct refresh_token *out)
{
    const char *t = g->req->refresh_token;
    if (!t)
        return OUTCOME(OAUTH_INVALID_REQUEST, "Missing parameter: refresh_token");
    if (!secret_check(SECRET_REFRESH, t, strlen(t)))
        return INVALID;
    uint8_t hash[SHA256_LEN];
    secret_hash(t, strlen(t), hash);
    enum kh_status rc = store_refresh_find(g->o->store, g->a, hash, out);
    if (rc == KH_ERR_NOTFOUND)
        return INVALID;
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    if (out->realm_id != g->req->realm->id)
        return INVALID;
    return OUTCOME_OK;
}

/* refresh.reuse: the family (session `sid`) of `rt` was revoked as stolen. */
static void report_reuse(struct grant_ctx *g, const struct refresh_token *rt, const char *why)
{
    const struct token_request *r = g->req;
    audit_record(g->o->audit,
                 &(struct audit_event){
                     .realm_id = r->realm->id, .realm = r->realm->name,
                     .type = AUDIT_REFRESH_REUSE,
                     .actor = arena_printf(g->a, "client:%s", g->client->client_id),
                     .target = rt->user_id ? rt->user_id : g->client->client_id,
                     .client_id = g->client->client_id, .ip = r->remote_ip,
                     .outcome = "session_revoked",
                     .detail = arena_printf(g->a, "session %s revoked: %s", rt->session_id, why)});
}

static struct oauth_outcome check_alive(struct grant_ctx *g, const struct refresh_token *rt)
{
    if (strcmp(rt->client_id, g->client->client_id) != 0)
        return OUTCOME(OAUTH_INVALID_GRANT, "The refresh token was issued to another client");
    if (rt->session_revoked_at)
        return OUTCOME(OAUTH_INVALID_GRANT, "The session has ended");
    if (lifetime_is_expired(rt->session_expires_at, g->now))
        return OUTCOME(OAUTH_INVALID_GRANT, "The session has reached its maximum lifetime");
    if (lifetime_is_expired(rt->expires_at, g->now))
        return OUTCOME(OAUTH_INVALID_GRANT, "The refresh token has expired");
    return OUTCOME_OK;
}

/* The new scope: the requested one (no wider than the token's), still allowed
 * for the client and still held by the subject. */
static struct oauth_outcome next_scope(struct grant_ctx *g, const struct refresh_token *rt,
                                       const struct subject *subj, struct scope_set *out)
{
    struct scope_set had, allowed, asked;
    if (scope_parse(g->a, rt->scope, &had) || scope_parse(g->a, g->client->scopes, &allowed))
        return OUTCOME(OAUTH_SERVER_ERROR, "Stored scopes are corrupt");
    if (g->req->scope) {
        if (scope_parse(g->a, g->req->scope, &asked))
            return OUTCOME(OAUTH_INVALID_SCOPE, "Malformed scope");
        if (!scope_is_subset(&asked, &had))
            return OUTCOME(OAUTH_INVALID_SCOPE, "The scope is wider than the refresh token's");
        had = asked;
    }
    scope_intersect(&had, &allowed);
    scope_filter_held(&had, &subj->access);
    *out = had;
    return OUTCOME_OK;
}

static struct oauth_outcome run(struct grant_ctx *g)
{
    struct refresh_token rt;
    struct oauth_outcome out = find_token(g, &rt);
    if (out.error)
        return out;
    /* The store's UPDATE decides a retry within the grace; this only spares
     * the work when it cannot succeed. */
    if (rt.used_at && !lifetime_may_retry(rt.used_at, rt.retried, g->life.refresh_grace, g->now)) {
        if (store_session_revoke(g->o->store, rt.session_id, g->now))
            return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
        report_reuse(g, &rt, "a rotated refresh token was presented again");
        return INVALID;
    }
    out = check_alive(g, &rt);
    if (out.error)
        return out;
    struct subject subj;
    out = rt.user_id ? grant_user_subject(g, rt.user_id, &subj) : grant_client_subject(g, &subj);
    if (out.error)
        return out;
    struct scope_set scope;
    out = next_scope(g, &rt, &subj, &scope);
    if (out.error)
        return out;

    struct session sess = {
        .id = rt.session_id,
        .user_id = rt.user_id,
        .offline = rt.offline,
        .expires_at = rt.session_expires_at,
    };
    const char *refresh;
    struct refresh_token next;
    grant_new_refresh(g, &sess, &scope, &refresh, &next);
    out = grant_issue_tokens(g, &subj, &scope, rt.session_id, rt.auth_time);
    if (out.error)
        return out;
    /* Signed first so that a won rotation always answers with tokens. */
    enum kh_status rc =
        store_refresh_rotate(g->o->store, rt.hash, &next, g->now, g->life.refresh_grace);
    if (rc == KH_ERR_CONFLICT) {
        report_reuse(g, &rt, "the token was rotated by a concurrent request");
        return INVALID;
    }
    if (rc == KH_ERR_NOTFOUND)
        return INVALID;
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    g->resp->refresh_token = refresh;
    g->resp->refresh_expires_in =
        lifetime_refresh_expires_in(next.offline, next.expires_at, g->now);
    return OUTCOME_OK;
}

const struct grant grant_refresh_token = {
    .name = "refresh_token",
    .bit = GRANT_REFRESH_TOKEN,
    .where = OAUTH_RUN_SERIAL,
    .run = run,
};
