/* upsert.c - users written by an import: one upsert statement per row, the
 * rows of one call in one transaction (a savepoint of the caller's batch). */
#include <string.h>
#include "store/sqlite/sqlite_internal.h"

#define USERNAME_MAX 255

enum kh_status sqlite_user_upsert_begin(struct store *s)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    sqlite3_stmt *st = c ? sqlite_stmt(c, SQ_SEEN_CREATE) : NULL;
    if (!st || sqlite_exec_stmt(c, st, "user_upsert_begin"))
        return KH_ERR_STORE;
    st = sqlite_stmt(c, SQ_SEEN_CLEAR);
    return st ? sqlite_exec_stmt(c, st, "user_upsert_begin") : KH_ERR_STORE;
}

/* The username of the user with row's email into name ("" when there is
 * none); *ambiguous when several users have it. */
static enum kh_status by_email(struct sqlite_conn *c, int64_t realm_id, struct user_upsert *row,
                               char name[USERNAME_MAX + 1], bool *ambiguous)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_USER_BY_EMAIL);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, row->user.email);
    int found = 0, step;
    name[0] = '\0';
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *u = (const char *)sqlite3_column_text(st, 0);
        size_t n = u ? (size_t)sqlite3_column_bytes(st, 0) : 0;
        if (found++ == 0 && n <= USERNAME_MAX) {
            memcpy(name, u ? u : "", n);
            name[n] = '\0';
        }
    }
    enum kh_status rc = step == SQLITE_DONE ? KH_OK : sqlite_fail(c, "user_upsert");
    sqlite_stmt_done(st);
    *ambiguous = found > 1;
    return rc;
}

/* The upsert statement; the user's id (new or existing) into id[37]. */
static enum kh_status upsert_user(struct sqlite_conn *c, int64_t realm_id,
                                  const struct user_upsert *row, const char *username, char id[37])
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_USER_UPSERT);
    if (!st)
        return KH_ERR_STORE;
    const struct user *u = &row->user;
    sqlite_bind_str(st, 1, u->id);
    sqlite3_bind_int64(st, 2, realm_id);
    sqlite_bind_str(st, 3, username);
    sqlite_bind_str(st, 4, u->email);
    sqlite_bind_str(st, 5, u->first_name);
    sqlite_bind_str(st, 6, u->last_name);
    sqlite3_bind_int64(st, 7, u->created_at);
    sqlite3_bind_int(st, 8, (int)row->set);
    sqlite_bind_str(st, 9, row->set & UPSERT_SET_PASSWORD_HASH ? u->password_hash : NULL);
    enum kh_status rc = KH_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *got = (const char *)sqlite3_column_text(st, 0);
        if (got && strlen(got) <= 36)
            memcpy(id, got, strlen(got) + 1);
        else
            rc = KH_ERR_STORE;
    } else {
        rc = sqlite_fail(c, "user_upsert");
    }
    sqlite_stmt_done(st);
    return rc;
}

/* Marks username as upserted in this series; KH_ERR_CONFLICT if it was already. */
static enum kh_status mark_seen(struct sqlite_conn *c, const char *username)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_SEEN_ADD);
    if (!st)
        return KH_ERR_STORE;
    sqlite_bind_str(st, 1, username);
    return sqlite_exec_stmt(c, st, "user_upsert");
}

static enum kh_status role_id(struct sqlite_conn *c, int64_t realm_id, const char *name,
                              int64_t *out)
{
    sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLE_ID);
    if (!st)
        return KH_ERR_STORE;
    sqlite3_bind_int64(st, 1, realm_id);
    sqlite_bind_str(st, 2, name);
    enum kh_status rc = KH_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    else
        rc = step == SQLITE_DONE ? KH_ERR_NOTFOUND : sqlite_fail(c, "user_upsert");
    sqlite_stmt_done(st);
    return rc;
}

/* KH_ERR_NOTFOUND (*bad = the index) if a role of row is none of the realm's. */
static enum kh_status check_roles(struct sqlite_conn *c, int64_t realm_id,
                                  const struct user_upsert *row, size_t *bad)
{
    for (size_t i = 0; i < row->n_roles; i++) {
        int64_t rid;
        enum kh_status rc = role_id(c, realm_id, row->roles[i], &rid);
        if (rc) {
            *bad = i;
            return rc;
        }
    }
    return KH_OK;
}

/* Replaces the roles of user id (checked before: any failure is the store's). */
static enum kh_status set_roles(struct sqlite_conn *c, int64_t realm_id, const char *id,
                                bool created, const struct user_upsert *row)
{
    sqlite3_stmt *st;
    enum kh_status rc;
    if (!created) {
        if (!(st = sqlite_stmt(c, SQ_USER_ROLES_CLEAR)))
            return KH_ERR_STORE;
        sqlite_bind_str(st, 1, id);
        if ((rc = sqlite_exec_stmt(c, st, "user_upsert")))
            return rc;
    }
    for (size_t i = 0; i < row->n_roles; i++) {
        int64_t rid = 0;
        if (role_id(c, realm_id, row->roles[i], &rid))
            return KH_ERR_STORE;
        if (!(st = sqlite_stmt(c, SQ_USER_ROLE_INSERT)))
            return KH_ERR_STORE;
        sqlite_bind_str(st, 1, id);
        sqlite3_bind_int64(st, 2, rid);
        if ((rc = sqlite_exec_stmt(c, st, "user_upsert")))
            return rc;
    }
    return KH_OK;
}

/* The username the row is about into name: its own, else that of the one
 * user with its email, else its email lowercased (a new user's name).
 * *ambiguous when several users have the email. */
static enum kh_status resolve_name(struct sqlite_conn *c, int64_t realm_id, struct user_upsert *row,
                                   char name[USERNAME_MAX + 1], bool *ambiguous)
{
    const char *given = row->user.username ? row->user.username : row->user.email;
    size_t n = given ? strlen(given) : 0;
    if (!given || n > USERNAME_MAX)
        return KH_ERR_STORE; /* the caller broke the contract */
    *ambiguous = false;
    if (row->user.username) {
        memcpy(name, given, n + 1);
        return KH_OK;
    }
    enum kh_status rc = by_email(c, realm_id, row, name, ambiguous);
    if (rc || name[0])
        return rc;
    for (size_t i = 0; i <= n; i++) /* as SQLite's lower() and manage_username: ASCII */
        name[i] = given[i] >= 'A' && given[i] <= 'Z' ? (char)(given[i] - 'A' + 'a') : given[i];
    return KH_OK;
}

/* One row. Every way a row can fail is found before its first write (the
 * UPSERT_DUPLICATE mark is the last check), so a failed row writes nothing
 * and no savepoint per row is needed; KH_ERR_STORE is the store's own failure. */
static enum kh_status upsert_row(struct sqlite_conn *c, int64_t realm_id, struct user_upsert *row)
{
    char name[USERNAME_MAX + 1], id[37];
    bool ambiguous;
    enum kh_status rc = resolve_name(c, realm_id, row, name, &ambiguous);
    if (rc)
        return rc;
    row->outcome = UPSERT_EMAIL_AMBIGUOUS;
    if (ambiguous)
        return KH_OK;
    row->outcome = UPSERT_UNKNOWN_ROLE;
    if ((row->set & UPSERT_SET_ROLES) && (rc = check_roles(c, realm_id, row, &row->bad_role)))
        return rc == KH_ERR_NOTFOUND ? KH_OK : rc;
    row->outcome = UPSERT_DUPLICATE;
    if ((rc = mark_seen(c, name)))
        return rc == KH_ERR_CONFLICT ? KH_OK : rc;
    if ((rc = upsert_user(c, realm_id, row, name, id)))
        return rc;
    bool created = strcmp(id, row->user.id) == 0;
    row->outcome = created ? UPSERT_CREATED : UPSERT_UPDATED;
    return (row->set & UPSERT_SET_ROLES) ? set_roles(c, realm_id, id, created, row) : KH_OK;
}

/* Inside a batch the rows run without a savepoint: a savepoint would copy
 * every page the rows touch into SQLite's statement journal (a temp file
 * past 64 KiB), which costs more than the writes. Rows fail before their
 * first write, so only the store can fail midway; then the whole batch is
 * rolled back (batch_end reports it). */
static enum kh_status upsert_in_batch(struct sqlite_conn *c, int64_t realm_id,
                                      struct user_upsert *rows, size_t n)
{
    enum kh_status rc = KH_OK;
    if (sqlite3_get_autocommit(c->db))
        return KH_ERR_STORE; /* the batch was rolled back already */
    for (size_t i = 0; i < n && !rc; i++)
        rc = upsert_row(c, realm_id, &rows[i]);
    if (rc) {
        sqlite3_stmt *st = sqlite_stmt(c, SQ_ROLLBACK);
        if (st)
            (void)sqlite_exec_stmt(c, st, "user_upsert");
        return KH_ERR_STORE;
    }
    return KH_OK;
}

enum kh_status sqlite_user_upsert(struct store *s, int64_t realm_id, struct user_upsert *rows,
                                  size_t n)
{
    struct sqlite_conn *c = sqlite_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    if (c->batch)
        return upsert_in_batch(c, realm_id, rows, n);
    enum kh_status rc = sqlite_tx_begin(c, true, "user_upsert");
    if (rc)
        return KH_ERR_STORE;
    for (size_t i = 0; i < n && !rc; i++)
        rc = upsert_row(c, realm_id, &rows[i]);
    rc = sqlite_tx_end(c, rc, "user_upsert");
    return rc ? KH_ERR_STORE : KH_OK;
}
