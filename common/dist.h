/* dist.h - duration distributions used by scenarios (boot delay, service time).
 *
 * All values are nanoseconds. Parameters:
 *   DIST_CONST      a = value
 *   DIST_UNIFORM    a = low, b = high
 *   DIST_EXP        a = mean
 *   DIST_LOGNORMAL  a = median, b = sigma (of the underlying normal)
 */
#ifndef BS_DIST_H
#define BS_DIST_H

#include <stdint.h>

#include "rng.h"

enum dist_kind { DIST_CONST = 0, DIST_UNIFORM, DIST_EXP, DIST_LOGNORMAL, DIST_KEEP };
/* DIST_KEEP only marks "unchanged" in a capacity event; never drawn. */

struct dist {
    enum dist_kind kind;
    double a;
    double b;
};

/* Draw one value in ns, never negative. */
int64_t dist_draw(const struct dist *d, struct rng *r);
/* Mean of the distribution in ns (used for capacity estimates). */
double dist_mean(const struct dist *d);
/* Format like the scenario syntax, e.g. "lognormal(3s, 0.5)". */
void dist_format(const struct dist *d, char *buf, unsigned len);

#endif
