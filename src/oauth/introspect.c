/* introspect.c - token introspection (RFC 7662) for the client a token was
 * issued to: access tokens (JWT or opaque) through the bearer verifier,
 * refresh tokens from the store. Everything that is not a live token of the
 * calling client is simply inactive. */
#include <string.h>
#include "oauth/bearer.h"
#include "oauth/grant.h"
#include "oauth/tokenref.h"

static struct oauth_outcome describe_access(const struct oauth *o, struct arena *a,
                                            const struct client_token_request *req,
                                            const struct client *client, int64_t now,
                                            struct introspection *out)
{
    struct bearer b;
    enum kh_status rc = bearer_verify(o, a, req->realm, req->token, now, &b);
    if (rc == KH_ERR_DENIED)
        return OUTCOME_OK;
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The token cannot be checked now");
    if (strcmp(b.client_id, client->client_id) != 0)
        return OUTCOME_OK;
    *out = (struct introspection){
        .active = true,
        .scope = b.scope,
        .client_id = b.client_id,
        .username = b.username,
        .sub = b.sub,
        .token_type = "Bearer",
        .exp = b.exp,
        .iat = b.iat,
        .iss = oauth_issuer(o, a, req->realm),
        .aud = OAUTH_AUDIENCE,
        .sid = b.sid,
    };
    return OUTCOME_OK;
}

static struct oauth_outcome describe_refresh(const struct oauth *o, struct arena *a,
                                             const struct client_token_request *req,
                                             const struct client *client, int64_t now,
                                             struct introspection *out)
{
    struct refresh_token rt;
    enum kh_status rc = tokenref_refresh_find(o, a, req->realm, req->token, &rt);
    if (rc == KH_ERR_DENIED)
        return OUTCOME_OK;
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    struct lifetimes life;
    lifetime_effective(req->realm, client, &life);
    if (strcmp(rt.client_id, client->client_id) != 0 ||
        !lifetime_refresh_is_active(&rt, life.refresh_grace, now))
        return OUTCOME_OK;
    const char *username = NULL;
    if (rt.user_id) {
        struct user u;
        rc = store_user_get(o->store, a, req->realm->id, rt.user_id, &u);
        if (rc == KH_ERR_NOTFOUND)
            return OUTCOME_OK;
        if (rc)
            return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
        username = u.username;
    }
    *out = (struct introspection){
        .active = true,
        .scope = rt.scope,
        .client_id = rt.client_id,
        .username = username,
        .sub = rt.user_id ? rt.user_id : client->id, /* a client's own session */
        .token_type = "Refresh",
        .exp = rt.expires_at,
        .iat = rt.issued_at,
        .iss = oauth_issuer(o, a, req->realm),
        .sid = rt.session_id,
    };
    return OUTCOME_OK;
}

struct oauth_outcome oauth_introspect(const struct oauth *o, struct arena *a,
                                      const struct client_token_request *req,
                                      struct introspection *out)
{
    struct client client;
    int64_t now;
    struct oauth_outcome res = tokenref_begin(o, a, req, "Missing parameter: token", &client, &now);
    if (res.error)
        return res;
    struct introspection in = {.active = false};
    /* The form tells the kind apart; token_type_hint is only a hint. */
    if (tokenref_is_refresh(req->token))
        res = describe_refresh(o, a, req, &client, now, &in);
    else
        res = describe_access(o, a, req, &client, now, &in);
    if (!res.error)
        *out = in;
    return res;
}
