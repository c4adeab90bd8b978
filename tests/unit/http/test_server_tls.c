/* test_server_tls.c - the server with a PEM certificate and key (GnuTLS inside
 * libmicrohttpd), spoken to with an OpenSSL client: a keep-alive exchange over
 * TLS, and plain HTTP refused on the TLS port. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include "http/http.h"
#include "httpc.h"

static enum http_result h_hello(struct request *req, struct response *res)
{
    (void)req;
    if (buf_addstr(&res->body, "hello tls") != KH_OK)
        res->status = 500;
    return HTTP_DONE;
}

static const struct route ROUTES[] = {{"GET", "/hello", h_hello, 0, NULL}};

static char *bio_string(BIO *b)
{
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = malloc((size_t)n + 1);
    memcpy(s, p, (size_t)n);
    s[n] = '\0';
    return s;
}

/* A self-signed P-256 certificate for "localhost", as PEM strings. */
static void make_cert(char **cert_pem, char **key_pem)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    X509_set_pubkey(x, key);
    assert_true(X509_sign(x, key, EVP_sha256()) > 0);
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_X509(cb, x), 1);
    assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1);
    *cert_pem = bio_string(cb);
    *key_pem = bio_string(kb);
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(key);
}

static int tls_read_response(SSL *ssl, char *out, size_t cap)
{
    size_t len = 0;
    for (;;) {
        int r = SSL_read(ssl, out + len, (int)(cap - 1 - len));
        if (r <= 0)
            return -1;
        len += (size_t)r;
        out[len] = '\0';
        char *end = strstr(out, "\r\n\r\n");
        if (end && strstr(out, "hello tls"))
            return 0;
    }
}

static void test_tls_exchange(void **state)
{
    (void)state;
    char *cert, *key;
    make_cert(&cert, &key);
    struct http_config cfg = {
        .listen_host = "127.0.0.1",
        .io_threads = 1,
        .slow_threads = 1,
        .routes = ROUTES,
        .n_routes = 1,
        .tls_cert_pem = cert,
        .tls_key_pem = key,
    };
    struct http_server *srv;
    assert_int_equal(http_server_start(&cfg, &srv), KH_OK);
    uint16_t port = http_server_port(srv);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL); /* self-signed: identity is not the point */
    struct httpc c;
    assert_int_equal(httpc_connect(&c, port), 0);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, c.fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    assert_int_equal(SSL_connect(ssl), 1);
    char buf[4096];
    for (int i = 0; i < 2; i++) { /* keep-alive over TLS */
        const char *req = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
        assert_int_equal(SSL_write(ssl, req, (int)strlen(req)), (int)strlen(req));
        assert_int_equal(tls_read_response(ssl, buf, sizeof buf), 0);
        assert_memory_equal(buf, "HTTP/1.1 200 ", 13);
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    httpc_close(&c);
    SSL_CTX_free(ctx);

    /* Plain HTTP on the TLS port gets no HTTP answer. */
    assert_int_equal(httpc_connect(&c, port), 0);
    assert_int_equal(httpc_sends(&c, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"), 0);
    struct httpc_resp r;
    assert_int_not_equal(httpc_read(&c, &r, false), 0);
    httpc_close(&c);

    http_server_stop(srv);
    free(cert);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_exchange),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
