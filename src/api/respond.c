/* respond.c - realm lookup, JSON bodies and errors for every handler. */
#include "api/respond.h"

#include <string.h>
#include <strings.h>
#include "core/log.h"
#include "http/basic.h"

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

enum http_result api_in_snapshot(struct request *req, struct response *res,
                                 enum http_result (*fn)(struct request *, struct response *))
{
    const struct api *api = req->app;
    store_read_begin(api->oauth.store);
    enum http_result r = fn(req, res);
    store_read_end(api->oauth.store);
    return r;
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

bool api_is_media(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    if (!content_type || strncasecmp(content_type, type, n) != 0)
        return false;
    char next = content_type[n];
    return next == '\0' || next == ';' || next == ' ';
}

bool api_is_form(const char *content_type)
{
    return api_is_media(content_type, "application/x-www-form-urlencoded");
}

bool api_is_json(const char *content_type)
{
    return api_is_media(content_type, "application/json");
}

void api_no_store(struct request *req, struct response *res)
{
    http_set_header(req, res, "Cache-Control", "no-store");
    http_set_header(req, res, "Pragma", "no-cache");
}

void api_oauth_error(struct request *req, struct response *res, const struct realm *realm,
                     bool basic, struct oauth_outcome out)
{
    api_error(req, res, oauth_error_status(out.error), oauth_error_code(out.error),
              out.description);
    api_no_store(req, res);
    if (out.error == OAUTH_INVALID_CLIENT && basic)
        http_set_header(req, res, "WWW-Authenticate",
                        arena_printf(req->arena, "Basic realm=\"%s\"", realm->name));
}

int api_form(struct request *req, struct response *res, const struct realm *realm, struct form *out)
{
    static const struct oauth_outcome not_form = {
        OAUTH_INVALID_REQUEST, "Content-Type must be application/x-www-form-urlencoded"};
    static const struct oauth_outcome malformed = {
        OAUTH_INVALID_REQUEST, "Malformed body: bad encoding or a repeated parameter"};
    if (!api_is_form(http_header(req, "Content-Type"))) {
        api_oauth_error(req, res, realm, false, not_form);
        return -1;
    }
    if (form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, out)) {
        api_oauth_error(req, res, realm, false, malformed);
        return -1;
    }
    return 0;
}

struct oauth_outcome api_client_creds(struct request *req, const struct form *f,
                                      struct api_client_creds *out)
{
    const char *auth = http_header(req, "Authorization");
    const char *body_id = form_get(f, "client_id");
    const char *body_secret = form_get(f, "client_secret");
    *out = (struct api_client_creds){.client_id = body_id, .client_secret = body_secret};
    if (!auth)
        return (struct oauth_outcome){OAUTH_OK, NULL};
    out->basic = true;
    if (basic_parse(req->arena, auth, &out->client_id, &out->client_secret) != KH_OK)
        return (struct oauth_outcome){OAUTH_INVALID_CLIENT, "Malformed HTTP Basic credentials"};
    if (body_secret)
        return (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                      "The client must authenticate with one method only"};
    if (body_id && strcmp(body_id, out->client_id) != 0)
        return (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                      "client_id in the body differs from HTTP Basic"};
    return (struct oauth_outcome){OAUTH_OK, NULL};
}

int api_client_token_request(struct request *req, struct response *res, const char *token_field,
                             struct client_token_request **out)
{
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return -1;
    struct form f;
    if (api_form(req, res, realm, &f))
        return -1;
    struct api_client_creds creds;
    struct oauth_outcome bad = api_client_creds(req, &f, &creds);
    api_note(req)->client_id = creds.client_id;
    if (bad.error) {
        api_oauth_error(req, res, realm, creds.basic, bad);
        return -1;
    }
    struct client_token_request *t = arena_alloc(req->arena, sizeof *t);
    *t = (struct client_token_request){
        .realm = realm,
        .client_id = creds.client_id,
        .client_secret = creds.client_secret,
        .basic = creds.basic,
        .token = form_get(&f, token_field),
        .token_type_hint = form_get(&f, "token_type_hint"),
        .remote_ip = req->remote_ip,
    };
    *out = t;
    return 0;
}
