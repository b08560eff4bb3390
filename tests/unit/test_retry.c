/* test_retry.c - retry policies: attempt bound, backoff sequence and jitter,
 * and the layered options (budget, retry-after floor, adaptive throttling). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "common/retry.h"
#include "common/rng.h"

#define MS 1000000LL
#define SEC 1000000000LL
#define SEED 0xbadc0ffeeULL

static struct retry_policy policy(enum retry_kind k, enum retry_jitter j, int64_t base, int64_t cap,
                                  uint32_t max_attempts)
{
    return (struct retry_policy){k, j, base, cap, max_attempts};
}

/* Delay for the next failure; the policy must allow it. */
static int64_t next_delay(const struct retry_policy *p, struct retry_state *s, struct rng *r)
{
    int64_t d = -1;

    assert_true(retry_next(p, s, r, &d));
    return d;
}

static void test_none_policy_retries_at_once(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_NONE, JITTER_NONE, 100 * MS, 5 * SEC, 0);
    struct retry_state s;
    struct rng r;

    rng_seed(&r, SEED, 1, RNG_STREAM_NODE);
    retry_reset(&s);
    for (int i = 0; i < 50; i++)
        assert_int_equal(next_delay(&p, &s, &r), 0);
}

static void test_fixed_policy_waits_base(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_FIXED, JITTER_NONE, 250 * MS, 5 * SEC, 0);
    struct retry_state s;
    struct rng r;

    rng_seed(&r, SEED, 1, RNG_STREAM_NODE);
    retry_reset(&s);
    for (int i = 0; i < 50; i++)
        assert_int_equal(next_delay(&p, &s, &r), 250 * MS);
}

static void test_exponential_doubles_up_to_cap(void **state)
{
    (void)state;
    static const int64_t want[] = {100 * MS,  200 * MS,  400 * MS,  800 * MS,
                                   1600 * MS, 3200 * MS, 5000 * MS, 5000 * MS};
    struct retry_policy p = policy(RETRY_EXPONENTIAL, JITTER_NONE, 100 * MS, 5 * SEC, 0);
    struct retry_state s;
    struct rng r;

    rng_seed(&r, SEED, 1, RNG_STREAM_NODE);
    retry_reset(&s);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(next_delay(&p, &s, &r), want[i]);
    assert_int_equal(s.failures, 8);
}

static void test_exponential_no_overflow_after_many_failures(void **state)
{
    (void)state;
    struct retry_policy capped = policy(RETRY_EXPONENTIAL, JITTER_NONE, 1 * SEC, 3600 * SEC, 0);
    struct retry_policy huge = policy(RETRY_EXPONENTIAL, JITTER_NONE, 1 * SEC, INT64_MAX, 0);
    struct retry_state s1, s2;
    struct rng r;
    int64_t prev = 0;

    rng_seed(&r, SEED, 1, RNG_STREAM_NODE);
    retry_reset(&s1);
    retry_reset(&s2);
    for (int i = 0; i < 100; i++) {
        int64_t d1 = next_delay(&capped, &s1, &r);
        int64_t d2 = next_delay(&huge, &s2, &r);
        assert_true(d1 > 0 && d1 <= 3600 * SEC);
        /* Saturates instead of wrapping negative. */
        assert_true(d2 >= prev);
        prev = d2;
    }
    assert_int_equal(next_delay(&capped, &s1, &r), 3600 * SEC);
    assert_int_equal(prev, INT64_MAX);
}

/* Draws at a fixed failure count n (state set to n - 1 failures each time). */
static void jitter_stats(enum retry_jitter j, uint32_t n, int64_t base, int64_t cap, int64_t lo,
                         int64_t hi, double *mean)
{
    enum { TRIALS = 20000 };
    struct retry_policy p = policy(RETRY_EXPONENTIAL, j, base, cap, 0);
    struct rng r;
    double sum = 0.0;

    rng_seed(&r, SEED, 2, RNG_STREAM_NODE);
    for (int i = 0; i < TRIALS; i++) {
        struct retry_state s = {n - 1, 0};
        int64_t d = next_delay(&p, &s, &r);
        assert_true(d >= lo && d <= hi);
        sum += (double)d;
    }
    *mean = sum / TRIALS;
}

static void test_full_jitter_within_zero_to_t_mean_half(void **state)
{
    (void)state;
    const int64_t t = 800 * MS; /* 100ms * 2^3 at the 4th failure */
    double mean;

    jitter_stats(JITTER_FULL, 4, 100 * MS, 10 * SEC, 0, t, &mean);
    assert_true(fabs(mean / (t / 2.0) - 1.0) < 0.03);
}

static void test_equal_jitter_within_half_t_to_t_mean_three_quarters(void **state)
{
    (void)state;
    const int64_t t = 800 * MS;
    double mean;

    jitter_stats(JITTER_EQUAL, 4, 100 * MS, 10 * SEC, t / 2, t, &mean);
    assert_true(fabs(mean / (0.75 * t) - 1.0) < 0.02);
}

static void test_jitter_uses_capped_t(void **state)
{
    (void)state;
    /* 2^9 * 100ms is way past the cap: draws stay below the cap. */
    double mean;

    jitter_stats(JITTER_FULL, 10, 100 * MS, 1 * SEC, 0, 1 * SEC, &mean);
    assert_true(fabs(mean / (0.5 * SEC) - 1.0) < 0.03);
}

static void test_decorrelated_within_base_cap_and_three_times_prev(void **state)
{
    (void)state;
    const int64_t base = 100 * MS, cap = 10 * SEC;
    struct retry_policy p = policy(RETRY_EXPONENTIAL, JITTER_DECORRELATED, base, cap, 0);
    struct retry_state s;
    struct rng r;
    int64_t prev = base;
    int above_base = 0, at_cap = 0;

    rng_seed(&r, SEED, 3, RNG_STREAM_NODE);
    retry_reset(&s);
    for (int i = 0; i < 1000; i++) {
        int64_t d = next_delay(&p, &s, &r);
        assert_true(d >= base && d <= cap);
        assert_true(d <= 3 * prev);
        assert_int_equal(s.prev_delay_ns, d);
        above_base += d > base;
        at_cap += d == cap;
        prev = d;
    }
    /* It does wander: mostly above base, and it reaches the cap at times. */
    assert_true(above_base > 900);
    assert_true(at_cap > 0);
}

static void test_max_attempts_three_allows_two_retries(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_FIXED, JITTER_NONE, 10 * MS, SEC, 3);
    struct retry_state s;
    struct rng r;
    int64_t d;

    rng_seed(&r, SEED, 4, RNG_STREAM_NODE);
    retry_reset(&s);
    assert_true(retry_next(&p, &s, &r, &d));  /* first try failed: retry 1 */
    assert_true(retry_next(&p, &s, &r, &d));  /* retry 1 failed: retry 2 */
    assert_false(retry_next(&p, &s, &r, &d)); /* third attempt failed: give up */
    assert_false(retry_next(&p, &s, &r, &d));
}

static void test_max_attempts_one_allows_no_retry(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_FIXED, JITTER_NONE, 10 * MS, SEC, 1);
    struct retry_state s;
    struct rng r;
    int64_t d;

    rng_seed(&r, SEED, 4, RNG_STREAM_NODE);
    retry_reset(&s);
    assert_false(retry_next(&p, &s, &r, &d));
}

static void test_max_attempts_zero_is_unbounded(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_EXPONENTIAL, JITTER_FULL, 10 * MS, SEC, 0);
    struct retry_state s;
    struct rng r;
    int64_t d;

    rng_seed(&r, SEED, 5, RNG_STREAM_NODE);
    retry_reset(&s);
    for (int i = 0; i < 1000; i++)
        assert_true(retry_next(&p, &s, &r, &d));
    assert_int_equal(s.failures, 1000);
}

static void test_same_seed_gives_same_delays(void **state)
{
    (void)state;
    static const enum retry_jitter js[] = {JITTER_FULL, JITTER_EQUAL, JITTER_DECORRELATED};

    for (size_t k = 0; k < sizeof(js) / sizeof(js[0]); k++) {
        struct retry_policy p = policy(RETRY_EXPONENTIAL, js[k], 50 * MS, 3600 * SEC, 0);
        struct retry_state sa, sb, sc;
        struct rng ra, rb, rc;
        int differ = 0;

        rng_seed(&ra, SEED, 6, RNG_STREAM_NODE);
        rng_seed(&rb, SEED, 6, RNG_STREAM_NODE);
        rng_seed(&rc, SEED + 1, 6, RNG_STREAM_NODE);
        retry_reset(&sa);
        retry_reset(&sb);
        retry_reset(&sc);
        for (int i = 0; i < 40; i++) {
            int64_t a = next_delay(&p, &sa, &ra);
            assert_int_equal(a, next_delay(&p, &sb, &rb));
            differ += a != next_delay(&p, &sc, &rc);
        }
        /* Sanity: the delays really depend on the rng. */
        assert_true(differ > 30);
    }
}

static void test_reset_restarts_sequence(void **state)
{
    (void)state;
    struct retry_policy p = policy(RETRY_EXPONENTIAL, JITTER_NONE, 100 * MS, 5 * SEC, 4);
    struct retry_state s;
    struct rng r;
    int64_t d;

    rng_seed(&r, SEED, 7, RNG_STREAM_NODE);
    retry_reset(&s);
    next_delay(&p, &s, &r);
    next_delay(&p, &s, &r);
    assert_int_equal(next_delay(&p, &s, &r), 400 * MS);
    assert_false(retry_next(&p, &s, &r, &d));

    retry_reset(&s);
    assert_int_equal(s.failures, 0);
    assert_int_equal(s.prev_delay_ns, 0);
    assert_int_equal(next_delay(&p, &s, &r), 100 * MS);
    assert_int_equal(next_delay(&p, &s, &r), 200 * MS);
}

static void test_kind_and_jitter_names(void **state)
{
    (void)state;
    assert_string_equal(retry_kind_name(RETRY_NONE), "none");
    assert_string_equal(retry_kind_name(RETRY_FIXED), "fixed");
    assert_string_equal(retry_kind_name(RETRY_EXPONENTIAL), "exponential");
    assert_string_equal(retry_jitter_name(JITTER_NONE), "none");
    assert_string_equal(retry_jitter_name(JITTER_FULL), "full");
    assert_string_equal(retry_jitter_name(JITTER_EQUAL), "equal");
    assert_string_equal(retry_jitter_name(JITTER_DECORRELATED), "decorrelated");
}

/* ---- layered options: retry_guard and retry_after_failure ---- */

static struct retry_policy layered(enum retry_kind k, int64_t base, int64_t cap)
{
    struct retry_policy p = {0};
    p.kind = k;
    p.jitter = JITTER_NONE;
    p.base_ns = base;
    p.cap_ns = cap;
    return p;
}

/* One failure through retry_after_failure; the policy must allow a retry. */
static int64_t fail_once(const struct retry_policy *p, struct retry_state *s, struct retry_guard *g,
                         struct rng *r, int64_t retry_after_ns, unsigned *why)
{
    int64_t d = -1;

    *why = 0xff;
    assert_true(retry_after_failure(p, s, g, r, retry_after_ns, &d, why));
    return d;
}

static void test_budget_slows_once_half_or_less_remains(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_EXPONENTIAL, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.budget_tokens = 4;
    p.budget_ratio = 0.5;
    rng_seed(&r, SEED, 8, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_true(g.tokens == 4.0f);

    /* 4 -> 3: more than half (2) left, normal backoff. */
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 100 * MS);
    assert_int_equal(why, SLOW_NONE);
    assert_true(g.tokens == 3.0f);
    /* 3 -> 2: exactly half is not "more than half": slowed to cap. */
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 5 * SEC);
    assert_int_equal(why, SLOW_BUDGET);
    assert_true(g.tokens == 2.0f);
    /* The backoff sequence itself goes on underneath (failures counted). */
    assert_int_equal(s.failures, 2);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 5 * SEC);
        assert_int_equal(why, SLOW_BUDGET);
    }
    /* 2 -> 1 -> 0 -> 0: never below 0. */
    assert_true(g.tokens == 0.0f);
}

static void test_budget_boundary_just_above_half_is_normal(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.budget_tokens = 4;
    p.budget_ratio = 0.5;
    rng_seed(&r, SEED, 8, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    g.tokens = 3.5f;
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 100 * MS); /* 2.5 > 2 */
    assert_int_equal(why, SLOW_NONE);
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 5 * SEC); /* 1.5 <= 2 */
    assert_int_equal(why, SLOW_BUDGET);
}

static void test_budget_success_earns_ratio_up_to_max(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.budget_tokens = 4;
    p.budget_ratio = 0.5;
    rng_seed(&r, SEED, 9, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    for (int i = 0; i < 6; i++)
        fail_once(&p, &s, &g, &r, 0, &why);
    assert_true(g.tokens == 0.0f);

    for (int i = 1; i <= 8; i++) {
        retry_guard_success(&p, &g);
        assert_true(fabsf(g.tokens - 0.5f * (float)i) < 1e-6f);
    }
    for (int i = 0; i < 5; i++)
        retry_guard_success(&p, &g);
    assert_true(g.tokens == 4.0f); /* capped at budget_tokens */

    /* A full bucket again gives the normal backoff. */
    retry_reset(&s);
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 100 * MS);
    assert_int_equal(why, SLOW_NONE);
}

static void test_budget_no_flag_when_backoff_already_at_cap(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 5 * SEC, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.budget_tokens = 2;
    p.budget_ratio = 0.1;
    rng_seed(&r, SEED, 9, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 5 * SEC); /* 1 <= 1 */
    assert_int_equal(why, SLOW_NONE);
    assert_true(g.tokens == 1.0f);
}

static void test_budget_off_leaves_guard_tokens_alone(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    rng_seed(&r, SEED, 9, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 100 * MS);
        assert_int_equal(why, SLOW_NONE);
    }
    retry_guard_success(&p, &g);
    assert_true(g.tokens == 0.0f);
}

static void test_retry_after_raises_delay_to_hint(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.obey_retry_after = true;
    rng_seed(&r, SEED, 10, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_int_equal(fail_once(&p, &s, &g, &r, 2 * SEC, &why), 2 * SEC);
    assert_int_equal(why, SLOW_RETRY_AFTER);
    /* A hint beyond cap is still obeyed: it is the server's word. */
    assert_int_equal(fail_once(&p, &s, &g, &r, 7 * SEC, &why), 7 * SEC);
    assert_int_equal(why, SLOW_RETRY_AFTER);
}

/* A hint past the policy's max_hint is capped there: a server that says
 * "retry in 49 days" (2^32 ms) must not park its clients (issue 13, defect 6). */
static void test_retry_after_capped_at_max_hint(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.obey_retry_after = true;
    p.max_hint_ns = 60 * SEC;
    rng_seed(&r, SEED, 10, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_int_equal(fail_once(&p, &s, &g, &r, (int64_t)UINT32_MAX * MS, &why), 60 * SEC);
    assert_int_equal(fail_once(&p, &s, &g, &r, 30 * SEC, &why), 30 * SEC);
    assert_int_equal(retry_cap_hint(&p, -5), 0);
    assert_int_equal(retry_cap_hint(&p, 61 * SEC), 60 * SEC);
}

static void test_retry_after_ignored_when_not_obeyed(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.obey_retry_after = false;
    rng_seed(&r, SEED, 10, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_int_equal(fail_once(&p, &s, &g, &r, 2 * SEC, &why), 100 * MS);
    assert_int_equal(why, SLOW_NONE);
}

static void test_retry_after_below_backoff_changes_nothing(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.obey_retry_after = true;
    rng_seed(&r, SEED, 10, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_int_equal(fail_once(&p, &s, &g, &r, 50 * MS, &why), 100 * MS);
    assert_int_equal(why, SLOW_NONE);
    assert_int_equal(fail_once(&p, &s, &g, &r, 100 * MS, &why), 100 * MS); /* equal: no raise */
    assert_int_equal(why, SLOW_NONE);
    assert_int_equal(fail_once(&p, &s, &g, &r, 0, &why), 100 * MS);
    assert_int_equal(why, SLOW_NONE);
}

static void test_budget_and_retry_after_both_flagged(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    unsigned why;

    p.budget_tokens = 2;
    p.budget_ratio = 0.5;
    p.obey_retry_after = true;
    rng_seed(&r, SEED, 10, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    /* 2 -> 1 <= 1: slowed to 5 s, then a 7 s hint raises it further. */
    assert_int_equal(fail_once(&p, &s, &g, &r, 7 * SEC, &why), 7 * SEC);
    assert_int_equal(why, SLOW_BUDGET | SLOW_RETRY_AFTER);
    /* A 3 s hint is below the budget's 5 s: only the budget. */
    assert_int_equal(fail_once(&p, &s, &g, &r, 3 * SEC, &why), 5 * SEC);
    assert_int_equal(why, SLOW_BUDGET);
}

static struct retry_policy throttled(void)
{
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    p.throttle_k = 2;
    p.throttle_window_ns = 10 * SEC;
    return p;
}

/* n admits at now_ns (whatever their outcome), then a accepts. */
static void load_guard(const struct retry_policy *p, struct retry_guard *g, struct rng *r, int n,
                       int a, int64_t now_ns)
{
    for (int i = 0; i < n; i++)
        retry_guard_admit(p, g, r, now_ns);
    for (int i = 0; i < a; i++)
        retry_guard_accepted(p, g, now_ns);
}

static void test_throttle_drop_p_without_accepts(void **state)
{
    (void)state;
    struct retry_policy p = throttled();
    struct retry_guard g;
    struct rng r;

    rng_seed(&r, SEED, 11, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    assert_true(retry_guard_drop_p(&p, &g, 1 * SEC) == 0.0);
    for (int n = 1; n <= 20; n++) {
        load_guard(&p, &g, &r, 1, 0, 1 * SEC);
        assert_true(fabs(retry_guard_drop_p(&p, &g, 1 * SEC) - (double)n / (n + 1)) < 1e-12);
    }
}

static void test_throttle_drop_p_with_accepts(void **state)
{
    (void)state;
    static const struct {
        int n, a;
    } cases[] = {{10, 0}, {10, 1}, {10, 3}, {10, 4}, {10, 5}, {10, 6}, {100, 30}, {7, 2}};
    struct retry_policy p = throttled();
    struct rng r;

    rng_seed(&r, SEED, 12, RNG_STREAM_NODE);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct retry_guard g;
        int n = cases[i].n, a = cases[i].a;
        double want = (double)(n - 2 * a) / (n + 1);

        retry_guard_init(&p, &g);
        load_guard(&p, &g, &r, n, a, 2 * SEC);
        if (want < 0)
            want = 0;
        assert_true(fabs(retry_guard_drop_p(&p, &g, 2 * SEC) - want) < 1e-12);
    }
}

static void test_throttle_empirical_drop_rate_matches(void **state)
{
    (void)state;
    enum { TRIALS = 20000 };
    struct retry_policy p = throttled();
    struct retry_guard g;
    struct rng r;
    int dropped = 0;

    rng_seed(&r, SEED, 13, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    load_guard(&p, &g, &r, 10, 3, 1 * SEC);
    double want = retry_guard_drop_p(&p, &g, 1 * SEC);
    assert_true(fabs(want - 4.0 / 11) < 1e-12);
    for (int i = 0; i < TRIALS; i++) {
        struct retry_guard t = g; /* the same state for every trial */
        dropped += !retry_guard_admit(&p, &t, &r, 1 * SEC);
    }
    assert_true(fabs((double)dropped / TRIALS - want) < 0.015);
}

static void test_throttle_forgets_after_window(void **state)
{
    (void)state;
    struct retry_policy p = throttled();
    struct retry_guard g;
    struct rng r;

    rng_seed(&r, SEED, 14, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    load_guard(&p, &g, &r, 10, 0, 1 * SEC);
    /* Next half window: still remembered (previous half). */
    assert_true(fabs(retry_guard_drop_p(&p, &g, 6 * SEC) - 10.0 / 11) < 1e-12);
    /* drop_p does not change the guard. */
    assert_true(fabs(retry_guard_drop_p(&p, &g, 1 * SEC) - 10.0 / 11) < 1e-12);
    /* More than a window later: forgotten. */
    assert_true(retry_guard_drop_p(&p, &g, 1 * SEC + 10 * SEC + 1) == 0.0);
    assert_true(retry_guard_drop_p(&p, &g, 60 * SEC) == 0.0);
    /* And the guard itself forgets once it moves on. */
    assert_true(retry_guard_admit(&p, &g, &r, 12 * SEC));
    assert_true(fabs(retry_guard_drop_p(&p, &g, 12 * SEC) - 1.0 / 2) < 1e-12);
}

static void test_throttle_slides_by_half_windows(void **state)
{
    (void)state;
    struct retry_policy p = throttled();
    struct retry_guard g;
    struct rng r;

    rng_seed(&r, SEED, 15, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    load_guard(&p, &g, &r, 4, 0, 1 * SEC); /* half [0, 5 s) */
    load_guard(&p, &g, &r, 6, 0, 7 * SEC); /* half [5 s, 10 s) */
    assert_true(fabs(retry_guard_drop_p(&p, &g, 7 * SEC) - 10.0 / 11) < 1e-12);
    /* At 11 s the first half has left the window, the second has not. */
    assert_true(fabs(retry_guard_drop_p(&p, &g, 11 * SEC) - 6.0 / 7) < 1e-12);
    /* At 15 s both are gone. */
    assert_true(retry_guard_drop_p(&p, &g, 15 * SEC) == 0.0);
}

static void test_throttle_counts_locally_dropped_requests(void **state)
{
    (void)state;
    struct retry_policy p = throttled();
    struct retry_guard g;
    struct rng r;
    int dropped = 0;

    rng_seed(&r, SEED, 16, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    for (int i = 0; i < 100; i++)
        dropped += !retry_guard_admit(&p, &g, &r, 2 * SEC);
    assert_true(dropped > 50); /* with no accepts, most are dropped */
    /* Every admit counted, dropped or not. */
    assert_int_equal(g.req[0] + g.req[1], 100);
    assert_true(fabs(retry_guard_drop_p(&p, &g, 2 * SEC) - 100.0 / 101) < 1e-12);
}

static void test_throttle_off_always_admits(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 100 * MS, 5 * SEC);
    struct retry_guard g;
    struct rng r;

    p.throttle_window_ns = 10 * SEC; /* k = 0: off anyway */
    rng_seed(&r, SEED, 17, RNG_STREAM_NODE);
    retry_guard_init(&p, &g);
    for (int i = 0; i < 1000; i++)
        assert_true(retry_guard_admit(&p, &g, &r, 1 * SEC));
    assert_true(retry_guard_drop_p(&p, &g, 1 * SEC) == 0.0);
    assert_int_equal(g.req[0], 0);
}

static void test_after_failure_gives_up_at_max_attempts(void **state)
{
    (void)state;
    struct retry_policy p = layered(RETRY_FIXED, 10 * MS, SEC);
    struct retry_state s;
    struct retry_guard g;
    struct rng r;
    int64_t d;
    unsigned why;

    p.max_attempts = 3;
    p.budget_tokens = 4;
    p.budget_ratio = 0.5;
    p.obey_retry_after = true;
    rng_seed(&r, SEED, 18, RNG_STREAM_NODE);
    retry_reset(&s);
    retry_guard_init(&p, &g);
    assert_true(retry_after_failure(&p, &s, &g, &r, 0, &d, &why));
    assert_true(retry_after_failure(&p, &s, &g, &r, 0, &d, &why));
    assert_false(retry_after_failure(&p, &s, &g, &r, 2 * SEC, &d, &why));
    assert_int_equal(why, SLOW_NONE);
    assert_false(retry_after_failure(&p, &s, &g, &r, 0, &d, &why));
    /* Giving up does not charge the budget. */
    assert_true(g.tokens == 2.0f);
}

static void test_layers_off_match_retry_next(void **state)
{
    (void)state;
    static const enum retry_kind ks[] = {RETRY_NONE,        RETRY_FIXED,       RETRY_EXPONENTIAL,
                                         RETRY_EXPONENTIAL, RETRY_EXPONENTIAL, RETRY_EXPONENTIAL};
    static const enum retry_jitter js[] = {JITTER_NONE, JITTER_NONE,  JITTER_NONE,
                                           JITTER_FULL, JITTER_EQUAL, JITTER_DECORRELATED};

    for (size_t k = 0; k < sizeof ks / sizeof ks[0]; k++) {
        struct retry_policy p = policy(ks[k], js[k], 50 * MS, 10 * SEC, 30);
        struct retry_state sa, sb;
        struct retry_guard g;
        struct rng ra, rb;
        int64_t a, b;
        unsigned why;
        bool more;

        rng_seed(&ra, SEED, 19, RNG_STREAM_NODE);
        rng_seed(&rb, SEED, 19, RNG_STREAM_NODE);
        retry_reset(&sa);
        retry_reset(&sb);
        retry_guard_init(&p, &g);
        do {
            more = retry_next(&p, &sa, &ra, &a);
            /* A retry_after hint is ignored with obey_retry_after off. */
            assert_int_equal(retry_after_failure(&p, &sb, &g, &rb, 60 * SEC, &b, &why), more);
            assert_int_equal(a, b);
            assert_int_equal(why, SLOW_NONE);
            assert_int_equal(sa.failures, sb.failures);
            assert_int_equal(sa.prev_delay_ns, sb.prev_delay_ns);
        } while (more);
        assert_int_equal(sa.failures, 30);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_none_policy_retries_at_once),
        cmocka_unit_test(test_fixed_policy_waits_base),
        cmocka_unit_test(test_exponential_doubles_up_to_cap),
        cmocka_unit_test(test_exponential_no_overflow_after_many_failures),
        cmocka_unit_test(test_full_jitter_within_zero_to_t_mean_half),
        cmocka_unit_test(test_equal_jitter_within_half_t_to_t_mean_three_quarters),
        cmocka_unit_test(test_jitter_uses_capped_t),
        cmocka_unit_test(test_decorrelated_within_base_cap_and_three_times_prev),
        cmocka_unit_test(test_max_attempts_three_allows_two_retries),
        cmocka_unit_test(test_max_attempts_one_allows_no_retry),
        cmocka_unit_test(test_max_attempts_zero_is_unbounded),
        cmocka_unit_test(test_same_seed_gives_same_delays),
        cmocka_unit_test(test_reset_restarts_sequence),
        cmocka_unit_test(test_kind_and_jitter_names),
        cmocka_unit_test(test_budget_slows_once_half_or_less_remains),
        cmocka_unit_test(test_budget_boundary_just_above_half_is_normal),
        cmocka_unit_test(test_budget_success_earns_ratio_up_to_max),
        cmocka_unit_test(test_budget_no_flag_when_backoff_already_at_cap),
        cmocka_unit_test(test_budget_off_leaves_guard_tokens_alone),
        cmocka_unit_test(test_retry_after_raises_delay_to_hint),
        cmocka_unit_test(test_retry_after_capped_at_max_hint),
        cmocka_unit_test(test_retry_after_ignored_when_not_obeyed),
        cmocka_unit_test(test_retry_after_below_backoff_changes_nothing),
        cmocka_unit_test(test_budget_and_retry_after_both_flagged),
        cmocka_unit_test(test_throttle_drop_p_without_accepts),
        cmocka_unit_test(test_throttle_drop_p_with_accepts),
        cmocka_unit_test(test_throttle_empirical_drop_rate_matches),
        cmocka_unit_test(test_throttle_forgets_after_window),
        cmocka_unit_test(test_throttle_slides_by_half_windows),
        cmocka_unit_test(test_throttle_counts_locally_dropped_requests),
        cmocka_unit_test(test_throttle_off_always_admits),
        cmocka_unit_test(test_after_failure_gives_up_at_max_attempts),
        cmocka_unit_test(test_layers_off_match_retry_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
