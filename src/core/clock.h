/* clock.h - wall clock seconds (tokens, expiry) and a monotonic clock (durations). */
#ifndef KH_CORE_CLOCK_H
#define KH_CORE_CLOCK_H

#include <stdint.h>

int64_t clock_now(void);     /* seconds since the Unix epoch */
int64_t clock_mono_us(void); /* monotonic microseconds, for durations only */

#endif
