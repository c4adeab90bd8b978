/* migration.h - numbered SQL migrations, embedded at build time.
 *
 * tools/embed_sql.sh turns src/store/<backend>/migrations/NNNN_name.sql into
 * an array of these, in version order. A backend applies every migration
 * whose version is above the one in its schema_version table, each in its own
 * transaction together with the version bump. */
#ifndef KH_STORE_MIGRATION_H
#define KH_STORE_MIGRATION_H

#include <stddef.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration sqlite_migrations[];
extern const size_t sqlite_n_migrations;
extern const struct migration postgres_migrations[];
extern const size_t postgres_n_migrations;

#endif
