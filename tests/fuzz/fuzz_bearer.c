/* fuzz_bearer.c - api_bearer_header (src/api/bearer.c) on arbitrary bytes made
 * into a NUL-terminated header value (as libmicrohttpd hands it over), and the
 * token it finds through bearer_is_opaque(). Checks RFC 6750 §2.1: a token is
 * non-empty, lies inside the header after "Bearer" and spaces, and holds only
 * b64token characters (trailing '=' allowed). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "api/respond.h"
#include "oauth/bearer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int b64token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr("-._~+/", c));
}

static void check_token(const char *header, const char *t)
{
    size_t at = (size_t)(t - header);
    if (at < 7 || at > strlen(header) || strncasecmp(header, "Bearer ", 7) != 0)
        abort();
    for (size_t i = 6; i < at; i++)
        if (header[i] != ' ')
            abort();
    size_t n = strlen(t), i = 0;
    while (i < n && b64token_char(t[i]))
        i++;
    if (i == 0)
        abort();
    while (i < n && t[i] == '=')
        i++;
    if (i != n)
        abort();
    (void)bearer_is_opaque(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *header = malloc(size + 1);
    if (!header)
        return 0;
    memcpy(header, data, size);
    header[size] = '\0';
    const char *token = (const char *)1;
    enum api_bearer_header rc = api_bearer_header(header, &token);
    if (rc == API_BEARER_TOKEN)
        check_token(header, token);
    else if (token != NULL || (rc != API_BEARER_NONE && rc != API_BEARER_MALFORMED))
        abort();
    free(header);
    return 0;
}
