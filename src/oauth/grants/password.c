/* password.c - the resource owner password credentials grant (RFC 6749 §4.3).
 * Runs off the I/O threads: verifying argon2id costs ~15 ms of a core. */
#include <string.h>
#include "audit/audit.h"
#include "authn/password.h"
#include "core/hash.h"
#include "core/log.h"
#include "oauth/grant.h"
#include "oauth/lockout.h"
#include "oauth/manage.h"

static const struct oauth_outcome BAD_CREDENTIALS = {OAUTH_INVALID_GRANT, "Invalid user credentials"};

/* Unknown user, wrong password and a locked user or address (oauth/lockout.h)
 * cost the same hash and give the same answer. */
static struct oauth_outcome check_credentials(struct grant_ctx *g, struct user *out)
{
    const char *password = g->req->password;
    size_t n = strlen(password);
    const char *username = manage_username(g->a, g->req->username);
    struct lockout_attempt attempt;
    bool locked = false;
    if (lockout_check(g->o, g->req->realm, LOCKOUT_LOGIN, username, g->req->remote_ip,
                      g->client->client_id, g->now, &attempt, &locked))
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    struct user u;
    enum kh_status rc = store_user_find_by_name(g->o->store, g->a, g->req->realm->id, username, &u);
    if (rc == KH_ERR_NOTFOUND || (!rc && locked)) {
        if (password_verify_dummy(password, n) != KH_OK && !locked)
            lockout_record(&attempt, false, false);
        return BAD_CREDENTIALS;
    }
    if (rc)
        return OUTCOME(OAUTH_TEMPORARILY_UNAVAILABLE, "The store is not available");
    bool ok = password_verify(u.password_hash, password, n) == KH_OK;
    lockout_record(&attempt, ok, true);
    if (!ok)
        return BAD_CREDENTIALS;
    /* Only now, with the right password, may the answer say more. */
    if (!u.enabled)
        return OUTCOME(OAUTH_INVALID_GRANT, "Account disabled");
    *out = u;
    return OUTCOME_OK;
}

/* Password-hash upgrade: a hash of another scheme (PBKDF2, bcrypt) or a weaker
 * argon2id one is replaced by ours once the password has verified, here on
 * the slow-pool thread and before answering. Failing to store it is logged,
 * not fatal: the old hash still verifies next time. */
static void upgrade_hash(struct grant_ctx *g, const struct user *u)
{
    const struct token_request *r = g->req;
    if (!password_needs_rehash(u->password_hash))
        return;
    char hash[PASSWORD_HASH_MAX];
    enum kh_status rc = password_hash(r->password, strlen(r->password), hash);
    if (!rc)
        rc = store_user_set_password(g->o->store, r->realm->id, u->id, hash);
    secret_wipe(hash, sizeof hash);
    if (rc) {
        log_warn("password.rehash_failed", LOG_STR("realm", r->realm->name),
                 LOG_STR("user", u->id), LOG_STR("error", kh_status_str(rc)));
        return;
    }
    audit_record(g->o->audit,
                 &(struct audit_event){
                     .realm_id = r->realm->id, .realm = r->realm->name,
                     .type = AUDIT_PASSWORD_REHASH, .actor = u->id, .target = u->id,
                     .client_id = g->client->client_id, .ip = r->remote_ip, .outcome = "ok",
                     .detail = "the password hash was replaced by argon2id"});
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
    upgrade_hash(g, &user);
    struct subject subj;
    out = grant_user_subject(g, user.id, &subj);
    if (out.error)
        return out;
    scope_filter_held(&scope, &subj.access);

    /* The session first: an opaque access token's row refers to it. */
    const char *sid = grant_new_sid(g);
    out = grant_start_session(g, user.id, &scope, sid);
    if (out.error)
        return out;
    return grant_issue_tokens(g, &subj, &scope, sid, g->now);
}

const struct grant grant_password = {
    .name = "password",
    .bit = GRANT_PASSWORD,
    .where = OAUTH_RUN_SLOW,
    .run = run,
};
