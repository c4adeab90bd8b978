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

static bool same_pubkey(gnutls_pubkey_t a, gnutls_pubkey_t b)
{
    gnutls_datum_t da = {NULL, 0}, db = {NULL, 0};
    bool same = gnutls_pubkey_export2(a, GNUTLS_X509_FMT_DER, &da) >= 0 &&
                gnutls_pubkey_export2(b, GNUTLS_X509_FMT_DER, &db) >= 0 && da.size == db.size &&
                memcmp(da.data, db.data, da.size) == 0;
    gnutls_free(da.data);
    gnutls_free(db.data);
    return same;
}

/* True if the private key belongs to the first certificate. (Not through
 * gnutls_certificate_set_x509_key_mem2: GnuTLS 3.7.9 leaks when it meets a
 * certificate that is not valid base64.) */
static bool key_matches(struct tls_creds *c)
{
    gnutls_pubkey_t pub;
    if (gnutls_pubkey_init(&pub) < 0)
        return false;
    bool ok = gnutls_pubkey_import_privkey(pub, c->key, 0, 0) >= 0 &&
              same_pubkey(pub, c->chain[0].pubkey);
    gnutls_pubkey_deinit(pub);
    return ok;
}

static const char *creds_new(const char *cert_pem, const char *key_pem, struct tls_creds **out)
{
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
        return "the certificate file holds no valid PEM certificate, or more than 16";
    }
    if (gnutls_privkey_init(&c->key) < 0 ||
        gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
        creds_free(c);
        return "the key file holds no valid unencrypted PEM private key";
    }
    if (!key_matches(c)) {
        creds_free(c);
        return "the private key does not belong to the certificate";
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
