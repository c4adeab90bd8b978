/* basic.c - HTTP Basic client credentials (RFC 7617, RFC 6749 §2.3.1). */
#include "http/basic.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "core/b64.h"
#include "core/hash.h"
#include "http/form.h"

#define SCHEME "basic"
#define SCHEME_LEN (sizeof SCHEME - 1)

/* RFC 9110 §5.6.2: the characters of a token such as an auth-scheme. */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* Splits "id:secret" at the first ':' (an id cannot hold a raw ':'; an encoded
 * one is "%3A") and form-decodes both halves. */
static enum kh_status split_credentials(struct arena *a, const char *cred, size_t n,
                                        const char **id, const char **secret)
{
    const char *colon = memchr(cred, ':', n);
    if (!colon || colon == cred)
        return KH_ERR_INVALID; /* no colon, or an empty id */
    size_t id_len = (size_t)(colon - cred);
    char *i, *s;
    enum kh_status rc = form_decode(a, cred, id_len, &i);
    if (rc)
        return rc;
    rc = form_decode(a, colon + 1, n - id_len - 1, &s);
    if (rc)
        return rc;
    *id = i;
    *secret = s;
    return KH_OK;
}

enum kh_status basic_parse(struct arena *a, const char *header, const char **id,
                           const char **secret)
{
    if (!header || strncasecmp(header, SCHEME, SCHEME_LEN) != 0)
        return KH_ERR_NOTFOUND;
    const char *p = header + SCHEME_LEN;
    if (is_tchar(*p))
        return KH_ERR_NOTFOUND; /* another scheme whose name starts with "Basic" */
    if (*p != ' ' && *p != '\0')
        return KH_ERR_INVALID; /* e.g. a tab: only spaces may follow the scheme */
    while (*p == ' ')
        p++;
    size_t n = strlen(p);
    if (n == 0)
        return KH_ERR_INVALID; /* "Basic" without credentials */
    /* The decoded bytes hold the secret: wipe them once they are split. */
    size_t cap = n / 4 * 3 + 3; /* >= n * 3 / 4 + 1, as b64std_decode needs */
    uint8_t *raw = arena_alloc(a, cap);
    size_t raw_len = 0;
    enum kh_status rc = b64std_decode(p, n, raw, &raw_len);
    if (rc) {
        rc = KH_ERR_INVALID;
        goto out;
    }
    rc = split_credentials(a, (const char *)raw, raw_len, id, secret);
    if (rc)
        rc = KH_ERR_INVALID;
out:
    secret_wipe(raw, cap);
    return rc;
}
