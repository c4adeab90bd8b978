/* manage.h - creating realms, roles, users and clients, with every rule
 * checked (names, scopes, grants). Shared by the command line and, later,
 * the admin REST API. Each function returns KH_OK or a status with a
 * sentence for the user in *why (a static or arena string). */
#ifndef KH_OAUTH_MANAGE_H
#define KH_OAUTH_MANAGE_H

#include <stdbool.h>
#include "core/aead.h"
#include "core/arena.h"
#include "core/secret.h"
#include "store/store.h"

/* The permissions keyhold itself knows; the admin role holds them all. */
extern const char *const MANAGE_PERMISSIONS[];
extern const size_t MANAGE_N_PERMISSIONS;

enum kh_status manage_realm_create(struct store *s, const uint8_t master[AEAD_KEY_LEN], const char *name,
                                   const char *alg, const char **why) KH_MUST_CHECK;
/* Finds a realm by name; *why says "no realm X" when it is missing. */
enum kh_status manage_realm_get(struct store *s, struct arena *a, const char *name, struct realm *out,
                                const char **why) KH_MUST_CHECK;

enum kh_status manage_role_create(struct store *s, struct arena *a, const char *realm, const char *name,
                                  const char *const *permissions, size_t n, bool all_permissions,
                                  const char **why) KH_MUST_CHECK;

/* Usernames are unique per realm regardless of case: they are stored and
 * looked up in this lowercased form (ASCII letters; other bytes as given). */
char *manage_username(struct arena *a, const char *username);

struct user_spec {
    const char *username;
    const char *email;
    const char *first_name;
    const char *last_name;
    const char *password; /* NULL: no password */
    const char *const *roles;
    size_t n_roles;
};
enum kh_status manage_user_create(struct store *s, struct arena *a, const char *realm,
                                  const struct user_spec *spec, const char **why) KH_MUST_CHECK;
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
};
/* On success *secret is the new secret (arena) for a confidential client, else NULL. */
enum kh_status manage_client_create(struct store *s, struct arena *a, const char *realm,
                                    const struct client_spec *spec, const char **secret,
                                    const char **why) KH_MUST_CHECK;

/* Completes whatever is missing of the default realm's bootstrap: realm, key,
 * `admin` role and user, public `admin-cli` client. *admin_password is set
 * (arena) only when the admin user was created just now with a generated
 * password, so the caller prints it once. */
enum kh_status manage_bootstrap(struct store *s, struct arena *a, const uint8_t master[AEAD_KEY_LEN],
                                const char *realm, const char *env_password,
                                const char **admin_password, const char **why) KH_MUST_CHECK;

#endif
