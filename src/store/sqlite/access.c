/* access.c - opaque access tokens and revoked JWT ids (SQLite).
 *
 * access_find and jti_is_revoked run on every introspection and userinfo
 * request: each is one prepared primary-key lookup, with no transaction of
 * its own (inside a read snapshot they join it). */
#include <string.h>
#include "store/sqlite/sqlite_internal.h"

enum kh_status sqlite_access_insert(struct store *s, const struct access_token *t)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_ACCESS_INSERT) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_blob(st, 1, t->hash, SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, t->realm_id);
    sqlite_bind_str(st, 3, t->client_id);
    sqlite_bind_str(st, 4, t->subject);
    sqlite_bind_str(st, 5, t->user_id);
    sqlite_bind_str(st, 6, t->session_id);
    sqlite_bind_str(st, 7, t->scope ? t->scope : "");
    sqlite3_bind_int64(st, 8, t->issued_at);
    sqlite3_bind_int64(st, 9, t->expires_at);
    return sqlite_exec_stmt(c, st, "access_insert");
}

static void read_access(struct arena *a, sqlite3_stmt *st, struct access_token *t)
{
    const void *hash = sqlite3_column_blob(st, 0);
    if (hash && sqlite3_column_bytes(st, 0) == SHA256_LEN)
        memcpy(t->hash, hash, SHA256_LEN);
    t->realm_id = sqlite3_column_int64(st, 1);
    t->client_id = sqlite_col_str(a, st, 2);
    t->subject = sqlite_col_str(a, st, 3);
    t->user_id = sqlite_col_str(a, st, 4);
    t->session_id = sqlite_col_str(a, st, 5);
    t->scope = sqlite_col_str(a, st, 6);
    t->issued_at = sqlite3_column_int64(st, 7);
    t->expires_at = sqlite3_column_int64(st, 8);
    t->revoked_at = sqlite3_column_int64(st, 9);
}

enum kh_status sqlite_access_find(struct store *s, struct arena *a,
                                  const uint8_t hash[SHA256_LEN], struct access_token *out)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_ACCESS_FIND) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, SHA256_LEN, SQLITE_STATIC);
    struct access_token t = {0};
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        read_access(a, st, &t);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "access_find");
    sqlite_stmt_done(st);
    if (!rc)
        *out = t;
    return rc;
}

enum kh_status sqlite_access_revoke(struct store *s, const uint8_t hash[SHA256_LEN], int64_t now)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_ACCESS_REVOKE) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_blob(st, 1, hash, SHA256_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    enum kh_status rc = sqlite_exec_stmt(c, st, "access_revoke");
    /* The UPDATE matches every known token, revoked already or not. */
    if (!rc && sqlite3_changes(c->db) == 0)
        rc = KH_ERR_NOTFOUND;
    return rc;
}

enum kh_status sqlite_jti_revoke(struct store *s, int64_t realm_id, const char *jti,
                                 int64_t expires_at)
{
    struct sqlite_conn *c = sqlite_conn_write(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_JTI_REVOKE) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, jti);
    sqlite3_bind_int64(st, 3, expires_at);
    return sqlite_exec_stmt(c, st, "jti_revoke");
}

enum kh_status sqlite_jti_is_revoked(struct store *s, int64_t realm_id, const char *jti)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_JTI_IS_REVOKED) : NULL;
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, jti);
    int step = sqlite3_step(st);
    enum kh_status rc = step == SQLITE_ROW    ? KH_OK
                        : step == SQLITE_DONE ? KH_ERR_NOTFOUND
                                              : sqlite_fail(c, "jti_is_revoked");
    sqlite_stmt_done(st);
    return rc;
}
