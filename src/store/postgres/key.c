/* key.c - signing keys (PostgreSQL). */
#include "core/clock.h"
#include "store/postgres/pg_internal.h"

static struct pg_stmt key_insert = PG_STMT(
    "INSERT INTO signing_keys (kid, realm_id, alg, private_enc, created_at, active_from, "
    "retire_at) VALUES ($1, $2, $3, $4, $5, $6, $7)");
static struct pg_stmt key_update = PG_STMT(
    "UPDATE signing_keys SET active_from = $2, retire_at = $3 WHERE kid = $1");
/* Newest first; a tie of created_at (two keys of one second: a rotation
 * right after the realm's creation) goes by insertion order (seq), as
 * SQLite's rowid does. */
static struct pg_stmt key_list = PG_STMT(
    "SELECT kid, realm_id, alg, private_enc, created_at, active_from, retire_at "
    "FROM signing_keys WHERE realm_id = $1 AND (retire_at = 0 OR retire_at > $2) "
    "ORDER BY created_at DESC, seq DESC");

enum kh_status pg_key_insert(struct store *s, const struct signing_key *k)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, k->kid);
    pg_p_int(&p, k->realm_id);
    pg_p_str(&p, k->alg);
    /* Zero bytes, not NULL, when empty: the column is NOT NULL. */
    pg_p_bytes(&p, k->private_enc ? (const void *)k->private_enc : "",
               k->private_enc ? k->private_enc_len : 0);
    pg_p_int(&p, k->created_at);
    pg_p_int(&p, k->active_from);
    pg_p_int(&p, k->retire_at);
    return pg_exec(c, &key_insert, &p, "key_insert", NULL);
}

enum kh_status pg_key_update(struct store *s, const char *kid, int64_t active_from,
                             int64_t retire_at)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_str(&p, kid);
    pg_p_int(&p, active_from);
    pg_p_int(&p, retire_at);
    int64_t changed = 0;
    enum kh_status rc = pg_exec_count(c, &key_update, &p, "key_update", &changed);
    return !rc && changed == 0 ? KH_ERR_NOTFOUND : rc;
}

static void read_key(struct arena *a, const PGresult *res, int row, struct signing_key *k)
{
    k->kid = pg_str(a, res, row, 0);
    k->realm_id = pg_int(res, row, 1);
    k->alg = pg_str(a, res, row, 2);
    size_t n = 0;
    const uint8_t *enc = pg_bytes_dup(a, res, row, 3, &n);
    k->private_enc = n > 0 ? enc : NULL; /* empty reads as none, as in SQLite */
    k->private_enc_len = n;
    k->created_at = pg_int(res, row, 4);
    k->active_from = pg_int(res, row, 5);
    k->retire_at = pg_int(res, row, 6);
}

enum kh_status pg_key_list(struct store *s, struct arena *a, int64_t realm_id,
                           struct signing_key **out, size_t *n)
{
    struct pg_conn *c = pg_conn_get(s);
    if (!c)
        return KH_ERR_STORE;
    struct pg_params p = {0};
    pg_p_int(&p, realm_id);
    pg_p_int(&p, clock_now());
    PGresult *res = NULL;
    enum kh_status rc = pg_exec(c, &key_list, &p, "key_list", &res);
    if (rc)
        return rc;
    int rows = PQntuples(res);
    struct signing_key *v = arena_alloc(a, (size_t)(rows ? rows : 1) * sizeof(*v));
    for (int i = 0; i < rows; i++)
        read_key(a, res, i, &v[i]);
    PQclear(res);
    *out = v;
    *n = (size_t)rows;
    return KH_OK;
}
