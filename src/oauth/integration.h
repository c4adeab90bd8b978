/* integration.h - "New client credentials": a confidential client with only
 * the client_credentials grant, owned by a user, whose tokens carry at most
 * what the owner holds at each grant. Shared by the admin API and the CLI.
 *
 * No escalation: the creator must hold every permission the integration
 * confers (its scopes, all of which the owner holds). The check and the
 * insert share one write transaction (store_batch_begin/end), so a role taken
 * from the owner or the owner's deletion meanwhile cannot slip between them.
 * Call from a thread that may block (it writes) and is in no store batch. */
#ifndef KH_OAUTH_INTEGRATION_H
#define KH_OAUTH_INTEGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/arena.h"
#include "store/store.h"

#define INTEGRATION_ID_PREFIX "int-"
#define INTEGRATION_NAME_MAX 200

struct integration_spec {
    const char *username;        /* the owner */
    const char *name;            /* NULL: none; else 1..INTEGRATION_NAME_MAX bytes of UTF-8 */
    const char *const *scopes;   /* permissions; NULL: every permission the owner holds now */
    size_t n_scopes;
    int64_t expires_at;          /* 0: never; else after now */
    const char *created_by;      /* the actor: a user id, "client:<id>" or "cli" */
    /* The creator's permissions (its token's scope); NULL: an operator with
     * the database in hand (the CLI), who may confer anything. */
    const char *creator_scope;
};

struct integration_created {
    struct client client;        /* as stored (scopes space-separated) */
    const char *secret;          /* khs_…, shown once */
    const char *owner_username;
};

/* Creates the integration in realm r. KH_ERR_INVALID (bad name, scope or
 * expires_at; *why), KH_ERR_NOTFOUND (no such user), KH_ERR_DENIED (*missing
 * is the first permission the creator would confer without holding it),
 * KH_ERR_STORE. Nothing is written unless KH_OK. */
enum kh_status integration_create(struct store *s, struct arena *a, const struct realm *r,
                                  const struct integration_spec *spec,
                                  struct integration_created *out, const char **missing,
                                  const char **why) KH_MUST_CHECK;

/* Whether an integration works now: its owner exists and is enabled, it is
 * enabled and not expired. */
bool integration_is_active(const struct integration *it, int64_t now);

/* The members of an integration as the admin API and the CLI answer it:
 * client_id, name, user {id, username}, scopes [], created_at, created_by,
 * expires_at and last_used_at (Unix seconds; null: never) and active. */
struct jsonw;
void integration_json_fields(struct jsonw *w, const struct integration *it, int64_t now);

#endif
