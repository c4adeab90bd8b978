/* user.c - keyhold user create|disable|enable. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold user create REALM USERNAME [--email E] [--first-name F] [--last-name L]\n"
    "                           [--role R ...] [--password-stdin] [--db FILE] [--json]\n"
    "       keyhold user disable REALM USERNAME [--db FILE]\n"
    "       keyhold user enable REALM USERNAME [--db FILE]\n"
    "\n"
    "  --role R           give the user role R (repeatable)\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "  --db DB            a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json             print one JSON object for scripts\n";

#define MAX_ROLES 64
#define PASSWORD_LINE_MAX 1026 /* 1024 bytes, a newline, the NUL */

struct user_opts {
    const char *db;
    const char *pos[2]; /* realm, username */
    struct user_spec spec;
    const char *roles[MAX_ROLES];
    bool password_stdin;
    bool json;
    bool enable;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct user_opts *o = ctx;
    switch (c) {
    case 'e': o->spec.email = arg; return 0;
    case 'f': o->spec.first_name = arg; return 0;
    case 'l': o->spec.last_name = arg; return 0;
    case 'r':
        if (o->spec.n_roles == MAX_ROLES)
            return -1;
        o->roles[o->spec.n_roles++] = arg;
        return 0;
    case 'p': o->password_stdin = true; return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static int read_password(char line[PASSWORD_LINE_MAX])
{
    if (!fgets(line, PASSWORD_LINE_MAX, stdin))
        return cli_fail("--password-stdin: no password on standard input");
    size_t n = strcspn(line, "\r\n");
    if (line[n] == '\0' && n == PASSWORD_LINE_MAX - 1)
        return cli_fail("--password-stdin: the password is longer than 1024 bytes");
    line[n] = '\0';
    if (n == 0)
        return cli_fail("--password-stdin: the password is empty");
    return CLI_OK;
}

static void user_json(struct jsonw *w, const void *ctx)
{
    const struct user_opts *o = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "realm", o->pos[0]);
    jsonw_kv_str(w, "username", o->pos[1]);
    jsonw_kv_str(w, "email", o->spec.email);
    jsonw_key(w, "roles");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < o->spec.n_roles; i++)
        jsonw_str(w, o->roles[i]);
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

/* The id of the user, the target of its audit events (the username if it
 * cannot be read: the event is recorded all the same). */
static const char *user_id(struct store *s, struct arena *a, const char *realm,
                           const char *username)
{
    struct realm r;
    struct user u;
    if (store_realm_find(s, a, realm, &r) ||
        store_user_find_by_name(s, a, r.id, manage_username(a, username), &u))
        return username;
    return u.id;
}

static int do_create(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct user_opts *o = ctx;
    const char *why = NULL;
    if (manage_user_create(s, a, o->pos[0], &o->spec, &why))
        return cli_fail("cannot create user \"%s\": %s", o->pos[1], why);
    if (o->json)
        cli_print_json(user_json, o);
    else
        printf("created user \"%s\" in realm \"%s\"%s\n", o->pos[1], o->pos[0],
               o->spec.password ? " with a password" : " without a password");
    const char *detail = arena_printf(a, "username=%s%s", o->pos[1],
                                      o->spec.password ? " with a password" : "");
    return cli_audit_change(s, o->pos[0], AUDIT_USER_CREATE, user_id(s, a, o->pos[0], o->pos[1]),
                            detail);
}

static int do_set_enabled(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    const struct user_opts *o = ctx;
    const char *why = NULL;
    if (manage_user_set_enabled(s, a, o->pos[0], o->pos[1], o->enable, &why))
        return cli_fail("cannot %s user \"%s\": %s", o->enable ? "enable" : "disable", o->pos[1], why);
    printf("%s user \"%s\" in realm \"%s\"\n", o->enable ? "enabled" : "disabled", o->pos[1], o->pos[0]);
    return cli_audit_change(s, o->pos[0], AUDIT_USER_UPDATE, user_id(s, a, o->pos[0], o->pos[1]),
                            o->enable ? "enabled" : "disabled");
}

static const struct option LONGS[] = {
    {"email", required_argument, NULL, 'e'}, {"first-name", required_argument, NULL, 'f'},
    {"last-name", required_argument, NULL, 'l'}, {"role", required_argument, NULL, 'r'},
    {"password-stdin", no_argument, NULL, 'p'}, {"db", required_argument, NULL, 'd'},
    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int create(int argc, char **argv)
{
    struct user_opts o = {0};
    int rc = cli_parse(argc, argv, USAGE, LONGS, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    o.spec.username = o.pos[1];
    o.spec.roles = o.roles;
    char password[PASSWORD_LINE_MAX];
    if (o.password_stdin) {
        if (read_password(password))
            return CLI_FAIL;
        o.spec.password = password;
    }
    rc = cli_with_store(o.db, do_create, &o);
    secret_wipe(password, sizeof password);
    return rc;
}

static int set_enabled(int argc, char **argv, bool enable)
{
    static const struct option longs[] = {
        {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    struct user_opts o = {.enable = enable};
    int rc = cli_parse(argc, argv, USAGE, longs, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    return cli_with_store(o.db, do_set_enabled, &o);
}

static int disable(int argc, char **argv)
{
    return set_enabled(argc, argv, false);
}

static int enable(int argc, char **argv)
{
    return set_enabled(argc, argv, true);
}

int cli_user(int argc, char **argv)
{
    static const struct cli_sub subs[] = {{"create", create}, {"disable", disable}, {"enable", enable}};
    return cli_dispatch(subs, 3, USAGE, argc, argv);
}
