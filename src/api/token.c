/* token.c - POST …/protocol/openid-connect/token and /connect/token.
 *
 * Parses the form and the client's credentials into a struct token_request,
 * runs oauth_token() (off the I/O threads when it hashes a password) and
 * writes the RFC 6749 §5.1/§5.2 answer. */
#include <string.h>
#include <strings.h>
#include "api/respond.h"
#include "http/basic.h"
#include "http/form.h"

struct pending {
    struct token_request treq;
};

static bool is_form(const char *content_type)
{
    static const char form[] = "application/x-www-form-urlencoded";
    if (!content_type || strncasecmp(content_type, form, sizeof form - 1) != 0)
        return false;
    char next = content_type[sizeof form - 1];
    return next == '\0' || next == ';' || next == ' ';
}

static void no_store(struct request *req, struct response *res)
{
    http_set_header(req, res, "Cache-Control", "no-store");
    http_set_header(req, res, "Pragma", "no-cache");
}

static void oauth_error(struct request *req, struct response *res, const struct token_request *treq,
                        struct oauth_outcome out)
{
    api_error(req, res, oauth_error_status(out.error), oauth_error_code(out.error), out.description);
    no_store(req, res);
    if (out.error == OAUTH_INVALID_CLIENT && treq->basic)
        http_set_header(req, res, "WWW-Authenticate",
                        arena_printf(req->arena, "Basic realm=\"%s\"", treq->realm->name));
}

static void write_tokens(struct response *res, const struct token_response *t)
{
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "access_token", t->access_token);
    jsonw_kv_int(&w, "expires_in", t->expires_in);
    if (t->refresh_token) {
        jsonw_kv_int(&w, "refresh_expires_in", t->refresh_expires_in);
        jsonw_kv_str(&w, "refresh_token", t->refresh_token);
    }
    jsonw_kv_str(&w, "token_type", "Bearer");
    jsonw_kv_int(&w, "not-before-policy", 0);
    if (t->session_state)
        jsonw_kv_str(&w, "session_state", t->session_state);
    jsonw_kv_str(&w, "scope", t->scope);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
}

static void run_token(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_note *note = api_note(req);
    const struct token_request *treq = &((struct pending *)note->pending)->treq;
    struct token_response t;
    struct oauth_outcome out = oauth_token(&api->oauth, req->arena, treq, &t);
    if (out.error) {
        oauth_error(req, res, treq, out);
        return;
    }
    write_tokens(res, &t);
    no_store(req, res);
}

/* RFC 6749 §2.3: HTTP Basic or the body, never both. */
static struct oauth_outcome read_client(struct request *req, const struct form *f, struct token_request *t)
{
    const char *auth = http_header(req, "Authorization");
    const char *body_id = form_get(f, "client_id");
    const char *body_secret = form_get(f, "client_secret");
    t->client_id = body_id;
    t->client_secret = body_secret;
    if (!auth)
        return (struct oauth_outcome){OAUTH_OK, NULL};
    t->basic = true;
    if (basic_parse(req->arena, auth, &t->client_id, &t->client_secret) != KH_OK)
        return (struct oauth_outcome){OAUTH_INVALID_CLIENT, "Malformed HTTP Basic credentials"};
    if (body_secret)
        return (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                      "The client must authenticate with one method only"};
    if (body_id && strcmp(body_id, t->client_id) != 0)
        return (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                      "client_id in the body differs from HTTP Basic"};
    return (struct oauth_outcome){OAUTH_OK, NULL};
}

static enum http_result token_request(struct request *req, struct response *res)
{
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return HTTP_DONE;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    struct token_request *t = &p->treq;
    t->realm = realm;
    t->remote_ip = req->remote_ip;
    struct form f;
    if (!is_form(http_header(req, "Content-Type"))) {
        oauth_error(req, res, t, (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                 "Content-Type must be application/x-www-form-urlencoded"});
        return HTTP_DONE;
    }
    if (form_parse(req->arena, req->body.data ? req->body.data : "", req->body.len, &f)) {
        oauth_error(req, res, t, (struct oauth_outcome){OAUTH_INVALID_REQUEST,
                                 "Malformed body: bad encoding or a repeated parameter"});
        return HTTP_DONE;
    }
    struct oauth_outcome out = read_client(req, &f, t);
    t->grant_type = form_get(&f, "grant_type");
    t->scope = form_get(&f, "scope");
    t->username = form_get(&f, "username");
    t->password = form_get(&f, "password");
    t->refresh_token = form_get(&f, "refresh_token");
    struct api_note *note = api_note(req);
    note->client_id = t->client_id;
    note->grant = t->grant_type;
    note->pending = p;
    if (out.error) {
        oauth_error(req, res, t, out);
        return HTTP_DONE;
    }
    enum oauth_run where = oauth_token_run(t);
    if (where != OAUTH_RUN_INLINE) {
        req->deferred = run_token;
        req->defer_serial = where == OAUTH_RUN_SERIAL;
        return HTTP_DEFER;
    }
    run_token(req, res);
    return HTTP_DONE;
}

/* The fast grants read realm, client and subject in one store snapshot. */
enum http_result api_token(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    store_read_begin(api->oauth.store);
    enum http_result r = token_request(req, res);
    store_read_end(api->oauth.store);
    return r;
}
