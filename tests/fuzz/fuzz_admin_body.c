/* fuzz_admin_body.c - the JSON bodies of the admin API: the first byte picks
 * the body (realm, role POST/PUT, user POST/PUT/password, client POST/PUT,
 * integration POST), the rest goes through admin_json_object() (jansson,
 * JSON_REJECT_DUPLICATES, an object) and that body's parser and validators
 * (src/api/admin_parse.h) exactly as the handler runs them. A refusal must
 * come with a sentence, and admin_json_object must refuse anything that is
 * not an object. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "api/admin_common.h"
#include "api/admin_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { REALM, ROLE_POST, ROLE_PUT, USER_POST, USER_PUT, USER_PASSWORD, CLIENT_POST,
       CLIENT_PUT, INTEGRATION_POST, N_BODIES };

static const char *check(struct request *req, int which, json_t *body)
{
    switch (which) {
    case REALM: return admin_realm_body_check(req, body);
    case ROLE_POST: return admin_role_body_check(req, body, true);
    case ROLE_PUT: return admin_role_body_check(req, body, false);
    case USER_POST: return admin_user_body_check(req, body, ADMIN_USER_CREATE);
    case USER_PUT: return admin_user_body_check(req, body, ADMIN_USER_UPDATE);
    case USER_PASSWORD: return admin_user_body_check(req, body, ADMIN_USER_PASSWORD);
    case CLIENT_POST: return admin_client_body_check(req, body, true);
    case CLIENT_PUT: return admin_client_body_check(req, body, false);
    default: return admin_integration_body_check(req, body);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int which = data[0] % N_BODIES;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    const char *why = NULL;
    json_t *body = admin_json_object(len ? text : NULL, len, &why);
    if (!body) {
        if (!why || !*why)
            abort();
        return 0;
    }
    if (!json_is_object(body))
        abort();
    struct arena a;
    arena_init(&a);
    struct request req;
    memset(&req, 0, sizeof req);
    req.arena = &a;
    why = check(&req, which, body);
    if (why && !*why)
        abort(); /* a refusal always says why */
    json_decref(body);
    arena_free(&a);
    return 0;
}
