/* main.c - the keyhold binary: the server and the command line in one. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"

static const char USAGE[] =
    "usage: keyhold COMMAND [ARGS]\n"
    "\n"
    "An OAuth 2.0 / OpenID Connect authorization server.\n"
    "\n"
    "commands:\n"
    "  serve     run the server\n"
    "  realm     create, list, show and update realms\n"
    "  role      create roles\n"
    "  user      create, disable and enable users\n"
    "  client    create and update clients, rotate their secrets (a new secret is printed once)\n"
    "  key       rotate and list a realm's signing keys\n"
    "  import    create or update a realm's users from a CSV or JSON file\n"
    "  integration  new client credentials acting for a user (the secret is printed once)\n"
    "  audit     verify a realm's audit log (its hash chain) and list its events\n"
    "  lockout   list and lift brute-force locks of users, clients and addresses\n"
    "  migrate   copy a SQLite database into an empty PostgreSQL one\n"
    "\n"
    "Run `keyhold COMMAND --help` for a command's options.\n";

static const struct cli_sub COMMANDS[] = {
    {"serve", cli_serve}, {"realm", cli_realm}, {"role", cli_role},
    {"user", cli_user},   {"client", cli_client}, {"key", cli_key},
    {"import", cli_import}, {"integration", cli_integration}, {"audit", cli_audit},
    {"lockout", cli_lockout}, {"migrate", cli_migrate},
};

int main(int argc, char **argv)
{
    return cli_dispatch(COMMANDS, sizeof COMMANDS / sizeof COMMANDS[0], USAGE, argc, argv);
}
