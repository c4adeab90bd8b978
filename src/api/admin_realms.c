/* admin_realms.c - the realm rows of the admin REST API (SPEC §4):
 * GET,POST /admin/realms and GET /admin/realms/{realm}, for operators with a
 * token of the default realm carrying realms:manage.
 *
 * Reads are answered on the I/O thread inside one store snapshot. Creating a
 * realm generates its signing key (an RSA key takes a while), so it runs on
 * the slow-work pool; each of its store writes is its own transaction. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"
#include "oauth/manage.h"

#define REALMS_LIMIT_DEFAULT 100
#define REALMS_LIMIT_MAX 500
#define PERMISSION "realms:manage"

struct pending {
    const char *name;
    const char *alg; /* NULL: the default (ES256) */
    struct api_caller caller; /* for the audit log */
};

static void write_realm(struct request *req, struct response *res, int status,
                        const struct realm *r)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    manage_realm_json(&w, r);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct realm *)a)->name, ((const struct realm *)b)->name);
}

/* GET /admin/realms?limit=&cursor=: realms in name order; the cursor is the
 * base64url of the page's last name. The store lists every realm (there are
 * few); the page is cut here. */
static enum http_result list_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    if (api_bearer(req, res, API_REALM_DEFAULT, PERMISSION, &caller))
        return HTTP_DONE;
    struct api_page p;
    if (api_page_args(req, res, REALMS_LIMIT_MAX, REALMS_LIMIT_DEFAULT, &p))
        return HTTP_DONE;
    struct realm *rs;
    size_t n;
    if (store_realm_list(api->oauth.store, req->arena, &rs, &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    if (n)
        qsort(rs, n, sizeof rs[0], by_name);
    size_t first = 0;
    while (p.after && first < n && strcmp(rs[first].name, p.after) <= 0)
        first++;
    const struct realm *page = rs + first;
    n = api_page_begin(&p, res, "realms", n - first);
    for (size_t i = 0; i < n; i++)
        manage_realm_json(&p.w, &page[i]);
    api_page_end(&p, req, res, p.more ? page[n - 1].name : NULL);
    return HTTP_DONE;
}

/* GET /admin/realms/{realm} */
static enum http_result get_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    if (api_bearer(req, res, API_REALM_DEFAULT, PERMISSION, &caller))
        return HTTP_DONE;
    struct realm r;
    enum kh_status rc = store_realm_find(api->oauth.store, req->arena, req->params[0], &r);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No realm of that name");
        return HTTP_DONE;
    }
    if (rc) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    write_realm(req, res, 200, &r);
    return HTTP_DONE;
}

/* {"name":"…","alg":"ES256|RS256|EdDSA"} into *p; else a sentence for a 400. */
static const char *parse_create(struct request *req, json_t *body, struct pending *p)
{
    const char *why = NULL;
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "name") != 0 && strcmp(key, "alg") != 0) {
            why = "Unknown member: a realm takes only name and alg";
            goto out;
        }
    }
    if (admin_string(req->arena, body, "name", &p->name) || !p->name) {
        why = "name is required and must be a string";
        goto out;
    }
    /* alg may be left out, but not given as null */
    if (admin_string(req->arena, body, "alg", &p->alg) ||
        (json_object_get(body, "alg") && !p->alg))
        why = "alg must be a string: ES256, RS256 or EdDSA";
out:
    return why;
}

static void run_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    const char *why = NULL;
    enum kh_status rc = manage_realm_create(api->oauth.store, api->master, p->name, p->alg, &why);
    if (rc == KH_ERR_INVALID) {
        api_error(req, res, 400, "invalid_request", why);
        return;
    }
    if (rc == KH_ERR_CONFLICT) {
        api_error(req, res, 409, "conflict", "A realm of that name exists already");
        return;
    }
    struct realm r;
    if (rc || store_realm_find(api->oauth.store, req->arena, p->name, &r)) {
        api_error(req, res, 503, "temporarily_unavailable",
                  why ? why : "The store is not available");
        return;
    }
    /* The event opens the new realm's own chain: its administrators see it. */
    admin_audit(req, &p->caller, &r, AUDIT_REALM_CREATE, r.name,
                arena_printf(req->arena, "alg=%s", r.alg));
    write_realm(req, res, 201, &r);
    http_set_header(req, res, "Location", arena_printf(req->arena, "/admin/realms/%s", r.name));
}

/* POST /admin/realms */
enum http_result api_admin_realms_create(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    store_read_begin(api->oauth.store);
    int denied = api_bearer(req, res, API_REALM_DEFAULT, PERMISSION, &caller);
    store_read_end(api->oauth.store);
    if (denied)
        return HTTP_DONE;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    const char *why = NULL;
    json_t *body = admin_body(req, &why);
    if (body)
        why = parse_create(req, body, p);
    json_decref(body);
    if (why) {
        api_error(req, res, 400, "invalid_request", why);
        return HTTP_DONE;
    }
    if (!api->master) {
        api_error(req, res, 503, "temporarily_unavailable",
                  "This server was started without its master key, so it cannot create "
                  "signing keys: create the realm with `keyhold realm create`");
        return HTTP_DONE;
    }
    p->caller = caller;
    api_note(req)->pending = p;
    req->deferred = run_create;
    req->defer_serial = false; /* key generation is slow work, not a batchable write */
    return HTTP_DEFER;
}

enum http_result api_admin_realms_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

enum http_result api_admin_realm_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_request);
}

const char *admin_realm_body_check(struct request *req, json_t *body)
{
    struct pending p = {0};
    return parse_create(req, body, &p);
}
