/* dist.c - drawing, mean and formatting of duration distributions. */
#include "dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Upper clamp for a drawn value: ~11.6 days, far beyond any run, and well
 * inside int64 so the conversion below is always defined. */
#define DIST_MAX_NS 1e15

int64_t dist_draw(const struct dist *d, struct rng *r)
{
    double v;

    switch (d->kind) {
    case DIST_CONST:
        v = d->a;
        break;
    case DIST_UNIFORM:
        v = d->a + rng_uniform(r) * (d->b - d->a);
        break;
    case DIST_EXP:
        /* log1p(-U) = ln(1 - U); 1 - U is in (0, 1], so it is finite. */
        v = -d->a * log1p(-rng_uniform(r));
        break;
    case DIST_LOGNORMAL:
        v = d->a * exp(d->b * rng_normal(r));
        break;
    default:
        v = 0.0;
        break;
    }
    /* Written so that NaN also ends up at 0. */
    if (!(v >= 0.0))
        v = 0.0;
    if (v > DIST_MAX_NS)
        v = DIST_MAX_NS;
    return (int64_t)llround(v);
}

double dist_mean(const struct dist *d)
{
    switch (d->kind) {
    case DIST_CONST:
        return d->a;
    case DIST_UNIFORM:
        return (d->a + d->b) / 2.0;
    case DIST_EXP:
        return d->a;
    case DIST_LOGNORMAL:
        return d->a * exp(d->b * d->b / 2.0);
    }
    return 0.0;
}

/* Print a double with the fewest significant digits that read back exactly. */
static void format_real(double v, char *buf, size_t len)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

/* A duration in the largest unit that holds it exactly, which is also the
 * shortest spelling: 1500000 -> "1500us", 120e9 -> "2m". */
static void format_duration(double ns, char *buf, size_t len)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"h", 3600LL * 1000000000LL},
        {"m", 60LL * 1000000000LL},
        {"s", 1000000000LL},
        {"ms", 1000000LL},
        {"us", 1000LL},
        {"ns", 1LL},
    };
    char num[32];

    /* Non-integral or huge values have no exact unit: plain ns. 0x1p62 keeps
     * the conversion to int64 well defined. */
    if (ns != floor(ns) || fabs(ns) >= 0x1p62) {
        format_real(ns, num, sizeof(num));
        snprintf(buf, len, "%sns", num);
        return;
    }
    int64_t v = (int64_t)ns;
    if (v == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (v % units[i].ns == 0) {
            snprintf(buf, len, "%lld%s", (long long)(v / units[i].ns), units[i].name);
            return;
        }
    }
}

void dist_format(const struct dist *d, char *buf, unsigned len)
{
    char a[40], b[40];

    if (buf == NULL || len == 0)
        return;
    format_duration(d->a, a, sizeof(a));
    switch (d->kind) {
    case DIST_CONST:
        snprintf(buf, len, "%s", a);
        break;
    case DIST_UNIFORM:
        format_duration(d->b, b, sizeof(b));
        snprintf(buf, len, "uniform(%s, %s)", a, b);
        break;
    case DIST_EXP:
        snprintf(buf, len, "exp(%s)", a);
        break;
    case DIST_LOGNORMAL:
        snprintf(buf, len, "lognormal(%s, %g)", a, d->b);
        break;
    default:
        snprintf(buf, len, "?");
        break;
    }
}
