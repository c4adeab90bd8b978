/* phc.c - parsers of stored password hash strings (see phc.h). A string is
 * cut at its '$' signs into fields, each field checked with its length; no
 * sscanf, no KDF. */
#include "authn/phc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define FIELDS_MAX 6

struct fields {
    const char *at[FIELDS_MAX];
    size_t len[FIELDS_MAX];
    size_t n;
};

/* "$a$b$c" into a, b, c; false if it does not start with '$', has an empty
 * field or more than FIELDS_MAX of them. */
static bool split(const char *s, size_t n, struct fields *f)
{
    if (n == 0 || s[0] != '$')
        return false;
    f->n = 0;
    size_t i = 1;
    while (i <= n) {
        const char *end = memchr(s + i, '$', n - i);
        size_t len = end ? (size_t)(end - (s + i)) : n - i;
        if (len == 0 || f->n == FIELDS_MAX)
            return false;
        f->at[f->n] = s + i;
        f->len[f->n++] = len;
        i += len + 1;
    }
    return true;
}

static bool is_field(const char *at, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(at, lit, len) == 0;
}

/* 1 to 10 decimal digits whose value is at most max. */
static bool parse_uint(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    if (n == 0 || n > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "name=digits" with value ≤ max. */
static bool parse_param(const char *s, size_t n, char name, uint32_t max, uint32_t *out)
{
    return n > 2 && s[0] == name && s[1] == '=' && parse_uint(s + 2, n - 2, max, out);
}

static int b64_value(char c, bool adapted)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || (adapted && c == '.'))
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Base64 of min..max bytes into out. `adapted`: passlib's '.' for '+' and
 * '=' padding are accepted too (PBKDF2); otherwise the PHC spec's standard
 * alphabet without padding (argon2id). */
static bool b64_decode(const char *s, size_t n, bool adapted, size_t min, size_t max,
                       uint8_t *out, size_t *out_len)
{
    if (adapted && n % 4 == 0) {
        for (int pad = 0; pad < 2 && n && s[n - 1] == '='; pad++)
            n--;
    }
    if (n % 4 == 1)
        return false;
    size_t bytes = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (bytes < min || bytes > max)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i], adapted);
        if (v < 0)
            return false;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = o;
    return true;
}

static enum kh_status fail(const char **why, const char *sentence)
{
    *why = sentence;
    return KH_ERR_INVALID;
}

static bool salt_and_hash(const struct fields *f, size_t first, bool adapted, struct phc *p)
{
    return b64_decode(f->at[first], f->len[first], adapted, PHC_SALT_MIN, PHC_SALT_MAX, p->salt,
                      &p->salt_len) &&
           b64_decode(f->at[first + 1], f->len[first + 1], adapted, PHC_HASH_MIN, PHC_HASH_MAX,
                      p->hash, &p->hash_len);
}

#define SALT_HASH_WHY                                                                          \
    "the salt (8 to 64 bytes) or the hash (16 to 64 bytes) is not base64 of that length"

/* $argon2id$v=19$m=M,t=T,p=P$SALT$HASH */
static enum kh_status parse_argon2id(const struct fields *f, struct phc *p, const char **why)
{
    if (f->n != 5 || !is_field(f->at[1], f->len[1], "v=19"))
        return fail(why, "an argon2id hash is $argon2id$v=19$m=…,t=…,p=…$salt$hash");
    const char *s = f->at[2];
    size_t n = f->len[2];
    const char *c1 = memchr(s, ',', n);
    const char *c2 = c1 ? memchr(c1 + 1, ',', n - (size_t)(c1 + 1 - s)) : NULL;
    if (!c2 || !parse_param(s, (size_t)(c1 - s), 'm', PHC_ARGON2_M_MAX, &p->memory_kib) ||
        !parse_param(c1 + 1, (size_t)(c2 - c1 - 1), 't', PHC_ARGON2_T_MAX, &p->iterations) ||
        !parse_param(c2 + 1, n - (size_t)(c2 + 1 - s), 'p', PHC_ARGON2_P_MAX, &p->lanes) ||
        p->iterations == 0 || p->lanes == 0 || p->memory_kib < 8 * p->lanes)
        return fail(why, "the argon2id parameters must be m=8p…65536 (KiB), t=1…10, p=1…8");
    if (!salt_and_hash(f, 3, false, p))
        return fail(why, SALT_HASH_WHY);
    p->scheme = PHC_ARGON2ID;
    return KH_OK;
}

/* ITER (passlib) or i=ITER[,l=LEN] (PHC spec); LEN is checked later. */
static bool pbkdf2_params(const char *s, size_t n, uint32_t *iter, uint32_t *len)
{
    *len = 0;
    if (n && s[0] >= '0' && s[0] <= '9')
        return parse_uint(s, n, PHC_PBKDF2_ITER_MAX, iter);
    const char *comma = memchr(s, ',', n);
    if (!comma)
        return parse_param(s, n, 'i', PHC_PBKDF2_ITER_MAX, iter);
    return parse_param(s, (size_t)(comma - s), 'i', PHC_PBKDF2_ITER_MAX, iter) &&
           parse_param(comma + 1, n - (size_t)(comma + 1 - s), 'l', PHC_HASH_MAX, len);
}

/* $pbkdf2-sha256$…, $pbkdf2-sha512$…, $pbkdf2$… (SHA-1) */
static enum kh_status parse_pbkdf2(const struct fields *f, enum phc_scheme scheme, struct phc *p,
                                   const char **why)
{
    if (f->n != 4)
        return fail(why, "a PBKDF2 hash is $pbkdf2-sha256$iterations$salt$hash");
    uint32_t len;
    if (!pbkdf2_params(f->at[1], f->len[1], &p->iterations, &len) ||
        p->iterations < PHC_PBKDF2_ITER_MIN)
        return fail(why, "the PBKDF2 iterations must be a number from 1000 to 10000000 "
                         "(as 27500 or i=27500)");
    if (!salt_and_hash(f, 2, true, p))
        return fail(why, SALT_HASH_WHY);
    if (len && len != p->hash_len)
        return fail(why, "the PBKDF2 parameter l= is not the length of the hash");
    /* Each digest-sized block of the hash costs the iterations once more. */
    size_t digest = scheme == PHC_PBKDF2_SHA1 ? 20 : scheme == PHC_PBKDF2_SHA256 ? 32 : 64;
    if ((uint64_t)p->iterations * ((p->hash_len + digest - 1) / digest) > PHC_PBKDF2_WORK_MAX)
        return fail(why, "the PBKDF2 hash is too long for its iterations (iterations times "
                         "hash blocks at most 10000000)");
    p->scheme = scheme;
    return KH_OK;
}

static bool is_bcrypt_char(char c)
{
    return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9');
}

/* $2b$CC$ + 22 characters of salt + 31 of hash */
static enum kh_status parse_bcrypt(size_t n, const struct fields *f,
                                   struct phc *p, const char **why)
{
    if (n != 60 || f->n != 3 || f->len[1] != 2 || f->len[2] != 53)
        return fail(why, "a bcrypt hash is 60 characters: $2b$, a two-digit cost, $, "
                         "53 characters");
    for (size_t i = 0; i < 53; i++)
        if (!is_bcrypt_char(f->at[2][i]))
            return fail(why, "a bcrypt hash has a character outside ./A-Za-z0-9");
    if (!parse_uint(f->at[1], 2, PHC_BCRYPT_COST_MAX, &p->cost) || p->cost < PHC_BCRYPT_COST_MIN)
        return fail(why, "the bcrypt cost must be 04 to 16");
    p->scheme = PHC_BCRYPT;
    return KH_OK;
}

enum kh_status phc_parse(const char *s, struct phc *out, const char **why)
{
    struct phc p = {0};
    struct fields f;
    size_t n = s ? strnlen(s, PHC_STRING_MAX + 1) : 0;
    if (n == 0 || n > PHC_STRING_MAX)
        return fail(why, "a password hash is 1 to 255 characters");
    if (!split(s, n, &f))
        return fail(why, "a password hash is $scheme$…$…: argon2id, pbkdf2-sha256, "
                         "pbkdf2-sha512, pbkdf2 or bcrypt ($2a$, $2b$, $2y$)");
    enum kh_status rc;
    const char *id = f.at[0];
    size_t id_len = f.len[0];
    if (is_field(id, id_len, "argon2id"))
        rc = parse_argon2id(&f, &p, why);
    else if (is_field(id, id_len, "pbkdf2-sha256"))
        rc = parse_pbkdf2(&f, PHC_PBKDF2_SHA256, &p, why);
    else if (is_field(id, id_len, "pbkdf2-sha512"))
        rc = parse_pbkdf2(&f, PHC_PBKDF2_SHA512, &p, why);
    else if (is_field(id, id_len, "pbkdf2"))
        rc = parse_pbkdf2(&f, PHC_PBKDF2_SHA1, &p, why);
    else if (is_field(id, id_len, "2a") || is_field(id, id_len, "2b") || is_field(id, id_len, "2y"))
        rc = parse_bcrypt(n, &f, &p, why);
    else
        rc = fail(why, "unknown password hash scheme (known: argon2id, pbkdf2-sha256, "
                       "pbkdf2-sha512, pbkdf2, bcrypt $2a$/$2b$/$2y$)");
    if (rc)
        return rc;
    *out = p;
    return KH_OK;
}

enum kh_status phc_from_keycloak(const char *algorithm, long long iterations, const char *salt,
                                 const char *hash, char out[PHC_STRING_MAX + 1], const char **why)
{
    static const struct {
        const char *keycloak, *phc;
    } ALGS[] = {{"pbkdf2-sha256", "pbkdf2-sha256"},
                {"pbkdf2-sha512", "pbkdf2-sha512"},
                {"pbkdf2", "pbkdf2"}};
    const char *id = NULL;
    for (size_t i = 0; algorithm && i < sizeof ALGS / sizeof ALGS[0]; i++)
        if (strcmp(algorithm, ALGS[i].keycloak) == 0)
            id = ALGS[i].phc;
    if (!id)
        return fail(why, "the Keycloak algorithm must be pbkdf2-sha256, pbkdf2-sha512 or pbkdf2");
    if (iterations < PHC_PBKDF2_ITER_MIN || iterations > PHC_PBKDF2_ITER_MAX)
        return fail(why, "the PBKDF2 iterations must be a number from 1000 to 10000000");
    if (!salt || !hash || !*salt || !*hash || strchr(salt, '$') || strchr(hash, '$'))
        return fail(why, "salt and hash must be base64 strings");
    int len = snprintf(out, PHC_STRING_MAX + 1, "$%s$i=%lld$%s$%s", id, iterations, salt, hash);
    if (len < 0 || len > PHC_STRING_MAX)
        return fail(why, SALT_HASH_WHY);
    struct phc p;
    return phc_parse(out, &p, why);
}
