/* stats.c - mean, sd, Student-t intervals. */
#include "stats.h"

#include <math.h>

void stats_describe(const double *v, size_t n, struct stats *out)
{
    out->n = n;
    out->mean = out->sd = out->ci = out->lo = out->hi = NAN;
    if (n == 0)
        return;
    /* Two passes: the textbook formula loses digits on large, close values. */
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    out->mean = sum / (double)n;
    out->lo = out->hi = out->mean;
    if (n < 2)
        return;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - out->mean) * (v[i] - out->mean);
    out->sd = sqrt(ss / (double)(n - 1));
    out->ci = stats_t_quantile(0.975, (double)(n - 1)) * out->sd / sqrt((double)n);
    out->lo = out->mean - out->ci;
    out->hi = out->mean + out->ci;
}

/* One step of the modified Lentz method: fold coefficient aa into the
 * running c and d, and return the factor the result is multiplied by. */
static double lentz_step(double aa, double *c, double *d)
{
    const double tiny = 1e-300;
    *d = 1 + aa * *d;
    if (fabs(*d) < tiny)
        *d = tiny;
    *c = 1 + aa / *c;
    if (fabs(*c) < tiny)
        *c = tiny;
    *d = 1 / *d;
    return *d * *c;
}

/* Continued fraction for the incomplete beta (modified Lentz). Each
 * iteration takes the even and then the odd coefficient. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-15;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 500; m++) {
        int m2 = 2 * m;
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
        double del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= del;
        if (fabs(del - 1) < eps)
            break;
    }
    return h;
}

double stats_betai(double a, double b, double x)
{
    if (!(x >= 0 && x <= 1) || !(a > 0) || !(b > 0))
        return NAN;
    if (x == 0 || x == 1)
        return x;
    double bt = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
    if (x < (a + 1) / (a + b + 2))
        return bt * betacf(a, b, x) / a;
    return 1 - bt * betacf(b, a, 1 - x) / b;
}

double stats_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    double tail = 0.5 * stats_betai(df / 2, 0.5, df / (df + t * t));
    return t >= 0 ? 1 - tail : tail;
}

double stats_t_quantile(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0))
        return NAN;
    if (p == 0.5)
        return 0;
    if (p < 0.5)
        return -stats_t_quantile(1 - p, df);
    double lo = 0, hi = 1;
    while (stats_t_cdf(hi, df) < p && hi < 1e300)
        hi *= 2;
    for (int i = 0; i < 400 && hi - lo > 1e-12 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (stats_t_cdf(mid, df) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

enum significance stats_significant(const struct stats *a, const struct stats *b)
{
    if (a->n < 2 || b->n < 2 || isnan(a->ci) || isnan(b->ci))
        return SIG_UNKNOWN;
    return (a->hi < b->lo || b->hi < a->lo) ? SIG_YES : SIG_NO;
}
