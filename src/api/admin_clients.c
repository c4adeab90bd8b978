/* admin_clients.c - the client rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms/{realm}/clients and GET,PUT,DELETE
 * …/clients/{client_id}, with a token of that realm or of the default realm
 * carrying clients:manage.
 *
 * A client is the JSON of `keyhold client create/update` in snake_case;
 * the rules are manage.c's (oauth/manage.h), shared with the command line.
 * A new confidential client's secret is answered once, by the POST, and
 * never again. No escalation: every permission scope given to a client needs
 * the caller to hold it, and tying a client to an owner needs the caller to
 * hold everything the owner holds, decided inside the write (admin_write).
 *
 * Reads are answered on the I/O thread inside one store snapshot; writes run
 * on the slow-work pool, each with its checks and answer in one transaction. */
#include <stddef.h>
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"
#include "oauth/manage.h"

#define PERMISSION "clients:manage"
#define LIST_MAX 64 /* grants, scopes, default_scopes: at most this many entries */

struct pending {
    struct api_caller caller;
    struct realm realm;
    const char *client_id;
    struct client_spec spec;     /* POST */
    struct client_settings set;  /* PUT, and POST's settings beyond the spec */
    const char *secret;          /* POST: the new secret, answered once */
};

/* The client's owner as a username (NULL: none, or gone). In a snapshot. */
static const char *owner_name(struct request *req, const struct client *c)
{
    const struct api *api = req->app;
    struct user u;
    if (!c->owner_user_id ||
        store_user_get(api->oauth.store, req->arena, c->realm_id, c->owner_user_id, &u))
        return NULL;
    return u.username;
}

/* A client as the API shows it; the secret only when just created. */
static void client_json(struct request *req, struct jsonw *w, const struct client *c,
                        const char *secret)
{
    char *grants = arena_strdup(req->arena, manage_grant_names(req->arena, c->grants));
    for (char *g = grants; *g; g++)
        if (*g == ',')
            *g = ' ';
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "client_id", c->client_id);
    if (secret)
        jsonw_kv_str(w, "client_secret", secret);
    jsonw_kv_str(w, "name", c->name);
    jsonw_kv_bool(w, "confidential", c->confidential);
    jsonw_kv_words(w, "grants", grants);
    jsonw_kv_words(w, "scopes", c->scopes);
    jsonw_kv_words(w, "default_scopes", c->default_scopes);
    jsonw_kv_str(w, "owner", owner_name(req, c));
    jsonw_kv_bool(w, "enabled", c->enabled);
    jsonw_kv_bool(w, "opaque", c->opaque);
    /* 0 (lifetimes) and -1 (grace): the realm's, as for `client update` */
    jsonw_kv_int(w, "access_ttl", c->access_ttl);
    jsonw_kv_int(w, "refresh_idle_ttl", c->refresh_idle_ttl);
    jsonw_kv_int(w, "session_max_ttl", c->session_max_ttl);
    jsonw_kv_int(w, "offline_idle_ttl", c->offline_idle_ttl);
    jsonw_kv_int(w, "refresh_grace", c->refresh_grace);
    jsonw_kv_bool(w, "integration", c->integration);
    jsonw_kv_str(w, "created_by", c->created_by);
    jsonw_kv_int(w, "created_at", c->created_at);
    jsonw_kv_time(w, "expires_at", c->expires_at);
    jsonw_kv_time(w, "last_used_at", c->last_used_at);
    jsonw_obj_end(w);
}

static void write_client(struct request *req, struct response *res, int status,
                         const struct client *c, const char *secret)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    client_json(req, &w, c, secret);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
}

/* The client of the path, or the 404/503 answer and -1. */
static int find_client(struct request *req, struct response *res, const struct realm *realm,
                       const char *client_id, struct client *c)
{
    const struct api *api = req->app;
    enum kh_status rc = store_client_find(api->oauth.store, req->arena, realm->id, client_id, c);
    if (rc == KH_ERR_NOTFOUND)
        api_error(req, res, 404, "not_found", "No client with that client_id in the realm");
    else if (rc)
        admin_store_failed(req, res);
    return rc ? -1 : 0;
}

/* GET /admin/realms/{realm}/clients?limit=&cursor= */
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
    struct client *clients;
    size_t n;
    if (store_client_list(api->oauth.store, req->arena, realm.id, p.after, p.fetch, &clients,
                          &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    n = api_page_begin(&p, res, "clients", n);
    for (size_t i = 0; i < n; i++)
        client_json(req, &p.w, &clients[i], NULL);
    api_page_end(&p, req, res, p.more ? clients[n - 1].client_id : NULL);
    return HTTP_DONE;
}

/* GET /admin/realms/{realm}/clients/{client_id} */
static enum http_result get_request(struct request *req, struct response *res)
{
    struct api_caller caller;
    struct realm realm;
    struct client c;
    if (!admin_realm(req, res, PERMISSION, &caller, &realm) &&
        !find_client(req, res, &realm, req->params[1], &c))
        write_client(req, res, 200, &c, NULL);
    return HTTP_DONE;
}

enum http_result api_admin_clients_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_client_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}

/* -- parsing ------------------------------------------------------------------------------------ */

/* An optional array of strings, joined with `sep` (arena), into *out (NULL
 * when absent); -1 if it is something else, or an entry holds a separator. */
static int joined_list(struct arena *a, json_t *body, const char *key, char sep, const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > LIST_MAX)
        return -1;
    const char *joined = NULL;
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;
        if (!s || !*s || strlen(s) != json_string_length(e) || strchr(s, sep) ||
            strchr(s, ' '))
            return -1;
        joined = joined ? arena_printf(a, "%s%c%s", joined, sep, s) : arena_strdup(a, s);
    }
    *out = joined ? joined : "";
    return 0;
}

/* An optional boolean member into *out (-1 when absent); -1 if not a boolean. */
static int flag(json_t *body, const char *key, int *out)
{
    json_t *v = json_object_get(body, key);
    *out = -1;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return -1;
    *out = json_is_true(v);
    return 0;
}

/* An optional integer member into *out (MANAGE_KEEP when absent); -1 if not an integer. */
static int seconds(json_t *body, const char *key, int64_t *out)
{
    json_t *v = json_object_get(body, key);
    *out = MANAGE_KEEP;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

/* A string member that may be null: null gives "" (manage's "remove"). */
static int string_or_remove(struct arena *a, json_t *body, const char *key, const char **out)
{
    json_t *v = json_object_get(body, key);
    if (admin_string(a, body, key, out))
        return -1;
    if (v && json_is_null(v))
        *out = "";
    return 0;
}

/* The settings both POST and PUT take; else a 400 sentence. */
static const char *parse_settings(struct request *req, json_t *body, struct client_settings *set)
{
    static const struct {
        const char *key;
        size_t offset;
    } TTLS[] = {
        {"access_ttl", offsetof(struct client_settings, access_ttl)},
        {"refresh_idle_ttl", offsetof(struct client_settings, refresh_idle_ttl)},
        {"session_max_ttl", offsetof(struct client_settings, session_max_ttl)},
        {"offline_idle_ttl", offsetof(struct client_settings, offline_idle_ttl)},
        {"refresh_grace", offsetof(struct client_settings, refresh_grace)},
    };
    for (size_t i = 0; i < sizeof TTLS / sizeof TTLS[0]; i++)
        if (seconds(body, TTLS[i].key, (int64_t *)((char *)set + TTLS[i].offset)))
            return arena_printf(req->arena, "%s must be an integer (seconds)", TTLS[i].key);
    if (joined_list(req->arena, body, "grants", ',', &set->grants))
        return "grants must be an array of grant types (password, client_credentials, "
               "refresh_token)";
    if (joined_list(req->arena, body, "scopes", ' ', &set->scopes) ||
        joined_list(req->arena, body, "default_scopes", ' ', &set->default_scopes))
        return "scopes and default_scopes must be arrays of scope names";
    if (flag(body, "enabled", &set->enabled) || flag(body, "opaque", &set->opaque))
        return "enabled and opaque must be true or false";
    if (string_or_remove(req->arena, body, "name", &set->name) ||
        string_or_remove(req->arena, body, "owner", &set->owner))
        return "name and owner (a username) must be strings or null";
    return NULL;
}

static bool is_member(const char *key, const char *const *members, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(key, members[i]) == 0)
            return true;
    return false;
}

static const char *const SETTINGS[] = {
    "name",    "grants", "scopes",     "default_scopes",   "owner",
    "enabled", "opaque", "access_ttl", "refresh_idle_ttl", "session_max_ttl",
    "offline_idle_ttl", "refresh_grace"};
#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])

/* The body of POST …/clients into p->spec and p->set; else a 400 sentence. */
static const char *parse_create(struct request *req, json_t *body, struct pending *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "client_id") != 0 && strcmp(key, "confidential") != 0 &&
            !is_member(key, SETTINGS, N_SETTINGS))
            return "Unknown member: a client takes client_id, name, confidential, grants, "
                   "scopes, default_scopes, owner, enabled, opaque and the lifetimes";
    }
    if (admin_string(req->arena, body, "client_id", &p->client_id) || !p->client_id)
        return "client_id is required and must be a string";
    const char *why = parse_settings(req, body, &p->set);
    if (why)
        return why;
    int confidential;
    if (flag(body, "confidential", &confidential))
        return "confidential must be true or false";
    if (!p->set.grants)
        return "grants is required: an array of grant types";
    p->spec = (struct client_spec){
        .client_id = p->client_id,
        .grants = p->set.grants,
        .scopes = p->set.scopes,
        .default_scopes = p->set.default_scopes,
        .owner = p->set.owner && *p->set.owner ? p->set.owner : NULL,
        .public_client = confidential == 0,
        .opaque = p->set.opaque == 1,
        .name = p->set.name && *p->set.name ? p->set.name : NULL,
    };
    /* what create sets already; the rest (lifetimes, enabled) is an update after it */
    p->set.grants = p->set.scopes = p->set.default_scopes = NULL;
    p->set.owner = p->set.name = NULL;
    p->set.opaque = -1;
    return NULL;
}

/* The body of PUT …/clients/{client_id} into p->set; else a 400 sentence. */
static const char *parse_update(struct request *req, json_t *body, struct pending *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "client_id") == 0 || strcmp(key, "confidential") == 0 ||
            strcmp(key, "client_secret") == 0 || strcmp(key, "created_at") == 0)
            return arena_printf(req->arena,
                                "%s cannot be changed (a new secret: POST …/clients/"
                                "{client_id}/secret)", key);
        if (!is_member(key, SETTINGS, N_SETTINGS))
            return "Unknown member: PUT changes name, grants, scopes, default_scopes, owner, "
                   "enabled, opaque and the lifetimes";
    }
    return parse_settings(req, body, &p->set);
}

/* -- writes ------------------------------------------------------------------------------------- */

/* Authenticates, finds the realm and, with `parse`, reads the body into a
 * new pending write; refuses permission scopes the caller does not hold.
 * NULL when the answer is written. */
static struct pending *begin_write(struct request *req, struct response *res,
                                   const char *(*parse)(struct request *, json_t *,
                                                        struct pending *))
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){.set = MANAGE_CLIENT_SETTINGS_KEEP};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, PERMISSION, &p->caller, &p->realm);
    store_read_end(api->oauth.store);
    if (denied)
        return NULL;
    if (req->n_params > 1)
        p->client_id = req->params[1];
    if (!parse)
        return p;
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (body)
        why = parse(req, body, p);
    json_decref(body);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return NULL;
    }
    const char *scopes = p->spec.scopes ? p->spec.scopes : p->set.scopes;
    const char *missing = admin_missing_scope(req->arena, &p->caller, scopes);
    if (missing) {
        admin_escalation(req, res, missing, "a scope of the client");
        return NULL;
    }
    return p;
}

static enum http_result defer(struct request *req, struct pending *p, http_deferred run)
{
    api_note(req)->pending = p;
    req->deferred = run;
    req->defer_serial = false; /* a write with its checks and answer: one transaction */
    return HTTP_DEFER;
}

/* Tying a client to user u confers all u holds: the caller must hold it
 * too. Else the 403 (or 503) answer and -1. Inside the write. */
static int check_owner_user(struct request *req, struct response *res, const struct pending *p,
                            const struct user *u)
{
    const struct api *api = req->app;
    struct access acc;
    if (store_user_access(api->oauth.store, req->arena, p->realm.id, u->id, NULL, &acc)) {
        admin_store_failed(req, res);
        return -1;
    }
    const char *missing = admin_missing_access(&p->caller, &acc);
    if (missing) {
        admin_escalation(req, res, missing,
                         arena_printf(req->arena, "a client owned by \"%s\"", u->username));
        return -1;
    }
    return 0;
}

/* check_owner_user for the user named `owner` (NULL or "": none); 400 for
 * an unknown user. */
static int check_owner(struct request *req, struct response *res, const struct pending *p,
                       const char *owner)
{
    const struct api *api = req->app;
    if (!owner || !*owner)
        return 0;
    struct user u;
    enum kh_status rc = store_user_find_by_name(api->oauth.store, req->arena, p->realm.id,
                                                manage_username(req->arena, owner), &u);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 400, "invalid_request",
                  arena_printf(req->arena, "There is no user \"%s\" in the realm", owner));
        return -1;
    }
    if (rc) {
        admin_store_failed(req, res);
        return -1;
    }
    return check_owner_user(req, res, p, &u);
}

/* The client's permission scopes after the change, held by the caller. */
static int check_result_scopes(struct request *req, struct response *res,
                               const struct pending *p, const struct client *c)
{
    const char *missing =
        admin_missing_scope(req->arena, &p->caller, p->set.scopes ? p->set.scopes : c->scopes);
    if (missing) {
        admin_escalation(req, res, missing, "a scope of the client");
        return -1;
    }
    return 0;
}

/* A change leaves a client that confers what its owner holds, or without an
 * owner its permission scopes: the caller must hold that, as if it created
 * the client now (else adding a grant or removing the owner of a client
 * would hand out more than the caller holds). Inside the write. */
static int check_result(struct request *req, struct response *res, const struct pending *p,
                        const struct client *c)
{
    const struct api *api = req->app;
    if (p->set.owner)
        return check_owner(req, res, p, p->set.owner) ||
               (!*p->set.owner && check_result_scopes(req, res, p, c));
    struct user u;
    if (!c->owner_user_id)
        return check_result_scopes(req, res, p, c);
    if (store_user_get(api->oauth.store, req->arena, p->realm.id, c->owner_user_id, &u)) {
        admin_store_failed(req, res);
        return -1;
    }
    return check_owner_user(req, res, p, &u);
}

/* The client as it is now into the answer; -1 when the answer is an error. */
static int answer_client(struct request *req, struct response *res, int status,
                         const struct pending *p)
{
    struct client c;
    if (find_client(req, res, &p->realm, p->client_id, &c))
        return -1;
    write_client(req, res, status, &c, p->secret);
    return 0;
}

static int create_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    if (check_owner(req, res, p, p->spec.owner))
        return -1;
    const char *why = NULL;
    p->spec.created_by = admin_actor(req->arena, &p->caller);
    enum kh_status rc = manage_client_create(api->oauth.store, req->arena, p->realm.name,
                                             &p->spec, &p->secret, &why);
    if (!rc) /* lifetimes and enabled: validated by the same rules as `client update` */
        rc = manage_client_update(api->oauth.store, req->arena, p->realm.name, p->client_id,
                                  &p->set, NULL, &why);
    if (rc == KH_ERR_CONFLICT)
        why = "A client with that client_id exists already in the realm";
    if (rc) {
        admin_manage_failed(req, res, rc == KH_ERR_NOTFOUND ? KH_ERR_INVALID : rc, why);
        return -1;
    }
    return answer_client(req, res, 201, p);
}

/* What the client may do, for the audit event (never its secret). */
static const char *client_summary(struct arena *a, const struct client_spec *spec)
{
    return arena_printf(a, "grants: %s; scopes: %s; owner: %s; %s", spec->grants,
                        spec->scopes ? spec->scopes : "", spec->owner ? spec->owner : "(none)",
                        spec->public_client ? "public" : "confidential");
}

static void run_create(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (admin_write(req, res, create_step, p))
        return;
    http_set_header(req, res, "Location",
                    arena_printf(req->arena, "/admin/realms/%s/clients/%s", p->realm.name,
                                 p->client_id));
    admin_audit(req, &p->caller, &p->realm, AUDIT_CLIENT_CREATE, p->client_id,
                client_summary(req->arena, &p->spec));
}

/* POST /admin/realms/{realm}/clients */
enum http_result api_admin_clients_create(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, parse_create);
    return p ? defer(req, p, run_create) : HTTP_DONE;
}

static int update_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    struct client c;
    if (find_client(req, res, &p->realm, p->client_id, &c) || check_result(req, res, p, &c))
        return -1;
    const char *why = NULL;
    enum kh_status rc = manage_client_update(api->oauth.store, req->arena, p->realm.name,
                                             p->client_id, &p->set, NULL, &why);
    if (rc) {
        admin_manage_failed(req, res, rc, why);
        return -1;
    }
    return answer_client(req, res, 200, p);
}

static void run_update(struct request *req, struct response *res)
{
    struct pending *p = api_note(req)->pending;
    if (!admin_write(req, res, update_step, p))
        admin_audit(req, &p->caller, &p->realm, AUDIT_CLIENT_UPDATE, p->client_id, NULL);
}

/* PUT /admin/realms/{realm}/clients/{client_id} */
enum http_result api_admin_client_update(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, parse_update);
    return p ? defer(req, p, run_update) : HTTP_DONE;
}

static int delete_step(struct request *req, struct response *res, void *ctx)
{
    const struct api *api = req->app;
    struct pending *p = ctx;
    enum kh_status rc = store_client_delete(api->oauth.store, p->realm.id, p->client_id);
    if (rc) {
        admin_manage_failed(req, res, rc, "No client with that client_id in the realm");
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
        admin_audit(req, &p->caller, &p->realm, AUDIT_CLIENT_DELETE, p->client_id,
                    "with its sessions and tokens");
}

/* DELETE /admin/realms/{realm}/clients/{client_id} */
enum http_result api_admin_client_delete(struct request *req, struct response *res)
{
    struct pending *p = begin_write(req, res, NULL);
    return p ? defer(req, p, run_delete) : HTTP_DONE;
}

const char *admin_client_body_check(struct request *req, json_t *body, bool create)
{
    struct pending p = {0};
    return create ? parse_create(req, body, &p) : parse_update(req, body, &p);
}
