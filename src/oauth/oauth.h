/* oauth.h - the token endpoint's logic, free of HTTP and SQL.
 *
 * The HTTP layer turns a request into struct token_request; oauth_token()
 * authenticates the client, runs the grant and answers a struct
 * token_response or an OAuth error outcome. */
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
};

struct token_response {
    const char *access_token;
    int64_t expires_in;
    const char *refresh_token;  /* NULL when none is issued */
    int64_t refresh_expires_in; /* 0 for offline tokens */
    const char *scope;
    const char *session_state;  /* NULL without a session */
    /* for the log line, never secret: */
    const char *subject;
};

/* The issuer of a realm: {public_url}/realms/{name}. */
char *oauth_issuer(const struct oauth *o, struct arena *a, const struct realm *realm);

/* Where a token request runs: off the I/O threads when its grant hashes a
 * password (SLOW), one batch at a time when it writes to the store on every
 * call (SERIAL: rotating refresh tokens), else right where it arrived. */
enum oauth_run { OAUTH_RUN_INLINE, OAUTH_RUN_SLOW, OAUTH_RUN_SERIAL };
enum oauth_run oauth_token_run(const struct token_request *req);

/* Runs a token request. On OAUTH_OK *resp is filled (arena strings). */
struct oauth_outcome oauth_token(const struct oauth *o, struct arena *a, const struct token_request *req,
                                 struct token_response *resp);

#endif
