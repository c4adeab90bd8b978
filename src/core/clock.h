/* clock.h - wall clock seconds (tokens, expiry) and a monotonic clock (durations). */
#ifndef KH_CORE_CLOCK_H
#define KH_CORE_CLOCK_H

#include <stdint.h>
#include "core/status.h"

int64_t clock_now(void);     /* seconds since the Unix epoch */
int64_t clock_mono_us(void); /* monotonic microseconds, for durations only */

/* A point in time as Unix seconds (decimal digits) or RFC 3339
 * ("2027-01-31T12:00:00Z", fractional seconds dropped, "Z" or an offset
 * "+02:00"). KH_ERR_INVALID for anything else; *out written on success. */
enum kh_status clock_parse_time(const char *s, int64_t *out) KH_MUST_CHECK;

#endif
