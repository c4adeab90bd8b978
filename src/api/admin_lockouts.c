/* admin_lockouts.c - brute-force locks (oauth/lockout.h), with users:manage:
 *   GET    /admin/realms/{realm}/lockouts?limit=&cursor=   the counters and locks
 *   DELETE /admin/realms/{realm}/lockouts/{kind}/{key}      lifts one (204, 404)
 * users:manage because lifting a lock lets sign-ins through again, which is
 * what that permission governs; a client's lock is lifted the same way (a
 * caller that manages users can already give them credentials).
 * The list is read on the I/O thread in one snapshot; the delete runs on the
 * slow-work pool as its own transaction. */
#include <string.h>
#include "api/admin_common.h"
#include "core/clock.h"
#include "oauth/lockout.h"

#define MANAGE "users:manage"

static void lockout_json(struct jsonw *w, const struct lockout_row *r, int64_t now)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "kind", r->kind);
    jsonw_kv_str(w, "key", r->key);
    jsonw_kv_int(w, "failures", r->failures);
    jsonw_kv_bool(w, "locked", now < r->locked_until);
    jsonw_kv_int(w, "locked_until", r->locked_until);
    jsonw_kv_int(w, "first_failure_at", r->first_failure_at);
    jsonw_kv_int(w, "last_failure_at", r->last_failure_at);
    jsonw_obj_end(w);
}

/* The cursor's key is "<kind>/<key>": kinds hold no '/'. */
static void split_cursor(struct arena *a, const char *after, const char **kind, const char **key)
{
    *kind = *key = NULL;
    if (!after)
        return;
    const char *slash = strchr(after, '/');
    *kind = slash ? arena_strndup(a, after, (size_t)(slash - after)) : after;
    *key = slash ? slash + 1 : "";
}

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
    const char *kind, *key;
    split_cursor(req->arena, p.after, &kind, &key);
    struct lockout_row *rows;
    size_t n;
    if (store_lockout_list(api->oauth.store, req->arena, realm.id, kind, key, p.fetch, &rows, &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    int64_t now = clock_now();
    n = api_page_begin(&p, res, "lockouts", n);
    for (size_t i = 0; i < n; i++)
        lockout_json(&p.w, &rows[i], now);
    const char *last = n ? arena_printf(req->arena, "%s/%s", rows[n - 1].kind, rows[n - 1].key) : NULL;
    api_page_end(&p, req, res, p.more ? last : NULL);
    return HTTP_DONE;
}

/* GET /admin/realms/{realm}/lockouts */
enum http_result api_admin_lockouts_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}

struct pending {
    struct api_caller caller;
    struct realm realm;
    const char *kind, *key;
};

static void run_delete(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    const struct pending *p = api_note(req)->pending;
    enum kh_status rc = store_lockout_clear(api->oauth.store, p->realm.id, p->kind, p->key);
    if (rc == KH_ERR_NOTFOUND) {
        api_error(req, res, 404, "not_found", "No failures are counted for that key in the realm");
        return;
    }
    if (rc) {
        admin_store_failed(req, res);
        return;
    }
    admin_audit(req, &p->caller, &p->realm, AUDIT_LOCKOUT_CLEARED, p->key,
                arena_printf(req->arena, "kind=%s", p->kind));
    res->status = 204;
    api_no_store(req, res);
}

/* DELETE /admin/realms/{realm}/lockouts/{kind}/{key} */
enum http_result api_admin_lockout_delete(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct pending *p = arena_alloc(req->arena, sizeof *p);
    *p = (struct pending){.kind = req->params[1], .key = req->params[2]};
    store_read_begin(api->oauth.store);
    int denied = admin_realm(req, res, MANAGE, &p->caller, &p->realm);
    store_read_end(api->oauth.store);
    if (denied)
        return HTTP_DONE;
    if (!lockout_is_kind(p->kind)) {
        api_error(req, res, 404, "not_found", "The kind is user, ip, client or client_ip");
        return HTTP_DONE;
    }
    api_note(req)->pending = p;
    req->deferred = run_delete;
    req->defer_serial = false; /* one write transaction of its own */
    return HTTP_DEFER;
}
