/* jwt.c - claims checks on top of jws_verify. */
#include "jose/jwt.h"

#include <stddef.h>
#include <string.h>

#include <jansson.h>

#include "jose/jws.h"

#define NUMERIC_DATE_MAX 9007199254740992.0 /* 2^53: beyond it a double is not exact */

/* An optional string claim copied into the arena. */
static enum kh_status str_claim(const json_t *root, const char *name, struct arena *a,
                                const char **out)
{
    const json_t *v = json_object_get(root, name);
    *out = NULL;
    if (!v)
        return KH_OK;
    if (!json_is_string(v))
        return KH_ERR_INVALID;
    *out = arena_strndup(a, json_string_value(v), json_string_length(v));
    return KH_OK;
}

/* An optional NumericDate (RFC 7519 §2). Fractions are allowed by the RFC;
 * they are rounded towards refusal: exp down, nbf and iat up. */
static enum kh_status time_claim(const json_t *root, const char *name, bool round_up,
                                 int64_t *out, bool *present)
{
    const json_t *v = json_object_get(root, name);
    *out = 0;
    *present = v != NULL;
    if (!v)
        return KH_OK;
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return KH_OK;
    }
    if (!json_is_real(v))
        return KH_ERR_INVALID;
    double d = json_real_value(v);
    if (!(d > -NUMERIC_DATE_MAX && d < NUMERIC_DATE_MAX)) /* also NaN */
        return KH_ERR_INVALID;
    int64_t t = (int64_t)d; /* truncates towards zero; exact below 2^53 */
    if (round_up && (double)t < d)
        t++;
    else if (!round_up && (double)t > d)
        t--;
    *out = t;
    return KH_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (ca != cb)
            return false;
    }
    return *a == *b;
}

static const char *strip_media_prefix(const char *s)
{
    static const char prefix[] = "application/";
    size_t n = sizeof prefix - 1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
        if (c != prefix[i])
            return s;
    }
    return s + n;
}

static bool typ_matches(const char *got, const char *want)
{
    if (!want)
        return true;
    return got && ascii_ieq(strip_media_prefix(got), strip_media_prefix(want));
}

/* KH_OK if aud is the audience or an array containing it. */
static enum kh_status aud_check(const json_t *root, const char *audience)
{
    const json_t *aud = json_object_get(root, "aud");
    if (!aud)
        return KH_ERR_DENIED;
    if (json_is_string(aud))
        return strcmp(json_string_value(aud), audience) == 0 ? KH_OK : KH_ERR_DENIED;
    if (!json_is_array(aud))
        return KH_ERR_INVALID;
    enum kh_status rc = KH_ERR_DENIED;
    for (size_t i = 0; i < json_array_size(aud); i++) {
        const json_t *v = json_array_get(aud, i);
        if (!json_is_string(v))
            return KH_ERR_INVALID;
        if (strcmp(json_string_value(v), audience) == 0)
            rc = KH_OK;
    }
    return rc;
}

static enum kh_status claims_extract(const json_t *root, struct arena *a, struct jwt_claims *c)
{
    static const struct {
        const char *name;
        size_t off;
    } strs[] = {
        {"iss", offsetof(struct jwt_claims, iss)},
        {"sub", offsetof(struct jwt_claims, sub)},
        {"jti", offsetof(struct jwt_claims, jti)},
        {"client_id", offsetof(struct jwt_claims, client_id)},
        {"azp", offsetof(struct jwt_claims, azp)},
        {"scope", offsetof(struct jwt_claims, scope)},
        {"sid", offsetof(struct jwt_claims, sid)},
        {"preferred_username", offsetof(struct jwt_claims, preferred_username)},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const char **slot = (const char **)(void *)((char *)c + strs[i].off);
        if (str_claim(root, strs[i].name, a, slot))
            return KH_ERR_INVALID;
    }
    return KH_OK;
}

static enum kh_status claims_check(const json_t *root, const struct jwt_expect *ex,
                                   struct jwt_claims *c)
{
    bool has_exp, has_nbf, has_iat;
    if (time_claim(root, "exp", false, &c->exp, &has_exp)
        || time_claim(root, "nbf", true, &c->nbf, &has_nbf)
        || time_claim(root, "iat", true, &c->iat, &has_iat))
        return KH_ERR_INVALID;
    enum kh_status rc = aud_check(root, ex->audience);
    if (rc)
        return rc;
    if (!c->iss || strcmp(c->iss, ex->issuer) != 0)
        return KH_ERR_DENIED;
    int64_t leeway = ex->leeway > 0 ? ex->leeway : 0;
    if (!has_exp || c->exp <= sat_add(ex->now, -leeway))
        return KH_ERR_DENIED;
    int64_t latest = sat_add(ex->now, leeway);
    if ((has_nbf && c->nbf > latest) || (has_iat && c->iat > latest))
        return KH_ERR_DENIED;
    if (!typ_matches(c->typ, ex->typ))
        return KH_ERR_DENIED;
    return KH_OK;
}

enum kh_status jwt_verify(const char *token, size_t n, const struct jose_key *const *keys,
                          size_t n_keys, const struct jwt_expect *expect, struct arena *a,
                          struct jwt_claims *out)
{
    struct jws_parsed jws;
    struct jwt_claims c = {0};
    json_t *root = NULL;
    if (!expect || !expect->issuer || !expect->audience)
        return KH_ERR_INTERNAL;
    enum kh_status rc = jws_verify(token, n, keys, n_keys, a, &jws);
    if (rc)
        return rc;
    if (expect->require_kid && !jws.kid)
        return KH_ERR_DENIED;
    root = json_loadb(jws.payload, jws.payload_len, JSON_REJECT_DUPLICATES, NULL);
    rc = KH_ERR_INVALID;
    if (!json_is_object(root))
        goto out;
    c.typ = jws.typ;
    c.payload_json = jws.payload;
    rc = claims_extract(root, a, &c);
    if (!rc)
        rc = claims_check(root, expect, &c);
    if (rc)
        goto out;
    c.aud = arena_strdup(a, expect->audience);
    *out = c;
out:
    json_decref(root);
    return rc;
}
