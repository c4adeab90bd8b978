/* respond.h - helpers the handlers share (private to src/api). */
#ifndef KH_API_RESPOND_H
#define KH_API_RESPOND_H

#include <stdbool.h>
#include "api/api.h"
#include "core/jsonw.h"
#include "http/form.h"
#include "oauth/bearer.h"

#define API_RESPONSE_MAX (1 << 20)

/* What a request did, for its log line (never a secret). Lives in the arena. */
struct api_note {
    const char *realm;
    const char *client_id;
    const char *grant;
    const char *error;
    void *pending; /* the handler's state across a deferred step */
};

/* The request's note, created on first use. */
struct api_note *api_note(struct request *req);

/* Routes whose data is this are the default realm's short aliases. */
extern const int API_DEFAULT_REALM;

/* The realm named by the path (or the default realm for an alias), into the
 * arena. On failure writes the 404 or 503 answer and returns non-zero. */
int api_realm(struct request *req, struct response *res, struct realm **out);

/* Starts a JSON body: sets status and content type; the caller writes into w. */
void api_json_begin(struct response *res, int status, struct jsonw *w);
/* {"error":..,"error_description":..} with the status. */
void api_error(struct request *req, struct response *res, int status, const char *error,
               const char *description);

/* True for the media type `type` (any case), alone or followed by parameters. */
bool api_is_media(const char *content_type, const char *type);
/* True for application/x-www-form-urlencoded (parameters after ';' allowed). */
bool api_is_form(const char *content_type);
/* True for application/json (parameters after ';' allowed). */
bool api_is_json(const char *content_type);
/* Cache-Control: no-store and Pragma: no-cache (RFC 6749 §5.1). */
void api_no_store(struct request *req, struct response *res);

/* How a client presented itself (RFC 6749 §2.3.1): HTTP Basic or the body
 * fields client_id/client_secret, never both. */
struct api_client_creds {
    const char *client_id;     /* NULL when absent */
    const char *client_secret; /* NULL when absent */
    bool basic;                /* the Authorization header was used */
};
/* Reads the credentials of a parsed form and the Authorization header.
 * invalid_client for a malformed Basic header, invalid_request for a secret
 * in both places or two different client ids; *out is filled even then (for
 * the log line and the WWW-Authenticate decision). */
struct oauth_outcome api_client_creds(struct request *req, const struct form *f,
                                      struct api_client_creds *out);
/* Parses the body as a strict form; on failure answers 400 invalid_request
 * (via api_oauth_error) and returns -1. */
int api_form(struct request *req, struct response *res, const struct realm *realm,
             struct form *out);
/* An OAuth error answer with no-store; 401 invalid_client after HTTP Basic
 * also carries WWW-Authenticate: Basic realm="<realm>". */
void api_oauth_error(struct request *req, struct response *res, const struct realm *realm,
                     bool basic, struct oauth_outcome out);

/* For introspection, revocation and logout: finds the realm, parses the form
 * and the client's credentials, and reads the token from the form field
 * `token_field`. On failure writes the answer and returns -1. The request
 * lives in the arena. */
int api_client_token_request(struct request *req, struct response *res, const char *token_field,
                             struct client_token_request **out);

/* Bearer authentication of the protected APIs (RFC 6750), api/bearer.c. */

/* Where a protected route's realm comes from. */
enum api_realm_source {
    API_REALM_OF_TOKEN, /* /v1: the realm the token names (its iss, or an opaque token's row) */
    API_REALM_DEFAULT,  /* /admin/realms: operators, with a token of the default realm */
};

/* The verified caller of a protected route (arena). */
struct api_caller {
    struct realm *realm;
    struct bearer token;
};

/* An Authorization header value (RFC 6750 §2.1): API_BEARER_TOKEN with *token
 * pointing into it after "Bearer" (any case) and its spaces, when the rest is one
 * b64token; API_BEARER_NONE (*token NULL) for another scheme; API_BEARER_MALFORMED
 * (*token NULL) for the Bearer scheme without a well-formed token. Pure. */
enum api_bearer_header { API_BEARER_NONE, API_BEARER_TOKEN, API_BEARER_MALFORMED };
enum api_bearer_header api_bearer_header(const char *authorization, const char **token);

/* Reads `Authorization: Bearer <token>` (scheme in any case, exactly one such
 * header, never a token in the query string), verifies the token for the realm
 * `from` names and checks that its scope holds `permission` (NULL: none
 * needed). Call inside a store snapshot. On failure writes the answer and
 * returns -1: 400 invalid_request (two headers, a token in the URL), 401 with
 * `WWW-Authenticate: Bearer realm="…"` and no error when no credentials were
 * sent (RFC 6750 §3.1), 401 error="invalid_token" for a malformed, forged,
 * expired, revoked or foreign token, 403 error="insufficient_scope"
 * scope="<permission>", 503 when the store or keyring fails. */
int api_bearer(struct request *req, struct response *res, enum api_realm_source from,
               const char *permission, struct api_caller *out);

/* The same for the realm-scoped admin routes /admin/realms/{r}/…: the token
 * must be of realm `path_realm` or of the default realm (operators), else 401
 * error="invalid_token". `permission` may list alternatives separated by
 * spaces ("users:read users:manage"): one of them suffices. Call inside a
 * store snapshot. */
int api_bearer_realm(struct request *req, struct response *res, const char *path_realm,
                     const char *permission, struct api_caller *out);

/* Query argument `name` as an integer in lo..hi, or `fallback` when absent.
 * On a bad value answers 400 invalid_request and returns -1. */
int api_query_int(struct request *req, struct response *res, const char *name, long lo, long hi,
                  long fallback, long *out);
/* The `cursor` query argument: base64url of a key (e.g. the last username of a
 * page); *out is NULL when absent. 400 invalid_request and -1 when malformed. */
int api_query_cursor(struct request *req, struct response *res, const char **out);
/* The cursor for a page that ended at `key` (arena). */
const char *api_cursor_format(struct arena *a, const char *key);

/* A page of a list (api/page.c). The handler reads the arguments, asks its
 * store for `fetch` (= limit + 1) items after `after` — one more than a page
 * tells whether another follows —, then writes the page:
 *     n = api_page_begin(&p, res, "users", n); write items 0..n-1 into p.w;
 *     api_page_end(&p, req, res, p.more ? <key of item n - 1> : NULL);  */
struct api_page {
    size_t limit;
    size_t fetch;       /* limit + 1 */
    const char *after;  /* the cursor's key; NULL from the start */
    size_t n;           /* items on this page (api_page_begin) */
    bool more;          /* another page follows */
    struct jsonw w;
};
/* limit (1..max, default fallback) and cursor; on a bad value answers 400 and
 * returns -1. */
int api_page_args(struct request *req, struct response *res, long max, long fallback,
                  struct api_page *p);
/* The store gave n items: starts the 200 answer {"<key>":[ and returns how
 * many of them are on the page. */
size_t api_page_begin(struct api_page *p, struct response *res, const char *key, size_t n);
/* Ends the array, writes next_cursor (null when last_key is NULL or no page
 * follows), finishes the answer with no-store. */
void api_page_end(struct api_page *p, struct request *req, struct response *res,
                  const char *last_key);

/* Runs fn with the store's reads of this request in one snapshot (one set of
 * locks): for handlers that answer on the I/O thread. */
enum http_result api_in_snapshot(struct request *req, struct response *res,
                                 enum http_result (*fn)(struct request *, struct response *));

/* The handlers, one file per endpoint family. */
enum http_result api_token(struct request *req, struct response *res);
enum http_result api_introspect(struct request *req, struct response *res);
enum http_result api_revoke(struct request *req, struct response *res);
enum http_result api_logout(struct request *req, struct response *res);
enum http_result api_userinfo(struct request *req, struct response *res);
enum http_result api_jwks(struct request *req, struct response *res);
enum http_result api_discovery(struct request *req, struct response *res);
enum http_result api_v1_users(struct request *req, struct response *res);
enum http_result api_admin_realms_list(struct request *req, struct response *res);
enum http_result api_admin_realms_create(struct request *req, struct response *res);
enum http_result api_admin_realm_get(struct request *req, struct response *res);
enum http_result api_admin_roles_list(struct request *req, struct response *res);
enum http_result api_admin_roles_create(struct request *req, struct response *res);
enum http_result api_admin_role_get(struct request *req, struct response *res);
enum http_result api_admin_users_list(struct request *req, struct response *res);
enum http_result api_admin_users_create(struct request *req, struct response *res);
enum http_result api_admin_user_get(struct request *req, struct response *res);
enum http_result api_admin_user_password(struct request *req, struct response *res);
/* admin REST rows: changing and deleting roles and users; clients */
enum http_result api_admin_role_update(struct request *req, struct response *res);
enum http_result api_admin_role_delete(struct request *req, struct response *res);
enum http_result api_admin_user_update(struct request *req, struct response *res);
enum http_result api_admin_user_delete(struct request *req, struct response *res);
enum http_result api_admin_clients_list(struct request *req, struct response *res);
enum http_result api_admin_clients_create(struct request *req, struct response *res);
enum http_result api_admin_client_get(struct request *req, struct response *res);
enum http_result api_admin_client_update(struct request *req, struct response *res);
enum http_result api_admin_client_delete(struct request *req, struct response *res);
/* integrations (admin_integrations.c) */
enum http_result api_admin_integrations_create(struct request *req, struct response *res);
enum http_result api_admin_integrations_list(struct request *req, struct response *res);
enum http_result api_admin_integration_delete(struct request *req, struct response *res);
enum http_result api_admin_client_secret(struct request *req, struct response *res);
/* imports over the API (v1_imports.c): POST /v1/imports streams its body. */
enum http_result api_v1_imports_accept(struct request *req, struct response *res);
extern const struct http_stream API_V1_IMPORTS_STREAM;
enum http_result api_v1_import_get(struct request *req, struct response *res);
/* audit log (admin_events.c) */
enum http_result api_admin_events_list(struct request *req, struct response *res);
/* brute-force protection (admin_lockouts.c) */
enum http_result api_admin_lockouts_list(struct request *req, struct response *res);
enum http_result api_admin_lockout_delete(struct request *req, struct response *res);
enum http_result api_healthz(struct request *req, struct response *res);
enum http_result api_readyz(struct request *req, struct response *res);

#endif
