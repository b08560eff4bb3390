/* test_summary.c - the fidelity verdict and the run.json summary figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "coordinator/summary.h"

#define ROWS 30

static struct scenario scn;
static struct ts_row rows[ROWS];
static struct fired_event fired[4];

/* 30 quiet 1 s intervals, two events fired on two ranks with 0.1 ms skew. */
static struct run_record quiet_run(void)
{
    scenario_defaults(&scn);
    scn.metrics.interval_ns = NS_PER_S;
    scn.control.max_lag_p99_ms = 50;
    scn.control.max_skew_p99_ms = 10;
    scn.n_events = 2;
    scn.events[0] = (struct scn_event){.at_ns = 0, .kind = EV_BOOT, .fraction = 1};
    scn.events[1] = (struct scn_event){.at_ns = 10 * NS_PER_S, .kind = EV_REBOOT, .fraction = 1};
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < ROWS; i++) {
        rows[i].t_s = i + 1;
        rows[i].lag_p99_ms = 2;
        rows[i].cpu_max = 0.3;
    }
    for (int i = 0; i < 4; i++)
        fired[i] = (struct fired_event){.event = (uint32_t)i / 2,
                                        .rank = 1 + i % 2,
                                        .scheduled_ns = (i / 2) * 10 * NS_PER_S,
                                        .actual_ns = (i / 2) * 10 * NS_PER_S + 100000};
    return (struct run_record){.scn = &scn,
                               .world = 3,
                               .n_host_ranks = 2,
                               .rows = rows,
                               .n_rows = ROWS,
                               .fired = fired,
                               .n_fired = 4};
}

static void quiet_run_is_valid(void **state)
{
    struct run_record r = quiet_run();
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_true(f.valid);
    assert_string_equal(f.reason, "");
    assert_true(f.skew_p99_ms > 0.099 && f.skew_p99_ms < 0.101);
}

static void whole_run_lag_over_limit_is_invalid(void **state)
{
    struct run_record r = quiet_run();
    struct fidelity f;
    fidelity_assess(&r, 80.0, &f);
    assert_false(f.valid);
    assert_non_null(strstr(f.reason, "over the run"));
}

static void one_late_interval_is_not_sustained(void **state)
{
    struct run_record r = quiet_run();
    rows[5].lag_p99_ms = 400;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_true(f.valid);
    assert_true(f.lag_interval_max_ms == 400);
    assert_true(f.overloaded_s == 1.0);
}

static void lag_over_limit_for_two_seconds_is_invalid(void **state)
{
    /* the storm hides in a quiet run: whole-run p99 is fine, 3 s are not */
    struct run_record r = quiet_run();
    rows[5].lag_p99_ms = rows[6].lag_p99_ms = rows[7].lag_p99_ms = 120;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_true(f.overloaded_s == 3.0);
    assert_non_null(strstr(f.reason, "3.0 s in a row"));
}

static void sustained_lag_needs_two_seconds_with_short_intervals(void **state)
{
    struct run_record r = quiet_run();
    scn.metrics.interval_ns = NS_PER_S / 2;
    for (int i = 5; i < 8; i++) /* 1.5 s */
        rows[i].lag_p99_ms = 120;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_true(f.valid);
    rows[8].lag_p99_ms = 120; /* 2.0 s */
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
}

static void saturated_cpu_for_five_seconds_is_invalid(void **state)
{
    struct run_record r = quiet_run();
    for (int i = 10; i < 14; i++)
        rows[i].cpu_max = 0.99;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_true(f.valid);
    rows[14].cpu_max = 0.97;
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_true(f.cpu_saturated_s == 5.0);
}

static void event_skew_over_limit_is_invalid(void **state)
{
    struct run_record r = quiet_run();
    fired[3].actual_ns = fired[3].scheduled_ns - 25 * NS_PER_MS; /* early counts too */
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_true(f.skew_max_ms > 24.9 && f.skew_max_ms < 25.1);
    assert_non_null(strstr(f.reason, "skew"));
}

static void missing_event_report_is_invalid(void **state)
{
    struct run_record r = quiet_run();
    r.n_fired = 3;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_non_null(strstr(f.reason, "3 of 4"));
}

static void incomplete_run_is_invalid(void **state)
{
    struct run_record r = quiet_run();
    r.incomplete_why = "ranks stopped reporting";
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_non_null(strstr(f.reason, "incomplete"));
}

static void summary_times_count_from_the_first_boot(void **state)
{
    struct run_record r = quiet_run();
    scn.nodes.peers = 4;
    scn.events[0].at_ns = 2 * NS_PER_S; /* storm starts at 2 s */
    int64_t online[4] = {3 * NS_PER_S, 4 * NS_PER_S, -1, 5 * NS_PER_S};
    uint32_t attempts[4] = {1, 3, 9, 2};
    struct rank_info ri[3] = {0};
    struct run_final f = {
        .ranks = ri, .first_online_ns = online, .attempts = attempts, .n_peers = 4};
    rows[0].d[C_LOGIN_ATTEMPTS] = 10;
    rows[1].d[C_LOGIN_ATTEMPTS] = 5;
    rows[ROWS - 1].g[G_ONLINE] = 3;
    struct fidelity fid;
    fidelity_assess(&r, 1.0, &fid);
    struct verdict v;
    verdicts_assess(&r, &v);
    struct timing_figures tf;
    figures_assess(&r, &f, &v, &tf);
    json_t *sum = summary_build(&r, &f, &fid, &v, &tf);
    /* 50% of 4 peers = 2 online: the second one, at 4 s, i.e. 2 s after the storm */
    assert_true(json_real_value(json_object_get(sum, "t50_s")) == 2.0);
    assert_true(json_is_null(json_object_get(sum, "t95_s"))); /* only 3 of 4 ever */
    assert_int_equal(json_integer_value(json_object_get(sum, "ever_online")), 3);
    assert_int_equal(json_integer_value(json_object_get(sum, "online_final")), 3);
    assert_int_equal(json_integer_value(json_object_get(sum, "login_attempts")), 15);
    assert_int_equal(json_integer_value(json_object_get(sum, "login_attempts_per_node_max")), 9);
    assert_true(json_real_value(json_object_get(sum, "peak_login_rps")) == 10.0);
    json_decref(sum);
}

/* ---- verdicts ---- */

static int64_t sched[2];

/* 30 rows of 1 s; a reboot at 10 s over 2 s; 1000 online before it;
 * login servers: 2 up, 1 worker of 20 ms each = 100 logins/s. */
static struct run_record trigger_run(void)
{
    struct run_record r = quiet_run();
    scn.events[1].over_ns = 2 * NS_PER_S;
    scn.login_server.cap.workers = 1;
    scn.login_server.cap.service_time = (struct dist){DIST_CONST, 20e6, 0};
    sched[0] = 0;
    sched[1] = 10 * NS_PER_S;
    r.sched_at = sched;
    for (int i = 0; i < ROWS; i++) {
        rows[i].g[G_ONLINE] = 1000;
        rows[i].g[G_LS_UP] = 2;
    }
    return r;
}

static void dip_then_back_is_recovered(void **state)
{
    struct run_record r = trigger_run();
    for (int i = 11; i < 19; i++) /* t = 12 .. 19 s */
        rows[i].g[G_ONLINE] = 300;
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.has_trigger && v.has_level);
    assert_true(v.trigger_start_s == 10 && v.trigger_end_s == 12);
    assert_true(v.level_before == 1000);
    assert_true(v.recovered);
    assert_true(v.recovery_s == 8.0); /* back at t = 20 s, 8 s after the end */
}

static void staying_low_is_not_recovered(void **state)
{
    struct run_record r = trigger_run();
    for (int i = 11; i < ROWS; i++)
        rows[i].g[G_ONLINE] = 600;
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_false(v.recovered);
    assert_true(v.recovery_s < 0);
}

static void collapse_after_the_trigger_is_not_an_instant_recovery(void **state)
{
    /* a cascade: still up right after the trigger, then down, then back */
    struct run_record r = trigger_run();
    for (int i = 14; i < 24; i++) /* t = 15 .. 24 s */
        rows[i].g[G_ONLINE] = 0;
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.recovered);
    assert_true(v.recovery_s == 13.0); /* back for good at t = 25 s */
}

static void no_trigger_means_no_recovery_verdict(void **state)
{
    struct run_record r = trigger_run();
    scn.n_events = 1; /* only the boot */
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_false(v.has_trigger);
    assert_false(v.recovered);
}

static void a_stall_is_a_trigger_that_lasts_its_for(void **state)
{
    struct run_record r = trigger_run();
    scn.events[1].kind = EV_STALL;
    scn.events[1].role = ROLE_SERVICE;
    scn.events[1].for_ns = 3 * NS_PER_S;
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.has_trigger);
    assert_true(v.trigger_start_s == 10 && v.trigger_end_s == 13);
    scn.events[1].kind = EV_PARTITION; /* not a trigger (yet) */
    verdicts_assess(&r, &v);
    assert_false(v.has_trigger);
    scn.events[1].kind = EV_REBOOT;
}

static void overload_with_no_goodput_that_stays_is_metastable(void **state)
{
    struct run_record r = trigger_run();
    for (int i = 12; i < ROWS; i++) {
        rows[i].d[C_LOGIN_ATTEMPTS] = i % 2 ? 60 : 260; /* waves, mean 160/s */
        rows[i].d[C_LOGIN_OK] = 2;
    }
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.metastable_known);
    assert_true(v.ls.capacity_rps == 100.0);
    assert_true(v.ls.metastable);
    assert_true(v.metastable);
}

static void overload_that_fades_is_not_metastable(void **state)
{
    struct run_record r = trigger_run();
    for (int i = 12; i < 26; i++) {
        rows[i].d[C_LOGIN_ATTEMPTS] = 200;
        rows[i].d[C_LOGIN_OK] = 2;
    }
    /* the judged window starts at 22 s (end 12 s + 10 s settle); its second
     * half (26..30 s) is quiet */
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.metastable_known);
    assert_false(v.ls.metastable);
}

static void high_goodput_at_capacity_is_not_metastable(void **state)
{
    struct run_record r = trigger_run();
    for (int i = 12; i < ROWS; i++) {
        rows[i].d[C_LOGIN_ATTEMPTS] = 150;
        rows[i].d[C_LOGIN_OK] = 95; /* busy but doing useful work */
    }
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_false(v.ls.metastable);
}

static void amplification_counts_attempts_per_success(void **state)
{
    struct run_record r = trigger_run();
    rows[0].d[C_LOGIN_ATTEMPTS] = 30;
    rows[0].d[C_LOGIN_OK] = 10;
    rows[5].d[C_LOGIN_ATTEMPTS] = 50; /* a window with no success at all */
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.amp_overall == 8.0);
    assert_true(v.amp_peak == 50.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_run_is_valid),
        cmocka_unit_test(whole_run_lag_over_limit_is_invalid),
        cmocka_unit_test(one_late_interval_is_not_sustained),
        cmocka_unit_test(lag_over_limit_for_two_seconds_is_invalid),
        cmocka_unit_test(sustained_lag_needs_two_seconds_with_short_intervals),
        cmocka_unit_test(saturated_cpu_for_five_seconds_is_invalid),
        cmocka_unit_test(event_skew_over_limit_is_invalid),
        cmocka_unit_test(missing_event_report_is_invalid),
        cmocka_unit_test(incomplete_run_is_invalid),
        cmocka_unit_test(summary_times_count_from_the_first_boot),
        cmocka_unit_test(dip_then_back_is_recovered),
        cmocka_unit_test(staying_low_is_not_recovered),
        cmocka_unit_test(collapse_after_the_trigger_is_not_an_instant_recovery),
        cmocka_unit_test(no_trigger_means_no_recovery_verdict),
        cmocka_unit_test(a_stall_is_a_trigger_that_lasts_its_for),
        cmocka_unit_test(overload_with_no_goodput_that_stays_is_metastable),
        cmocka_unit_test(overload_that_fades_is_not_metastable),
        cmocka_unit_test(high_goodput_at_capacity_is_not_metastable),
        cmocka_unit_test(amplification_counts_attempts_per_success),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
