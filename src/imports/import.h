/* import.h - importing users into a realm from CSV or JSON (SPEC §5).
 *
 * An import is fed the input in chunks of any size (import_feed), then
 * finished (import_finish), so that a caller can stream a file or an HTTP
 * body. Each row upserts one user: by username (lowercased), else by email.
 * A row that fails validation (bad email, a field over 255 bytes or not
 * UTF-8, an unknown role, a username given twice in the file, ...) is counted
 * in `failed` with its row number and message; the other rows go on, unless
 * the import is atomic.
 *
 * Storage: rows are written IMPORT_BATCH at a time, all inside ONE store
 * transaction (store_batch_begin ... end) opened at the first write and
 * committed by import_finish: the import is all or nothing at the storage
 * level, and a failure of the input or the store (an unknown column,
 * malformed CSV, the store itself) writes nothing. With dry_run, or atomic
 * with a failed row, the transaction is rolled back at the end: a dry run has
 * checked every row against the store exactly as the import would, and
 * reports the same counts. The write transaction is held from the first
 * batch to import_finish (other writers of the store wait meanwhile).
 *
 * Memory: flat (one batch of rows, one row or JSON user of the reader, at
 * most IMPORT_MAX_ERRORS messages kept), however long the input.
 *
 * Threads: every call of one import on the same thread (the store keeps its
 * transaction per thread). Different imports on different threads are fine. */
#ifndef KH_IMPORTS_IMPORT_H
#define KH_IMPORTS_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/status.h"
#include "store/store.h"

#define IMPORT_BATCH 500          /* rows per store call */
#define IMPORT_MAX_ERRORS 1000    /* row errors kept; more are only counted */
#define IMPORT_PROGRESS_EVERY 10000

enum import_format { IMPORT_CSV, IMPORT_JSON };

struct import_result;

struct import_options {
    enum import_format format;
    bool dry_run;                 /* check everything, write nothing */
    bool atomic;                  /* one failed row: nothing written */
    /* Called every IMPORT_PROGRESS_EVERY rows read, if set. */
    void (*progress)(void *ctx, size_t rows);
    void *progress_ctx;
    /* If set, called once by import_finish with the import's record (errors
     * in row order), inside the import's transaction just before its commit,
     * or on its own after the rollback of a dry run or of an atomic import
     * with failed rows: so that a store write of the record commits together
     * with the users it counts. Not called when the import fails as a whole.
     * Non-KH_OK: nothing of the import is written, import_finish fails with
     * KH_ERR_STORE. */
    enum kh_status (*record)(void *ctx, const struct import_result *r);
    void *record_ctx;
};

struct import_error {
    size_t row;                   /* as in struct import_row */
    const char *field;            /* the field it is about ("email", ...), or NULL */
    const char *message;
};

/* The import record. Strings belong to the import (valid until import_free). */
struct import_result {
    char id[37];                  /* a UUID naming this import */
    size_t rows;                  /* rows read */
    size_t created;               /* with dry_run: would be created */
    size_t updated;
    size_t failed;
    struct import_error *errors;  /* the first IMPORT_MAX_ERRORS, in row order */
    size_t n_errors;
    bool dry_run;
    bool rolled_back;             /* atomic with failed rows: created and updated are 0 */
};

struct import;

/* A new import into realm_id (an existing realm). KH_ERR_NOMEM. */
enum kh_status import_new(struct store *s, int64_t realm_id, const struct import_options *o,
                          struct import **out) KH_MUST_CHECK;
/* The next n bytes of input. KH_OK to go on; otherwise the import has failed
 * (import_finish says why). */
enum kh_status import_feed(struct import *imp, const void *data, size_t n) KH_MUST_CHECK;
/* The end of the input: the last rows, then commit (or roll back, see above).
 * KH_OK: the import ran (rows may have failed) and *out is its record.
 * Otherwise nothing was written and *why (owned by the import) says why:
 * KH_ERR_INVALID for an input that cannot be read, KH_ERR_TOOBIG for one over
 * a cap, KH_ERR_STORE for the store. */
enum kh_status import_finish(struct import *imp, struct import_result *out,
                             const char **why) KH_MUST_CHECK;
/* Rolls back what an unfinished import wrote, frees everything. NULL is fine. */
void import_free(struct import *imp);

#endif
