/* admin_parse.h - the admin API's body parsers without HTTP, for the fuzz
 * target tests/fuzz/fuzz_admin_body.c (private to src/api and the tests).
 * Each runs exactly what its handler runs on a body that admin_json_object()
 * accepted, into a scratch write that is then dropped, and returns NULL when the
 * body is accepted or the sentence of the 400. `req` needs only its arena;
 * nothing is read from or written to the store. */
#ifndef KH_API_ADMIN_PARSE_H
#define KH_API_ADMIN_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include "http/http.h"

enum admin_user_body { ADMIN_USER_CREATE, ADMIN_USER_UPDATE, ADMIN_USER_PASSWORD };

const char *admin_realm_body_check(struct request *req, json_t *body);
const char *admin_role_body_check(struct request *req, json_t *body, bool create);
const char *admin_user_body_check(struct request *req, json_t *body, enum admin_user_body which);
const char *admin_client_body_check(struct request *req, json_t *body, bool create);
const char *admin_integration_body_check(struct request *req, json_t *body);

#endif
