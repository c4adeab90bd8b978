/* tls.h - the server's certificate and key, handed to GnuTLS at each handshake
 * and replaceable while the server runs (private to src/http). */
#ifndef KH_HTTP_TLS_H
#define KH_HTTP_TLS_H

#include "core/status.h"

/* TLS 1.2 and 1.3 only; AEAD ciphers (AES-GCM, ChaCha20-Poly1305); in TLS 1.2
 * ECDHE key exchange only (forward secrecy: no RSA key transport; no DHE,
 * whose parameters clients cannot check), in the server's order of preference. */
#define TLS_PRIORITIES                                                                   \
    "SECURE256:SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:" \
    "+AES-128-GCM:+CHACHA20-POLY1305:-SHA1:-RSA:-DHE-RSA:-DHE-DSS:%SERVER_PRECEDENCE"

/* For MHD_OPTION_HTTPS_CERT_CALLBACK: a gnutls_certificate_retrieve_function2
 * that answers the credentials loaded last. */
void *tls_cert_callback(void);

/* GnuTLS's callback carries no context of ours, so there is one set of
 * credentials per process: tls_start refuses a second TLS server (KH_ERR_CONFLICT)
 * until tls_stop. Each returns *why, a sentence, on failure. */
enum kh_status tls_start(const char *cert_pem, const char *key_pem, const char **why) KH_MUST_CHECK;
/* Replaces the credentials for later handshakes; on failure the ones in use
 * stay. Thread-safe against handshakes running on the I/O threads. */
enum kh_status tls_reload(const char *cert_pem, const char *key_pem, const char **why) KH_MUST_CHECK;
/* Frees every set loaded since tls_start: after the daemon stopped. */
void tls_stop(void);

#endif
