/* admin_roles.c - the role rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms/{realm}/roles and GET …/roles/{name}, with a token
 * of that realm or of the default realm carrying roles:manage.
 *
 * Reads are answered on the I/O thread inside one store snapshot; creating a
 * role (a write) runs on the slow-work pool, its own transaction. */
#include <string.h>
#include "api/admin_common.h"
#include "oauth/manage.h"

#define PERMISSION "roles:manage"
#define ROLE_PERMISSIONS_MAX 64

struct pending {
    const char *realm;
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
    long limit;
    const char *after;
    if (api_query_int(req, res, "limit", 1, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, &limit) ||
        api_query_cursor(req, res, &after))
        return HTTP_DONE;
    struct role *roles;
    size_t n;
    if (store_role_list(api->oauth.store, req->arena, realm.id, after, (size_t)limit + 1, &roles,
                        &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    bool more = n > (size_t)limit; /* one more than a page was asked for */
    if (more)
        n = (size_t)limit;
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "roles");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < n; i++)
        role_json(&w, &roles[i]);
    jsonw_arr_end(&w);
    jsonw_kv_str(&w, "next_cursor", more ? api_cursor_format(req->arena, roles[n - 1].name) : NULL);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
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

/* {"name":"…","permissions":["…"]} into *p; else a sentence for a 400. */
static const char *parse_create(struct request *req, struct pending *p)
{
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (!body)
        return why;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "name") != 0 && strcmp(key, "permissions") != 0) {
            why = "Unknown member: a role takes only name and permissions";
            goto out;
        }
    }
    if (admin_string(req->arena, body, "name", &p->name) || !p->name) {
        why = "name is required and must be a string";
        goto out;
    }
    json_t *perms = json_object_get(body, "permissions");
    if (perms && !json_is_array(perms)) {
        why = "permissions must be an array of strings";
        goto out;
    }
    p->n = perms ? json_array_size(perms) : 0;
    if (p->n > ROLE_PERMISSIONS_MAX) {
        why = "A role gives at most 64 permissions";
        goto out;
    }
    p->permissions = arena_alloc(req->arena, (p->n + 1) * sizeof *p->permissions);
    for (size_t i = 0; i < p->n; i++) {
        json_t *e = json_array_get(perms, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
            why = "permissions must be an array of strings";
            goto out;
        }
        p->permissions[i] = arena_strdup(req->arena, json_string_value(e));
        if (!manage_is_permission(p->permissions[i])) {
            why = arena_printf(req->arena,
                               "\"%s\" is not a valid permission (like users:read)",
                               p->permissions[i]);
            goto out;
        }
    }
out:
    json_decref(body);
    return why;
}

static void run_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    const char *why = NULL;
    enum kh_status rc = manage_role_create(api->oauth.store, req->arena, p->realm, p->name,
                                           p->permissions, p->n, false, &why);
    if (rc == KH_ERR_INVALID) {
        api_error(req, res, 400, "invalid_request", why);
        return;
    }
    if (rc == KH_ERR_CONFLICT) {
        api_error(req, res, 409, "conflict", "A role of that name exists already in the realm");
        return;
    }
    if (rc == KH_ERR_NOTFOUND) { /* the realm went away meanwhile */
        api_error(req, res, 404, "not_found", "No realm of that name");
        return;
    }
    struct realm realm;
    struct role r;
    if (rc || store_realm_find(api->oauth.store, req->arena, p->realm, &realm) ||
        store_role_find(api->oauth.store, req->arena, realm.id, p->name, &r)) {
        admin_store_failed(req, res);
        return;
    }
    write_role(req, res, 201, &r);
    http_set_header(req, res, "Location",
                    arena_printf(req->arena, "/admin/realms/%s/roles/%s", realm.name, r.name));
}

/* POST /admin/realms/{realm}/roles */
enum http_result api_admin_roles_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, PERMISSION, &caller, &realm);
    store_read_end(api->oauth.store);
    if (denied)
        return HTTP_DONE;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    p->realm = realm.name;
    const char *why = parse_create(req, p);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return HTTP_DONE;
    }
    struct role wanted = {.name = p->name, .permissions = p->permissions, .n_permissions = p->n};
    const char *missing = admin_missing_permission(&caller, &wanted);
    if (missing) {
        admin_escalation(req, res, missing, "the role");
        return HTTP_DONE;
    }
    api_note(req)->pending = p;
    req->deferred = run_create;
    req->defer_serial = false; /* one write, its own transaction */
    return HTTP_DEFER;
}

enum http_result api_admin_roles_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_role_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}
