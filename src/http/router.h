/* router.h - matches a request's method and path against the route table
 * (private to src/http; server.c builds one router per server).
 *
 * A pattern is '/' followed by segments separated by '/': a literal
 * ("token") or a capture ("{realm}"). A capture matches exactly one non-empty
 * path segment, which is percent-decoded (a '+' stays a '+'; %2F decodes to a
 * '/' inside the capture) and must be valid UTF-8 without NUL. Literals are
 * compared with the decoded segment. "/" is the pattern with no segment.
 * Trailing slashes and empty segments match nothing ("/token/" is not
 * "/token"). The first route in table order that matches wins. A HEAD request
 * is served by a GET route when no HEAD route matches first (MHD drops the body).
 *
 * Thread safety: a router is immutable after router_new(); router_match() may
 * run on any number of threads at once. */
#ifndef KH_HTTP_ROUTER_H
#define KH_HTTP_ROUTER_H

#include <stddef.h>
#include "core/arena.h"
#include "core/status.h"
#include "http/http.h"

#define ROUTER_MAX_SEGMENTS 16 /* per pattern; longer paths are simply not found */

struct router;

/* Compiles the table. KH_ERR_INVALID (and a log line naming the route) for a
 * malformed pattern: no leading '/', an empty segment, a bad or repeated
 * "{name}", more than HTTP_MAX_PARAMS captures or ROUTER_MAX_SEGMENTS
 * segments, a literal with '{', '}', '%', '?', '#', a space or a control
 * byte; or for a route without method or handler. The router keeps pointers
 * into `routes`, which must outlive it. */
enum kh_status router_new(const struct route *routes, size_t n, struct router **out) KH_MUST_CHECK;
void router_free(struct router *r);

enum router_result {
    ROUTER_MATCH = 0,
    ROUTER_NOT_FOUND,          /* no pattern matches the path: 404 */
    ROUTER_METHOD_NOT_ALLOWED, /* a pattern matches, not with this method: 405 */
    ROUTER_BAD_PATH,           /* a segment has a bad escape, %00 or bad UTF-8: 400 */
};

struct router_match {
    const struct route *route;           /* ROUTER_MATCH */
    const char *params[HTTP_MAX_PARAMS]; /* ROUTER_MATCH: decoded captures (arena) */
    size_t n_params;
    const char *allow;                   /* ROUTER_METHOD_NOT_ALLOWED: "GET, POST" (arena) */
};

/* Matches path[0..path_len) (the raw request target without its query) and
 * method. Strings are allocated from `a`; *m is filled as the result says. */
enum router_result router_match(const struct router *r, struct arena *a, const char *method,
                                const char *path, size_t path_len, struct router_match *m);

#endif
