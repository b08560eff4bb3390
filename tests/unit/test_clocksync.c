/* test_clocksync.c - the least-round-trip offset estimate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "control/clocksync.h"

static void symmetric_sample_gives_exact_offset(void **state)
{
    /* rank clock is 1000 ahead; 100 each way */
    struct clock_sample s = {.t0 = 0, .tr = 1100, .t1 = 200};
    struct clock_estimate e = clocksync_estimate(&s, 1);
    assert_int_equal(e.offset_ns, 1000);
    assert_int_equal(e.rtt_ns, 200);
}

static void least_round_trip_wins(void **state)
{
    struct clock_sample s[] = {
        {.t0 = 0, .tr = 5000, .t1 = 9000},       /* slow, asymmetric: says 500 */
        {.t0 = 10000, .tr = 11020, .t1 = 10040}, /* fast: 1000 */
        {.t0 = 20000, .tr = 21900, .t1 = 22000}, /* slow: says 900 */
    };
    struct clock_estimate e = clocksync_estimate(s, 3);
    assert_int_equal(e.rtt_ns, 40);
    assert_int_equal(e.offset_ns, 1000);
}

static void negative_offsets_work(void **state)
{
    struct clock_sample s = {.t0 = 1000000, .tr = 400010, .t1 = 1000020};
    struct clock_estimate e = clocksync_estimate(&s, 1);
    assert_int_equal(e.offset_ns, -600000);
}

static void backwards_samples_are_ignored(void **state)
{
    struct clock_sample s[] = {{.t0 = 100, .tr = 0, .t1 = 50}};
    struct clock_estimate e = clocksync_estimate(s, 1);
    assert_int_equal(e.rtt_ns, -1);
}

static void resync_keeps_an_offset_inside_the_error_bound(void **state)
{
    /* new sample: offset 1000 +- 300 (rtt 600) */
    struct clock_estimate e = {.offset_ns = 1000, .rtt_ns = 600};
    assert_false(clocksync_should_update(1000, e));
    assert_false(clocksync_should_update(1250, e));
    assert_false(clocksync_should_update(700, e));
}

static void resync_corrects_a_drift_beyond_the_bound(void **state)
{
    struct clock_estimate e = {.offset_ns = 1000, .rtt_ns = 600};
    assert_true(clocksync_should_update(1400, e));
    assert_true(clocksync_should_update(-5000, e));
}

static void resync_ignores_an_estimate_without_samples(void **state)
{
    struct clock_estimate e = {.offset_ns = 0, .rtt_ns = -1};
    assert_false(clocksync_should_update(123456789, e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(symmetric_sample_gives_exact_offset),
        cmocka_unit_test(least_round_trip_wins),
        cmocka_unit_test(negative_offsets_work),
        cmocka_unit_test(backwards_samples_are_ignored),
        cmocka_unit_test(resync_keeps_an_offset_inside_the_error_bound),
        cmocka_unit_test(resync_corrects_a_drift_beyond_the_bound),
        cmocka_unit_test(resync_ignores_an_estimate_without_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
