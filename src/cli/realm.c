/* realm.c - keyhold realm create|list|show|update. */
#include <getopt.h>
#include <stdio.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold realm create NAME [--alg ES256|RS256|EdDSA] [--db FILE] [--json]\n"
    "       keyhold realm list [--db FILE] [--json]\n"
    "       keyhold realm show NAME [--db FILE] [--json]\n"
    "       keyhold realm update NAME [--access-token-lifetime S] [--refresh-idle-lifetime S]\n"
    "                            [--session-max-lifetime S] [--offline-idle-lifetime S]\n"
    "                            [--refresh-reuse-grace S] [--lockout-threshold N]\n"
    "                            [--lockout-ip-threshold N] [--lockout-base-wait S]\n"
    "                            [--lockout-max-wait S] [--lockout-reset S] [--db FILE] [--json]\n"
    "\n"
    "  --alg ALG                    the realm's signing algorithm (default ES256)\n"
    "  --access-token-lifetime S    access tokens live S seconds (default 300)\n"
    "  --refresh-idle-lifetime S    a refresh token unused for S seconds expires (default 1800)\n"
    "  --session-max-lifetime S     a session ends S seconds after sign-in (default 36000)\n"
    "  --offline-idle-lifetime S    idle expiry of offline refresh tokens (default 2592000)\n"
    "  --refresh-reuse-grace S      a rotated refresh token may be presented once more within\n"
    "                               S seconds (0..3600, default 0: never)\n"
    "  --lockout-threshold N        a user or client waits from its Nth failed attempt on\n"
    "                               (0..1000, default 5; 0: never)\n"
    "  --lockout-ip-threshold N     an address waits from its Nth failed attempt on (default 20)\n"
    "  --lockout-base-wait S        the first wait (default 30), doubled by each further failure\n"
    "  --lockout-max-wait S         the longest wait (default 900)\n"
    "  --lockout-reset S            failures are forgotten after S quiet seconds (default 43200)\n"
    "  --db DB                      a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json                       print JSON (one object per realm) for scripts\n"
    "\n"
    "Lifetimes are 1 to 31536000 seconds. Tokens already issued keep their expiry.\n";

/* brute-force protection (after the CLI_OPT_* of cli.h) */
enum {
    OPT_LOCKOUT_THRESHOLD = 320,
    OPT_LOCKOUT_IP_THRESHOLD,
    OPT_LOCKOUT_BASE_WAIT,
    OPT_LOCKOUT_MAX_WAIT,
    OPT_LOCKOUT_RESET,
};

struct realm_opts {
    const char *db;
    const char *alg;
    const char *name;
    struct realm_settings set;
    bool changes; /* update: some setting was given */
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct realm_opts *o = ctx;
    int64_t *field = NULL;
    switch (c) {
    case 'a': o->alg = arg; return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    case CLI_OPT_ACCESS_TTL: field = &o->set.access_ttl; break;
    case CLI_OPT_REFRESH_IDLE_TTL: field = &o->set.refresh_idle_ttl; break;
    case CLI_OPT_SESSION_MAX_TTL: field = &o->set.session_max_ttl; break;
    case CLI_OPT_OFFLINE_IDLE_TTL: field = &o->set.offline_idle_ttl; break;
    case CLI_OPT_REFRESH_GRACE: field = &o->set.refresh_grace; break;
    case OPT_LOCKOUT_THRESHOLD: field = &o->set.lockout_threshold; break;
    case OPT_LOCKOUT_IP_THRESHOLD: field = &o->set.lockout_ip_threshold; break;
    case OPT_LOCKOUT_BASE_WAIT: field = &o->set.lockout_base_wait; break;
    case OPT_LOCKOUT_MAX_WAIT: field = &o->set.lockout_max_wait; break;
    case OPT_LOCKOUT_RESET: field = &o->set.lockout_reset; break;
    default: return -1;
    }
    o->changes = true;
    return cli_int(arg, field);
}

static void realm_json(struct jsonw *w, const void *ctx)
{
    manage_realm_json(w, ctx);
}

static void print_realm(const struct realm *r, bool json)
{
    if (json)
        cli_print_json(realm_json, r);
    else
        printf("%s\talg=%s\taccess_token_lifetime=%llds\n", r->name, r->alg, (long long)r->access_ttl);
}

static int do_create(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    const struct realm_opts *o = ctx;
    const char *why = NULL;
    struct realm r;
    if (manage_realm_create(s, master, o->name, o->alg, &why))
        return cli_fail("cannot create realm \"%s\": %s", o->name, why);
    if (manage_realm_get(s, a, o->name, &r, &why))
        return cli_fail("%s", why);
    if (o->json)
        print_realm(&r, true);
    else
        printf("created realm \"%s\" signing with %s\n", r.name, r.alg);
    return cli_audit_change(s, r.name, AUDIT_REALM_CREATE, r.name, arena_printf(a, "alg=%s", r.alg));
}

static int do_show(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct realm_opts *o = ctx;
    const char *why = NULL;
    struct realm r;
    if (manage_realm_get(s, a, o->name, &r, &why))
        return cli_fail("%s", why);
    print_realm(&r, o->json);
    return CLI_OK;
}

static int do_list(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct realm_opts *o = ctx;
    struct realm *rs;
    size_t n;
    if (store_realm_list(s, a, &rs, &n))
        return cli_fail("cannot list realms: the store failed");
    for (size_t i = 0; i < n; i++)
        print_realm(&rs[i], o->json);
    return CLI_OK;
}

static int do_update(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct realm_opts *o = ctx;
    const char *why = NULL;
    struct realm r;
    if (manage_realm_update(s, a, o->name, &o->set, &why))
        return cli_fail("cannot update realm \"%s\": %s", o->name, why);
    if (manage_realm_get(s, a, o->name, &r, &why))
        return cli_fail("%s", why);
    const char *settings = arena_printf(
        a, "access_token_lifetime=%llds refresh_idle_lifetime=%llds session_max_lifetime=%llds "
           "offline_idle_lifetime=%llds refresh_reuse_grace=%llds lockout_threshold=%lld "
           "lockout_ip_threshold=%lld lockout_base_wait=%llds lockout_max_wait=%llds "
           "lockout_reset=%llds",
        (long long)r.access_ttl, (long long)r.refresh_idle_ttl, (long long)r.session_max_ttl,
        (long long)r.offline_idle_ttl, (long long)r.refresh_grace, (long long)r.lockout_threshold,
        (long long)r.lockout_ip_threshold, (long long)r.lockout_base_wait,
        (long long)r.lockout_max_wait, (long long)r.lockout_reset);
    if (o->json)
        print_realm(&r, true);
    else
        printf("updated realm \"%s\": %s\n", r.name, settings);
    return cli_audit_change(s, r.name, AUDIT_REALM_UPDATE, r.name, settings);
}

static int run(int argc, char **argv, size_t positional, cli_store_fn fn)
{
    static const struct option longs[] = {
        {"alg", required_argument, NULL, 'a'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct realm_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.name, positional);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, fn, &o);
}

static int create(int argc, char **argv)
{
    return run(argc, argv, 1, do_create);
}

static int show(int argc, char **argv)
{
    return run(argc, argv, 1, do_show);
}

static int list(int argc, char **argv)
{
    return run(argc, argv, 0, do_list);
}

static int update(int argc, char **argv)
{
    static const struct option longs[] = {
        CLI_LIFETIME_LONGS,
        {"lockout-threshold", required_argument, NULL, OPT_LOCKOUT_THRESHOLD},
        {"lockout-ip-threshold", required_argument, NULL, OPT_LOCKOUT_IP_THRESHOLD},
        {"lockout-base-wait", required_argument, NULL, OPT_LOCKOUT_BASE_WAIT},
        {"lockout-max-wait", required_argument, NULL, OPT_LOCKOUT_MAX_WAIT},
        {"lockout-reset", required_argument, NULL, OPT_LOCKOUT_RESET},
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct realm_opts o = {.set = MANAGE_REALM_SETTINGS_KEEP};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.name, 1);
    if (rc)
        return cli_parsed(rc);
    if (!o.changes)
        return cli_usage_error(USAGE, "realm update needs at least one setting to change");
    return cli_with_store(o.db, do_update, &o);
}

int cli_realm(int argc, char **argv)
{
    static const struct cli_sub subs[] = {
        {"create", create}, {"list", list}, {"show", show}, {"update", update},
    };
    return cli_dispatch(subs, sizeof subs / sizeof subs[0], USAGE, argc, argv);
}
