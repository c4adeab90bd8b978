/* reader.h - the two input formats of a user import, turned into rows.
 *
 * A reader knows CSV or JSON, not users: it hands each row to a callback as
 * strings (struct import_row) and reports what is wrong with the input. Two
 * kinds of failure: an error of one row (bad UTF-8, a wrong number of fields,
 * a value of the wrong JSON type) travels in row->error and the reading goes
 * on; an error of the whole input (malformed CSV, an unknown column, a JSON
 * document that is not {"users":[…]}) stops it with a status and a sentence.
 *
 * Rows and their strings belong to the reader and live only during the
 * callback. Not thread safe; a reader belongs to one caller at a time. */
#ifndef KH_IMPORTS_READER_H
#define KH_IMPORTS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include "core/status.h"

enum import_field {
    IMPORT_EMAIL,
    IMPORT_USERNAME,
    IMPORT_FIRST_NAME,
    IMPORT_LAST_NAME,
    IMPORT_ROLES,
    IMPORT_PASSWORD_HASH, /* a stored hash (authn/phc.h), never a password */
    IMPORT_N_FIELDS
};

#define IMPORT_MAX_ROLES 64
/* A CSV field longer than this stops the import (a field over 255 bytes is
 * only an error of its row). */
#define IMPORT_CSV_FIELD_MAX (64 * 1024)

struct import_row {
    size_t number;                      /* CSV: data rows from 1; JSON: index + 1 */
    unsigned present;                   /* 1u << field: the input gives this field */
    const char *value[IMPORT_N_FIELDS]; /* NUL-terminated, NULL when absent or null;
                                           value[IMPORT_ROLES] is unused */
    size_t len[IMPORT_N_FIELDS];        /* a NUL inside makes len > strlen */
    const char *roles[IMPORT_MAX_ROLES];
    size_t n_roles;
    const char *error;                  /* this row cannot be read, or NULL */
    const char *error_field;            /* the field `error` is about, or NULL */
};

/* Returns KH_OK to go on; any other status stops the reader with it. */
typedef enum kh_status (*import_row_fn)(void *ctx, const struct import_row *row);

/* Field names as in the header row and the JSON objects. */
const char *import_field_name(enum import_field f);

/* CSV (RFC 4180 with libcsv in strict mode): a header row naming some of
 * email, username, first_name, last_name, roles, password_hash (any order,
 * ASCII case ignored, each once, at least username or email; a "password"
 * column stops the import: plain passwords are never imported); roles
 * separated by ';';
 * an optional UTF-8 BOM; CRLF or LF; blank lines skipped. Fed in chunks of
 * any size; memory stays within one row (fields capped at
 * IMPORT_CSV_FIELD_MAX). */
struct import_csv;
struct import_csv *import_csv_new(import_row_fn fn, void *ctx);
/* KH_OK, or the status that stopped the reader (*why a sentence owned by it). */
enum kh_status import_csv_feed(struct import_csv *r, const void *data, size_t n,
                               const char **why) KH_MUST_CHECK;
/* The end of the input: the last row, and a check that no quote is left open. */
enum kh_status import_csv_finish(struct import_csv *r, const char **why) KH_MUST_CHECK;
void import_csv_free(struct import_csv *r);

/* JSON {"users":[{"email":…,"username":…,"first_name":…,"last_name":…,
 * "roles":[…],"password_hash":…}]}, fed in chunks of any size like CSV: each user is parsed by
 * jansson (JSON_REJECT_DUPLICATES) as soon as it has arrived, so memory stays
 * within one user (at most IMPORT_JSON_USER_MAX bytes). Values are strings or
 * null; another key in a user (a plain "password" among them), or a user
 * that is no object, is an error of that row; malformed JSON stops the
 * reader. password_hash is a string, or Keycloak's credential as an object
 * {"algorithm","iterations","salt","hash"} (turned into its string,
 * authn/phc.h phc_from_keycloak). */
#define IMPORT_JSON_USER_MAX (64 * 1024)
struct import_json;
struct import_json *import_json_new(import_row_fn fn, void *ctx);
enum kh_status import_json_feed(struct import_json *r, const void *data, size_t n,
                                const char **why) KH_MUST_CHECK;
/* The end of the input: the document must be complete. */
enum kh_status import_json_finish(struct import_json *r, const char **why) KH_MUST_CHECK;
void import_json_free(struct import_json *r);


#endif
