/* routes.c - every endpoint of keyhold, in one table (SPEC §4). */
#include "api/respond.h"

#define FORM API_MAX_FORM_BODY
#define JSON API_MAX_JSON_BODY
#define DEFAULT_REALM (&API_DEFAULT_REALM)
#define OIDC "/realms/{realm}/protocol/openid-connect"

static const struct route ROUTES[] = {
    {"POST", OIDC "/token", api_token, FORM, NULL},
    {"POST", "/connect/token", api_token, FORM, DEFAULT_REALM},
    {"POST", OIDC "/token/introspect", api_introspect, FORM, NULL},
    {"POST", "/connect/introspect", api_introspect, FORM, DEFAULT_REALM},
    {"POST", OIDC "/revoke", api_revoke, FORM, NULL},
    {"POST", "/connect/revocation", api_revoke, FORM, DEFAULT_REALM},
    {"GET", OIDC "/userinfo", api_userinfo, 0, NULL},
    {"POST", OIDC "/userinfo", api_userinfo, FORM, NULL},
    {"GET", "/connect/userinfo", api_userinfo, 0, DEFAULT_REALM},
    {"POST", "/connect/userinfo", api_userinfo, FORM, DEFAULT_REALM},
    {"POST", OIDC "/logout", api_logout, FORM, NULL},
    {"POST", "/connect/logout", api_logout, FORM, DEFAULT_REALM},
    {"GET", OIDC "/certs", api_jwks, 0, NULL},
    {"GET", "/.well-known/jwks.json", api_jwks, 0, DEFAULT_REALM},
    {"GET", "/realms/{realm}/.well-known/openid-configuration", api_discovery, 0, NULL},
    {"GET", "/.well-known/openid-configuration", api_discovery, 0, DEFAULT_REALM},
    {"GET", "/v1/users", api_v1_users, 0, NULL},
    /* imports over the API: the body is streamed to the import (limit set per request) */
    {"POST", "/v1/imports", api_v1_imports_accept, 0, NULL, &API_V1_IMPORTS_STREAM},
    {"GET", "/v1/imports/{id}", api_v1_import_get, 0, NULL},
    {"GET", "/admin/realms", api_admin_realms_list, 0, NULL},
    {"POST", "/admin/realms", api_admin_realms_create, JSON, NULL},
    {"GET", "/admin/realms/{realm}", api_admin_realm_get, 0, NULL},
    {"GET", "/admin/realms/{realm}/roles", api_admin_roles_list, 0, NULL},
    {"POST", "/admin/realms/{realm}/roles", api_admin_roles_create, JSON, NULL},
    {"GET", "/admin/realms/{realm}/roles/{name}", api_admin_role_get, 0, NULL},
    {"GET", "/admin/realms/{realm}/users", api_admin_users_list, 0, NULL},
    {"POST", "/admin/realms/{realm}/users", api_admin_users_create, JSON, NULL},
    {"GET", "/admin/realms/{realm}/users/{id}", api_admin_user_get, 0, NULL},
    {"PUT", "/admin/realms/{realm}/users/{id}/password", api_admin_user_password, JSON, NULL},
    /* admin REST rows: changing and deleting roles and users; clients */
    {"PUT", "/admin/realms/{realm}/roles/{name}", api_admin_role_update, JSON, NULL},
    {"DELETE", "/admin/realms/{realm}/roles/{name}", api_admin_role_delete, 0, NULL},
    {"PUT", "/admin/realms/{realm}/users/{id}", api_admin_user_update, JSON, NULL},
    {"DELETE", "/admin/realms/{realm}/users/{id}", api_admin_user_delete, 0, NULL},
    {"GET", "/admin/realms/{realm}/clients", api_admin_clients_list, 0, NULL},
    {"POST", "/admin/realms/{realm}/clients", api_admin_clients_create, JSON, NULL},
    {"GET", "/admin/realms/{realm}/clients/{client_id}", api_admin_client_get, 0, NULL},
    {"PUT", "/admin/realms/{realm}/clients/{client_id}", api_admin_client_update, JSON, NULL},
    {"DELETE", "/admin/realms/{realm}/clients/{client_id}", api_admin_client_delete, 0, NULL},
    /* integrations ("new client credentials") and secret rotation */
    {"POST", "/admin/realms/{realm}/integrations", api_admin_integrations_create, JSON, NULL},
    {"GET", "/admin/realms/{realm}/integrations", api_admin_integrations_list, 0, NULL},
    {"DELETE", "/admin/realms/{realm}/integrations/{client_id}", api_admin_integration_delete, 0,
     NULL},
    {"POST", "/admin/realms/{realm}/clients/{client_id}/secret", api_admin_client_secret, JSON,
     NULL},
    /* audit log */
    {"GET", "/admin/realms/{realm}/events", api_admin_events_list, 0, NULL},
    /* brute-force protection: locks and their lifting */
    {"GET", "/admin/realms/{realm}/lockouts", api_admin_lockouts_list, 0, NULL},
    {"DELETE", "/admin/realms/{realm}/lockouts/{kind}/{key}", api_admin_lockout_delete, 0, NULL},
    {"GET", "/healthz", api_healthz, 0, NULL},
    {"GET", "/readyz", api_readyz, 0, NULL},
};

const struct route *api_routes(size_t *n)
{
    *n = sizeof ROUTES / sizeof ROUTES[0];
    return ROUTES;
}
