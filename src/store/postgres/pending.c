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

/* ==== session.c (H3) ==== */
enum kh_status pg_session_start(struct store *s, const struct session *sess, const struct refresh_token *first)
{
    (void)s;
    (void)sess;
    (void)first;
    return KH_ERR_STORE;
}
enum kh_status pg_refresh_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN], struct refresh_token *out)
{
    (void)s;
    (void)a;
    (void)hash;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_refresh_rotate(struct store *s, const uint8_t old_hash[SHA256_LEN], const struct refresh_token *next, int64_t now, int64_t grace)
{
    (void)s;
    (void)old_hash;
    (void)next;
    (void)now;
    (void)grace;
    return KH_ERR_STORE;
}
enum kh_status pg_session_revoke(struct store *s, const char *session_id, int64_t now)
{
    (void)s;
    (void)session_id;
    (void)now;
    return KH_ERR_STORE;
}
enum kh_status pg_session_find(struct store *s, struct arena *a, const char *session_id, struct session *out)
{
    (void)s;
    (void)a;
    (void)session_id;
    (void)out;
    return KH_ERR_STORE;
}
/* ==== end of session.c ==== */

/* ==== access.c (H3) ==== */
enum kh_status pg_access_insert(struct store *s, const struct access_token *t)
{
    (void)s;
    (void)t;
    return KH_ERR_STORE;
}
enum kh_status pg_access_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN], struct access_token *out)
{
    (void)s;
    (void)a;
    (void)hash;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_access_revoke(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now)
{
    (void)s;
    (void)hash;
    (void)now;
    return KH_ERR_STORE;
}
enum kh_status pg_jti_revoke(struct store *s, int64_t realm_id, const char *jti, int64_t expires_at)
{
    (void)s;
    (void)realm_id;
    (void)jti;
    (void)expires_at;
    return KH_ERR_STORE;
}
enum kh_status pg_jti_is_revoked(struct store *s, int64_t realm_id, const char *jti)
{
    (void)s;
    (void)realm_id;
    (void)jti;
    return KH_ERR_STORE;
}
/* ==== end of access.c ==== */

/* ==== purge.c (H3) ==== */
enum kh_status pg_purge(struct store *s, int64_t now, size_t batch, struct purge_counts *out)
{
    (void)s;
    (void)now;
    (void)batch;
    (void)out;
    return KH_ERR_STORE;
}
/* ==== end of purge.c ==== */

/* ==== lockout.c (H3) ==== */
enum kh_status pg_lockout_find(struct store *s, int64_t realm_id, struct lockout_row *rows, size_t n)
{
    (void)s;
    (void)realm_id;
    (void)rows;
    (void)n;
    return KH_ERR_STORE;
}
enum kh_status pg_lockout_fail(struct store *s, int64_t realm_id, const char *kind, const char *key, int64_t now, const struct lockout_rule *rule, struct lockout_row *out)
{
    (void)s;
    (void)realm_id;
    (void)kind;
    (void)key;
    (void)now;
    (void)rule;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_lockout_clear(struct store *s, int64_t realm_id, const char *kind, const char *key)
{
    (void)s;
    (void)realm_id;
    (void)kind;
    (void)key;
    return KH_ERR_STORE;
}
enum kh_status pg_lockout_list(struct store *s, struct arena *a, int64_t realm_id, const char *after_kind, const char *after_key, size_t limit, struct lockout_row **out, size_t *n)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)after_kind;
    (void)after_key;
    (void)limit;
    (void)out;
    (void)n;
    return KH_ERR_STORE;
}
/* ==== end of lockout.c ==== */
