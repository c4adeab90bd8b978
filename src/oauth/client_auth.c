/* client_auth.c - client authentication shared by the token, introspection,
 * revocation and logout endpoints (RFC 6749 §2.3). */
#include <string.h>
#include "core/secret.h"
#include "oauth/grant.h"
#include "oauth/lockout.h"

/* The current secret, or the previous one during its rotation grace. Both
 * comparisons always run, in constant time. */
static bool secret_matches(const struct client *c, const char *secret, int64_t now)
{
    uint8_t hash[SHA256_LEN];
    secret_hash(secret, strlen(secret), hash);
    bool current = secret_equal(hash, c->secret_hash, SHA256_LEN);
    bool previous = secret_equal(hash, c->old_secret_hash, SHA256_LEN);
    secret_wipe(hash, sizeof hash);
    return current || (previous && c->old_secret_until > now);
}

/* A confidential client's secret, behind the brute-force counter of the
 * address (oauth/lockout.h), read with the client: from a locked address it
 * fails like a wrong secret, after the same comparison. Not the client's own
 * counter: its client_id is no secret, and a lock of the client itself would
 * let anyone who knows it shut a partner's job out, while its 256-bit secret
 * cannot be guessed anyway. */
static bool secret_ok(const struct oauth *o, const struct realm *realm,
                      const struct client_context *ctx, const char *secret, int64_t now)
{
    const struct client *c = &ctx->client;
    struct lockout_attempt attempt;
    bool locked = lockout_check_read(o, realm, &ctx->address, c->client_id, now, &attempt);
    bool ok = secret && secret_check(SECRET_CLIENT, secret, strlen(secret)) &&
              secret_matches(c, secret, now);
    if (!locked)
        lockout_record(&attempt, ok, true);
    return ok && !locked;
}

/* An unknown client_id counts against the address only. */
static void unknown_client(const struct oauth *o, const struct realm *realm,
                           const struct client_context *ctx, int64_t now)
{
    struct lockout_attempt attempt;
    if (!lockout_check_read(o, realm, &ctx->address, NULL, now, &attempt))
        lockout_record(&attempt, false, false);
}

struct oauth_outcome client_authenticate(const struct oauth *o, struct arena *a,
                                         const struct realm *realm, const char *client_id,
                                         const char *client_secret, const char *remote_ip,
                                         int64_t now, struct client_context *ctx)
{
    static const struct oauth_outcome bad = {OAUTH_INVALID_CLIENT,
                                             "Invalid client or Invalid client credentials"};
    if (!client_id || !*client_id)
        return bad;
    ctx->address = lockout_address_row(LOCKOUT_CLIENT_AUTH, remote_ip);
    enum kh_status rc = store_client_context(o->store, a, realm->id, client_id, ctx);
    if (rc == KH_ERR_NOTFOUND) {
        unknown_client(o, realm, ctx, now);
        return bad;
    }
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    const struct client *c = &ctx->client;
    if (!c->enabled)
        return bad;
    if (!c->confidential)
        return client_secret ? bad : OUTCOME_OK;
    if (c->expires_at && now >= c->expires_at) /* expired credentials: every secret of it */
        return bad;
    return secret_ok(o, realm, ctx, client_secret, now) ? OUTCOME_OK : bad;
}

struct oauth_outcome oauth_client_authenticate(const struct oauth *o, struct arena *a,
                                               const struct realm *realm, const char *client_id,
                                               const char *client_secret, const char *remote_ip,
                                               int64_t now, struct client *out)
{
    struct client_context ctx = {0};
    struct oauth_outcome r =
        client_authenticate(o, a, realm, client_id, client_secret, remote_ip, now, &ctx);
    if (!r.error)
        *out = ctx.client;
    return r;
}
