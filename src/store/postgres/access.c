/* access.c - opaque access tokens and revoked JWT ids (PostgreSQL).
 *
 * access_find and jti_is_revoked run on every introspection and userinfo
 * request: each is one prepared primary-key lookup, one round trip, with no
 * transaction of its own. */
#include "store/postgres/pg_internal.h"

#define ACCESS_COLS "hash, realm_id, client_id, subject, user_id, session_id, scope, " \
    "issued_at, expires_at, revoked_at"

static struct pg_stmt access_insert = PG_STMT(
    "INSERT INTO access_tokens (" ACCESS_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0)");
static struct pg_stmt access_find = PG_STMT(
    "SELECT " ACCESS_COLS " FROM access_tokens WHERE hash = $1");
/* Matches any known token (one row) but keeps the first revocation time. */
static struct pg_stmt access_revoke = PG_STMT(
    "UPDATE access_tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN $2::bigint "
    "ELSE revoked_at END WHERE hash = $1");
static struct pg_stmt jti_revoke = PG_STMT(
    "INSERT INTO revoked_jtis (realm_id, jti, expires_at) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING");
static struct pg_stmt jti_is_revoked = PG_STMT(
    "SELECT 1 FROM revoked_jtis WHERE realm_id = $1 AND jti = $2");

enum kh_status pg_access_insert(struct store *s, const struct access_token *t)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_bytes(&p, t->hash, SHA256_LEN);
    pg_p_int(&p, t->realm_id);
    pg_p_str(&p, t->client_id);
    pg_p_str(&p, t->subject);
    pg_p_str(&p, t->user_id);
    pg_p_str(&p, t->session_id);
    pg_p_str(&p, t->scope ? t->scope : "");
    pg_p_int(&p, t->issued_at);
    pg_p_int(&p, t->expires_at);
    return pg_exec(c, &access_insert, &p, "access_insert", NULL);
}

static void read_access(struct arena *a, const PGresult *res, struct access_token *t)
{
    pg_bytes(res, 0, 0, t->hash, SHA256_LEN);
    t->realm_id = pg_int(res, 0, 1);
    t->client_id = pg_str(a, res, 0, 2);
    t->subject = pg_str(a, res, 0, 3);
    t->user_id = pg_str(a, res, 0, 4);
    t->session_id = pg_str(a, res, 0, 5);
    t->scope = pg_str(a, res, 0, 6);
    t->issued_at = pg_int(res, 0, 7);
    t->expires_at = pg_int(res, 0, 8);
    t->revoked_at = pg_int(res, 0, 9);
}

enum kh_status pg_access_find(struct store *s, struct arena *a, const uint8_t hash[SHA256_LEN],
                              struct access_token *out)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, SHA256_LEN);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_row(c, &access_find, &p, "access_find", &res);
    if (rc)
        return rc;
    struct access_token t = {0};
    read_access(a, res, &t);
    *out = t;
    PQclear(res);
    return KH_OK;
}

enum kh_status pg_access_revoke(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_bytes(&p, hash, SHA256_LEN);
    pg_p_int(&p, now);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &access_revoke, &p, "access_revoke", &changed);
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

enum kh_status pg_jti_revoke(struct store *s, int64_t realm_id, const char *jti,
                             int64_t expires_at)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, jti);
    pg_p_int(&p, expires_at);
    return pg_exec(c, &jti_revoke, &p, "jti_revoke", NULL);
}

enum kh_status pg_jti_is_revoked(struct store *s, int64_t realm_id, const char *jti)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_str(&p, jti);
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &jti_is_revoked, &p, "jti_is_revoked", &res);
    if (rc)
        return rc;
    rc = PQntuples(res) > 0 ? KH_OK : KH_ERR_NOTFOUND;
    PQclear(res);
    return rc;
}
