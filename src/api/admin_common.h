/* admin_common.h - what the realm-scoped admin rows (/admin/realms/{r}/…)
 * share: the realm of the path, JSON bodies, the no-escalation check
 * (private to src/api). */
#ifndef KH_API_ADMIN_COMMON_H
#define KH_API_ADMIN_COMMON_H

#include <jansson.h>
#include "api/respond.h"
#include "audit/audit.h"

#define ADMIN_LIMIT_DEFAULT 100
#define ADMIN_LIMIT_MAX 500

/* Authenticates (api_bearer_realm for req->params[0]) and finds the realm of
 * the path (404 not_found when missing). Call inside a store snapshot. On
 * failure writes the answer and returns -1. */
int admin_realm(struct request *req, struct response *res, const char *permission,
                struct api_caller *caller, struct realm *realm);

/* Arrays and objects nested deeper than this in an admin body: 400. */
#define ADMIN_JSON_MAX_DEPTH 16

/* The body as a JSON object (the caller json_decref()s it); NULL with *why
 * (a sentence for a 400) when it is no JSON object, nests deeper than
 * ADMIN_JSON_MAX_DEPTH, or is not sent as JSON. */
json_t *admin_body(struct request *req, const char **why);
/* The same for JSON text: its admin_body() step after the Content-Type check. */
json_t *admin_json_object(const char *data, size_t len, const char **why);

/* An optional string member without NUL bytes (arena copy; null or absent
 * give NULL); -1 if it is something else. */
int admin_string(struct arena *a, json_t *obj, const char *key, const char **out);

/* NULL if the caller's token holds every permission a role gives (a role with
 * all_permissions gives every permission keyhold knows), else the first one
 * it lacks. */
const char *admin_missing_permission(const struct api_caller *caller, const struct role *role);

/* The same for what a user holds (struct access): tying credentials to that
 * user, or setting its password, confers all of it. */
const char *admin_missing_access(const struct api_caller *caller, const struct access *acc);

/* The same for the permission scopes of a space-separated scope list (the
 * protocol scopes openid, profile, … confer nothing). */
const char *admin_missing_scope(struct arena *a, const struct api_caller *caller, const char *scopes);

/* Runs step(req, res, ctx) on this thread inside one store write transaction
 * (store_batch_begin/end), so that what it reads to decide (a role's
 * permissions, an owner's access) and what it writes commit together: no
 * concurrent change can slip between a no-escalation check and its write.
 * step writes the answer and returns 0 to commit, or writes the refusal and
 * returns non-zero to roll everything back. A failed begin or commit answers
 * 503. Returns 0 when the step's writes were committed. Call from a deferred
 * step (slow pool), never on an I/O thread. */
int admin_write(struct request *req, struct response *res,
                int (*step)(struct request *, struct response *, void *), void *ctx);

/* The answer for a failed manage_* call: 400 (KH_ERR_INVALID), 404
 * (KH_ERR_NOTFOUND), 409 (KH_ERR_CONFLICT) with its sentence, else 503. */
void admin_manage_failed(struct request *req, struct response *res, enum kh_status rc,
                         const char *why);

/* 403 forbidden naming the permission the caller would give without holding it. */
void admin_escalation(struct request *req, struct response *res, const char *permission,
                      const char *what);

void admin_store_failed(struct request *req, struct response *res);

/* Who the caller is, for the audit log: its user id, or "client:<client_id>"
 * when the token's subject is a client (arena). */
const char *admin_actor(struct arena *a, const struct api_caller *caller);

/* Records an admin change that succeeded (audit/audit.h): `type` is one of
 * AUDIT_*, `target` what it changed, `detail` a short summary or NULL. */
void admin_audit(struct request *req, const struct api_caller *caller, const struct realm *realm,
                 const char *type, const char *target, const char *detail);

#endif
