/* v1_imports.c - POST /v1/imports and GET /v1/imports/{id} (SPEC §5): user
 * imports of the token's realm over HTTP, on the import engine of
 * src/imports/ (the same as `keyhold import`). Needs imports:manage.
 *
 * POST streams its body (struct http_stream): the accept step runs on the I/O
 * thread when the headers are in (token, Content-Type, query: 401/403, 415,
 * 400 before any byte of the body is read) and sets the body limit; the body
 * then goes to the import piece by piece on a stream thread, which holds the
 * import's store transaction from its first batch of rows to the end. A body
 * over the limit, or a client gone mid-body, rolls the import back: nothing
 * is written. The record of the import (dry runs too) is stored in the
 * import's own transaction, so that it commits with the users it counts.
 *
 * CSV and JSON alike are parsed as they arrive (flat memory). */
#include <string.h>
#include "api/admin_common.h"
#include "core/clock.h"
#include "imports/import.h"

/* One POST, across the accept step and the stream thread (arena). */
struct import_call {
    struct api_caller caller;
    struct import_options o;
    struct import *imp;           /* made at the first piece of the body */
    struct import_record rec;     /* written by record_import */
};

static const char *format_name(enum import_format f)
{
    return f == IMPORT_CSV ? "csv" : "json";
}

/* ?name=true|false (absent: false); 400 invalid_request and -1 otherwise. */
static int query_bool(struct request *req, struct response *res, const char *name, bool *out)
{
    const char *v = http_query(req, name);
    *out = v && strcmp(v, "true") == 0;
    if (!v || *out || strcmp(v, "false") == 0)
        return 0;
    api_error(req, res, 400, "invalid_request",
              arena_printf(req->arena, "%s must be true or false", name));
    return -1;
}

static enum http_result accept_import(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct import_call *call = arena_alloc(req->arena, sizeof *call);
    *call = (struct import_call){0};
    if (api_bearer(req, res, API_REALM_OF_TOKEN, "imports:manage", &call->caller))
        return HTTP_DONE;
    const char *type = http_header(req, "Content-Type");
    if (api_is_media(type, "text/csv")) {
        call->o.format = IMPORT_CSV;
    } else if (api_is_json(type)) {
        call->o.format = IMPORT_JSON;
    } else {
        api_error(req, res, 415, "invalid_request",
                  "Content-Type must be text/csv or application/json");
        return HTTP_DONE;
    }
    if (query_bool(req, res, "dry_run", &call->o.dry_run) ||
        query_bool(req, res, "atomic", &call->o.atomic))
        return HTTP_DONE;
    uint64_t max = api->max_import_bytes ? api->max_import_bytes : API_MAX_IMPORT_BYTES;
    req->body_max = max;
    api_note(req)->pending = call;
    return HTTP_DEFER;
}

enum http_result api_v1_imports_accept(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, accept_import);
}

/* The import's record hook: runs inside its transaction (import.h). */
static enum kh_status record_import(void *ctx, const struct import_result *r)
{
    struct request *req = ctx;
    const struct api *api = req->app;
    struct import_call *call = api_note(req)->pending;
    struct import_record_error *errors =
        arena_alloc(req->arena, (r->n_errors ? r->n_errors : 1) * sizeof *errors);
    for (size_t i = 0; i < r->n_errors; i++)
        errors[i] = (struct import_record_error){(int64_t)r->errors[i].row, r->errors[i].field,
                                                 r->errors[i].message};
    call->rec = (struct import_record){
        .id = arena_strdup(req->arena, r->id),
        .realm_id = call->caller.realm->id,
        .status = r->dry_run ? "dry_run" : r->rolled_back ? "rolled_back" : "completed",
        .format = format_name(call->o.format),
        .dry_run = r->dry_run,
        .atomic = call->o.atomic,
        .rows = (int64_t)r->rows,
        .created = (int64_t)r->created,
        .updated = (int64_t)r->updated,
        .failed = (int64_t)r->failed,
        .errors = errors,
        .n_errors = r->n_errors,
        .errors_truncated = r->failed > r->n_errors,
        .created_at = clock_now(),
        .created_by = admin_actor(req->arena, &call->caller),
    };
    return store_import_insert(api->oauth.store, &call->rec);
}

/* The import, made at the first piece of the body (or at its end if empty). */
static struct import *import_of(struct request *req)
{
    const struct api *api = req->app;
    struct import_call *call = api_note(req)->pending;
    if (!call->imp) {
        call->o.record = record_import;
        call->o.record_ctx = req;
        if (import_new(api->oauth.store, call->caller.realm->id, &call->o, &call->imp))
            call->imp = NULL;
    }
    return call->imp;
}

static enum kh_status consume_import(struct request *req, const void *data, size_t n)
{
    struct import *imp = import_of(req);
    return imp ? import_feed(imp, data, n) : KH_ERR_NOMEM;
}

static void record_json(struct jsonw *w, const struct import_record *r)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "id", r->id);
    jsonw_kv_str(w, "status", r->status);
    jsonw_kv_str(w, "format", r->format);
    jsonw_kv_bool(w, "dry_run", r->dry_run);
    jsonw_kv_bool(w, "atomic", r->atomic);
    jsonw_kv_int(w, "rows", r->rows);
    jsonw_kv_int(w, "created", r->created);
    jsonw_kv_int(w, "updated", r->updated);
    jsonw_kv_int(w, "failed", r->failed);
    jsonw_key(w, "errors");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < r->n_errors; i++) {
        jsonw_obj_begin(w);
        jsonw_kv_int(w, "row", r->errors[i].row);
        if (r->errors[i].field)
            jsonw_kv_str(w, "field", r->errors[i].field);
        jsonw_kv_str(w, "message", r->errors[i].message);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_kv_bool(w, "errors_truncated", r->errors_truncated);
    jsonw_kv_int(w, "created_at", r->created_at);
    jsonw_kv_str(w, "created_by", r->created_by);
    jsonw_obj_end(w);
}

static void write_record(struct request *req, struct response *res, int status,
                         const struct import_record *r)
{
    struct jsonw w;
    api_json_begin(res, status, &w);
    record_json(&w, r);
    if (jsonw_finish(&w))
        res->status = 500;
    api_no_store(req, res);
}

static void audit_import(struct request *req, const struct import_call *call)
{
    const struct import_record *r = &call->rec;
    admin_audit(req, &call->caller, call->caller.realm, AUDIT_IMPORT, r->id,
                arena_printf(req->arena, "%s %s: %lld rows, %lld created, %lld updated, "
                             "%lld failed%s%s", r->status, r->format, (long long)r->rows,
                             (long long)r->created, (long long)r->updated, (long long)r->failed,
                             r->dry_run ? ", dry run" : "", r->atomic ? ", atomic" : ""));
}

static void finish_import(struct request *req, struct response *res, enum http_stream_end end)
{
    struct import_call *call = api_note(req)->pending;
    if (end != HTTP_STREAM_COMPLETE) {
        import_free(call->imp); /* rolls back what it wrote */
        api_note(req)->error = end == HTTP_STREAM_TOO_BIG ? "too_big" : "aborted";
        return;
    }
    struct import *imp = import_of(req);
    struct import_result r;
    const char *why = "out of memory";
    enum kh_status rc = imp ? import_finish(imp, &r, &why) : KH_ERR_NOMEM;
    if (rc == KH_OK) {
        write_record(req, res, 201, &call->rec);
        http_set_header(req, res, "Location",
                        arena_printf(req->arena, "/v1/imports/%s", call->rec.id));
        audit_import(req, call);
    } else if (rc == KH_ERR_INVALID || rc == KH_ERR_TOOBIG) {
        api_error(req, res, 400, "invalid_request",
                  arena_printf(req->arena, "Nothing was imported: %s", why));
    } else {
        admin_store_failed(req, res);
    }
    import_free(imp);
}

const struct http_stream API_V1_IMPORTS_STREAM = {consume_import, finish_import};

static enum http_result get_import(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct api_caller caller;
    if (api_bearer(req, res, API_REALM_OF_TOKEN, "imports:manage", &caller))
        return HTTP_DONE;
    struct import_record r;
    enum kh_status rc =
        store_import_get(api->oauth.store, req->arena, caller.realm->id, req->params[0], &r);
    if (rc == KH_ERR_NOTFOUND)
        api_error(req, res, 404, "not_found", "No import with this id");
    else if (rc)
        admin_store_failed(req, res);
    else
        write_record(req, res, 200, &r);
    return HTTP_DONE;
}

enum http_result api_v1_import_get(struct request *req, struct response *res)
{
    return api_in_snapshot(req, res, get_import);
}
