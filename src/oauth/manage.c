/* manage.c - validated creation of realms, roles, users and clients. */
#include "oauth/manage.h"

#include <ctype.h>
#include <string.h>
#include "authn/password.h"
#include "core/buf.h"
#include "core/clock.h"
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
        .enabled = true,
        .created_at = clock_now(),
    };
    if (spec->password) {
        if (!*spec->password || password_hash(spec->password, strlen(spec->password), hash)) {
            *why = "the password must be 1 to 1024 bytes";
            return KH_ERR_INVALID;
        }
        u.password_hash = hash;
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

/* "password,client_credentials" → bits; 0 for an unknown or empty list. */
static unsigned parse_grants(const char *list)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"password", GRANT_PASSWORD},
        {"client_credentials", GRANT_CLIENT_CREDENTIALS},
        {"refresh_token", GRANT_REFRESH_TOKEN},
    };
    unsigned bits = 0;
    while (list && *list) {
        size_t n = strcspn(list, ",");
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == n && strncmp(list, names[i].name, n) == 0)
                bit = names[i].bit;
        if (!bit)
            return 0;
        bits |= bit;
        list += n + (list[n] == ',');
    }
    return bits;
}

static enum kh_status check_client(struct arena *a, const struct client_spec *spec, unsigned grants,
                                   const char **scopes, const char **defaults, const char **why)
{
    struct scope_set allowed, def;
    if (!is_name(spec->client_id, 255, "._:@-")) {
        *why = "a client id is 1 to 255 of A-Z, a-z, 0-9, '.', '_', ':', '@' and '-'";
        return KH_ERR_INVALID;
    }
    if (!grants) {
        *why = "--grant takes a comma-separated list of password, client_credentials, refresh_token";
        return KH_ERR_INVALID;
    }
    if (spec->opaque) {
        *why = "opaque access tokens are not supported yet; clients get JWT access tokens";
        return KH_ERR_INVALID;
    }
    if (spec->public_client && (grants & GRANT_CLIENT_CREDENTIALS)) {
        *why = "a public client cannot use the client_credentials grant";
        return KH_ERR_INVALID;
    }
    if (scope_parse(a, spec->scopes ? spec->scopes : "", &allowed) ||
        scope_parse(a, spec->default_scopes ? spec->default_scopes : "", &def)) {
        *why = "a scope is malformed";
        return KH_ERR_INVALID;
    }
    if (!spec->default_scopes)
        def = allowed;
    if (!scope_is_subset(&def, &allowed)) {
        *why = "every default scope must also be an allowed scope (--scope)";
        return KH_ERR_INVALID;
    }
    *scopes = scope_join(a, &allowed);
    *defaults = scope_join(a, &def);
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
        .created_at = clock_now(),
    };
    if (spec->owner) {
        struct user owner;
        rc = store_user_find_by_name(s, a, r.id, manage_username(a, spec->owner), &owner);
        if (rc) {
            *why = rc == KH_ERR_NOTFOUND ? "the owner user does not exist in the realm" : "the store failed";
            return rc;
        }
        c.owner_user_id = owner.id;
    }
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
