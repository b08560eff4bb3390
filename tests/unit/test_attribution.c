/* test_attribution.c - the emulator-share arithmetic (common/attribution.h),
 * on recorded timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/attribution.h"

#define MS 1000000LL

static void test_delay_is_stall_plus_cpu(void **state)
{
    assert_int_equal(attr_delay(100 * MS, 30 * MS, 2 * MS), 32 * MS);
}

static void test_delay_never_exceeds_the_span(void **state)
{
    /* A stall detected inside a short attempt may have begun before it. */
    assert_int_equal(attr_delay(10 * MS, 500 * MS, 1 * MS), 10 * MS);
}

static void test_delay_ignores_negative_parts_and_empty_spans(void **state)
{
    assert_int_equal(attr_delay(10 * MS, -5 * MS, 0), 0);
    assert_int_equal(attr_delay(0, 5 * MS, 5 * MS), 0);
    assert_int_equal(attr_delay(-1, 5 * MS, 0), 0);
}

/* The stall clock of a rank, sampled at interval ends: 0 until 1 s, then
 * 400 ms of stall during the second second, then quiet. */
static const int64_t t[] = {0, 1000 * MS, 2000 * MS, 3000 * MS};
static const int64_t stall[] = {0, 0, 400 * MS, 400 * MS};

static void test_stall_between_sample_points(void **state)
{
    assert_int_equal(attr_stall_between(t, stall, 4, 1000 * MS, 2000 * MS), 400 * MS);
    assert_int_equal(attr_stall_between(t, stall, 4, 0, 3000 * MS), 400 * MS);
    assert_int_equal(attr_stall_between(t, stall, 4, 2000 * MS, 3000 * MS), 0);
}

static void test_stall_between_interpolates_inside_an_interval(void **state)
{
    /* half of the second interval: half its stall */
    assert_int_equal(attr_stall_between(t, stall, 4, 1000 * MS, 1500 * MS), 200 * MS);
    assert_int_equal(attr_stall_between(t, stall, 4, 1250 * MS, 1750 * MS), 200 * MS);
}

static void test_stall_between_outside_the_samples_and_reversed(void **state)
{
    assert_int_equal(attr_stall_between(t, stall, 4, 3000 * MS, 9000 * MS), 0);
    assert_int_equal(attr_stall_between(t, stall, 4, -5000 * MS, 0), 0);
    assert_int_equal(attr_stall_between(t, stall, 4, 2000 * MS, 1000 * MS), 0);
    assert_int_equal(attr_stall_between(t, stall, 0, 0, 1000 * MS), 0);
}

/* Ten peers: times to online 1..10 s; the emulator's delay in each is 10%
 * of it, except the last two, which waited mostly for the emulator. */
static void test_percentile_share_uses_the_peers_that_decide_it(void **state)
{
    int64_t on[10], emu[10];
    for (int i = 0; i < 10; i++) {
        on[9 - i] = (i + 1) * 1000 * MS; /* any order */
        emu[9 - i] = (i + 1) * 100 * MS;
    }
    emu[0] = 9000 * MS; /* the 10 s peer: 90% emulator */
    emu[1] = 8100 * MS; /* the 9 s peer: 90% */
    /* t50 is decided by the 5th peer: 10% share */
    assert_float_equal(attr_percentile_share(on, emu, 10, 0.50, 0.0), 0.10, 1e-9);
    /* t99 (ceil(9.9) = the 10th peer): 90% */
    assert_float_equal(attr_percentile_share(on, emu, 10, 0.99, 0.0), 0.90, 1e-9);
    /* a band of 10% takes the peers ranked in (89%, 99%]: the 9th and 10th */
    assert_float_equal(attr_percentile_share(on, emu, 10, 0.99, 0.1), 17.1 / 19.0, 1e-9);
}

static void test_percentile_share_unknown_when_too_few_online(void **state)
{
    int64_t on[4] = {1000 * MS, -1, -1, -1}, emu[4] = {0, 0, 0, 0};
    /* only 1 of 4 online: t50 does not exist */
    assert_true(attr_percentile_share(on, emu, 4, 0.50, 0.02) < 0);
    assert_float_equal(attr_percentile_share(on, emu, 4, 0.25, 0.02), 0.0, 1e-12);
    assert_true(attr_percentile_share(on, emu, 0, 0.50, 0.02) < 0);
}

static void test_judge_against_the_threshold(void **state)
{
    assert_int_equal(attr_judge(0.05, 0.10), ATTR_FAITHFUL);
    assert_int_equal(attr_judge(0.10, 0.10), ATTR_FAITHFUL);
    assert_int_equal(attr_judge(0.11, 0.10), ATTR_EMULATOR_BOUND);
    assert_int_equal(attr_judge(-1, 0.10), ATTR_UNKNOWN);
    assert_string_equal(attr_verdict_name(ATTR_EMULATOR_BOUND), "emulator-bound");
    assert_string_equal(attr_verdict_name(ATTR_FAITHFUL), "faithful");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_is_stall_plus_cpu),
        cmocka_unit_test(test_delay_never_exceeds_the_span),
        cmocka_unit_test(test_delay_ignores_negative_parts_and_empty_spans),
        cmocka_unit_test(test_stall_between_sample_points),
        cmocka_unit_test(test_stall_between_interpolates_inside_an_interval),
        cmocka_unit_test(test_stall_between_outside_the_samples_and_reversed),
        cmocka_unit_test(test_percentile_share_uses_the_peers_that_decide_it),
        cmocka_unit_test(test_percentile_share_unknown_when_too_few_online),
        cmocka_unit_test(test_judge_against_the_threshold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
