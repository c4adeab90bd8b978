/* key.c - keyhold key rotate|list: a realm's signing keys. */
#include <getopt.h>
#include <stdio.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "oauth/keyring.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold key rotate REALM [--alg ES256|RS256|EdDSA] [--now] [--revoke-old]\n"
    "                          [--db FILE] [--json]\n"
    "       keyhold key list REALM [--db FILE] [--json]\n"
    "\n"
    "  --alg ALG      the new key's algorithm (default: the realm's); another one becomes\n"
    "                 the realm's algorithm, the old key signing until the new one starts\n"
    "  --now          sign with the new key at once, not " KEYRING_JWKS_MAX_AGE_STR " seconds from now\n"
    "  --revoke-old   retire every older key at once (for a leaked key; implies --now):\n"
    "                 tokens they signed stop verifying\n"
    "  --db DB        a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json         print one JSON object for scripts\n"
    "\n"
    "rotate publishes a new key in the JWKS at once; it signs from " KEYRING_JWKS_MAX_AGE_STR "\n"
    "seconds later (the JWKS cache lifetime), so resource servers know it before they see a\n"
    "token it signed.\n"
    "Each older key stays published until the tokens it signed have expired, then leaves the\n"
    "JWKS. A running server picks the change up within 5 seconds.\n"
    "list shows each published key: next (not signing yet), active (signing) or previous.\n";

struct key_opts {
    const char *db;
    const char *realm;
    const char *alg;
    bool now;
    bool revoke_old;
    bool json;
    struct key_rotation rot;
    struct key_info *keys;
    size_t n;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct key_opts *o = ctx;
    switch (c) {
    case 'a': o->alg = arg; return 0;
    case 'n': o->now = true; return 0;
    case 'r': o->revoke_old = true; return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static void rotation_json(struct jsonw *w, const void *ctx)
{
    const struct key_rotation *r = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "kid", r->kid);
    jsonw_kv_str(w, "alg", r->alg);
    jsonw_kv_int(w, "active_from", r->active_from);
    /* retired: the older keys gone at once (--revoke-old); retiring: the
     * older keys still published, each until its retire_at. */
    jsonw_key(w, "retired");
    jsonw_arr_begin(w);
    for (size_t i = 0; r->revoked_old && i < r->n_older; i++)
        jsonw_str(w, r->older[i].kid);
    jsonw_arr_end(w);
    jsonw_key(w, "retiring");
    jsonw_arr_begin(w);
    for (size_t i = 0; !r->revoked_old && i < r->n_older; i++) {
        jsonw_obj_begin(w);
        jsonw_kv_str(w, "kid", r->older[i].kid);
        jsonw_kv_int(w, "retire_at", r->older[i].retire_at);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

static int do_rotate(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    struct key_opts *o = ctx;
    const char *why = NULL;
    const struct key_rotation *r = &o->rot;
    if (manage_key_rotate(s, master, a, o->realm, o->alg, o->now, o->revoke_old, &o->rot, &why))
        return cli_fail("cannot rotate the keys of realm \"%s\": %s", o->realm, why);
    const char *detail = arena_printf(a, "alg=%s%s%s", r->alg, o->now ? " now" : "",
                                      o->revoke_old ? " revoke-old" : "");
    if (o->json) {
        cli_print_json(rotation_json, r);
        return cli_audit_change(s, o->realm, AUDIT_KEY_ROTATE, r->kid, detail);
    }
    char from[32], until[32];
    printf("new %s key %s in realm \"%s\": published now, signs from %s\n", r->alg, r->kid, o->realm,
           cli_time(r->active_from, from));
    for (size_t i = 0; i < r->n_older; i++)
        printf("older key %s %s %s\n", r->older[i].kid, r->revoked_old ? "retired at" : "leaves the JWKS at",
               cli_time(r->older[i].retire_at, until));
    return cli_audit_change(s, o->realm, AUDIT_KEY_ROTATE, r->kid, detail);
}

static void list_json(struct jsonw *w, const void *ctx)
{
    const struct key_opts *o = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "realm", o->realm);
    jsonw_key(w, "keys");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < o->n; i++) {
        const struct key_info *k = &o->keys[i];
        jsonw_obj_begin(w);
        jsonw_kv_str(w, "kid", k->kid);
        jsonw_kv_str(w, "alg", k->alg);
        jsonw_kv_int(w, "active_from", k->active_from);
        jsonw_kv_int(w, "retire_at", k->retire_at);
        jsonw_kv_str(w, "state", k->state);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

static int do_list(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct key_opts *o = ctx;
    const char *why = NULL;
    if (manage_key_list(s, a, o->realm, &o->keys, &o->n, &why))
        return cli_fail("cannot list the keys of realm \"%s\": %s", o->realm, why);
    if (o->json) {
        cli_print_json(list_json, o);
        return CLI_OK;
    }
    printf("KID\tALG\tACTIVE_FROM\tRETIRE_AT\tSTATE\n");
    for (size_t i = 0; i < o->n; i++) {
        const struct key_info *k = &o->keys[i];
        char from[32], until[32];
        printf("%s\t%s\t%s\t%s\t%s\n", k->kid, k->alg, cli_time(k->active_from, from),
               k->retire_at ? cli_time(k->retire_at, until) : "-", k->state);
    }
    return CLI_OK;
}

static int rotate(int argc, char **argv)
{
    static const struct option longs[] = {
        {"alg", required_argument, NULL, 'a'}, {"now", no_argument, NULL, 'n'},
        {"revoke-old", no_argument, NULL, 'r'}, {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct key_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.realm, 1);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_rotate, &o);
}

static int list(int argc, char **argv)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    struct key_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.realm, 1);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_list, &o);
}

int cli_key(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"rotate", rotate}, {"list", list}};
    return cli_dispatch(subs, sizeof subs / sizeof subs[0], USAGE, argc, argv);
}
