/* client_auth.c - client authentication shared by the token, introspection,
 * revocation and logout endpoints (RFC 6749 §2.3). */
#include <string.h>
#include "core/secret.h"
#include "oauth/grant.h"

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

struct oauth_outcome oauth_client_authenticate(const struct oauth *o, struct arena *a,
                                               const struct realm *realm, const char *client_id,
                                               const char *client_secret, int64_t now,
                                               struct client *out)
{
    static const struct oauth_outcome bad = {OAUTH_INVALID_CLIENT,
                                             "Invalid client or Invalid client credentials"};
    if (!client_id || !*client_id)
        return bad;
    struct client c;
    enum kh_status rc = store_client_find(o->store, a, realm->id, client_id, &c);
    if (rc == KH_ERR_NOTFOUND)
        return bad;
    if (rc)
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    if (!c.enabled)
        return bad;
    if (!c.confidential) {
        if (client_secret)
            return bad;
        *out = c;
        return OUTCOME_OK;
    }
    if (!client_secret || !secret_check(SECRET_CLIENT, client_secret, strlen(client_secret)))
        return bad;
    if (c.expires_at && now >= c.expires_at) /* expired credentials: every secret of it */
        return bad;
    if (!secret_matches(&c, client_secret, now))
        return bad;
    *out = c;
    return OUTCOME_OK;
}
