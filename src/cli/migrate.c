/* migrate.c - keyhold migrate: a SQLite database's state into PostgreSQL
 * (store/copy.h). */
#include <getopt.h>
#include <stdio.h>
#include "cli/cli.h"
#include "store/copy.h"

static const char USAGE[] =
    "usage: keyhold migrate --from FILE --to URL\n"
    "\n"
    "Copies every realm, user, client, session, token, signing key, import record,\n"
    "audit event and lockout counter of a SQLite database into an empty PostgreSQL\n"
    "database, in one transaction: it all arrives or nothing does. Stop keyhold\n"
    "first (a running server's later writes would not be copied).\n"
    "\n"
    "  --from FILE   the SQLite database (keyhold.db)\n"
    "  --to URL      the PostgreSQL database, postgres://USER@HOST/DB; it must hold\n"
    "                no realm yet (its tables are created if missing)\n"
    "\n"
    "The signing keys and audit checkpoints stay sealed under the master key: start\n"
    "the instances on PostgreSQL with the key of the SQLite database, e.g.\n"
    "KEYHOLD_MASTER_KEY_FILE=keyhold.db.key.\n";

struct migrate_opts {
    const char *from, *to;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct migrate_opts *o = ctx;
    switch (c) {
    case 'f': o->from = arg; return 0;
    case 't': o->to = arg; return 0;
    default: return -1;
    }
}

int cli_migrate(int argc, char **argv)
{
    static const struct option longs[] = {
        {"from", required_argument, NULL, 'f'},
        {"to", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct migrate_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, NULL, 0);
    if (rc)
        return cli_parsed(rc);
    if (!o.from || !o.to)
        return cli_usage_error(USAGE, "migrate needs --from FILE and --to URL");
    if (!store_url_is_postgres(o.to))
        return cli_usage_error(USAGE, "--to must be a postgres:// or postgresql:// URL");
    if (store_url_is_postgres(o.from))
        return cli_usage_error(USAGE, "--from must be a SQLite file");
    struct copy_count counts[COPY_TABLES] = {0};
    switch (store_copy_to_postgres(o.from, o.to, counts)) {
    case KH_OK:
        break;
    case KH_ERR_CONFLICT:
        return cli_fail("the PostgreSQL database already holds realms; nothing was copied");
    default:
        return cli_fail("the copy failed and was rolled back; nothing was copied "
                        "(see the log line above)");
    }
    int64_t total = 0;
    for (size_t i = 0; i < COPY_TABLES; i++) {
        printf("%-18s %lld\n", counts[i].table, (long long)counts[i].rows);
        total += counts[i].rows;
    }
    printf("copied %lld rows in one transaction\n", (long long)total);
    return CLI_OK;
}
