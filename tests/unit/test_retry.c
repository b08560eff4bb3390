/* test_retry.c - retry policies: attempt bound, backoff sequence and jitter. */
#include <setjmp.h>
#include <stdarg.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
