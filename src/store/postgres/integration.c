/* integration.c - integrations ("new client credentials") and the clients'
 * last use (PostgreSQL). An integration is a row of clients with
 * integration = 1; creating one is client_create. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "store/postgres/client_rows.h"

/* After the client's columns, its owner's username and enabled. */
#define OWNER_COL PG_CLIENT_NCOLS

static struct pg_stmt integration_list = PG_STMT(
    "SELECT " PG_CLIENT_COLS("c.") ", u.username, u.enabled "
    "FROM clients c LEFT JOIN users u ON u.id = c.owner_user_id "
    "WHERE c.realm_id = $1 AND c.integration = 1 AND c.client_id > $2 "
    "ORDER BY c.client_id LIMIT $3");
/* client_delete's statement for an integration only: an ordinary client of
 * that client_id is left alone, tokens and all. */
static struct pg_stmt integration_delete = PG_STMT(PG_CLIENT_DELETE_SQL(" AND integration = 1"));
/* One statement over the uses as arrays (realm ids, client ids, times); a
 * client listed twice counts once, at its latest use. The rows are locked in
 * id order (FOR NO KEY UPDATE, the UPDATE's own lock, after ORDER BY) so that
 * instances touching the same clients at once queue instead of deadlocking;
 * a row another writer held is checked again once free (READ COMMITTED), so
 * the once-per-min_interval rule holds whoever wrote first. */
static struct pg_stmt client_touch = PG_STMT(
    "WITH u AS (SELECT realm_id, client_id, max(at) AS at "
    "FROM unnest($1::bigint[], $2::text[], $3::bigint[]) AS t(realm_id, client_id, at) "
    "GROUP BY realm_id, client_id), "
    "l AS (SELECT c.id, u.at FROM clients c "
    "JOIN u ON c.realm_id = u.realm_id AND c.client_id = u.client_id "
    "WHERE c.last_used_at <= u.at - $4::bigint ORDER BY c.id FOR NO KEY UPDATE OF c) "
    "UPDATE clients c SET last_used_at = l.at FROM l WHERE c.id = l.id");

enum kh_status pg_integration_list(struct store *s, struct arena *a, int64_t realm_id,
                                   const char *after, size_t limit, struct integration **out,
                                   size_t *n)
{
    PGresult *res = NULL;
    enum kh_status rc = pg_exec_page(s, &integration_list, realm_id, after, limit, "integration_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct integration *items = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*items));
    for (int i = 0; i < rows; i++) {
        struct integration *it = &items[i];
        *it = (struct integration){0};
        pg_read_client(a, res, i, &it->client);
        it->owner_username = pg_str(a, res, i, OWNER_COL); /* NULL: the owner is gone */
        it->owner_enabled = pg_bool(res, i, OWNER_COL + 1);
    }
    PQclear(res);
    *out = items;
    *n = (size_t)rows;
    return KH_OK;
}

/* One statement: a transaction of its own. */
enum kh_status pg_integration_delete(struct store *s, int64_t realm_id, const char *client_id)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    return pg_client_delete_run(c, &integration_delete, realm_id, client_id,
                                "integration_delete");
}

/* The uses' realm ids, client ids and times as the array literals of the
 * statement's $1..$3. */
static enum kh_status use_arrays(const struct client_use *uses, size_t n, struct buf cols[3])
{
    enum kh_status rc = KH_OK;
    for (int k = 0; k < 3; k++) {
        buf_init(&cols[k], SIZE_MAX);
        rc = rc ? rc : buf_addc(&cols[k], '{');
    }
    for (size_t i = 0; i < n && !rc; i++) {
        rc = pg_array_int(&cols[0], uses[i].realm_id);
        rc = rc ? rc : pg_array_str(&cols[1], uses[i].client_id);
        rc = rc ? rc : pg_array_int(&cols[2], uses[i].at);
    }
    for (int k = 0; k < 3 && !rc; k++)
        rc = buf_addc(&cols[k], '}');
    return rc;
}

enum kh_status pg_client_touch(struct store *s, const struct client_use *uses, size_t n,
                               int64_t min_interval)
{
    if (n == 0)
        return KH_OK;
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct buf cols[3];
    enum kh_status rc = use_arrays(uses, n, cols);
    if (!rc) {
        struct pg_params p = {0};
        pg_p_str(&p, cols[0].data);
        pg_p_str(&p, cols[1].data);
        pg_p_str(&p, cols[2].data);
        pg_p_int(&p, min_interval);
        rc = pg_exec(c, &client_touch, &p, "client_touch", NULL);
    }
    for (int k = 0; k < 3; k++)
        buf_free(&cols[k]);
    return rc;
}
