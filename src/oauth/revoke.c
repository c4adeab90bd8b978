/* revoke.c - token revocation (RFC 7009) and logout: ending a session, or
 * remembering that one access token must no longer be honoured. Both write;
 * the HTTP layer runs them on the serial pool. */
#include <string.h>
#include "oauth/bearer.h"
#include "oauth/grant.h"
#include "oauth/tokenref.h"

static const struct oauth_outcome UNAVAILABLE = {OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available"};

/* A refresh token takes its whole session with it (RFC 7009 §2.1: the grant
 * it belongs to), and with the session every access token bound to it. */
static struct oauth_outcome revoke_refresh(const struct oauth *o, struct arena *a,
                                           const struct client_token_request *req,
                                           const struct client *client, int64_t now)
{
    struct refresh_token rt;
    enum kh_status rc = tokenref_refresh_find(o, a, req->realm, req->token, &rt);
    if (rc == KH_ERR_DENIED)
        return OUTCOME_OK;
    if (rc)
        return UNAVAILABLE;
    if (strcmp(rt.client_id, client->client_id) != 0 || rt.session_revoked_at)
        return OUTCOME_OK;
    return store_session_revoke(o->store, rt.session_id, now) ? UNAVAILABLE : OUTCOME_OK;
}

static struct oauth_outcome revoke_access(const struct oauth *o, struct arena *a,
                                          const struct client_token_request *req,
                                          const struct client *client, int64_t now)
{
    struct bearer b;
    enum kh_status rc = bearer_verify(o, a, req->realm, req->token, now, &b);
    if (rc == KH_ERR_DENIED) /* invalid, expired or revoked already: nothing to do */
        return OUTCOME_OK;
    if (rc)
        return UNAVAILABLE;
    if (strcmp(b.client_id, client->client_id) != 0)
        return OUTCOME_OK;
    if (b.opaque)
        rc = store_access_revoke(o->store, b.hash, now);
    else /* remembered until the token would have expired anyway */
        rc = store_jti_revoke(o->store, req->realm->id, b.jti, b.exp);
    return rc ? UNAVAILABLE : OUTCOME_OK;
}

struct oauth_outcome oauth_revoke(const struct oauth *o, struct arena *a,
                                  const struct client_token_request *req)
{
    struct client client;
    int64_t now;
    struct oauth_outcome out = tokenref_begin(o, a, req, "Missing parameter: token", &client, &now);
    if (out.error)
        return out;
    if (tokenref_is_refresh(req->token))
        return revoke_refresh(o, a, req, &client, now);
    return revoke_access(o, a, req, &client, now);
}

struct oauth_outcome oauth_logout(const struct oauth *o, struct arena *a,
                                  const struct client_token_request *req)
{
    static const struct oauth_outcome invalid = {OAUTH_INVALID_GRANT, "Invalid refresh token"};
    struct client client;
    int64_t now;
    struct oauth_outcome out =
        tokenref_begin(o, a, req, "Missing parameter: refresh_token", &client, &now);
    if (out.error)
        return out;
    struct refresh_token rt;
    enum kh_status rc = tokenref_refresh_find(o, a, req->realm, req->token, &rt);
    if (rc == KH_ERR_DENIED)
        return invalid;
    if (rc)
        return UNAVAILABLE;
    if (strcmp(rt.client_id, client.client_id) != 0)
        return OUTCOME(OAUTH_INVALID_GRANT, "The refresh token was issued to another client");
    /* Any token of a live session ends it, a rotated one too: it proves the
     * caller took part in the session, and ending it harms no one else. */
    if (rt.session_revoked_at || lifetime_is_expired(rt.session_expires_at, now))
        return OUTCOME(OAUTH_INVALID_GRANT, "The session has ended");
    return store_session_revoke(o->store, rt.session_id, now) ? UNAVAILABLE : OUTCOME_OK;
}
