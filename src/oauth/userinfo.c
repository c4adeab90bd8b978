/* userinfo.c - the OpenID Connect UserInfo endpoint's logic (OIDC Core
 * §5.3): the claims of the user an access token with scope openid was
 * issued for, as the user is now. */
#include "core/clock.h"
#include "oauth/bearer.h"
#include "oauth/scope.h"

static const char *full_name(struct arena *a, const struct user *u)
{
    if (u->first_name && u->last_name)
        return arena_printf(a, "%s %s", u->first_name, u->last_name);
    return u->first_name ? u->first_name : u->last_name;
}

enum userinfo_status oauth_userinfo(const struct oauth *o, struct arena *a,
                                    const struct realm *realm, const char *access_token,
                                    int64_t now, struct userinfo *out)
{
    struct bearer b;
    enum kh_status rc = bearer_verify(o, a, realm, access_token, now ? now : clock_now(), &b);
    if (rc == KH_ERR_DENIED)
        return USERINFO_INVALID_TOKEN;
    if (rc)
        return USERINFO_SERVER_ERROR;
    struct scope_set scope;
    if (scope_parse(a, b.scope, &scope))
        return USERINFO_INVALID_TOKEN;
    if (!b.user_id || !scope_has(&scope, "openid"))
        return USERINFO_INSUFFICIENT_SCOPE;
    struct user u;
    rc = store_user_get(o->store, a, realm->id, b.user_id, &u);
    if (rc == KH_ERR_NOTFOUND)
        return USERINFO_INVALID_TOKEN;
    if (rc)
        return USERINFO_SERVER_ERROR;
    if (!u.enabled) /* the user's tokens stand for nothing once disabled */
        return USERINFO_INVALID_TOKEN;
    struct userinfo info = {.sub = u.id, .preferred_username = u.username};
    if (scope_has(&scope, "email") && u.email) {
        info.email = u.email;
        info.email_verified_known = true;
    }
    if (scope_has(&scope, "profile")) {
        info.given_name = u.first_name;
        info.family_name = u.last_name;
        info.name = full_name(a, &u);
    }
    *out = info;
    return USERINFO_OK;
}
