/* status.h - the one status type used across keyhold.
 *
 * 0 is the only success, so `rc = f(); if (rc) goto out;` fails closed when a
 * check is forgotten. Protocol outcomes (OAuth errors) are not statuses: they
 * are values of their own (see oauth/errors.h). */
#ifndef KH_CORE_STATUS_H
#define KH_CORE_STATUS_H

enum kh_status {
    KH_OK = 0,
    KH_ERR_NOMEM,      /* allocation failed */
    KH_ERR_INVALID,    /* malformed input: bad syntax, bad encoding */
    KH_ERR_TOOBIG,     /* a cap was reached (buffer, body, field) */
    KH_ERR_NOTFOUND,   /* a _find() missed */
    KH_ERR_CONFLICT,   /* unique constraint, lost race */
    KH_ERR_DENIED,     /* signature, secret or password did not verify */
    KH_ERR_STORE,      /* the store failed (I/O, busy, corrupt) */
    KH_ERR_CRYPTO,     /* the crypto library failed */
    KH_ERR_IO,         /* file or socket I/O failed */
    KH_ERR_INTERNAL,   /* a bug or an impossible state */
};

/* A short English name for logs and messages, never NULL. */
const char *kh_status_str(enum kh_status st);

#define KH_MUST_CHECK __attribute__((warn_unused_result))

#endif
