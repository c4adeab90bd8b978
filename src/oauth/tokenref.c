/* tokenref.c - client authentication and refresh token lookup for the
 * endpoints that take a token from a client. */
#include "oauth/tokenref.h"

#include <string.h>
#include "core/clock.h"
#include "core/secret.h"
#include "oauth/grant.h"

#define REFRESH_PREFIX SECRET_REFRESH "_"

struct oauth_outcome tokenref_begin(const struct oauth *o, struct arena *a,
                                    const struct client_token_request *req,
                                    const char *missing_what, struct client *client, int64_t *now)
{
    int64_t t = req->now ? req->now : clock_now();
    struct oauth_outcome out =
        oauth_client_authenticate(o, a, req->realm, req->client_id, req->client_secret,
                                  req->remote_ip, t, client);
    if (out.error)
        return out;
    if (!req->token)
        return OUTCOME(OAUTH_INVALID_REQUEST, missing_what);
    *now = t;
    return OUTCOME_OK;
}

bool tokenref_is_refresh(const char *token)
{
    return strncmp(token, REFRESH_PREFIX, sizeof REFRESH_PREFIX - 1) == 0;
}

enum kh_status tokenref_refresh_find(const struct oauth *o, struct arena *a,
                                     const struct realm *realm, const char *token,
                                     struct refresh_token *out)
{
    size_t n = strlen(token);
    if (!secret_check(SECRET_REFRESH, token, n))
        return KH_ERR_DENIED;
    uint8_t hash[SHA256_LEN];
    secret_hash(token, n, hash);
    struct refresh_token rt;
    enum kh_status rc = store_refresh_find(o->store, a, hash, &rt);
    if (rc == KH_ERR_NOTFOUND)
        return KH_ERR_DENIED;
    if (rc)
        return KH_ERR_STORE;
    if (rt.realm_id != realm->id)
        return KH_ERR_DENIED;
    *out = rt;
    return KH_OK;
}
