/* bearer.c - one verifier for JWT and opaque access tokens. */
#include "oauth/bearer.h"
#include "oauth/lifetime.h"

#include <jansson.h>
#include <string.h>
#include "core/b64.h"
#include "core/secret.h"
#include "jose/jws.h"
#include "jose/jwt.h"

#define OPAQUE_PREFIX SECRET_ACCESS "_"
/* Seconds a token's iat or nbf may lie in the future (clock skew between instances). */
#define BEARER_ISSUED_LEEWAY 60

bool bearer_is_opaque(const char *token)
{
    return strncmp(token, OPAQUE_PREFIX, sizeof OPAQUE_PREFIX - 1) == 0;
}

/* Store outcomes: found → KH_OK, a miss → KH_ERR_DENIED, a failure stays one. */
static enum kh_status deny_missing(enum kh_status rc)
{
    return rc == KH_ERR_NOTFOUND ? KH_ERR_DENIED : rc ? KH_ERR_STORE : KH_OK;
}

/* A token of a session dies with it (logout, revocation, reuse detection). */
static enum kh_status session_alive(const struct oauth *o, struct arena *a, const char *sid)
{
    if (!sid)
        return KH_OK;
    struct session sess;
    enum kh_status rc = deny_missing(store_session_find(o->store, a, sid, &sess));
    if (rc)
        return rc;
    return sess.revoked_at ? KH_ERR_DENIED : KH_OK;
}

static enum kh_status verify_jwt(const struct oauth *o, struct arena *a, const struct realm *realm,
                                 const char *token, int64_t now, struct bearer *out)
{
    /* A realm with no key that signs now still verifies with its published keys. */
    struct keyset keys = {0};
    enum kh_status rc = keyring_get(o->keyring, realm, &keys);
    if (rc && rc != KH_ERR_NOTFOUND)
        return KH_ERR_INTERNAL;
    /* The leeway serves iat and nbf only (another instance's clock may run a
     * little ahead); exp is checked below with none: expired when now >= exp. */
    struct jwt_expect expect = {
        .issuer = oauth_issuer(o, a, realm),
        .audience = OAUTH_AUDIENCE,
        .typ = "at+jwt", /* an ID token (typ JWT) is not an access token */
        .now = now,
        .leeway = BEARER_ISSUED_LEEWAY,
        .require_kid = true, /* keyhold always writes one */
    };
    struct jwt_claims c;
    if (jwt_verify(token, strlen(token), keys.keys, keys.n, &expect, a, &c))
        return KH_ERR_DENIED;
    if (lifetime_is_expired(c.exp, now))
        return KH_ERR_DENIED;
    if (!c.sub || !c.jti || !c.client_id)
        return KH_ERR_DENIED;
    rc = store_jti_is_revoked(o->store, realm->id, c.jti);
    if (rc == KH_OK)
        return KH_ERR_DENIED;
    if (rc != KH_ERR_NOTFOUND)
        return KH_ERR_STORE;
    rc = session_alive(o, a, c.sid);
    if (rc)
        return rc;
    /* keyhold writes preferred_username for user subjects only */
    *out = (struct bearer){
        .sub = c.sub,
        .user_id = c.preferred_username ? c.sub : NULL,
        .username = c.preferred_username,
        .client_id = c.client_id,
        .scope = c.scope ? c.scope : "",
        .sid = c.sid,
        .jti = c.jti,
        .exp = c.exp,
        .iat = c.iat,
    };
    return KH_OK;
}

static enum kh_status verify_opaque(const struct oauth *o, struct arena *a,
                                    const struct realm *realm, const char *token, int64_t now,
                                    struct bearer *out)
{
    size_t n = strlen(token);
    if (!secret_check(SECRET_ACCESS, token, n))
        return KH_ERR_DENIED;
    struct bearer b = {.opaque = true};
    secret_hash(token, n, b.hash);
    struct access_token t;
    enum kh_status rc = deny_missing(store_access_find(o->store, a, b.hash, &t));
    if (rc)
        return rc;
    if (t.realm_id != realm->id || t.revoked_at || lifetime_is_expired(t.expires_at, now))
        return KH_ERR_DENIED;
    rc = session_alive(o, a, t.session_id);
    if (rc)
        return rc;
    b.sub = t.subject;
    b.user_id = t.user_id;
    b.client_id = t.client_id;
    b.scope = t.scope ? t.scope : "";
    b.sid = t.session_id;
    b.exp = t.expires_at;
    b.iat = t.issued_at;
    *out = b;
    return KH_OK;
}

/* A token dies with its client and its user: deleted, disabled or (the
 * client) past its expiry, at once rather than at the token's exp. */
static enum kh_status holders_alive(const struct oauth *o, struct arena *a,
                                    const struct realm *realm, int64_t now, struct bearer *b)
{
    struct client c;
    enum kh_status rc = deny_missing(store_client_find(o->store, a, realm->id, b->client_id, &c));
    if (rc)
        return rc;
    if (!c.enabled || (c.expires_at && now >= c.expires_at))
        return KH_ERR_DENIED;
    if (!b->user_id)
        return KH_OK;
    struct user u;
    rc = deny_missing(store_user_get(o->store, a, realm->id, b->user_id, &u));
    if (rc)
        return rc;
    if (!u.enabled)
        return KH_ERR_DENIED;
    b->username = u.username;
    return KH_OK;
}

enum kh_status bearer_verify(const struct oauth *o, struct arena *a, const struct realm *realm,
                             const char *token, int64_t now, struct bearer *out)
{
    if (!token || !*token)
        return KH_ERR_DENIED;
    struct bearer b;
    enum kh_status rc = bearer_is_opaque(token) ? verify_opaque(o, a, realm, token, now, &b)
                                                : verify_jwt(o, a, realm, token, now, &b);
    if (!rc)
        rc = holders_alive(o, a, realm, now, &b);
    if (!rc)
        *out = b;
    return rc;
}

/* The unverified `iss` of a compact JWS (arena), or NULL. */
static const char *peek_issuer(struct arena *a, const char *token)
{
    size_t n = strnlen(token, JWS_TOKEN_MAX + 1);
    if (n > JWS_TOKEN_MAX)
        return NULL;
    const char *p = memchr(token, '.', n);
    if (!p)
        return NULL;
    p++;
    const char *end = memchr(p, '.', n - (size_t)(p - token));
    if (!end || end == p)
        return NULL;
    size_t len = (size_t)(end - p);
    uint8_t *raw = arena_alloc(a, len * 3 / 4 + 1);
    size_t raw_len;
    if (b64url_decode(p, len, raw, &raw_len))
        return NULL;
    json_t *claims = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL);
    const char *iss = NULL;
    json_t *v = json_is_object(claims) ? json_object_get(claims, "iss") : NULL;
    if (json_is_string(v))
        iss = arena_strndup(a, json_string_value(v), json_string_length(v));
    json_decref(claims);
    return iss;
}

/* The realm name an issuer {public_url}/realms/{name} names, or NULL. */
static const char *issuer_realm(const struct oauth *o, const char *iss)
{
    static const char infix[] = "/realms/";
    size_t base = strlen(o->public_url);
    if (strncmp(iss, o->public_url, base) != 0 || strncmp(iss + base, infix, sizeof infix - 1) != 0)
        return NULL;
    const char *name = iss + base + sizeof infix - 1;
    return *name && !strchr(name, '/') ? name : NULL;
}

static enum kh_status opaque_realm(const struct oauth *o, struct arena *a, const char *token,
                                   struct realm *out)
{
    size_t n = strlen(token);
    if (!secret_check(SECRET_ACCESS, token, n))
        return KH_ERR_DENIED;
    uint8_t hash[SHA256_LEN];
    secret_hash(token, n, hash);
    struct access_token t;
    enum kh_status rc = deny_missing(store_access_find(o->store, a, hash, &t));
    if (rc)
        return rc;
    /* the store finds realms by name only; there are few of them */
    struct realm *rs;
    size_t nr;
    if (store_realm_list(o->store, a, &rs, &nr))
        return KH_ERR_STORE;
    for (size_t i = 0; i < nr; i++) {
        if (rs[i].id == t.realm_id) {
            *out = rs[i];
            return KH_OK;
        }
    }
    return KH_ERR_DENIED;
}

enum kh_status bearer_realm_find(const struct oauth *o, struct arena *a, const char *token,
                                 struct realm *out)
{
    if (!token || !*token)
        return KH_ERR_DENIED;
    if (bearer_is_opaque(token))
        return opaque_realm(o, a, token, out);
    const char *iss = peek_issuer(a, token);
    const char *name = iss ? issuer_realm(o, iss) : NULL;
    if (!name)
        return KH_ERR_DENIED;
    return deny_missing(store_realm_find(o->store, a, name, out));
}
