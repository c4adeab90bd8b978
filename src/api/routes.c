/* routes.c - every endpoint of keyhold, in one table (SPEC §4). */
#include "api/respond.h"

#define FORM API_MAX_FORM_BODY
#define DEFAULT_REALM (&API_DEFAULT_REALM)

static const struct route ROUTES[] = {
    {"POST", "/realms/{realm}/protocol/openid-connect/token", api_token, FORM, NULL},
    {"POST", "/connect/token", api_token, FORM, DEFAULT_REALM},
    {"GET", "/realms/{realm}/protocol/openid-connect/certs", api_jwks, 0, NULL},
    {"GET", "/.well-known/jwks.json", api_jwks, 0, DEFAULT_REALM},
    {"GET", "/realms/{realm}/.well-known/openid-configuration", api_discovery, 0, NULL},
    {"GET", "/.well-known/openid-configuration", api_discovery, 0, DEFAULT_REALM},
    {"GET", "/healthz", api_healthz, 0, NULL},
    {"GET", "/readyz", api_readyz, 0, NULL},
};

const struct route *api_routes(size_t *n)
{
    *n = sizeof ROUTES / sizeof ROUTES[0];
    return ROUTES;
}
