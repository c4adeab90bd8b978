/* manage.c - validated creation and change of realms, roles, users, clients
 * and signing keys. */
#include "oauth/manage.h"

#include <ctype.h>
#include <string.h>
#include "authn/password.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "core/random.h"
#include "jose/key.h"
#include "oauth/keyring.h"
#include "oauth/scope.h"

const char *const MANAGE_PERMISSIONS[] = {
    "realms:manage", "roles:manage",  "users:read",     "users:manage",
    "clients:manage", "api_access:manage", "imports:manage", "events:read",
};
const size_t MANAGE_N_PERMISSIONS = sizeof MANAGE_PERMISSIONS / sizeof MANAGE_PERMISSIONS[0];

#define REALM_ACCESS_TTL 300
#define REALM_REFRESH_IDLE_TTL 1800
#define REALM_SESSION_MAX_TTL 36000
#define REALM_OFFLINE_IDLE_TTL 2592000

/* [a-z0-9][a-z0-9_-]{0,62} (SPEC §3). */
static bool is_realm_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(islower(c) || isdigit(c) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* 1..max bytes of [A-Za-z0-9] and the given punctuation. */
static bool is_name(const char *s, size_t max, const char *punct)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(punct, s[i]))
            return false;
    return true;
}

/* Printable, no spaces or control characters; UTF-8 bytes above 0x7F pass. */
static bool is_username(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

static bool is_permission(const char *s)
{
    return is_name(s, 128, ":._-") && !scope_is_protocol(s);
}

enum kh_status manage_realm_create(struct store *s, const uint8_t master[AEAD_KEY_LEN], const char *name,
                                   const char *alg, const char **why)
{
    enum jose_alg a;
    if (!is_realm_name(name)) {
        *why = "a realm name is 1 to 63 of a-z, 0-9, _ and -, starting with a letter or digit";
        return KH_ERR_INVALID;
    }
    if (jose_alg_parse(alg ? alg : "ES256", &a)) {
        *why = "the algorithm must be ES256, RS256 or EdDSA";
        return KH_ERR_INVALID;
    }
    struct realm r = {
        .name = name,
        .alg = jose_alg_name(a),
        .access_ttl = REALM_ACCESS_TTL,
        .refresh_idle_ttl = REALM_REFRESH_IDLE_TTL,
        .session_max_ttl = REALM_SESSION_MAX_TTL,
        .offline_idle_ttl = REALM_OFFLINE_IDLE_TTL,
        .created_at = clock_now(),
        .lockout_threshold = MANAGE_LOCKOUT_THRESHOLD,
        .lockout_ip_threshold = MANAGE_LOCKOUT_IP_THRESHOLD,
        .lockout_base_wait = MANAGE_LOCKOUT_BASE_WAIT,
        .lockout_max_wait = MANAGE_LOCKOUT_MAX_WAIT,
        .lockout_reset = MANAGE_LOCKOUT_RESET,
    };
    int64_t id;
    enum kh_status rc = store_realm_create(s, &r, &id);
    if (rc == KH_ERR_CONFLICT) {
        *why = "a realm of that name exists already";
        return rc;
    }
    if (rc) {
        *why = "the store failed";
        return rc;
    }
    rc = keyring_create_key(s, master, id, a, r.created_at, NULL);
    if (rc)
        *why = "creating the realm's signing key failed";
    return rc;
}

/* Applies one optional number of seconds: MANAGE_KEEP leaves *dst alone. */
static enum kh_status set_seconds(struct arena *a, int64_t v, int64_t lo, int64_t hi, const char *what,
                                  const char *range, int64_t *dst, const char **why)
{
    if (v == MANAGE_KEEP)
        return KH_OK;
    if (v < lo || v > hi) {
        *why = arena_printf(a, "the %s must be %s", what, range);
        return KH_ERR_INVALID;
    }
    *dst = v;
    return KH_OK;
}

#define LIFETIME_RANGE "1 to 31536000 seconds"
#define CLIENT_LIFETIME_RANGE "0 (the realm's) or 1 to 31536000 seconds"
#define GRACE_RANGE "0 to 3600 seconds"
#define CLIENT_GRACE_RANGE "the realm's (-1) or 0 to 3600 seconds"
_Static_assert(MANAGE_LIFETIME_MAX == 31536000 && MANAGE_GRACE_MAX == 3600, "update the ranges' text");

#define THRESHOLD_RANGE "0 (never) to 1000 failures"
_Static_assert(MANAGE_LOCKOUT_THRESHOLD_MAX == 1000, "update the range's text");

/* The brute-force settings, checked together: the first wait is no longer than the longest. */
static enum kh_status set_lockout(struct arena *a, const struct realm_settings *set, struct realm *r,
                                  const char **why)
{
    const int64_t max = MANAGE_LIFETIME_MAX, most = MANAGE_LOCKOUT_THRESHOLD_MAX;
    enum kh_status rc;
    if ((rc = set_seconds(a, set->lockout_threshold, 0, most, "lockout threshold", THRESHOLD_RANGE,
                          &r->lockout_threshold, why)) ||
        (rc = set_seconds(a, set->lockout_ip_threshold, 0, most, "lockout address threshold",
                          THRESHOLD_RANGE, &r->lockout_ip_threshold, why)) ||
        (rc = set_seconds(a, set->lockout_base_wait, 1, max, "lockout base wait", LIFETIME_RANGE,
                          &r->lockout_base_wait, why)) ||
        (rc = set_seconds(a, set->lockout_max_wait, 1, max, "lockout maximum wait", LIFETIME_RANGE,
                          &r->lockout_max_wait, why)) ||
        (rc = set_seconds(a, set->lockout_reset, 1, max, "lockout reset time", LIFETIME_RANGE,
                          &r->lockout_reset, why)))
        return rc;
    if (r->lockout_base_wait > r->lockout_max_wait) {
        *why = "the lockout base wait must not be longer than the lockout maximum wait";
        return KH_ERR_INVALID;
    }
    return KH_OK;
}

enum kh_status manage_realm_update(struct store *s, struct arena *a, const char *realm,
                                   const struct realm_settings *set, const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    const int64_t max = MANAGE_LIFETIME_MAX;
    if ((rc = set_seconds(a, set->access_ttl, 1, max, "access-token lifetime", LIFETIME_RANGE,
                          &r.access_ttl, why)) ||
        (rc = set_seconds(a, set->refresh_idle_ttl, 1, max, "refresh idle lifetime", LIFETIME_RANGE,
                          &r.refresh_idle_ttl, why)) ||
        (rc = set_seconds(a, set->session_max_ttl, 1, max, "session maximum lifetime", LIFETIME_RANGE,
                          &r.session_max_ttl, why)) ||
        (rc = set_seconds(a, set->offline_idle_ttl, 1, max, "offline idle lifetime", LIFETIME_RANGE,
                          &r.offline_idle_ttl, why)) ||
        (rc = set_seconds(a, set->refresh_grace, 0, MANAGE_GRACE_MAX, "refresh reuse grace", GRACE_RANGE,
                          &r.refresh_grace, why)) ||
        (rc = set_lockout(a, set, &r, why)))
        return rc;
    rc = store_realm_update(s, &r);
    if (rc)
        *why = rc == KH_ERR_NOTFOUND ? "the realm was deleted meanwhile" : "the store failed";
    return rc;
}

void manage_realm_json(struct jsonw *w, const struct realm *r)
{
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "name", r->name);
    jsonw_kv_str(w, "alg", r->alg);
    jsonw_kv_int(w, "access_token_lifetime", r->access_ttl);
    jsonw_kv_int(w, "refresh_idle_lifetime", r->refresh_idle_ttl);
    jsonw_kv_int(w, "session_max_lifetime", r->session_max_ttl);
    jsonw_kv_int(w, "offline_idle_lifetime", r->offline_idle_ttl);
    jsonw_kv_int(w, "refresh_reuse_grace", r->refresh_grace);
    jsonw_kv_int(w, "lockout_threshold", r->lockout_threshold);
    jsonw_kv_int(w, "lockout_ip_threshold", r->lockout_ip_threshold);
    jsonw_kv_int(w, "lockout_base_wait", r->lockout_base_wait);
    jsonw_kv_int(w, "lockout_max_wait", r->lockout_max_wait);
    jsonw_kv_int(w, "lockout_reset", r->lockout_reset);
    jsonw_kv_int(w, "created_at", r->created_at);
    jsonw_obj_end(w);
}

enum kh_status manage_realm_get(struct store *s, struct arena *a, const char *name, struct realm *out,
                                const char **why)
{
    enum kh_status rc = store_realm_find(s, a, name, out);
    if (rc == KH_ERR_NOTFOUND)
        *why = arena_printf(a, "there is no realm \"%s\"", name);
    else if (rc)
        *why = "the store failed";
    return rc;
}

enum kh_status manage_role_create(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char *const *permissions, size_t n, bool all_permissions,
                                  const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    if (!is_name(name, 64, "._:-")) {
        *why = "a role name is 1 to 64 of A-Z, a-z, 0-9, '.', '_', ':' and '-'";
        return KH_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_permission(permissions[i])) {
            *why = arena_printf(a, "\"%s\" is not a valid permission (like users:read)", permissions[i]);
            return KH_ERR_INVALID;
        }
    }
    struct role role = {
        .realm_id = r.id,
        .name = name,
        .all_permissions = all_permissions,
        .permissions = (const char **)permissions,
        .n_permissions = n,
    };
    int64_t id;
    rc = store_role_create(s, &role, &id);
    if (rc == KH_ERR_CONFLICT)
        *why = "a role of that name exists already in the realm";
    else if (rc)
        *why = "the store failed";
    return rc;
}

/* The sentence for a role op's refusal (statuses of store_role_update/delete). */
static const char *role_change_why(struct arena *a, enum kh_status rc, const char *name)
{
    if (rc == KH_ERR_NOTFOUND)
        return arena_printf(a, "there is no role \"%s\" in the realm", name);
    if (rc == KH_ERR_CONFLICT)
        return arena_printf(a, "role \"%s\" is the built-in role that gives every permission: "
                               "it cannot be changed or deleted", name);
    return "the store failed";
}

enum kh_status manage_role_update(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char *const *permissions, size_t n, const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (!is_permission(permissions[i])) {
            *why = arena_printf(a, "\"%s\" is not a valid permission (like users:read)", permissions[i]);
            return KH_ERR_INVALID;
        }
    }
    rc = store_role_update(s, r.id, name, permissions, n);
    if (rc)
        *why = role_change_why(a, rc, name);
    return rc;
}

enum kh_status manage_role_delete(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    rc = store_role_delete(s, r.id, name);
    if (rc)
        *why = role_change_why(a, rc, name);
    return rc;
}

char *manage_username(struct arena *a, const char *s)
{
    char *l = arena_strdup(a, s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

static bool is_email(const char *s)
{
    const char *at = strchr(s, '@');
    return is_username(s) && at && at != s && strchr(at + 1, '.') && !strchr(at + 1, '@') &&
           at[1] != '.' && s[strlen(s) - 1] != '.';
}

bool manage_is_username(const char *s)
{
    return is_username(s);
}

bool manage_is_email(const char *s)
{
    return is_email(s);
}

bool manage_is_permission(const char *s)
{
    return is_permission(s);
}

enum kh_status manage_user_create(struct store *s, struct arena *a, const char *realm,
                                  const struct user_spec *spec, const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    if (!is_username(spec->username)) {
        *why = "a username is 1 to 255 printable characters without spaces";
        return KH_ERR_INVALID;
    }
    if (spec->email && !is_email(spec->email)) {
        *why = "the email address is not valid";
        return KH_ERR_INVALID;
    }
    char *id = arena_alloc(a, 37);
    random_uuid(id);
    char hash[PASSWORD_HASH_MAX];
    struct user u = {
        .id = id,
        .realm_id = r.id,
        .username = manage_username(a, spec->username),
        .email = spec->email,
        .first_name = spec->first_name,
        .last_name = spec->last_name,
        .enabled = !spec->disabled,
        .created_at = clock_now(),
    };
    if (spec->password) {
        if (!*spec->password || password_hash(spec->password, strlen(spec->password), hash)) {
            *why = "the password must be 1 to 1024 bytes";
            return KH_ERR_INVALID;
        }
        u.password_hash = hash;
    } else {
        u.password_hash = spec->password_hash;
    }
    rc = store_user_create(s, &u, spec->roles, spec->n_roles);
    if (rc == KH_ERR_CONFLICT)
        *why = "a user of that name exists already in the realm";
    else if (rc == KH_ERR_NOTFOUND)
        *why = "a role given does not exist in the realm";
    else if (rc)
        *why = "the store failed";
    return rc;
}

enum kh_status manage_user_update(struct store *s, struct arena *a, const char *realm, const char *id,
                                  const struct user_changes *ch, struct user *out, const char **why)
{
    struct realm r;
    struct user u;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    rc = store_user_get(s, a, r.id, id, &u);
    if (rc) {
        *why = rc == KH_ERR_NOTFOUND ? "there is no user with that id in the realm" : "the store failed";
        return rc;
    }
    if (ch->set & UPSERT_SET_EMAIL) {
        if (ch->email && !is_email(ch->email)) {
            *why = "the email address is not valid";
            return KH_ERR_INVALID;
        }
        u.email = ch->email;
    }
    if (ch->set & UPSERT_SET_FIRST_NAME)
        u.first_name = ch->first_name;
    if (ch->set & UPSERT_SET_LAST_NAME)
        u.last_name = ch->last_name;
    if (ch->enabled >= 0)
        u.enabled = ch->enabled != 0;
    bool roles = ch->set & UPSERT_SET_ROLES;
    static const char *const none[] = {NULL};
    rc = store_user_update(s, &u, roles ? (ch->roles ? ch->roles : none) : NULL,
                           roles ? ch->n_roles : 0);
    if (rc == KH_ERR_NOTFOUND)
        *why = "a role given does not exist in the realm (or the user was deleted meanwhile)";
    else if (rc)
        *why = "the store failed";
    if (!rc && out)
        *out = u;
    return rc;
}

enum kh_status manage_user_set_enabled(struct store *s, struct arena *a, const char *realm,
                                       const char *username, bool enabled, const char **why)
{
    struct realm r;
    struct user u;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    rc = store_user_find_by_name(s, a, r.id, manage_username(a, username), &u);
    if (rc == KH_ERR_NOTFOUND) {
        *why = arena_printf(a, "there is no user \"%s\" in realm \"%s\"", username, realm);
        return rc;
    }
    if (!rc)
        rc = store_user_set_enabled(s, r.id, u.id, enabled);
    if (rc)
        *why = "the store failed";
    return rc;
}

static const struct {
    const char *name;
    unsigned bit;
} GRANT_NAMES[] = {
    {"password", GRANT_PASSWORD},
    {"client_credentials", GRANT_CLIENT_CREDENTIALS},
    {"refresh_token", GRANT_REFRESH_TOKEN},
};
#define N_GRANT_NAMES (sizeof GRANT_NAMES / sizeof GRANT_NAMES[0])

const char *manage_grant_names(struct arena *a, unsigned grants)
{
    const char *out = "";
    for (size_t i = 0; i < N_GRANT_NAMES; i++)
        if (grants & GRANT_NAMES[i].bit)
            out = arena_printf(a, "%s%s%s", out, *out ? "," : "", GRANT_NAMES[i].name);
    return out;
}

/* "password,client_credentials" → bits; 0 for an unknown or empty list. */
static unsigned parse_grants(const char *list)
{
    unsigned bits = 0;
    while (list && *list) {
        size_t n = strcspn(list, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < N_GRANT_NAMES; i++)
            if (strlen(GRANT_NAMES[i].name) == n && strncmp(list, GRANT_NAMES[i].name, n) == 0)
                bit = GRANT_NAMES[i].bit;
        if (!bit)
            return 0;
        bits |= bit;
        list += n + (list[n] == ',');
    }
    return bits;
}

static enum kh_status check_grants(unsigned grants, bool public_client, const char **why)
{
    if (!grants) {
        *why = "--grant takes a comma-separated list of password, client_credentials, refresh_token";
        return KH_ERR_INVALID;
    }
    if (public_client && (grants & GRANT_CLIENT_CREDENTIALS)) {
        *why = "a public client cannot use the client_credentials grant";
        return KH_ERR_INVALID;
    }
    return KH_OK;
}

/* Allowed scopes and default scopes (NULL: all of the allowed), normalised. */
static enum kh_status check_scopes(struct arena *a, const char *scopes, const char *defaults,
                                   const char **scopes_out, const char **defaults_out, const char **why)
{
    struct scope_set allowed, def;
    if (scope_parse(a, scopes ? scopes : "", &allowed) ||
        scope_parse(a, defaults ? defaults : "", &def)) {
        *why = "a scope is malformed";
        return KH_ERR_INVALID;
    }
    if (!defaults)
        def = allowed;
    if (!scope_is_subset(&def, &allowed)) {
        *why = "every default scope must also be an allowed scope (--scope)";
        return KH_ERR_INVALID;
    }
    *scopes_out = scope_join(a, &allowed);
    *defaults_out = scope_join(a, &def);
    return KH_OK;
}

static enum kh_status check_client(struct arena *a, const struct client_spec *spec, unsigned grants,
                                   const char **scopes, const char **defaults, const char **why)
{
    if (!is_name(spec->client_id, 255, "._:@-")) {
        *why = "a client id is 1 to 255 of A-Z, a-z, 0-9, '.', '_', ':', '@' and '-'";
        return KH_ERR_INVALID;
    }
    enum kh_status rc = check_grants(grants, spec->public_client, why);
    if (rc)
        return rc;
    return check_scopes(a, spec->scopes, spec->default_scopes, scopes, defaults, why);
}

#define CLIENT_NAME_RULE "a client name is 1 to 255 bytes without control characters"

bool manage_is_client_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    return true;
}

/* The id of the user `username` who is to own a client. */
static enum kh_status find_owner(struct store *s, struct arena *a, int64_t realm_id, const char *username,
                                 const char **id, const char **why)
{
    struct user owner;
    enum kh_status rc = store_user_find_by_name(s, a, realm_id, manage_username(a, username), &owner);
    if (rc) {
        *why = rc == KH_ERR_NOTFOUND ? "the owner user does not exist in the realm" : "the store failed";
        return rc;
    }
    *id = owner.id;
    return KH_OK;
}

enum kh_status manage_client_create(struct store *s, struct arena *a, const char *realm,
                                    const struct client_spec *spec, const char **secret,
                                    const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    unsigned grants = parse_grants(spec->grants);
    const char *scopes, *defaults;
    rc = check_client(a, spec, grants, &scopes, &defaults, why);
    if (rc)
        return rc;
    char *id = arena_alloc(a, 37);
    random_uuid(id);
    struct client c = {
        .id = id,
        .realm_id = r.id,
        .client_id = spec->client_id,
        .confidential = !spec->public_client,
        .grants = grants,
        .scopes = scopes,
        .default_scopes = defaults,
        .enabled = true,
        .opaque = spec->opaque,
        .refresh_grace = -1, /* lifetimes 0 and grace -1: the realm's */
        .created_by = spec->created_by,
        .created_at = clock_now(),
    };
    if (spec->name && !manage_is_client_name(spec->name)) {
        *why = CLIENT_NAME_RULE;
        return KH_ERR_INVALID;
    }
    c.name = spec->name;
    if (spec->owner && (rc = find_owner(s, a, r.id, spec->owner, &c.owner_user_id, why)))
        return rc;
    char *sec = NULL;
    if (c.confidential) {
        sec = arena_alloc(a, SECRET_LEN + 1);
        secret_new(SECRET_CLIENT, sec);
        secret_hash(sec, SECRET_LEN, c.secret_hash);
    }
    rc = store_client_create(s, &c);
    if (rc) {
        *why = rc == KH_ERR_CONFLICT ? "a client with that id exists already in the realm" : "the store failed";
        return rc;
    }
    *secret = sec;
    return KH_OK;
}

enum kh_status manage_client_get(struct store *s, struct arena *a, const char *realm,
                                 const char *client_id, struct client *out, const char **why)
{
    struct realm r;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    rc = store_client_find(s, a, r.id, client_id, out);
    if (rc == KH_ERR_NOTFOUND)
        *why = arena_printf(a, "there is no client \"%s\" in realm \"%s\"", client_id, realm);
    else if (rc)
        *why = "the store failed";
    return rc;
}

/* The defaults after an update: given ones; else, with new scopes, defaults
 * that were all of the old scopes follow the new ones, others stay. */
static const char *updated_defaults(struct arena *a, const struct client *c,
                                    const struct client_settings *set)
{
    if (set->default_scopes || !set->scopes)
        return set->default_scopes ? set->default_scopes : c->default_scopes;
    struct scope_set old, old_def;
    if (scope_parse(a, c->scopes, &old) || scope_parse(a, c->default_scopes, &old_def))
        return c->default_scopes; /* check_scopes reports it */
    bool all = old.n == old_def.n && scope_is_subset(&old, &old_def);
    return all ? NULL : c->default_scopes;
}

static enum kh_status update_lifetimes(struct arena *a, struct client *c,
                                       const struct client_settings *set, const char **why)
{
    const int64_t max = MANAGE_LIFETIME_MAX;
    enum kh_status rc;
    if ((rc = set_seconds(a, set->access_ttl, 0, max, "access-token lifetime", CLIENT_LIFETIME_RANGE,
                          &c->access_ttl, why)) ||
        (rc = set_seconds(a, set->refresh_idle_ttl, 0, max, "refresh idle lifetime",
                          CLIENT_LIFETIME_RANGE, &c->refresh_idle_ttl, why)) ||
        (rc = set_seconds(a, set->session_max_ttl, 0, max, "session maximum lifetime",
                          CLIENT_LIFETIME_RANGE, &c->session_max_ttl, why)) ||
        (rc = set_seconds(a, set->offline_idle_ttl, 0, max, "offline idle lifetime",
                          CLIENT_LIFETIME_RANGE, &c->offline_idle_ttl, why)))
        return rc;
    return set_seconds(a, set->refresh_grace, -1, MANAGE_GRACE_MAX, "refresh reuse grace",
                       CLIENT_GRACE_RANGE, &c->refresh_grace, why);
}

enum kh_status manage_client_update(struct store *s, struct arena *a, const char *realm,
                                    const char *client_id, const struct client_settings *set,
                                    struct client *out, const char **why)
{
    struct client c;
    enum kh_status rc = manage_client_get(s, a, realm, client_id, &c, why);
    if (rc)
        return rc;
    rc = update_lifetimes(a, &c, set, why);
    if (rc)
        return rc;
    if (set->grants) {
        unsigned grants = parse_grants(set->grants);
        rc = check_grants(grants, !c.confidential, why);
        if (rc)
            return rc;
        c.grants = grants;
    }
    if (set->scopes || set->default_scopes) {
        const char *scopes = set->scopes ? set->scopes : c.scopes;
        rc = check_scopes(a, scopes, updated_defaults(a, &c, set), &c.scopes, &c.default_scopes, why);
        if (rc)
            return rc;
    }
    if (set->opaque >= 0)
        c.opaque = set->opaque != 0;
    if (set->enabled >= 0)
        c.enabled = set->enabled != 0;
    if (set->name && *set->name && !manage_is_client_name(set->name)) {
        *why = CLIENT_NAME_RULE;
        return KH_ERR_INVALID;
    }
    if (set->name)
        c.name = *set->name ? set->name : NULL;
    if (set->owner && !*set->owner)
        c.owner_user_id = NULL;
    else if (set->owner && (rc = find_owner(s, a, c.realm_id, set->owner, &c.owner_user_id, why)))
        return rc;
    rc = store_client_update(s, &c);
    if (rc) {
        *why = rc == KH_ERR_NOTFOUND ? "the client was deleted meanwhile" : "the store failed";
        return rc;
    }
    if (out)
        *out = c;
    return KH_OK;
}

enum kh_status manage_client_rotate_secret(struct store *s, struct arena *a, const char *realm,
                                           const char *client_id, int64_t grace_seconds,
                                           const char **secret, int64_t *old_until, const char **why)
{
    struct client c;
    enum kh_status rc = manage_client_get(s, a, realm, client_id, &c, why);
    if (rc)
        return rc;
    if (!c.confidential) {
        *why = arena_printf(a, "client \"%s\" is public: it has no secret to rotate", client_id);
        return KH_ERR_INVALID;
    }
    if (grace_seconds < 0 || grace_seconds > MANAGE_LIFETIME_MAX) {
        *why = "the grace of the previous secret must be 0 to 31536000 seconds";
        return KH_ERR_INVALID;
    }
    char *sec = arena_alloc(a, SECRET_LEN + 1);
    uint8_t hash[SHA256_LEN];
    secret_new(SECRET_CLIENT, sec);
    secret_hash(sec, SECRET_LEN, hash);
    int64_t until = grace_seconds > 0 ? clock_now() + grace_seconds : 0;
    rc = store_client_rotate_secret(s, c.realm_id, c.client_id, hash, until);
    if (rc) {
        *why = rc == KH_ERR_NOTFOUND ? "the client was deleted meanwhile" : "the store failed";
        return rc;
    }
    *secret = sec;
    *old_until = until;
    return KH_OK;
}

/* The rotation's algorithm: `asked`, else the realm's. */
static enum kh_status rotation_alg(const struct realm *r, const char *asked, enum jose_alg *out,
                                   const char **why)
{
    if (asked && jose_alg_parse(asked, out)) {
        *why = "the algorithm must be ES256, RS256 or EdDSA";
        return KH_ERR_INVALID;
    }
    if (asked)
        return KH_OK;
    if (jose_alg_parse(r->alg, out)) {
        *why = "the realm's algorithm in the store is unknown";
        return KH_ERR_INTERNAL;
    }
    return KH_OK;
}

/* Schedules the older keys' retirement (in place in old[]); a key keeps a
 * later date it had, unless they go at once. */
static enum kh_status retire_older(struct store *s, struct signing_key *old, size_t n, int64_t retire_at,
                                   bool at_once)
{
    for (size_t i = 0; i < n; i++) {
        if (at_once || old[i].retire_at == 0 || old[i].retire_at < retire_at)
            old[i].retire_at = retire_at;
        enum kh_status rc = store_key_update(s, old[i].kid, old[i].active_from, old[i].retire_at);
        if (rc && rc != KH_ERR_NOTFOUND) /* NOTFOUND: gone meanwhile, nothing to retire */
            return rc;
        old[i].private_enc = NULL; /* the caller needs no secret */
        old[i].private_enc_len = 0;
    }
    return KH_OK;
}

enum kh_status manage_key_rotate(struct store *s, const uint8_t master[AEAD_KEY_LEN], struct arena *a,
                                 const char *realm, const char *alg, bool now, bool revoke_old,
                                 struct key_rotation *out, const char **why)
{
    struct realm r;
    enum jose_alg ja;
    struct signing_key *old;
    size_t n_old;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc || (rc = rotation_alg(&r, alg, &ja, why)))
        return rc;
    int64_t longest;
    rc = store_client_max_access_ttl(s, r.id, &longest);
    if (rc) {
        *why = "the store failed";
        return rc;
    }
    if (longest < r.access_ttl)
        longest = r.access_ttl;
    rc = store_key_list(s, a, r.id, &old, &n_old);
    if (rc) {
        *why = "the store failed";
        return rc;
    }
    /* The new key is published first: until it signs, the old ones still do. */
    int64_t t = clock_now();
    struct key_rotation rot = {.alg = jose_alg_name(ja), .active_from = t};
    if (!now && !revoke_old)
        rot.active_from = t + KEYRING_JWKS_MAX_AGE;
    char *kid = arena_alloc(a, 64);
    rc = keyring_create_key(s, master, r.id, ja, rot.active_from, kid);
    if (rc) {
        *why = "creating the new signing key failed";
        return rc;
    }
    rot.kid = kid;
    rot.revoked_old = revoke_old;
    rot.older = old;
    rot.n_older = n_old;
    if (strcmp(r.alg, rot.alg) != 0) { /* the realm's next keys follow the new one */
        r.alg = rot.alg;
        if ((rc = store_realm_update(s, &r))) {
            *why = "the new key was created, but recording the realm's new algorithm failed";
            return rc;
        }
    }
    /* Tokens signed by an older key live at most `longest` after it stops signing. */
    int64_t retire_at = revoke_old ? t : rot.active_from + longest;
    rc = retire_older(s, old, n_old, retire_at, revoke_old);
    if (rc) {
        *why = "the new key was created, but retiring the older keys failed; run the rotation again";
        return rc;
    }
    *out = rot;
    return KH_OK;
}

enum kh_status manage_key_list(struct store *s, struct arena *a, const char *realm,
                               struct key_info **out, size_t *n, const char **why)
{
    struct realm r;
    struct signing_key *keys;
    size_t nk;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    rc = store_key_list(s, a, r.id, &keys, &nk);
    if (rc) {
        *why = "the store failed";
        return rc;
    }
    int64_t t = clock_now();
    long signer = keyring_signer_index(keys, nk, t);
    struct key_info *info = arena_alloc(a, (nk ? nk : 1) * sizeof *info);
    for (size_t i = 0; i < nk; i++) {
        const char *state = keys[i].active_from > t ? "next" : "previous";
        if ((long)i == signer)
            state = "active";
        info[i] = (struct key_info){keys[i].kid, keys[i].alg, keys[i].active_from, keys[i].retire_at,
                                    state};
    }
    *out = info;
    *n = nk;
    return KH_OK;
}

static enum kh_status bootstrap_user(struct store *s, struct arena *a, const char *realm,
                                     const char *env_password, const char **generated, const char **why)
{
    struct realm r;
    struct user u;
    enum kh_status rc = manage_realm_get(s, a, realm, &r, why);
    if (rc)
        return rc;
    if (store_user_find_by_name(s, a, r.id, "admin", &u) == KH_OK)
        return KH_OK;
    const char *password = env_password;
    if (!password || !*password) {
        char *pw = arena_alloc(a, 25);
        random_base62(pw, 24);
        password = pw;
    }
    static const char *const roles[] = {"admin"};
    struct user_spec spec = {.username = "admin", .password = password, .roles = roles, .n_roles = 1};
    rc = manage_user_create(s, a, realm, &spec, why);
    if (rc == KH_OK && password != env_password)
        *generated = password;
    return rc == KH_ERR_CONFLICT ? KH_OK : rc;
}

enum kh_status manage_bootstrap(struct store *s, struct arena *a, const uint8_t master[AEAD_KEY_LEN],
                                const char *realm, const char *env_password,
                                const char **admin_password, const char **why)
{
    *admin_password = NULL;
    enum kh_status rc = manage_realm_create(s, master, realm, "ES256", why);
    if (rc && rc != KH_ERR_CONFLICT)
        return rc;
    rc = manage_role_create(s, a, realm, "admin", NULL, 0, true, why);
    if (rc && rc != KH_ERR_CONFLICT)
        return rc;
    rc = bootstrap_user(s, a, realm, env_password, admin_password, why);
    if (rc)
        return rc;
    struct buf perms;
    buf_init(&perms, 4096);
    for (size_t i = 0; i < MANAGE_N_PERMISSIONS; i++)
        if (buf_printf(&perms, "%s%s", i ? " " : "", MANAGE_PERMISSIONS[i]))
            break;
    struct client_spec cli = {
        .client_id = "admin-cli",
        .grants = "password",
        .scopes = arena_strdup(a, perms.data ? perms.data : ""),
        .public_client = true,
    };
    buf_free(&perms);
    const char *secret;
    rc = manage_client_create(s, a, realm, &cli, &secret, why);
    return rc == KH_ERR_CONFLICT ? KH_OK : rc;
}
