/* test_gslb.c - the global policy between data centres (node/gslb) on fixed
 * per-DC status rows: home-only, spill, staleness, the history ring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/scenario.h"
#include "node/gslb.h"

#define NS_S 1000000000LL

static struct gslb g; /* ~50 kB: not on the stack */

static const struct dc_status OK = {.fd_up = true, .servers_up = 4, .load = 0.5};

static void expect(uint32_t home, int64_t now, uint32_t want)
{
    bool spilled = !(want != home); /* the opposite of what is expected */
    assert_int_equal(gslb_choose(&g, home, now, &spilled), want);
    assert_int_equal(spilled, want != home);
}

static void test_home_only_ignores_dead_home(void **state)
{
    gslb_init(&g, 3, GLOBAL_HOME_ONLY, 0.8, 0);
    struct dc_status dc[3] = {OK, OK, OK};
    dc[0].fd_up = false;
    dc[0].servers_up = 0;
    dc[1].load = 0.1;
    gslb_update(&g, NS_S, dc);
    expect(0, NS_S, 0);
    expect(2, NS_S, 2);
}

static void test_spill_from_unfit_home(void **state)
{
    struct dc_status dc[3] = {OK, OK, OK};
    dc[1].load = 0.5;
    dc[2].load = 0.3;
    for (int why = 0; why < 5; why++) {
        gslb_init(&g, 3, GLOBAL_SPILL, 0.8, 0);
        dc[0] = OK;
        switch (why) {
        case 0:
            dc[0].fd_up = false;
            break;
        case 1:
            dc[0].servers_up = 0;
            break;
        case 2:
            dc[0].refusing = true;
            break;
        case 3:
            dc[0].load = 0.8; /* at the threshold */
            break;
        default:
            dc[0].load = 1.5;
            break;
        }
        gslb_update(&g, NS_S, dc);
        expect(0, NS_S, 2);
    }
    /* Ties go to the lowest index; DCs that are not fine are not candidates. */
    gslb_init(&g, 4, GLOBAL_SPILL, 0.8, 0);
    struct dc_status four[4] = {OK, OK, OK, OK};
    four[0].refusing = true;
    four[1].load = 0.3;
    four[2].load = 0.3;
    four[3].load = 0.1;
    four[3].refusing = true;
    gslb_update(&g, NS_S, four);
    expect(0, NS_S, 1);
    expect(3, NS_S, 1);
}

static void test_stays_home_when_fine(void **state)
{
    gslb_init(&g, 3, GLOBAL_SPILL, 0.8, 0);
    struct dc_status dc[3] = {OK, OK, OK};
    dc[0].load = 0.79;
    dc[1].load = 0.0;
    gslb_update(&g, NS_S, dc);
    expect(0, NS_S, 0);
    expect(2, NS_S, 2);
    expect(7, NS_S, 7); /* not a DC: returned as is */
    assert_int_equal(gslb_choose(&g, 0, NS_S, NULL), 0);
}

/* Rows every second from 1 s; DC 0's front door is down in rows from 10 s.
 * With 3 s of staleness the outage is acted on from 13 s. */
static void test_staleness(void **state)
{
    gslb_init(&g, 2, GLOBAL_SPILL, 0.8, 3 * NS_S);
    struct dc_status dc[2] = {OK, OK};
    dc[0].fd_up = false;
    gslb_update(&g, 1 * NS_S, dc);
    /* No row 3 s old yet: no view, home, even though home is down. */
    assert_null(gslb_view(&g, 2 * NS_S));
    expect(0, 2 * NS_S, 0);
    assert_non_null(gslb_view(&g, 4 * NS_S));
    expect(0, 4 * NS_S, 1);

    gslb_init(&g, 2, GLOBAL_SPILL, 0.8, 3 * NS_S);
    for (int64_t t = 1; t <= 20; t++) {
        dc[0] = OK;
        dc[0].fd_up = t < 10;
        gslb_update(&g, t * NS_S, dc);
    }
    expect(0, 13 * NS_S - 1, 0); /* row 9 s */
    expect(0, 13 * NS_S, 1);     /* row 10 s */
    expect(0, 25 * NS_S, 1);     /* the newest row, 20 s */
}

/* Rows t = 1..n s; DC 1's load carries the row's time, to tell rows apart. */
static void fill(uint32_t n, int64_t staleness_ns)
{
    gslb_init(&g, 2, GLOBAL_SPILL, 0.8, staleness_ns);
    for (uint32_t k = 1; k <= n; k++) {
        struct dc_status dc[2] = {OK, OK};
        dc[1].load = k;
        gslb_update(&g, (int64_t)k * NS_S, dc);
    }
}

static double view_row(int64_t now)
{
    const struct dc_status *v = gslb_view(&g, now);
    assert_non_null(v);
    return v ? v[1].load : -1;
}

static void test_ring_wraps(void **state)
{
    fill(600, 0);
    assert_int_equal(g.count, GSLB_HISTORY);
    assert_true(view_row(600 * NS_S) == 600);
    assert_true(view_row(1000 * NS_S) == 600);
    fill(600, 10 * NS_S);
    assert_true(view_row(600 * NS_S) == 590);
    assert_true(view_row(600 * NS_S - 1) == 589);
    /* 300 rows of staleness: row 300 was overwritten (rows 345..600 are
     * kept), so the oldest kept stands in. */
    fill(600, 300 * NS_S);
    assert_true(view_row(600 * NS_S) == 345);
    assert_true(view_row(700 * NS_S) == 400);
    /* Older than any row ever received: no view. */
    fill(600, 1000 * NS_S);
    assert_null(gslb_view(&g, 600 * NS_S));
    assert_true(view_row(1344 * NS_S) == 345); /* row 344 was dropped */
    /* Exactly full, nothing dropped. */
    fill(GSLB_HISTORY, 255 * NS_S);
    assert_true(view_row(256 * NS_S) == 1);
    assert_null(gslb_view(&g, 256 * NS_S - 1));
    fill(GSLB_HISTORY + 1, 255 * NS_S);
    assert_true(view_row(256 * NS_S) == 2); /* stands in for the dropped row 1 */
    assert_null(gslb_view(&g, NS_S - 1));
}

static void test_nobody_fine(void **state)
{
    gslb_init(&g, 3, GLOBAL_SPILL, 0.8, 0);
    struct dc_status dc[3] = {OK, OK, OK};
    dc[0].load = 0.95;
    dc[1].load = 0.9;
    dc[2].load = 0.85;
    dc[2].refusing = true; /* refusing, but reachable */
    gslb_update(&g, 1 * NS_S, dc);
    expect(0, 1 * NS_S, 2); /* 0.85 < 0.95 */
    expect(1, 1 * NS_S, 2);
    expect(2, 1 * NS_S, 2); /* home the least loaded: stays */

    dc[0].load = 0.85; /* no lower than home: stay */
    gslb_update(&g, 2 * NS_S, dc);
    expect(0, 2 * NS_S, 0);

    dc[0].servers_up = 0; /* home unreachable: any reachable one */
    dc[0].load = 0.0;
    gslb_update(&g, 3 * NS_S, dc);
    expect(0, 3 * NS_S, 2);

    dc[1].fd_up = false; /* nobody reachable: home */
    dc[2].servers_up = 0;
    gslb_update(&g, 4 * NS_S, dc);
    expect(0, 4 * NS_S, 0);
    expect(1, 4 * NS_S, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_only_ignores_dead_home),
        cmocka_unit_test(test_spill_from_unfit_home),
        cmocka_unit_test(test_stays_home_when_fine),
        cmocka_unit_test(test_staleness),
        cmocka_unit_test(test_ring_wraps),
        cmocka_unit_test(test_nobody_fine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
