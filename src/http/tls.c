/* tls.c - certificates handed to GnuTLS per handshake, replaceable at run time.
 *
 * libmicrohttpd has no call to change a running daemon's certificate, but it
 * lets GnuTLS ask us for one at each handshake (gnutls_certificate_retrieve_
 * function2). We answer the set loaded last; a reload builds a new set and
 * swaps one pointer under a mutex, so the listener and the connections open
 * on it are untouched. A set handed out may still be in use by a handshake
 * when it is replaced, and GnuTLS gives no notice when it is done with it:
 * replaced sets are kept (a few KiB each) until tls_stop. */
#include "http/tls.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TLS_MAX_CHAIN 16 /* certificates in the chain file */

struct tls_creds {
    gnutls_pcert_st chain[TLS_MAX_CHAIN];
    unsigned n_chain;
    gnutls_privkey_t key;
    struct tls_creds *older; /* replaced sets, freed at tls_stop */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct tls_creds *current; /* NULL: no TLS server in this process */

static void creds_free(struct tls_creds *c)
{
    for (unsigned i = 0; i < c->n_chain; i++)
        gnutls_pcert_deinit(&c->chain[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    free(c);
}

static gnutls_datum_t datum(const char *pem)
{
    return (gnutls_datum_t){.data = (unsigned char *)pem, .size = (unsigned)strlen(pem)};
}

/* GnuTLS's own check that the key belongs to the first certificate (and that
 * both parse), through a throwaway credentials object. */
static const char *check_pair(const char *cert_pem, const char *key_pem)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0)
        return "out of memory";
    gnutls_datum_t cert = datum(cert_pem), key = datum(key_pem);
    int rc = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
    gnutls_certificate_free_credentials(cred);
    if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH)
        return "the private key does not belong to the certificate";
    if (rc < 0)
        return "the certificate or the key is not valid PEM (a certificate chain and an "
               "unencrypted private key)";
    return NULL;
}

static const char *creds_new(const char *cert_pem, const char *key_pem, struct tls_creds **out)
{
    const char *why = check_pair(cert_pem, key_pem);
    if (why)
        return why;
    struct tls_creds *c = calloc(1, sizeof *c);
    if (!c)
        return "out of memory";
    gnutls_datum_t cert = datum(cert_pem), key = datum(key_pem);
    c->n_chain = TLS_MAX_CHAIN;
    if (gnutls_pcert_list_import_x509_raw(c->chain, &c->n_chain, &cert, GNUTLS_X509_FMT_PEM,
                                          GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED) < 0 ||
        c->n_chain == 0) {
        c->n_chain = 0;
        creds_free(c);
        return "the certificate file holds no certificate, more than 16, or one that is not valid";
    }
    if (gnutls_privkey_init(&c->key) < 0 ||
        gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
        creds_free(c);
        return "the private key is not valid PEM";
    }
    *out = c;
    return NULL;
}

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_dn, int n_req_ca_dn,
                    const gnutls_pk_algorithm_t *pk_algos, int n_pk_algos,
                    gnutls_pcert_st **chain, unsigned *n_chain, gnutls_privkey_t *key)
{
    (void)session;
    (void)req_ca_dn;
    (void)n_req_ca_dn;
    (void)pk_algos;
    (void)n_pk_algos;
    pthread_mutex_lock(&lock);
    struct tls_creds *c = current;
    pthread_mutex_unlock(&lock);
    if (!c)
        return -1; /* the handshake fails */
    *chain = c->chain;
    *n_chain = c->n_chain;
    *key = c->key;
    return 0;
}

void *tls_cert_callback(void)
{
    gnutls_certificate_retrieve_function2 *fn = retrieve;
    return (void *)fn;
}

enum kh_status tls_start(const char *cert_pem, const char *key_pem, const char **why)
{
    struct tls_creds *c;
    *why = creds_new(cert_pem, key_pem, &c);
    if (*why)
        return KH_ERR_INVALID;
    pthread_mutex_lock(&lock);
    bool taken = current != NULL;
    if (!taken)
        current = c;
    pthread_mutex_unlock(&lock);
    if (taken) {
        creds_free(c);
        *why = "another TLS server runs in this process";
        return KH_ERR_CONFLICT;
    }
    return KH_OK;
}

enum kh_status tls_reload(const char *cert_pem, const char *key_pem, const char **why)
{
    struct tls_creds *c;
    *why = creds_new(cert_pem, key_pem, &c);
    if (*why)
        return KH_ERR_INVALID;
    pthread_mutex_lock(&lock);
    c->older = current;
    current = c;
    pthread_mutex_unlock(&lock);
    return KH_OK;
}

void tls_stop(void)
{
    pthread_mutex_lock(&lock);
    struct tls_creds *c = current;
    current = NULL;
    pthread_mutex_unlock(&lock);
    while (c) {
        struct tls_creds *older = c->older;
        creds_free(c);
        c = older;
    }
}
