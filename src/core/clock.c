#include "core/clock.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

int64_t clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* n decimal digits at *p into *out, advancing *p; false if not all digits. */
static bool digits(const char **p, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c && !(c == 'T' && **p == 't'))
        return false;
    ++*p;
    return true;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(int64_t y, int64_t m, int64_t d)
{
    static const int DAYS[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= DAYS[m - 1] + (m == 2 && is_leap(y));
}

/* Unix seconds: 1 to 18 digits. */
static enum kh_status parse_unix(const char *s, int64_t *out)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    int64_t v;
    if (n == 0 || n > 18 || s[n] || !digits(&s, n, &v))
        return KH_ERR_INVALID;
    *out = v;
    return KH_OK;
}

/* "Z", "z" or "+hh:mm" / "-hh:mm" into seconds east of UTC. */
static bool parse_offset(const char **p, int64_t *east)
{
    if (**p == 'Z' || **p == 'z') {
        ++*p;
        *east = 0;
        return true;
    }
    char sign = **p;
    int64_t hh, mm;
    if (sign != '+' && sign != '-')
        return false;
    ++*p;
    if (!digits(p, 2, &hh) || !expect(p, ':') || !digits(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *east = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return true;
}

enum kh_status clock_parse_time(const char *s, int64_t *out)
{
    const char *p = s;
    int64_t y, mo, d, h, mi, sec, east;
    if (!digits(&p, 4, &y) || !expect(&p, '-') || !digits(&p, 2, &mo) || !expect(&p, '-') ||
        !digits(&p, 2, &d) || !expect(&p, 'T') || !digits(&p, 2, &h) || !expect(&p, ':') ||
        !digits(&p, 2, &mi) || !expect(&p, ':') || !digits(&p, 2, &sec))
        return parse_unix(s, out); /* not RFC 3339: digits only, or nothing */
    if (!valid_date(y, mo, d) || h > 23 || mi > 59 || sec > 60)
        return KH_ERR_INVALID;
    if (*p == '.') { /* fractional seconds: at least one digit, dropped */
        p++;
        if (*p < '0' || *p > '9')
            return KH_ERR_INVALID;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!parse_offset(&p, &east) || *p)
        return KH_ERR_INVALID;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - east;
    return KH_OK;
}
