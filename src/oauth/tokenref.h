/* tokenref.h - what introspection, revocation and logout share (private to
 * src/oauth): the calling client's authentication and finding a refresh
 * token by its value. */
#ifndef KH_OAUTH_TOKENREF_H
#define KH_OAUTH_TOKENREF_H

#include "oauth/oauth.h"

/* Authenticates the caller and checks a token was given (missing_what names
 * the form field in the error). Sets *client and *now (req->now or the clock). */
struct oauth_outcome tokenref_begin(const struct oauth *o, struct arena *a,
                                    const struct client_token_request *req,
                                    const char *missing_what, struct client *client, int64_t *now);

/* True if token looks like a refresh token (khr_ prefix). */
bool tokenref_is_refresh(const char *token);

/* The stored refresh token `token` of `realm`: KH_OK; KH_ERR_DENIED for a
 * malformed, unknown or another realm's token; KH_ERR_STORE. */
enum kh_status tokenref_refresh_find(const struct oauth *o, struct arena *a,
                                     const struct realm *realm, const char *token,
                                     struct refresh_token *out) KH_MUST_CHECK;

#endif
