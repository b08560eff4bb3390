/* retry.c - client retry policies: attempt bound, backoff and jitter. */
#include "retry.h"

#include <stddef.h>

void retry_reset(struct retry_state *s)
{
    s->failures = 0;
    s->prev_delay_ns = 0;
}

static int64_t sat_mul(int64_t x, int64_t k)
{
    return x > INT64_MAX / k ? INT64_MAX : x * k;
}

/* lo + U * (hi - lo), kept inside [lo, hi] despite double rounding; lo >= 0. */
static int64_t draw_between(struct rng *r, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    int64_t span = hi - lo;
    int64_t off = (int64_t)(rng_uniform(r) * (double)span);
    if (off > span)
        off = span;
    return lo + off;
}

/* base * 2^(failures - 1), saturating, and not beyond cap. */
static int64_t exp_backoff(int64_t base, int64_t cap, uint32_t failures)
{
    int64_t t = base;

    /* Stops once t reaches cap (at most ~63 doublings), so a huge failure
     * count costs nothing and never overflows. */
    for (uint32_t n = 1; n < failures && t > 0 && t < cap; n++)
        t = sat_mul(t, 2);
    return t < cap ? t : cap;
}

static int64_t exp_delay(const struct retry_policy *p, const struct retry_state *s, struct rng *r,
                         int64_t base, int64_t cap)
{
    int64_t t = exp_backoff(base, cap, s->failures);
    int64_t prev, d;

    switch (p->jitter) {
    case JITTER_FULL:
        return draw_between(r, 0, t);
    case JITTER_EQUAL:
        return draw_between(r, t / 2, t);
    case JITTER_DECORRELATED:
        prev = s->prev_delay_ns > 0 ? s->prev_delay_ns : base;
        d = draw_between(r, base, sat_mul(prev, 3));
        return d < cap ? d : cap;
    case JITTER_NONE:
    default:
        return t;
    }
}

bool retry_next(const struct retry_policy *p, struct retry_state *s, struct rng *r,
                int64_t *delay_ns)
{
    if (s->failures < UINT32_MAX)
        s->failures++;
    /* The first try plus the retries make max_attempts in all. */
    if (p->max_attempts != 0 && s->failures >= p->max_attempts) {
        *delay_ns = 0;
        return false;
    }

    int64_t base = p->base_ns > 0 ? p->base_ns : 0;
    /* A cap of 0 (unset) means no cap rather than "always 0". */
    int64_t cap = p->cap_ns > 0 ? p->cap_ns : INT64_MAX;
    int64_t d;

    switch (p->kind) {
    case RETRY_FIXED:
        d = base;
        break;
    case RETRY_EXPONENTIAL:
        d = exp_delay(p, s, r, base, cap);
        break;
    case RETRY_NONE:
    default:
        d = 0;
        break;
    }
    s->prev_delay_ns = d;
    *delay_ns = d;
    return true;
}

const char *retry_kind_name(enum retry_kind k)
{
    switch (k) {
    case RETRY_NONE:
        return "none";
    case RETRY_FIXED:
        return "fixed";
    case RETRY_EXPONENTIAL:
        return "exponential";
    }
    return "?";
}

const char *retry_jitter_name(enum retry_jitter j)
{
    switch (j) {
    case JITTER_NONE:
        return "none";
    case JITTER_FULL:
        return "full";
    case JITTER_EQUAL:
        return "equal";
    case JITTER_DECORRELATED:
        return "decorrelated";
    }
    return "?";
}
