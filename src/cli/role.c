/* role.c - keyhold role create. */
#include <getopt.h>
#include <stdio.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold role create REALM NAME --permission P [--permission P ...] [--db FILE] [--json]\n"
    "\n"
    "  --permission P   a permission the role holds (also an OAuth scope), e.g. users:read\n"
    "  --db DB          a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json           print one JSON object for scripts\n";

#define MAX_PERMISSIONS 64

struct role_opts {
    const char *db;
    const char *pos[2]; /* realm, name */
    const char *perms[MAX_PERMISSIONS];
    size_t n_perms;
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct role_opts *o = ctx;
    switch (c) {
    case 'p':
        if (o->n_perms == MAX_PERMISSIONS)
            return -1;
        o->perms[o->n_perms++] = arg;
        return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static void role_json(struct jsonw *w, const void *ctx)
{
    const struct role_opts *o = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "realm", o->pos[0]);
    jsonw_kv_str(w, "name", o->pos[1]);
    jsonw_key(w, "permissions");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < o->n_perms; i++)
        jsonw_str(w, o->perms[i]);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

/* "permissions=a b c" for the audit event (arena). */
static const char *permissions_detail(struct arena *a, const struct role_opts *o)
{
    const char *d = "permissions=";
    for (size_t i = 0; i < o->n_perms; i++)
        d = arena_printf(a, "%s%s%s", d, i ? " " : "", o->perms[i]);
    return d;
}

static int do_create(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct role_opts *o = ctx;
    const char *why = NULL;
    if (manage_role_create(s, a, o->pos[0], o->pos[1], o->perms, o->n_perms, false, &why))
        return cli_fail("cannot create role \"%s\": %s", o->pos[1], why);
    if (o->json)
        cli_print_json(role_json, o);
    else
        printf("created role \"%s\" in realm \"%s\" with %zu permission(s)\n", o->pos[1], o->pos[0], o->n_perms);
    return cli_audit_change(s, o->pos[0], AUDIT_ROLE_CREATE, o->pos[1], permissions_detail(a, o));
}

static int create(int argc, char **argv)
{
    static const struct option longs[] = {
        {"permission", required_argument, NULL, 'p'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},             {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct role_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    if (o.n_perms == 0)
        return cli_usage_error(USAGE, "at least one --permission is needed");
    return cli_with_store(o.db, do_create, &o);
}

int cli_role(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"create", create}};
    return cli_dispatch(subs, 1, USAGE, argc, argv);
}
