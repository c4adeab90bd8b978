/* json.c - the JSON reader of imports: {"users":[…]} read as it arrives.
 *
 * A small scanner walks the document's frame byte by byte — the object, its one
 * key "users", the array — and cuts out each element of the array (tracking
 * strings, escapes and nesting); jansson then parses that one element. Memory
 * stays within one user however long the document is. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authn/phc.h"
#include "core/buf.h"
#include "imports/reader.h"

#define FIELDS "email, username, first_name, last_name, roles, password_hash"

#define FRAME_ERROR "the JSON document must be {\"users\":[…]} and nothing else"

enum scan_state {
    S_BEFORE_OBJECT, /* '{' */
    S_BEFORE_KEY,    /* '"' */
    S_KEY,           /* the rest of users" */
    S_COLON,
    S_BEFORE_ARRAY,  /* '[' */
    S_FIRST,         /* an element or ']' */
    S_NEXT,          /* an element after ',' */
    S_ELEMENT,       /* inside an element */
    S_AFTER_ELEMENT, /* ',' or ']' */
    S_AFTER_ARRAY,   /* '}' */
    S_DONE,          /* whitespace only */
};

struct import_json {
    import_row_fn fn;
    void *ctx;
    enum scan_state state;
    size_t key_pos;        /* bytes of KEY_REST matched */
    struct buf element;    /* the element being cut out */
    unsigned depth;        /* of objects and arrays inside it */
    bool in_string, escaped;
    size_t rows;           /* elements handed over */
    char why[256];
    char hash[PHC_STRING_MAX + 1]; /* a Keycloak credential as its hash string */
};

static const char KEY_REST[] = "users\"";

static int field_of(const char *key)
{
    for (int f = 0; f < IMPORT_N_FIELDS; f++)
        if (strcmp(key, import_field_name(f)) == 0)
            return f;
    return -1;
}

static const char *read_roles(struct import_row *row, json_t *v)
{
    if (json_is_null(v))
        return NULL;
    if (!json_is_array(v))
        return "\"roles\" must be an array of role names";
    if (json_array_size(v) > IMPORT_MAX_ROLES)
        return "a row has more than 64 roles";
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
            return "\"roles\" must be an array of role names";
        row->roles[row->n_roles++] = json_string_value(e);
    }
    return NULL;
}

/* Keycloak's credential {"algorithm","iterations","salt","hash"} as its hash
 * string into out; else an error of the row. */
static const char *read_keycloak(json_t *v, char out[PHC_STRING_MAX + 1])
{
    json_t *alg = json_object_get(v, "algorithm"), *iter = json_object_get(v, "iterations");
    json_t *salt = json_object_get(v, "salt"), *hash = json_object_get(v, "hash");
    if (json_object_size(v) != 4 || !json_is_string(alg) || !json_is_integer(iter) ||
        !json_is_string(salt) || !json_is_string(hash))
        return "a password_hash object is Keycloak's credential: {\"algorithm\":…, "
               "\"iterations\":…, \"salt\":…, \"hash\":…}";
    const char *why = NULL;
    if (phc_from_keycloak(json_string_value(alg), (long long)json_integer_value(iter),
                          json_string_value(salt), json_string_value(hash), out, &why))
        return why;
    return NULL;
}

/* One user object into row; an error of the row as a static sentence. */
static const char *read_user(struct import_row *row, json_t *obj, char *buf, size_t buf_len,
                             char hash[PHC_STRING_MAX + 1])
{
    if (!json_is_object(obj))
        return "a user must be a JSON object";
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int f = field_of(key);
        row->error_field = f < 0 ? NULL : import_field_name(f); /* that of an error below */
        if (f < 0 && strcmp(key, "password") == 0)
            return "\"password\" is refused: an import never takes a plain password; give "
                   "password_hash (a PBKDF2, bcrypt or argon2id hash)";
        if (f < 0 && strlen(key) > 40)
            return "unknown field (fields: " FIELDS ")";
        if (f < 0) {
            snprintf(buf, buf_len, "unknown field \"%s\" (fields: " FIELDS ")", key);
            return buf;
        }
        row->present |= 1u << f;
        if (f == IMPORT_ROLES) {
            const char *err = read_roles(row, v);
            if (err)
                return err;
        } else if (f == IMPORT_PASSWORD_HASH && json_is_object(v)) {
            const char *err = read_keycloak(v, hash);
            if (err)
                return err;
            row->value[f] = hash;
            row->len[f] = strlen(hash);
        } else if (json_is_string(v)) {
            row->value[f] = json_string_value(v);
            row->len[f] = json_string_length(v);
        } else if (!json_is_null(v)) {
            snprintf(buf, buf_len, "\"%s\" must be a string%s or null", import_field_name(f),
                     f == IMPORT_PASSWORD_HASH ? ", a Keycloak credential object" : "");
            return buf;
        }
    }
    return NULL;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct import_json *import_json_new(import_row_fn fn, void *ctx)
{
    struct import_json *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->fn = fn;
    r->ctx = ctx;
    buf_init(&r->element, IMPORT_JSON_USER_MAX);
    return r;
}

void import_json_free(struct import_json *r)
{
    if (!r)
        return;
    buf_free(&r->element);
    free(r);
}

static enum kh_status fail(struct import_json *r, enum kh_status rc, const char *why,
                           const char **out)
{
    if (why != r->why)
        snprintf(r->why, sizeof r->why, "%s", why);
    *out = r->why;
    return rc;
}

/* Parses the element cut out and hands its row over. */
static enum kh_status emit(struct import_json *r, const char **why)
{
    json_error_t err;
    json_t *v = json_loadb(r->element.data ? r->element.data : "", r->element.len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
    size_t number = ++r->rows;
    r->element.len = 0;
    if (!v) {
        snprintf(r->why, sizeof r->why, "the JSON is malformed in user %zu, column %d: %s",
                 number, err.column, err.text);
        return fail(r, KH_ERR_INVALID, r->why, why);
    }
    char row_buf[200];
    struct import_row row = {.number = number};
    row.error = read_user(&row, v, row_buf, sizeof row_buf, r->hash);
    if (!row.error)
        row.error_field = NULL;
    enum kh_status rc = r->fn(r->ctx, &row);
    json_decref(v);
    if (rc) {
        snprintf(r->why, sizeof r->why, "the import stopped at user %zu", number);
        return fail(r, rc, r->why, why);
    }
    return KH_OK;
}

/* One byte inside an element. The element ends at its closing } or ] (an
 * object or array), or just before the ',' or ']' that follows a scalar
 * (which then is no row but an error of one: "a user must be an object"). */
static enum kh_status element_byte(struct import_json *r, char c, const char **why)
{
    if (r->in_string) {
        if (r->escaped)
            r->escaped = false;
        else if (c == '\\')
            r->escaped = true;
        else if (c == '"')
            r->in_string = false;
    } else if (r->depth == 0 && (c == ',' || c == ']')) { /* after a scalar */
        enum kh_status rc = emit(r, why);
        r->state = c == ',' ? S_NEXT : S_AFTER_ARRAY;
        return rc;
    } else if (c == '"') {
        r->in_string = true;
    } else if (c == '{' || c == '[') {
        r->depth++;
    } else if (c == '}' || c == ']') {
        if (r->depth == 0)
            return fail(r, KH_ERR_INVALID, "the JSON is malformed: an unbalanced } in the users",
                        why);
        r->depth--;
    }
    if (buf_add(&r->element, &c, 1)) {
        snprintf(r->why, sizeof r->why, "user %zu is longer than %d bytes", r->rows + 1,
                 IMPORT_JSON_USER_MAX);
        return fail(r, KH_ERR_TOOBIG, r->why, why);
    }
    if (!r->in_string && r->depth == 0 && (c == '}' || c == ']')) {
        r->state = S_AFTER_ELEMENT;
        return emit(r, why);
    }
    return KH_OK;
}

/* Starts an element with its first byte c. */
static enum kh_status element_start(struct import_json *r, char c, const char **why)
{
    r->state = S_ELEMENT;
    r->depth = 0;
    r->in_string = r->escaped = false;
    return element_byte(r, c, why);
}

static enum kh_status frame_byte(struct import_json *r, char c, const char **why)
{
    if (r->state == S_ELEMENT)
        return element_byte(r, c, why);
    if (r->state == S_KEY) {
        if (c != KEY_REST[r->key_pos])
            return fail(r, KH_ERR_INVALID, FRAME_ERROR, why);
        if (!KEY_REST[++r->key_pos])
            r->state = S_COLON;
        return KH_OK;
    }
    if (is_ws(c))
        return KH_OK;
    switch (r->state) {
    case S_BEFORE_OBJECT:
        if (c != '{')
            break;
        r->state = S_BEFORE_KEY;
        return KH_OK;
    case S_BEFORE_KEY:
        if (c != '"')
            break;
        r->state = S_KEY;
        return KH_OK;
    case S_COLON:
        if (c != ':')
            break;
        r->state = S_BEFORE_ARRAY;
        return KH_OK;
    case S_BEFORE_ARRAY:
        if (c != '[')
            break;
        r->state = S_FIRST;
        return KH_OK;
    case S_FIRST:
        if (c == ']') {
            r->state = S_AFTER_ARRAY;
            return KH_OK;
        }
        return element_start(r, c, why);
    case S_NEXT:
        if (c == ']')
            return fail(r, KH_ERR_INVALID, "the JSON is malformed: a comma before ]", why);
        return element_start(r, c, why);
    case S_AFTER_ELEMENT:
        if (c == ',' || c == ']') {
            r->state = c == ',' ? S_NEXT : S_AFTER_ARRAY;
            return KH_OK;
        }
        return fail(r, KH_ERR_INVALID, "the JSON is malformed: expected , or ] after a user", why);
    case S_AFTER_ARRAY:
        if (c != '}')
            break;
        r->state = S_DONE;
        return KH_OK;
    default:
        break;
    }
    return fail(r, KH_ERR_INVALID, FRAME_ERROR, why);
}

enum kh_status import_json_feed(struct import_json *r, const void *data, size_t n,
                                const char **why)
{
    const char *p = data;
    for (size_t i = 0; i < n; i++) {
        enum kh_status rc = frame_byte(r, p[i], why);
        if (rc)
            return rc;
    }
    return KH_OK;
}

enum kh_status import_json_finish(struct import_json *r, const char **why)
{
    if (r->state != S_DONE)
        return fail(r, KH_ERR_INVALID, r->state == S_BEFORE_OBJECT && r->rows == 0
                                           ? "the JSON document is empty"
                                           : "the JSON document ends before its end",
                    why);
    return KH_OK;
}
