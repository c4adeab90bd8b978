/* grant.h - what the grants share (private to src/oauth). One file per grant
 * in grants/, registered in the table of token.c. */
#ifndef KH_OAUTH_GRANT_H
#define KH_OAUTH_GRANT_H

#include "oauth/lifetime.h"
#include "oauth/oauth.h"
#include "oauth/scope.h"

struct grant_ctx {
    const struct oauth *o;
    struct arena *a;
    const struct token_request *req;
    const struct client *client; /* authenticated */
    const struct client_context *read; /* as read with the client */
    struct lifetimes life;       /* in force for this client */
    int64_t now;
    struct token_response *resp;
};

struct grant {
    const char *name;
    unsigned bit;   /* enum grant_bits */
    enum oauth_run where;
    bool needs_owner; /* read the client's owner with the client (grant_client_subject) */
    struct oauth_outcome (*run)(struct grant_ctx *g);
};

extern const struct grant grant_password;
extern const struct grant grant_client_credentials;
extern const struct grant grant_refresh_token;

/* Who a token is for. */
struct subject {
    const char *sub;              /* user id, or the client's id */
    const struct user *user;      /* NULL when the subject is the client itself */
    struct access access;         /* what it holds now */
};

/* Client authentication as oauth_client_authenticate, reading into *ctx
 * (ctx->with_owner set by the caller); ctx->client is the client on OAUTH_OK. */
struct oauth_outcome client_authenticate(const struct oauth *o, struct arena *a,
                                         const struct realm *realm, const char *client_id,
                                         const char *client_secret, const char *remote_ip,
                                         int64_t now, struct client_context *ctx);

#define OUTCOME(e, d) ((struct oauth_outcome){(e), (d)})
#define OUTCOME_OK OUTCOME(OAUTH_OK, NULL)

/* Resolves the requested scope against the client: absent → the default
 * scopes; any scope the client may not use → invalid_scope. */
struct oauth_outcome grant_requested_scope(struct grant_ctx *g, struct scope_set *out);
/* The subject for a user id: the user must exist and be enabled. */
struct oauth_outcome grant_user_subject(struct grant_ctx *g, const char *user_id, struct subject *out);
/* The subject of a client-credentials grant: its owner, or the client itself. */
struct oauth_outcome grant_client_subject(struct grant_ctx *g, struct subject *out);
/* Issues the access token (a signed JWT, or an opaque kha_ token stored by
 * its hash for an `opaque` client) and, when openid is in the scope and the
 * subject is a user, the ID token; fills g->resp's access part. auth_time is
 * when the user authenticated (the session's start). */
struct oauth_outcome grant_issue_tokens(struct grant_ctx *g, const struct subject *subj,
                                        const struct scope_set *scope, const char *sid,
                                        int64_t auth_time);
/* A new session id (UUID) in the arena. */
char *grant_new_sid(struct grant_ctx *g);
/* Stores a new session `sid` for the subject (user_id NULL for a client) with
 * its first refresh token, and puts that token into g->resp. offline_access in
 * the scope makes it an offline session: no maximum, the offline idle limit. */
struct oauth_outcome grant_start_session(struct grant_ctx *g, const char *user_id,
                                         const struct scope_set *scope, const char *sid);
/* A new refresh token for the session: the token into *token, its stored row
 * into *row; it expires at min(now + idle, the session's end). */
void grant_new_refresh(struct grant_ctx *g, const struct session *sess, const struct scope_set *scope,
                       const char **token, struct refresh_token *row);

#endif
