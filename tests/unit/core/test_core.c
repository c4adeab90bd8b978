/* test_core.c - base64, JSON writer, secrets, buffers, arena, AEAD, log redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/aead.h"
#include "core/arena.h"
#include "core/b64.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/jsonw.h"
#include "core/log.h"
#include "core/random.h"
#include "core/secret.h"

/* RFC 4648 §10 test vectors, base64url without padding. */
static void test_b64url_rfc4648(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (size_t i = 0; i < 7; i++) {
        char enc[16];
        b64url_encode((const uint8_t *)in[i], strlen(in[i]), enc);
        assert_string_equal(enc, out[i]);
        assert_int_equal(b64url_encoded_len(strlen(in[i])), strlen(out[i]));
        uint8_t dec[16];
        size_t n;
        assert_int_equal(b64url_decode(out[i], strlen(out[i]), dec, &n), KH_OK);
        assert_int_equal(n, strlen(in[i]));
        assert_memory_equal(dec, in[i], n);
    }
}

static void test_b64url_strict(void **state)
{
    (void)state;
    uint8_t dec[16];
    size_t n;
    assert_int_equal(b64url_decode("Zg==", 4, dec, &n), KH_ERR_INVALID); /* padding */
    assert_int_equal(b64url_decode("Zh", 2, dec, &n), KH_ERR_INVALID);   /* non-canonical bits */
    assert_int_equal(b64url_decode("Z", 1, dec, &n), KH_ERR_INVALID);    /* impossible length */
    assert_int_equal(b64url_decode("Zm+v", 4, dec, &n), KH_ERR_INVALID); /* standard alphabet */
    assert_int_equal(b64url_decode("Zm 9", 4, dec, &n), KH_ERR_INVALID); /* whitespace */
    uint8_t bytes[] = {0xfb, 0xff};
    char enc[8];
    b64url_encode(bytes, 2, enc);
    assert_string_equal(enc, "-_8");
}

static void test_b64std(void **state)
{
    (void)state;
    char enc[16];
    b64std_encode((const uint8_t *)"fo", 2, enc);
    assert_string_equal(enc, "Zm8=");
    uint8_t dec[16];
    size_t n;
    assert_int_equal(b64std_decode("Zm8=", 4, dec, &n), KH_OK);
    assert_int_equal(n, 2);
    assert_int_equal(b64std_decode("Zm8", 3, dec, &n), KH_ERR_INVALID);  /* padding required */
    assert_int_equal(b64std_decode("Zm9=", 4, dec, &n), KH_ERR_INVALID); /* non-canonical */
    assert_int_equal(b64std_decode("Z===", 4, dec, &n), KH_ERR_INVALID);
}

static char *write_sample(struct buf *b)
{
    struct jsonw w;
    jsonw_init(&w, b);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "a", "q\"\\\n\x01");
    jsonw_key(&w, "list");
    jsonw_arr_begin(&w);
    jsonw_int(&w, -1);
    jsonw_bool(&w, true);
    jsonw_null(&w);
    jsonw_obj_begin(&w);
    jsonw_obj_end(&w);
    jsonw_arr_end(&w);
    jsonw_kv_words(&w, "w", " x  y ");
    jsonw_kv_int(&w, "n", 42);
    jsonw_obj_end(&w);
    assert_int_equal(jsonw_finish(&w), KH_OK);
    return b->data;
}

static void test_jsonw(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    assert_string_equal(write_sample(&b),
                        "{\"a\":\"q\\\"\\\\\\n\\u0001\",\"list\":[-1,true,null,{}],\"w\":[\"x\",\"y\"],\"n\":42}");
    buf_free(&b);
}

static void test_jsonw_errors(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 8);
    struct jsonw w;
    jsonw_init(&w, &b);
    jsonw_obj_begin(&w);
    jsonw_kv_str(&w, "long", "more than eight bytes");
    jsonw_obj_end(&w);
    assert_int_equal(jsonw_finish(&w), KH_ERR_TOOBIG);
    buf_free(&b);
    buf_init(&b, 64);
    jsonw_init(&w, &b);
    jsonw_obj_begin(&w);
    assert_int_equal(jsonw_finish(&w), KH_ERR_INTERNAL); /* unclosed */
    buf_free(&b);
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 4);
    assert_int_equal(buf_addstr(&b, "abcd"), KH_OK);
    assert_int_equal(buf_addc(&b, 'e'), KH_ERR_TOOBIG);
    assert_string_equal(b.data, "abcd"); /* unchanged by the refused append */
    buf_reset(&b);
    assert_int_equal(buf_printf(&b, "%d", 12345), KH_ERR_TOOBIG);
    assert_int_equal(buf_printf(&b, "%d", 123), KH_OK);
    assert_string_equal(b.data, "123");
    buf_free(&b);
}

/* A buffer without a cap (max SIZE_MAX) grows like any other: the cap's
 * max + 1 once wrapped to 0 and shrank the allocation to nothing. */
static void test_buf_uncapped(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, SIZE_MAX);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(buf_addc(&b, 'x'), KH_OK);
    assert_int_equal(b.len, 3000);
    assert_int_equal(b.data[2999], 'x');
    buf_free(&b);
}

static void test_arena(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    char *s = arena_strdup(&a, "hello");
    char *big = arena_alloc(&a, 100000); /* its own block */
    char *t = arena_printf(&a, "%s-%d", s, 7);
    assert_string_equal(t, "hello-7");
    assert_int_equal(big[99999], 0);
    assert_int_equal((uintptr_t)arena_alloc(&a, 3) % 16, 0);
    arena_free(&a);
}

static void test_secret(void **state)
{
    (void)state;
    char s[SECRET_LEN + 1];
    secret_new(SECRET_CLIENT, s);
    assert_int_equal(strlen(s), SECRET_LEN);
    assert_memory_equal(s, "khs_", 4);
    assert_true(secret_check(SECRET_CLIENT, s, SECRET_LEN));
    assert_false(secret_check(SECRET_REFRESH, s, SECRET_LEN));
    assert_false(secret_check(SECRET_CLIENT, s, SECRET_LEN - 1));
    s[10] = s[10] == 'a' ? 'b' : 'a'; /* a typo breaks the CRC */
    assert_false(secret_check(SECRET_CLIENT, s, SECRET_LEN));
    char other[SECRET_LEN + 1];
    secret_new(SECRET_CLIENT, other);
    assert_memory_not_equal(s + 4, other + 4, SECRET_RANDOM_CHARS);
}

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(crc32_ieee("123456789", 9), 0xCBF43926u); /* the standard check value */
}

static void test_aead(void **state)
{
    (void)state;
    uint8_t key[AEAD_KEY_LEN], *sealed, *plain;
    size_t sealed_len, plain_len;
    random_bytes(key, sizeof key);
    assert_int_equal(aead_seal(key, "kid1", 4, (const uint8_t *)"private", 7, &sealed, &sealed_len), KH_OK);
    assert_int_equal(sealed_len, 7 + AEAD_OVERHEAD);
    assert_int_equal(aead_open(key, "kid1", 4, sealed, sealed_len, &plain, &plain_len), KH_OK);
    assert_memory_equal(plain, "private", 7);
    free(plain);
    assert_int_equal(aead_open(key, "kid2", 4, sealed, sealed_len, &plain, &plain_len), KH_ERR_DENIED);
    sealed[14] ^= 1;
    assert_int_equal(aead_open(key, "kid1", 4, sealed, sealed_len, &plain, &plain_len), KH_ERR_DENIED);
    free(sealed);
}

static void test_log_redaction(void **state)
{
    (void)state;
    assert_true(log_is_secret_key("password"));
    assert_true(log_is_secret_key("client_secret"));
    assert_true(log_is_secret_key("refresh_token"));
    assert_true(log_is_secret_key("Authorization"));
    assert_false(log_is_secret_key("client_id"));
    char s[SECRET_LEN + 1];
    secret_new(SECRET_REFRESH, s);
    assert_true(log_looks_secret(s));
    assert_true(log_looks_secret("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
    assert_false(log_looks_secret("admin-cli"));
}

/* stderr goes to a temporary file while fn runs; returns what it holds. */
static char *captured(void (*fn)(void))
{
    char path[] = "/tmp/kh_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0 && dup2(fd, STDERR_FILENO) == STDERR_FILENO);
    fn();
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    assert_int_equal(pread(fd, text, (size_t)n, 0), n);
    close(fd);
    return text;
}

static size_t count(const char *text, const char *word)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, word)); p += strlen(word))
        n++;
    return n;
}

#define BUFFERED_LINES 3000 /* ~300 KiB: the 64 KiB buffer fills several times */

static void log_buffered_run(void)
{
    assert_int_equal(log_buffer_start(), 0);
    for (int i = 0; i < BUFFERED_LINES; i++)
        log_info("buffered_line", LOG_INT("i", i), LOG_STR("pad", "0123456789012345678901234567890123456789"));
    log_error("an_error", LOG_STR("why", "x"));
    log_buffer_stop();
    log_info("after_stop");
}

/* Buffered: every line reaches stderr whole, in order, by log_buffer_stop. */
static void test_log_buffered(void **state)
{
    (void)state;
    char *text = captured(log_buffered_run);
    assert_int_equal(count(text, "\"event\":\"buffered_line\""), BUFFERED_LINES);
    assert_int_equal(count(text, "\n"), BUFFERED_LINES + 2);
    const char *last = strstr(text, "\"i\":2999,");
    const char *err = strstr(text, "an_error");
    const char *after = strstr(text, "after_stop");
    assert_true(last && err && after && last < err && err < after);
    for (const char *line = text; *line; line = strchr(line, '\n') + 1)
        assert_true(line[0] == '{' && strchr(line, '\n')[-1] == '}'); /* never cut */
    free(text);
}

static void log_error_run(void)
{
    assert_int_equal(log_buffer_start(), 0);
    log_info("before_error");
    log_error("urgent");
    /* read while still buffered: an error (and what came before it) is out at once */
    off_t n = lseek(STDERR_FILENO, 0, SEEK_END);
    char buf[512] = {0};
    assert_true(n > 0 && n < (off_t)sizeof buf);
    assert_int_equal(pread(STDERR_FILENO, buf, (size_t)n, 0), n);
    assert_non_null(strstr(buf, "before_error"));
    assert_non_null(strstr(buf, "urgent"));
    log_buffer_stop();
}

static void test_log_error_not_delayed(void **state)
{
    (void)state;
    free(captured(log_error_run));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64url_rfc4648), cmocka_unit_test(test_b64url_strict),
        cmocka_unit_test(test_b64std),         cmocka_unit_test(test_jsonw),
        cmocka_unit_test(test_jsonw_errors),   cmocka_unit_test(test_buf_cap), cmocka_unit_test(test_buf_uncapped),
        cmocka_unit_test(test_arena),          cmocka_unit_test(test_secret),
        cmocka_unit_test(test_crc32),          cmocka_unit_test(test_aead),
        cmocka_unit_test(test_log_redaction),
        cmocka_unit_test(test_log_buffered),   cmocka_unit_test(test_log_error_not_delayed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
