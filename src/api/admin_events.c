/* admin_events.c - GET /admin/realms/{realm}/events: the realm's audit log
 * (SPEC §4), with a token of that realm or of the default realm carrying
 * events:read.
 *
 * Events come oldest first, in the order of the realm's hash chain (seq);
 * the cursor is the base64url of the page's last seq, so it stays valid
 * while events are appended or old ones purged. `since` (Unix seconds or RFC
 * 3339) keeps events at or after it; `type` is an exact type, or a prefix
 * when it ends in '.' ("token."). Answered on the I/O thread in one store
 * snapshot. */
#include <string.h>
#include "api/admin_common.h"
#include "audit/format.h"

#define PERMISSION "events:read"

/* The cursor's seq (0 without a cursor); -1 after answering 400. */
static int64_t cursor_seq(struct request *req, struct response *res, const char *after)
{
    if (!after)
        return 0;
    int64_t seq = 0;
    size_t n = strlen(after);
    for (size_t i = 0; i < n && seq >= 0; i++)
        seq = after[i] >= '0' && after[i] <= '9' && i < 18 ? seq * 10 + (after[i] - '0') : -1;
    if (n == 0 || seq < 0) {
        api_error(req, res, 400, "invalid_request", "Malformed cursor");
        return -1;
    }
    return seq;
}

/* The query of the request's arguments into q; -1 after answering 400. */
static int parse_query(struct request *req, struct response *res, struct api_page *p,
                       struct audit_query *q)
{
    if (api_page_args(req, res, ADMIN_LIMIT_MAX, ADMIN_LIMIT_DEFAULT, p))
        return -1;
    int64_t after = cursor_seq(req, res, p->after);
    if (after < 0)
        return -1;
    const char *since = http_query(req, "since");
    if (since && audit_since_parse(since, &q->since)) {
        api_error(req, res, 400, "invalid_request",
                  "since must be Unix seconds or an RFC 3339 time such as 2024-05-01T00:00:00Z");
        return -1;
    }
    audit_type_filter(http_query(req, "type"), q);
    q->after_seq = after;
    q->limit = p->fetch;
    return 0;
}

static enum http_result list_request(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    struct realm realm;
    if (admin_realm(req, res, PERMISSION, &caller, &realm))
        return HTTP_DONE;
    struct api_page p;
    struct audit_query q = {.realm_id = realm.id};
    if (parse_query(req, res, &p, &q))
        return HTTP_DONE;
    struct audit_entry *ev;
    size_t n;
    if (store_audit_list(api->oauth.store, req->arena, &q, &ev, &n)) {
        admin_store_failed(req, res);
        return HTTP_DONE;
    }
    n = api_page_begin(&p, res, "events", n);
    for (size_t i = 0; i < n; i++)
        audit_entry_json(&p.w, &ev[i]);
    api_page_end(&p, req, res,
                 p.more ? arena_printf(req->arena, "%lld", (long long)ev[n - 1].seq) : NULL);
    return HTTP_DONE;
}

enum http_result api_admin_events_list(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, list_request);
}
