/* oauth.h - the protocol logic of keyhold's endpoints, free of HTTP and SQL.
 *
 * The HTTP layer turns a request into one of the request structs below; the
 * oauth_*() functions authenticate the client, do the work against the store
 * and answer a result struct or an OAuth error outcome. Results are strings
 * in the caller's arena. Every function may run on any thread. */
#ifndef KH_OAUTH_H
#define KH_OAUTH_H

#include <stdbool.h>
#include <stdint.h>
#include "core/arena.h"
#include "oauth/errors.h"
#include "oauth/keyring.h"
#include "store/store.h"

#define OAUTH_AUDIENCE "keyhold-api"

struct oauth {
    struct store *store;
    struct keyring *keyring;
    const char *public_url; /* without a trailing slash */
    struct audit *audit;    /* security events (audit/audit.h); NULL: logged only */
    struct usage *usage;    /* clients' last use (oauth/usage.h); NULL: not recorded */
};

struct token_request {
    const struct realm *realm;
    const char *grant_type;     /* NULL when absent */
    const char *client_id;      /* from HTTP Basic or the body; NULL when absent */
    const char *client_secret;  /* NULL when absent */
    bool basic;                 /* the client authenticated with HTTP Basic */
    const char *scope;          /* NULL when absent */
    const char *username;
    const char *password;
    const char *refresh_token;
    const char *remote_ip;
    int64_t now;                /* 0: the clock's (tests set a time) */
};

struct token_response {
    const char *access_token;
    int64_t expires_in;
    const char *refresh_token;  /* NULL when none is issued */
    int64_t refresh_expires_in; /* 0 for offline tokens */
    const char *id_token;       /* NULL unless openid was granted to a user */
    const char *scope;
    const char *session_state;  /* NULL without a session */
    /* for the log line, never secret: */
    const char *subject;
};

/* The issuer of a realm: {public_url}/realms/{name}. */
char *oauth_issuer(const struct oauth *o, struct arena *a, const struct realm *realm);

/* Where a request runs: off the I/O threads when its grant hashes a password
 * (SLOW), one batch at a time when it writes to the store on every call
 * (SERIAL: rotating refresh tokens, revocation, logout), else right where it
 * arrived. */
enum oauth_run { OAUTH_RUN_INLINE, OAUTH_RUN_SLOW, OAUTH_RUN_SERIAL };
enum oauth_run oauth_token_run(const struct token_request *req);

/* Runs a token request. On OAUTH_OK *resp is filled (arena strings). */
struct oauth_outcome oauth_token(const struct oauth *o, struct arena *a, const struct token_request *req,
                                 struct token_response *resp);

/* Client authentication as at the token endpoint (RFC 6749 §2.3): a
 * confidential client proves its current secret, or its previous one while
 * old_secret_until > now, and neither once its expires_at (if any) is past; a public client names itself and sends no secret; a
 * disabled or unknown client fails. A wrong secret counts against the client
 * and remote_ip (NULL: no address), an unknown client against remote_ip;
 * while either is locked every secret fails (oauth/lockout.h).
 * OAUTH_INVALID_CLIENT or OAUTH_SERVER_ERROR; *out written on OAUTH_OK. */
struct oauth_outcome oauth_client_authenticate(const struct oauth *o, struct arena *a,
                                               const struct realm *realm, const char *client_id,
                                               const char *client_secret, const char *remote_ip,
                                               int64_t now, struct client *out);

/* A client's request about one token: introspection (RFC 7662), revocation
 * (RFC 7009) and logout (where `token` is the form's refresh_token). */
struct client_token_request {
    const struct realm *realm;
    const char *client_id;       /* from HTTP Basic or the body */
    const char *client_secret;
    bool basic;
    const char *token;           /* NULL when absent */
    const char *token_type_hint; /* a hint only: every kind is recognised by its form */
    const char *remote_ip;
    int64_t now;                 /* 0: the clock's */
};

/* What introspection says of a token. Only `active` is meaningful when false. */
struct introspection {
    bool active;
    const char *scope;
    const char *client_id;
    const char *username;   /* users only */
    const char *sub;
    const char *token_type; /* "Bearer" (access tokens) or "Refresh" */
    int64_t exp, iat;
    const char *iss;
    const char *aud;        /* access tokens only */
    const char *sid;        /* with a session */
};

/* RFC 7662. Errors: invalid_client, invalid_request (no token), server_error.
 * Anything expired, revoked, malformed, of another realm or issued to another
 * client is answered OAUTH_OK with out->active false. */
struct oauth_outcome oauth_introspect(const struct oauth *o, struct arena *a,
                                      const struct client_token_request *req,
                                      struct introspection *out);

/* RFC 7009. A refresh token ends its session; a JWT access token's jti is
 * remembered as revoked until it expires; an opaque one is marked revoked.
 * Unknown, invalid or another client's tokens are left alone: OAUTH_OK too.
 * Errors: invalid_client, invalid_request (no token), server_error. Writes:
 * run it as OAUTH_RUN_SERIAL. */
struct oauth_outcome oauth_revoke(const struct oauth *o, struct arena *a,
                                  const struct client_token_request *req);

/* Ends the session of req->token (a refresh token of the calling client):
 * every refresh token of it dies. Unknown, another client's, or an already
 * ended session: invalid_grant. Writes: run it as OAUTH_RUN_SERIAL. */
struct oauth_outcome oauth_logout(const struct oauth *o, struct arena *a,
                                  const struct client_token_request *req);

/* OpenID Connect userinfo (RFC 6750 bearer errors). */
enum userinfo_status {
    USERINFO_OK = 0,
    USERINFO_INVALID_TOKEN,      /* 401 error="invalid_token" */
    USERINFO_INSUFFICIENT_SCOPE, /* 403 error="insufficient_scope", scope="openid" */
    USERINFO_SERVER_ERROR,       /* 500 or 503 */
};

/* The claims; a NULL string is left out of the answer. */
struct userinfo {
    const char *sub;
    const char *preferred_username;
    const char *email;          /* scope email */
    bool email_verified_known;  /* write email_verified (false: keyhold verifies no address) */
    const char *given_name;     /* scope profile, the next three */
    const char *family_name;
    const char *name;
};

/* now 0: the clock's. */
enum userinfo_status oauth_userinfo(const struct oauth *o, struct arena *a,
                                    const struct realm *realm, const char *access_token,
                                    int64_t now, struct userinfo *out);

#endif
