/* format.h - how the audit log is shown and queried, shared by
 * GET /admin/realms/{r}/events and `keyhold audit list`. Thread safe. */
#ifndef KH_AUDIT_FORMAT_H
#define KH_AUDIT_FORMAT_H

#include <stdint.h>
#include "core/jsonw.h"
#include "store/store.h"

/* One event as a JSON object: every stored field, hashes in lowercase hex,
 * absent strings as null. */
void audit_entry_json(struct jsonw *w, const struct audit_entry *e);

/* A `since` argument: Unix seconds ("1700000000") or an RFC 3339 time
 * ("2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", fractions of a
 * second ignored). -1 if it is neither. */
int audit_since_parse(const char *s, int64_t *out);

/* A `type` argument into q: a type ending in '.' ("token.") matches every
 * type it starts; any other is matched exactly. */
void audit_type_filter(const char *type, struct audit_query *q);

#endif
