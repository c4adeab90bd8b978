/* store.c - picks the store backend from a URL. */
#include <string.h>
#include "core/log.h"
#include "store/store.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum kh_status store_open(const char *url, struct store **out)
{
    if (!url || !out)
        return KH_ERR_INVALID;
    if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://"))
        return store_postgres_ops.open(url, out);
    /* Anything else is the path of a SQLite database file. */
    return store_sqlite_ops.open(url, out);
}

void store_close(struct store *s)
{
    if (s)
        s->ops->close(s);
}
