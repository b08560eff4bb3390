/* stats.h - the statistics behind compare: mean, standard deviation, a
 * Student-t 95% confidence interval, and the significance rule.
 *
 * The t quantile is computed, not tabled: the CDF comes from the regularized
 * incomplete beta function (continued fraction) and is inverted by
 * bisection, accurate to ~1e-10 for any df > 0. */
#ifndef BSR_STATS_H
#define BSR_STATS_H

#include <stdbool.h>
#include <stddef.h>

struct stats {
    size_t n;
    double mean;
    double sd;     /* sample standard deviation (n - 1); NaN when n < 2 */
    double ci;     /* half-width of the two-sided 95% CI; NaN when n < 2 */
    double lo, hi; /* mean -/+ ci */
};

/* Describe n values (NaN values are not allowed: the caller filters them). */
void stats_describe(const double *v, size_t n, struct stats *out);

/* P(T <= t) for Student's t with df degrees of freedom. */
double stats_t_cdf(double t, double df);
/* The p-quantile of Student's t, 0 < p < 1 (NaN otherwise). */
double stats_t_quantile(double p, double df);
/* Regularized incomplete beta I_x(a, b). */
double stats_betai(double a, double b, double x);

enum significance { SIG_UNKNOWN = -1, SIG_NO = 0, SIG_YES = 1 };
/* The conservative rule: a difference is significant only when both groups
 * have a CI (n >= 2) and the two intervals do not overlap. */
enum significance stats_significant(const struct stats *a, const struct stats *b);

#endif
