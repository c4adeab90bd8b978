/* pending.c - TEMPORARY: the ops of the PostgreSQL backend not written yet.
 * Each block is removed when its file (named in the block) is written. */
#include "store/postgres/pg_internal.h"

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
