/* introspect.c - POST …/protocol/openid-connect/token/introspect and
 * /connect/introspect (RFC 7662). Read only: answered on the I/O thread
 * inside one store snapshot. */
#include "api/respond.h"

static void write_introspection(struct response *res, const struct introspection *in)
{
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_bool(&w, "active", in->active);
    if (in->active) {
        jsonw_kv_str(&w, "scope", in->scope);
        jsonw_kv_str(&w, "client_id", in->client_id);
        if (in->username)
            jsonw_kv_str(&w, "username", in->username);
        jsonw_kv_str(&w, "sub", in->sub);
        jsonw_kv_str(&w, "token_type", in->token_type);
        jsonw_kv_int(&w, "exp", in->exp);
        jsonw_kv_int(&w, "iat", in->iat);
        jsonw_kv_str(&w, "iss", in->iss);
        if (in->aud)
            jsonw_kv_str(&w, "aud", in->aud);
        if (in->sid)
            jsonw_kv_str(&w, "sid", in->sid);
    }
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
}

static enum http_result introspect_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct client_token_request *t;
    if (api_client_token_request(req, res, "token", &t))
        return HTTP_DONE;
    struct introspection in;
    struct oauth_outcome out = oauth_introspect(&api->oauth, req->arena, t, &in);
    if (out.error) {
        api_oauth_error(req, res, t->realm, t->basic, out);
        return HTTP_DONE;
    }
    write_introspection(res, &in);
    api_no_store(req, res);
    return HTTP_DONE;
}

enum http_result api_introspect(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, introspect_request);
}
