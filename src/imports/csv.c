/* csv.c - the CSV reader of imports: libcsv in strict mode, one row at a time. */
#include <csv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core/buf.h"
#include "core/utf8.h"
#include "imports/reader.h"

static const char BOM[3] = {'\xEF', '\xBB', '\xBF'};

struct import_csv {
    struct csv_parser p;
    import_row_fn fn;
    void *ctx;
    bool header_done;
    int column[IMPORT_N_FIELDS]; /* column index → field (header order) */
    size_t n_columns;
    unsigned header_seen;        /* fields named by the header so far */
    /* The row being read. */
    size_t col;                  /* fields of this row so far */
    size_t rows;                 /* data rows done */
    struct buf row;              /* the fields, each NUL-terminated */
    size_t off[IMPORT_N_FIELDS];
    size_t len[IMPORT_N_FIELDS];
    const char *row_error;
    const char *row_error_field;
    /* The BOM: up to 3 first bytes held until they are known to be one or not. */
    char pre[3];
    size_t n_pre;
    bool bom_done;
    enum kh_status stop;         /* KH_OK while going on */
    const char *why;
    char why_buf[200];
};

static const char *const FIELD_NAMES[IMPORT_N_FIELDS] = {
    [IMPORT_EMAIL] = "email",
    [IMPORT_USERNAME] = "username",
    [IMPORT_FIRST_NAME] = "first_name",
    [IMPORT_LAST_NAME] = "last_name",
    [IMPORT_ROLES] = "roles",
    [IMPORT_PASSWORD_HASH] = "password_hash",
};

#define COLUMNS "email, username, first_name, last_name, roles, password_hash"

const char *import_field_name(enum import_field f)
{
    return f < IMPORT_N_FIELDS ? FIELD_NAMES[f] : "?";
}

/* libcsv grows a field's buffer with this: refusing past the cap stops the
 * parse with CSV_ENOMEM, so one field never takes more than the cap. */
static void *capped_realloc(void *p, size_t n)
{
    return n > IMPORT_CSV_FIELD_MAX ? NULL : realloc(p, n);
}

__attribute__((format(printf, 3, 4)))
static void stop(struct import_csv *r, enum kh_status rc, const char *fmt, ...)
{
    if (r->stop)
        return;
    r->stop = rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why_buf, sizeof r->why_buf, fmt, ap);
    va_end(ap);
    r->why = r->why_buf;
}

static int field_of(const char *name, size_t n)
{
    for (int f = 0; f < IMPORT_N_FIELDS; f++)
        if (strlen(FIELD_NAMES[f]) == n && strncasecmp(name, FIELD_NAMES[f], n) == 0)
            return f;
    return -1;
}

static void header_field(struct import_csv *r, const char *s, size_t n)
{
    char name[48];
    int f = memchr(s, '\0', n) ? -1 : field_of(s, n);
    if (f < 0 && n == 8 && strncasecmp(s, "password", n) == 0) {
        stop(r, KH_ERR_INVALID, "the column \"password\" is refused: an import never takes a "
             "plain password; give password_hash (a PBKDF2, bcrypt or argon2id hash)");
        return;
    }
    if (f < 0) {
        size_t shown = n < sizeof name - 1 ? n : sizeof name - 1;
        memcpy(name, s, shown);
        name[shown] = '\0';
        if (!utf8_valid(name, shown) || memchr(s, '\0', n))
            stop(r, KH_ERR_INVALID, "the header names a column that is not valid text");
        else
            stop(r, KH_ERR_INVALID,
                 "unknown column \"%s\" in the header (columns: " COLUMNS ")", name);
        return;
    }
    if (r->header_seen & (1u << f)) {
        stop(r, KH_ERR_INVALID, "the column \"%s\" appears twice in the header", FIELD_NAMES[f]);
        return;
    }
    r->header_seen |= 1u << f;
    r->column[r->n_columns++] = f;
}

static void header_end(struct import_csv *r)
{
    if (!(r->header_seen & ((1u << IMPORT_USERNAME) | (1u << IMPORT_EMAIL))))
        stop(r, KH_ERR_INVALID, "the header needs a username or an email column");
    r->header_done = true;
}

static void row_reset(struct import_csv *r)
{
    buf_reset(&r->row);
    r->col = 0;
    r->row_error = NULL;
    r->row_error_field = NULL;
    memset(r->off, 0, sizeof r->off);
    memset(r->len, 0, sizeof r->len);
}

static void on_field(void *s, size_t n, void *ctx)
{
    struct import_csv *r = ctx;
    if (r->stop)
        return;
    if (!s)
        s = "";
    if (!r->header_done) {
        header_field(r, s, n);
        return;
    }
    size_t col = r->col++;
    if (col >= r->n_columns)
        return; /* counted: a row error at its end */
    int f = r->column[col];
    if (!r->row_error && !utf8_valid(s, n)) {
        r->row_error = "a field is not valid UTF-8";
        r->row_error_field = FIELD_NAMES[f];
    }
    r->off[f] = r->row.len;
    r->len[f] = n;
    if (buf_add(&r->row, s, n) || buf_addc(&r->row, '\0'))
        stop(r, KH_ERR_TOOBIG, "a row is too long");
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Splits the roles field in place at ';', without blanks around the names. */
static void split_roles(struct import_row *row, char *s)
{
    while (s && *s) {
        char *end = strchr(s, ';');
        if (end)
            *end = '\0';
        while (is_blank(*s))
            s++;
        size_t n = strlen(s);
        while (n && is_blank(s[n - 1]))
            s[--n] = '\0';
        if (n && row->n_roles == IMPORT_MAX_ROLES) {
            row->error = "a row has more than 64 roles";
            row->error_field = FIELD_NAMES[IMPORT_ROLES];
        }
        else if (n)
            row->roles[row->n_roles++] = s;
        s = end ? end + 1 : NULL;
    }
}

static void on_row(int term, void *ctx)
{
    (void)term;
    struct import_csv *r = ctx;
    if (r->stop)
        return;
    if (!r->header_done) {
        header_end(r);
        row_reset(r);
        return;
    }
    struct import_row row = {.number = ++r->rows, .error = r->row_error,
                             .error_field = r->row_error_field};
    if (r->col != r->n_columns) {
        row.error = r->col > r->n_columns ? "the row has more fields than the header"
                                          : "the row has fewer fields than the header";
        row.error_field = NULL;
    }
    for (size_t i = 0; i < r->n_columns && i < r->col; i++) {
        int f = r->column[i];
        row.present |= 1u << f;
        row.value[f] = r->row.data + r->off[f];
        row.len[f] = r->len[f];
    }
    if (row.value[IMPORT_ROLES]) {
        split_roles(&row, r->row.data + r->off[IMPORT_ROLES]);
        row.value[IMPORT_ROLES] = NULL;
    }
    enum kh_status rc = r->fn(r->ctx, &row);
    if (rc)
        stop(r, rc, "the import stopped at data row %zu", row.number);
    row_reset(r);
}

struct import_csv *import_csv_new(import_row_fn fn, void *ctx)
{
    struct import_csv *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (csv_init(&r->p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(r);
        return NULL;
    }
    csv_set_realloc_func(&r->p, capped_realloc);
    r->fn = fn;
    r->ctx = ctx;
    /* Every field under the cap, one row of at most IMPORT_N_FIELDS of them. */
    buf_init(&r->row, IMPORT_N_FIELDS * (IMPORT_CSV_FIELD_MAX + 1) + 1);
    return r;
}

void import_csv_free(struct import_csv *r)
{
    if (!r)
        return;
    csv_free(&r->p);
    buf_free(&r->row);
    free(r);
}

static void parse_error(struct import_csv *r)
{
    char where[64];
    if (r->header_done)
        snprintf(where, sizeof where, "data row %zu", r->rows + 1);
    else
        snprintf(where, sizeof where, "the header");
    if (csv_error(&r->p) == CSV_ENOMEM)
        stop(r, KH_ERR_TOOBIG, "a field of %s is longer than 64 KiB", where);
    else
        stop(r, KH_ERR_INVALID,
             "the CSV is malformed in %s (a quote inside an unquoted field, text after a "
             "closing quote, or a quote left open)", where);
}

static void parse(struct import_csv *r, const char *data, size_t n)
{
    if (n && !r->stop && csv_parse(&r->p, data, n, on_field, on_row, r) != n)
        parse_error(r);
}

/* Holds the first bytes until they are known to be a BOM (dropped) or not. */
static size_t strip_bom(struct import_csv *r, const char *data, size_t n)
{
    size_t used = 0;
    while (!r->bom_done && used < n) {
        r->pre[r->n_pre++] = data[used++];
        if (memcmp(r->pre, BOM, r->n_pre) != 0) {
            r->bom_done = true;
            parse(r, r->pre, r->n_pre);
        } else if (r->n_pre == sizeof BOM) {
            r->bom_done = true;
        }
    }
    return used;
}

enum kh_status import_csv_feed(struct import_csv *r, const void *data, size_t n, const char **why)
{
    size_t used = strip_bom(r, data, n);
    parse(r, (const char *)data + used, n - used);
    if (r->stop)
        *why = r->why;
    return r->stop;
}

enum kh_status import_csv_finish(struct import_csv *r, const char **why)
{
    if (!r->bom_done) {
        r->bom_done = true;
        if (r->n_pre < sizeof BOM || memcmp(r->pre, BOM, sizeof BOM) != 0)
            parse(r, r->pre, r->n_pre);
    }
    if (!r->stop && csv_fini(&r->p, on_field, on_row, r) != 0)
        parse_error(r);
    if (!r->stop && !r->header_done)
        stop(r, KH_ERR_INVALID, "the CSV has no header row");
    if (r->stop)
        *why = r->why;
    return r->stop;
}
