/* api.h - keyhold's HTTP endpoints: the route table and its handlers.
 *
 * Handlers turn requests into oauth/ and store/ calls and their results into
 * JSON responses; they hold no protocol logic of their own. */
#ifndef KH_API_H
#define KH_API_H

#include <stddef.h>
#include <stdint.h>
#include "core/aead.h"
#include "http/http.h"
#include "oauth/oauth.h"

#define API_MAX_FORM_BODY (64 * 1024)

#define API_MAX_JSON_BODY (64 * 1024)

#define API_MAX_IMPORT_BYTES (64ull * 1024 * 1024)

struct api {
    struct oauth oauth;
    const char *default_realm;
    /* AEAD_KEY_LEN bytes that encrypt signing keys at rest, for endpoints that
     * create keys (POST /admin/realms); NULL: those answer 503. Not owned. */
    const uint8_t *master;
    /* The body limit of POST /v1/imports (serve --max-import-bytes); 0:
     * API_MAX_IMPORT_BYTES. */
    uint64_t max_import_bytes;
};

/* The route table; requests carry a struct api * as req->app. */
const struct route *api_routes(size_t *n);

/* The serial pool's batch: one store transaction (http_config.serial). */
int api_batch_begin(void *app);
int api_batch_end(void *app);

/* Logs one JSON line per request (http_config.on_response). */
void api_on_response(void *app, const struct request *req, const char *pattern, int status,
                     int64_t duration_us);

#endif
