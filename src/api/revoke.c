/* revoke.c - POST …/protocol/openid-connect/revoke and /connect/revocation
 * (RFC 7009), POST …/protocol/openid-connect/logout and /connect/logout.
 *
 * Both write to the store, rarely: the request is parsed on the I/O thread
 * and its work deferred to the serial pool, where it joins the batch's one
 * transaction (its answer leaves once the batch is committed). */
#include "api/respond.h"

static struct client_token_request *pending(struct request *req)
{
    return api_note(req)->pending;
}

static void run_revoke(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct client_token_request *t = pending(req);
    struct oauth_outcome out = oauth_revoke(&api->oauth, req->arena, t);
    if (out.error) {
        api_oauth_error(req, res, t->realm, t->basic, out);
        return;
    }
    res->status = 200; /* RFC 7009 §2.2: also for an unknown or invalid token */
    api_no_store(req, res);
}

static void run_logout(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct client_token_request *t = pending(req);
    struct oauth_outcome out = oauth_logout(&api->oauth, req->arena, t);
    if (out.error) {
        api_oauth_error(req, res, t->realm, t->basic, out);
        return;
    }
    res->status = 204;
    api_no_store(req, res);
}

static enum http_result defer(struct request *req, struct response *res, const char *token_field,
                              http_deferred run)
{
    const struct api *api = req->app;
    store_read_begin(api->oauth.store);
    struct client_token_request *t;
    int failed = api_client_token_request(req, res, token_field, &t);
    store_read_end(api->oauth.store);
    if (failed)
        return HTTP_DONE;
    api_note(req)->pending = t;
    req->deferred = run;
    req->defer_serial = true;
    return HTTP_DEFER;
}

enum http_result api_revoke(struct request *req, struct response *res)
{
    return defer(req, res, "token", run_revoke);
}

enum http_result api_logout(struct request *req, struct response *res)
{
    return defer(req, res, "refresh_token", run_logout);
}
