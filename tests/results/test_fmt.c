/* test_fmt.c - human units, intervals and sparklines. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"
#include "sparkline.h"

static char b[FMT_LEN * 2];

static const char *v(enum unit u, double x)
{
    fmt_value(u, x, b, sizeof b);
    return b;
}

static void durations(void **state)
{
    assert_string_equal(v(UNIT_SECONDS, 2.4), "2.40 s");
    assert_string_equal(v(UNIT_SECONDS, 0.85), "850 ms");
    assert_string_equal(v(UNIT_SECONDS, 1.23e-5), "12.3 µs");
    assert_string_equal(v(UNIT_SECONDS, 125), "125 s");
    assert_string_equal(v(UNIT_SECONDS, 1800), "30.0 min");
    assert_string_equal(v(UNIT_SECONDS, 0.9999), "1.00 s");
    assert_string_equal(v(UNIT_MS, 1.15), "1.15 ms");
    assert_string_equal(v(UNIT_MS, 0.138), "138 µs");
}

static void counts_rates_bytes(void **state)
{
    assert_string_equal(v(UNIT_COUNT, 4157), "4,157");
    assert_string_equal(v(UNIT_COUNT, 757.5), "757.5");
    assert_string_equal(v(UNIT_COUNT, 1234567), "1.23M");
    assert_string_equal(v(UNIT_COUNT, 0), "0");
    assert_string_equal(v(UNIT_RATE, 1234), "1.23k/s");
    assert_string_equal(v(UNIT_RATE, 392), "392/s");
    assert_string_equal(v(UNIT_RATE, 14.5), "14.5/s");
    assert_string_equal(v(UNIT_BYTES, 12.3 * 1048576), "12.3 MiB");
    assert_string_equal(v(UNIT_BYTES, 512), "512 B");
    assert_string_equal(v(UNIT_RATIO, 1.3862), "1.39×");
    assert_string_equal(v(UNIT_PERCENT, 99.5), "99.5%");
    assert_string_equal(v(UNIT_BOOL, 1), "yes");
    assert_string_equal(v(UNIT_SECONDS, NAN), "n/a");
}

static void bitrates_and_plain_numbers(void **state)
{
    assert_string_equal(v(UNIT_MBPS, 38.1), "38.1 Mbit/s");
    assert_string_equal(v(UNIT_MBPS, 0.512), "512 kbit/s");
    assert_string_equal(v(UNIT_MBPS, 1250), "1.25 Gbit/s");
    assert_string_equal(v(UNIT_MBPS, 0), "0 Mbit/s");
    assert_string_equal(v(UNIT_NUMBER, 1.4), "1.40");
    assert_string_equal(v(UNIT_NUMBER, 12.345), "12.3");
    fmt_delta(UNIT_MBPS, -2.5, b, sizeof b);
    assert_string_equal(b, "-2.50 Mbit/s");
    /* The interval in the mean's scale and decimals. */
    fmt_pm(UNIT_MBPS, 0.75, 0.05, b, sizeof b);
    assert_string_equal(b, "750 ± 50 kbit/s");
    fmt_pm(UNIT_NUMBER, 1.42, 0.031, b, sizeof b);
    assert_string_equal(b, "1.42 ± 0.03");
}

static void significant_digits_carry(void **state)
{
    fmt_sig(9.996, 3, b, sizeof b);
    assert_string_equal(b, "10.0");
    fmt_sig(99.96, 3, b, sizeof b);
    assert_string_equal(b, "100");
    fmt_sig(0.012345, 3, b, sizeof b);
    assert_string_equal(b, "0.0123");
}

static void deltas_and_percent_changes(void **state)
{
    fmt_delta(UNIT_SECONDS, -0.08, b, sizeof b);
    assert_string_equal(b, "-80.0 ms");
    fmt_delta(UNIT_COUNT, 312, b, sizeof b);
    assert_string_equal(b, "+312");
    fmt_delta(UNIT_COUNT, 0, b, sizeof b);
    assert_string_equal(b, "±0");
    fmt_pct_change(4.8, b, sizeof b);
    assert_string_equal(b, "+4.8%");
    fmt_pct_change(-27.4, b, sizeof b);
    assert_string_equal(b, "-27%");
    fmt_pct_change(NAN, b, sizeof b);
    assert_string_equal(b, "");
}

static void intervals_share_the_means_unit(void **state)
{
    fmt_pm(UNIT_SECONDS, 1.05, 0.039, b, sizeof b);
    assert_string_equal(b, "1.05 ± 0.04 s");
    fmt_pm(UNIT_MS, 1.34, 0.813, b, sizeof b);
    assert_string_equal(b, "1.34 ± 0.81 ms");
    fmt_pm(UNIT_COUNT, 4157, 312.4, b, sizeof b);
    assert_string_equal(b, "4,157 ± 312");
    fmt_pm(UNIT_SECONDS, 2.0, 0.001, b, sizeof b);
    assert_string_equal(b, "2.00 ± 0.001 s"); /* not rounded away */
    fmt_pm(UNIT_MS, 7.17, 39.03, b, sizeof b);
    assert_string_equal(b, "7.17 ± 39.0 ms"); /* three digits of the interval at most */
    fmt_pm(UNIT_SECONDS, 2.0, NAN, b, sizeof b);
    assert_string_equal(b, "2.00 s");
}

static void sparkline_levels(void **state)
{
    struct sbuf s;
    sbuf_init(&s);
    double x[] = {0, 0.5, 0.99, 1};
    sparkline(x, 4, 0, 1, 60, false, &s);
    assert_string_equal(sbuf_str(&s), "▁▄▇█"); /* the full block only at 100% */
    sbuf_reset(&s);
    sparkline(x, 4, 0, 1, 60, true, &s);
    assert_string_equal(sbuf_str(&s), "_-*#");
    sbuf_free(&s);
}

/* Far outside [lo, hi], or NaN from inf - inf: the lowest block, and no
 * double converted to an int it does not fit (the fuzz target
 * timeseries_csv found "online" = -5e53: tests/fuzz/crashes/). */
static void sparkline_clamps_values_far_out_of_range(void **state)
{
    struct sbuf s;
    sbuf_init(&s);
    double x[] = {-5e53, -INFINITY, 1e300};
    sparkline(x, 3, 0, 1, 60, false, &s);
    assert_string_equal(sbuf_str(&s), "▁▁█");
    sbuf_reset(&s);
    double y[] = {-INFINITY};
    sparkline(y, 1, -INFINITY, 1, 60, true, &s);
    assert_string_equal(sbuf_str(&s), "_");
    sbuf_free(&s);
}

static void sparkline_resamples_and_shows_gaps(void **state)
{
    struct sbuf s;
    sbuf_init(&s);
    double x[] = {0, 0, 1, 1, NAN, NAN};
    sparkline(x, 6, 0, 1, 3, false, &s);
    assert_string_equal(sbuf_str(&s), "▁█ ");
    assert_int_equal(sparkline_columns(6, 3), 3);
    assert_int_equal(sparkline_columns(2, 60), 2);
    sbuf_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(counts_rates_bytes),
        cmocka_unit_test(bitrates_and_plain_numbers),
        cmocka_unit_test(significant_digits_carry),
        cmocka_unit_test(deltas_and_percent_changes),
        cmocka_unit_test(intervals_share_the_means_unit),
        cmocka_unit_test(sparkline_levels),
        cmocka_unit_test(sparkline_clamps_values_far_out_of_range),
        cmocka_unit_test(sparkline_resamples_and_shows_gaps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
