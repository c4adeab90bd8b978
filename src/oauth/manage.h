/* manage.h - creating realms, roles, users and clients, with every rule
 * checked (names, scopes, grants). Shared by the command line and, later,
 * the admin REST API. Each function returns KH_OK or a status with a
 * sentence for the user in *why (a static or arena string). */
#ifndef KH_OAUTH_MANAGE_H
#define KH_OAUTH_MANAGE_H

#include <stdbool.h>
#include <stdint.h>
#include "core/aead.h"
#include "core/arena.h"
#include "core/secret.h"
#include "store/store.h"

/* The permissions keyhold itself knows; the admin role holds them all. */
extern const char *const MANAGE_PERMISSIONS[];
extern const size_t MANAGE_N_PERMISSIONS;

/* A realm as one JSON object, the same for the command line and the admin API. */
struct jsonw;
void manage_realm_json(struct jsonw *w, const struct realm *r);

enum kh_status manage_realm_create(struct store *s, const uint8_t master[AEAD_KEY_LEN], const char *name,
                                   const char *alg, const char **why) KH_MUST_CHECK;
/* Finds a realm by name; *why says "no realm X" when it is missing. */
enum kh_status manage_realm_get(struct store *s, struct arena *a, const char *name, struct realm *out,
                                const char **why) KH_MUST_CHECK;

/* Bounds of the settings below, in seconds. */
#define MANAGE_LIFETIME_MAX 31536000 /* one year */
#define MANAGE_GRACE_MAX 3600
/* A setting left as it is (every settings field starts from it). */
#define MANAGE_KEEP INT64_MIN

/* Brute-force protection (oauth/lockout.h): thresholds 0 (never lock) to
 * MANAGE_LOCKOUT_THRESHOLD_MAX failures, waits and the reset time 1 to
 * MANAGE_LIFETIME_MAX seconds, base wait at most the max wait. */
#define MANAGE_LOCKOUT_THRESHOLD_MAX 1000
#define MANAGE_LOCKOUT_THRESHOLD 5
#define MANAGE_LOCKOUT_IP_THRESHOLD 20
#define MANAGE_LOCKOUT_BASE_WAIT 30
#define MANAGE_LOCKOUT_MAX_WAIT 900
#define MANAGE_LOCKOUT_RESET 43200

/* Lifetimes 1..MANAGE_LIFETIME_MAX, refresh_grace 0..MANAGE_GRACE_MAX, the
 * lockout_* settings as above, or MANAGE_KEEP. */
struct realm_settings {
    int64_t access_ttl;
    int64_t refresh_idle_ttl;
    int64_t session_max_ttl;
    int64_t offline_idle_ttl;
    int64_t refresh_grace;
    /* brute-force protection */
    int64_t lockout_threshold;
    int64_t lockout_ip_threshold;
    int64_t lockout_base_wait;
    int64_t lockout_max_wait;
    int64_t lockout_reset;
};
#define MANAGE_REALM_SETTINGS_KEEP                                                         \
    ((struct realm_settings){MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, \
                             MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP})

/* Changes the given settings; nothing is written if one of them is invalid. */
enum kh_status manage_realm_update(struct store *s, struct arena *a, const char *realm,
                                   const struct realm_settings *set, const char **why) KH_MUST_CHECK;

enum kh_status manage_role_create(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char *const *permissions, size_t n, bool all_permissions,
                                  const char **why) KH_MUST_CHECK;

/* Replaces the permissions of role `name` (validated as at creation).
 * KH_ERR_NOTFOUND: no such role; KH_ERR_CONFLICT: the built-in role that
 * gives every permission, which is never changed (nor deleted). */
enum kh_status manage_role_update(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char *const *permissions, size_t n,
                                  const char **why) KH_MUST_CHECK;
/* Deletes role `name`; its users lose it. Statuses as manage_role_update. */
enum kh_status manage_role_delete(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char **why) KH_MUST_CHECK;

/* Usernames are unique per realm regardless of case: they are stored and
 * looked up in this lowercased form (ASCII letters; other bytes as given). */
char *manage_username(struct arena *a, const char *username);
/* The rules user create applies: a username is 1 to 255 bytes, printable, without
 * spaces or control characters (UTF-8 bytes pass); an email is such a string with
 * one '@' and a dot in its domain. */
bool manage_is_username(const char *s);
bool manage_is_email(const char *s);
/* A permission a role may give: 1 to 128 of A-Z, a-z, 0-9, ':', '.', '_' and
 * '-', and no protocol scope (openid, offline_access, …). */
bool manage_is_permission(const char *s);

struct user_spec {
    const char *username;
    const char *email;
    const char *first_name;
    const char *last_name;
    const char *password; /* NULL: no password */
    const char *const *roles;
    size_t n_roles;
    bool disabled; /* created disabled (false: enabled) */
    /* A PHC string hashed beforehand, used when password is NULL: so that a
     * caller can hash (slow) before it opens a write transaction. */
    const char *password_hash;
};
enum kh_status manage_user_create(struct store *s, struct arena *a, const char *realm,
                                  const struct user_spec *spec, const char **why) KH_MUST_CHECK;
/* What manage_user_update changes: the fields of `set` (enum upsert_set_bits:
 * email, first_name, last_name, roles; NULL clears a field) and enabled
 * (-1 keeps, 0 or 1 sets). Roles replace the user's roles. */
struct user_changes {
    unsigned set;
    const char *email;
    const char *first_name;
    const char *last_name;
    const char *const *roles;
    size_t n_roles;
    int enabled;
};
/* Changes user `id` (validated as at creation); *out (if not NULL) is the user
 * as it is now. KH_ERR_NOTFOUND: no such user, or a role given does not exist
 * (*why says which); nothing is written then. */
enum kh_status manage_user_update(struct store *s, struct arena *a, const char *realm, const char *id,
                                  const struct user_changes *ch, struct user *out,
                                  const char **why) KH_MUST_CHECK;
enum kh_status manage_user_set_enabled(struct store *s, struct arena *a, const char *realm,
                                       const char *username, bool enabled, const char **why) KH_MUST_CHECK;

struct client_spec {
    const char *client_id;
    const char *grants;         /* "password,client_credentials,refresh_token" */
    const char *scopes;         /* space-separated; NULL: none */
    const char *default_scopes; /* NULL: all of scopes */
    const char *owner;          /* username; NULL: none */
    bool public_client;
    bool opaque;
    const char *name;           /* a display name; NULL: none */
    const char *created_by;     /* the actor (a user id, "client:<id>", "cli"); NULL: unknown */
};
/* On success *secret is the new secret (arena) for a confidential client, else NULL.
 * The client's lifetimes and refresh reuse grace are the realm's. */
enum kh_status manage_client_create(struct store *s, struct arena *a, const char *realm,
                                    const struct client_spec *spec, const char **secret,
                                    const char **why) KH_MUST_CHECK;

/* Finds a client; *why names it when it is missing. */
enum kh_status manage_client_get(struct store *s, struct arena *a, const char *realm,
                                 const char *client_id, struct client *out, const char **why) KH_MUST_CHECK;

/* What client update changes; every field starts as "keep" (MANAGE_CLIENT_SETTINGS_KEEP).
 * Lifetimes: 0 = the realm's, else 1..MANAGE_LIFETIME_MAX. refresh_grace: -1 = the
 * realm's, else 0..MANAGE_GRACE_MAX. grants, scopes, default_scopes: NULL keeps them,
 * else validated as at creation; new scopes without new default scopes keep the
 * defaults if they were all the scopes (they follow), else keep them as they are
 * (which must then be allowed scopes). opaque, enabled: -1 keeps, 0 or 1 sets. */
struct client_settings {
    int64_t access_ttl;
    int64_t refresh_idle_ttl;
    int64_t session_max_ttl;
    int64_t offline_idle_ttl;
    int64_t refresh_grace;
    const char *grants;
    const char *scopes;
    const char *default_scopes;
    int opaque;
    int enabled;
    const char *name;           /* NULL keeps, "" removes the display name */
    const char *owner;          /* username; NULL keeps, "" removes the owner */
};
#define MANAGE_CLIENT_SETTINGS_KEEP                                                          \
    ((struct client_settings){MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, MANAGE_KEEP, \
                              NULL, NULL, NULL, -1, -1, NULL, NULL})

/* Changes the given settings; nothing is written if one of them is invalid.
 * *out (if not NULL) is the client as it is now. */
enum kh_status manage_client_update(struct store *s, struct arena *a, const char *realm,
                                    const char *client_id, const struct client_settings *set,
                                    struct client *out, const char **why) KH_MUST_CHECK;

/* A new secret for a confidential client (*secret, arena; shown once). The
 * previous one keeps working for grace_seconds (0..MANAGE_LIFETIME_MAX; 0: not
 * at all): *old_until is when it stops (0 with no grace). A public client is
 * refused (KH_ERR_INVALID). Two secrets at most: an older previous one ends. */
enum kh_status manage_client_rotate_secret(struct store *s, struct arena *a, const char *realm,
                                           const char *client_id, int64_t grace_seconds,
                                           const char **secret, int64_t *old_until,
                                           const char **why) KH_MUST_CHECK;

/* A client's display name: 1 to 255 bytes without control characters. */
bool manage_is_client_name(const char *s);

/* "password,client_credentials,refresh_token" for a grant bitmask (arena). */
const char *manage_grant_names(struct arena *a, unsigned grants);


struct key_rotation {
    const char *kid;          /* the new key */
    const char *alg;
    int64_t active_from;      /* it signs from then on */
    bool revoked_old;         /* the older keys were retired at once (revoke_old) */
    struct signing_key *older; /* the older keys with their new retire_at (no secret) */
    size_t n_older;
};
/* Creates a key of `alg` (NULL: the realm's; another one becomes the realm's
 * algorithm for later keys) that is published at once and signs from now +
 * KEYRING_JWKS_MAX_AGE, or from now with `now`. Every older key gets retire_at
 * = the new key's active_from + the longest access-token lifetime of the
 * realm and its clients, or keeps a later one it had; `revoke_old`
 * (implies `now`) retires them at once (retire_at = now). *out is in the arena. */
enum kh_status manage_key_rotate(struct store *s, const uint8_t master[AEAD_KEY_LEN], struct arena *a,
                                 const char *realm, const char *alg, bool now, bool revoke_old,
                                 struct key_rotation *out, const char **why) KH_MUST_CHECK;

struct key_info {
    const char *kid;
    const char *alg;
    int64_t active_from;
    int64_t retire_at;        /* 0: not scheduled */
    const char *state;        /* "next" (not signing yet), "active" (signs now), "previous" */
};
/* The realm's published keys (not retired), newest first, in the arena. */
enum kh_status manage_key_list(struct store *s, struct arena *a, const char *realm,
                               struct key_info **out, size_t *n, const char **why) KH_MUST_CHECK;

/* Completes whatever is missing of the default realm's bootstrap: realm, key,
 * `admin` role and user, public `admin-cli` client. *admin_password is set
 * (arena) only when the admin user was created just now with a generated
 * password, so the caller prints it once. */
enum kh_status manage_bootstrap(struct store *s, struct arena *a, const uint8_t master[AEAD_KEY_LEN],
                                const char *realm, const char *env_password,
                                const char **admin_password, const char **why) KH_MUST_CHECK;

#endif
