/* admin_integrations.c - "New client credentials" (SPEC §4):
 * POST,GET /admin/realms/{realm}/integrations and DELETE …/integrations/{client_id}
 * with api_access:manage, and POST …/clients/{client_id}/secret, which rotates
 * a secret with clients:manage (any confidential client) or api_access:manage
 * (an integration).
 *
 * Reads are answered on the I/O thread inside one store snapshot; every write
 * runs on the slow-work pool as its own transaction (creating an integration
 * decides the no-escalation rule inside it, oauth/integration.h). A secret is
 * answered once, to the caller who made it, and never logged. */
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"
#include "core/clock.h"
#include "oauth/integration.h"
#include "oauth/manage.h"
#include "oauth/scope.h"

#define MANAGE "api_access:manage"
#define CLIENTS "clients:manage"

struct pending {
    struct api_caller caller;
    struct realm realm;
    struct integration_spec spec;
    const char *client_id;  /* delete, secret */
    int64_t grace;          /* secret */
};

static void finish(struct request *req, struct response *res, struct jsonw *w)
{
    if (jsonw_finish(w))
        res->status = 500;
    api_no_store(req, res);
}

/* GET /admin/realms/{realm}/integrations?limit=&cursor= */
static enum http_result list_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, MANAGE, &caller, &realm))
        return HTTP_DONE;
    struct api_page p;
    if (api_page_args(req, res, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, &p))
        return HTTP_DONE;
    struct integration *items;
    size_t n;
    if (store_integration_list(api->oauth.store, req->arena, realm.id, p.after, p.fetch, &items,
                               &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    int64_t now = clock_now();
    n = api_page_begin(&p, res, "integrations", n);
    for (size_t i = 0; i < n; i++) {
        jsonw_obj_begin(&p.w);
        integration_json_fields(&p.w, &items[i], now);
        jsonw_obj_end(&p.w);
    }
    api_page_end(&p, req, res, p.more ? items[n - 1].client.client_id : NULL);
    return HTTP_DONE;
}

enum http_result api_admin_integrations_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

static bool is_member(const char *key)
{
    static const char *const MEMBERS[] = {"user", "name", "scopes", "expires_at"};
    for (size_t i = 0; i < sizeof MEMBERS / sizeof MEMBERS[0]; i++)
        if (strcmp(key, MEMBERS[i]) == 0)
            return true;
    return false;
}

/* expires_at: absent or null (never), Unix seconds, or an RFC 3339 string. */
static const char *parse_expiry(json_t *v, int64_t *out)
{
    static const char *const WHY =
        "expires_at is Unix seconds or an RFC 3339 time such as \"2027-01-31T00:00:00Z\"";
    *out = 0;
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = json_integer_value(v);
        return NULL;
    }
    if (json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
        !clock_parse_time(json_string_value(v), out) && *out > 0)
        return NULL;
    return WHY;
}

/* scopes: absent (all the user holds) or an array of strings. */
static const char *parse_scopes(struct arena *a, json_t *v, struct integration_spec *spec)
{
    if (!v)
        return NULL;
    if (!json_is_array(v) || json_array_size(v) > SCOPE_MAX_TOKENS)
        return "scopes must be an array of at most 64 permissions";
    size_t n = json_array_size(v);
    const char **scopes = arena_alloc(a, (n + 1) * sizeof *scopes);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
            return "scopes must be an array of permission names";
        scopes[i] = arena_strdup(a, json_string_value(e));
    }
    spec->scopes = scopes;
    spec->n_scopes = n;
    return NULL;
}

/* The body of POST …/integrations into p->spec; else a sentence for a 400. */
static const char *parse_create(struct request *req, json_t *body, struct pending *p)
{
    struct integration_spec *spec = &p->spec;
    const char *why = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (!is_member(key)) {
            why = "Unknown member: an integration takes user, name, scopes and expires_at";
            goto out;
        }
    }
    if (admin_string(req->arena, body, "user", &spec->username) || !spec->username) {
        why = "user (a username) is required and must be a string";
        goto out;
    }
    if (admin_string(req->arena, body, "name", &spec->name)) {
        why = "name must be a string (or null)";
        goto out;
    }
    why = parse_scopes(req->arena, json_object_get(body, "scopes"), spec);
    if (!why)
        why = parse_expiry(json_object_get(body, "expires_at"), &spec->expires_at);
out:
    return why;
}

static void answer_created(struct request *req, struct response *res,
                           const struct integration_created *made)
{
    struct integration it = {.client = made->client, .owner_username = made->owner_username,
                             .owner_enabled = true};
    struct jsonw w;
    api_json_begin(res, 201, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "client_secret", made->secret); /* the only time it is shown */
    integration_json_fields(&w, &it, clock_now());
    jsonw_obj_end(&w);
    finish(req, res, &w);
}

static void run_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct pending *p = api_note(req)->pending;
    struct integration_created made;
    const char *missing = NULL, *why = NULL;
    enum kh_status rc = integration_create(api->oauth.store, req->arena, &p->realm, &p->spec,
                                           &made, &missing, &why);
    if (rc == KH_ERR_INVALID || rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 400, "invalid_request",
                  rc == KH_ERR_NOTFOUND ? "There is no user of that username in the realm" : why);
        return;
    }
    if (rc == KH_ERR_DENIED) {
        admin_escalation(req, res, missing, "the integration (its owner holds it)");
        return;
    }
    if (rc) {
        admin_store_failed(req, res);
        return;
    }
    admin_audit(req, &p->caller, &p->realm, AUDIT_INTEGRATION_CREATE, made.client.client_id,
                arena_printf(req->arena, "owner=%s scopes=%s", made.client.owner_user_id,
                             made.client.scopes));
    answer_created(req, res, &made);
}

/* Authenticates with `permission` and copies caller and realm into a new
 * pending state; NULL when the answer is written. Reads in one snapshot. */
static struct pending *begin(struct request *req, struct response *res, const char *permission)
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){0};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, permission, &p->caller, &p->realm);
    store_read_end(api->oauth.store);
    return denied ? NULL : p;
}

static enum http_result defer(struct request *req, struct pending *p, http_deferred run)
{
    api_note(req)->pending = p;
    req->deferred = run;
    req->defer_serial = false; /* one write transaction of its own */
    return HTTP_DEFER;
}

/* POST /admin/realms/{realm}/integrations */
enum http_result api_admin_integrations_create(struct request *req, struct response *res)
{
    struct pending *p = begin(req, res, MANAGE);
    if (!p)
        return HTTP_DONE;
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (body)
        why = parse_create(req, body, p);
    json_decref(body);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return HTTP_DONE;
    }
    p->spec.created_by = admin_actor(req->arena, &p->caller);
    p->spec.creator_scope = p->caller.token.scope;
    return defer(req, p, run_create);
}

static void run_delete(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    enum kh_status rc = store_integration_delete(api->oauth.store, p->realm.id, p->client_id);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No integration with that client_id in the realm");
        return;
    }
    if (rc) {
        admin_store_failed(req, res);
        return;
    }
    admin_audit(req, &p->caller, &p->realm, AUDIT_INTEGRATION_DELETE, p->client_id, NULL);
    res->status = 204;
    api_no_store(req, res);
}

/* DELETE /admin/realms/{realm}/integrations/{client_id} */
enum http_result api_admin_integration_delete(struct request *req, struct response *res)
{
    struct pending *p = begin(req, res, MANAGE);
    if (!p)
        return HTTP_DONE;
    p->client_id = req->params[1];
    return defer(req, p, run_delete);
}

/* The body of POST …/secret: none, or {"grace_seconds":N}; else a sentence. */
static const char *parse_grace(struct request *req, int64_t *grace)
{
    *grace = 0;
    if (req->body.len == 0)
        return NULL;
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (!body)
        return why;
    json_t *g = json_object_get(body, "grace_seconds");
    if (json_object_size(body) != (g ? 1 : 0) || (g && !json_is_integer(g)))
        why = "The body is empty or {\"grace_seconds\":N}";
    else if (g && (json_integer_value(g) < 0 || json_integer_value(g) > MANAGE_LIFETIME_MAX))
        why = "grace_seconds must be 0 to 31536000";
    else if (g)
        *grace = json_integer_value(g);
    json_decref(body);
    return why;
}

static void run_rotate(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    const char *secret = NULL, *why = NULL;
    int64_t old_until = 0;
    enum kh_status rc = manage_client_rotate_secret(api->oauth.store, req->arena, p->realm.name,
                                                    p->client_id, p->grace, &secret, &old_until,
                                                    &why);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No client with that client_id in the realm");
        return;
    }
    if (rc == KH_ERR_INVALID) {
        api_error(req, res, 400, "invalid_request", why);
        return;
    }
    if (rc) {
        admin_store_failed(req, res);
        return;
    }
    admin_audit(req, &p->caller, &p->realm, AUDIT_CLIENT_SECRET, p->client_id,
                arena_printf(req->arena, "grace_seconds=%lld", (long long)p->grace));
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "client_id", p->client_id);
    jsonw_kv_str(&w, "client_secret", secret); /* the only time it is shown */
    jsonw_kv_int(&w, "old_secret_valid_until", old_until);
    jsonw_obj_end(&w);
    finish(req, res, &w);
}

/* The permissions a client's secret gives whoever holds it: its permission
 * scopes, as far as its owner (if any) holds them now. */
static enum kh_status conferred(struct request *req, const struct client *c,
                                struct scope_set *out)
{
    const struct api *api = req->app;
    if (scope_parse(req->arena, c->scopes, out))
        return KH_ERR_INVALID;
    struct access acc = {0};
    if (c->owner_user_id) {
        enum kh_status rc =
            store_user_access(api->oauth.store, req->arena, c->realm_id, c->owner_user_id, NULL, &acc);
        if (rc && rc != KH_ERR_NOTFOUND) /* NOTFOUND: the owner is gone, it gives nothing */
            return rc;
        scope_filter_held(out, &acc);
    }
    size_t kept = 0;
    for (size_t i = 0; i < out->n; i++)
        if (!scope_is_protocol(out->tokens[i]))
            out->tokens[kept++] = out->tokens[i];
    out->n = kept;
    return KH_OK;
}

/* Which permission lets the caller rotate c: clients:manage for any client,
 * api_access:manage for an integration, and no permission its new secret
 * would give that the caller lacks. On refusal writes the answer, -1. */
static int may_rotate(struct request *req, struct response *res, const struct pending *p,
                      const struct client *c)
{
    struct scope_set held, gives;
    if (scope_parse(req->arena, p->caller.token.scope, &held))
        held.n = 0;
    if (!scope_has(&held, CLIENTS) && !c->integration) {
        /* api_access:manage only: answer the standard 403 for clients:manage */
        struct api_caller again;
        if (api_bearer_realm(req, res, p->realm.name, CLIENTS, &again))
            return -1;
    }
    if (conferred(req, c, &gives)) {
        admin_store_failed(req, res);
        return -1;
    }
    for (size_t i = 0; i < gives.n; i++) {
        if (!scope_has(&held, gives.tokens[i])) {
            admin_escalation(req, res, gives.tokens[i], "the client's new secret");
            return -1;
        }
    }
    return 0;
}

/* POST /admin/realms/{realm}/clients/{client_id}/secret */
static enum http_result secret_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){.client_id = req->params[1]};
    if (admin_realm(req, res, CLIENTS " " MANAGE, &p->caller, &p->realm))
        return HTTP_DONE;
    const char *why = parse_grace(req, &p->grace);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return HTTP_DONE;
    }
    struct client c;
    enum kh_status rc = store_client_find(api->oauth.store, req->arena, p->realm.id, p->client_id, &c);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No client with that client_id in the realm");
        return HTTP_DONE;
    }
    if (rc) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    if (may_rotate(req, res, p, &c))
        return HTTP_DONE;
    return defer(req, p, run_rotate);
}

enum http_result api_admin_client_secret(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, secret_request);
}

const char *admin_integration_body_check(struct request *req, json_t *body)
{
    struct pending p = {0};
    return parse_create(req, body, &p);
}
