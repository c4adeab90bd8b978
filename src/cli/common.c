/* common.c - what every command shares: messages, the store, dispatch. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "audit/audit.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "oauth/keyring.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("keyhold: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_FAIL;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("keyhold: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return CLI_USAGE;
}

int cli_int(const char *arg, int64_t *out)
{
    /* strtoll alone would take leading spaces and a '+'. */
    if (!((arg[0] >= '0' && arg[0] <= '9') || (arg[0] == '-' && arg[1] >= '0' && arg[1] <= '9')))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (errno || *end || v == INT64_MIN) /* INT64_MIN: MANAGE_KEEP, never a value */
        return -1;
    *out = v;
    return 0;
}

const char *cli_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(buf, 32, "%lld", (long long)t);
    return buf;
}

const char *cli_db(const char *flag)
{
    if (flag)
        return flag;
    const char *env = getenv("KEYHOLD_DB");
    return env && *env ? env : CLI_DEFAULT_DB;
}

int cli_open(const char *db, struct store **s, uint8_t master[AEAD_KEY_LEN])
{
    char shown[512];
    store_url_display(db, shown, sizeof(shown));
    if (store_open(db, s))
        return cli_fail("cannot open the database %s (see the log line above)", shown);
    if (keyring_master_load(db, master)) {
        store_close(*s);
        return cli_fail("cannot load the master key (see the log line above)");
    }
    return CLI_OK;
}

void cli_close(struct store *s, uint8_t master[AEAD_KEY_LEN])
{
    secret_wipe(master, AEAD_KEY_LEN);
    store_close(s);
}

int cli_parse(int argc, char **argv, const char *usage, const struct option *longs,
              int (*on_opt)(int c, const char *arg, void *ctx), void *ctx, const char **pos, size_t n_pos)
{
    size_t got = 0;
    optind = 0;
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, "+h", longs, NULL);
        if (c == -1 && optind >= argc)
            break;
        if (c == -1) { /* a positional argument; options may follow it */
            if (got == n_pos)
                return cli_usage_error(usage, "unexpected argument \"%s\"", argv[optind]);
            pos[got++] = argv[optind++];
            continue;
        }
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return cli_usage_error(usage, "unknown option or missing value: \"%s\"", argv[optind - 1]);
        if (on_opt(c, optarg, ctx))
            return cli_usage_error(usage, "bad value for \"%s\"", argv[optind - 1]);
    }
    if (got != n_pos)
        return cli_usage_error(usage, "expected %zu argument(s), got %zu", n_pos, got);
    return 0;
}

int cli_with_store(const char *db_flag, cli_store_fn fn, void *ctx)
{
    struct store *s;
    uint8_t master[AEAD_KEY_LEN];
    if (cli_open(cli_db(db_flag), &s, master))
        return CLI_FAIL;
    struct arena a;
    arena_init(&a);
    int rc = fn(s, master, &a, ctx);
    arena_free(&a);
    cli_close(s, master);
    return rc;
}

int cli_audit_change(struct store *s, const char *realm, const char *type, const char *target,
                     const char *detail)
{
    struct arena a;
    arena_init(&a);
    struct realm r;
    struct audit *au = NULL;
    enum kh_status rc = store_realm_find(s, &a, realm, &r);
    if (!rc)
        rc = audit_open(s, &au);
    if (!rc) {
        audit_record(au, &(struct audit_event){.realm_id = r.id, .realm = r.name, .type = type,
                                               .actor = "cli", .target = target,
                                               .outcome = "ok", .detail = detail});
        rc = audit_flush(au);
        audit_close(au);
    }
    arena_free(&a);
    if (rc)
        return cli_fail("the change was made, but its audit event could not be stored: %s",
                        kh_status_str(rc));
    return CLI_OK;
}

void cli_print_json(void (*fn)(struct jsonw *w, const void *ctx), const void *ctx)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    struct jsonw w;
    jsonw_init(&w, &b);
    fn(&w, ctx);
    if (jsonw_finish(&w) == KH_OK)
        printf("%s\n", b.data);
    buf_free(&b);
}

int cli_dispatch(const struct cli_sub *subs, size_t n, const char *usage, int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(usage, "a subcommand is missing");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    return cli_usage_error(usage, "unknown subcommand \"%s\"", argv[1]);
}
