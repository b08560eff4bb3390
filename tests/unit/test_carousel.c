/* test_carousel.c - the head-end's broadcast schedule (node/carousel.c):
 * what each slot carries, how many slots are due by a given time (exact, and
 * without overflow for a long run on a fast channel), a cycle's length and
 * the cycles a box heard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "node/carousel.h"

#define NS 1000000000LL

static void test_carousel_slots_cycle_through_the_blocks(void **state)
{
    assert_int_equal(carousel_index(0, 10, false), 0);
    assert_int_equal(carousel_index(9, 10, false), 9);
    assert_int_equal(carousel_index(10, 10, false), 0);
    assert_int_equal(carousel_index(25, 10, false), 5);
    assert_int_equal(carousel_index(UINT64_MAX, 10, false), UINT64_MAX % 10);
    assert_int_equal(carousel_index(7, 1, false), 0);
    assert_int_equal(carousel_index(7, 0, false), 0); /* no blocks: no division */
}

/* A fountain never repeats an ESI until the 24-bit ESI space wraps. */
static void test_fountain_slots_count_esis_and_wrap_at_2_24(void **state)
{
    assert_int_equal(carousel_index(0, 10, true), 0);
    assert_int_equal(carousel_index(10, 10, true), 10);
    assert_int_equal(carousel_index(12345, 10, true), 12345);
    assert_int_equal(carousel_index(CAROUSEL_ESI_MOD - 1, 10, true), 0xffffff);
    assert_int_equal(carousel_index(CAROUSEL_ESI_MOD, 10, true), 0);
    assert_int_equal(carousel_index(CAROUSEL_ESI_MOD + 5, 10, true), 5);
    assert_int_equal(carousel_index(3ULL * CAROUSEL_ESI_MOD + 7, 10, true), 7);
}

static void test_nothing_is_due_before_the_start(void **state)
{
    assert_int_equal(carousel_slots_due(0, 1000000, 1000), 0);
    assert_int_equal(carousel_slots_due(-1, 1000000, 1000), 0);
    assert_int_equal(carousel_slots_due(INT64_MIN, 1000000, 1000), 0);
    assert_int_equal(carousel_slots_due(NS, 0, 1000), 0);
    assert_int_equal(carousel_slots_due(NS, 1000000, 0), 0);
}

/* 1,000,000 B/s with 1000-byte slots: one slot per ms, due exactly on it. */
static void test_slots_are_due_exactly_on_their_time(void **state)
{
    assert_int_equal(carousel_slots_due(999999, 1000000, 1000), 0);
    assert_int_equal(carousel_slots_due(1000000, 1000000, 1000), 1);
    assert_int_equal(carousel_slots_due(1999999, 1000000, 1000), 1);
    assert_int_equal(carousel_slots_due(2000000, 1000000, 1000), 2);
    assert_int_equal(carousel_slots_due(NS, 1000000, 1000), 1000);
    assert_int_equal(carousel_slots_due(NS - 1, 1000000, 1000), 999);
    /* 38 Mbit/s (4,750,000 B/s) with 1040-byte slots: 4567.3 slots a second. */
    assert_int_equal(carousel_slots_due(NS, 4750000, 1040), 4567);
    assert_int_equal(carousel_slots_due(3600 * NS, 4750000, 1040), 16442307);
}

static void test_slots_due_never_go_back(void **state)
{
    uint64_t last = 0;
    for (int64_t t = 0; t < 20 * 1000000LL; t += 997) {
        uint64_t n = carousel_slots_due(t, 4750000, 1040);
        assert_true(n >= last);
        assert_true(n - last <= 1); /* 997 ns is far less than a slot */
        last = n;
    }
    assert_true(last > 0);
}

/* A 1e6 s run on a 10 Gbit/s channel: 1e15 ns x 1.25e9 B/s is far past
 * 2^64, the answer is not. */
static void test_slots_due_do_not_overflow_on_long_fast_runs(void **state)
{
    const int64_t run = 1000000 * NS;
    const uint64_t bps = 1250000000ULL;
    assert_int_equal(carousel_slots_due(run, bps, 1024), 1220703125000ULL);
    assert_int_equal(carousel_slots_due(run, bps, 1), 1250000000000000ULL);
    assert_int_equal(carousel_slots_due(run - 1, bps, 1024), 1220703124999ULL);
    /* Past what 64 bits hold: the most there is, not a wrapped value. */
    assert_int_equal(carousel_slots_due(INT64_MAX, UINT64_MAX, 1), UINT64_MAX);
    assert_int_equal(carousel_slots_due(INT64_MAX, 1, 1), (uint64_t)INT64_MAX / NS);
}

static void test_cycle_length(void **state)
{
    /* 1000 slots of 1000 bytes at 1,000,000 B/s: one second exactly. */
    assert_int_equal(carousel_cycle_ns(1000, 1000000, 1000), NS);
    /* 256 slots of 1040 bytes at 4,750,000 B/s: 56,050,526.3 ns, rounded up. */
    assert_int_equal(carousel_cycle_ns(256, 4750000, 1040), 56050527);
    /* The largest K and slot at 1 B/s: 56403 * 1416 s, still fits. */
    assert_int_equal(carousel_cycle_ns(56403, 1, 1416), 56403LL * 1416 * NS);
    assert_int_equal(carousel_cycle_ns(0, 1000000, 1000), 0);
    assert_int_equal(carousel_cycle_ns(10, 0, 1000), INT64_MAX);
    assert_int_equal(carousel_cycle_ns(UINT32_MAX, 1, UINT32_MAX), INT64_MAX);
}

/* A cycle's length agrees with the slots due: K slots are due by then, not
 * one ns before. */
static void test_cycle_length_matches_the_schedule(void **state)
{
    static const uint32_t ks[] = {1, 64, 256, 1000, 56403};
    static const uint64_t rates[] = {1000, 4750000, 1250000000ULL};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        for (size_t j = 0; j < sizeof rates / sizeof rates[0]; j++) {
            int64_t c = carousel_cycle_ns(ks[i], rates[j], 1040);
            assert_int_equal(carousel_slots_due(c, rates[j], 1040), ks[i]);
            assert_int_equal(carousel_slots_due(c - 1, rates[j], 1040), ks[i] - 1);
        }
}

static void test_cycles_heard_in_hundredths(void **state)
{
    (void)state;
    assert_int_equal(carousel_cycles_pct(256, 256), 100);
    assert_int_equal(carousel_cycles_pct(384, 256), 150);
    assert_int_equal(carousel_cycles_pct(1, 256), 1); /* rounded up */
    assert_int_equal(carousel_cycles_pct(257, 256), 101);
    assert_int_equal(carousel_cycles_pct(0, 256), 0);
    assert_int_equal(carousel_cycles_pct(10, 0), 0);
    /* The largest count: no overflow, no wrap. */
    assert_true(carousel_cycles_pct(UINT64_MAX, 1) == UINT64_MAX);
    assert_true(carousel_cycles_pct(UINT64_MAX, 200) == UINT64_MAX / 2 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_carousel_slots_cycle_through_the_blocks),
        cmocka_unit_test(test_fountain_slots_count_esis_and_wrap_at_2_24),
        cmocka_unit_test(test_nothing_is_due_before_the_start),
        cmocka_unit_test(test_slots_are_due_exactly_on_their_time),
        cmocka_unit_test(test_slots_due_never_go_back),
        cmocka_unit_test(test_slots_due_do_not_overflow_on_long_fast_runs),
        cmocka_unit_test(test_cycle_length),
        cmocka_unit_test(test_cycle_length_matches_the_schedule),
        cmocka_unit_test(test_cycles_heard_in_hundredths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
