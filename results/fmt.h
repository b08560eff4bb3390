/* fmt.h - numbers in human units for the terminal and the report.
 *
 * Three significant digits unless the value is an exact count, so tables
 * stay narrow: "2.43 s", "850 ms", "1.05k/s", "12.3 MiB", "4,157". */
#ifndef BSR_FMT_H
#define BSR_FMT_H

#include <stddef.h>

enum unit {
    UNIT_COUNT,   /* plain quantity: 4,157 or 123k */
    UNIT_SECONDS, /* value in s */
    UNIT_MS,      /* value in ms, printed as a duration */
    UNIT_RATE,    /* per second */
    UNIT_RATIO,   /* 1.38x */
    UNIT_PERCENT, /* value already in percent */
    UNIT_BYTES,
    UNIT_MBPS,   /* value in Mbit/s, printed in kbit/s, Mbit/s or Gbit/s */
    UNIT_NUMBER, /* a plain measure with three significant digits: 1.40 */
    UNIT_BOOL    /* 0 = no, anything else = yes */
};

#define FMT_LEN 48

/* v with sig significant digits, no exponent, trailing zeros kept (2.40). */
void fmt_sig(double v, int sig, char *buf, size_t len);
void fmt_value(enum unit u, double v, char *buf, size_t len);
/* Like fmt_value with an explicit sign ("+0.08 s", "-312"); a delta of a
 * UNIT_BOOL prints as a plain number. */
void fmt_delta(enum unit u, double d, char *buf, size_t len);
/* "mean ± ci unit" with both numbers in the mean's unit and the interval
 * rounded to the mean's decimals: "1.05 ± 0.04 s", "755 ± 153". A NaN ci
 * prints the mean alone. */
void fmt_pm(enum unit u, double mean, double ci, char *buf, size_t len);
/* Signed percent change ("+4.8%"), or "" when undefined (base 0, NaN). */
void fmt_pct_change(double pct, char *buf, size_t len);
/* The unit suffix used on axis labels: "s", "ms", "1/s", "%", ... */
const char *unit_suffix(enum unit u);

#endif
