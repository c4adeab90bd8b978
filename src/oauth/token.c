/* token.c - the token endpoint: client authentication and grant dispatch. */
#include <string.h>
#include "core/clock.h"
#include "oauth/grant.h"
#include "oauth/usage.h"

static const struct grant *const GRANTS[] = {
    &grant_password,
    &grant_client_credentials,
    &grant_refresh_token,
};

static const struct grant *grant_find(const char *name)
{
    for (size_t i = 0; i < sizeof GRANTS / sizeof GRANTS[0]; i++)
        if (strcmp(GRANTS[i]->name, name) == 0)
            return GRANTS[i];
    return NULL;
}

char *oauth_issuer(const struct oauth *o, struct arena *a, const struct realm *realm)
{
    return arena_printf(a, "%s/realms/%s", o->public_url, realm->name);
}

enum oauth_run oauth_token_run(const struct token_request *req)
{
    const struct grant *g = req->grant_type ? grant_find(req->grant_type) : NULL;
    return g ? g->where : OAUTH_RUN_INLINE;
}

/* The refresh grant is open to every client that may use the password grant
 * (as in Keycloak); client_credentials clients must list it explicitly. */
static bool client_may_use(const struct client *c, const struct grant *g)
{
    if (g->bit == GRANT_REFRESH_TOKEN && (c->grants & GRANT_PASSWORD))
        return true;
    return (c->grants & g->bit) != 0;
}

struct oauth_outcome oauth_token(const struct oauth *o, struct arena *a, const struct token_request *req,
                                 struct token_response *resp)
{
    if (!req->grant_type)
        return OUTCOME(OAUTH_INVALID_REQUEST, "Missing parameter: grant_type");
    const struct grant *grant = grant_find(req->grant_type);
    if (!grant)
        return OUTCOME(OAUTH_UNSUPPORTED_GRANT_TYPE, "Unsupported grant_type");
    int64_t now = req->now ? req->now : clock_now();
    struct client_context read = {.with_owner = grant->needs_owner};
    struct oauth_outcome out = client_authenticate(o, a, req->realm, req->client_id,
                                                   req->client_secret, req->remote_ip, now, &read);
    if (out.error)
        return out;
    const struct client *client = &read.client;
    if (!client_may_use(client, grant))
        return OUTCOME(OAUTH_UNAUTHORIZED_CLIENT, "The client is not allowed to use this grant type");
    struct token_response r = {0};
    struct grant_ctx g = {.o = o, .a = a, .req = req, .client = client, .read = &read,
                          .now = now, .resp = &r};
    lifetime_effective(req->realm, client, &g.life);
    out = grant->run(&g);
    if (!out.error) {
        *resp = r;
        usage_note(o->usage, client, now); /* from the row read above; never blocks */
    }
    /* out.description is a literal or in the arena, never in g */
    /* cppcheck-suppress returnDanglingLifetime */
    return out;
}
