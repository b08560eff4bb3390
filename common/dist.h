/* dist.h - duration distributions used by scenarios (boot delay, service
 * time): their one text syntax (parse and format), draws and means.
 *
 * All values are nanoseconds. Parameters:
 *   DIST_CONST      a = value
 *   DIST_UNIFORM    a = low, b = high
 *   DIST_EXP        a = mean
 *   DIST_LOGNORMAL  a = median, b = sigma (of the underlying normal)
 */
#ifndef BS_DIST_H
#define BS_DIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

enum dist_kind { DIST_CONST = 0, DIST_UNIFORM, DIST_EXP, DIST_LOGNORMAL, DIST_KEEP };
/* DIST_KEEP only marks "unchanged" in a capacity event; never drawn. */

struct dist {
    enum dist_kind kind;
    double a;
    double b;
};

/* Parse the scenario syntax: a bare duration ("10ms", a constant) or one of
 * const(VALUE), uniform(LOW, HIGH), exp(MEAN), lognormal(MEDIAN, SIGMA), the
 * durations as units.h reads them, sigma a plain number in [0, 10]. Returns
 * false with the reason in `why` (and *out untouched) otherwise. */
bool dist_parse(const char *text, struct dist *out, char *why, size_t whylen);

/* Format in the same syntax, the shortest that parses back to the same
 * distribution (parameters rounded to whole ns), e.g. "lognormal(3s, 0.5)";
 * a bare duration for DIST_CONST. Truncates to fit `len`. */
void dist_format(const struct dist *d, char *buf, size_t len);

/* Draw one value in ns, never negative. */
int64_t dist_draw(const struct dist *d, struct rng *r);

/* Mean of the distribution in ns (used for capacity estimates). */
double dist_mean(const struct dist *d);

#endif
