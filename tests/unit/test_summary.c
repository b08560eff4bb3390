/* test_summary.c - the fidelity verdict and the run.json summary figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "common/clock.h"
#include "coordinator/cap_timeline.h"
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
        rows[i].cpu_wait_ms = -1; /* unknown */
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

/* The late intervals' run-queue wait tells why: ranks that waited for a
 * core as long as the limit every second shared too few cores; a short wait
 * leaves the ranks' own work. Unknown waits add nothing, and the intervals
 * under the limit do not count. */
static void lag_reason_says_whether_the_ranks_waited_for_a_core(void **state)
{
    struct run_record r = quiet_run();
    rows[5].lag_p99_ms = rows[6].lag_p99_ms = rows[7].lag_p99_ms = 120;
    struct fidelity f;
    fidelity_assess(&r, 3.0, &f);
    assert_true(f.lag_cpu_wait_ms_per_s < 0);
    assert_null(strstr(f.reason, "for a core"));

    for (int i = 0; i < ROWS; i++)
        rows[i].cpu_wait_ms = 1; /* quiet intervals: not averaged in */
    rows[5].cpu_wait_ms = 90;
    rows[6].cpu_wait_ms = 60;
    rows[7].cpu_wait_ms = -1; /* this rank's wait unknown: left out */
    fidelity_assess(&r, 3.0, &f);
    assert_false(f.valid);
    assert_true(f.lag_cpu_wait_ms_per_s > 74.9 && f.lag_cpu_wait_ms_per_s < 75.1);
    assert_non_null(strstr(f.reason, "3.0 s in a row"));
    assert_non_null(strstr(f.reason, "a rank waited 75 ms a second for a core: more ranks than"));

    rows[5].cpu_wait_ms = rows[6].cpu_wait_ms = 8;
    fidelity_assess(&r, 3.0, &f);
    assert_non_null(strstr(f.reason, "waited 8 ms a second for a core: the late ranks were mostly"
                                     " busy with their own work"));
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

/* ---- settop ---- */

static struct rank_info settop_ranks[3];
static int64_t box_online[4];
static uint32_t box_attempts[4];
static struct run_final box_final;

/* 4 boxes of a 256 KiB image in 1 KiB blocks on a 38 Mbit/s channel, booted
 * at 2 s; a quarter of them verify. The head-end's 60 rows of 1 s: egress
 * from 2.5 to 6 Mbit/s, a power cut's worth of counters in the first rows. */
static struct run_record settop_run(enum scn_settop_method method)
{
    struct run_record r = quiet_run();
    scn.architecture = ARCH_SETTOP;
    scn.nodes.peers = 4;
    scn.nodes.login_servers = 0;
    scn.events[0].at_ns = 2 * NS_PER_S;
    scn.settop.method = method;
    scn.settop.image_bytes = 256 * 1024;
    scn.settop.block_bytes = 1000; /* K = 263: the last block is short */
    scn.settop.channel_Bps = 4750000;
    scn.settop.carousel_Bps = 4750000;
    scn.settop.downstream_loss = 0.05;
    scn.settop.verify = 0.25;
    rows[0].egress_mbps = 6.0;
    rows[1].egress_mbps = 2.5;
    rows[0].d[C_HE_EGRESS_BYTES] = 750000;
    rows[1].d[C_HE_EGRESS_BYTES] = 312500;
    rows[0].d[C_HE_DATAGRAMS] = 1500;
    rows[0].d[C_HE_CYCLES] = 2;
    rows[1].d[C_HE_CYCLES] = 1;
    rows[0].d[C_IMG_OK] = 3;
    rows[1].d[C_IMG_OK] = 1;
    rows[1].d[C_IMG_VERIFIED] = 1;
    rows[0].d[C_IMG_DELIVERED] = 1000;
    rows[0].d[C_IMG_LOST] = 52;
    rows[1].d[C_IMG_DUP] = 7;
    rows[0].d[C_HE_REG_SERVED] = 4;
    rows[0].d[C_HE_REG_REFUSED] = 2;
    rows[0].d[C_REG_BUSY] = 2;
    rows[0].g[G_BOX_IMAGE_BYTES] = 1000;
    rows[1].g[G_BOX_IMAGE_BYTES] = 0; /* the level at the row's end ... */
    rows[0].g[G_BOX_IMAGE_PEAK] = 1000;
    rows[1].g[G_BOX_IMAGE_PEAK] = 263000; /* ... and the interval's peak */
    rows[ROWS - 1].g[G_ONLINE] = 4;

    memset(&box_final, 0, sizeof box_final);
    int64_t on[4] = {3 * NS_PER_S, 4 * NS_PER_S, 4 * NS_PER_S + NS_PER_S / 2, 5 * NS_PER_S};
    memcpy(box_online, on, sizeof on);
    box_final = (struct run_final){.ranks = settop_ranks,
                                   .first_online_ns = box_online,
                                   .attempts = box_attempts,
                                   .n_peers = 4};
    /* images after 0.5, 1, 1, 2 s; 1.0, 1.25, 1.5 and 3 cycles heard */
    uint64_t took[4] = {500000, 1000000, 1000000, 2000000}, pct[4] = {100, 125, 150, 300};
    for (int i = 0; i < 4; i++) {
        hist_add(&box_final.image_us, took[i]);
        hist_add(&box_final.img_cycles_pct, pct[i]);
    }
    return r;
}

static json_t *settop_summary(struct run_record *r)
{
    struct fidelity fid;
    fidelity_assess(r, 1.0, &fid);
    struct verdict v;
    verdicts_assess(r, &v);
    struct timing_figures tf;
    figures_assess(r, &box_final, &v, &tf);
    return summary_build(r, &box_final, &fid, &v, &tf);
}

static double real_at(json_t *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok(buf, "."), *next; k; k = next) {
        next = strtok(NULL, ".");
        o = json_object_get(o, k);
        assert_non_null(o);
    }
    assert_true(json_is_number(o));
    return json_number_value(o);
}

static void a_settop_run_has_the_settop_object(void **state)
{
    struct run_record r = settop_run(SETTOP_CAROUSEL);
    json_t *sum = settop_summary(&r);
    json_t *st = json_object_get(sum, "settop");
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "method")), "carousel");
    assert_true(real_at(st, "boxes") == 4);
    assert_true(real_at(st, "image_bytes") == 262144);
    assert_true(real_at(st, "block_bytes") == 1000);
    assert_true(real_at(st, "blocks") == 263);
    assert_true(real_at(st, "channel_mbps") == 38.0);
    assert_true(real_at(st, "carousel_mbps") == 38.0);
    assert_true(real_at(st, "downstream_loss") == 0.05);
    /* the 2nd of 4 images, 1 s (its bucket's upper bound, as histograms
     * give); the 4th for t95 and t99, 2 s (the max) */
    assert_true(real_at(st, "image_s.t50") == hist_bucket_upper(hist_bucket_of(1000000)) / 1e6);
    assert_true(real_at(st, "image_s.t95") == 2.0);
    assert_true(real_at(st, "image_s.n") == 4);
    /* online: from the first boot (2 s), exactly as t50_s..t99_s */
    assert_true(real_at(st, "online_s.t50") == 2.0);
    assert_true(real_at(st, "online_s.t99") == 3.0);
    assert_true(real_at(st, "online_s.t50") == real_at(sum, "t50_s"));
    assert_true(real_at(st, "egress_bytes") == 1062500);
    assert_true(real_at(st, "egress_peak_mbps") == 6.0);
    /* 1,062,500 bytes over the rows' 30 s */
    assert_true(fabs(real_at(st, "egress_mean_mbps") - 1062500 * 8 / 30.0 / 1e6) < 1e-9);
    assert_true(real_at(st, "datagrams") == 1500);
    assert_true(real_at(st, "cycles_sent") == 3);
    assert_true(real_at(st, "retransmits") == 0);
    assert_true(real_at(st, "cycles_per_box.mean") == (1.0 + 1.25 + 1.5 + 3) / 4);
    assert_true(real_at(st, "cycles_per_box.max") == 3.0);
    assert_true(real_at(st, "cycles_per_box.p50") >= 1.25 &&
                real_at(st, "cycles_per_box.p50") < 1.5);
    assert_null(json_object_get(st, "fountain")); /* fountain only */
    assert_true(real_at(st, "verify_share") == 0.25);
    assert_true(real_at(st, "boxes_verified") == 1);
    assert_true(real_at(st, "boxes_counted") == 3); /* never claimed as verified */
    assert_true(real_at(st, "box_image_bytes_peak") == 263000);
    assert_true(real_at(st, "registration.served") == 4);
    assert_true(real_at(st, "registration.refused") == 2);
    assert_true(real_at(st, "registration.wasted") == 0);
    assert_true(real_at(st, "registration.busy_answers") == 2);
    assert_true(real_at(st, "img.delivered") == 1000);
    assert_true(real_at(st, "img.lost") == 52);
    assert_true(real_at(st, "img.dup") == 7);
    assert_true(real_at(st, "img.bad") == 0);
    assert_true(real_at(st, "img.corrupt") == 0);
    /* the counters' totals are in the summary as in every run */
    assert_true(real_at(sum, "he_egress_bytes") == 1062500);
    json_decref(sum);
}

static void image_times_count_every_box(void **state)
{
    /* two of four boxes got the image: t50 is the 2nd, t95 never */
    struct run_record r = settop_run(SETTOP_CAROUSEL);
    hist_reset(&box_final.image_us);
    hist_add(&box_final.image_us, 700000);
    hist_add(&box_final.image_us, 900000);
    json_t *sum = settop_summary(&r);
    json_t *img = json_object_get(json_object_get(sum, "settop"), "image_s");
    assert_true(json_real_value(json_object_get(img, "t50")) == 0.9);
    assert_true(json_is_null(json_object_get(img, "t95")));
    assert_true(json_is_null(json_object_get(img, "t99")));
    assert_int_equal(json_integer_value(json_object_get(img, "n")), 2);
    json_decref(sum);
}

static void a_fountain_run_reports_its_real_decodes_only(void **state)
{
    struct run_record r = settop_run(SETTOP_FOUNTAIN);
    json_t *sum = settop_summary(&r);
    json_t *fo = json_object_get(json_object_get(sum, "settop"), "fountain");
    assert_non_null(fo);
    /* every box counted symbols: no decode, no overhead */
    assert_true(real_at(fo, "decodes") == 0);
    assert_true(json_is_null(json_object_get(fo, "overhead_mean")));
    assert_true(json_is_null(json_object_get(fo, "overhead_max")));
    json_decref(sum);

    rows[1].d[C_FEC_DECODES] = 3;
    rows[1].d[C_FEC_DECODE_FAILED] = 1;
    hist_add(&box_final.fec_overhead, 2);
    hist_add(&box_final.fec_overhead, 2);
    hist_add(&box_final.fec_overhead, 5);
    sum = settop_summary(&r);
    fo = json_object_get(json_object_get(sum, "settop"), "fountain");
    assert_true(real_at(fo, "decodes") == 3);
    assert_true(real_at(fo, "decode_failed") == 1);
    assert_true(real_at(fo, "overhead_mean") == 3.0);
    assert_true(real_at(fo, "overhead_p95") == 5);
    assert_true(real_at(fo, "overhead_max") == 5);
    assert_non_null(json_object_get(json_object_get(sum, "settop"), "cycles_per_box"));
    json_decref(sum);
}

static void a_unicast_run_has_no_cycles(void **state)
{
    struct run_record r = settop_run(SETTOP_UNICAST);
    rows[3].d[C_HE_RETRANSMITS] = 9;
    json_t *sum = settop_summary(&r);
    json_t *st = json_object_get(sum, "settop");
    assert_null(json_object_get(st, "cycles_per_box"));
    assert_null(json_object_get(st, "fountain"));
    assert_string_equal(json_string_value(json_object_get(st, "method")), "unicast");
    assert_true(real_at(st, "retransmits") == 9);
    json_decref(sum);
}

static void other_architectures_have_no_settop_object(void **state)
{
    struct run_record r = settop_run(SETTOP_CAROUSEL);
    scn.architecture = ARCH_SUPERNODE;
    json_t *sum = settop_summary(&r);
    assert_null(json_object_get(sum, "settop"));
    json_t *hj = summary_histograms(&r, &box_final);
    assert_null(json_object_get(hj, "image"));
    json_decref(hj);
    json_decref(sum);
}

static void settop_histograms_are_written(void **state)
{
    struct run_record r = settop_run(SETTOP_FOUNTAIN);
    hist_add(&box_final.he_reg_queue_us, 1500);
    json_t *hj = summary_histograms(&r, &box_final);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(hj, "image"), "count")), 4);
    json_t *cy = json_object_get(hj, "image_cycles");
    assert_int_equal(json_integer_value(json_object_get(cy, "max")), 300);
    assert_string_equal(json_string_value(json_object_get(cy, "unit")), "cycle/100");
    assert_non_null(json_object_get(hj, "fec_overhead"));
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(hj, "headend_reg_queue"), "count")), 1);
    assert_non_null(json_object_get(hj, "headend_reg_service"));
    json_decref(hj);
}

static void a_rows_only_settop_summary_leaves_the_per_box_figures_unknown(void **state)
{
    struct run_record r = settop_run(SETTOP_FOUNTAIN);
    json_t *sum = summary_build_rows(&r);
    json_t *st = json_object_get(sum, "settop");
    assert_non_null(st);
    json_t *img = json_object_get(st, "image_s"), *onl = json_object_get(st, "online_s");
    assert_true(json_is_null(json_object_get(img, "t50")));
    assert_true(json_is_null(json_object_get(img, "t99")));
    assert_null(json_object_get(img, "n")); /* not known, rather than 0 */
    assert_true(json_is_null(json_object_get(onl, "t50")));
    assert_true(json_is_null(json_object_get(onl, "t99")));
    assert_true(json_is_null(json_object_get(st, "cycles_per_box")));
    assert_true(json_is_null(json_object_get(json_object_get(st, "fountain"), "overhead_mean")));
    /* what the rows give is there */
    assert_true(real_at(st, "egress_bytes") == 1062500);
    assert_true(real_at(st, "boxes_counted") == 3);
    json_decref(sum);
}

/* A reboot at 10 s over 2 s; the head-end: 1 worker of 20 ms = 50/s. */
static struct run_record settop_trigger_run(void)
{
    struct run_record r = settop_run(SETTOP_CAROUSEL);
    scn.events[1].over_ns = 2 * NS_PER_S;
    scn.settop.headend.cap.workers = 1;
    scn.settop.headend.cap.service_time = (struct dist){DIST_CONST, 20e6, 0};
    sched[0] = 0;
    sched[1] = 10 * NS_PER_S;
    r.sched_at = sched;
    for (int i = 0; i < ROWS; i++) {
        rows[i].g[G_ONLINE] = 1000;
        rows[i].g[G_HE_UP] = 1;
    }
    return r;
}

static void boxes_retrying_registration_without_service_is_metastable(void **state)
{
    struct run_record r = settop_trigger_run();
    for (int i = 12; i < ROWS; i++) {
        rows[i].d[C_REG_ATTEMPTS] = 120; /* over 50/s */
        rows[i].d[C_REG_OK] = 5;
        rows[i].g[G_ONLINE] = 200;
    }
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.metastable_known);
    assert_true(v.he.capacity_rps == 50.0);
    assert_true(v.he.metastable);
    assert_true(v.metastable);
    assert_false(v.ls.known); /* no login under settop */
    struct timing_figures tf;
    struct fidelity fid;
    fidelity_assess(&r, 1.0, &fid);
    figures_assess(&r, &box_final, &v, &tf);
    json_t *sum = summary_build(&r, &box_final, &fid, &v, &tf);
    json_t *m = json_object_get(sum, "metastable_detail");
    assert_true(json_is_true(json_object_get(json_object_get(m, "headend"), "metastable")));
    assert_true(json_is_null(json_object_get(m, "login_server")));
    assert_null(json_object_get(m, "dht_bootstrap"));
    assert_true(json_is_true(json_object_get(sum, "metastable")));
    json_decref(sum);
    /* run.json's capacity has the head-end's line the verdict used */
    json_t *cap = cap_timeline_json(&scn, sched);
    json_t *he = json_array_get(json_object_get(cap, "headend"), 0);
    assert_true(json_real_value(json_object_get(he, "per_server_rps")) == 50.0);
    assert_int_equal(json_integer_value(json_object_get(he, "servers")), 1);
    json_decref(cap);
}

static void boxes_served_at_capacity_are_not_metastable(void **state)
{
    struct run_record r = settop_trigger_run();
    for (int i = 12; i < ROWS; i++) {
        rows[i].d[C_REG_ATTEMPTS] = 60;
        rows[i].d[C_REG_OK] = 48; /* the head-end busy, but serving */
    }
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.he.known);
    assert_false(v.he.metastable);
    assert_false(v.metastable);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quiet_run_is_valid),
        cmocka_unit_test(whole_run_lag_over_limit_is_invalid),
        cmocka_unit_test(one_late_interval_is_not_sustained),
        cmocka_unit_test(lag_over_limit_for_two_seconds_is_invalid),
        cmocka_unit_test(lag_reason_says_whether_the_ranks_waited_for_a_core),
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
        cmocka_unit_test(a_settop_run_has_the_settop_object),
        cmocka_unit_test(image_times_count_every_box),
        cmocka_unit_test(a_fountain_run_reports_its_real_decodes_only),
        cmocka_unit_test(a_unicast_run_has_no_cycles),
        cmocka_unit_test(other_architectures_have_no_settop_object),
        cmocka_unit_test(settop_histograms_are_written),
        cmocka_unit_test(a_rows_only_settop_summary_leaves_the_per_box_figures_unknown),
        cmocka_unit_test(boxes_retrying_registration_without_service_is_metastable),
        cmocka_unit_test(boxes_served_at_capacity_are_not_metastable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
