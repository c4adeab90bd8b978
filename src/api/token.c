/* token.c - POST …/protocol/openid-connect/token and /connect/token.
 *
 * Parses the form and the client's credentials into a struct token_request,
 * runs oauth_token() (off the I/O threads when it hashes a password) and
 * writes the RFC 6749 §5.1/§5.2 answer. */
#include "api/respond.h"

struct pending {
    struct token_request treq;
};

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
    if (t->id_token)
        jsonw_kv_str(&w, "id_token", t->id_token);
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
        api_oauth_error(req, res, treq->realm, treq->basic, out);
        return;
    }
    write_tokens(res, &t);
    api_no_store(req, res);
}

static enum http_result token_request(struct request *req, struct response *res)
{
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return HTTP_DONE;
    struct form f;
    if (api_form(req, res, realm, &f))
        return HTTP_DONE;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    struct token_request *t = &p->treq;
    struct api_client_creds creds;
    struct oauth_outcome out = api_client_creds(req, &f, &creds);
    t->realm = realm;
    t->remote_ip = req->remote_ip;
    t->client_id = creds.client_id;
    t->client_secret = creds.client_secret;
    t->basic = creds.basic;
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
        api_oauth_error(req, res, realm, t->basic, out);
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
    return api_in_snapshot(req, res, token_request);
}
