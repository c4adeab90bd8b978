/* admin_users.c - the user rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms/{realm}/users, GET …/users/{id} and
 * PUT …/users/{id}/password, with a token of that realm or of the default
 * realm carrying users:manage (users:read or users:manage to read).
 *
 * Reads are answered on the I/O thread inside one store snapshot. Creating a
 * user and setting a password hash a password (argon2id, slow), so they run
 * on the slow-work pool; each store write is its own transaction. */
#include <string.h>
#include "api/admin_common.h"
#include "authn/password.h"
#include "oauth/manage.h"

#define READ "users:read users:manage"
#define MANAGE "users:manage"
#define USER_ROLES_MAX 64

struct pending {
    const char *realm;
    int64_t realm_id;
    const char *user_id;
    struct user_spec spec;
    const char *password;
};

static void user_fields(struct jsonw *w, const struct user *u)
{
    jsonw_kv_str(w, "id", u->id);
    jsonw_kv_str(w, "username", u->username);
    jsonw_kv_str(w, "email", u->email); /* NULL writes null */
    jsonw_kv_str(w, "first_name", u->first_name);
    jsonw_kv_str(w, "last_name", u->last_name);
    jsonw_kv_bool(w, "enabled", u->enabled);
    jsonw_kv_int(w, "created_at", u->created_at);
}

/* A user with its roles; never the password hash. */
static void write_user(struct request *req, struct response *res, int status, const struct user *u,
                       const struct access *acc)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    jsonw_obj_begin(&w);
    user_fields(&w, u);
    jsonw_key(&w, "roles");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < acc->n_roles; i++)
        jsonw_str(&w, acc->roles[i]);
    jsonw_arr_end(&w);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
}

/* GET /admin/realms/{realm}/users?limit=&cursor= (the shape of /v1/users) */
static enum http_result list_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, READ, &caller, &realm))
        return HTTP_DONE;
    long limit;
    const char *after;
    if (api_query_int(req, res, "limit", 1, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, &limit) ||
        api_query_cursor(req, res, &after))
        return HTTP_DONE;
    struct user *users;
    size_t n;
    if (store_user_list(api->oauth.store, req->arena, realm.id, after, (size_t)limit + 1, &users,
                        &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    bool more = n > (size_t)limit;
    if (more)
        n = (size_t)limit;
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_key(&w, "users");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < n; i++) {
        jsonw_obj_begin(&w);
        user_fields(&w, &users[i]);
        jsonw_obj_end(&w);
    }
    jsonw_arr_end(&w);
    jsonw_kv_str(&w, "next_cursor",
                 more ? api_cursor_format(req->arena, users[n - 1].username) : NULL);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
    return HTTP_DONE;
}

/* The user and its roles, or the 404/503 answer and -1. */
static int find_user(struct request *req, struct response *res, int64_t realm_id, const char *id,
                     struct user *u, struct access *acc)
{
    const struct api *api = req->app;
    enum kh_status rc = store_user_get(api->oauth.store, req->arena, realm_id, id, u);
    if (!rc)
        rc = store_user_access(api->oauth.store, req->arena, realm_id, id, acc);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No user with that id in the realm");
        return -1;
    }
    if (rc) {
        admin_store_failed(req, res);
        return -1;
    }
    return 0;
}

/* GET /admin/realms/{realm}/users/{id} */
static enum http_result get_request(struct request *req, struct response *res)
{
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, READ, &caller, &realm))
        return HTTP_DONE;
    struct user u;
    struct access acc;
    if (!find_user(req, res, realm.id, req->params[1], &u, &acc))
        write_user(req, res, 200, &u, &acc);
    return HTTP_DONE;
}

static bool is_member(const char *key)
{
    static const char *const MEMBERS[] = {"username", "email",   "first_name", "last_name",
                                          "enabled",  "roles",   "password"};
    for (size_t i = 0; i < sizeof MEMBERS / sizeof MEMBERS[0]; i++)
        if (strcmp(key, MEMBERS[i]) == 0)
            return true;
    return false;
}

/* The body of POST …/users into p->spec; else a sentence for a 400. */
static const char *parse_create(struct request *req, struct pending *p)
{
    struct user_spec *spec = &p->spec;
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (!body)
        return why;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (!is_member(key)) {
            why = "Unknown member: a user takes username, email, first_name, last_name, "
                  "enabled, roles and password";
            goto out;
        }
    }
    if (admin_string(req->arena, body, "username", &spec->username) || !spec->username) {
        why = "username is required and must be a string";
        goto out;
    }
    if (admin_string(req->arena, body, "email", &spec->email) ||
        admin_string(req->arena, body, "first_name", &spec->first_name) ||
        admin_string(req->arena, body, "last_name", &spec->last_name)) {
        why = "email, first_name and last_name must be strings (or null)";
        goto out;
    }
    if (admin_string(req->arena, body, "password", &spec->password)) {
        why = "password must be a string";
        goto out;
    }
    if (spec->password && (!*spec->password || strlen(spec->password) > 1024)) {
        why = "the password must be 1 to 1024 bytes";
        goto out;
    }
    json_t *en = json_object_get(body, "enabled");
    if (en && !json_is_boolean(en)) {
        why = "enabled must be true or false";
        goto out;
    }
    spec->disabled = en && json_is_false(en);
    json_t *roles = json_object_get(body, "roles");
    if (roles && !json_is_array(roles)) {
        why = "roles must be an array of role names";
        goto out;
    }
    spec->n_roles = roles ? json_array_size(roles) : 0;
    if (spec->n_roles > USER_ROLES_MAX) {
        why = "A user has at most 64 roles";
        goto out;
    }
    const char **names = arena_alloc(req->arena, (spec->n_roles + 1) * sizeof *names);
    for (size_t i = 0; i < spec->n_roles; i++) {
        json_t *e = json_array_get(roles, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e)) {
            why = "roles must be an array of role names";
            goto out;
        }
        names[i] = arena_strdup(req->arena, json_string_value(e));
    }
    spec->roles = names;
out:
    json_decref(body);
    return why;
}

static void run_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    const char *why = NULL;
    enum kh_status rc = manage_user_create(api->oauth.store, req->arena, p->realm, &p->spec, &why);
    if (rc == KH_ERR_INVALID || (rc == KH_ERR_NOTFOUND && p->spec.n_roles)) {
        /* NOTFOUND: a role given was deleted meanwhile (or the realm) */
        api_error(req, res, 400, "invalid_request", why);
        return;
    }
    if (rc == KH_ERR_CONFLICT) {
        api_error(req, res, 409, "conflict", "A user of that name exists already in the realm");
        return;
    }
    struct user u;
    struct access acc;
    if (rc ||
        store_user_find_by_name(api->oauth.store, req->arena, p->realm_id,
                                manage_username(req->arena, p->spec.username), &u) ||
        store_user_access(api->oauth.store, req->arena, p->realm_id, u.id, &acc)) {
        admin_store_failed(req, res);
        return;
    }
    write_user(req, res, 201, &u, &acc);
    http_set_header(req, res, "Location",
                    arena_printf(req->arena, "/admin/realms/%s/users/%s", p->realm, u.id));
}

/* Every role named exists and gives nothing the caller lacks; else the
 * answer (400 unknown role, 403 escalation) and -1. In a store snapshot. */
static int check_roles(struct request *req, struct response *res, const struct api_caller *caller,
                       int64_t realm_id, const struct user_spec *spec)
{
    const struct api *api = req->app;
    for (size_t i = 0; i < spec->n_roles; i++) {
        struct role r;
        enum kh_status rc =
            store_role_find(api->oauth.store, req->arena, realm_id, spec->roles[i], &r);
        if (rc == KH_ERR_NOTFOUND) {
            api_error(req, res, 400, "invalid_request",
                      arena_printf(req->arena, "There is no role \"%s\" in the realm",
                                   spec->roles[i]));
            return -1;
        }
        if (rc) {
            admin_store_failed(req, res);
            return -1;
        }
        const char *missing = admin_missing_permission(caller, &r);
        if (missing) {
            admin_escalation(req, res, missing,
                             arena_printf(req->arena, "the role \"%s\"", r.name));
            return -1;
        }
    }
    return 0;
}

/* POST /admin/realms/{realm}/users */
enum http_result api_admin_users_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){0};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, MANAGE, &caller, &realm);
    if (!denied) {
        p->realm = realm.name;
        p->realm_id = realm.id;
        const char *why = parse_create(req, p);
        if (why) {
            api_error(req, res, 400, "invalid_request", why);
            denied = 1;
        } else {
            denied = check_roles(req, res, &caller, realm.id, &p->spec);
        }
    }
    store_read_end(api->oauth.store);
    if (denied)
        return HTTP_DONE;
    api_note(req)->pending = p;
    req->deferred = run_create;
    req->defer_serial = false; /* hashes the password: slow work */
    return HTTP_DEFER;
}

static void run_password(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(p->password, strlen(p->password), hash)) {
        api_error(req, res, 400, "invalid_request", "the password must be 1 to 1024 bytes");
        return;
    }
    enum kh_status rc = store_user_set_password(api->oauth.store, p->realm_id, p->user_id, hash);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No user with that id in the realm");
        return;
    }
    if (rc) {
        admin_store_failed(req, res);
        return;
    }
    res->status = 204;
    api_no_store(req, res);
}

/* {"password":"…"}; else a sentence for a 400. */
static const char *parse_password(struct request *req, struct pending *p)
{
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (!body)
        return why;
    if (json_object_size(body) != 1 || admin_string(req->arena, body, "password", &p->password) ||
        !p->password)
        why = "The body is {\"password\":\"…\"}";
    else if (!*p->password || strlen(p->password) > 1024)
        why = "the password must be 1 to 1024 bytes";
    json_decref(body);
    return why;
}

/* PUT /admin/realms/{realm}/users/{id}/password */
enum http_result api_admin_user_password(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){0};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, MANAGE, &caller, &realm);
    if (!denied) {
        struct user u;
        struct access acc;
        p->realm = realm.name;
        p->realm_id = realm.id;
        p->user_id = req->params[1];
        const char *why = parse_password(req, p);
        if (why) {
            api_error(req, res, 400, "invalid_request", why);
            denied = 1;
        } else if (find_user(req, res, realm.id, p->user_id, &u, &acc)) {
            denied = 1;
        }
    }
    store_read_end(api->oauth.store);
    if (denied)
        return HTTP_DONE;
    api_note(req)->pending = p;
    req->deferred = run_password;
    req->defer_serial = false; /* hashes the password: slow work */
    return HTTP_DEFER;
}

enum http_result api_admin_users_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_user_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}
