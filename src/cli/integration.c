/* integration.c - keyhold integration create|list|delete: "new client
 * credentials" for a user, the secret printed exactly once. The command line
 * acts as the operator (created_by "cli"): it holds the database, so it may
 * confer any permission the owner holds. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "oauth/integration.h"
#include "oauth/manage.h"
#include "oauth/scope.h"

static const char USAGE[] =
    "usage: keyhold integration create REALM --user USERNAME [--scope PERMISSION]...\n"
    "                                  [--name NAME] [--expires-at TIME] [--db FILE] [--json]\n"
    "       keyhold integration list REALM [--db FILE] [--json]\n"
    "       keyhold integration delete REALM CLIENT_ID [--db FILE]\n"
    "\n"
    "An integration is a confidential client with only the client_credentials grant that\n"
    "acts with its user's permissions (at most its scopes, and only what the user holds at\n"
    "each grant). Its client id is generated (int-...); its secret is printed once.\n"
    "\n"
    "  --user USERNAME     the user whose permissions the integration's tokens carry\n"
    "  --scope PERMISSION  a permission it may use (repeat; default: all the user holds now)\n"
    "  --name NAME         a name for people (e.g. the partner's job)\n"
    "  --expires-at TIME   its secret stops working then: Unix seconds or RFC 3339\n"
    "                      (2027-01-31T00:00:00Z); default: never\n"
    "  --db DB             a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json              print one JSON object for scripts: create prints the API's 201\n"
    "                      answer (with client_secret), list {\"realm\",\"integrations\":[…]}\n"
    "\n"
    "delete also ends the integration's sessions and refresh tokens.\n";

#define LIST_PAGE 500

struct integration_opts {
    const char *db;
    const char *pos[2]; /* realm, client id */
    struct integration_spec spec;
    const char *scopes[SCOPE_MAX_TOKENS];
    const char *expires;
    bool too_many_scopes;
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct integration_opts *o = ctx;
    switch (c) {
    case 'u': o->spec.username = arg; return 0;
    case 'n': o->spec.name = arg; return 0;
    case 'e': o->expires = arg; return 0;
    case 's':
        if (o->spec.n_scopes == SCOPE_MAX_TOKENS)
            o->too_many_scopes = true;
        else
            o->scopes[o->spec.n_scopes++] = arg;
        o->spec.scopes = o->scopes;
        return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static void print_human(const struct integration *it)
{
    char used[32], expires[32];
    const struct client *c = &it->client;
    printf("%s  user=%s  scope=\"%s\"  name=%s  last_used=%s  expires=%s  %s\n", c->client_id,
           it->owner_username ? it->owner_username : "(deleted)", c->scopes,
           c->name ? c->name : "-", c->last_used_at ? cli_time(c->last_used_at, used) : "never",
           c->expires_at ? cli_time(c->expires_at, expires) : "never",
           integration_is_active(it, clock_now()) ? "active" : "inactive");
}

struct created_json {
    const struct integration *it;
    const char *secret;
};

static void created_json(struct jsonw *w, const void *ctx)
{
    const struct created_json *cj = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "client_secret", cj->secret);
    integration_json_fields(w, cj->it, clock_now());
    jsonw_obj_end(w);
}

static int do_create(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct integration_opts *o = ctx;
    struct realm r;
    struct integration_created made;
    const char *why = NULL, *missing = NULL;
    if (manage_realm_get(s, a, o->pos[0], &r, &why))
        return cli_fail("cannot create the integration: %s", why);
    enum kh_status rc = integration_create(s, a, &r, &o->spec, &made, &missing, &why);
    if (rc == KH_ERR_NOTFOUND)
        return cli_fail("cannot create the integration: there is no user \"%s\" in realm \"%s\"",
                        o->spec.username, o->pos[0]);
    if (rc)
        return cli_fail("cannot create the integration: %s", why);
    struct integration it = {.client = made.client, .owner_username = made.owner_username,
                             .owner_enabled = true};
    if (o->json) {
        cli_print_json(created_json, &(struct created_json){&it, made.secret});
    } else {
        printf("created integration \"%s\" in realm \"%s\" for user \"%s\" (scope \"%s\")\n",
               made.client.client_id, o->pos[0], made.owner_username, made.client.scopes);
        printf("client secret (shown once, store it now): %s\n", made.secret);
    }
    fflush(stdout); /* the secret first: the integration exists, whatever the audit says */
    return cli_audit_change(s, r.name, AUDIT_INTEGRATION_CREATE, made.client.client_id,
                            arena_printf(a, "owner=%s scopes=%s", made.client.owner_user_id,
                                         made.client.scopes));
}

struct listing {
    const char *realm;
    struct integration *items;
    size_t n;
};

static void list_json(struct jsonw *w, const void *ctx)
{
    const struct listing *l = ctx;
    int64_t now = clock_now();
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "realm", l->realm);
    jsonw_key(w, "integrations");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < l->n; i++) {
        jsonw_obj_begin(w);
        integration_json_fields(w, &l->items[i], now);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

/* Every integration of the realm, page by page, into one arena array. */
static enum kh_status list_all(struct store *s, struct arena *a, int64_t realm_id,
                               struct listing *out)
{
    const char *after = NULL;
    for (;;) {
        struct integration *page;
        size_t n;
        enum kh_status rc = store_integration_list(s, a, realm_id, after, LIST_PAGE, &page, &n);
        if (rc)
            return rc;
        struct integration *all = arena_alloc(a, (out->n + n + 1) * sizeof *all);
        if (out->n)
            memcpy(all, out->items, out->n * sizeof *all);
        if (n)
            memcpy(all + out->n, page, n * sizeof *all);
        out->items = all;
        out->n += n;
        if (n < LIST_PAGE)
            return KH_OK;
        after = page[n - 1].client.client_id;
    }
}

static int do_list(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct integration_opts *o = ctx;
    struct realm r;
    const char *why = NULL;
    if (manage_realm_get(s, a, o->pos[0], &r, &why))
        return cli_fail("cannot list integrations: %s", why);
    struct listing l = {.realm = r.name};
    if (list_all(s, a, r.id, &l))
        return cli_fail("cannot list integrations: the store failed");
    if (o->json) {
        cli_print_json(list_json, &l);
        return CLI_OK;
    }
    if (l.n == 0)
        printf("no integrations in realm \"%s\"\n", r.name);
    for (size_t i = 0; i < l.n; i++)
        print_human(&l.items[i]);
    return CLI_OK;
}

static int do_delete(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct integration_opts *o = ctx;
    struct realm r;
    const char *why = NULL;
    if (manage_realm_get(s, a, o->pos[0], &r, &why))
        return cli_fail("cannot delete the integration: %s", why);
    enum kh_status rc = store_integration_delete(s, r.id, o->pos[1]);
    if (rc == KH_ERR_NOTFOUND)
        return cli_fail("there is no integration \"%s\" in realm \"%s\"", o->pos[1], r.name);
    if (rc)
        return cli_fail("cannot delete the integration: the store failed");
    printf("deleted integration \"%s\" in realm \"%s\"\n", o->pos[1], r.name);
    return cli_audit_change(s, r.name, AUDIT_INTEGRATION_DELETE, o->pos[1],
                            "with its sessions and tokens");
}

static int create(int argc, char **argv)
{
    static const struct option longs[] = {
        {"user", required_argument, NULL, 'u'},  {"scope", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'n'},  {"expires-at", required_argument, NULL, 'e'},
        {"db", required_argument, NULL, 'd'},    {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    struct integration_opts o = {.spec = {.created_by = "cli"}};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 1);
    if (rc)
        return cli_parsed(rc);
    if (!o.spec.username)
        return cli_usage_error(USAGE, "--user is required");
    if (o.too_many_scopes)
        return cli_usage_error(USAGE, "at most %d --scope options", SCOPE_MAX_TOKENS);
    if (o.expires && (clock_parse_time(o.expires, &o.spec.expires_at) || o.spec.expires_at <= 0))
        return cli_usage_error(USAGE, "--expires-at takes Unix seconds or an RFC 3339 time");
    return cli_with_store(o.db, do_create, &o);
}

static int list(int argc, char **argv)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct integration_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 1);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_list, &o);
}

static int delete(int argc, char **argv)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct integration_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_delete, &o);
}

int cli_integration(int argc, char **argv)
{
    static const struct cli_sub subs[] = {
        {"create", create}, {"list", list}, {"delete", delete},
    };
    return cli_dispatch(subs, sizeof subs / sizeof subs[0], USAGE, argc, argv);
}
