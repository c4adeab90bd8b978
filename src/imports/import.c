/* import.c - the import engine: rows from a reader, checked, upserted in
 * batches inside one store transaction, counted. */
#include "imports/import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/random.h"
#include "authn/password.h"
#include "imports/reader.h"
#include "oauth/manage.h"

#define FIELD_MAX 255

struct import {
    struct store *s;
    int64_t realm_id;
    struct import_options o;
    int64_t now;
    struct import_csv *csv;
    struct import_json *json;
    /* The rows waiting for the next store call; their strings in `batch`. */
    struct arena batch;
    struct user_upsert pending[IMPORT_BATCH];
    size_t row_no[IMPORT_BATCH];
    size_t n_pending;
    size_t batch_rows;            /* rows read since the last flush, failed ones too */
    bool in_tx;                   /* inside store_batch_begin */
    bool done;                    /* import_finish was called */
    enum kh_status fatal;
    const char *why;
    char why_buf[256];
    struct arena keep;            /* error messages */
    struct import_result res;
};

static void set_fatal(struct import *imp, enum kh_status rc, const char *why)
{
    if (imp->fatal)
        return;
    imp->fatal = rc;
    snprintf(imp->why_buf, sizeof imp->why_buf, "%s", why ? why : kh_status_str(rc));
    imp->why = imp->why_buf;
}

static void add_error(struct import *imp, size_t row, const char *field, const char *message)
{
    imp->res.failed++;
    if (imp->res.n_errors == IMPORT_MAX_ERRORS)
        return;
    if (!imp->res.errors)
        imp->res.errors = arena_alloc(&imp->keep, IMPORT_MAX_ERRORS * sizeof *imp->res.errors);
    struct import_error *e = &imp->res.errors[imp->res.n_errors++];
    e->row = row;
    e->field = field; /* a static name */
    e->message = arena_strdup(&imp->keep, message);
}

/* A text field of the row: NULL when absent or empty, else checked and copied. */
static const char *text_field(struct import *imp, const struct import_row *row, enum import_field f,
                              const char **err, const char **err_field)
{
    *err_field = import_field_name(f); /* read only with *err */
    const char *v = row->value[f];
    size_t n = row->len[f];
    if (!v || n == 0)
        return NULL;
    if (strlen(v) != n) {
        *err = arena_printf(&imp->batch, "the %s contains a NUL character", import_field_name(f));
        return NULL;
    }
    if (n > FIELD_MAX) {
        *err = arena_printf(&imp->batch, "the %s is longer than 255 bytes", import_field_name(f));
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7F) {
            *err = arena_printf(&imp->batch, "the %s contains a control character",
                                import_field_name(f));
            return NULL;
        }
    }
    return arena_strndup(&imp->batch, v, n);
}

/* A password_hash given (not empty) must be one keyhold verifies; it is
 * stored as given, and replaced by argon2id at the user's first login. An
 * absent or empty one leaves the user's password as it is. */
static const char *check_password_hash(struct import *imp, const struct import_row *row,
                                       struct user_upsert *u, const char **field)
{
    const char *err = NULL;
    const char *hash = text_field(imp, row, IMPORT_PASSWORD_HASH, &err, field);
    if (err || !hash)
        return err;
    if ((err = password_check_hash(hash)))
        return err;
    u->user.password_hash = hash;
    u->set |= UPSERT_SET_PASSWORD_HASH;
    return NULL;
}

static const char *check_roles(struct import *imp, const struct import_row *row,
                               struct user_upsert *u)
{
    const char **roles = arena_alloc(&imp->batch, (row->n_roles + 1) * sizeof *roles);
    for (size_t i = 0; i < row->n_roles; i++) {
        size_t n = strlen(row->roles[i]);
        if (n == 0 || n > FIELD_MAX)
            return "a role name is empty or longer than 255 bytes";
        roles[i] = arena_strndup(&imp->batch, row->roles[i], n);
    }
    u->roles = roles;
    u->n_roles = row->n_roles;
    if (row->present & (1u << IMPORT_ROLES))
        u->set |= UPSERT_SET_ROLES;
    return NULL;
}

/* The row as an upsert into *u, or a sentence saying what is wrong with it
 * (and in *field the field it is about, or NULL). */
static const char *check_row(struct import *imp, const struct import_row *row,
                             struct user_upsert *u, const char **field)
{
    const char *err = NULL;
    const char *username = text_field(imp, row, IMPORT_USERNAME, &err, field);
    const char *email = err ? NULL : text_field(imp, row, IMPORT_EMAIL, &err, field);
    const char *first = err ? NULL : text_field(imp, row, IMPORT_FIRST_NAME, &err, field);
    const char *last = err ? NULL : text_field(imp, row, IMPORT_LAST_NAME, &err, field);
    if (err)
        return err;
    *field = import_field_name(username ? IMPORT_USERNAME : IMPORT_EMAIL);
    if (!username && !email)
        return "a row needs a username or an email";
    if (username && !manage_is_username(username))
        return "the username must be 1 to 255 printable characters without spaces";
    *field = import_field_name(IMPORT_EMAIL);
    if (email && !manage_is_email(email))
        return "the email address is not valid";
    char *id = arena_alloc(&imp->batch, 37);
    random_uuid(id);
    *u = (struct user_upsert){
        .user = {.id = id, .realm_id = imp->realm_id, .email = email, .first_name = first,
                 .last_name = last, .enabled = true, .created_at = imp->now},
    };
    if (username)
        u->user.username = manage_username(&imp->batch, username);
    static const unsigned SET[] = {[IMPORT_EMAIL] = UPSERT_SET_EMAIL,
                                   [IMPORT_FIRST_NAME] = UPSERT_SET_FIRST_NAME,
                                   [IMPORT_LAST_NAME] = UPSERT_SET_LAST_NAME};
    for (int f = IMPORT_EMAIL; f <= IMPORT_LAST_NAME; f++)
        if (f != IMPORT_USERNAME && (row->present & (1u << f)))
            u->set |= SET[f];
    const char *err_hash = check_password_hash(imp, row, u, field);
    if (err_hash)
        return err_hash;
    *field = import_field_name(IMPORT_ROLES);
    return check_roles(imp, row, u);
}

static enum kh_status tx_begin(struct import *imp)
{
    if (imp->in_tx)
        return KH_OK;
    enum kh_status rc = store_batch_begin(imp->s);
    if (rc)
        return rc;
    imp->in_tx = true;
    return store_user_upsert_begin(imp->s);
}

static void count_outcome(struct import *imp, size_t row, const struct user_upsert *u)
{
    switch (u->outcome) {
    case UPSERT_CREATED: imp->res.created++; return;
    case UPSERT_UPDATED: imp->res.updated++; return;
    case UPSERT_UNKNOWN_ROLE:
        add_error(imp, row, import_field_name(IMPORT_ROLES),
                  arena_printf(&imp->batch, "unknown role \"%s\"", u->roles[u->bad_role]));
        return;
    case UPSERT_DUPLICATE:
        add_error(imp, row, import_field_name(u->user.username ? IMPORT_USERNAME : IMPORT_EMAIL),
                  "the same user is in an earlier row of the file");
        return;
    case UPSERT_EMAIL_AMBIGUOUS:
        add_error(imp, row, import_field_name(IMPORT_EMAIL),
                  "no username, and several users have this email");
        return;
    }
    add_error(imp, row, NULL, "the store gave an unknown outcome");
}

/* Writes the pending rows (one store call) and counts what happened to each. */
static enum kh_status flush(struct import *imp)
{
    if (imp->n_pending == 0)
        return KH_OK;
    if (tx_begin(imp) || store_user_upsert(imp->s, imp->realm_id, imp->pending, imp->n_pending)) {
        set_fatal(imp, KH_ERR_STORE, "the store failed while writing users (see the log line)");
        return KH_ERR_STORE;
    }
    for (size_t i = 0; i < imp->n_pending; i++)
        count_outcome(imp, imp->row_no[i], &imp->pending[i]);
    imp->n_pending = 0;
    return KH_OK;
}

/* The batch's arena holds rows that failed too: it is emptied every
 * IMPORT_BATCH rows read, so that its size does not depend on the file. */
static enum kh_status end_batch(struct import *imp)
{
    enum kh_status rc = flush(imp);
    imp->batch_rows = 0;
    arena_free(&imp->batch);
    return rc;
}

static enum kh_status on_row(void *ctx, const struct import_row *row)
{
    struct import *imp = ctx;
    if (imp->fatal)
        return imp->fatal;
    imp->res.rows++;
    if (imp->o.progress && imp->res.rows % IMPORT_PROGRESS_EVERY == 0)
        imp->o.progress(imp->o.progress_ctx, imp->res.rows);
    struct user_upsert *u = &imp->pending[imp->n_pending];
    const char *field = row->error_field;
    const char *err = row->error ? row->error : check_row(imp, row, u, &field);
    if (err)
        add_error(imp, row->number, field, err);
    else
        imp->row_no[imp->n_pending++] = row->number;
    return ++imp->batch_rows == IMPORT_BATCH ? end_batch(imp) : KH_OK;
}

enum kh_status import_new(struct store *s, int64_t realm_id, const struct import_options *o,
                          struct import **out)
{
    struct import *imp = calloc(1, sizeof *imp);
    if (!imp)
        return KH_ERR_NOMEM;
    imp->s = s;
    imp->realm_id = realm_id;
    imp->o = *o;
    imp->now = clock_now();
    arena_init(&imp->batch);
    arena_init(&imp->keep);
    random_uuid(imp->res.id);
    imp->res.dry_run = o->dry_run;
    if (o->format == IMPORT_CSV ? !(imp->csv = import_csv_new(on_row, imp))
                                : !(imp->json = import_json_new(on_row, imp))) {
        import_free(imp);
        return KH_ERR_NOMEM;
    }
    *out = imp;
    return KH_OK;
}

enum kh_status import_feed(struct import *imp, const void *data, size_t n)
{
    if (imp->done)
        set_fatal(imp, KH_ERR_INTERNAL, "the import was already finished");
    if (imp->fatal)
        return imp->fatal;
    const char *why = NULL;
    enum kh_status rc;
    rc = imp->o.format == IMPORT_CSV ? import_csv_feed(imp->csv, data, n, &why)
                                     : import_json_feed(imp->json, data, n, &why);
    if (rc)
        set_fatal(imp, rc, why);
    return imp->fatal;
}

static int by_row(const void *a, const void *b)
{
    const struct import_error *x = a, *y = b;
    return (x->row > y->row) - (x->row < y->row);
}

/* Reads what is left of the input and writes the last rows. */
static void read_rest(struct import *imp)
{
    const char *why = NULL;
    enum kh_status rc = imp->o.format == IMPORT_CSV ? import_csv_finish(imp->csv, &why)
                                                    : import_json_finish(imp->json, &why);
    if (rc)
        set_fatal(imp, rc, why);
    if (!imp->fatal)
        (void)end_batch(imp);
}

/* The record hook (import_options.record), if any. */
static void record(struct import *imp)
{
    if (!imp->fatal && imp->o.record && imp->o.record(imp->o.record_ctx, &imp->res))
        set_fatal(imp, KH_ERR_STORE, "the store failed to record the import (see the log line)");
}

/* Commits, or rolls back a dry run or a failed atomic import; the record
 * goes with the commit, or alone after a rollback. */
static void end_tx(struct import *imp)
{
    bool keep = !imp->fatal && !imp->o.dry_run && !(imp->o.atomic && imp->res.failed);
    if (imp->o.atomic && imp->res.failed) {
        imp->res.created = imp->res.updated = 0;
        imp->res.rolled_back = true;
    }
    if (imp->res.n_errors)
        qsort(imp->res.errors, imp->res.n_errors, sizeof *imp->res.errors, by_row);
    if (!imp->in_tx || !keep) {
        if (imp->in_tx)
            store_batch_abort(imp->s);
        imp->in_tx = false;
        record(imp);
        return;
    }
    record(imp);
    imp->in_tx = false;
    if (imp->fatal)
        store_batch_abort(imp->s);
    else if (store_batch_end(imp->s))
        set_fatal(imp, KH_ERR_STORE, "the store failed to commit the import (see the log line)");
}

enum kh_status import_finish(struct import *imp, struct import_result *out, const char **why)
{
    if (imp->done)
        set_fatal(imp, KH_ERR_INTERNAL, "the import was already finished");
    if (!imp->fatal)
        read_rest(imp);
    imp->done = true;
    end_tx(imp);
    if (imp->fatal) {
        *why = imp->why;
        return imp->fatal;
    }
    *out = imp->res;
    return KH_OK;
}

void import_free(struct import *imp)
{
    if (!imp)
        return;
    if (imp->in_tx)
        store_batch_abort(imp->s);
    import_csv_free(imp->csv);
    import_json_free(imp->json);
    arena_free(&imp->batch);
    arena_free(&imp->keep);
    free(imp);
}
