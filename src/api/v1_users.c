/* v1_users.c - GET /v1/users?limit=&cursor= (SPEC §5): the users of the
 * token's realm in username order, a page at a time. Needs users:read.
 *
 * Read only: answered on the I/O thread inside one store snapshot. The cursor
 * is the base64url of the page's last username; a page holds `limit` users
 * (1..500, default 100) and next_cursor is null on the last one. */
#include "api/respond.h"

#define USERS_LIMIT_DEFAULT 100
#define USERS_LIMIT_MAX 500

static void user_json(struct jsonw *w, const struct user *u)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "id", u->id);
    jsonw_kv_str(w, "username", u->username);
    jsonw_kv_str(w, "email", u->email); /* NULL writes null */
    jsonw_kv_str(w, "first_name", u->first_name);
    jsonw_kv_str(w, "last_name", u->last_name);
    jsonw_kv_bool(w, "enabled", u->enabled);
    jsonw_kv_int(w, "created_at", u->created_at);
    jsonw_obj_end(w);
}

static enum http_result users_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    if (api_bearer(req, res, API_REALM_OF_TOKEN, "users:read", &caller))
        return HTTP_DONE;
    struct api_page p;
    if (api_page_args(req, res, USERS_LIMIT_MAX, USERS_LIMIT_DEFAULT, &p))
        return HTTP_DONE;
    struct user *users;
    size_t n;
    if (store_user_list(api->oauth.store, req->arena, caller.realm->id, p.after, p.fetch, &users,
                        &n)) {
        api_error(req, res, 503, "temporarily_unavailable", "The store is not available");
        return HTTP_DONE;
    }
    n = api_page_begin(&p, res, "users", n);
    for (size_t i = 0; i < n; i++)
        user_json(&p.w, &users[i]);
    api_page_end(&p, req, res, p.more ? users[n - 1].username : NULL);
    return HTTP_DONE;
}

enum http_result api_v1_users(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, users_request);
}
