#include "core/status.h"

const char *kh_status_str(enum kh_status st)
{
    switch (st) {
    case KH_OK: return "ok";
    case KH_ERR_NOMEM: return "out of memory";
    case KH_ERR_INVALID: return "malformed input";
    case KH_ERR_TOOBIG: return "too large";
    case KH_ERR_NOTFOUND: return "not found";
    case KH_ERR_CONFLICT: return "already exists or conflicting change";
    case KH_ERR_DENIED: return "verification failed";
    case KH_ERR_STORE: return "store failure";
    case KH_ERR_CRYPTO: return "crypto failure";
    case KH_ERR_IO: return "I/O failure";
    case KH_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
