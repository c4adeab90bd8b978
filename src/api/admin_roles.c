/* admin_roles.c - the role rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms/{realm}/roles and GET,PUT,DELETE …/roles/{name},
 * with a token of that realm or of the default realm carrying roles:manage.
 *
 * Reads are answered on the I/O thread inside one store snapshot; writes run
 * on the slow-work pool, each with its answer in one store transaction. No
 * escalation: a role may give only permissions the caller's token carries.
 * The built-in role with every permission is never changed or deleted. */
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"
#include "oauth/manage.h"

#define PERMISSION "roles:manage"
#define ROLE_PERMISSIONS_MAX 64

struct pending {
    struct api_caller caller;
    struct realm realm;
    const char *name;
    const char **permissions;
    size_t n;
};

static void role_json(struct jsonw *w, const struct role *r)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "name", r->name);
    jsonw_key(w, "permissions");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < r->n_permissions; i++)
        jsonw_str(w, r->permissions[i]);
    jsonw_arr_end(w);
    jsonw_kv_bool(w, "all_permissions", r->all_permissions);
    jsonw_obj_end(w);
}

static void write_role(struct request *req, struct response *res, int status, const struct role *r)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    role_json(&w, r);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
}

/* GET /admin/realms/{realm}/roles?limit=&cursor= */
static enum http_result list_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, PERMISSION, &caller, &realm))
        return HTTP_DONE;
    struct api_page p;
    if (api_page_args(req, res, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, &p))
        return HTTP_DONE;
    struct role *roles;
    size_t n;
    if (store_role_list(api->oauth.store, req->arena, realm.id, p.after, p.fetch, &roles, &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    n = api_page_begin(&p, res, "roles", n);
    for (size_t i = 0; i < n; i++)
        role_json(&p.w, &roles[i]);
    api_page_end(&p, req, res, p.more ? roles[n - 1].name : NULL);
    return HTTP_DONE;
}

/* GET /admin/realms/{realm}/roles/{name} */
static enum http_result get_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, PERMISSION, &caller, &realm))
        return HTTP_DONE;
    struct role r;
    enum kh_status rc = store_role_find(api->oauth.store, req->arena, realm.id, req->params[1], &r);
    if (rc == KH_ERR_NOTFOUND)
        api_error(req, res, 404, "not_found", "No role of that name in the realm");
    else if (rc)
        admin_store_failed(req, res);
    else
        write_role(req, res, 200, &r);
    return HTTP_DONE;
}

/* The member "permissions" (optional: none) into *p; else a sentence for a 400. */
static const char *parse_permissions(struct request *req, json_t *body, struct pending *p)
{
    json_t *perms = json_object_get(body, "permissions");
    if (perms && !json_is_array(perms))
        return "permissions must be an array of strings";
    p->n = perms ? json_array_size(perms) : 0;
    if (p->n > ROLE_PERMISSIONS_MAX)
        return "A role gives at most 64 permissions";
    p->permissions = arena_alloc(req->arena, (p->n + 1) * sizeof *p->permissions);
    for (size_t i = 0; i < p->n; i++) {
        json_t *e = json_array_get(perms, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
            return "permissions must be an array of strings";
        p->permissions[i] = arena_strdup(req->arena, json_string_value(e));
        if (!manage_is_permission(p->permissions[i]))
            return arena_printf(req->arena, "\"%s\" is not a valid permission (like users:read)",
                                p->permissions[i]);
    }
    return NULL;
}

/* {"name":"…","permissions":["…"]} (POST) or {"permissions":[…]} (PUT, with
 * the name from the path) into *p; else a sentence for a 400. */
static const char *parse_role(struct request *req, json_t *body, struct pending *p,
                              bool with_name)
{
    const char *why = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if ((!with_name || strcmp(key, "name") != 0) && strcmp(key, "permissions") != 0) {
            why = with_name ? "Unknown member: a role takes only name and permissions"
                            : "Unknown member: the body is {\"permissions\":[…]} (a role "
                              "keeps its name)";
            goto out;
        }
    }
    if (with_name && (admin_string(req->arena, body, "name", &p->name) || !p->name)) {
        why = "name is required and must be a string";
        goto out;
    }
    if (!with_name && !json_object_get(body, "permissions")) {
        why = "permissions is required: the body is {\"permissions\":[…]}";
        goto out;
    }
    why = parse_permissions(req, body, p);
out:
    return why;
}

/* The role as it is now into the answer; -1 (503) if it cannot be read. */
static int answer_role(struct request *req, struct response *res, int status,
                       const struct pending *p)
{
    const struct api *api = req->app;
    struct role r;
    if (store_role_find(api->oauth.store, req->arena, p->realm.id, p->name, &r)) {
        admin_store_failed(req, res);
        return -1;
    }
    write_role(req, res, status, &r);
    return 0;
}

/* The permissions, space-separated, for the audit event. */
static const char *permission_list(struct arena *a, const struct pending *p)
{
    const char *out = "";
    for (size_t i = 0; i < p->n; i++)
        out = arena_printf(a, "%s%s%s", out, i ? " " : "", p->permissions[i]);
    return arena_printf(a, "permissions: %s", *out ? out : "(none)");
}

/* Authenticates, finds the realm and parses the body into a new pending
 * write (NULL when the answer is written). */
static struct pending *begin_write(struct request *req, struct response *res, bool body,
                                   bool with_name)
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){0};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, PERMISSION, &p->caller, &p->realm);
    store_read_end(api->oauth.store);
    if (denied)
        return NULL;
    if (!with_name)
        p->name = req->params[1];
    const char *why = NULL;
    json_t *json = body ? admin_body(req, &why) : NULL;
    if (json)
        why = parse_role(req, json, p, with_name);
    json_decref(json);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return NULL;
    }
    if (body) {
        struct role wanted = {.permissions = p->permissions, .n_permissions = p->n};
        const char *missing = admin_missing_permission(&p->caller, &wanted);
        if (missing) {
            admin_escalation(req, res, missing, "the role");
            return NULL;
        }
    }
    return p;
}

static enum http_result defer(struct request *req, struct pending *p, http_deferred run)
{
    api_note(req)->pending = p;
    req->deferred = run;
    req->defer_serial = false; /* a write with its answer: one transaction of its own */
    return HTTP_DEFER;
}

static int create_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    const char *why = NULL;
    enum kh_status rc = manage_role_create(api->oauth.store, req->arena, p->realm.name, p->name,
                                           p->permissions, p->n, false, &why);
    if (rc) {
        admin_manage_failed(req, res, rc, rc == KH_ERR_CONFLICT
                                              ? "A role of that name exists already in the realm"
                                              : why);
        return -1;
    }
    return answer_role(req, res, 201, p);
}

static void run_create(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (admin_write(req, res, create_step, p))
        return;
    http_set_header(req, res, "Location",
                    arena_printf(req->arena, "/admin/realms/%s/roles/%s", p->realm.name, p->name));
    admin_audit(req, &p->caller, &p->realm, AUDIT_ROLE_CREATE, p->name,
                permission_list(req->arena, p));
}

/* POST /admin/realms/{realm}/roles */
enum http_result api_admin_roles_create(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, true, true);
    return p ? defer(req, p, run_create) : HTTP_DONE;
}

static int update_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    const char *why = NULL;
    enum kh_status rc = manage_role_update(api->oauth.store, req->arena, p->realm.name, p->name,
                                           (const char *const *)p->permissions, p->n, &why);
    if (rc) {
        admin_manage_failed(req, res, rc, why);
        return -1;
    }
    return answer_role(req, res, 200, p);
}

static void run_update(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (!admin_write(req, res, update_step, p))
        admin_audit(req, &p->caller, &p->realm, AUDIT_ROLE_UPDATE, p->name,
                    permission_list(req->arena, p));
}

/* PUT /admin/realms/{realm}/roles/{name} */
enum http_result api_admin_role_update(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, true, false);
    return p ? defer(req, p, run_update) : HTTP_DONE;
}

static int delete_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    const char *why = NULL;
    enum kh_status rc = manage_role_delete(api->oauth.store, req->arena, p->realm.name, p->name,
                                           &why);
    if (rc) {
        admin_manage_failed(req, res, rc, why);
        return -1;
    }
    res->status = 204;
    api_no_store(req, res);
    return 0;
}

static void run_delete(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (!admin_write(req, res, delete_step, p))
        admin_audit(req, &p->caller, &p->realm, AUDIT_ROLE_DELETE, p->name, NULL);
}

/* DELETE /admin/realms/{realm}/roles/{name} */
enum http_result api_admin_role_delete(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, false, false);
    return p ? defer(req, p, run_delete) : HTTP_DONE;
}

enum http_result api_admin_roles_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_role_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}

const char *admin_role_body_check(struct request *req, json_t *body, bool create)
{
    struct pending p = {0};
    return parse_role(req, body, &p, create);
}
