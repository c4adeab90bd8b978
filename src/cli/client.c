/* client.c - keyhold client create|update|rotate-secret: a secret is printed
 * exactly once. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold client create REALM CLIENT_ID --grant G[,G] [--scope \"a b\"] [--default-scope \"a\"]\n"
    "                             [--owner USERNAME] [--public] [--opaque] [--db FILE] [--json]\n"
    "       keyhold client update REALM CLIENT_ID [--access-token-lifetime S]\n"
    "                             [--refresh-idle-lifetime S] [--session-max-lifetime S]\n"
    "                             [--offline-idle-lifetime S] [--refresh-reuse-grace S|realm]\n"
    "                             [--grant G[,G]] [--scope \"a b\"] [--default-scope \"a\"]\n"
    "                             [--opaque | --jwt] [--enable | --disable] [--db FILE] [--json]\n"
    "       keyhold client rotate-secret REALM CLIENT_ID [--grace SECONDS] [--db FILE] [--json]\n"
    "\n"
    "  --grant G[,G]        grant types: password, client_credentials, refresh_token\n"
    "  --scope \"a b\"        scopes the client may request\n"
    "  --default-scope \"a\"  scopes granted when none is requested (default: all of --scope)\n"
    "  --owner USERNAME     client credentials act with this user's permissions\n"
    "  --public             a public client (no secret; not for client_credentials)\n"
    "  --opaque             opaque access tokens (kha_...) instead of JWTs; --jwt: JWTs again\n"
    "  --enable, --disable  a disabled client gets no tokens\n"
    "  --access-token-lifetime S, --refresh-idle-lifetime S, --session-max-lifetime S,\n"
    "  --offline-idle-lifetime S\n"
    "                       this client's lifetimes in seconds (1..31536000; 0: the realm's)\n"
    "  --refresh-reuse-grace S|realm\n"
    "                       a rotated refresh token may be presented once more within S\n"
    "                       seconds (0..3600); realm: the realm's\n"
    "  --grace SECONDS      the previous secret keeps working this long (default 0: not at all)\n"
    "  --db DB              a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json               print one JSON object for scripts: create and rotate-secret\n"
    "                       {\"client_id\":…,\"client_secret\":…}, update the client's settings\n"
    "\n"
    "A new secret is printed once and never again. Update changes only the settings given;\n"
    "new --scope without --default-scope keeps the default scopes, or makes them all of the\n"
    "new scopes if they were all of the old ones.\n";

enum {
    OPT_JWT = CLI_OPT_REFRESH_GRACE + 1,
    OPT_ENABLE,
    OPT_DISABLE,
    OPT_GRACE,
};

struct client_opts {
    const char *db;
    const char *pos[2]; /* realm, client id */
    struct client_spec spec;         /* create */
    struct client_settings set;      /* update */
    bool changes;
    bool opaque, jwt, enable, disable;
    int64_t grace;                   /* rotate-secret */
    const char *secret;
    int64_t old_until;
    struct client client;            /* update: the result */
    bool json;
};

static int on_lifetime(struct client_opts *o, int c, const char *arg)
{
    int64_t *field = NULL;
    switch (c) {
    case CLI_OPT_ACCESS_TTL: field = &o->set.access_ttl; break;
    case CLI_OPT_REFRESH_IDLE_TTL: field = &o->set.refresh_idle_ttl; break;
    case CLI_OPT_SESSION_MAX_TTL: field = &o->set.session_max_ttl; break;
    case CLI_OPT_OFFLINE_IDLE_TTL: field = &o->set.offline_idle_ttl; break;
    case CLI_OPT_REFRESH_GRACE:
        if (strcmp(arg, "realm") == 0) {
            o->set.refresh_grace = -1;
            return 0;
        }
        field = &o->set.refresh_grace;
        break;
    default: return -1;
    }
    return cli_int(arg, field);
}

/* Each option is set on both create's spec and update's settings; each
 * subcommand's table admits only its own. */
static int on_opt(int c, const char *arg, void *ctx)
{
    struct client_opts *o = ctx;
    if (c != 'd' && c != 'j')
        o->changes = true; /* for update: some setting was given */
    switch (c) {
    case 'g': o->spec.grants = o->set.grants = arg; return 0;
    case 's': o->spec.scopes = o->set.scopes = arg; return 0;
    case 'S': o->spec.default_scopes = o->set.default_scopes = arg; return 0;
    case 'o': o->spec.owner = arg; return 0;
    case 'P': o->spec.public_client = true; return 0;
    case 'O': o->spec.opaque = o->opaque = true; return 0;
    case OPT_JWT: o->jwt = true; return 0;
    case OPT_ENABLE: o->enable = true; return 0;
    case OPT_DISABLE: o->disable = true; return 0;
    case OPT_GRACE: return cli_int(arg, &o->grace);
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return on_lifetime(o, c, arg);
}

static void secret_json(struct jsonw *w, const void *ctx)
{
    const struct client_opts *o = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "client_id", o->pos[1]);
    if (o->secret)
        jsonw_kv_str(w, "client_secret", o->secret);
    if (o->old_until >= 0)
        jsonw_kv_int(w, "old_secret_valid_until", o->old_until);
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
        cli_print_json(secret_json, o);
    } else {
        printf("created %s client \"%s\" in realm \"%s\"\n",
               o->secret ? "confidential" : "public", o->spec.client_id, o->pos[0]);
        if (o->secret)
            printf("client secret (shown once, store it now): %s\n", o->secret);
    }
    fflush(stdout); /* the secret is out even if the audit event fails */
    const char *detail = arena_printf(a, "%s grants=%s scope=%s%s%s",
                                      o->secret ? "confidential" : "public", o->spec.grants,
                                      o->spec.scopes ? o->spec.scopes : "",
                                      o->spec.owner ? " owner=" : "",
                                      o->spec.owner ? o->spec.owner : "");
    return cli_audit_change(s, o->pos[0], AUDIT_CLIENT_CREATE, o->spec.client_id, detail);
}

static void client_json(struct jsonw *w, const void *ctx)
{
    const struct client_opts *o = ctx;
    const struct client *c = &o->client;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "client_id", c->client_id);
    jsonw_kv_bool(w, "confidential", c->confidential);
    jsonw_kv_bool(w, "enabled", c->enabled);
    jsonw_kv_str(w, "access_token_format", c->opaque ? "opaque" : "jwt");
    jsonw_kv_str(w, "grants", o->spec.grants);
    jsonw_kv_str(w, "scope", c->scopes);
    jsonw_kv_str(w, "default_scope", c->default_scopes);
    /* 0 (lifetimes) and -1 (grace): the realm's */
    jsonw_kv_int(w, "access_token_lifetime", c->access_ttl);
    jsonw_kv_int(w, "refresh_idle_lifetime", c->refresh_idle_ttl);
    jsonw_kv_int(w, "session_max_lifetime", c->session_max_ttl);
    jsonw_kv_int(w, "offline_idle_lifetime", c->offline_idle_ttl);
    jsonw_kv_int(w, "refresh_reuse_grace", c->refresh_grace);
    jsonw_obj_end(w);
}

static const char *seconds_or_realm(struct arena *a, int64_t v, int64_t realm_value)
{
    return v == realm_value ? "realm's" : arena_printf(a, "%llds", (long long)v);
}

static int do_update(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct client_opts *o = ctx;
    const char *why = NULL;
    const struct client *c = &o->client;
    if (manage_client_update(s, a, o->pos[0], o->pos[1], &o->set, &o->client, &why))
        return cli_fail("cannot update client \"%s\": %s", o->pos[1], why);
    o->spec.grants = manage_grant_names(a, c->grants);
    const char *detail = arena_printf(a, "%s grants=%s scope=%s", c->enabled ? "enabled" : "disabled",
                                      o->spec.grants, c->scopes);
    if (o->json) {
        cli_print_json(client_json, o);
        return cli_audit_change(s, o->pos[0], AUDIT_CLIENT_UPDATE, c->client_id, detail);
    }
    printf("updated client \"%s\" in realm \"%s\": %s, %s access tokens, grants=%s, scope=\"%s\", "
           "default_scope=\"%s\", access_token_lifetime=%s refresh_idle_lifetime=%s "
           "session_max_lifetime=%s offline_idle_lifetime=%s refresh_reuse_grace=%s\n",
           c->client_id, o->pos[0], c->enabled ? "enabled" : "disabled", c->opaque ? "opaque" : "JWT",
           o->spec.grants, c->scopes, c->default_scopes, seconds_or_realm(a, c->access_ttl, 0),
           seconds_or_realm(a, c->refresh_idle_ttl, 0), seconds_or_realm(a, c->session_max_ttl, 0),
           seconds_or_realm(a, c->offline_idle_ttl, 0), seconds_or_realm(a, c->refresh_grace, -1));
    return cli_audit_change(s, o->pos[0], AUDIT_CLIENT_UPDATE, c->client_id, detail);
}

static int do_rotate(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct client_opts *o = ctx;
    const char *why = NULL;
    if (manage_client_rotate_secret(s, a, o->pos[0], o->pos[1], o->grace, &o->secret, &o->old_until,
                                    &why))
        return cli_fail("cannot rotate the secret of client \"%s\": %s", o->pos[1], why);
    const char *detail = arena_printf(a, "old secret valid for %llds", (long long)o->grace);
    if (o->json) {
        cli_print_json(secret_json, o);
        fflush(stdout);
        return cli_audit_change(s, o->pos[0], AUDIT_CLIENT_SECRET, o->pos[1], detail);
    }
    printf("new secret for client \"%s\" in realm \"%s\" (shown once, store it now): %s\n", o->pos[1],
           o->pos[0], o->secret);
    char when[32];
    if (o->old_until)
        printf("the previous secret keeps working until %s (%lld seconds)\n", cli_time(o->old_until, when),
               (long long)o->grace);
    else
        printf("the previous secret no longer works\n");
    fflush(stdout);
    return cli_audit_change(s, o->pos[0], AUDIT_CLIENT_SECRET, o->pos[1], detail);
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
    struct client_opts o = {.set = MANAGE_CLIENT_SETTINGS_KEEP, .old_until = -1};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    if (!o.spec.grants)
        return cli_usage_error(USAGE, "--grant is required");
    o.spec.client_id = o.pos[1];
    o.spec.created_by = "cli";
    return cli_with_store(o.db, do_create, &o);
}

static int update(int argc, char **argv)
{
    static const struct option longs[] = {
        CLI_LIFETIME_LONGS,
        {"grant", required_argument, NULL, 'g'},
        {"scope", required_argument, NULL, 's'},
        {"default-scope", required_argument, NULL, 'S'},
        {"opaque", no_argument, NULL, 'O'},
        {"jwt", no_argument, NULL, OPT_JWT},
        {"enable", no_argument, NULL, OPT_ENABLE},
        {"disable", no_argument, NULL, OPT_DISABLE},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct client_opts o = {.set = MANAGE_CLIENT_SETTINGS_KEEP, .old_until = -1};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    if (!o.changes)
        return cli_usage_error(USAGE, "client update needs at least one setting to change");
    if ((o.opaque && o.jwt) || (o.enable && o.disable))
        return cli_usage_error(USAGE, "--opaque and --jwt, --enable and --disable exclude each other");
    o.set.opaque = o.opaque ? 1 : o.jwt ? 0 : -1;
    o.set.enabled = o.enable ? 1 : o.disable ? 0 : -1;
    return cli_with_store(o.db, do_update, &o);
}

static int rotate_secret(int argc, char **argv)
{
    static const struct option longs[] = {
        {"grace", required_argument, NULL, OPT_GRACE},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct client_opts o = {.set = MANAGE_CLIENT_SETTINGS_KEEP};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_rotate, &o);
}

int cli_client(int argc, char **argv)
{
    static const struct cli_sub subs[] = {
        {"create", create}, {"update", update}, {"rotate-secret", rotate_secret},
    };
    return cli_dispatch(subs, sizeof subs / sizeof subs[0], USAGE, argc, argv);
}
