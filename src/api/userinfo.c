/* userinfo.c - GET/POST …/protocol/openid-connect/userinfo and
 * /connect/userinfo (OIDC Core §5.3, bearer token usage of RFC 6750).
 *
 * The access token comes in `Authorization: Bearer …` or, for POST, in the
 * form field access_token — one of them only. Read only: answered on the I/O
 * thread inside one store snapshot. */
#include <string.h>
#include <strings.h>
#include "api/respond.h"

static const char BEARER_INVALID[] = "Bearer error=\"invalid_token\"";
static const char BEARER_SCOPE[] = "Bearer error=\"insufficient_scope\", scope=\"openid\"";
static const char BEARER_REQUEST[] = "Bearer error=\"invalid_request\"";

static void bearer_error(struct request *req, struct response *res, int status,
                         const char *challenge, const char *error, const char *description)
{
    api_error(req, res, status, error, description);
    api_no_store(req, res);
    http_set_header(req, res, "WWW-Authenticate", challenge);
}

/* "Bearer" (any case), one or more spaces, the token: the token, else NULL. */
static const char *bearer_from_header(const char *auth)
{
    static const char scheme[] = "Bearer";
    if (!auth || strncasecmp(auth, scheme, sizeof scheme - 1) != 0 ||
        auth[sizeof scheme - 1] != ' ')
        return NULL;
    const char *t = auth + sizeof scheme - 1;
    while (*t == ' ')
        t++;
    return *t ? t : NULL;
}

/* The token and where it came from; -1 (answer written) when the request
 * cannot be read or uses two methods at once. */
static int find_token(struct request *req, struct response *res, const char **out)
{
    const char *auth = http_header(req, "Authorization");
    const char *token = bearer_from_header(auth);
    if (strcmp(req->method, "POST") == 0 && api_is_form(http_header(req, "Content-Type"))) {
        struct form f;
        if (form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &f)) {
            bearer_error(req, res, 400, BEARER_REQUEST, "invalid_request", "Malformed form body");
            return -1;
        }
        const char *in_body = form_get(&f, "access_token");
        if (in_body && token) {
            bearer_error(req, res, 400, BEARER_REQUEST, "invalid_request",
                         "The access token must be sent one way only");
            return -1;
        }
        if (in_body)
            token = in_body;
    }
    *out = token;
    return 0;
}

static void write_userinfo(struct response *res, const struct userinfo *u)
{
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "sub", u->sub);
    jsonw_kv_str(&w, "preferred_username", u->preferred_username);
    if (u->email)
        jsonw_kv_str(&w, "email", u->email);
    if (u->email_verified_known)
        jsonw_kv_bool(&w, "email_verified", false);
    if (u->given_name)
        jsonw_kv_str(&w, "given_name", u->given_name);
    if (u->family_name)
        jsonw_kv_str(&w, "family_name", u->family_name);
    if (u->name)
        jsonw_kv_str(&w, "name", u->name);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
}

static enum http_result userinfo_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return HTTP_DONE;
    const char *token;
    if (find_token(req, res, &token))
        return HTTP_DONE;
    if (!token) {
        bearer_error(req, res, 401, BEARER_INVALID, "invalid_token", "No access token");
        return HTTP_DONE;
    }
    struct userinfo u;
    switch (oauth_userinfo(&api->oauth, req->arena, realm, token, 0, &u)) {
    case USERINFO_OK:
        write_userinfo(res, &u);
        api_no_store(req, res);
        break;
    case USERINFO_INVALID_TOKEN:
        bearer_error(req, res, 401, BEARER_INVALID, "invalid_token",
                     "The access token is invalid, expired or revoked");
        break;
    case USERINFO_INSUFFICIENT_SCOPE:
        bearer_error(req, res, 403, BEARER_SCOPE, "insufficient_scope",
                     "The access token was not granted the openid scope for a user");
        break;
    default:
        api_error(req, res, 503, "temporarily_unavailable", "The token cannot be checked now");
        break;
    }
    return HTTP_DONE;
}

enum http_result api_userinfo(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, userinfo_request);
}
