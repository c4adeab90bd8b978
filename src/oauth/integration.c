/* integration.c - creating integrations with the no-escalation rule inside
 * the write transaction (integration.h). */
#include "oauth/integration.h"

#include <string.h>
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/random.h"
#include "core/secret.h"
#include "core/utf8.h"
#include "oauth/manage.h"
#include "oauth/scope.h"

#define ID_RANDOM_CHARS 16 /* base62: 95 bits, unique without a lookup */
#define ID_ATTEMPTS 3      /* a collision is all but impossible; retry anyway */

/* Printable UTF-8 without control characters. */
static bool is_display_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > INTEGRATION_NAME_MAX || !utf8_valid(s, n))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    return true;
}

static enum kh_status check_spec(const struct integration_spec *spec, int64_t now, const char **why)
{
    if (spec->name && !is_display_name(spec->name)) {
        *why = "a name is 1 to 200 bytes of UTF-8 without control characters";
        return KH_ERR_INVALID;
    }
    if (spec->expires_at && spec->expires_at <= now) {
        *why = "expires_at must be in the future";
        return KH_ERR_INVALID;
    }
    if (spec->scopes && spec->n_scopes == 0) {
        *why = "scopes must name at least one permission (leave it out for all the user's)";
        return KH_ERR_INVALID;
    }
    if (spec->n_scopes > SCOPE_MAX_TOKENS) {
        *why = "an integration has at most 64 scopes";
        return KH_ERR_INVALID;
    }
    for (size_t i = 0; spec->scopes && i < spec->n_scopes; i++) {
        if (!manage_is_permission(spec->scopes[i])) {
            *why = "each scope must be a permission (1 to 128 of A-Z, a-z, 0-9, ':', '.', '_', '-'; "
                   "no protocol scope such as openid)";
            return KH_ERR_INVALID;
        }
    }
    return KH_OK;
}

static bool access_holds(const struct access *acc, const char *perm)
{
    if (acc->all_permissions)
        return true;
    for (size_t i = 0; i < acc->n_permissions; i++)
        if (strcmp(acc->permissions[i], perm) == 0)
            return true;
    return false;
}

/* Every permission the owner holds now: its roles' permissions, and every
 * permission keyhold knows for an all_permissions role. */
static void owner_permissions(const struct access *acc, struct scope_set *out)
{
    out->n = 0;
    for (size_t i = 0; acc->all_permissions && i < MANAGE_N_PERMISSIONS; i++)
        out->tokens[out->n++] = MANAGE_PERMISSIONS[i];
    for (size_t i = 0; i < acc->n_permissions && out->n < SCOPE_MAX_TOKENS; i++)
        if (!acc->all_permissions || !scope_has(out, acc->permissions[i]))
            out->tokens[out->n++] = acc->permissions[i];
}

/* The integration's scopes: the ones asked (each held by the owner), else all
 * the owner holds. KH_ERR_INVALID with *why otherwise. */
static enum kh_status resolve_scopes(struct arena *a, const struct integration_spec *spec,
                                     const struct access *acc, struct scope_set *out,
                                     const char **why)
{
    if (!spec->scopes) {
        owner_permissions(acc, out);
        if (out->n == 0) {
            *why = "the user holds no permission to give an integration";
            return KH_ERR_INVALID;
        }
        return KH_OK;
    }
    out->n = 0;
    for (size_t i = 0; i < spec->n_scopes; i++) {
        if (!access_holds(acc, spec->scopes[i])) {
            *why = arena_printf(a, "the user does not hold %s", spec->scopes[i]);
            return KH_ERR_INVALID;
        }
        if (!scope_has(out, spec->scopes[i]))
            out->tokens[out->n++] = spec->scopes[i];
    }
    return KH_OK;
}

/* The first scope the creator does not hold, or NULL. */
static const char *first_not_held(struct arena *a, const char *creator_scope,
                                  const struct scope_set *scopes)
{
    struct scope_set held;
    if (!creator_scope)
        return NULL; /* the operator */
    if (scope_parse(a, creator_scope, &held))
        held.n = 0;
    for (size_t i = 0; i < scopes->n; i++)
        if (!scope_has(&held, scopes->tokens[i]))
            return scopes->tokens[i];
    return NULL;
}

static char *new_client_id(struct arena *a)
{
    size_t prefix = strlen(INTEGRATION_ID_PREFIX);
    char *id = arena_alloc(a, prefix + ID_RANDOM_CHARS + 1);
    memcpy(id, INTEGRATION_ID_PREFIX, prefix);
    random_base62(id + prefix, ID_RANDOM_CHARS);
    id[prefix + ID_RANDOM_CHARS] = '\0';
    return id;
}

/* Inserts c under a fresh client_id (retried on the impossible collision). */
static enum kh_status insert(struct store *s, struct arena *a, struct client *c)
{
    enum kh_status rc = KH_ERR_CONFLICT;
    for (int i = 0; i < ID_ATTEMPTS && rc == KH_ERR_CONFLICT; i++) {
        c->client_id = new_client_id(a);
        rc = store_client_create(s, c);
    }
    return rc;
}

/* Inside the write transaction: the owner as it is now, the checks, the insert. */
static enum kh_status create_locked(struct store *s, struct arena *a, const struct realm *r,
                                    const struct integration_spec *spec, struct client *c,
                                    const char **missing, const char **why)
{
    struct user owner;
    struct access acc;
    enum kh_status rc =
        store_user_find_by_name(s, a, r->id, manage_username(a, spec->username), &owner);
    if (!rc)
        rc = store_user_access(s, a, r->id, owner.id, NULL, &acc);
    if (rc) {
        *why = rc == KH_ERR_NOTFOUND ? "there is no such user in the realm" : "the store failed";
        return rc;
    }
    if (!owner.enabled) {
        *why = "the user is disabled: its integration would not work";
        return KH_ERR_INVALID;
    }
    struct scope_set scopes;
    rc = resolve_scopes(a, spec, &acc, &scopes, why);
    if (rc)
        return rc;
    *missing = first_not_held(a, spec->creator_scope, &scopes);
    if (*missing) {
        *why = "the creator does not hold a permission the integration would give";
        return KH_ERR_DENIED;
    }
    c->owner_user_id = owner.id;
    c->scopes = c->default_scopes = scope_join(a, &scopes);
    rc = insert(s, a, c);
    if (rc)
        *why = "the store failed";
    return rc;
}

enum kh_status integration_create(struct store *s, struct arena *a, const struct realm *r,
                                  const struct integration_spec *spec,
                                  struct integration_created *out, const char **missing,
                                  const char **why)
{
    int64_t now = clock_now();
    enum kh_status rc = check_spec(spec, now, why);
    if (rc)
        return rc;
    char *id = arena_alloc(a, 37);
    random_uuid(id);
    char *secret = arena_alloc(a, SECRET_LEN + 1);
    secret_new(SECRET_CLIENT, secret);
    struct client c = {
        .id = id,
        .realm_id = r->id,
        .name = spec->name,
        .confidential = true,
        .grants = GRANT_CLIENT_CREDENTIALS,
        .enabled = true,
        .refresh_grace = -1, /* lifetimes 0 and grace -1: the realm's */
        .created_at = now,
        .integration = true,
        .created_by = spec->created_by,
        .expires_at = spec->expires_at,
    };
    secret_hash(secret, SECRET_LEN, c.secret_hash);
    const char *lacking = NULL;
    if (store_batch_begin(s)) {
        *why = "the store failed";
        return KH_ERR_STORE;
    }
    rc = create_locked(s, a, r, spec, &c, &lacking, why);
    if (rc) {
        store_batch_abort(s);
        if (rc == KH_ERR_DENIED)
            *missing = lacking;
        return rc;
    }
    if (store_batch_end(s)) {
        *why = "the store failed";
        return KH_ERR_STORE;
    }
    out->client = c;
    out->secret = secret;
    out->owner_username = manage_username(a, spec->username);
    return KH_OK;
}

bool integration_is_active(const struct integration *it, int64_t now)
{
    const struct client *c = &it->client;
    return it->owner_username && it->owner_enabled && c->enabled &&
           (c->expires_at == 0 || now < c->expires_at);
}

/* A Unix time, or null for 0 ("never"). */
void integration_json_fields(struct jsonw *w, const struct integration *it, int64_t now)
{
    const struct client *c = &it->client;
    jsonw_kv_str(w, "client_id", c->client_id);
    jsonw_kv_str(w, "name", c->name);
    jsonw_key(w, "user");
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "id", c->owner_user_id);
    jsonw_kv_str(w, "username", it->owner_username); /* null: the user is gone */
    jsonw_obj_end(w);
    jsonw_kv_words(w, "scopes", c->scopes);
    jsonw_kv_int(w, "created_at", c->created_at);
    jsonw_kv_str(w, "created_by", c->created_by);
    jsonw_kv_time(w, "expires_at", c->expires_at);
    jsonw_kv_time(w, "last_used_at", c->last_used_at);
    jsonw_kv_bool(w, "active", integration_is_active(it, now));
}
