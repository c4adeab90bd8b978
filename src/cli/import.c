/* import.c - keyhold import REALM FILE: users from CSV or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "audit/audit.h"
#include "cli/cli.h"
#include "core/jsonw.h"
#include "imports/import.h"
#include "oauth/manage.h"

static const char USAGE[] =
    "usage: keyhold import REALM FILE.csv|FILE.json [--format csv|json] [--dry-run] [--atomic]\n"
    "                      [--db FILE] [--json]\n"
    "\n"
    "Creates or updates users from a file: by username (case-insensitive), else by email.\n"
    "CSV: a header row naming some of email, username, first_name, last_name, roles (roles\n"
    "separated by ';'). JSON: {\"users\":[{\"email\":…,\"username\":…,\"first_name\":…,\n"
    "\"last_name\":…,\"roles\":[…]}]}. Both are read as a stream: memory stays flat.\n"
    "A bad row is reported with its number and the other rows are imported.\n"
    "\n"
    "  --format F   csv or json (default: from the file's extension; needed for - (stdin))\n"
    "  --dry-run    check every row against the database, write nothing\n"
    "  --atomic     write nothing if any row fails\n"
    "  --db DB      a SQLite file or postgres:// URL (default $KEYHOLD_DB or ./keyhold.db)\n"
    "  --json       print one JSON object for scripts\n";

#define CHUNK (64 * 1024)

struct import_opts {
    const char *db;
    const char *pos[2]; /* realm, file */
    const char *format;
    struct import_options o;
    bool json;
};

static int on_opt(int c, const char *arg, void *ctx)
{
    struct import_opts *o = ctx;
    switch (c) {
    case 'f': o->format = arg; return 0;
    case 'n': o->o.dry_run = true; return 0;
    case 'a': o->o.atomic = true; return 0;
    case 'd': o->db = arg; return 0;
    case 'j': o->json = true; return 0;
    }
    return -1;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && strcasecmp(s + n - m, suffix) == 0;
}

/* The format from --format or the file's extension; -1 if neither says. */
static int pick_format(const struct import_opts *o)
{
    const char *f = o->format;
    if (f)
        return strcmp(f, "csv") == 0 ? IMPORT_CSV : strcmp(f, "json") == 0 ? IMPORT_JSON : -1;
    if (ends_with(o->pos[1], ".csv"))
        return IMPORT_CSV;
    if (ends_with(o->pos[1], ".json"))
        return IMPORT_JSON;
    return -1;
}

static void progress(void *ctx, size_t rows)
{
    (void)ctx;
    fprintf(stderr, "keyhold: %zu rows read\n", rows);
}

static void result_json(struct jsonw *w, const void *ctx)
{
    const struct import_result *r = ctx;
    jsonw_obj_begin(w);
    jsonw_kv_str(w, "id", r->id);
    jsonw_kv_int(w, "created", (int64_t)r->created);
    jsonw_kv_int(w, "updated", (int64_t)r->updated);
    jsonw_kv_int(w, "failed", (int64_t)r->failed);
    jsonw_kv_bool(w, "dry_run", r->dry_run);
    jsonw_kv_bool(w, "rolled_back", r->rolled_back);
    jsonw_key(w, "errors");
    jsonw_arr_begin(w);
    for (size_t i = 0; i < r->n_errors; i++) {
        jsonw_obj_begin(w);
        jsonw_kv_int(w, "row", (int64_t)r->errors[i].row);
        jsonw_kv_str(w, "error", r->errors[i].message);
        jsonw_obj_end(w);
    }
    jsonw_arr_end(w);
    jsonw_obj_end(w);
}

static void result_text(const struct import_result *r)
{
    const char *note = r->rolled_back ? " (--atomic and a row failed: nothing written)"
                       : r->dry_run   ? " (dry run: nothing written)"
                                      : "";
    printf("import %s: %zu rows, %zu created, %zu updated, %zu failed%s\n", r->id, r->rows,
           r->created, r->updated, r->failed, note);
    for (size_t i = 0; i < r->n_errors; i++)
        printf("  row %zu: %s\n", r->errors[i].row, r->errors[i].message);
    if (r->failed > r->n_errors)
        printf("  ... and %zu more failed rows\n", r->failed - r->n_errors);
}

/* Feeds the whole file to imp; 0, or CLI_FAIL after a read error. */
static int feed_file(FILE *f, const char *name, struct import *imp)
{
    static char chunk[CHUNK];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (import_feed(imp, chunk, n))
            return 0; /* import_finish says why */
    if (ferror(f))
        return cli_fail("cannot read %s: %s", name, strerror(errno));
    return 0;
}

static int run(struct store *s, int64_t realm_id, FILE *f, struct import_opts *o)
{
    struct import *imp = NULL;
    struct import_result r;
    const char *why = NULL;
    int rc = CLI_FAIL;
    if (import_new(s, realm_id, &o->o, &imp)) {
        cli_fail("out of memory");
        goto out;
    }
    if (feed_file(f, o->pos[1], imp))
        goto out;
    if (import_finish(imp, &r, &why)) {
        cli_fail("cannot import %s, nothing was written: %s", o->pos[1], why);
        goto out;
    }
    if (o->json)
        cli_print_json(result_json, &r);
    else
        result_text(&r);
    rc = CLI_OK;
    if (!r.dry_run && !r.rolled_back) {
        char detail[160];
        snprintf(detail, sizeof detail, "rows=%zu created=%zu updated=%zu failed=%zu", r.rows,
                 r.created, r.updated, r.failed);
        rc = cli_audit_change(s, o->pos[0], AUDIT_IMPORT, r.id, detail);
    }
out:
    import_free(imp);
    return rc;
}

static int do_import(struct store *s, const uint8_t *master, struct arena *a, void *ctx)
{
    (void)master;
    struct import_opts *o = ctx;
    struct realm realm;
    const char *why = NULL;
    if (manage_realm_get(s, a, o->pos[0], &realm, &why))
        return cli_fail("cannot import into realm \"%s\": %s", o->pos[0], why);
    bool std_in = strcmp(o->pos[1], "-") == 0;
    FILE *f = std_in ? stdin : fopen(o->pos[1], "rb");
    if (!f)
        return cli_fail("cannot open %s: %s", o->pos[1], strerror(errno));
    int rc = run(s, realm.id, f, o);
    if (!std_in)
        fclose(f);
    return rc;
}

static const struct option LONGS[] = {
    {"format", required_argument, NULL, 'f'}, {"dry-run", no_argument, NULL, 'n'},
    {"atomic", no_argument, NULL, 'a'},       {"db", required_argument, NULL, 'd'},
    {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

int cli_import(int argc, char **argv)
{
    struct import_opts o = {.o = {.progress = progress}};
    int rc = cli_parse(argc, argv, USAGE, LONGS, on_opt, &o, o.pos, 2);
    if (rc)
        return cli_parsed(rc);
    int format = pick_format(&o);
    if (format < 0)
        return cli_usage_error(USAGE, o.format ? "--format must be csv or json"
                                               : "name a .csv or .json file, or give --format");
    o.o.format = (enum import_format)format;
    return cli_with_store(o.db, do_import, &o);
}
