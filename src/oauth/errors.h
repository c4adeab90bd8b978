/* errors.h - OAuth protocol outcomes (RFC 6749 §5.2) as values.
 *
 * One table maps each error to its `error` string and HTTP status, so no
 * handler picks a status by hand. */
#ifndef KH_OAUTH_ERRORS_H
#define KH_OAUTH_ERRORS_H

enum oauth_error {
    OAUTH_OK = 0,
    OAUTH_INVALID_REQUEST,
    OAUTH_INVALID_CLIENT,
    OAUTH_INVALID_GRANT,
    OAUTH_UNAUTHORIZED_CLIENT,
    OAUTH_UNSUPPORTED_GRANT_TYPE,
    OAUTH_INVALID_SCOPE,
    OAUTH_SERVER_ERROR,
    OAUTH_TEMPORARILY_UNAVAILABLE,
};

/* An outcome with its human description (a static string). */
struct oauth_outcome {
    enum oauth_error error;
    const char *description;
};

const char *oauth_error_code(enum oauth_error e); /* "invalid_grant", ... */
int oauth_error_status(enum oauth_error e);       /* 400, 401, 500, 503 */

#endif
