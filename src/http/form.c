/* form.c - strict application/x-www-form-urlencoded parsing. */
#include "http/form.h"

#include <string.h>
#include "http/pct.h"

enum kh_status form_decode(struct arena *a, const char *s, size_t n, char **out)
{
    return pct_decode(a, s, n, true, out, NULL);
}

const char *form_get(const struct form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->params[i].name, name) == 0)
            return f->params[i].value;
    return NULL;
}

/* Decodes one "name=value" pair (p[0..n)) and appends it to f. */
static enum kh_status add_pair(struct arena *a, const char *p, size_t n, struct form *f)
{
    const char *eq = memchr(p, '=', n);
    if (!eq || eq == p)
        return KH_ERR_INVALID; /* no '=' (this includes an empty pair), or no name */
    size_t name_len = (size_t)(eq - p);
    char *name, *value;
    enum kh_status rc = form_decode(a, p, name_len, &name);
    if (rc)
        return rc;
    rc = form_decode(a, eq + 1, n - name_len - 1, &value);
    if (rc)
        return rc;
    /* The decoded name is compared, so "a" and "%61" are the same parameter. */
    if (form_get(f, name))
        return KH_ERR_INVALID;
    if (f->n == FORM_MAX_PARAMS)
        return KH_ERR_TOOBIG;
    f->params[f->n].name = name;
    f->params[f->n].value = value;
    f->n++;
    return KH_OK;
}

enum kh_status form_parse(struct arena *a, const char *body, size_t n, struct form *out)
{
    struct form f = {.n = 0};
    size_t i = 0;
    /* An empty body has no parameters; otherwise every '&' separates two pairs. */
    while (n > 0) {
        const char *amp = memchr(body + i, '&', n - i);
        size_t end = amp ? (size_t)(amp - body) : n;
        enum kh_status rc = add_pair(a, body + i, end - i, &f);
        if (rc)
            return rc;
        if (!amp)
            break;
        i = end + 1;
    }
    *out = f;
    return KH_OK;
}
