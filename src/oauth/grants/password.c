/* password.c - the resource owner password credentials grant (RFC 6749 §4.3).
 * Runs off the I/O threads: verifying argon2id costs ~15 ms of a core. */
#include <ctype.h>
#include <stdint.h>
#include <string.h>
#include "authn/password.h"
#include "core/random.h"
#include "oauth/grant.h"

static const struct oauth_outcome BAD_CREDENTIALS = {OAUTH_INVALID_GRANT, "Invalid user credentials"};

static char *lowercase(struct arena *a, const char *s)
{
    char *l = arena_strdup(a, s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

/* Unknown user and wrong password cost the same hash and give the same answer. */
static struct oauth_outcome check_credentials(struct grant_ctx *g, struct user *out)
{
    const char *password = g->req->password;
    size_t n = strlen(password);
    struct user u;
    enum kh_status rc = store_user_find_by_name(g->o->store, g->a, g->req->realm->id,
                                                lowercase(g->a, g->req->username), &u);
    if (rc == KH_ERR_NOTFOUND) {
        if (password_verify_dummy(password, n) != KH_OK)
            return BAD_CREDENTIALS;
        return BAD_CREDENTIALS;
    }
    if (rc)
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    if (password_verify(u.password_hash, password, n) != KH_OK)
        return BAD_CREDENTIALS;
    /* Only now, with the right password, may the answer say more. */
    if (!u.enabled)
        return OUTCOME(OAUTH_INVALID_GRANT, "Account disabled");
    *out = u;
    return OUTCOME_OK;
}

static struct oauth_outcome run(struct grant_ctx *g)
{
    const struct token_request *req = g->req;
    if (!req->username || !req->password)
        return OUTCOME(OAUTH_INVALID_REQUEST, "Missing parameter: username and password are required");
    struct scope_set scope;
    struct oauth_outcome out = grant_requested_scope(g, &scope);
    if (out.error)
        return out;
    struct user user;
    out = check_credentials(g, &user);
    if (out.error)
        return out;
    struct subject subj;
    out = grant_user_subject(g, user.id, &subj);
    if (out.error)
        return out;
    scope_filter_held(&scope, &subj.access);

    char *sid = arena_alloc(g->a, 37);
    random_uuid(sid);
    bool offline = scope_has(&scope, "offline_access");
    struct session sess = {
        .id = sid,
        .realm_id = req->realm->id,
        .user_id = user.id,
        .client_id = g->client->client_id,
        .offline = offline,
        .created_at = g->now,
        /* offline sessions have no maximum, only the offline idle limit */
        .expires_at = offline ? INT64_MAX : g->now + req->realm->session_max_ttl,
    };
    const char *refresh;
    struct refresh_token row;
    grant_new_refresh(g, &sess, &scope, &refresh, &row);
    out = grant_issue_access(g, &subj, &scope, sid);
    if (out.error)
        return out;
    if (store_session_start(g->o->store, &sess, &row))
        return OUTCOME(OAUTH_SERVER_ERROR, "The store is not available");
    g->resp->refresh_token = refresh;
    g->resp->refresh_expires_in = grant_refresh_expires_in(g, &row);
    return OUTCOME_OK;
}

const struct grant grant_password = {
    .name = "password",
    .bit = GRANT_PASSWORD,
    .slow = true,
    .run = run,
};
