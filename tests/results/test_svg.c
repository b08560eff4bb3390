/* test_svg.c - SVG paths, nice ticks, tick labels and chart markup. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "svg.h"

static const struct scale sx = {0, 2, 0, 100}, sy = {0, 10, 50, 0};

static void path_of_known_series(void **state)
{
    double x[] = {0, 1, 2}, y[] = {0, 5, 10};
    struct sbuf b;
    sbuf_init(&b);
    svg_path(x, y, 3, &sx, &sy, &b);
    assert_string_equal(sbuf_str(&b), "M0.0,50.0L50.0,25.0L100.0,0.0");
    sbuf_free(&b);
}

static void nan_breaks_the_line(void **state)
{
    double x[] = {0, 0.5, 1, 1.5, 2}, y[] = {0, NAN, 5, 6, 10};
    struct sbuf b;
    sbuf_init(&b);
    svg_path(x, y, 5, &sx, &sy, &b);
    assert_string_equal(sbuf_str(&b), "M0.0,50.0M50.0,25.0L75.0,20.0L100.0,0.0");
    sbuf_free(&b);
}

static void empty_and_all_nan_series_give_no_path(void **state)
{
    double x[] = {0, 1}, y[] = {NAN, INFINITY};
    struct sbuf b;
    sbuf_init(&b);
    svg_path(x, y, 0, &sx, &sy, &b);
    assert_string_equal(sbuf_str(&b), "");
    svg_path(x, y, 2, &sx, &sy, &b);
    assert_string_equal(sbuf_str(&b), "");
    sbuf_free(&b);
}

static void scale_maps_linearly(void **state)
{
    assert_true(scale_map(&sy, 2.5) == 37.5);
    struct scale flat = {3, 3, 0, 100};
    assert_true(scale_map(&flat, 3) == 50); /* degenerate domain: the middle */
}

static void nice_numbers(void **state)
{
    assert_true(svg_nice_num(438, true) == 500);
    assert_true(svg_nice_num(0.0036, true) == 0.005);
    assert_true(svg_nice_num(1.4, true) == 1);
    assert_true(svg_nice_num(2.9, true) == 2);
    assert_true(svg_nice_num(6.9, true) == 5);
    assert_true(svg_nice_num(7.1, true) == 10);
    assert_true(svg_nice_num(3, false) == 5);
}

static void check_ticks(double min, double max, int target, double lo, double hi, double step,
                        int n)
{
    struct ticks t;
    svg_ticks(min, max, target, &t);
    assert_true(fabs(t.lo - lo) < 1e-12);
    assert_true(fabs(t.hi - hi) < 1e-12);
    assert_true(fabs(t.step - step) < 1e-12);
    assert_int_equal(t.n, n);
}

static void ticks_are_nice(void **state)
{
    check_ticks(0, 438, 5, 0, 500, 100, 6);
    check_ticks(0, 100, 5, 0, 100, 20, 6);
    check_ticks(0, 25, 7, 0, 25, 5, 6);
    check_ticks(0, 60, 7, 0, 60, 10, 7);
    check_ticks(0.015, 0.055, 12, 0.015, 0.055, 0.005, 9);
    check_ticks(-3, 7, 5, -4, 8, 2, 7);
}

static void degenerate_ranges_get_ticks(void **state)
{
    check_ticks(0, 0, 5, 0, 1, 0.2, 6);
    check_ticks(NAN, 3, 5, 0, 1, 0.2, 6);
    check_ticks(40, 40, 5, 36, 44, 2, 5);
    check_ticks(-1e308, 1e308, 5, 0, 1, 0.2, 6); /* the span overflows */
    struct ticks t;
    svg_ticks(0, 1e300, 5, &t);
    assert_true(t.n >= 2 && t.n <= 1000 && isfinite(t.hi));
}

static void tick_labels_use_the_steps_decimals(void **state)
{
    char b[32];
    svg_tick_label(0.25, 0.05, b, sizeof b);
    assert_string_equal(b, "0.25");
    svg_tick_label(100, 100, b, sizeof b);
    assert_string_equal(b, "100");
    svg_tick_label(2.5, 0.5, b, sizeof b);
    assert_string_equal(b, "2.5");
    svg_tick_label(20000, 5000, b, sizeof b);
    assert_string_equal(b, "20k");
    svg_tick_label(1e-17, 0.2, b, sizeof b); /* rounding noise is zero */
    assert_string_equal(b, "0.0");
}

static void chart_with_data_has_axes_series_and_markers(void **state)
{
    double x[] = {0, 1, 2}, y[] = {0, 50, 100};
    struct svg_series s = {.label = "run <a>", .x = x, .y = y, .n = 3, .color = "#123456"};
    struct svg_vline v = {1, "reboot"};
    struct svg_hline h = {80, "capacity 80/s", NULL, NULL};
    struct svg_chart c = {.id = "t",
                          .title = "Title & <more>",
                          .xlabel = "time (s)",
                          .ylabel = "logins (1/s)",
                          .x_min = 0,
                          .x_max = 2,
                          .y_max = NAN,
                          .series = &s,
                          .n_series = 1,
                          .vlines = &v,
                          .n_vlines = 1,
                          .hlines = &h,
                          .n_hlines = 1};
    struct sbuf b;
    sbuf_init(&b);
    svg_chart(&c, &b);
    const char *o = sbuf_str(&b);
    assert_non_null(strstr(o, "<svg class=\"chart\" id=\"t\""));
    assert_non_null(strstr(o, "<title id=\"t-t\">Title &amp; &lt;more&gt;</title>"));
    assert_non_null(strstr(o, "<path class=\"series\" d=\"M"));
    assert_non_null(strstr(o, "stroke=\"#123456\""));
    assert_non_null(strstr(o, "<title>run &lt;a&gt;</title>"));
    assert_non_null(strstr(o, ">time (s)</text>"));
    assert_non_null(strstr(o, ">logins (1/s)</text>"));
    assert_non_null(strstr(o, "class=\"event\""));
    assert_non_null(strstr(o, ">reboot</text>"));
    assert_non_null(strstr(o, ">capacity 80/s</text>"));
    assert_null(strstr(o, "no data"));
    assert_non_null(strstr(o, "</svg>"));
    sbuf_free(&b);
}

static void chart_without_data_says_so(void **state)
{
    double x[] = {NAN}, y[] = {NAN};
    struct svg_series s = {.label = "r", .x = x, .y = y, .n = 1, .color = "#000"};
    struct svg_chart c = {.id = "e",
                          .title = "Empty",
                          .x_min = NAN,
                          .x_max = NAN,
                          .y_max = NAN,
                          .series = &s,
                          .n_series = 1,
                          .empty_text = "no data: nothing here"};
    struct sbuf b;
    sbuf_init(&b);
    svg_chart(&c, &b);
    assert_non_null(strstr(sbuf_str(&b), ">no data: nothing here</text>"));
    assert_null(strstr(sbuf_str(&b), "class=\"series\""));
    sbuf_free(&b);
}

static void bars_are_drawn_per_series(void **state)
{
    double edges[] = {0, 1, 2}, c0[] = {3, 0}, c1[] = {1, 2};
    const double *counts[] = {c0, c1};
    const char *colors[] = {"#111111", "#222222"}, *labels[] = {"a", "b"};
    struct svg_bars bars = {edges, 2, counts, colors, labels, 2};
    struct svg_chart c = {.id = "b",
                          .title = "Bars",
                          .x_min = NAN,
                          .x_max = NAN,
                          .y_max = NAN,
                          .y_integer = true,
                          .bars = &bars};
    struct sbuf b;
    sbuf_init(&b);
    svg_chart(&c, &b);
    const char *o = sbuf_str(&b);
    size_t rects = 0;
    for (const char *p = o; (p = strstr(p, "<rect x=")); p++)
        rects++;
    assert_int_equal(rects, 3 + 1); /* three non-zero bars + the clip rectangle */
    assert_non_null(strstr(o, "fill=\"#222222\""));
    sbuf_free(&b);
}

/* The autoscaler's marks: a tick up from the x axis with its label, in its
 * colour, the tooltip escaped; close ones staggered; outside the x range
 * none. */
static void scale_marks_are_ticks_from_the_axis(void **state)
{
    double x[] = {0, 10}, y[] = {0, 1};
    struct svg_series s = {.label = "r", .x = x, .y = y, .n = 2, .color = "#000"};
    struct svg_mark m[] = {{5, "+2 eu", "#e0592a", "run <a>: scale_up"},
                           {5.1, "-1 us", NULL, NULL},
                           {11, "+1 late", NULL, NULL}};
    struct svg_chart c = {.id = "m",
                          .title = "Marks",
                          .x_min = 0,
                          .x_max = 10,
                          .y_max = NAN,
                          .series = &s,
                          .n_series = 1,
                          .marks = m,
                          .n_marks = 3};
    struct sbuf b;
    sbuf_init(&b);
    svg_chart(&c, &b);
    const char *o = sbuf_str(&b);
    /* x = 62 + 5/10 * (640 - 18 - 62) = 342; the axis at 300 - 46 = 254. */
    assert_non_null(strstr(o, "<g class=\"mark\"><title>run &lt;a&gt;: scale_up</title><line "
                              "x1=\"342.0\" y1=\"254.0\" x2=\"342.0\" y2=\"242.0\" "
                              "stroke=\"#e0592a\" stroke-width=\"2\"/><text x=\"344.0\" "
                              "y=\"245.0\" text-anchor=\"start\" class=\"mark\" "
                              "fill=\"#e0592a\">+2 eu</text></g>"));
    /* 5.6 px further: the next row up, in the default colour, its label as
     * its tooltip. */
    assert_non_null(strstr(o, "<title>-1 us</title><line x1=\"347.6\" y1=\"254.0\" "
                              "x2=\"347.6\" y2=\"230.0\" stroke=\"#2f3542\""));
    assert_null(strstr(o, "+1 late"));
    sbuf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_of_known_series),
        cmocka_unit_test(nan_breaks_the_line),
        cmocka_unit_test(empty_and_all_nan_series_give_no_path),
        cmocka_unit_test(scale_maps_linearly),
        cmocka_unit_test(nice_numbers),
        cmocka_unit_test(ticks_are_nice),
        cmocka_unit_test(degenerate_ranges_get_ticks),
        cmocka_unit_test(tick_labels_use_the_steps_decimals),
        cmocka_unit_test(chart_with_data_has_axes_series_and_markers),
        cmocka_unit_test(chart_without_data_says_so),
        cmocka_unit_test(bars_are_drawn_per_series),
        cmocka_unit_test(scale_marks_are_ticks_from_the_axis),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
