/* grant_bench.c - CPU cost of one token grant without HTTP: oauth_token() in a
 * loop on a real SQLite file, one thread. Prints µs per grant for the
 * client-credentials (ES256, RS256, EdDSA) and rotating refresh grants, and
 * µs per call of introspection and userinfo (ES256 access token of a user with
 * a session), so a change's cost shows apart from the kernel's TCP work. Not a
 * test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "authn/password.h"
#include "core/clock.h"
#include "core/random.h"
#include "oauth/manage.h"
#include "oauth/oauth.h"

#define ROUNDS 20000

static struct store *store;
static uint8_t master[AEAD_KEY_LEN];
static struct oauth oauth;

static void must(enum kh_status rc, const char *what, const char *why)
{
    if (rc) {
        fprintf(stderr, "grant_bench: %s: %s\n", what, why ? why : kh_status_str(rc));
        exit(1);
    }
}

static const char *setup_realm(struct arena *a, const char *name, const char *alg, struct realm *out)
{
    const char *why = NULL, *secret = NULL;
    const char *perms[] = {"api"}, *roles[] = {"api-user"};
    must(manage_realm_create(store, master, name, alg, &why), "realm", why);
    must(manage_role_create(store, a, name, "api-user", perms, 1, false, &why), "role", why);
    struct user_spec u = {.username = "bench", .password = "benchpass", .roles = roles, .n_roles = 1};
    must(manage_user_create(store, a, name, &u, &why), "user", why);
    struct client_spec c = {.client_id = "bench-client", .grants = "client_credentials,password",
                            .scopes = "api openid", .owner = "bench"};
    must(manage_client_create(store, a, name, &c, &secret, &why), "client", why);
    must(manage_realm_get(store, a, name, out, &why), "realm", why);
    return secret;
}

static double run(const struct realm *r, struct token_request *req, int rounds, bool chain)
{
    int64_t t0 = clock_mono_us();
    for (int i = 0; i < rounds; i++) {
        struct arena a;
        arena_init(&a);
        struct token_response resp;
        req->realm = r;
        store_read_begin(store);
        struct oauth_outcome out = oauth_token(&oauth, &a, req, &resp);
        store_read_end(store);
        if (out.error) {
            fprintf(stderr, "grant_bench: %s\n", out.description);
            exit(1);
        }
        if (chain) { /* the next round presents the token just issued */
            static char next[128];
            snprintf(next, sizeof next, "%s", resp.refresh_token);
            req->refresh_token = next;
        }
        arena_free(&a);
    }
    return (double)(clock_mono_us() - t0) / rounds;
}

/* Introspection (or userinfo) of one valid access token, as the handlers run
 * it: one store snapshot per call. */
static double run_read(const struct client_token_request *req, bool userinfo, int rounds)
{
    int64_t t0 = clock_mono_us();
    for (int i = 0; i < rounds; i++) {
        struct arena a;
        arena_init(&a);
        store_read_begin(store);
        bool ok;
        if (userinfo) {
            struct userinfo u;
            ok = oauth_userinfo(&oauth, &a, req->realm, req->token, 0, &u) == USERINFO_OK;
        } else {
            struct introspection in;
            ok = !oauth_introspect(&oauth, &a, req, &in).error && in.active;
        }
        store_read_end(store);
        if (!ok) {
            fprintf(stderr, "grant_bench: the token is not active\n");
            exit(1);
        }
        arena_free(&a);
    }
    return (double)(clock_mono_us() - t0) / rounds;
}

int main(int argc, char **argv)
{
    /* "cc", "refresh" or "read" (introspection, userinfo): run only that path, for profiling */
    bool cc_only = argc > 1 && strcmp(argv[1], "cc") == 0;
    bool refresh_only = argc > 1 && strcmp(argv[1], "refresh") == 0;
    bool read_only = argc > 1 && strcmp(argv[1], "read") == 0;
    char dir[] = "/tmp/kh-grant-bench-XXXXXX", path[64];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/b.db", dir);
    must(store_open(path, &store), "store", NULL);
    random_bytes(master, sizeof master);
    must(password_init(), "password_init", NULL);
    must(keyring_new(store, master, &oauth.keyring), "keyring", NULL);
    oauth.store = store;
    oauth.public_url = "http://127.0.0.1:8080";
    struct arena a;
    arena_init(&a);
    static const char *const algs[] = {"ES256", "RS256", "EdDSA"};
    struct realm realms[3];
    const char *secrets[3];
    for (int i = 0; i < 3; i++) {
        secrets[i] = setup_realm(&a, arena_printf(&a, "r%d", i), algs[i], &realms[i]);
        struct token_request cc = {.grant_type = "client_credentials", .client_id = "bench-client",
                                   .client_secret = secrets[i], .scope = "api", .basic = true,
                                   .remote_ip = "127.0.0.1"}; /* as over HTTP: its counters are read */
        if (refresh_only || read_only)
            break;
        printf("client_credentials %-5s  %6.1f us/grant\n", algs[i], run(&realms[i], &cc, ROUNDS / (i == 1 ? 4 : 1), false));
    }
    if (cc_only)
        return 0;
    struct token_request pw = {.grant_type = "password", .client_id = "bench-client", .client_secret = secrets[0],
                               .username = "bench", .password = "benchpass", .scope = "api"};
    if (!refresh_only && !read_only)
        printf("password (argon2id)       %6.1f us/grant\n", run(&realms[0], &pw, 20, false));
    struct arena ta;
    arena_init(&ta);
    struct token_response first;
    pw.realm = &realms[0];
    must(oauth_token(&oauth, &ta, &pw, &first).error ? KH_ERR_DENIED : KH_OK, "password grant", NULL);
    if (!refresh_only) {
        struct token_response user_token;
        pw.scope = "api openid";
        must(oauth_token(&oauth, &ta, &pw, &user_token).error ? KH_ERR_DENIED : KH_OK, "password grant", NULL);
        struct client_token_request ireq = {.realm = &realms[0], .client_id = "bench-client",
                                            .client_secret = secrets[0], .token = user_token.access_token};
        printf("introspection (JWT)       %6.1f us/call\n", run_read(&ireq, false, ROUNDS));
        printf("userinfo (JWT)            %6.1f us/call\n", run_read(&ireq, true, ROUNDS));
    }
    if (read_only)
        return 0;
    struct token_request rt = {.grant_type = "refresh_token", .client_id = "bench-client",
                               .client_secret = secrets[0], .refresh_token = first.refresh_token};
    printf("refresh_token, rotating   %6.1f us/grant\n", run(&realms[0], &rt, ROUNDS / 2, true));
    arena_free(&ta);
    arena_free(&a);
    keyring_free(oauth.keyring);
    store_close(store);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : 1;
}
