/* respond.h - helpers the handlers share (private to src/api). */
#ifndef KH_API_RESPOND_H
#define KH_API_RESPOND_H

#include "api/api.h"
#include "core/jsonw.h"

#define API_RESPONSE_MAX (1 << 20)

/* What a request did, for its log line (never a secret). Lives in the arena. */
struct api_note {
    const char *realm;
    const char *client_id;
    const char *grant;
    const char *error;
    void *pending; /* the handler's state across a deferred step */
};

/* The request's note, created on first use. */
struct api_note *api_note(struct request *req);

/* Routes whose data is this are the default realm's short aliases. */
extern const int API_DEFAULT_REALM;

/* The realm named by the path (or the default realm for an alias), into the
 * arena. On failure writes the 404 or 503 answer and returns non-zero. */
int api_realm(struct request *req, struct response *res, struct realm **out);

/* Starts a JSON body: sets status and content type; the caller writes into w. */
void api_json_begin(struct response *res, int status, struct jsonw *w);
/* {"error":..,"error_description":..} with the status. */
void api_error(struct request *req, struct response *res, int status, const char *error,
               const char *description);

/* The handlers, one file per endpoint family. */
enum http_result api_token(struct request *req, struct response *res);
enum http_result api_jwks(struct request *req, struct response *res);
enum http_result api_discovery(struct request *req, struct response *res);
enum http_result api_healthz(struct request *req, struct response *res);
enum http_result api_readyz(struct request *req, struct response *res);

#endif
