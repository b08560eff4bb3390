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

/* ---- layered options ---- */

void retry_guard_init(const struct retry_policy *p, struct retry_guard *g)
{
    g->tokens = (float)p->budget_tokens;
    g->req[0] = g->req[1] = g->acc[0] = g->acc[1] = 0;
    g->half_start_ns = 0;
}

/* Advance the two half windows to now. */
static void guard_rotate(const struct retry_policy *p, struct retry_guard *g, int64_t now)
{
    int64_t half = p->throttle_window_ns / 2 > 0 ? p->throttle_window_ns / 2 : 1;
    if (now - g->half_start_ns < half)
        return;
    if (now - g->half_start_ns >= 2 * half) { /* a whole window passed: forget all */
        g->req[1] = g->acc[1] = 0;
    } else {
        g->req[1] = g->req[0];
        g->acc[1] = g->acc[0];
    }
    g->req[0] = g->acc[0] = 0;
    g->half_start_ns = now - (now - g->half_start_ns) % half;
}

static void bump(uint16_t *v)
{
    if (*v < UINT16_MAX)
        (*v)++;
}

double retry_guard_drop_p(const struct retry_policy *p, const struct retry_guard *g, int64_t now_ns)
{
    if (p->throttle_k <= 0)
        return 0;
    struct retry_guard t = *g;
    guard_rotate(p, &t, now_ns);
    double req = (double)t.req[0] + t.req[1], acc = (double)t.acc[0] + t.acc[1];
    double drop = (req - p->throttle_k * acc) / (req + 1);
    return drop > 0 ? drop : 0;
}

bool retry_guard_admit(const struct retry_policy *p, struct retry_guard *g, struct rng *r,
                       int64_t now_ns)
{
    if (p->throttle_k <= 0)
        return true;
    double drop = retry_guard_drop_p(p, g, now_ns);
    guard_rotate(p, g, now_ns);
    bump(&g->req[0]); /* locally dropped requests count too, as in the SRE book */
    return drop <= 0 || rng_uniform(r) >= drop;
}

void retry_guard_accepted(const struct retry_policy *p, struct retry_guard *g, int64_t now_ns)
{
    if (p->throttle_k <= 0)
        return;
    guard_rotate(p, g, now_ns);
    bump(&g->acc[0]);
}

void retry_guard_success(const struct retry_policy *p, struct retry_guard *g)
{
    if (p->budget_tokens <= 0)
        return;
    g->tokens += (float)p->budget_ratio;
    if (g->tokens > (float)p->budget_tokens)
        g->tokens = (float)p->budget_tokens;
}

bool retry_after_failure(const struct retry_policy *p, struct retry_state *s, struct retry_guard *g,
                         struct rng *r, int64_t retry_after_ns, int64_t *delay_ns, unsigned *why)
{
    *why = SLOW_NONE;
    if (!retry_next(p, s, r, delay_ns))
        return false;
    if (p->budget_tokens > 0) {
        g->tokens -= 1;
        if (g->tokens < 0)
            g->tokens = 0;
        /* Below half the bucket the client still tries, at the slowest pace
         * its policy knows, rather than giving up: a device must come back
         * online eventually. */
        if (g->tokens <= (float)(p->budget_tokens / 2)) {
            int64_t slow = p->cap_ns > 0 ? p->cap_ns : p->base_ns;
            if (slow > *delay_ns) {
                *delay_ns = slow;
                *why |= SLOW_BUDGET;
            }
        }
    }
    retry_after_ns = retry_cap_hint(p, retry_after_ns);
    if (p->obey_retry_after && retry_after_ns > *delay_ns) {
        *delay_ns = retry_after_ns;
        *why |= SLOW_RETRY_AFTER;
    }
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
