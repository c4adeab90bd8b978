/* client.c - keyhold client create: prints a new secret exactly once. */
#include <getopt.h>
#include <stdio.h>
#include "cli/cli.h"
#include "core/jsonw.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold client create REALM CLIENT_ID --grant G[,G] [--scope \"a b\"] [--default-scope \"a\"]\n"
    "                             [--owner USERNAME] [--public] [--opaque] [--db FILE] [--json]\n"
    "\n"
    "  --grant G[,G]        grant types: password, client_credentials, refresh_token\n"
    "  --scope \"a b\"        scopes the client may request\n"
    "  --default-scope \"a\"  scopes granted when none is requested (default: all of --scope)\n"
    "  --owner USERNAME     client credentials act with this user's permissions\n"
    "  --public             a public client (no secret; not for client_credentials)\n"
    "  --opaque             opaque access tokens instead of JWTs\n"
    "  --db FILE            the database (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json               print {\"client_id\":…,\"client_secret\":…} for scripts\n"
    "\n"
    "The secret of a confidential client is printed once and never again.\n";

struct client_opts {
    const char *db;
    const char *pos[2]; /* realm, client id */
    struct client_spec spec;
    const char *secret;
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct client_opts *o = ctx;
    switch (c) {
    case 'g': o->spec.grants = arg; return 0;
    case 's': o->spec.scopes = arg; return 0;
    case 'S': o->spec.default_scopes = arg; return 0;
    case 'o': o->spec.owner = arg; return 0;
    case 'P': o->spec.public_client = true; return 0;
    case 'O': o->spec.opaque = true; return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static void client_json(struct jsonw *w, const void *ctx)
{
    const struct client_opts *o = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "client_id", o->spec.client_id);
    if (o->secret)
        jsonw_kv_str(w, "client_secret", o->secret);
    jsonw_obj_end(w);
}

static int do_create(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct client_opts *o = ctx;
    const char *why = NULL;
    if (manage_client_create(s, a, o->pos[0], &o->spec, &o->secret, &why))
        return cli_fail("cannot create client \"%s\": %s", o->spec.client_id, why);
    if (o->json) {
        cli_print_json(client_json, o);
        return CLI_OK;
    }
    printf("created %s client \"%s\" in realm \"%s\"\n", o->secret ? "confidential" : "public",
           o->spec.client_id, o->pos[0]);
    if (o->secret)
        printf("client secret (shown once, store it now): %s\n", o->secret);
    return CLI_OK;
}

static int create(int argc, char **argv)
{
    static const struct option longs[] = {
        {"grant", required_argument, NULL, 'g'},  {"scope", required_argument, NULL, 's'},
        {"default-scope", required_argument, NULL, 'S'}, {"owner", required_argument, NULL, 'o'},
        {"public", no_argument, NULL, 'P'},       {"opaque", no_argument, NULL, 'O'},
        {"db", required_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    struct client_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    if (!o.spec.grants)
        return cli_usage_error(USAGE, "--grant is required");
    o.spec.client_id = o.pos[1];
    return cli_with_store(o.db, do_create, &o);
}

int cli_client(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"create", create}};
    return cli_dispatch(subs, 1, USAGE, argc, argv);
}
