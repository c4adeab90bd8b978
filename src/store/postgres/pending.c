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

/* ==== client.c (H2) ==== */
enum kh_status pg_client_create(struct store *s, const struct client *c)
{
    (void)s;
    (void)c;
    return KH_ERR_STORE;
}
enum kh_status pg_client_find(struct store *s, struct arena *a, int64_t realm_id, const char *client_id, struct client *out)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)client_id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_client_max_access_ttl(struct store *s, int64_t realm_id, int64_t *out)
{
    (void)s;
    (void)realm_id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_client_set_secret(struct store *s, int64_t realm_id, const char *client_id, const uint8_t hash[SHA256_LEN])
{
    (void)s;
    (void)realm_id;
    (void)client_id;
    (void)hash;
    return KH_ERR_STORE;
}
enum kh_status pg_client_update(struct store *s, const struct client *c)
{
    (void)s;
    (void)c;
    return KH_ERR_STORE;
}
enum kh_status pg_client_rotate_secret(struct store *s, int64_t realm_id, const char *client_id, const uint8_t hash[SHA256_LEN], int64_t old_until)
{
    (void)s;
    (void)realm_id;
    (void)client_id;
    (void)hash;
    (void)old_until;
    return KH_ERR_STORE;
}
enum kh_status pg_client_list(struct store *s, struct arena *a, int64_t realm_id, const char *after, size_t limit, struct client **out, size_t *n)
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
enum kh_status pg_client_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    (void)s;
    (void)realm_id;
    (void)client_id;
    return KH_ERR_STORE;
}
enum kh_status pg_client_delete_in(struct pg_conn *c, int64_t realm_id, const char *client_id)
{
    (void)c;
    (void)realm_id;
    (void)client_id;
    return KH_ERR_STORE;
}
/* ==== end of client.c ==== */

/* ==== integration.c (H2) ==== */
enum kh_status pg_integration_list(struct store *s, struct arena *a, int64_t realm_id, const char *after, size_t limit, struct integration **out, size_t *n)
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
enum kh_status pg_integration_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    (void)s;
    (void)realm_id;
    (void)client_id;
    return KH_ERR_STORE;
}
enum kh_status pg_client_touch(struct store *s, const struct client_use *uses, size_t n, int64_t min_interval)
{
    (void)s;
    (void)uses;
    (void)n;
    (void)min_interval;
    return KH_ERR_STORE;
}
/* ==== end of integration.c ==== */

/* ==== key.c (H2) ==== */
enum kh_status pg_key_insert(struct store *s, const struct signing_key *k)
{
    (void)s;
    (void)k;
    return KH_ERR_STORE;
}
enum kh_status pg_key_update(struct store *s, const char *kid, int64_t active_from, int64_t retire_at)
{
    (void)s;
    (void)kid;
    (void)active_from;
    (void)retire_at;
    return KH_ERR_STORE;
}
enum kh_status pg_key_list(struct store *s, struct arena *a, int64_t realm_id, struct signing_key **out, size_t *n)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)out;
    (void)n;
    return KH_ERR_STORE;
}
/* ==== end of key.c ==== */

/* ==== imports.c (H4) ==== */
enum kh_status pg_import_insert(struct store *s, const struct import_record *r)
{
    (void)s;
    (void)r;
    return KH_ERR_STORE;
}
enum kh_status pg_import_get(struct store *s, struct arena *a, int64_t realm_id, const char *id, struct import_record *out)
{
    (void)s;
    (void)a;
    (void)realm_id;
    (void)id;
    (void)out;
    return KH_ERR_STORE;
}
/* ==== end of imports.c ==== */

/* ==== audit.c (H4) ==== */
enum kh_status pg_audit_append(struct store *s, struct audit_entry *rows, size_t n)
{
    (void)s;
    (void)rows;
    (void)n;
    return KH_ERR_STORE;
}
enum kh_status pg_audit_head(struct store *s, int64_t realm_id, struct audit_head *out)
{
    (void)s;
    (void)realm_id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_audit_list(struct store *s, struct arena *a, const struct audit_query *q, struct audit_entry **out, size_t *n)
{
    (void)s;
    (void)a;
    (void)q;
    (void)out;
    (void)n;
    return KH_ERR_STORE;
}
enum kh_status pg_audit_checkpoint_find(struct store *s, int64_t realm_id, struct audit_checkpoint *out)
{
    (void)s;
    (void)realm_id;
    (void)out;
    return KH_ERR_STORE;
}
enum kh_status pg_audit_purge(struct store *s, const struct audit_checkpoint *cp, int64_t prev_seq, size_t *removed)
{
    (void)s;
    (void)cp;
    (void)prev_seq;
    (void)removed;
    return KH_ERR_STORE;
}
/* ==== end of audit.c ==== */
