/* test_emulator_share.c - the coordinator's verdict per timing figure
 * (docs/results.md, "Emulator share") on synthetic run records: which
 * figures the emulator shaped, and what that does to the run's validity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "coordinator/summary.h"

#define ROWS 30
#define PEERS 100

static struct scenario scn;
static struct ts_row rows[ROWS];
static struct fired_event fired[4];
static int64_t sched[2];
static int64_t online[PEERS], emu[PEERS];
static uint32_t attempts[PEERS];
static struct rank_info ri[3];
static struct run_final fin;

/* 30 quiet 1 s rows, a boot storm at 0 s and a reboot at 10 s (over 2 s)
 * fired on two ranks; 100 peers online 1.00 s, 1.01 s, ... 1.99 s after
 * the storm, each with 1 ms of the emulator's delay. The login servers
 * and the central service are unlimited. */
static struct run_record herd_run(void)
{
    scenario_defaults(&scn);
    scn.nodes.peers = PEERS;
    scn.metrics.interval_ns = NS_PER_S;
    scn.control.max_lag_p99_ms = 50;
    scn.control.max_skew_p99_ms = 10;
    scn.control.max_emulator_share = 0.1;
    scn.n_events = 2;
    scn.events[0] = (struct scn_event){.at_ns = 0, .kind = EV_BOOT, .fraction = 1};
    scn.events[1] = (struct scn_event){
        .at_ns = 10 * NS_PER_S, .kind = EV_REBOOT, .fraction = 1, .over_ns = 2 * NS_PER_S};
    sched[0] = 0;
    sched[1] = 10 * NS_PER_S;
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < ROWS; i++) {
        rows[i].t_s = i + 1;
        rows[i].lag_p99_ms = 2;
        rows[i].cpu_max = 0.3;
        rows[i].g[G_ONLINE] = PEERS;
    }
    for (int i = 0; i < 4; i++)
        fired[i] = (struct fired_event){.event = (uint32_t)i / 2,
                                        .rank = 1 + i % 2,
                                        .scheduled_ns = (i / 2) * 10 * NS_PER_S,
                                        .actual_ns = (i / 2) * 10 * NS_PER_S + 100000};
    for (int i = 0; i < PEERS; i++) {
        online[i] = NS_PER_S + i * 10 * NS_PER_MS;
        emu[i] = NS_PER_MS;
        attempts[i] = 1;
    }
    memset(ri, 0, sizeof ri);
    memset(&fin, 0, sizeof fin);
    fin = (struct run_final){.ranks = ri,
                             .first_online_ns = online,
                             .first_emu_ns = emu,
                             .attempts = attempts,
                             .n_peers = PEERS};
    hist_reset(&fin.login_us);
    hist_reset(&fin.login_emu_us);
    hist_reset(&fin.register_us);
    hist_reset(&fin.register_emu_us);
    return (struct run_record){.scn = &scn,
                               .world = 3,
                               .n_host_ranks = 2,
                               .rows = rows,
                               .n_rows = ROWS,
                               .fired = fired,
                               .n_fired = 4,
                               .sched_at = sched};
}

/* Assess everything as coord_finish does. */
static void judge(const struct run_record *r, struct fidelity *fid, struct verdict *v,
                  struct timing_figures *tf)
{
    fidelity_assess(r, 2.0, fid);
    verdicts_assess(r, v);
    figures_assess(r, &fin, v, tf);
    fidelity_judge_figures(fid, tf);
}

static void small_emulator_delays_are_faithful(void **state)
{
    struct run_record r = herd_run();
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    for (int id = FIGT_T50; id <= FIGT_T99; id++) {
        assert_int_equal(tf.f[id].verdict, ATTR_FAITHFUL);
        assert_true(tf.f[id].share > 0 && tf.f[id].share < 0.001); /* 1 ms of ~2 s */
    }
    assert_true(tf.f[FIGT_T99].value > 1.979 && tf.f[FIGT_T99].value < 1.981);
    assert_true(fid.valid);
    assert_string_equal(fid.reason, "");
}

static void t99_decided_by_the_emulator_is_emulator_bound_and_invalid(void **state)
{
    struct run_record r = herd_run();
    for (int i = 96; i < PEERS; i++) /* the last few peers waited for the emulator */
        emu[i] = online[i] * 6 / 10;
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_int_equal(tf.f[FIGT_T99].verdict, ATTR_EMULATOR_BOUND);
    assert_true(tf.f[FIGT_T99].share > 0.59 && tf.f[FIGT_T99].share < 0.61);
    assert_int_equal(tf.f[FIGT_T95].verdict, ATTR_FAITHFUL);
    assert_int_equal(tf.f[FIGT_T50].verdict, ATTR_FAITHFUL);
    assert_false(fid.valid);
    assert_string_equal(
        fid.reason, "t99 is emulator-bound: 60% of it was the emulator's own delay (limit 10%)");
}

static void the_threshold_is_the_scenarios(void **state)
{
    struct run_record r = herd_run();
    for (int i = 96; i < PEERS; i++)
        emu[i] = online[i] * 6 / 10;
    scn.control.max_emulator_share = 0.75;
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_int_equal(tf.f[FIGT_T99].verdict, ATTR_FAITHFUL);
    assert_true(fid.valid);
}

static void an_earlier_reason_stands(void **state)
{
    struct run_record r = herd_run();
    for (int i = 0; i < PEERS; i++)
        emu[i] = online[i];
    r.incomplete_why = "ranks stopped reporting metrics at interval 3 of 30";
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_false(fid.valid);
    assert_non_null(strstr(fid.reason, "incomplete run"));
    assert_int_equal(tf.f[FIGT_T50].verdict, ATTR_EMULATOR_BOUND);
}

static void a_time_never_reached_is_unknown(void **state)
{
    struct run_record r = herd_run();
    online[PEERS - 1] = -1;
    online[PEERS - 2] = -1; /* 98 of 100: t99 never reached */
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_false(tf.f[FIGT_T99].has_value);
    assert_true(tf.f[FIGT_T99].share < 0);
    assert_int_equal(tf.f[FIGT_T99].verdict, ATTR_UNKNOWN);
    assert_int_equal(tf.f[FIGT_T95].verdict, ATTR_FAITHFUL);
    assert_true(fid.valid);
}

/* Two peer-hosting ranks' stall clocks at 0, 1, ..., 30 s. */
static int64_t st_t[ROWS + 1], st_a[ROWS + 1], st_b[ROWS + 1];
static struct stall_series series[2];

static void stall_series_with(int64_t per_second_a, int64_t per_second_b)
{
    int64_t a = 0, b = 0;
    for (int i = 0; i <= ROWS; i++) {
        st_t[i] = i * NS_PER_S;
        st_a[i] = a;
        st_b[i] = b;
        if (i >= 12) { /* stalls from the trigger's end on */
            a += per_second_a;
            b += per_second_b;
        }
    }
    series[0] = (struct stall_series){st_t, st_a, ROWS + 1};
    series[1] = (struct stall_series){st_t, st_b, ROWS + 1};
}

/* Online drops at the reboot (10 s) and is back from the 16 s row:
 * recovery_s = 16 - 12 = 4 s. */
static struct run_record recovery_run(void)
{
    struct run_record r = herd_run();
    for (int i = 10; i < 15; i++)
        rows[i].g[G_ONLINE] = 10;
    r.stall = series;
    r.n_stall = 2;
    return r;
}

static void recovery_share_is_the_worst_ranks_stall_over_the_recovery(void **state)
{
    stall_series_with(50 * NS_PER_MS, 300 * NS_PER_MS);
    struct run_record r = recovery_run();
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_true(v.recovered);
    assert_true(tf.f[FIGT_RECOVERY].value == 4.0);
    /* rank b: 300 ms of every second, from 12 s to 16 s */
    assert_true(tf.f[FIGT_RECOVERY].share > 0.299 && tf.f[FIGT_RECOVERY].share < 0.301);
    assert_int_equal(tf.f[FIGT_RECOVERY].verdict, ATTR_EMULATOR_BOUND);
    assert_false(fid.valid);
    assert_non_null(strstr(fid.reason, "recovery is emulator-bound: 30%"));
}

static void a_quiet_recovery_is_faithful(void **state)
{
    stall_series_with(10 * NS_PER_MS, 20 * NS_PER_MS);
    struct run_record r = recovery_run();
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_true(tf.f[FIGT_RECOVERY].share > 0.019 && tf.f[FIGT_RECOVERY].share < 0.021);
    assert_int_equal(tf.f[FIGT_RECOVERY].verdict, ATTR_FAITHFUL);
    assert_true(fid.valid);
}

static void no_recovery_no_share(void **state)
{
    stall_series_with(500 * NS_PER_MS, 500 * NS_PER_MS);
    struct run_record r = herd_run(); /* online never dips: recovery_s 0 */
    r.stall = series;
    r.n_stall = 2;
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    assert_true(tf.f[FIGT_RECOVERY].has_value);
    assert_true(tf.f[FIGT_RECOVERY].value == 0.0);
    assert_int_equal(tf.f[FIGT_RECOVERY].verdict, ATTR_UNKNOWN);
    assert_true(fid.valid);
}

static void login_percentile_share_compares_the_two_tails(void **state)
{
    struct run_record r = herd_run();
    /* 100 logins: 90 of 10 ms with 0.2 ms of emulator, 10 of 100 ms with 50 ms */
    for (int i = 0; i < 90; i++) {
        hist_add(&fin.login_us, 10000);
        hist_add(&fin.login_emu_us, 200);
    }
    for (int i = 0; i < 10; i++) {
        hist_add(&fin.login_us, 100000);
        hist_add(&fin.login_emu_us, 50000);
    }
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    struct timing_figure *p50 = &tf.f[FIGT_LOGIN_P50], *p99 = &tf.f[FIGT_LOGIN_P99];
    assert_true(p50->has_value);
    assert_true(p50->value == hist_quantile(&fin.login_us, 0.5) / 1e3);
    assert_true(p50->share ==
                (double)hist_quantile(&fin.login_emu_us, 0.5) / hist_quantile(&fin.login_us, 0.5));
    assert_int_equal(p50->verdict, ATTR_FAITHFUL);
    assert_true(p99->share > 0.45 && p99->share < 0.55);
    assert_int_equal(p99->verdict, ATTR_EMULATOR_BOUND);
    /* not a headline figure: it is marked, the run stays valid */
    assert_true(fid.valid);
    /* no registration completed: unknown */
    assert_false(tf.f[FIGT_REGISTER_P99].has_value);
    assert_int_equal(tf.f[FIGT_REGISTER_P99].verdict, ATTR_UNKNOWN);
}

static void run_json_lists_every_figure_and_the_bound_ones(void **state)
{
    struct run_record r = herd_run();
    for (int i = 96; i < PEERS; i++)
        emu[i] = online[i] * 6 / 10;
    fin.client_hs_cpu_ns = 1234567;
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    judge(&r, &fid, &v, &tf);
    json_t *sum = summary_build(&r, &fin, &fid, &v, &tf);
    json_t *figs = json_object_get(sum, "figures");
    assert_int_equal(json_object_size(figs), FIGT_COUNT);
    json_t *t99 = json_object_get(figs, "t99_s");
    assert_string_equal(json_string_value(json_object_get(t99, "verdict")), "emulator-bound");
    assert_true(json_real_value(json_object_get(t99, "value")) ==
                json_real_value(json_object_get(sum, "t99_s")));
    json_t *lp = json_object_get(figs, "login_p99_ms");
    assert_true(json_is_null(json_object_get(lp, "value")));
    assert_true(json_is_null(json_object_get(lp, "emulator_share")));
    assert_string_equal(json_string_value(json_object_get(lp, "verdict")), "unknown");
    json_t *f = json_object_get(sum, "fidelity");
    assert_false(json_is_true(json_object_get(f, "valid")));
    assert_true(json_real_value(json_object_get(f, "max_emulator_share")) == 0.1);
    assert_true(json_real_value(json_object_get(f, "client_handshake_cpu_us")) == 1234.567);
    json_t *bound = json_object_get(f, "emulator_bound");
    assert_int_equal(json_array_size(bound), 1);
    assert_string_equal(json_string_value(json_array_get(bound, 0)), "t99_s");
    json_decref(sum);
}

static void histograms_json_has_the_emulator_histograms_and_windows(void **state)
{
    struct run_record r = herd_run();
    static struct event_window w[2];
    memset(w, 0, sizeof w);
    w[0] = (struct event_window){.event = 0, .from_s = 0, .to_s = 10};
    w[1] = (struct event_window){.event = 1, .from_s = 10, .to_s = 30};
    hist_add(&w[1].h.login_us, 5000);
    hist_add(&w[1].h.login_emu_us, 4000);
    r.windows = w;
    r.n_windows = 2;
    hist_add(&fin.ls_emu_us, 0);
    json_t *h = summary_histograms(&r, &fin);
    static const char *const keys[] = {
        "login_emulator", "register_emulator",     "request",         "request_emulator",
        "start_lateness", "login_server_emulator", "service_emulator"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        assert_non_null(json_object_get(json_object_get(h, keys[k]), "buckets"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(h, "login_server_emulator"), "count")),
        1);
    json_t *ws = json_object_get(h, "windows");
    assert_int_equal(json_array_size(ws), 2);
    json_t *w1 = json_array_get(ws, 1);
    assert_int_equal(json_integer_value(json_object_get(w1, "event")), 1);
    assert_string_equal(json_string_value(json_object_get(w1, "kind")), "reboot");
    assert_true(json_real_value(json_object_get(w1, "from_s")) == 10.0);
    assert_true(json_real_value(json_object_get(w1, "to_s")) == 30.0);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(w1, "login_emulator"), "max")), 4000);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(w1, "register"), "count")),
                     0);
    json_decref(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_emulator_delays_are_faithful),
        cmocka_unit_test(t99_decided_by_the_emulator_is_emulator_bound_and_invalid),
        cmocka_unit_test(the_threshold_is_the_scenarios),
        cmocka_unit_test(an_earlier_reason_stands),
        cmocka_unit_test(a_time_never_reached_is_unknown),
        cmocka_unit_test(recovery_share_is_the_worst_ranks_stall_over_the_recovery),
        cmocka_unit_test(a_quiet_recovery_is_faithful),
        cmocka_unit_test(no_recovery_no_share),
        cmocka_unit_test(login_percentile_share_compares_the_two_tails),
        cmocka_unit_test(run_json_lists_every_figure_and_the_bound_ones),
        cmocka_unit_test(histograms_json_has_the_emulator_histograms_and_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
