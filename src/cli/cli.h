/* cli.h - the `keyhold` command line: one file per command group.
 *
 * Exit status: 0 success, 1 a user error (one line on stderr), 2 a usage
 * error. Every command takes --help (usage on stdout, exit 0) and --db. */
#ifndef KH_CLI_H
#define KH_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include "core/aead.h"
#include "core/arena.h"
#include "store/store.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

#define CLI_DEFAULT_DB "./keyhold.db"

int cli_serve(int argc, char **argv);
int cli_realm(int argc, char **argv);
int cli_role(int argc, char **argv);
int cli_user(int argc, char **argv);
int cli_client(int argc, char **argv);
int cli_key(int argc, char **argv);
int cli_import(int argc, char **argv);
int cli_integration(int argc, char **argv);
int cli_audit(int argc, char **argv);
int cli_lockout(int argc, char **argv);
int cli_migrate(int argc, char **argv);

/* "keyhold: <message>" on stderr; returns CLI_FAIL. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage message on stderr; returns CLI_USAGE. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The database: --db, else KEYHOLD_DB, else ./keyhold.db. */
const char *cli_db(const char *flag);
/* A whole decimal integer (a leading '-' allowed) into *out; -1 if arg is not one. */
int cli_int(const char *arg, int64_t *out);
/* Unix time t as "2006-01-02T15:04:05Z" into buf. */
const char *cli_time(int64_t t, char buf[32]);

/* The lifetime options that realm update and client update share. */
enum {
    CLI_OPT_ACCESS_TTL = 256,
    CLI_OPT_REFRESH_IDLE_TTL,
    CLI_OPT_SESSION_MAX_TTL,
    CLI_OPT_OFFLINE_IDLE_TTL,
    CLI_OPT_REFRESH_GRACE,
};
#define CLI_LIFETIME_LONGS                                                          \
    {"access-token-lifetime", required_argument, NULL, CLI_OPT_ACCESS_TTL},         \
    {"refresh-idle-lifetime", required_argument, NULL, CLI_OPT_REFRESH_IDLE_TTL},   \
    {"session-max-lifetime", required_argument, NULL, CLI_OPT_SESSION_MAX_TTL},     \
    {"offline-idle-lifetime", required_argument, NULL, CLI_OPT_OFFLINE_IDLE_TTL},   \
    {"refresh-reuse-grace", required_argument, NULL, CLI_OPT_REFRESH_GRACE}

/* Opens the store and the master key; on failure prints why and returns CLI_FAIL. */
int cli_open(const char *db, struct store **s, uint8_t master[AEAD_KEY_LEN]);
void cli_close(struct store *s, uint8_t master[AEAD_KEY_LEN]);

/* Parses long options (the table must map "help" to 'h') and exactly
 * n_pos positional arguments into pos[]. on_opt(c, optarg, ctx) handles each
 * other option and returns non-zero for a bad value. Returns 0 to go on, -1
 * after printing --help, or CLI_USAGE after printing why. */
struct option;
int cli_parse(int argc, char **argv, const char *usage, const struct option *longs,
              int (*on_opt)(int c, const char *arg, void *ctx), void *ctx, const char **pos, size_t n_pos);
/* cli_parse's result as an exit status, for `if (rc) return cli_parsed(rc);`. */
#define cli_parsed(rc) ((rc) < 0 ? CLI_OK : (rc))

/* Opens the store and master key, runs fn(ctx), closes; returns fn's status. */
typedef int (*cli_store_fn)(struct store *s, const uint8_t *master, struct arena *a, void *ctx);
int cli_with_store(const char *db_flag, cli_store_fn fn, void *ctx);

/* Records a change the command made in the audit log of `realm` (actor
 * "cli", no ip) and waits until it is stored. CLI_OK, or CLI_FAIL after
 * saying that the change was made but its event could not be stored. */
int cli_audit_change(struct store *s, const char *realm, const char *type, const char *target,
                     const char *detail);

/* Prints the JSON object built by fn followed by a newline. */
struct jsonw;
void cli_print_json(void (*fn)(struct jsonw *w, const void *ctx), const void *ctx);

/* Runs the subcommand named argv[1] from the table; prints `usage` for none,
 * an unknown one or --help. */
struct cli_sub {
    const char *name;
    int (*run)(int argc, char **argv);
};
int cli_dispatch(const struct cli_sub *subs, size_t n, const char *usage, int argc, char **argv);

#endif
