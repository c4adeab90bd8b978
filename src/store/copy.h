/* copy.h - moving a SQLite database's rows into an empty PostgreSQL one
 * (`keyhold migrate`). */
#ifndef KH_STORE_COPY_H
#define KH_STORE_COPY_H

#include <stddef.h>
#include <stdint.h>
#include "core/status.h"

/* Rows copied per table, in the order copied. */
struct copy_count {
    const char *table;
    int64_t rows;
};

#define COPY_TABLES 17

/* Brings both databases to the newest schema (their migrations), then copies
 * every row of every table from the SQLite file `from` (a snapshot of it: one
 * read transaction) into the PostgreSQL database `to` in ONE transaction,
 * sets its id sequences past the copied ids and checks each table's row
 * count. `to` must hold no realm yet: KH_ERR_CONFLICT, nothing written.
 * Any failure rolls everything back (logged). counts gets COPY_TABLES rows. */
enum kh_status store_copy_to_postgres(const char *from, const char *to,
                                      struct copy_count counts[COPY_TABLES]) KH_MUST_CHECK;

#endif
