/* respond.c - realm lookup, JSON bodies and errors for every handler. */
#include "api/respond.h"

#include "core/log.h"

const int API_DEFAULT_REALM = 1;

struct api_note *api_note(struct request *req)
{
    if (!req->state)
        req->state = arena_alloc(req->arena, sizeof(struct api_note));
    return req->state;
}

int api_realm(struct request *req, struct response *res, struct realm **out)
{
    const struct api *api = req->app;
    const char *name = req->route_data == &API_DEFAULT_REALM ? api->default_realm : req->params[0];
    struct realm *r = arena_alloc(req->arena, sizeof *r);
    enum kh_status rc = store_realm_find(api->oauth.store, req->arena, name, r);
    api_note(req)->realm = name;
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "Realm does not exist");
        return -1;
    }
    if (rc) {
        api_error(req, res, 503, "temporarily_unavailable", "The store is not available");
        return -1;
    }
    *out = r;
    return 0;
}

void api_json_begin(struct response *res, int status, struct jsonw *w)
{
    res->status = status;
    res->content_type = "application/json";
    buf_reset(&res->body);
    res->body.max = API_RESPONSE_MAX;
    jsonw_init(w, &res->body);
}

void api_error(struct request *req, struct response *res, int status, const char *error,
               const char *description)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "error", error);
    if (description)
        jsonw_kv_str(&w, "error_description", description);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    api_note(req)->error = error;
}

int api_batch_begin(void *app)
{
    const struct api *api = app;
    return store_batch_begin(api->oauth.store) != KH_OK;
}

int api_batch_end(void *app)
{
    const struct api *api = app;
    return store_batch_end(api->oauth.store) != KH_OK;
}

void api_on_response(void *app, const struct request *req, const char *pattern, int status,
                     int64_t duration_us)
{
    (void)app;
    (void)pattern;
    const struct api_note *n = req->state;
    static const struct api_note none;
    if (!n)
        n = &none;
    log_info("http", LOG_STR("method", req->method), LOG_STR("path", req->path), LOG_INT("status", status),
             LOG_INT("us", duration_us), LOG_STR("ip", req->remote_ip), LOG_STR("realm", n->realm),
             LOG_STR("client_id", n->client_id), LOG_STR("grant", n->grant), LOG_STR("error", n->error));
}
