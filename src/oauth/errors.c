#include "oauth/errors.h"

static const struct {
    const char *code;
    int status;
} TABLE[] = {
    [OAUTH_OK] = {"ok", 200},
    [OAUTH_INVALID_REQUEST] = {"invalid_request", 400},
    [OAUTH_INVALID_CLIENT] = {"invalid_client", 401},
    [OAUTH_INVALID_GRANT] = {"invalid_grant", 400},
    [OAUTH_UNAUTHORIZED_CLIENT] = {"unauthorized_client", 400},
    [OAUTH_UNSUPPORTED_GRANT_TYPE] = {"unsupported_grant_type", 400},
    [OAUTH_INVALID_SCOPE] = {"invalid_scope", 400},
    [OAUTH_SERVER_ERROR] = {"server_error", 500},
    [OAUTH_TEMPORARILY_UNAVAILABLE] = {"temporarily_unavailable", 503},
};

const char *oauth_error_code(enum oauth_error e)
{
    return TABLE[e].code;
}

int oauth_error_status(enum oauth_error e)
{
    return TABLE[e].status;
}
