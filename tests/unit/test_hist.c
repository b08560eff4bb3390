/* test_hist.c - bucket layout, quantiles, merge and mean of struct hist. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>

#include "common/hist.h"
#include "common/rng.h"

/* v must sit in its bucket: not above its upper bound, above the previous one. */
static void assert_bucket_holds(uint64_t v)
{
    unsigned b = hist_bucket_of(v);

    assert_true(b < HIST_BUCKETS);
    assert_true(v <= hist_bucket_upper(b));
    if (b > 0)
        assert_true(v > hist_bucket_upper(b - 1));
}

static void test_bucket_of_and_upper_consistent(void **state)
{
    (void)state;
    struct rng r;

    for (uint64_t v = 0; v <= 200000; v++)
        assert_bucket_holds(v);
    for (unsigned e = 0; e < 64; e++) {
        uint64_t p = 1ULL << e;
        assert_bucket_holds(p);
        assert_bucket_holds(p - 1);
        assert_bucket_holds(p + 1);
        assert_bucket_holds(p + p / 2);
    }
    rng_seed(&r, 99, 0, RNG_STREAM_NODE);
    for (int i = 0; i < 100000; i++) {
        uint64_t v = ((uint64_t)rng_u32(&r) << 32) | rng_u32(&r);
        /* Spread over all magnitudes, not just the top few. */
        assert_bucket_holds(v >> rng_below(&r, 64));
    }
    assert_bucket_holds(UINT64_MAX);
}

static void test_bucket_uppers_are_contiguous(void **state)
{
    (void)state;
    /* Every bucket is non-empty and the next one starts right after it. */
    for (unsigned b = 0; b + 1 < HIST_BUCKETS; b++) {
        uint64_t up = hist_bucket_upper(b);
        assert_int_equal(hist_bucket_of(up), b);
        assert_int_equal(hist_bucket_of(up + 1), b + 1);
        assert_true(hist_bucket_upper(b + 1) > up);
    }
}

static void test_values_below_16_are_exact(void **state)
{
    (void)state;
    for (uint64_t v = 0; v < 16; v++) {
        struct hist h;

        assert_int_equal(hist_bucket_of(v), v);
        assert_int_equal(hist_bucket_upper((unsigned)v), v);
        hist_reset(&h);
        hist_add(&h, v);
        hist_add(&h, 1000);
        assert_int_equal(hist_quantile(&h, 0.5), v);
    }
}

static void test_bucket_relative_error_below_one_eighth(void **state)
{
    (void)state;
    for (uint64_t v = 16; v < 1000000; v += 7) {
        uint64_t up = hist_bucket_upper(hist_bucket_of(v));
        assert_true(up - v < v / 8 + 1);
    }
}

static void test_uint64_max_fits_last_bucket(void **state)
{
    (void)state;
    struct hist h;

    assert_int_equal(hist_bucket_of(UINT64_MAX), HIST_BUCKETS - 1);
    assert_true(hist_bucket_upper(HIST_BUCKETS - 1) == UINT64_MAX);
    hist_reset(&h);
    hist_add(&h, UINT64_MAX);
    assert_int_equal(h.buckets[HIST_BUCKETS - 1], 1);
    assert_true(hist_quantile(&h, 0.5) == UINT64_MAX);
    assert_true(h.max == UINT64_MAX);
}

static void test_quantiles_of_uniform_set_within_error(void **state)
{
    (void)state;
    static const double qs[] = {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999};
    struct hist h;

    hist_reset(&h);
    for (uint64_t v = 1; v <= 10000; v++)
        hist_add(&h, v);
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        double truth = ceil(qs[i] * 10000);
        double got = (double)hist_quantile(&h, qs[i]);
        assert_true(got >= truth);
        assert_true(got <= truth * 1.125);
    }
}

static void test_p100_is_max(void **state)
{
    (void)state;
    struct hist h;

    hist_reset(&h);
    hist_add(&h, 3);
    hist_add(&h, 12345);
    hist_add(&h, 1000001);
    assert_true(hist_quantile(&h, 1.0) == 1000001);
    /* q beyond 1 is treated as 1. */
    assert_true(hist_quantile(&h, 2.0) == 1000001);
}

static void test_quantile_zero_is_lowest_bucket(void **state)
{
    (void)state;
    struct hist h;

    hist_reset(&h);
    hist_add(&h, 5000);
    hist_add(&h, 90000);
    uint64_t q0 = hist_quantile(&h, 0.0);
    assert_true(q0 >= 5000 && q0 < 5000 * 1.125);
}

static void test_empty_hist_gives_zero(void **state)
{
    (void)state;
    struct hist h;

    hist_reset(&h);
    assert_true(hist_quantile(&h, 0.0) == 0);
    assert_true(hist_quantile(&h, 0.5) == 0);
    assert_true(hist_quantile(&h, 1.0) == 0);
    assert_true(hist_mean(&h) == 0.0);
}

static void test_merge_equals_adding_all_values(void **state)
{
    (void)state;
    struct hist a, b, all;
    struct rng r;

    hist_reset(&a);
    hist_reset(&b);
    hist_reset(&all);
    rng_seed(&r, 7, 0, RNG_STREAM_NODE);
    for (int i = 0; i < 5000; i++) {
        uint64_t v = rng_below(&r, 1000000);
        hist_add(i % 3 ? &a : &b, v);
        hist_add(&all, v);
    }
    hist_add(&b, 77777777); /* the max comes from the merged-in side */
    hist_add(&all, 77777777);

    hist_merge(&a, &b);
    assert_true(a.count == all.count);
    assert_true(a.sum == all.sum);
    assert_true(a.max == all.max);
    assert_memory_equal(a.buckets, all.buckets, sizeof(a.buckets));
    assert_true(hist_quantile(&a, 0.9) == hist_quantile(&all, 0.9));
}

static void test_merge_into_empty_copies(void **state)
{
    (void)state;
    struct hist a, b;

    hist_reset(&a);
    hist_reset(&b);
    hist_add(&b, 42);
    hist_add(&b, 4242);
    hist_merge(&a, &b);
    assert_memory_equal(&a, &b, sizeof(a));
}

static void test_mean_is_exact_average(void **state)
{
    (void)state;
    struct hist h;

    hist_reset(&h);
    hist_add(&h, 10);
    hist_add(&h, 20);
    hist_add(&h, 60);
    hist_add(&h, 1000000);
    assert_true(fabs(hist_mean(&h) - (10 + 20 + 60 + 1000000) / 4.0) < 1e-9);
    assert_true(h.count == 4);
    assert_true(h.sum == 1000090);
}

static void test_reset_clears_everything(void **state)
{
    (void)state;
    struct hist h, zero;

    hist_reset(&h);
    hist_add(&h, 123456);
    hist_reset(&h);
    hist_reset(&zero);
    assert_memory_equal(&h, &zero, sizeof(h));
    assert_true(hist_quantile(&h, 0.5) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_of_and_upper_consistent),
        cmocka_unit_test(test_bucket_uppers_are_contiguous),
        cmocka_unit_test(test_values_below_16_are_exact),
        cmocka_unit_test(test_bucket_relative_error_below_one_eighth),
        cmocka_unit_test(test_uint64_max_fits_last_bucket),
        cmocka_unit_test(test_quantiles_of_uniform_set_within_error),
        cmocka_unit_test(test_p100_is_max),
        cmocka_unit_test(test_quantile_zero_is_lowest_bucket),
        cmocka_unit_test(test_empty_hist_gives_zero),
        cmocka_unit_test(test_merge_equals_adding_all_values),
        cmocka_unit_test(test_merge_into_empty_copies),
        cmocka_unit_test(test_mean_is_exact_average),
        cmocka_unit_test(test_reset_clears_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
