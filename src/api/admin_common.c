/* admin_common.c - helpers of the realm-scoped admin rows (admin_common.h). */
#include "api/admin_common.h"

#include <string.h>
#include "oauth/manage.h"
#include "oauth/scope.h"

void admin_store_failed(struct request *req, struct response *res)
{
    api_error(req, res, 503, "temporarily_unavailable", "The store is not available");
}

int admin_realm(struct request *req, struct response *res, const char *permission,
                struct api_caller *caller, struct realm *realm)
{
    const struct api *api = req->app;
    if (api_bearer_realm(req, res, req->params[0], permission, caller))
        return -1;
    enum kh_status rc = store_realm_find(api->oauth.store, req->arena, req->params[0], realm);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No realm of that name");
        return -1;
    }
    if (rc) {
        admin_store_failed(req, res);
        return -1;
    }
    return 0;
}

/* True if arrays and objects nest at most `max` deep in the JSON text. A
 * scan of brackets outside strings, before jansson builds anything: its own
 * limit is 2048 levels, far more than any admin body has (two). */
static bool json_depth_within(const char *s, size_t n, unsigned max)
{
    unsigned depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character, whatever it is */
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max)
                return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        }
    }
    return true;
}

json_t *admin_body(struct request *req, const char **why)
{
    if (!api_is_json(http_header(req, "Content-Type"))) {
        *why = "Content-Type must be application/json";
        return NULL;
    }
    return admin_json_object(req->body.data, req->body.len, why);
}

json_t *admin_json_object(const char *data, size_t len, const char **why)
{
    if (!json_depth_within(data, len, ADMIN_JSON_MAX_DEPTH)) {
        *why = "The JSON body nests arrays and objects more than 16 deep";
        return NULL;
    }
    json_error_t err;
    json_t *body = json_loadb(data ? data : "", len, JSON_REJECT_DUPLICATES, &err);
    if (!json_is_object(body)) {
        *why = body ? "The body must be a JSON object"
                    : "The body is not valid JSON (or repeats a member)";
        json_decref(body);
        return NULL;
    }
    return body;
}

int admin_string(struct arena *a, json_t *obj, const char *key, const char **out)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = arena_strdup(a, json_string_value(v));
    return 0;
}

/* True if the space-separated scope holds the word. */
static bool token_in(const char *scope, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = scope ? scope : ""; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, word, n) == 0)
            return true;
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

const char *admin_missing_permission(const struct api_caller *caller, const struct role *role)
{
    const char *scope = caller->token.scope;
    if (role->all_permissions) {
        for (size_t i = 0; i < MANAGE_N_PERMISSIONS; i++)
            if (!token_in(scope, MANAGE_PERMISSIONS[i]))
                return MANAGE_PERMISSIONS[i];
    }
    for (size_t i = 0; i < role->n_permissions; i++)
        if (!token_in(scope, role->permissions[i]))
            return role->permissions[i];
    return NULL;
}

const char *admin_missing_access(const struct api_caller *caller, const struct access *acc)
{
    struct role held = {.all_permissions = acc->all_permissions,
                        .permissions = acc->permissions,
                        .n_permissions = acc->n_permissions};
    return admin_missing_permission(caller, &held);
}

const char *admin_missing_scope(struct arena *a, const struct api_caller *caller, const char *scopes)
{
    struct scope_set set;
    if (scope_parse(a, scopes ? scopes : "", &set))
        return NULL; /* malformed: the validation that follows refuses it */
    for (size_t i = 0; i < set.n; i++) {
        if (scope_is_protocol(set.tokens[i]))
            continue;
        struct role one = {.permissions = &set.tokens[i], .n_permissions = 1};
        const char *missing = admin_missing_permission(caller, &one);
        if (missing)
            return missing;
    }
    return NULL;
}

int admin_write(struct request *req, struct response *res,
                int (*step)(struct request *, struct response *, void *), void *ctx)
{
    const struct api *api = req->app;
    struct store *s = api->oauth.store;
    if (store_batch_begin(s)) {
        admin_store_failed(req, res);
        return -1;
    }
    if (step(req, res, ctx)) {
        store_batch_abort(s);
        return -1;
    }
    if (store_batch_end(s)) {
        res->n_headers = 0; /* nothing of the answer holds */
        admin_store_failed(req, res);
        return -1;
    }
    return 0;
}

void admin_manage_failed(struct request *req, struct response *res, enum kh_status rc,
                         const char *why)
{
    if (rc == KH_ERR_INVALID)
        api_error(req, res, 400, "invalid_request", why);
    else if (rc == KH_ERR_NOTFOUND)
        api_error(req, res, 404, "not_found", why);
    else if (rc == KH_ERR_CONFLICT)
        api_error(req, res, 409, "conflict", why);
    else
        admin_store_failed(req, res);
}

void admin_escalation(struct request *req, struct response *res, const char *permission,
                      const char *what)
{
    api_error(req, res, 403, "forbidden",
              arena_printf(req->arena,
                           "Your access token does not carry %s, which %s would give: "
                           "no one may give a permission they do not hold",
                           permission, what));
}

const char *admin_actor(struct arena *a, const struct api_caller *caller)
{
    if (caller->token.user_id)
        return caller->token.user_id;
    return arena_printf(a, "client:%s", caller->token.client_id);
}

void admin_audit(struct request *req, const struct api_caller *caller, const struct realm *realm,
                 const char *type, const char *target, const char *detail)
{
    const struct api *api = req->app;
    audit_record(api->oauth.audit,
                 &(struct audit_event){.realm_id = realm->id, .realm = realm->name, .type = type,
                                       .actor = admin_actor(req->arena, caller), .target = target,
                                       .client_id = caller->token.client_id,
                                       .ip = req->remote_ip, .outcome = "ok", .detail = detail});
}
