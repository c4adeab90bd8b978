/* pending.c - TEMPORARY: the ops of the PostgreSQL backend not written yet.
 * Each block is removed when its file (named in the block) is written. */
#include "store/postgres/pg_internal.h"

