/* bearer.c - the authentication step of the protected APIs (/v1, /admin):
 * RFC 6750 §2.1 header, bearer_verify() for the right realm, a permission
 * held as a scope, and the §3 error answers. Also the query helpers those
 * APIs share (limit, cursor). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/respond.h"
#include "core/b64.h"
#include "core/clock.h"

/* Longest cursor key (usernames are at most 255 bytes, realm names 63). */
#define CURSOR_KEY_MAX 255

/* What went wrong, for the answer: HTTP status, error code (NULL: none in the
 * challenge, for a request with no credentials) and a sentence. */
struct refusal {
    int status;
    const char *error;
    const char *description;
};

static const struct refusal NO_CREDENTIALS = {
    401, NULL, "This request needs an access token: send Authorization: Bearer <token>"};
static const struct refusal MALFORMED = {401, "invalid_token", "The access token is malformed"};
static const struct refusal FOREIGN = {
    401, "invalid_token", "The access token was not issued by a realm of this server"};
static const struct refusal INVALID = {
    401, "invalid_token", "The access token is invalid, expired or revoked"};
static const struct refusal TWO_HEADERS = {
    400, "invalid_request", "Send exactly one Authorization header"};
static const struct refusal IN_QUERY = {
    400, "invalid_request", "Send the access token in the Authorization header, never in the URL"};

/* Writes the answer: the JSON error body and, for 400/401/403, the
 * WWW-Authenticate challenge. realm may be NULL (not known yet on /v1). */
static void refuse(struct request *req, struct response *res, const char *realm,
                   struct refusal r, const char *scope)
{
    /* the body always names an error, even where the challenge carries none */
    const char *error = r.error ? r.error : "invalid_token";
    struct jsonw w;
    api_json_begin(res, r.status, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "error", error);
    jsonw_kv_str(&w, "error_description", r.description);
    if (scope)
        jsonw_kv_str(&w, "scope", scope);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    api_note(req)->error = error;
    api_no_store(req, res);
    struct buf c;
    buf_init(&c, 1024);
    int bad = buf_addstr(&c, "Bearer");
    const char *sep = " ";
    if (realm) {
        bad |= buf_printf(&c, "%srealm=\"%s\"", sep, realm);
        sep = ", ";
    }
    if (r.error) {
        /* the descriptions above hold no '"' or '\\' */
        bad |= buf_printf(&c, "%serror=\"%s\", error_description=\"%s\"", sep, r.error,
                          r.description);
        if (scope)
            bad |= buf_printf(&c, ", scope=\"%s\"", scope);
    }
    if (!bad && !buf_addc(&c, '\0'))
        http_set_header(req, res, "WWW-Authenticate", c.data);
    buf_free(&c);
}

static void unavailable(struct request *req, struct response *res)
{
    api_error(req, res, 503, "temporarily_unavailable", "The access token cannot be checked now");
}

/* RFC 6750 §2.1 b64token: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static bool is_b64token(const char *t)
{
    const char *p = t;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           (*p && strchr("-._~+/", *p)))
        p++;
    if (p == t)
        return false;
    while (*p == '=')
        p++;
    return *p == '\0';
}

enum api_bearer_header api_bearer_header(const char *authorization, const char **token)
{
    static const char scheme[] = "Bearer";
    *token = NULL;
    size_t len = strcspn(authorization, " ");
    if (len != sizeof scheme - 1 || strncasecmp(authorization, scheme, len) != 0)
        return API_BEARER_NONE; /* another scheme: no credentials we understand (§3.1) */
    const char *t = authorization + len;
    while (*t == ' ')
        t++;
    if (!is_b64token(t))
        return API_BEARER_MALFORMED;
    *token = t;
    return API_BEARER_TOKEN;
}

/* The credentials of the request: 0 and *token (NULL when none were sent, or
 * another scheme was used), or -1 with *why. */
static int read_token(struct request *req, const char **token, struct refusal *why)
{
    if (http_query(req, "access_token")) {
        *why = IN_QUERY;
        return -1;
    }
    size_t n = http_header_count(req, "Authorization");
    if (n > 1) {
        *why = TWO_HEADERS;
        return -1;
    }
    const char *auth = http_header(req, "Authorization");
    *token = NULL;
    if (auth && api_bearer_header(auth, token) == API_BEARER_MALFORMED) {
        *why = MALFORMED;
        return -1;
    }
    return 0;
}

/* True if the space-separated scope holds the word. */
static bool scope_holds(const char *scope, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = scope; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && memcmp(p, word, n) == 0)
            return true;
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* The realm `from` names; on failure writes the answer and returns -1. */
static int find_realm(struct request *req, struct response *res, enum api_realm_source from,
                      const char *token, struct realm **out)
{
    const struct api *api = req->app;
    struct realm *r = arena_alloc(req->arena, sizeof *r);
    enum kh_status rc;
    if (from == API_REALM_DEFAULT)
        rc = store_realm_find(api->oauth.store, req->arena, api->default_realm, r);
    else
        rc = bearer_realm_find(&api->oauth, req->arena, token, r);
    if (rc == KH_ERR_DENIED) {
        refuse(req, res, NULL, FOREIGN, NULL);
        return -1;
    }
    if (rc) { /* the default realm is bootstrapped at start: a miss is a failure too */
        unavailable(req, res);
        return -1;
    }
    *out = r;
    return 0;
}

/* True if the scope holds one of the space-separated alternatives. */
static bool scope_holds_any(const char *scope, const char *alternatives)
{
    for (const char *p = alternatives; *p;) {
        size_t len = strcspn(p, " ");
        char word[129];
        if (len < sizeof word) {
            memcpy(word, p, len);
            word[len] = '\0';
            if (scope_holds(scope, word))
                return true;
        }
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

/* api_bearer, and with `path_realm` set: the token must be of that realm or
 * of the default realm. */
static int authenticate(struct request *req, struct response *res, enum api_realm_source from,
                        const char *path_realm, const char *permission, struct api_caller *out)
{
    const struct api *api = req->app;
    const char *realm_name = from == API_REALM_DEFAULT ? api->default_realm : path_realm;
    const char *token;
    struct refusal why;
    if (read_token(req, &token, &why)) {
        refuse(req, res, realm_name, why, NULL);
        return -1;
    }
    if (!token) {
        refuse(req, res, realm_name, NO_CREDENTIALS, NULL);
        return -1;
    }
    struct realm *realm;
    if (find_realm(req, res, from, token, &realm))
        return -1;
    api_note(req)->realm = realm->name;
    struct bearer b;
    enum kh_status rc = bearer_verify(&api->oauth, req->arena, realm, token, clock_now(), &b);
    if (rc == KH_ERR_DENIED) {
        refuse(req, res, realm->name, INVALID, NULL);
        return -1;
    }
    if (rc) {
        unavailable(req, res);
        return -1;
    }
    api_note(req)->client_id = b.client_id;
    if (path_realm && strcmp(realm->name, path_realm) != 0 &&
        strcmp(realm->name, api->default_realm) != 0) {
        struct refusal other = {
            401, "invalid_token",
            "The access token is neither of this realm nor of the operators' default realm"};
        refuse(req, res, path_realm, other, NULL);
        return -1;
    }
    if (permission && !scope_holds_any(b.scope, permission)) {
        struct refusal scope = {
            403, "insufficient_scope",
            "The access token does not carry the permission this request needs"};
        refuse(req, res, realm->name, scope, permission);
        return -1;
    }
    out->realm = realm;
    out->token = b;
    return 0;
}

int api_bearer(struct request *req, struct response *res, enum api_realm_source from,
               const char *permission, struct api_caller *out)
{
    return authenticate(req, res, from, NULL, permission, out);
}

int api_bearer_realm(struct request *req, struct response *res, const char *path_realm,
                     const char *permission, struct api_caller *out)
{
    return authenticate(req, res, API_REALM_OF_TOKEN, path_realm, permission, out);
}

static void bad_query(struct request *req, struct response *res, const char *description)
{
    api_error(req, res, 400, "invalid_request", description);
}

int api_query_int(struct request *req, struct response *res, const char *name, long lo, long hi,
                  long fallback, long *out)
{
    const char *v = http_query(req, name);
    if (!v) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    long n = v[0] >= '0' && v[0] <= '9' ? strtol(v, &end, 10) : 0;
    if (v[0] < '0' || v[0] > '9' || errno || *end || n < lo || n > hi) {
        bad_query(req, res, arena_printf(req->arena, "%s must be a whole number from %ld to %ld",
                                         name, lo, hi));
        return -1;
    }
    *out = n;
    return 0;
}

int api_query_cursor(struct request *req, struct response *res, const char **out)
{
    const char *v = http_query(req, "cursor");
    *out = NULL;
    if (!v)
        return 0;
    size_t n = strlen(v);
    uint8_t *key = arena_alloc(req->arena, n * 3 / 4 + 1);
    size_t len;
    if (n == 0 || n > b64url_encoded_len(CURSOR_KEY_MAX) || b64url_decode(v, n, key, &len) ||
        len == 0 || memchr(key, '\0', len)) {
        bad_query(req, res, "cursor is not one this server gave out (use next_cursor as it is)");
        return -1;
    }
    key[len] = '\0';
    *out = (const char *)key;
    return 0;
}

const char *api_cursor_format(struct arena *a, const char *key)
{
    size_t n = strlen(key);
    char *out = arena_alloc(a, b64url_encoded_len(n) + 1);
    b64url_encode((const uint8_t *)key, n, out);
    return out;
}
