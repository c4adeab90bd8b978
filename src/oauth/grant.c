/* grant.c - what every grant does alike: scopes, subjects, tokens. */
#include <stdint.h>
#include <string.h>
#include "core/buf.h"
#include "core/jsonw.h"
#include "core/random.h"
#include "core/secret.h"
#include "jose/jws.h"
#include "oauth/grant.h"

#define TOKEN_MAX 8192

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

/* The subject for user u as read (found: it is in the realm). */
static struct oauth_outcome user_subject(struct user *u, bool found, const struct access *access,
                                         struct subject *out)
{
    if (!found)
        return OUTCOME(OAUTH_INVALID_GRANT, "The user no longer exists");
    if (!u->enabled)
        return OUTCOME(OAUTH_INVALID_GRANT, "Account disabled");
    out->sub = u->id;
    out->user = u;
    out->access = *access;
    return OUTCOME_OK;
}

struct oauth_outcome grant_user_subject(struct grant_ctx *g, const char *user_id, struct subject *out)
{
    struct user *u = arena_alloc(g->a, sizeof *u);
    struct access access;
    enum kh_status rc =
        store_user_access(g->o->store, g->a, g->req->realm->id, user_id, u, &access);
    if (rc && rc != KH_ERR_NOTFOUND)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    return user_subject(u, rc == KH_OK, &access, out);
}

/* A client without an owner acts for itself and holds what it is allowed.
 * The owner was read with the client (grant.needs_owner). */
struct oauth_outcome grant_client_subject(struct grant_ctx *g, struct subject *out)
{
    const struct client *c = g->client;
    if (c->owner_user_id) {
        const struct client_context *read = g->read;
        struct user *u = arena_memdup(g->a, &read->owner, sizeof read->owner);
        struct oauth_outcome o = user_subject(u, read->owner_found, &read->owner_access, out);
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

/* What one token response is made of, shared by the token writers. */
struct issue {
    const struct subject *subj;
    const struct scope_set *scope;
    const char *scope_str;
    const char *sid;        /* NULL without a session */
    int64_t exp;
    int64_t auth_time;
};

/* RFC 9068 claims plus Keycloak's realm_access and preferred_username. */
static void write_access_claims(struct jsonw *w, const struct grant_ctx *g, const struct issue *is)
{
    char jti[37];
    random_uuid(jti);
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "iss", oauth_issuer(g->o, g->a, g->req->realm));
    jsonw_kv_str(w, "sub", is->subj->sub);
    jsonw_kv_str(w, "aud", OAUTH_AUDIENCE);
    jsonw_kv_int(w, "exp", is->exp);
    jsonw_kv_int(w, "iat", g->now);
    jsonw_kv_str(w, "jti", jti);
    jsonw_kv_str(w, "client_id", g->client->client_id);
    jsonw_kv_str(w, "azp", g->client->client_id);
    jsonw_kv_str(w, "scope", is->scope_str);
    if (is->sid)
        jsonw_kv_str(w, "sid", is->sid);
    jsonw_key(w, "realm_access");
    jsonw_obj_begin(w);
    jsonw_key(w, "roles");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < is->subj->access.n_roles; i++)
        jsonw_str(w, is->subj->access.roles[i]);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
    if (is->subj->user)
        jsonw_kv_str(w, "preferred_username", is->subj->user->username);
    jsonw_obj_end(w);
}

static void kv_opt(struct jsonw *w, const char *key, const char *v)
{
    if (v)
        jsonw_kv_str(w, key, v);
}

/* OpenID Connect Core §2: the ID token is for the client (aud), about the user. */
static void write_id_claims(struct jsonw *w, const struct grant_ctx *g, const struct issue *is)
{
    const struct user *u = is->subj->user;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "iss", oauth_issuer(g->o, g->a, g->req->realm));
    jsonw_kv_str(w, "sub", u->id);
    jsonw_kv_str(w, "aud", g->client->client_id);
    jsonw_kv_int(w, "exp", is->exp);
    jsonw_kv_int(w, "iat", g->now);
    jsonw_kv_int(w, "auth_time", is->auth_time);
    jsonw_kv_str(w, "azp", g->client->client_id);
    kv_opt(w, "sid", is->sid);
    if (scope_has(is->scope, "profile")) {
        jsonw_kv_str(w, "preferred_username", u->username);
        kv_opt(w, "given_name", u->first_name);
        kv_opt(w, "family_name", u->last_name);
    }
    if (scope_has(is->scope, "email"))
        kv_opt(w, "email", u->email);
    jsonw_obj_end(w);
}

typedef void (*claims_writer)(struct jsonw *w, const struct grant_ctx *g, const struct issue *is);

/* Writes the claims into `claims`, signs them into `token` (both reset
 * first) and copies the JWT into the arena. */
static struct oauth_outcome sign_jwt(struct grant_ctx *g, const struct jose_key *key,
                                     const char *typ, claims_writer write, const struct issue *is,
                                     struct buf *claims, struct buf *token, const char **out)
{
    buf_reset(claims);
    buf_reset(token);
    struct jsonw w;
    jsonw_init(&w, claims);
    write(&w, g, is);
    if (jsonw_finish(&w) || jws_sign(key, typ, claims->data, claims->len, token))
        return OUTCOME(OAUTH_SERVER_ERROR, "Signing a token failed");
    *out = arena_strndup(g->a, token->data, token->len);
    return OUTCOME_OK;
}

/* An opaque token means nothing by itself: its row (by hash) says it all. */
static struct oauth_outcome issue_opaque(struct grant_ctx *g, const struct issue *is,
                                         const char **out)
{
    char *t = arena_alloc(g->a, SECRET_LEN + 1);
    secret_new(SECRET_ACCESS, t);
    struct access_token row = {
        .realm_id = g->req->realm->id,
        .client_id = g->client->client_id,
        .subject = is->subj->sub,
        .user_id = is->subj->user ? is->subj->user->id : NULL,
        .session_id = is->sid,
        .scope = is->scope_str,
        .issued_at = g->now,
        .expires_at = is->exp,
    };
    secret_hash(t, SECRET_LEN, row.hash);
    if (store_access_insert(g->o->store, &row))
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    *out = t;
    return OUTCOME_OK;
}

struct oauth_outcome grant_issue_tokens(struct grant_ctx *g, const struct subject *subj,
                                        const struct scope_set *scope, const char *sid,
                                        int64_t auth_time)
{
    struct issue is = {
        .subj = subj,
        .scope = scope,
        .scope_str = scope_join(g->a, scope),
        .sid = sid,
        .exp = g->now + g->life.access,
        .auth_time = auth_time,
    };
    bool opaque = g->client->opaque;
    bool with_id = subj->user && scope_has(scope, "openid");
    struct keyset keys = {0};
    if ((!opaque || with_id) && keyring_get(g->o->keyring, g->req->realm, &keys))
        return OUTCOME(OAUTH_SERVER_ERROR, "The realm has no usable signing key");
    struct buf claims, token;
    buf_init(&claims, TOKEN_MAX);
    buf_init(&token, TOKEN_MAX);
    const char *access = NULL, *id = NULL;
    struct oauth_outcome out = opaque ? issue_opaque(g, &is, &access)
                                      : sign_jwt(g, keys.signer, "at+jwt", write_access_claims, &is,
                                                 &claims, &token, &access);
    if (!out.error && with_id)
        out = sign_jwt(g, keys.signer, "JWT", write_id_claims, &is, &claims, &token, &id);
    buf_free(&claims);
    buf_free(&token);
    if (out.error)
        return out;
    g->resp->access_token = access;
    g->resp->expires_in = g->life.access;
    g->resp->id_token = id;
    g->resp->scope = is.scope_str;
    g->resp->session_state = sid;
    g->resp->subject = subj->sub;
    return OUTCOME_OK;
}

void grant_new_refresh(struct grant_ctx *g, const struct session *sess, const struct scope_set *scope,
                       const char **token, struct refresh_token *row)
{
    const struct realm *realm = g->req->realm;
    char *t = arena_alloc(g->a, SECRET_LEN + 1);
    secret_new(SECRET_REFRESH, t);
    *row = (struct refresh_token){
        .session_id = sess->id,
        .realm_id = realm->id,
        .client_id = g->client->client_id,
        .user_id = sess->user_id,
        .scope = scope_join(g->a, scope),
        .issued_at = g->now,
        .expires_at = lifetime_refresh_expiry(&g->life, sess->offline, g->now, sess->expires_at),
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
        .expires_at = lifetime_session_expiry(&g->life, offline, g->now),
    };
    const char *refresh;
    struct refresh_token row;
    grant_new_refresh(g, &sess, scope, &refresh, &row);
    if (store_session_start(g->o->store, &sess, &row))
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    g->resp->refresh_token = refresh;
    g->resp->refresh_expires_in = lifetime_refresh_expires_in(offline, row.expires_at, g->now);
    return OUTCOME_OK;
}
