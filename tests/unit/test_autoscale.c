/* test_autoscale.c - the central architecture's autoscaler on fixed rows:
 * the windows, target tracking, the provisioning delay, scale in after the
 * cool-down, DC outages, several DCs, and the spare indices it hands out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "coordinator/autoscale.h"

#define S(x) (NS_PER_S * (x))

static struct scenario scn;
static struct autoscaler as;
static struct autoscale_action act[SCN_MAX_DCS];

/* n_dc data centres of `servers` each, up to `max`; target 0.6, window 10 s,
 * provisioning 60 s, cool-down 30 s, scale in below 0.3. */
static void setup(uint32_t n_dc, uint32_t servers, uint32_t max)
{
    memset(&scn, 0, sizeof scn);
    scn.central.n_dc = n_dc;
    for (uint32_t i = 0; i < n_dc; i++) {
        scn.central.dc[i].servers = servers;
        scn.central.dc[i].max_servers = max;
        scn.central.dc[i].share = 1.0 / n_dc;
    }
    scn.central.autoscale = (struct scn_autoscale){.target = 0.6,
                                                   .window_ns = S(10),
                                                   .provisioning_ns = S(60),
                                                   .cooldown_ns = S(30),
                                                   .scale_in_below = 0.3};
}

static void start(void)
{
    autoscale_init(&as, &scn);
    memset(act, 0, sizeof act);
}

/* One row for DC 0 alone at t seconds. */
static uint32_t row1(int64_t t, double load, uint32_t up)
{
    return autoscale_row(&as, S(t), &load, &up, act);
}

/* Rows for DC 0 every second over [from, to], all answering nothing. */
static void quiet(int64_t from, int64_t to, double load, uint32_t up)
{
    for (int64_t t = from; t <= to; t++)
        if (row1(t, load, up) != 0)
            fail_msg("unexpected action at %llds", (long long)t);
}

static void assert_action(const struct autoscale_action *x, uint32_t dc, bool up, uint32_t first,
                          uint32_t count, int64_t decided_ns, int64_t at_ns)
{
    assert_int_equal(x->dc, dc);
    assert_int_equal(x->up, up);
    assert_int_equal(x->first, first);
    assert_int_equal(x->count, count);
    assert_int_equal(x->decided_ns, decided_ns);
    assert_int_equal(x->at_ns, at_ns);
}

static void off_when_target_is_zero(void **state)
{
    setup(1, 4, 10);
    scn.central.autoscale.target = 0;
    start();
    quiet(0, 300, 1.0, 4);   /* saturated for 5 minutes */
    quiet(301, 600, 0.0, 4); /* then idle */
    assert_int_equal(autoscale_servers(&as, 0), 4);
}

static void nothing_before_the_window_has_passed(void **state)
{
    setup(1, 4, 10);
    start();
    quiet(0, 9, 0.9, 4); /* the window opens at 0 s: 9 s is not 10 */
    assert_int_equal(row1(10, 0.9, 4), 1);
    assert_action(&act[0], 0, true, 4, 2, S(10), S(70));
}

static void a_dip_below_target_resets_the_window(void **state)
{
    setup(1, 4, 10);
    start();
    quiet(0, 8, 0.9, 4);
    quiet(9, 9, 0.59, 4);  /* just below target: closes the window */
    quiet(10, 19, 0.6, 4); /* at target counts as above: opens it again at 10 s */
    assert_int_equal(row1(20, 0.9, 4), 1);
    assert_int_equal(act[0].decided_ns, S(20));
}

static void target_tracking_sets_the_count(void **state)
{
    /* 4 servers at 0.9 with target 0.6: ceil(4 x 0.9 / 0.6) = 6, so +2. */
    setup(1, 4, 10);
    start();
    quiet(0, 9, 0.9, 4);
    assert_int_equal(row1(10, 0.9, 4), 1);
    assert_action(&act[0], 0, true, 4, 2, S(10), S(70));
    assert_int_equal(autoscale_servers(&as, 0), 6);
    assert_int_equal(as.dc[0].pending, 2);

    /* 3 servers at 1.0: ceil(5.0) = 5, +2; 3 at 0.61: ceil(3.05) = 4, +1;
     * 3 at 0.8: 4, +1, though 3 x 0.8 / 0.6 is 4.000000000000001 in doubles. */
    setup(3, 3, 10);
    start();
    double load[3] = {1.0, 0.61, 0.8};
    uint32_t up[3] = {3, 3, 3};
    for (int64_t t = 0; t < 10; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    assert_int_equal(autoscale_row(&as, S(10), load, up, act), 3);
    assert_action(&act[0], 0, true, 3, 2, S(10), S(70));
    assert_action(&act[1], 1, true, 3, 1, S(10), S(70));
    assert_action(&act[2], 2, true, 3, 1, S(10), S(70));
}

static void the_addition_is_capped_at_max(void **state)
{
    setup(1, 4, 5);
    start();
    quiet(0, 9, 3.0, 4); /* wants 20 */
    assert_int_equal(row1(10, 3.0, 4), 1);
    assert_action(&act[0], 0, true, 4, 1, S(10), S(70));
    assert_int_equal(autoscale_servers(&as, 0), 5);
    quiet(11, 200, 3.0, 5); /* at max: nothing more, before or after it is up */
    assert_int_equal(autoscale_servers(&as, 0), 5);

    setup(1, 4, 4); /* no spares at all */
    start();
    quiet(0, 100, 3.0, 4);
}

static void pending_servers_stop_additions_until_they_are_up(void **state)
{
    setup(1, 4, 20);
    start();
    quiet(0, 9, 0.9, 4);
    assert_int_equal(row1(10, 0.9, 4), 1); /* +2, up at 70 s */
    assert_int_equal(as.dc[0].pending, 2);
    /* The same load while they boot: desired 6 = active, nothing more. */
    quiet(11, 69, 0.9, 4);
    assert_int_equal(as.dc[0].pending, 2);
    assert_int_equal(autoscale_servers(&as, 0), 6);
    /* Up at 70 s; the load stayed high with 6 up: 9 wanted (6 x 0.9 / 0.6 is
     * 9.000000000000002 in doubles), +3. The window has been open since the
     * action, long enough. */
    assert_int_equal(row1(70, 0.9, 6), 1);
    assert_action(&act[0], 0, true, 6, 3, S(70), S(130));
    assert_int_equal(as.dc[0].pending, 3);
    assert_int_equal(autoscale_servers(&as, 0), 9);
}

static void a_growing_load_adds_more_while_others_boot(void **state)
{
    setup(1, 4, 20);
    start();
    quiet(0, 9, 0.9, 4);
    assert_int_equal(row1(10, 0.9, 4), 1); /* 6 active, 2 pending */
    quiet(11, 19, 0.9, 4);
    /* The window restarted at 10 s: at 20 s, 4 x 1.2 / 0.6 = 8 wanted. */
    assert_int_equal(row1(20, 1.2, 4), 1);
    assert_action(&act[0], 0, true, 6, 2, S(20), S(80));
    assert_int_equal(as.dc[0].pending, 4);
    assert_int_equal(as.dc[0].n_batch, 2);
    /* The batches come up one by one, each at its ready time. */
    quiet(21, 69, 0.9, 4);
    assert_int_equal(as.dc[0].pending, 4);
    quiet(70, 70, 0.6, 6);
    assert_int_equal(as.dc[0].pending, 2);
    quiet(71, 79, 0.6, 6);
    assert_int_equal(as.dc[0].pending, 2);
    quiet(80, 80, 0.6, 8);
    assert_int_equal(as.dc[0].pending, 0);
    assert_int_equal(as.dc[0].n_batch, 0);
}

static void nothing_for_a_dc_with_no_server_up(void **state)
{
    setup(1, 4, 10);
    start();
    quiet(0, 100, 1.0, 0); /* outage: the load measured nothing */
    quiet(101, 101, 0.1, 0);
    assert_int_equal(autoscale_servers(&as, 0), 4);
    /* Back, overloaded: a whole window of rows before it acts, even though
     * the load was high just before the outage. */
    setup(1, 4, 10);
    start();
    quiet(0, 8, 0.9, 4);
    quiet(9, 9, 0.9, 0);
    quiet(10, 19, 0.9, 4);
    assert_int_equal(row1(20, 0.9, 4), 1);
    assert_int_equal(act[0].decided_ns, S(20));
}

/* DC 0 of 2 servers (max 6) scaled to 4 at 10 s, up at 70 s. */
static void scaled_to_four(void)
{
    setup(1, 2, 6);
    start();
    quiet(0, 9, 1.2, 2);
    assert_int_equal(row1(10, 1.2, 2), 1); /* ceil(4.0) = 4: +2 */
    assert_action(&act[0], 0, true, 2, 2, S(10), S(70));
}

static void scale_in_waits_for_the_pending_batch(void **state)
{
    scaled_to_four();
    /* Idle from 11 s on, for longer than the cool-down: nothing while the
     * batch boots. */
    quiet(11, 69, 0.1, 2);
    assert_int_equal(autoscale_servers(&as, 0), 4);
    /* Up at 70 s; the below window (open since 11 s) and the last action
     * (10 s) are both older than 30 s: one removed, the last index. */
    assert_int_equal(row1(70, 0.1, 4), 1);
    assert_action(&act[0], 0, false, 3, 1, S(70), S(70));
    assert_int_equal(autoscale_servers(&as, 0), 3);
}

static void scale_in_one_per_cool_down_never_below_initial(void **state)
{
    scaled_to_four();
    quiet(11, 69, 0.5, 2); /* neither above nor below */
    quiet(70, 99, 0.1, 4); /* below from 70 s: 29 s is not 30 */
    assert_int_equal(row1(100, 0.1, 4), 1);
    assert_action(&act[0], 0, false, 3, 1, S(100), S(100));
    quiet(101, 129, 0.1, 3); /* one per cool-down */
    assert_int_equal(row1(130, 0.1, 3), 1);
    assert_action(&act[0], 0, false, 2, 1, S(130), S(130));
    quiet(131, 400, 0.0, 2); /* at initial: no further */
    assert_int_equal(autoscale_servers(&as, 0), 2);
}

static void scale_in_needs_the_cool_down_since_the_last_action(void **state)
{
    scaled_to_four();
    /* Still high: nothing more while the batch boots; up at 70 s, 4 x 1.2 /
     * 0.6 = 8 wanted, capped at 6: +2, up at 130 s. */
    quiet(11, 69, 1.2, 2);
    assert_int_equal(row1(70, 1.2, 4), 1);
    assert_action(&act[0], 0, true, 4, 2, S(70), S(130));
    /* Load falls at 71 s; pending until 130 s, then the last action (70 s) is
     * 60 s old and the below window 59 s: one goes at 130 s. */
    quiet(71, 129, 0.1, 4);
    assert_int_equal(row1(130, 0.1, 6), 1);
    assert_action(&act[0], 0, false, 5, 1, S(130), S(130));
    /* A row at scale_in_below closes the below window. */
    quiet(131, 150, 0.1, 5);
    quiet(151, 151, 0.3, 5);
    quiet(152, 181, 0.1, 5); /* reopened at 152 s */
    assert_int_equal(row1(182, 0.1, 5), 1);
    assert_action(&act[0], 0, false, 4, 1, S(182), S(182));
}

static void several_dcs_act_independently_in_one_call(void **state)
{
    setup(4, 2, 6);
    scn.central.dc[3].servers = 3;
    scn.central.dc[3].max_servers = 3;
    start();
    /* DC 0 high, DC 1 below target, DC 2 low (at initial), DC 3 high at max. */
    double load[4] = {0.9, 0.5, 0.1, 2.0};
    uint32_t up[4] = {2, 2, 2, 3};
    for (int64_t t = 0; t < 10; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    assert_int_equal(autoscale_row(&as, S(10), load, up, act), 1);
    assert_action(&act[0], 0, true, 2, 1, S(10), S(70)); /* ceil(3.0) = 3 */
    /* DC 1 climbs from 11 s; DC 0 stays. */
    load[1] = 1.5;
    for (int64_t t = 11; t < 21; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    /* At 21 s DC 1's window (from 11 s) has passed; DC 0's (from 10 s) too,
     * but it wants nothing more: 3 active. */
    assert_int_equal(autoscale_row(&as, S(21), load, up, act), 1);
    assert_action(&act[0], 1, true, 2, 3, S(21), S(81)); /* ceil(5.0) = 5 */
    /* Both calm down while their servers boot (the rows close their above
     * windows); at 82 s both are up. */
    load[0] = 0.5;
    load[1] = 0.5;
    for (int64_t t = 22; t < 82; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    /* Then DC 0 and DC 1 at 1.2 for 10 s: both act in one row, written in DC
     * order. */
    load[0] = 1.2;
    load[1] = 1.2;
    up[0] = 3;
    up[1] = 5;
    for (int64_t t = 82; t < 92; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    assert_int_equal(autoscale_row(&as, S(92), load, up, act), 2);
    assert_action(&act[0], 0, true, 3, 3, S(92), S(152)); /* ceil(6.0) = 6 */
    assert_action(&act[1], 1, true, 5, 1, S(92), S(152)); /* 10 wanted, max 6 */
    assert_int_equal(autoscale_servers(&as, 2), 2);
    assert_int_equal(autoscale_servers(&as, 3), 3);
    /* And both scale in on the same row. */
    load[0] = 0.1;
    load[1] = 0.1;
    up[0] = 6;
    up[1] = 6;
    for (int64_t t = 152; t < 182; t++)
        assert_int_equal(autoscale_row(&as, S(t), load, up, act), 0);
    assert_int_equal(autoscale_row(&as, S(182), load, up, act), 2);
    assert_action(&act[0], 0, false, 5, 1, S(182), S(182));
    assert_action(&act[1], 1, false, 5, 1, S(182), S(182));
}

static void indices_follow_the_ups_and_downs(void **state)
{
    setup(1, 2, 8);
    scn.central.autoscale.window_ns = 0; /* act on the first row above */
    scn.central.autoscale.provisioning_ns = S(5);
    scn.central.autoscale.cooldown_ns = S(10);
    start();
    assert_int_equal(row1(0, 0.9, 2), 1); /* ceil(3.0) = 3 */
    assert_action(&act[0], 0, true, 2, 1, 0, S(5));
    assert_int_equal(row1(5, 1.2, 3), 1); /* ceil(6.0) = 6 */
    assert_action(&act[0], 0, true, 3, 3, S(5), S(10));
    quiet(6, 9, 0.6, 3);
    quiet(10, 19, 0.1, 6);
    assert_int_equal(row1(20, 0.1, 6), 1);
    assert_action(&act[0], 0, false, 5, 1, S(20), S(20));
    quiet(21, 29, 0.1, 5);
    assert_int_equal(row1(30, 0.1, 5), 1);
    assert_action(&act[0], 0, false, 4, 1, S(30), S(30));
    /* Up again from 4: [4, 8) capped at max 8 (ceil(4 x 2.0 / 0.6) = 14). */
    assert_int_equal(row1(31, 2.0, 4), 1);
    assert_action(&act[0], 0, true, 4, 4, S(31), S(36));
    assert_int_equal(autoscale_servers(&as, 0), 8);
    /* Down again after it is up and the cool-down: from the top. */
    quiet(32, 41, 0.1, 4); /* below from 32 s */
    assert_int_equal(row1(42, 0.1, 8), 1);
    assert_action(&act[0], 0, false, 7, 1, S(42), S(42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(off_when_target_is_zero),
        cmocka_unit_test(nothing_before_the_window_has_passed),
        cmocka_unit_test(a_dip_below_target_resets_the_window),
        cmocka_unit_test(target_tracking_sets_the_count),
        cmocka_unit_test(the_addition_is_capped_at_max),
        cmocka_unit_test(pending_servers_stop_additions_until_they_are_up),
        cmocka_unit_test(a_growing_load_adds_more_while_others_boot),
        cmocka_unit_test(nothing_for_a_dc_with_no_server_up),
        cmocka_unit_test(scale_in_waits_for_the_pending_batch),
        cmocka_unit_test(scale_in_one_per_cool_down_never_below_initial),
        cmocka_unit_test(scale_in_needs_the_cool_down_since_the_last_action),
        cmocka_unit_test(several_dcs_act_independently_in_one_call),
        cmocka_unit_test(indices_follow_the_ups_and_downs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
