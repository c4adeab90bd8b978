/* audit.c - the audit log (see audit.h).
 *
 * First step: events are written as JSON lines on stderr only; the stored
 * hash chain and its writer thread come next. */
#include <stdlib.h>
#include "audit/audit.h"
#include "core/log.h"

struct audit {
    struct store *store;
};

enum kh_status audit_open(struct store *s, struct audit **out)
{
    struct audit *au = calloc(1, sizeof *au);
    if (!au)
        return KH_ERR_NOMEM;
    au->store = s;
    *out = au;
    return KH_OK;
}

void audit_close(struct audit *au)
{
    free(au);
}

void audit_record(struct audit *au, const struct audit_event *ev)
{
    (void)au;
    log_info("audit", LOG_STR("realm", ev->realm), LOG_STR("type", ev->type),
             LOG_STR("actor", ev->actor), LOG_STR("target", ev->target),
             LOG_STR("client_id", ev->client_id), LOG_STR("ip", ev->ip),
             LOG_STR("outcome", ev->outcome), LOG_STR("detail", ev->detail));
}

enum kh_status audit_flush(struct audit *au)
{
    (void)au;
    return KH_OK;
}
