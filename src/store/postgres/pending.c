/* pending.c - TEMPORARY: the ops of the PostgreSQL backend not written yet.
 * Each block is removed when its file (named in the block) is written. */
#include "store/postgres/pg_internal.h"

/* ==== user.c (H1) ==== */
enum kh_status pg_user_create(struct store *s, const struct user *u, const char *const *role_names, size_t n_roles)
{
    (void)s;
    (void)u;
    (void)role_names;
    (void)n_roles;
    return KH_ERR_STORE;
}
enum kh_status pg_user_find_by_name(struct store *s, struct arena *a, int64_t realm_id, const char *username, struct user *out)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)username;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_user_get(struct store *s, struct arena *a, int64_t realm_id, const char *id, struct user *out)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_user_set_password(struct store *s, int64_t realm_id, const char *id, const char *password_hash)
{
    (void)s;
    (void)realm_id;
    (void)id;
    (void)password_hash;
    return KH_ERR_STORE;
}
enum kh_status pg_user_set_enabled(struct store *s, int64_t realm_id, const char *id, bool enabled)
{
    (void)s;
    (void)realm_id;
    (void)id;
    (void)enabled;
    return KH_ERR_STORE;
}
enum kh_status pg_user_list(struct store *s, struct arena *a, int64_t realm_id, const char *after, size_t limit, struct user **out, size_t *n)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)after;
    (void)limit;
    (void)out;
    (void)n;
    return KH_ERR_STORE;
}
enum kh_status pg_user_access(struct store *s, struct arena *a, int64_t realm_id, const char *user_id, struct access *out)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)user_id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_user_update(struct store *s, const struct user *u, const char *const *roles, size_t n_roles)
{
    (void)s;
    (void)u;
    (void)roles;
    (void)n_roles;
    return KH_ERR_STORE;
}
enum kh_status pg_user_delete(struct store *s, int64_t realm_id, const char *id)
{
    (void)s;
    (void)realm_id;
    (void)id;
    return KH_ERR_STORE;
}
/* ==== end of user.c ==== */

/* ==== upsert.c (H1) ==== */
enum kh_status pg_user_upsert_begin(struct store *s)
{
    (void)s;
    return KH_ERR_STORE;
}
enum kh_status pg_user_upsert(struct store *s, int64_t realm_id, struct user_upsert *rows, size_t n)
{
    (void)s;
    (void)realm_id;
    (void)rows;
    (void)n;
    return KH_ERR_STORE;
}
/* ==== end of upsert.c ==== */

