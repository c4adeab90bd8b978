/* wellknown.c - JWKS and OpenID Connect discovery (RFC 8414). */
#include "api/respond.h"
#include "oauth/manage.h"

/* Resource servers cache the JWKS this long; key rotation waits for it. */
#define JWKS_MAX_AGE KEYRING_JWKS_MAX_AGE_STR

enum http_result api_jwks(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return HTTP_DONE;
    struct keyset keys;
    if (keyring_get(api->oauth.keyring, realm, &keys)) {
        api_error(req, res, 500, "server_error", "The realm's keys cannot be read");
        return HTTP_DONE;
    }
    res->status = 200;
    res->content_type = "application/json";
    res->body.max = API_RESPONSE_MAX;
    if (buf_add(&res->body, keys.jwks, keys.jwks_len)) {
        api_error(req, res, 500, "server_error", "The key set is too large");
        return HTTP_DONE;
    }
    http_set_header(req, res, "Cache-Control", "public, max-age=" JWKS_MAX_AGE);
    return HTTP_DONE;
}

static void write_strings(struct jsonw *w, const char *key, const char *const *v, size_t n)
{
    jsonw_key(w, key);
    jsonw_arr_begin(w);
    for (size_t i = 0; i < n; i++)
        jsonw_str(w, v[i]);
    jsonw_arr_end(w);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void write_endpoint(struct request *req, struct jsonw *w, const char *key, const char *iss,
                           const char *path)
{
    jsonw_kv_str(w, key, arena_printf(req->arena, "%s/protocol/openid-connect/%s", iss, path));
}

/* Lists only what this server really supports. */
enum http_result api_discovery(struct request *req, struct response *res)
{
    static const char *const grants[] = {"password", "client_credentials", "refresh_token"};
    static const char *const auth_methods[] = {"client_secret_basic", "client_secret_post"};
    static const char *const protocol_scopes[] = {"openid", "profile", "email", "offline_access"};
    static const char *const subject_types[] = {"public"};
    /* every claim an ID token, an access token or userinfo may carry */
    static const char *const claims[] = {
        "iss", "sub", "aud", "exp", "iat", "auth_time", "azp", "sid", "preferred_username",
        "given_name", "family_name", "name", "email", "email_verified",
    };
    const struct api *api = req->app;
    struct realm *realm;
    if (api_realm(req, res, &realm))
        return HTTP_DONE;
    const char *iss = oauth_issuer(&api->oauth, req->arena, realm);
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "issuer", iss);
    write_endpoint(req, &w, "token_endpoint", iss, "token");
    write_endpoint(req, &w, "introspection_endpoint", iss, "token/introspect");
    write_endpoint(req, &w, "revocation_endpoint", iss, "revoke");
    write_endpoint(req, &w, "userinfo_endpoint", iss, "userinfo");
    write_endpoint(req, &w, "end_session_endpoint", iss, "logout");
    write_endpoint(req, &w, "jwks_uri", iss, "certs");
    write_strings(&w, "grant_types_supported", grants, COUNT(grants));
    write_strings(&w, "token_endpoint_auth_methods_supported", auth_methods, COUNT(auth_methods));
    write_strings(&w, "introspection_endpoint_auth_methods_supported", auth_methods,
                  COUNT(auth_methods));
    write_strings(&w, "revocation_endpoint_auth_methods_supported", auth_methods,
                  COUNT(auth_methods));
    jsonw_key(&w, "scopes_supported");
    jsonw_arr_begin(&w);
    for (size_t i = 0; i < COUNT(protocol_scopes); i++)
        jsonw_str(&w, protocol_scopes[i]);
    for (size_t i = 0; i < MANAGE_N_PERMISSIONS; i++)
        jsonw_str(&w, MANAGE_PERMISSIONS[i]);
    jsonw_arr_end(&w);
    write_strings(&w, "claims_supported", claims, COUNT(claims));
    write_strings(&w, "subject_types_supported", subject_types, COUNT(subject_types));
    /* No authorization endpoint yet: no response type is supported. */
    write_strings(&w, "response_types_supported", NULL, 0);
    write_strings(&w, "id_token_signing_alg_values_supported", &realm->alg, 1);
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        api_error(req, res, 500, "server_error", "Discovery document too large");
    else
        http_set_header(req, res, "Cache-Control", "public, max-age=300");
    return HTTP_DONE;
}

enum http_result api_healthz(struct request *req, struct response *res)
{
    (void)req;
    struct jsonw w;
    api_json_begin(res, 200, &w);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "status", "ok");
    jsonw_obj_end(&w);
    if (jsonw_finish(&w))
        res->status = 500;
    return HTTP_DONE;
}

enum http_result api_readyz(struct request *req, struct response *res)
{
    const struct api *api = req->app;
    if (store_ping(api->oauth.store)) {
        api_error(req, res, 503, "unavailable", "The store does not answer");
        return HTTP_DONE;
    }
    return api_healthz(req, res);
}
