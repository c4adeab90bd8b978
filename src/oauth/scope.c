/* scope.c - parsing and filtering scope lists. */
#include "oauth/scope.h"

#include <string.h>

static const char *const PROTOCOL_SCOPES[] = {"openid", "profile", "email", "offline_access"};

static bool is_scope_char(unsigned char c)
{
    return c == 0x21 || (c >= 0x23 && c <= 0x5B) || (c >= 0x5D && c <= 0x7E);
}

enum kh_status scope_parse(struct arena *a, const char *s, struct scope_set *out)
{
    struct scope_set set = {.n = 0};
    while (s && *s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        size_t n = 0;
        while (s[n] && s[n] != ' ') {
            if (!is_scope_char((unsigned char)s[n]))
                return KH_ERR_INVALID;
            n++;
        }
        char *tok = arena_strndup(a, s, n);
        s += n;
        if (scope_has(&set, tok))
            continue;
        if (set.n == SCOPE_MAX_TOKENS)
            return KH_ERR_TOOBIG;
        set.tokens[set.n++] = tok;
    }
    *out = set;
    return KH_OK;
}

bool scope_has(const struct scope_set *set, const char *token)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->tokens[i], token) == 0)
            return true;
    return false;
}

bool scope_is_subset(const struct scope_set *sub, const struct scope_set *of)
{
    for (size_t i = 0; i < sub->n; i++)
        if (!scope_has(of, sub->tokens[i]))
            return false;
    return true;
}

bool scope_is_protocol(const char *token)
{
    for (size_t i = 0; i < sizeof PROTOCOL_SCOPES / sizeof PROTOCOL_SCOPES[0]; i++)
        if (strcmp(token, PROTOCOL_SCOPES[i]) == 0)
            return true;
    return false;
}

static bool holds(const struct access *access, const char *perm)
{
    if (access->all_permissions)
        return true;
    for (size_t i = 0; i < access->n_permissions; i++)
        if (strcmp(access->permissions[i], perm) == 0)
            return true;
    return false;
}

/* Keeps the tokens for which keep() is true, in order. */
static void keep_if(struct scope_set *set, bool (*keep)(const char *, const void *), const void *arg)
{
    size_t o = 0;
    for (size_t i = 0; i < set->n; i++)
        if (keep(set->tokens[i], arg))
            set->tokens[o++] = set->tokens[i];
    set->n = o;
}

static bool is_held(const char *token, const void *access)
{
    return scope_is_protocol(token) || holds(access, token);
}

static bool is_allowed(const char *token, const void *allowed)
{
    return scope_has(allowed, token);
}

void scope_filter_held(struct scope_set *set, const struct access *access)
{
    keep_if(set, is_held, access);
}

void scope_intersect(struct scope_set *set, const struct scope_set *allowed)
{
    keep_if(set, is_allowed, allowed);
}

char *scope_join(struct arena *a, const struct scope_set *set)
{
    size_t len = 0;
    for (size_t i = 0; i < set->n; i++)
        len += strlen(set->tokens[i]) + 1;
    char *s = arena_alloc(a, len + 1);
    size_t o = 0;
    for (size_t i = 0; i < set->n; i++) {
        size_t n = strlen(set->tokens[i]);
        if (o)
            s[o++] = ' ';
        memcpy(s + o, set->tokens[i], n);
        o += n;
    }
    s[o] = '\0';
    return s;
}
