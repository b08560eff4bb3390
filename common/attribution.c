/* attribution.c - the emulator's share of measured times (see attribution.h). */
#include "attribution.h"

#include <math.h>
#include <stdlib.h>

int64_t attr_delay(int64_t span_ns, int64_t stall_ns, int64_t cpu_ns)
{
    if (span_ns <= 0)
        return 0;
    int64_t d = (stall_ns > 0 ? stall_ns : 0) + (cpu_ns > 0 ? cpu_ns : 0);
    return d < span_ns ? d : span_ns;
}

/* The stall clock at time x, interpolated. */
static double stall_at(const int64_t *t, const int64_t *stall, size_t n, int64_t x)
{
    if (n == 0)
        return 0;
    if (x <= t[0])
        return (double)stall[0];
    if (x >= t[n - 1])
        return (double)stall[n - 1];
    size_t lo = 0, hi = n - 1; /* t[lo] <= x < t[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    double f = t[hi] > t[lo] ? (double)(x - t[lo]) / (double)(t[hi] - t[lo]) : 1.0;
    return (double)stall[lo] + f * (double)(stall[hi] - stall[lo]);
}

int64_t attr_stall_between(const int64_t *t, const int64_t *stall, size_t n, int64_t a, int64_t b)
{
    if (b <= a)
        return 0;
    double d = stall_at(t, stall, n, b) - stall_at(t, stall, n, a);
    return d > 0 ? (int64_t)(d + 0.5) : 0;
}

struct pair {
    int64_t t, emu;
};

static int pair_cmp(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    return a->t < b->t ? -1 : a->t > b->t;
}

double attr_percentile_share(const int64_t *t_online, const int64_t *emu, size_t n, double p,
                             double band)
{
    struct pair *v = malloc(sizeof *v * (n ? n : 1));
    if (!v)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (t_online[i] >= 0)
            v[m++] = (struct pair){t_online[i], emu[i]};
    double share = -1;
    /* The percentile counts all peers, as t50/t95/t99 do: tP is the time at
     * which P of the peers were online, so it exists only if that many were. */
    size_t at = (size_t)ceil(p * (double)n); /* the peer that makes P */
    if (at == 0)
        at = 1;
    if (at <= m) {
        qsort(v, m, sizeof *v, pair_cmp);
        size_t from = (size_t)((p - band) * (double)n);
        if (from >= at)
            from = at - 1;
        double e = 0, t = 0;
        for (size_t i = from; i < at; i++) {
            e += (double)(v[i].emu > 0 ? v[i].emu : 0);
            t += (double)v[i].t;
        }
        share = t > 0 ? e / t : 0;
        if (share > 1)
            share = 1;
    }
    free(v);
    return share;
}

enum attr_verdict attr_judge(double share, double max_share)
{
    if (share < 0)
        return ATTR_UNKNOWN;
    return share > max_share ? ATTR_EMULATOR_BOUND : ATTR_FAITHFUL;
}

const char *attr_verdict_name(enum attr_verdict v)
{
    switch (v) {
    case ATTR_FAITHFUL:
        return "faithful";
    case ATTR_EMULATOR_BOUND:
        return "emulator-bound";
    default:
        return "unknown";
    }
}
