/* json.c - the JSON reader of imports: {"users":[…]} parsed whole by jansson. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include "imports/reader.h"

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

/* One user object into row; an error of the row as a static sentence. */
static const char *read_user(struct import_row *row, json_t *obj, char *buf, size_t buf_len)
{
    if (!json_is_object(obj))
        return "a user must be a JSON object";
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        int f = field_of(key);
        row->error_field = f < 0 ? NULL : import_field_name(f); /* that of an error below */
        if (f < 0 && strlen(key) > 40)
            return "unknown field (fields: email, username, first_name, last_name, roles)";
        if (f < 0) {
            snprintf(buf, buf_len, "unknown field \"%s\" (fields: email, username, first_name, "
                     "last_name, roles)", key);
            return buf;
        }
        row->present |= 1u << f;
        if (f == IMPORT_ROLES) {
            const char *err = read_roles(row, v);
            if (err)
                return err;
        } else if (json_is_string(v)) {
            row->value[f] = json_string_value(v);
            row->len[f] = json_string_length(v);
        } else if (!json_is_null(v)) {
            snprintf(buf, buf_len, "\"%s\" must be a string or null", import_field_name(f));
            return buf;
        }
    }
    return NULL;
}

static enum kh_status read_users(json_t *users, import_row_fn fn, void *ctx, char *buf,
                                 size_t why_len, const char **why)
{
    size_t i;
    json_t *obj;
    char row_buf[160];
    json_array_foreach(users, i, obj) {
        struct import_row row = {.number = i + 1};
        row.error = read_user(&row, obj, row_buf, sizeof row_buf);
        if (!row.error)
            row.error_field = NULL;
        enum kh_status rc = fn(ctx, &row);
        if (rc) {
            snprintf(buf, why_len, "the import stopped at user %zu", i + 1);
            *why = buf;
            return rc;
        }
    }
    return KH_OK;
}

enum kh_status import_json_parse(const void *data, size_t n, import_row_fn fn, void *ctx,
                                 char *buf, size_t why_len, const char **why)
{
    json_error_t err;
    json_t *doc = json_loadb(data, n, JSON_REJECT_DUPLICATES, &err);
    if (!doc) {
        snprintf(buf, why_len, "the JSON is malformed at line %d, column %d: %s", err.line,
                 err.column, err.text);
        *why = buf;
        return KH_ERR_INVALID;
    }
    enum kh_status rc = KH_ERR_INVALID;
    json_t *users = json_object_get(doc, "users");
    if (!json_is_object(doc) || json_object_size(doc) != 1 || !json_is_array(users))
        *why = "the JSON document must be {\"users\":[…]} and nothing else";
    else
        rc = read_users(users, fn, ctx, buf, why_len, why);
    json_decref(doc);
    return rc;
}
