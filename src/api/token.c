/* token.c - POST …/protocol/openid-connect/token and /connect/token.
 *
 * Parses the form and the client's credentials into a struct token_request,
 * runs oauth_token() (off the I/O threads when it hashes a password) and
 * writes the RFC 6749 §5.1/§5.2 answer. */
#include <string.h>
#include "api/respond.h"
#include "audit/audit.h"

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

/* The grant type as the audit log names it: one keyhold knows, never the
 * free text a client sent (it could hold anything, a pasted secret too). */
static const char *grant_name(const char *grant_type)
{
    static const char *const known[] = {"password", "client_credentials", "refresh_token"};
    if (!grant_type)
        return "none";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(grant_type, known[i]) == 0)
            return known[i];
    return "other";
}

/* token.issued or token.refused: the client, the grant type, the subject
 * and the granted scope, or the error code and its description; never a
 * secret, a password or a token. A refused password grant names the
 * username tried (target), for spotting guessing. */
static void audit_token(struct request *req, const struct token_request *t,
                        const struct token_response *issued, struct oauth_outcome out)
{
    const struct api *api = req->app;
    const char *grant = grant_name(t->grant_type);
    struct audit_event ev = {
        .realm_id = t->realm->id,
        .realm = t->realm->name,
        .type = out.error ? AUDIT_TOKEN_REFUSED : AUDIT_TOKEN_ISSUED,
        .actor = t->client_id ? arena_printf(req->arena, "client:%s", t->client_id) : NULL,
        .client_id = t->client_id,
        .ip = t->remote_ip,
        .outcome = out.error ? oauth_error_code(out.error) : "ok",
    };
    if (out.error) {
        ev.target = strcmp(grant, "password") == 0 ? t->username : NULL;
        ev.detail = arena_printf(req->arena, "grant_type=%s: %s", grant,
                                 out.description ? out.description : "");
    } else { /* issued is set exactly when there is no error */
        /* cppcheck-suppress nullPointer */
        ev.target = issued->subject;
        /* cppcheck-suppress nullPointer */
        const char *scope = issued->scope ? issued->scope : "";
        ev.detail = arena_printf(req->arena, "grant_type=%s scope=%s", grant, scope);
    }
    audit_record(api->oauth.audit, &ev);
}

static void run_token(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_note *note = api_note(req);
    const struct token_request *treq = &((struct pending *)note->pending)->treq;
    struct token_response t;
    struct oauth_outcome out = oauth_token(&api->oauth, req->arena, treq, &t);
    audit_token(req, treq, &t, out);
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
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    struct token_request *t = &p->treq;
    t->realm = realm;
    t->remote_ip = req->remote_ip;
    struct form f;
    if (api_form(req, res, realm, &f)) {
        audit_token(req, t, NULL, (struct oauth_outcome){OAUTH_INVALID_REQUEST, "Malformed body"});
        return HTTP_DONE;
    }
    struct api_client_creds creds;
    struct oauth_outcome out = api_client_creds(req, &f, &creds);
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
        audit_token(req, t, NULL, out);
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
