/* grant.c - what every grant does alike: scopes, subjects, tokens. */
#include <stdint.h>
#include <string.h>
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/random.h"
#include "core/secret.h"
#include "jose/jws.h"
#include "oauth/grant.h"

#define ACCESS_TOKEN_MAX 8192

struct oauth_outcome grant_requested_scope(struct grant_ctx *g, struct scope_set *out)
{
    struct scope_set allowed, requested;
    if (scope_parse(g->a, g->client->scopes, &allowed))
        return OUTCOME(OAUTH_SERVER_ERROR, "The client's scopes are corrupt");
    const char *asked = g->req->scope;
    if (!asked)
        asked = g->client->default_scopes;
    if (scope_parse(g->a, asked, &requested))
        return OUTCOME(OAUTH_INVALID_SCOPE, "Malformed scope");
    if (!scope_is_subset(&requested, &allowed))
        return OUTCOME(OAUTH_INVALID_SCOPE, "A requested scope is not allowed for this client");
    *out = requested;
    return OUTCOME_OK;
}

struct oauth_outcome grant_user_subject(struct grant_ctx *g, const char *user_id, struct subject *out)
{
    struct user *u = arena_alloc(g->a, sizeof *u);
    enum kh_status rc = store_user_get(g->o->store, g->a, g->req->realm->id, user_id, u);
    if (rc == KH_ERR_NOTFOUND)
        return OUTCOME(OAUTH_INVALID_GRANT, "The user no longer exists");
    if (rc)
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    if (!u->enabled)
        return OUTCOME(OAUTH_INVALID_GRANT, "Account disabled");
    struct access access;
    if (store_user_access(g->o->store, g->a, g->req->realm->id, u->id, &access))
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    out->sub = u->id;
    out->user = u;
    out->access = access;
    return OUTCOME_OK;
}

/* A client without an owner acts for itself and holds what it is allowed. */
struct oauth_outcome grant_client_subject(struct grant_ctx *g, struct subject *out)
{
    const struct client *c = g->client;
    if (c->owner_user_id) {
        struct oauth_outcome o = grant_user_subject(g, c->owner_user_id, out);
        if (o.error == OAUTH_INVALID_GRANT)
            o.description = "The client's owner account is disabled or gone";
        return o;
    }
    struct scope_set allowed;
    if (scope_parse(g->a, c->scopes, &allowed))
        return OUTCOME(OAUTH_SERVER_ERROR, "The client's scopes are corrupt");
    out->sub = c->id;
    out->user = NULL;
    out->access = (struct access){
        .permissions = arena_memdup(g->a, allowed.tokens, allowed.n * sizeof(char *)),
        .n_permissions = allowed.n,
    };
    return OUTCOME_OK;
}

static int64_t access_ttl(const struct grant_ctx *g)
{
    return g->client->access_ttl > 0 ? g->client->access_ttl : g->req->realm->access_ttl;
}

/* RFC 9068 claims plus Keycloak's realm_access and preferred_username. */
static void write_claims(struct jsonw *w, const struct grant_ctx *g, const struct subject *subj,
                         const char *scope, const char *sid, int64_t exp)
{
    char jti[37];
    random_uuid(jti);
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "iss", oauth_issuer(g->o, g->a, g->req->realm));
    jsonw_kv_str(w, "sub", subj->sub);
    jsonw_kv_str(w, "aud", OAUTH_AUDIENCE);
    jsonw_kv_int(w, "exp", exp);
    jsonw_kv_int(w, "iat", g->now);
    jsonw_kv_str(w, "jti", jti);
    jsonw_kv_str(w, "client_id", g->client->client_id);
    jsonw_kv_str(w, "azp", g->client->client_id);
    jsonw_kv_str(w, "scope", scope);
    if (sid)
        jsonw_kv_str(w, "sid", sid);
    jsonw_key(w, "realm_access");
    jsonw_obj_begin(w);
    jsonw_key(w, "roles");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < subj->access.n_roles; i++)
        jsonw_str(w, subj->access.roles[i]);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
    if (subj->user)
        jsonw_kv_str(w, "preferred_username", subj->user->username);
    jsonw_obj_end(w);
}

struct oauth_outcome grant_issue_access(struct grant_ctx *g, const struct subject *subj,
                                        const struct scope_set *scope, const char *sid)
{
    struct keyset keys;
    if (keyring_get(g->o->keyring, g->req->realm, &keys))
        return OUTCOME(OAUTH_SERVER_ERROR, "The realm has no usable signing key");
    int64_t ttl = access_ttl(g);
    char *scope_str = scope_join(g->a, scope);
    struct buf claims, token;
    buf_init(&claims, ACCESS_TOKEN_MAX);
    buf_init(&token, ACCESS_TOKEN_MAX);
    struct jsonw w;
    jsonw_init(&w, &claims);
    write_claims(&w, g, subj, scope_str, sid, g->now + ttl);
    struct oauth_outcome out = OUTCOME(OAUTH_SERVER_ERROR, "Signing the access token failed");
    if (jsonw_finish(&w) || jws_sign(keys.signer, "at+jwt", claims.data, claims.len, &token))
        goto done;
    g->resp->access_token = arena_strndup(g->a, token.data, token.len);
    g->resp->expires_in = ttl;
    g->resp->scope = scope_str;
    g->resp->session_state = sid;
    g->resp->subject = subj->sub;
    out = OUTCOME_OK;
done:
    buf_free(&claims);
    buf_free(&token);
    return out;
}

void grant_new_refresh(struct grant_ctx *g, const struct session *sess, const struct scope_set *scope,
                       const char **token, struct refresh_token *row)
{
    const struct realm *realm = g->req->realm;
    char *t = arena_alloc(g->a, SECRET_LEN + 1);
    secret_new(SECRET_REFRESH, t);
    int64_t idle = sess->offline ? realm->offline_idle_ttl : realm->refresh_idle_ttl;
    int64_t expires = g->now + idle;
    if (expires > sess->expires_at)
        expires = sess->expires_at;
    *row = (struct refresh_token){
        .session_id = sess->id,
        .realm_id = realm->id,
        .client_id = g->client->client_id,
        .user_id = sess->user_id,
        .scope = scope_join(g->a, scope),
        .issued_at = g->now,
        .expires_at = expires,
        .offline = sess->offline,
    };
    secret_hash(t, SECRET_LEN, row->hash);
    *token = t;
}

char *grant_new_sid(struct grant_ctx *g)
{
    char *sid = arena_alloc(g->a, 37);
    random_uuid(sid);
    return sid;
}

struct oauth_outcome grant_start_session(struct grant_ctx *g, const char *user_id,
                                         const struct scope_set *scope, const char *sid)
{
    const struct realm *realm = g->req->realm;
    bool offline = scope_has(scope, "offline_access");
    struct session sess = {
        .id = sid,
        .realm_id = realm->id,
        .user_id = user_id,
        .client_id = g->client->client_id,
        .offline = offline,
        .created_at = g->now,
        /* offline sessions have no maximum, only the offline idle limit */
        .expires_at = offline ? INT64_MAX : g->now + realm->session_max_ttl,
    };
    const char *refresh;
    struct refresh_token row;
    grant_new_refresh(g, &sess, scope, &refresh, &row);
    if (store_session_start(g->o->store, &sess, &row))
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    g->resp->refresh_token = refresh;
    g->resp->refresh_expires_in = grant_refresh_expires_in(g, &row);
    return OUTCOME_OK;
}

int64_t grant_refresh_expires_in(const struct grant_ctx *g, const struct refresh_token *row)
{
    return row->offline ? 0 : row->expires_at - g->now;
}
