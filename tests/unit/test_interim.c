/* test_interim.c - what an interrupted run writes before its final gathers
 * (issue 13): the rows-only summary of the interim run.json, the verdicts of
 * a run that ended before its trigger, and the run directory's unsynced
 * replace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/clock.h"
#include "coordinator/rundir.h"
#include "coordinator/summary.h"

#define ROWS 8

static struct scenario scn;
static struct ts_row rows[ROWS];
static struct fired_event fired[2];
static int64_t sched_at[2];

/* A 30 s storm interrupted after 8 one-second rows: the boot fired on two
 * ranks, the reboot at 10 s was scheduled but never fired. */
static struct run_record interrupted_run(void)
{
    scenario_defaults(&scn);
    scn.nodes.peers = 100;
    scn.duration_ns = 30 * NS_PER_S;
    scn.metrics.interval_ns = NS_PER_S;
    scn.n_events = 2;
    scn.events[0] = (struct scn_event){.at_ns = 0, .kind = EV_BOOT, .fraction = 1};
    scn.events[1] = (struct scn_event){.at_ns = 10 * NS_PER_S, .kind = EV_REBOOT, .fraction = 1};
    sched_at[0] = 0;
    sched_at[1] = 10 * NS_PER_S;
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < ROWS; i++) {
        rows[i].t_s = i + 1;
        rows[i].g[G_ONLINE] = 10 * (i + 1);
        rows[i].d[C_LOGIN_ATTEMPTS] = 12;
        rows[i].d[C_LOGIN_OK] = 10;
        rows[i].lag_p99_ms = i == 3 ? 7 : 2;
    }
    for (int i = 0; i < 2; i++)
        fired[i] = (struct fired_event){.event = 0, .rank = 1 + i, .actual_ns = 100000};
    return (struct run_record){.scn = &scn,
                               .world = 3,
                               .n_host_ranks = 2,
                               .rows = rows,
                               .n_rows = ROWS,
                               .fired = fired,
                               .n_fired = 2,
                               .incomplete_why = "interrupted by SIGINT at 8.3 s",
                               .sched_at = sched_at};
}

static void rows_only_summary_has_the_rows_figures(void **state)
{
    struct run_record r = interrupted_run();
    json_t *s = summary_build_rows(&r);
    assert_true(json_is_true(json_object_get(s, "rows_only")));
    assert_int_equal(json_integer_value(json_object_get(s, "peers")), 100);
    assert_int_equal(json_integer_value(json_object_get(s, "online_final")), 80);
    assert_int_equal(json_integer_value(json_object_get(s, "login_attempts")), 96);
    assert_int_equal(json_integer_value(json_object_get(s, "login_ok")), 80);
    assert_true(json_real_value(json_object_get(s, "peak_login_rps")) == 12);
    json_decref(s);
}

static void rows_only_summary_leaves_out_per_peer_figures(void **state)
{
    struct run_record r = interrupted_run();
    json_t *s = summary_build_rows(&r);
    assert_null(json_object_get(s, "ever_online"));
    assert_null(json_object_get(s, "login_attempts_per_node_max"));
    assert_true(json_is_null(json_object_get(s, "t50_s")));
    assert_true(json_is_null(json_object_get(s, "t99_s")));
    json_t *figs = json_object_get(s, "figures");
    assert_true(json_is_null(json_object_get(json_object_get(figs, "t50_s"), "value")));
    assert_true(json_is_null(json_object_get(json_object_get(figs, "login_p99_ms"), "value")));
    json_t *fid = json_object_get(s, "fidelity");
    assert_true(json_is_null(json_object_get(fid, "client_handshake_cpu_us")));
    json_decref(s);
}

static void rows_only_fidelity_is_invalid_with_the_reason(void **state)
{
    struct run_record r = interrupted_run();
    json_t *s = summary_build_rows(&r);
    json_t *fid = json_object_get(s, "fidelity");
    assert_true(json_is_false(json_object_get(fid, "valid")));
    assert_string_equal(json_string_value(json_object_get(fid, "reason")),
                        "incomplete run: interrupted by SIGINT at 8.3 s");
    /* the worst row's p99 stands for the whole run's */
    assert_true(json_real_value(json_object_get(fid, "lag_p99_ms")) == 7);
    json_decref(s);
}

static void trigger_that_never_fired_gives_no_recovery_verdict(void **state)
{
    struct run_record r = interrupted_run();
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_false(v.has_trigger);
    json_t *s = summary_build_rows(&r);
    assert_true(json_is_null(json_object_get(s, "recovered")));
    json_decref(s);
}

static void complete_run_keeps_its_trigger(void **state)
{
    /* Only an incomplete run drops unfired triggers: a complete one whose
     * reports were lost is judged as before. */
    struct run_record r = interrupted_run();
    r.incomplete_why = NULL;
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.has_trigger);
    assert_true(v.trigger_start_s == 10);
}

static void rows_only_summary_of_no_rows(void **state)
{
    struct run_record r = interrupted_run();
    r.n_rows = 0;
    json_t *s = summary_build_rows(&r);
    assert_int_equal(json_integer_value(json_object_get(s, "online_final")), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "login_attempts")), 0);
    json_decref(s);
}

static char *slurp(const char *path)
{
    static char text[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void update_file_replaces_without_leftovers(void **state)
{
    char tmpl[] = "/tmp/test_interim.XXXXXX", err[256], path[320];
    assert_non_null(mkdtemp(tmpl));
    struct rundir *rd = rundir_open(tmpl, NULL, err, sizeof err);
    assert_non_null(rd);
    assert_int_equal(rundir_update_file(rd, "run.json", "{\"a\": 1}\n"), 0);
    assert_int_equal(rundir_update_file(rd, "run.json", "{\"a\": 2}\n"), 0);
    snprintf(path, sizeof path, "%s/run.json", tmpl);
    assert_string_equal(slurp(path), "{\"a\": 2}\n");
    snprintf(path, sizeof path, "%s/.run.json.tmp", tmpl);
    assert_int_equal(access(path, F_OK), -1);
    rundir_close(rd);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rows_only_summary_has_the_rows_figures),
        cmocka_unit_test(rows_only_summary_leaves_out_per_peer_figures),
        cmocka_unit_test(rows_only_fidelity_is_invalid_with_the_reason),
        cmocka_unit_test(trigger_that_never_fired_gives_no_recovery_verdict),
        cmocka_unit_test(complete_run_keeps_its_trigger),
        cmocka_unit_test(rows_only_summary_of_no_rows),
        cmocka_unit_test(update_file_replaces_without_leftovers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
