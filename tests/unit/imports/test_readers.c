/* test_readers.c - the CSV and JSON readers of imports, without a store:
 * quoting, BOM, CRLF, embedded newlines, bad UTF-8, header errors, chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/utf8.h"
#include "imports/reader.h"

#define MAX_ROWS 8

/* Copies of what the reader handed over. */
struct got_row {
    size_t number;
    unsigned present;
    char value[IMPORT_N_FIELDS][300];
    bool is_null[IMPORT_N_FIELDS];
    char roles[IMPORT_MAX_ROLES][64];
    size_t n_roles;
    char error[200];
};

struct got {
    struct got_row rows[MAX_ROWS];
    size_t n;
};

static enum kh_status collect(void *ctx, const struct import_row *row)
{
    struct got *g = ctx;
    assert_true(g->n < MAX_ROWS);
    struct got_row *r = &g->rows[g->n++];
    memset(r, 0, sizeof *r);
    r->number = row->number;
    r->present = row->present;
    for (int f = 0; f < IMPORT_N_FIELDS; f++) {
        r->is_null[f] = row->value[f] == NULL;
        if (row->value[f])
            snprintf(r->value[f], sizeof r->value[f], "%s", row->value[f]);
    }
    for (size_t i = 0; i < row->n_roles; i++)
        snprintf(r->roles[i], sizeof r->roles[i], "%s", row->roles[i]);
    r->n_roles = row->n_roles;
    if (row->error)
        snprintf(r->error, sizeof r->error, "%s", row->error);
    return KH_OK;
}

/* Feeds s in chunks of `chunk` bytes (0: at once); returns the final status. */
static enum kh_status csv_read(const char *s, size_t n, size_t chunk, struct got *g,
                               const char **why)
{
    memset(g, 0, sizeof *g);
    struct import_csv *r = import_csv_new(collect, g);
    assert_non_null(r);
    enum kh_status rc = KH_OK;
    size_t step = chunk ? chunk : (n ? n : 1);
    for (size_t i = 0; i < n && !rc; i += step)
        rc = import_csv_feed(r, s + i, n - i < step ? n - i : step, why);
    if (!rc)
        rc = import_csv_finish(r, why);
    static char kept[256]; /* *why belongs to the reader */
    if (rc) {
        snprintf(kept, sizeof kept, "%s", *why);
        *why = kept;
    }
    import_csv_free(r);
    return rc;
}

#define CSV(lit, chunk, g, why) csv_read(lit, sizeof(lit) - 1, chunk, g, why)

static void test_csv_quoting_bom_crlf(void **state)
{
    (void)state;
    static const char in[] =
        "\xEF\xBB\xBF" "Roles,Email,username,last_name,first_name\r\n"
        "\"a;b\",x@y.io,Bob,\"Smith, \"\"Jr\"\"\",\"two\nlines\"\r\n"
        "\r\n"
        " admin ; ;reader ,,carol,,\r\n";
    struct got g;
    const char *why = NULL;
    /* The same rows whatever the chunks (1 byte splits the BOM, quotes, CRLF). */
    for (size_t chunk = 0; chunk <= 7; chunk++) {
        assert_int_equal(CSV(in, chunk, &g, &why), KH_OK);
        assert_int_equal(g.n, 2);
        struct got_row *r = &g.rows[0];
        assert_int_equal(r->number, 1);
        assert_string_equal(r->value[IMPORT_EMAIL], "x@y.io");
        assert_string_equal(r->value[IMPORT_USERNAME], "Bob");
        assert_string_equal(r->value[IMPORT_LAST_NAME], "Smith, \"Jr\"");
        assert_string_equal(r->value[IMPORT_FIRST_NAME], "two\nlines");
        assert_int_equal(r->n_roles, 2);
        assert_string_equal(r->roles[0], "a");
        assert_string_equal(r->roles[1], "b");
        assert_int_equal(r->present, (1u << IMPORT_PASSWORD_HASH) - 1); /* all but the hash */
        assert_string_equal(r->error, "");
        r = &g.rows[1]; /* the blank line is skipped, not counted */
        assert_int_equal(r->number, 2);
        assert_int_equal(r->n_roles, 2);
        assert_string_equal(r->roles[0], "admin");
        assert_string_equal(r->roles[1], "reader");
        assert_string_equal(r->value[IMPORT_EMAIL], "");
    }
}

static void test_csv_lf_no_final_newline(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(CSV("username\nann\nben", 0, &g, &why), KH_OK);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.rows[1].value[IMPORT_USERNAME], "ben");
    assert_int_equal(g.rows[1].present, 1u << IMPORT_USERNAME);
    assert_true(g.rows[1].is_null[IMPORT_EMAIL]);
}

static void test_csv_row_errors(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(CSV("username,email\nok,a@b.c\nbad\xC3\x28,a@b.c\nx,y,z\nonly\n"
                         "\xED\xA0\x80,a@b.c\n",
                         3, &g, &why), KH_OK);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.rows[0].error, "");
    assert_string_equal(g.rows[1].error, "a field is not valid UTF-8");
    assert_string_equal(g.rows[2].error, "the row has more fields than the header");
    assert_string_equal(g.rows[3].error, "the row has fewer fields than the header");
    assert_string_equal(g.rows[4].error, "a field is not valid UTF-8"); /* a surrogate */
}

static void test_csv_whole_errors(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(CSV("username,password\nann,x\n", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "the column \"password\" is refused"));
    assert_int_equal(g.n, 0);
    assert_int_equal(CSV("username,PassWord\nann,x\n", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "never takes a plain password"));
    assert_int_equal(g.n, 0);
    assert_int_equal(CSV("username,Username\n", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "twice"));
    assert_int_equal(CSV("first_name,roles\nann,\n", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "username or an email"));
    assert_int_equal(CSV("", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "no header"));
    assert_int_equal(CSV("username\nann\nb\"en\n", 0, &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "data row 2"));
    assert_int_equal(g.n, 1);
    assert_int_equal(CSV("username\n\"open\n", 0, &g, &why), KH_ERR_INVALID);
    assert_int_equal(CSV("username\n\"a\"b\n", 0, &g, &why), KH_ERR_INVALID);
}

static void test_csv_field_cap(void **state)
{
    (void)state;
    size_t n = IMPORT_CSV_FIELD_MAX + 100;
    char *in = malloc(n + 20);
    assert_non_null(in);
    memcpy(in, "username\n\"", 10);
    memset(in + 10, 'a', n);
    memcpy(in + 10 + n, "\"\n", 2);
    struct got g;
    const char *why = NULL;
    assert_int_equal(csv_read(in, n + 12, 4096, &g, &why), KH_ERR_TOOBIG);
    assert_non_null(strstr(why, "64 KiB"));
    free(in);
}

/* Fed in pieces of `chunk` bytes, so that every frame and element boundary
 * falls inside a piece somewhere. */
static enum kh_status json_read_by(const char *s, size_t chunk, struct got *g, const char **why)
{
    memset(g, 0, sizeof *g);
    struct import_json *r = import_json_new(collect, g);
    assert_non_null(r);
    enum kh_status rc = KH_OK;
    for (size_t off = 0, n = strlen(s); off < n && !rc; off += chunk)
        rc = import_json_feed(r, s + off, n - off < chunk ? n - off : chunk, why);
    if (!rc)
        rc = import_json_finish(r, why);
    static char kept[256]; /* *why belongs to the reader */
    if (rc) {
        snprintf(kept, sizeof kept, "%s", *why);
        *why = kept;
    }
    import_json_free(r);
    return rc;
}

static enum kh_status json_read(const char *s, struct got *g, const char **why)
{
    struct got whole;
    const char *why_whole = NULL;
    enum kh_status rc = json_read_by(s, strlen(s) + 1, &whole, &why_whole);
    assert_int_equal(json_read_by(s, 1, g, why), rc); /* byte by byte: the same */
    assert_int_equal(g->n, whole.n);
    return rc;
}

static void test_json_rows(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(json_read("{\"users\":[{\"username\":\"Ann\",\"email\":\"a@b.c\","
                               "\"first_name\":null,\"roles\":[\"x\",\"y\"]},"
                               "{\"email\":\"b@b.c\",\"nick\":\"b\"},"
                               "{\"username\":5},7,{\"username\":\"c\",\"roles\":\"x\"}]}",
                               &g, &why), KH_OK);
    assert_int_equal(g.n, 5);
    assert_int_equal(g.rows[0].number, 1);
    assert_string_equal(g.rows[0].value[IMPORT_USERNAME], "Ann");
    assert_true(g.rows[0].is_null[IMPORT_FIRST_NAME]);
    assert_true(g.rows[0].present & (1u << IMPORT_FIRST_NAME)); /* null: given, to clear */
    assert_false(g.rows[0].present & (1u << IMPORT_LAST_NAME));
    assert_int_equal(g.rows[0].n_roles, 2);
    assert_string_equal(g.rows[0].error, "");
    assert_non_null(strstr(g.rows[1].error, "unknown field \"nick\""));
    assert_non_null(strstr(g.rows[2].error, "string or null"));
    assert_non_null(strstr(g.rows[3].error, "object"));
    assert_int_equal(g.rows[4].number, 5);
    assert_non_null(strstr(g.rows[4].error, "array"));
}

/* password_hash: a string as given, Keycloak's credential object as its
 * PBKDF2 string; a plain password is an error of its row. */
static void test_json_password_hash(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(
        json_read("{\"users\":[{\"username\":\"a\",\"password_hash\":\"$2b$10$x\"},"
                  "{\"username\":\"b\",\"password_hash\":{\"algorithm\":\"pbkdf2-sha256\","
                  "\"iterations\":27500,\"salt\":\"a2V5aG9sZC1zYWx0LTE2Yg==\","
                  "\"hash\":\"X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=\"}},"
                  "{\"username\":\"c\",\"password\":\"hunter2\"},"
                  "{\"username\":\"d\",\"password_hash\":{\"algorithm\":\"md5\","
                  "\"iterations\":1,\"salt\":\"x\",\"hash\":\"y\"}},"
                  "{\"username\":\"e\",\"password_hash\":{\"algorithm\":\"pbkdf2\"}},"
                  "{\"username\":\"f\",\"password_hash\":5}]}",
                  &g, &why),
        KH_OK);
    assert_int_equal(g.n, 6);
    assert_string_equal(g.rows[0].value[IMPORT_PASSWORD_HASH], "$2b$10$x"); /* checked later */
    assert_string_equal(g.rows[1].error, "");
    assert_string_equal(g.rows[1].value[IMPORT_PASSWORD_HASH],
                        "$pbkdf2-sha256$i=27500$a2V5aG9sZC1zYWx0LTE2Yg==$"
                        "X79gw+v3MCUGPhU1QoO8zZsMlgx6EM5XiTRTGrG+sw8=");
    assert_non_null(strstr(g.rows[2].error, "never takes a plain password"));
    assert_null(strstr(g.rows[2].error, "hunter2"));
    assert_non_null(strstr(g.rows[3].error, "algorithm"));
    assert_non_null(strstr(g.rows[4].error, "Keycloak's credential"));
    assert_non_null(strstr(g.rows[5].error, "Keycloak credential object"));
}

static void test_json_whole_errors(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(json_read("{\"users\":[], \"users\":[]}", &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "nothing else"));
    assert_int_equal(json_read("{\"users\":[{\"username\":\"a\"},]}", &g, &why),
                     KH_ERR_INVALID);
    assert_non_null(strstr(why, "comma"));
    assert_int_equal(json_read("{\"users\":[{\"username\":\"a\",\"username\":\"b\"}]}", &g,
                               &why), KH_ERR_INVALID); /* duplicate key inside a user */
    assert_non_null(strstr(why, "malformed in user 1"));
    assert_int_equal(json_read("{\"users\":[{\"username\":\"a\"} {}]}", &g, &why),
                     KH_ERR_INVALID);
    assert_int_equal(json_read("{\"users\":[]} x", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("{\"users\":[]}}", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("{\"users\":[}]}", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("", &g, &why), KH_ERR_INVALID);
    assert_non_null(strstr(why, "empty"));
    assert_int_equal(json_read("{\"users\":[{\"username\":\"\xff\"}]}", &g, &why),
                     KH_ERR_INVALID); /* bad UTF-8 */
    assert_int_equal(json_read("{\"users\":[], \"x\":1}", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("[]", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("{\"users\":{}}", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read("{\"users\":[", &g, &why), KH_ERR_INVALID);
    assert_int_equal(json_read(" {\"users\" : [ ] } \n", &g, &why), KH_OK);
    assert_int_equal(g.n, 0);
}

/* Brackets, braces, quotes and escapes inside strings do not end a user. */
static void test_json_strings_inside_users(void **state)
{
    (void)state;
    struct got g;
    const char *why = NULL;
    assert_int_equal(json_read("{\"users\":[{\"username\":\"a]}\\\"\\\\\",\"roles\":[\"[x]\"]},"
                               "{\"username\":\"b,{\"}, \"s\" ,null]}", &g, &why), KH_OK);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.rows[0].value[IMPORT_USERNAME], "a]}\"\\");
    assert_string_equal(g.rows[1].value[IMPORT_USERNAME], "b,{");
    assert_non_null(strstr(g.rows[2].error, "object"));
    assert_non_null(strstr(g.rows[3].error, "object"));
}

/* One user may be long; one too long stops the reader, whatever came before. */
static void test_json_user_cap(void **state)
{
    (void)state;
    size_t n = IMPORT_JSON_USER_MAX + 64;
    char *in = malloc(n + 64);
    assert_non_null(in);
    int head = snprintf(in, 64, "{\"users\":[{\"username\":\"");
    memset(in + head, 'a', n);
    memcpy(in + head + n, "\"}]}", 5);
    struct got g;
    const char *why = NULL;
    assert_int_equal(json_read(in, &g, &why), KH_ERR_TOOBIG);
    assert_non_null(strstr(why, "user 1 is longer than"));
    free(in);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(utf8_valid("caf\xC3\xA9 \xF0\x9F\x98\x80", 10));
    assert_false(utf8_valid("\xC0\xAF", 2));         /* overlong */
    assert_false(utf8_valid("\xF4\x90\x80\x80", 4)); /* above U+10FFFF */
    assert_false(utf8_valid("\xE2\x82", 2));         /* cut short */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_quoting_bom_crlf), cmocka_unit_test(test_csv_lf_no_final_newline),
        cmocka_unit_test(test_csv_row_errors),       cmocka_unit_test(test_csv_whole_errors),
        cmocka_unit_test(test_csv_field_cap),        cmocka_unit_test(test_json_rows),
        cmocka_unit_test(test_json_whole_errors),
        cmocka_unit_test(test_json_password_hash),
        cmocka_unit_test(test_json_strings_inside_users),
        cmocka_unit_test(test_json_user_cap),    cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
