/* admin_users.c - the user rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms/{realm}/users, GET,PUT,DELETE …/users/{id} and
 * PUT …/users/{id}/password, with a token of that realm or of the default
 * realm carrying users:manage (users:read or users:manage to read).
 *
 * Reads are answered on the I/O thread inside one store snapshot. Writes run
 * on the slow-work pool (a password is hashed there first, argon2id), each
 * deciding and writing in one store transaction (admin_write): giving a user
 * a role needs every permission of that role, setting a user's password
 * needs every permission the user holds, and a concurrent change of a role
 * cannot slip between that check and the write.
 *
 * POST and PUT take "password_hash" too: a hash moved in from elsewhere
 * (authn/phc.h: PBKDF2, bcrypt, argon2id), checked and stored as given; the
 * user's first login replaces it by argon2id. Setting it is setting a
 * password: on PUT the caller must hold every permission of the user. */
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"
#include "authn/password.h"
#include "oauth/manage.h"

#define READ "users:read users:manage"
#define MANAGE "users:manage"
#define USER_ROLES_MAX 64

struct pending {
    struct api_caller caller;
    struct realm realm;
    const char *user_id;
    struct user_spec spec;      /* POST */
    struct user_changes ch;     /* PUT */
    const char *password;       /* POST (spec.password) or PUT …/password */
    char hash[PASSWORD_HASH_MAX];
    const char *given_hash;     /* POST or PUT "password_hash", checked */
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
    struct api_page p;
    if (api_page_args(req, res, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, &p))
        return HTTP_DONE;
    struct user *users;
    size_t n;
    if (store_user_list(api->oauth.store, req->arena, realm.id, p.after, p.fetch, &users, &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    n = api_page_begin(&p, res, "users", n);
    for (size_t i = 0; i < n; i++) {
        jsonw_obj_begin(&p.w);
        user_fields(&p.w, &users[i]);
        jsonw_obj_end(&p.w);
    }
    api_page_end(&p, req, res, p.more ? users[n - 1].username : NULL);
    return HTTP_DONE;
}

/* The user and its roles, or the 404/503 answer and -1. */
static int find_user(struct request *req, struct response *res, int64_t realm_id, const char *id,
                     struct user *u, struct access *acc)
{
    const struct api *api = req->app;
    enum kh_status rc = store_user_access(api->oauth.store, req->arena, realm_id, id, u, acc);
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

static bool is_member(const char *key, const char *const *members, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, members[i]) == 0)
            return true;
    return false;
}

/* Only the members named; else the 400 sentence. */
static const char *only_members(json_t *body, const char *const *members, size_t n,
                                const char *why)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (!is_member(key, members, n))
            return why;
    }
    return NULL;
}

/* The optional member "roles" (an array of role names); else a 400 sentence. */
static const char *parse_roles(struct request *req, json_t *body, const char *const **out,
                               size_t *n)
{
    json_t *roles = json_object_get(body, "roles");
    if (roles && !json_is_array(roles))
        return "roles must be an array of role names";
    *n = roles ? json_array_size(roles) : 0;
    if (*n > USER_ROLES_MAX)
        return "A user has at most 64 roles";
    const char **names = arena_alloc(req->arena, (*n + 1) * sizeof *names);
    for (size_t i = 0; i < *n; i++) {
        json_t *e = json_array_get(roles, i);
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
            return "roles must be an array of role names";
        names[i] = arena_strdup(req->arena, json_string_value(e));
    }
    *out = names;
    return NULL;
}

/* The optional member "enabled" into *out (-1 when absent); else a 400 sentence. */
static const char *parse_enabled(json_t *body, int *out)
{
    json_t *en = json_object_get(body, "enabled");
    if (en && !json_is_boolean(en))
        return "enabled must be true or false";
    *out = en ? json_is_true(en) : -1;
    return NULL;
}

#define NAMES_WHY "email, first_name and last_name must be strings (or null)"

/* The optional member "password_hash" into p->given_hash, checked; else a
 * 400 sentence (never quoting the hash). */
static const char *parse_password_hash(struct request *req, json_t *body, struct pending *p)
{
    if (!json_object_get(body, "password_hash"))
        return NULL;
    if (admin_string(req->arena, body, "password_hash", &p->given_hash) || !p->given_hash)
        return "password_hash must be a string: a PBKDF2, bcrypt or argon2id hash";
    const char *why = password_check_hash(p->given_hash);
    return why ? arena_printf(req->arena, "password_hash: %s", why) : NULL;
}

/* The body of POST …/users into p->spec; else a sentence for a 400. */
static const char *parse_create(struct request *req, json_t *body, struct pending *p)
{
    static const char *const MEMBERS[] = {"username", "email", "first_name",   "last_name",
                                          "enabled",  "roles", "password", "password_hash"};
    struct user_spec *spec = &p->spec;
    const char *why = NULL;
    int enabled;
    if ((why = only_members(body, MEMBERS, sizeof MEMBERS / sizeof MEMBERS[0],
                            "Unknown member: a user takes username, email, first_name, "
                            "last_name, enabled, roles, password and password_hash")))
        goto out;
    if (admin_string(req->arena, body, "username", &spec->username) || !spec->username) {
        why = "username is required and must be a string";
        goto out;
    }
    if (admin_string(req->arena, body, "email", &spec->email) ||
        admin_string(req->arena, body, "first_name", &spec->first_name) ||
        admin_string(req->arena, body, "last_name", &spec->last_name)) {
        why = NAMES_WHY;
        goto out;
    }
    if (admin_string(req->arena, body, "password", &p->password)) {
        why = "password must be a string";
        goto out;
    }
    if (p->password && (!*p->password || strlen(p->password) > 1024)) {
        why = "the password must be 1 to 1024 bytes";
        goto out;
    }
    if ((why = parse_password_hash(req, body, p)))
        goto out;
    if (p->password && p->given_hash) {
        why = "Give password or password_hash, not both";
        goto out;
    }
    if ((why = parse_enabled(body, &enabled)) ||
        (why = parse_roles(req, body, &spec->roles, &spec->n_roles)))
        goto out;
    spec->disabled = enabled == 0;
out:
    return why;
}

/* The body of PUT …/users/{id} into p->ch: the members given change, the
 * others stay; else a sentence for a 400. */
static const char *parse_update(struct request *req, json_t *body, struct pending *p)
{
    static const char *const MEMBERS[] = {"email", "first_name", "last_name", "enabled",
                                          "roles", "password_hash"};
    static const struct {
        const char *key;
        unsigned bit;
    } FIELDS[] = {{"email", UPSERT_SET_EMAIL},
                  {"first_name", UPSERT_SET_FIRST_NAME},
                  {"last_name", UPSERT_SET_LAST_NAME}};
    struct user_changes *ch = &p->ch;
    const char *why = NULL;
    if ((why = only_members(body, MEMBERS, sizeof MEMBERS / sizeof MEMBERS[0],
                            "Unknown member: PUT changes email, first_name, last_name, "
                            "enabled, roles and password_hash (the username and id stay)")))
        goto out;
    if ((why = parse_password_hash(req, body, p)))
        goto out;
    const char **values[] = {&ch->email, &ch->first_name, &ch->last_name};
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        if (!json_object_get(body, FIELDS[i].key))
            continue;
        if (admin_string(req->arena, body, FIELDS[i].key, values[i])) {
            why = NAMES_WHY;
            goto out;
        }
        ch->set |= FIELDS[i].bit;
    }
    if ((why = parse_enabled(body, &ch->enabled)))
        goto out;
    if (json_object_get(body, "roles")) {
        ch->set |= UPSERT_SET_ROLES;
        why = parse_roles(req, body, &ch->roles, &ch->n_roles);
    }
out:
    return why;
}

/* Every role named exists and gives nothing the caller lacks; else the
 * answer (400 unknown role, 403 escalation) and -1. Inside the write, so the
 * roles read are the ones the write gives. */
static int check_roles(struct request *req, struct response *res, const struct pending *p,
                       const char *const *roles, size_t n)
{
    const struct api *api = req->app;
    for (size_t i = 0; i < n; i++) {
        struct role r;
        enum kh_status rc =
            store_role_find(api->oauth.store, req->arena, p->realm.id, roles[i], &r);
        if (rc == KH_ERR_NOTFOUND) {
            api_error(req, res, 400, "invalid_request",
                      arena_printf(req->arena, "There is no role \"%s\" in the realm",
                                   roles[i]));
            return -1;
        }
        if (rc) {
            admin_store_failed(req, res);
            return -1;
        }
        const char *missing = admin_missing_permission(&p->caller, &r);
        if (missing) {
            admin_escalation(req, res, missing,
                             arena_printf(req->arena, "the role \"%s\"", r.name));
            return -1;
        }
    }
    return 0;
}

/* The user `id` as it is now into the answer; -1 when the answer is an error. */
static int answer_user(struct request *req, struct response *res, int status,
                       const struct pending *p, const char *id)
{
    struct user u;
    struct access acc;
    if (find_user(req, res, p->realm.id, id, &u, &acc))
        return -1;
    write_user(req, res, status, &u, &acc);
    return 0;
}

/* Authenticates (`permission`), finds the realm and parses the body with
 * `parse` (NULL: none) into a new pending write; NULL when the answer is
 * written. */
static struct pending *begin_write(struct request *req, struct response *res,
                                   const char *(*parse)(struct request *, json_t *,
                                                        struct pending *))
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){0};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, MANAGE, &p->caller, &p->realm);
    store_read_end(api->oauth.store);
    if (denied)
        return NULL;
    p->user_id = req->n_params > 1 ? req->params[1] : NULL; /* none for POST …/users */
    const char *why = NULL;
    json_t *body = parse ? admin_body(req, &why) : NULL;
    if (body)
        why = parse(req, body, p);
    json_decref(body);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return NULL;
    }
    return p;
}

static enum http_result defer(struct request *req, struct pending *p, http_deferred run)
{
    api_note(req)->pending = p;
    req->deferred = run;
    req->defer_serial = false; /* slow work (a hash) or a write with its answer */
    return HTTP_DEFER;
}

/* Hashes p->password (if any) into p->hash, off the write transaction; -1
 * with the 400 answer if it cannot be. */
static int hash_password(struct request *req, struct response *res, struct pending *p)
{
    if (!p->password)
        return 0;
    if (password_hash(p->password, strlen(p->password), p->hash)) {
        api_error(req, res, 400, "invalid_request", "the password must be 1 to 1024 bytes");
        return -1;
    }
    return 0;
}

static int create_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    if (check_roles(req, res, p, p->spec.roles, p->spec.n_roles))
        return -1;
    const char *why = NULL;
    enum kh_status rc = manage_user_create(api->oauth.store, req->arena, p->realm.name,
                                           &p->spec, &why);
    if (rc == KH_ERR_CONFLICT)
        why = "A user of that name exists already in the realm";
    if (rc) {
        admin_manage_failed(req, res, rc == KH_ERR_NOTFOUND ? KH_ERR_INVALID : rc, why);
        return -1;
    }
    struct user u;
    if (store_user_find_by_name(api->oauth.store, req->arena, p->realm.id,
                                manage_username(req->arena, p->spec.username), &u)) {
        admin_store_failed(req, res);
        return -1;
    }
    p->user_id = u.id;
    return answer_user(req, res, 201, p, u.id);
}

/* The role names, space-separated, for an audit event. */
static const char *role_list(struct arena *a, const char *const *roles, size_t n)
{
    const char *out = "";
    for (size_t i = 0; i < n; i++)
        out = arena_printf(a, "%s%s%s", out, i ? " " : "", roles[i]);
    return arena_printf(a, "roles: %s", *out ? out : "(none)");
}

static void run_create(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (hash_password(req, res, p))
        return;
    p->spec.password = NULL; /* hashed already: the transaction does not wait for argon2id */
    p->spec.password_hash = p->password ? p->hash : p->given_hash;
    if (admin_write(req, res, create_step, p))
        return;
    http_set_header(req, res, "Location",
                    arena_printf(req->arena, "/admin/realms/%s/users/%s", p->realm.name,
                                 p->user_id));
    admin_audit(req, &p->caller, &p->realm, AUDIT_USER_CREATE, p->user_id,
                role_list(req->arena, p->spec.roles, p->spec.n_roles));
}

/* POST /admin/realms/{realm}/users */
enum http_result api_admin_users_create(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, parse_create);
    return p ? defer(req, p, run_create) : HTTP_DONE;
}

static int update_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    struct user u;
    struct access acc;
    if (find_user(req, res, p->realm.id, p->user_id, &u, &acc))
        return -1;
    if ((p->ch.set & UPSERT_SET_ROLES) && check_roles(req, res, p, p->ch.roles, p->ch.n_roles))
        return -1;
    const char *missing = p->given_hash ? admin_missing_access(&p->caller, &acc) : NULL;
    if (missing) {
        admin_escalation(req, res, missing, "setting the password of this user");
        return -1;
    }
    const char *why = NULL;
    enum kh_status rc = manage_user_update(api->oauth.store, req->arena, p->realm.name,
                                           p->user_id, &p->ch, NULL, &why);
    if (!rc && p->given_hash &&
        (rc = store_user_set_password(api->oauth.store, p->realm.id, p->user_id, p->given_hash)))
        why = "No user with that id in the realm";
    if (rc) {
        admin_manage_failed(req, res, rc, why);
        return -1;
    }
    return answer_user(req, res, 200, p, p->user_id);
}

/* The members a PUT changed (never their values), for the audit event. */
static const char *changed_members(struct arena *a, const struct user_changes *ch)
{
    return arena_printf(a, "changed:%s%s%s%s%s", ch->set & UPSERT_SET_EMAIL ? " email" : "",
                        ch->set & UPSERT_SET_FIRST_NAME ? " first_name" : "",
                        ch->set & UPSERT_SET_LAST_NAME ? " last_name" : "",
                        ch->enabled >= 0 ? (ch->enabled ? " enabled=true" : " enabled=false")
                                         : "",
                        ch->set & UPSERT_SET_ROLES
                            ? arena_printf(a, " %s", role_list(a, ch->roles, ch->n_roles))
                            : "");
}

static void run_update(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (admin_write(req, res, update_step, p))
        return;
    admin_audit(req, &p->caller, &p->realm, AUDIT_USER_UPDATE, p->user_id,
                changed_members(req->arena, &p->ch));
    if (p->given_hash)
        admin_audit(req, &p->caller, &p->realm, AUDIT_USER_PASSWORD, p->user_id,
                    "a password_hash was set");
}

/* PUT /admin/realms/{realm}/users/{id} */
enum http_result api_admin_user_update(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, parse_update);
    return p ? defer(req, p, run_update) : HTTP_DONE;
}

static int delete_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    enum kh_status rc = store_user_delete(api->oauth.store, p->realm.id, p->user_id);
    if (rc) {
        admin_manage_failed(req, res, rc, "No user with that id in the realm");
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
        admin_audit(req, &p->caller, &p->realm, AUDIT_USER_DELETE, p->user_id,
                    "with its sessions, tokens and owned clients");
}

/* DELETE /admin/realms/{realm}/users/{id} */
enum http_result api_admin_user_delete(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, NULL);
    return p ? defer(req, p, run_delete) : HTTP_DONE;
}

/* Whoever sets a password can act as the user: the caller must hold every
 * permission the user holds (decided inside the write). */
static int password_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    struct user u;
    struct access acc;
    if (find_user(req, res, p->realm.id, p->user_id, &u, &acc))
        return -1;
    const char *missing = admin_missing_access(&p->caller, &acc);
    if (missing) {
        admin_escalation(req, res, missing, "setting the password of this user");
        return -1;
    }
    enum kh_status rc = store_user_set_password(api->oauth.store, p->realm.id, p->user_id,
                                                p->hash);
    if (rc) {
        admin_manage_failed(req, res, rc, "No user with that id in the realm");
        return -1;
    }
    res->status = 204;
    api_no_store(req, res);
    return 0;
}

static void run_password(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (hash_password(req, res, p) || admin_write(req, res, password_step, p))
        return;
    admin_audit(req, &p->caller, &p->realm, AUDIT_USER_PASSWORD, p->user_id, NULL);
}

/* {"password":"…"}; else a sentence for a 400. */
static const char *parse_password(struct request *req, json_t *body, struct pending *p)
{
    const char *why = NULL;
    if (json_object_size(body) != 1 || admin_string(req->arena, body, "password", &p->password) ||
        !p->password)
        why = "The body is {\"password\":\"…\"}";
    else if (!*p->password || strlen(p->password) > 1024)
        why = "the password must be 1 to 1024 bytes";
    return why;
}

/* PUT /admin/realms/{realm}/users/{id}/password */
enum http_result api_admin_user_password(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, parse_password);
    return p ? defer(req, p, run_password) : HTTP_DONE;
}

enum http_result api_admin_users_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_user_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}

const char *admin_user_body_check(struct request *req, json_t *body, enum admin_user_body which)
{
    struct pending p = {0};
    return which == ADMIN_USER_CREATE   ? parse_create(req, body, &p)
           : which == ADMIN_USER_UPDATE ? parse_update(req, body, &p)
                                        : parse_password(req, body, &p);
}
