/* units.h - durations, byte sizes and plain decimal numbers as text, shared
 * by the distributions (dist.c) and the scenario loader, so that "250ms" means
 * the same everywhere and dist.c need not depend on the loader.
 *
 * The parsers return false and put the reason in `why` on bad input. */
#ifndef BS_UNITS_H
#define BS_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "250ms", "1.5s", "2m": ns, h, m, s, ms, us (or µs), ns; >= 0, exact to
 * the nanosecond, at most INT64_MAX ns. */
bool units_parse_duration(const char *text, int64_t *ns, char *why, size_t wl);

/* In the largest unit that holds it exactly: 1500000 -> "1500us", 0 -> "0s". */
void units_format_duration(int64_t ns, char *buf, size_t len);

/* "256KiB", "1.5MiB", "64MB", "1024": bytes. Binary units KiB, MiB, GiB
 * (powers of 1024), decimal units kB, MB, GB (powers of 1000), B or none for
 * plain bytes; a space before the unit is allowed. >= 0, exact to the byte,
 * at most UINT64_MAX. */
bool units_parse_bytes(const char *text, uint64_t *bytes, char *why, size_t wl);

/* In the largest unit that holds it exactly, binary units first:
 * 262144 -> "256KiB", 1500000 -> "1500kB", 1001 -> "1001B", 0 -> "0B". */
void units_format_bytes(uint64_t bytes, char *buf, size_t len);

/* A double holding ns (a distribution parameter) as int64 ns for printing:
 * rounded, negative and NaN to 0, clamped at INT64_MAX. */
int64_t units_ns_of_double(double v);

/* Strict decimal of exactly `len` bytes: [+-]digits[.digits][e[+-]digits],
 * finite; no inf, nan or hex. */
bool units_parse_number(const char *text, size_t len, double *out);

/* The fewest %.*g digits (1 to 17) that read back as the same double. */
int units_shortest_precision(double v);

#endif
