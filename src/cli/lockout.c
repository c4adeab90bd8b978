/* lockout.c - keyhold lockout list|clear: brute-force counters and locks
 * (oauth/lockout.h). */
#include <getopt.h>
#include <stdio.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "oauth/lockout.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold lockout list REALM [--db FILE] [--json]\n"
    "       keyhold lockout clear REALM (--user USERNAME | --ip ADDRESS)\n"
    "                             [--db FILE]\n"
    "\n"
    "Failed sign-ins are counted per user and per address, failed client\n"
    "authentications per address; past the realm's threshold the user or address\n"
    "waits (see `keyhold realm update --lockout-...`).\n"
    "\n"
    "  list            every counter of the realm: kind (user, ip, client_ip),\n"
    "                  key, failures and, while locked, until when\n"
    "  clear           forgets the failures of a user or of an address (its sign-in\n"
    "                  and client counters), which lifts its lock\n"
    "  --db DB         a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json          print one JSON object per counter, for scripts\n";

#define PAGE 500

struct lockout_opts {
    const char *db;
    const char *realm;
    const char *user, *ip;
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct lockout_opts *o = ctx;
    switch (c) {
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    case 'u': o->user = arg; return 0;
    case 'i': o->ip = arg; return 0;
    default: return -1;
    }
}

static void row_json(struct jsonw *w, const void *ctx)
{
    const struct lockout_row *r = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "kind", r->kind);
    jsonw_kv_str(w, "key", r->key);
    jsonw_kv_int(w, "failures", r->failures);
    jsonw_kv_bool(w, "locked", clock_now() < r->locked_until);
    jsonw_kv_int(w, "locked_until", r->locked_until);
    jsonw_kv_int(w, "first_failure_at", r->first_failure_at);
    jsonw_kv_int(w, "last_failure_at", r->last_failure_at);
    jsonw_obj_end(w);
}

static void print_row(const struct lockout_row *r, bool json)
{
    if (json) {
        cli_print_json(row_json, r);
        return;
    }
    char last[32], until[32];
    printf("%s\t%s\tfailures=%lld\tlast=%s\t%s%s\n", r->kind, r->key, (long long)r->failures,
           cli_time(r->last_failure_at, last), clock_now() < r->locked_until ? "locked until " : "",
           clock_now() < r->locked_until ? cli_time(r->locked_until, until) : "not locked");
}

static int do_list(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct lockout_opts *o = ctx;
    const char *why = NULL;
    struct realm r;
    if (manage_realm_get(s, a, o->realm, &r, &why))
        return cli_fail("%s", why);
    const char *kind = NULL, *key = NULL;
    for (;;) {
        struct lockout_row *rows;
        size_t n;
        if (store_lockout_list(s, a, r.id, kind, key, PAGE, &rows, &n))
            return cli_fail("cannot list the lockouts: the store failed");
        for (size_t i = 0; i < n; i++)
            print_row(&rows[i], o->json);
        if (n < PAGE)
            return CLI_OK;
        kind = rows[n - 1].kind;
        key = rows[n - 1].key;
    }
}

/* Clears (kind, key) and records it; *found when there was a counter. */
static int clear_one(struct store *s, struct arena *a, const struct realm *r, const char *kind,
                     const char *key, bool *found)
{
    enum kh_status rc = store_lockout_clear(s, r->id, kind, key);
    if (rc == KH_ERR_NOTFOUND)
        return CLI_OK;
    if (rc)
        return cli_fail("cannot clear the lockout: the store failed");
    *found = true;
    printf("cleared %s %s\n", kind, key);
    return cli_audit_change(s, r->name, AUDIT_LOCKOUT_CLEARED, key,
                            arena_printf(a, "kind=%s", kind));
}

static int do_clear(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct lockout_opts *o = ctx;
    const char *why = NULL;
    struct realm r;
    if (manage_realm_get(s, a, o->realm, &r, &why))
        return cli_fail("%s", why);
    bool found = false;
    int rc;
    if (o->user)
        rc = clear_one(s, a, &r, LOCKOUT_USER, manage_username(a, o->user), &found);
    else if (!(rc = clear_one(s, a, &r, LOCKOUT_IP, o->ip, &found)))
        rc = clear_one(s, a, &r, LOCKOUT_CLIENT_IP, o->ip, &found);
    if (!rc && !found)
        return cli_fail("no failures are counted for that key in realm \"%s\"", r.name);
    return rc;
}

static int run(int argc, char **argv, cli_store_fn fn)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},     {"json", no_argument, NULL, 'j'},
        {"user", required_argument, NULL, 'u'},   {"ip", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct lockout_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, &o.realm, 1);
    if (rc)
        return cli_parsed(rc);
    int keys = (o.user != NULL) + (o.ip != NULL);
    if (fn == do_clear && keys != 1)
        return cli_usage_error(USAGE, "lockout clear needs exactly one of --user, --ip");
    if (fn == do_list && keys)
        return cli_usage_error(USAGE, "lockout list takes no --user or --ip");
    return cli_with_store(o.db, fn, &o);
}

static int list(int argc, char **argv)
{
    return run(argc, argv, do_list);
}

static int clear(int argc, char **argv)
{
    return run(argc, argv, do_clear);
}

int cli_lockout(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"list", list}, {"clear", clear}};
    return cli_dispatch(subs, sizeof subs / sizeof subs[0], USAGE, argc, argv);
}
