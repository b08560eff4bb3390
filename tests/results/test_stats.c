/* test_stats.c - mean, sd, Student-t quantiles and intervals, the
 * significance rule. Reference values: R's qt() and textbook tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stats.h"

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) < (eps))

static void t_quantiles_match_tables(void **state)
{
    assert_near(stats_t_quantile(0.975, 1), 12.706205, 1e-5);
    assert_near(stats_t_quantile(0.975, 2), 4.302653, 1e-5);
    assert_near(stats_t_quantile(0.975, 4), 2.776445, 1e-5);
    assert_near(stats_t_quantile(0.975, 10), 2.228139, 1e-5);
    assert_near(stats_t_quantile(0.975, 29), 2.045230, 1e-5);
    assert_near(stats_t_quantile(0.975, 30), 2.042272, 1e-5);
    assert_near(stats_t_quantile(0.975, 100), 1.983972, 1e-5);
    assert_near(stats_t_quantile(0.95, 1), 6.313752, 1e-5);
    assert_near(stats_t_quantile(0.995, 5), 4.032143, 1e-5);
}

static void t_quantile_tends_to_normal(void **state)
{
    assert_near(stats_t_quantile(0.975, 1e7), 1.959964, 1e-5);
}

static void t_quantile_is_symmetric(void **state)
{
    assert_near(stats_t_quantile(0.025, 4), -2.776445, 1e-5);
    assert_true(stats_t_quantile(0.5, 3) == 0);
}

static void t_quantile_rejects_bad_arguments(void **state)
{
    assert_true(isnan(stats_t_quantile(0, 3)));
    assert_true(isnan(stats_t_quantile(1, 3)));
    assert_true(isnan(stats_t_quantile(0.975, 0)));
}

static void t_cdf_inverts_quantile(void **state)
{
    for (double df = 1; df <= 40; df += 3)
        assert_near(stats_t_cdf(stats_t_quantile(0.9, df), df), 0.9, 1e-9);
    assert_near(stats_t_cdf(0, 7), 0.5, 1e-12);
}

static void betai_known_values(void **state)
{
    assert_near(stats_betai(1, 1, 0.3), 0.3, 1e-12);    /* uniform */
    assert_near(stats_betai(2, 3, 0.4), 0.5248, 1e-10); /* 1 - sum binomial */
}

static void describe_eight_values(void **state)
{
    double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
    struct stats s;
    stats_describe(v, 8, &s);
    assert_int_equal(s.n, 8);
    assert_near(s.mean, 5, 1e-12);
    assert_near(s.sd, sqrt(32.0 / 7), 1e-12);
    assert_near(s.ci, 2.364624 * sqrt(32.0 / 7) / sqrt(8), 1e-5); /* t(0.975, 7) */
    assert_near(s.lo, s.mean - s.ci, 1e-12);
    assert_near(s.hi, s.mean + s.ci, 1e-12);
}

static void ci_width_for_two_and_three_runs(void **state)
{
    struct stats s;
    double two[] = {1, 3};
    stats_describe(two, 2, &s);
    assert_near(s.ci, 12.706205, 1e-5); /* sd = sqrt 2, / sqrt 2 */
    double three[] = {1, 2, 3};
    stats_describe(three, 3, &s);
    assert_near(s.ci, 4.302653 / sqrt(3), 1e-5);
}

static void one_value_has_no_interval(void **state)
{
    double v[] = {42};
    struct stats s;
    stats_describe(v, 1, &s);
    assert_true(s.mean == 42);
    assert_true(isnan(s.sd) && isnan(s.ci));
    stats_describe(v, 0, &s);
    assert_true(isnan(s.mean));
}

static void large_close_values_keep_precision(void **state)
{
    double v[] = {1e9 + 1, 1e9 + 2, 1e9 + 3};
    struct stats s;
    stats_describe(v, 3, &s);
    assert_near(s.sd, 1, 1e-6);
}

static void significance_needs_disjoint_intervals(void **state)
{
    double a[] = {10, 11, 12}, b[] = {20, 21, 22}, c[] = {11, 12, 13}, one[] = {30};
    struct stats sa, sb, sc, s1;
    stats_describe(a, 3, &sa);
    stats_describe(b, 3, &sb);
    stats_describe(c, 3, &sc);
    stats_describe(one, 1, &s1);
    assert_int_equal(stats_significant(&sa, &sb), SIG_YES);
    assert_int_equal(stats_significant(&sb, &sa), SIG_YES);
    assert_int_equal(stats_significant(&sa, &sc), SIG_NO);
    assert_int_equal(stats_significant(&sa, &s1), SIG_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_quantiles_match_tables),
        cmocka_unit_test(t_quantile_tends_to_normal),
        cmocka_unit_test(t_quantile_is_symmetric),
        cmocka_unit_test(t_quantile_rejects_bad_arguments),
        cmocka_unit_test(t_cdf_inverts_quantile),
        cmocka_unit_test(betai_known_values),
        cmocka_unit_test(describe_eight_values),
        cmocka_unit_test(ci_width_for_two_and_three_runs),
        cmocka_unit_test(one_value_has_no_interval),
        cmocka_unit_test(large_close_values_keep_precision),
        cmocka_unit_test(significance_needs_disjoint_intervals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
