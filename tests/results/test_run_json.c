/* test_run_json.c - run.json validation, loading a results directory, the
 * capacity timeline, the summary printer, scenario grouping and the
 * comparison model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "compare.h"
#include "figures.h"
#include "group.h"
#include "run_load.h"
#include "sbuf.h"
#include "summarize.h"

static char err[1024];

/* A small but complete run.json. */
static char *run_json(int version, const char *seed, int workers, const char *t95,
                      const char *extra_summary)
{
    struct sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b,
                "{\"format_version\": %d, \"tool\": \"bootstorm\", \"name\": \"unit\", "
                "\"seed\": %s, \"complete\": true, \"started_at\": \"2026-01-01T00:00:00Z\", "
                "\"scenario\": {\"name\": \"unit\", \"seed\": %s, \"duration\": \"2s\", "
                "\"nodes\": {\"peers\": 10, \"login_servers\": 2, \"supernodes\": 1}, "
                "\"login_server\": {\"workers\": %d, \"service_time\": \"10ms\", \"port\": 4430}, "
                "\"network\": {\"base\": \"127.1.0.%s\"}, "
                "\"events\": [{\"at\": \"0s\", \"boot\": {\"fraction\": 1.0}}]}, "
                "\"summary\": {\"peers\": 10, \"online_final\": 10, \"t50_s\": 0.5, "
                "\"t95_s\": %s, \"t99_s\": null, \"login_attempts\": 15, \"login_ok\": 10, "
                "\"peak_login_rps\": 12.0, %s\"fidelity\": {\"valid\": true, "
                "\"lag_p99_ms\": 1.5, \"skew_p99_ms\": 0.1, \"reason\": null}}}",
                version, seed, seed, workers, seed, t95, extra_summary ? extra_summary : "");
    return b.s;
}

static json_t *parse(const char *text)
{
    err[0] = '\0';
    return run_json_parse(text, "r/run.json", err, sizeof err);
}

static void valid_run_json_parses(void **state)
{
    char *t = run_json(1, "7", 2, "1.25", NULL);
    json_t *j = parse(t);
    assert_non_null(j);
    json_decref(j);
    free(t);
}

static void not_json_names_line_and_column(void **state)
{
    assert_null(parse("{\"format_version\": 1,\n \"name\": "));
    assert_non_null(strstr(err, "r/run.json:2:"));
    assert_non_null(strstr(err, "not valid JSON"));
    assert_null(parse("[1, 2]"));
    assert_non_null(strstr(err, "not a JSON object"));
}

static void newer_format_version_is_refused(void **state)
{
    char *t = run_json(2, "7", 2, "1.25", NULL);
    assert_null(parse(t));
    assert_non_null(strstr(err, "format_version 2 is newer than this tool reads (1)"));
    free(t);
    assert_null(parse("{\"name\": \"x\"}"));
    assert_non_null(strstr(err, "no format_version"));
    assert_null(parse("{\"format_version\": \"1\"}"));
    assert_non_null(strstr(err, "format_version should be an integer"));
}

static void provisional_run_json_says_not_finished(void **state)
{
    assert_null(parse("{\"format_version\": 1, \"name\": \"x\", \"seed\": 1, \"complete\": false, "
                      "\"scenario\": {}, \"summary\": null}"));
    assert_non_null(strstr(err, "has not finished"));
}

static void provisional_run_json_gives_its_reason(void **state)
{
    assert_null(parse("{\"format_version\": 1, \"name\": \"x\", \"seed\": 1, \"complete\": false, "
                      "\"reason\": \"run not finished at 0.0 s: still running\", "
                      "\"scenario\": {}, \"summary\": null}"));
    assert_string_equal(err, "r/run.json: the run has not finished (complete: false, summary: "
                             "null): run not finished at 0.0 s: still running");
}

static void missing_summary_key_is_named(void **state)
{
    char *t = run_json(1, "7", 2, "1.25", NULL);
    char *p = strstr(t, "\"login_ok\": 10, ");
    memmove(p, p + strlen("\"login_ok\": 10, "), strlen(p + strlen("\"login_ok\": 10, ")) + 1);
    assert_null(parse(t));
    assert_string_equal(err, "r/run.json: summary.login_ok is missing (not a complete bootstorm "
                             "run.json)");
    free(t);
}

static void wrong_types_are_named(void **state)
{
    char *t = run_json(1, "7", 2, "\"fast\"", NULL);
    assert_null(parse(t));
    assert_string_equal(err, "r/run.json: summary.t95_s should be a number or null, not a string");
    free(t);
    t = run_json(1, "7", 2, "1", "\"recovered\": 3, ");
    assert_null(parse(t));
    assert_non_null(strstr(err, "summary.recovered should be true or false"));
    free(t);
    t = run_json(1, "7", 2, "1", "\"login_attempts_per_node_max\": -3, ");
    assert_null(parse(t));
    assert_string_equal(err, "r/run.json: summary.login_attempts_per_node_max should be a "
                             "non-negative integer, not -3");
    free(t);
}

static void foreign_tool_is_refused(void **state)
{
    assert_null(parse("{\"format_version\": 1, \"tool\": \"other\"}"));
    assert_non_null(strstr(err, "written by other"));
}

/* ---- directories ---- */

static char tmp[256];

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *make_run(const char *name, const char *json, const char *ts)
{
    static char dir[512];
    snprintf(dir, sizeof dir, "%s/%s", tmp, name);
    mkdir(dir, 0755);
    if (json)
        write_file(dir, "run.json", json);
    if (ts)
        write_file(dir, "timeseries.csv", ts);
    return dir;
}

static const char ts_ok[] = "t_s,online,login_attempts\n1.000,5,8\n2.000,10,7\n";

static int setup(void **state)
{
    snprintf(tmp, sizeof tmp, "/tmp/bsr-unit-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void loads_a_minimal_run(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    struct run r;
    assert_int_equal(run_load(make_run("ok", j, ts_ok), &r, err, sizeof err), 0);
    assert_string_equal(r.label, "ok");
    assert_string_equal(r.seed, "7");
    assert_int_equal(r.n_rows, 2);
    assert_true(run_col(&r, "online")[1] == 10);
    assert_null(run_col(&r, "nope"));
    assert_int_equal(r.n_notes, 2); /* no events.csv, no histograms.json */
    double v;
    assert_int_equal(run_number(&r, "t95_s", &v), 1);
    assert_true(v == 1.25);
    assert_int_equal(run_number(&r, "t99_s", &v), 0);
    assert_int_equal(run_number(&r, "recovered", &v), -1);
    assert_int_equal(run_number(&r, "fidelity.valid", &v), 1);
    assert_true(v == 1);
    /* No "capacity" key: 2 LS x 2 workers / 10 ms, from the scenario. */
    assert_true(r.cap_estimated);
    assert_true(fabs(run_capacity_mean(&r, RUN_SRV_LOGIN) - 400) < 1e-9);
    assert_int_equal(r.n_cap[RUN_SRV_SERVICE], 0); /* the scenario has no service */
    assert_true(run_duration_s(&r) == 2);
    run_free(&r);
    free(j);
}

static void directory_without_run_json(void **state)
{
    struct run r;
    assert_int_equal(run_load(make_run("empty", NULL, NULL), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a run directory (no run.json)"));
    assert_int_equal(run_load(make_run("died", NULL, ts_ok), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "the run did not finish"));
    assert_int_equal(run_load("/nonexistent-run", &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent-run: No such file"));
}

static void damaged_timeseries_names_file_and_line(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    struct run r;
    assert_int_equal(run_load(make_run("cut", j, "t_s,online\n1.000,5\n2.0"), &r, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "cut/timeseries.csv:3: the last line has no line end"));
    assert_int_equal(
        run_load(make_run("back", j, "t_s,online\n1.000,5\n0.500,6\n"), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "back/timeseries.csv:3: t_s 0.500 does not increase"));
    assert_int_equal(run_load(make_run("nocol", j, "t_s,x\n1,5\n"), &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "no online column"));
    free(j);
}

static void damaged_histograms_are_errors(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    const char *dir = make_run("hist", j, ts_ok);
    struct run r;
    write_file(dir, "histograms.json",
               "{\"format_version\": 1, \"login\": {\"buckets\": [[5, 1], "
               "[3, 2]]}}");
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "login.buckets are not in increasing order"));
    write_file(dir, "histograms.json", "{\"format_version\": 9}");
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "format_version 9 is newer"));
    write_file(dir, "histograms.json", "{\"format_version\": 1}");
    write_file(dir, "events.csv",
               "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
               "0,boot,1,0.000000,abc,0.010,5\n");
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "hist/events.csv:2: column actual_s: \"abc\" is not a number"));
    free(j);
}

static void events_csv_is_read(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    const char *dir = make_run("ev", j, ts_ok);
    write_file(dir, "events.csv",
               "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
               "0,boot,1,0.000000,0.000013,0.013,250\n"
               "1,reboot,2,1.000000,1.000046,x,133\n");
    struct run r;
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "ev/events.csv:3: column skew_ms: \"x\" is not a number"));
    write_file(dir, "events.csv",
               "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
               "0,boot,1,0.000000,0.000013,0.013,250\n"
               "1,reboot,2,1.000000,1.000046,0.046,133\n");
    assert_int_equal(run_load(dir, &r, err, sizeof err), 0);
    assert_int_equal(r.n_events, 2);
    assert_string_equal(r.events[1].kind, "reboot");
    assert_true(r.events[1].scheduled_s == 1 && r.events[1].rank == 2);
    run_free(&r);
    free(j);
}

static void dist_means(void **state)
{
    assert_true(fabs(dist_mean_s("10ms") - 0.01) < 1e-12);
    assert_true(fabs(dist_mean_s("const(10ms)") - 0.01) < 1e-12);
    assert_true(fabs(dist_mean_s("exp(5ms)") - 0.005) < 1e-12);
    assert_true(fabs(dist_mean_s("uniform(1ms, 3ms)") - 0.002) < 1e-12);
    assert_true(fabs(dist_mean_s("lognormal(2s, 0.5)") - 2 * exp(0.125)) < 1e-9);
    assert_true(isnan(dist_mean_s("weird(1s)")));
    assert_true(isnan(dist_mean_s("uniform(1s)")));
    assert_true(isnan(dist_mean_s("")));
    /* What the scenario loader refuses has no mean either (one parser). */
    assert_true(isnan(dist_mean_s("normal(10ms, 2ms)")));
    assert_true(isnan(dist_mean_s("uniform(3ms, 1ms)")));
    assert_true(isnan(dist_mean_s(NULL)));
}

/* ---- the capacity timeline ---- */

/* run.json with a top-level key added: "{KEY..., rest}". */
static char *with_top(const char *json, const char *extra)
{
    struct sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "{%s, %s", extra, json + 1);
    return b.s;
}

/* Login servers paced at 150/s each (2 workers / 10 ms would be 200/s),
 * then a capacity event at 30 s: 400/s each. One of the two login servers
 * is down in the row (20, 30]. */
static const char cap_timeline[] =
    "\"capacity\": {\"login_server\": [{\"t_s\": 0.0, \"per_server_rps\": 150.0, "
    "\"servers\": 2}, {\"t_s\": 30.0, \"per_server_rps\": 400.0, \"servers\": 2}], "
    "\"service\": []}";
static const char ts_cap[] = "t_s,online,login_attempts,ls_up\n10.000,5,8,2\n20.000,10,7,2\n"
                             "30.000,10,7,1\n40.000,10,7,2\n50.000,10,7,2\n60.000,10,7,2\n";

static void load_cap_run(const char *name, struct run *r)
{
    char *j = run_json(1, "7", 2, "1.25", NULL), *jc = with_top(j, cap_timeline);
    assert_int_equal(run_load(make_run(name, jc, ts_cap), r, err, sizeof err), 0);
    free(j);
    free(jc);
}

static void capacity_timeline_follows_events_and_outages(void **state)
{
    struct run r;
    load_cap_run("cap", &r);
    assert_false(r.cap_estimated);
    assert_int_equal(r.n_cap[RUN_SRV_LOGIN], 2);
    assert_int_equal(r.n_cap[RUN_SRV_SERVICE], 0);
    double *x, *y;
    size_t n = run_capacity_line(&r, RUN_SRV_LOGIN, &x, &y);
    /* 300/s (the pace cap, not the scenario's 400/s), 150/s while one server
     * was down, 800/s from the event on. */
    static const double wx[] = {0, 20, 20, 30, 30, 60}, wy[] = {300, 300, 150, 150, 800, 800};
    assert_int_equal(n, 6);
    for (size_t k = 0; k < n; k++) {
        assert_true(x[k] == wx[k]);
        assert_true(y[k] == wy[k]);
    }
    free(x);
    free(y);
    assert_true(fabs(run_capacity_mean(&r, RUN_SRV_LOGIN) - 525) < 1e-9); /* 31500 / 60 s */
    assert_true(isnan(run_capacity_const(&r, RUN_SRV_LOGIN)));
    double low;
    assert_true(run_capacity_outage(&r, RUN_SRV_LOGIN, &low));
    assert_true(low == 150);
    assert_int_equal(run_capacity_line(&r, RUN_SRV_SERVICE, &x, &y), 0);
    double v;
    assert_int_equal(figure_value(&r, FIG_CAPACITY, &v), FV_VALUE);
    assert_true(fabs(v - 525) < 1e-9);
    assert_int_equal(figure_value(&r, FIG_SVC_CAPACITY, &v), FV_ABSENT);
    run_free(&r);
}

static void capacity_step_inside_an_interval(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    char *jc = with_top(j, "\"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": "
                           "100, \"servers\": 2}, {\"t_s\": 15, \"per_server_rps\": 1e12, "
                           "\"servers\": 2}], \"service\": []}");
    struct run r;
    assert_int_equal(run_load(make_run("cap-mid", jc, ts_ok), &r, err, sizeof err), 0);
    /* No ls_up column: the configured servers. The run ends at 2 s, before
     * the step. */
    assert_true(run_capacity_mean(&r, RUN_SRV_LOGIN) == 200);
    double low;
    assert_false(run_capacity_outage(&r, RUN_SRV_LOGIN, &low));
    /* A step past the last row still counts as a change. */
    assert_true(isnan(run_capacity_const(&r, RUN_SRV_LOGIN)));
    run_free(&r);
    free(jc);
    free(j);
}

static void capacity_unlimited_is_a_gap(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    char *jc = with_top(j, "\"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": "
                           "100, \"servers\": 2}, {\"t_s\": 1.5, \"per_server_rps\": 1e12, "
                           "\"servers\": 2}], \"service\": []}");
    struct run r;
    assert_int_equal(run_load(make_run("cap-inf", jc, ts_ok), &r, err, sizeof err), 0);
    double *x, *y;
    size_t n = run_capacity_line(&r, RUN_SRV_LOGIN, &x, &y);
    assert_int_equal(n, 4);
    assert_true(y[0] == 200 && x[1] == 1.5 && isnan(y[2]) && x[3] == 2);
    free(x);
    free(y);
    assert_true(run_capacity_mean(&r, RUN_SRV_LOGIN) == 200); /* the known stretch only */
    struct sbuf b;
    sbuf_init(&b);
    struct summarize_opts o = {.width = 60};
    summarize(&r, &o, &b);
    assert_non_null(strstr(sbuf_str(&b), "login capacity   200/s, unlimited from 1.50 s\n"));
    sbuf_free(&b);
    run_free(&r);
    free(jc);
    free(j);
}

static void damaged_capacity_is_named(void **state)
{
    static const struct {
        const char *cap, *msg;
    } cases[] = {
        {"\"capacity\": 3", "r/run.json: capacity should be an object, not an integer"},
        {"\"capacity\": {\"service\": []}",
         "r/run.json: capacity.login_server is missing (not a complete bootstorm run.json)"},
        {"\"capacity\": {\"login_server\": {}, \"service\": []}",
         "r/run.json: capacity.login_server should be an array, not an object"},
        {"\"capacity\": {\"login_server\": [7], \"service\": []}",
         "r/run.json: capacity.login_server[0] should be an object, not an integer"},
        {"\"capacity\": {\"login_server\": [], \"service\": [{\"t_s\": 0, \"servers\": 1}]}",
         "r/run.json: capacity.service[0].per_server_rps is missing (not a complete bootstorm "
         "run.json)"},
        {"\"capacity\": {\"login_server\": [{\"t_s\": \"0s\", \"per_server_rps\": 1, "
         "\"servers\": 1}], \"service\": []}",
         "r/run.json: capacity.login_server[0].t_s should be a number, not a string"},
        {"\"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": -1, "
         "\"servers\": 1}], \"service\": []}",
         "r/run.json: capacity.login_server[0].per_server_rps should not be negative"},
        {"\"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": 1, "
         "\"servers\": 1.5}], \"service\": []}",
         "r/run.json: capacity.login_server[0].servers should be a non-negative integer, not a "
         "number"},
        {"\"capacity\": {\"login_server\": [{\"t_s\": 5, \"per_server_rps\": 1, "
         "\"servers\": 1}, {\"t_s\": 2, \"per_server_rps\": 1, \"servers\": 1}], "
         "\"service\": []}",
         "r/run.json: capacity.login_server[1].t_s 2 comes before the previous entry's 5 "
         "(entries are in time order)"},
    };
    char *j = run_json(1, "7", 2, "1.25", NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *jc = with_top(j, cases[i].cap);
        assert_null(parse(jc));
        assert_string_equal(err, cases[i].msg);
        free(jc);
    }
    /* Equal times are fine (events due together), and so is null (the
     * coordinator had no memory for it): estimated then. */
    char *jc = with_top(j, "\"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": "
                           "1, \"servers\": 1}, {\"t_s\": 0, \"per_server_rps\": 2, "
                           "\"servers\": 1}], \"service\": []}");
    json_t *root = parse(jc);
    assert_non_null(root);
    json_decref(root);
    free(jc);
    jc = with_top(j, "\"capacity\": null");
    struct run r;
    assert_int_equal(run_load(make_run("cap-null", jc, ts_ok), &r, err, sizeof err), 0);
    assert_true(r.cap_estimated && run_capacity_mean(&r, RUN_SRV_LOGIN) == 400);
    run_free(&r);
    free(jc);
    free(j);
}

/* ---- the summary printer ---- */

static char *summary_of(const struct run *r)
{
    struct sbuf b;
    sbuf_init(&b);
    struct summarize_opts o = {.width = SUMMARIZE_WIDTH};
    summarize(r, &o, &b);
    return b.s;
}

/* No line wider than 80 columns (a path longer than that aside). */
static void assert_fits_80(const char *text)
{
    char line[1024];
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        size_t n = (size_t)(nl - p);
        assert_true(n < sizeof line);
        memcpy(line, p, n);
        line[n] = '\0';
        if (utf8_width(line) > 80)
            fail_msg("wider than 80 columns: %s", line);
        p = nl + 1;
    }
}

static void summary_shows_the_capacity_timeline(void **state)
{
    struct run r;
    load_cap_run("cap-sum", &r);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "\nlogin capacity   300/s, 800/s from 30.0 s;\n"
                              "                 as low as 150/s while login servers were down\n"));
    assert_null(strstr(s, "estimated"));
    assert_fits_80(s);
    free(s);
    run_free(&r);
}

static void summary_says_when_capacity_is_estimated(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    struct run r;
    assert_int_equal(run_load(make_run("est", j, ts_ok), &r, err, sizeof err), 0);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "login capacity   400/s (estimated from the scenario)\n"));
    free(s);
    struct cmp c;
    cmp_build(&r, 1, &c);
    struct sbuf b;
    sbuf_init(&b);
    assert_true(cmp_estimated_note(&c, &b));
    assert_string_equal(sbuf_str(&b), "run #1: capacity estimated from the scenario (no "
                                      "capacity timeline in run.json)");
    sbuf_free(&b);
    cmp_free(&c);
    run_free(&r);
    free(j);
}

/* Everything the coordinator's end-of-run summary printed: ranks, the
 * recovery with its level, the metastable load figures, and the "!!" lines
 * of an invalid run. */
static void summary_has_the_verdicts(void **state)
{
    char *j = run_json(1, "7", 2, "1.25",
                       "\"recovered\": false, \"recovery_s\": null, \"trigger\": {\"start_s\": "
                       "20.0, \"end_s\": 22.0, \"online_before\": 595.0, \"recovered_level\": "
                       "0.95}, \"metastable\": true, \"metastable_detail\": {\"login_server\": "
                       "{\"offered_rps\": 75.3, \"goodput_rps\": 0.0, \"capacity_rps\": 50.0, "
                       "\"metastable\": true}, \"service\": null}, ");
    char *jw = with_top(j, "\"world_size\": 3");
    /* An invalid run, with a reason long enough to wrap. */
    const char *valid = "\"valid\": true, \"lag_p99_ms\": 1.5, \"skew_p99_ms\": 0.1, "
                        "\"reason\": null";
    char *p = strstr(jw, valid);
    assert_non_null(p);
    struct sbuf b;
    sbuf_init(&b);
    sbuf_addn(&b, jw, (size_t)(p - jw));
    sbuf_add(&b, "\"valid\": false, \"lag_p99_ms\": 1.5, \"skew_p99_ms\": 0.1, \"reason\": "
                 "\"timer lag p99 above 50.0 ms for 4.0 s in a row (worst 212.0 ms): the "
                 "emulator was short of CPU during the storm\"");
    sbuf_add(&b, p + strlen(valid));
    struct run r;
    assert_int_equal(run_load(make_run("verdicts", b.s, ts_ok), &r, err, sizeof err), 0);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "== unit (seed 7, 3 ranks) ==\n"));
    assert_non_null(strstr(s, "\nrecovered        NOT RECOVERED: 10 online at the end, 595 before "
                              "the trigger\n"));
    assert_non_null(strstr(s, "\nmetastable       YES: login servers offered 75.3/s, goodput 0/s, "
                              "capacity 50.0/s\n"));
    assert_non_null(strstr(s, "\nfidelity         NOT VALID (timer lag p99 1.50 ms"));
    assert_non_null(strstr(s, "\n  !! timer lag p99 above 50.0 ms"));
    assert_non_null(
        strstr(s, "\n  !! these results describe the emulator's limits, not the system's\n"));
    assert_non_null(strstr(s, "\nresults          "));
    assert_fits_80(s);
    free(s);
    run_free(&r);
    sbuf_free(&b);
    free(jw);
    free(j);
}

/* ---- the emulator's share (summary.figures) ---- */

/* summary.figures and the fidelity fields bootstorm writes since issue 15:
 * t99 (2.00 s here, as t95 is 1.25 s) emulator-bound at 62%, login p99 at
 * 40%, the rest faithful or unknown. */
static const char figures_json[] =
    "\"figures\": {"
    "\"t50_s\": {\"value\": 0.5, \"emulator_share\": 0.04, \"verdict\": \"faithful\"}, "
    "\"t95_s\": {\"value\": 1.25, \"emulator_share\": 0.06, \"verdict\": \"faithful\"}, "
    "\"t99_s\": {\"value\": 2.0, \"emulator_share\": 0.62, \"verdict\": \"emulator-bound\"}, "
    "\"recovery_s\": {\"value\": null, \"emulator_share\": null, \"verdict\": \"unknown\"}, "
    "\"login_p50_ms\": {\"value\": 8.191, \"emulator_share\": 0.05, \"verdict\": \"faithful\"}, "
    "\"login_p95_ms\": {\"value\": 18.431, \"emulator_share\": 0.08, \"verdict\": \"faithful\"}, "
    "\"login_p99_ms\": {\"value\": 24.575, \"emulator_share\": 0.4, \"verdict\": "
    "\"emulator-bound\"}, "
    "\"register_p50_ms\": {\"value\": null, \"emulator_share\": null, \"verdict\": \"unknown\"}, "
    "\"register_p95_ms\": {\"value\": null, \"emulator_share\": null, \"verdict\": \"unknown\"}, "
    "\"register_p99_ms\": {\"value\": null, \"emulator_share\": null, \"verdict\": \"unknown\"}}, ";

/* s with its first `old` replaced by `with` (malloc'd). */
static char *replace_once(const char *s, const char *old, const char *with)
{
    const char *p = strstr(s, old);
    assert_non_null(p);
    struct sbuf b;
    sbuf_init(&b);
    sbuf_addn(&b, s, (size_t)(p - s));
    sbuf_add(&b, with);
    sbuf_add(&b, p + strlen(old));
    return b.s;
}

static void load_figures_run(const char *name, struct run *r, char **json)
{
    char *j = run_json(1, "7", 2, "1.25", figures_json);
    /* t99 2.0 in the summary as in figures; the fidelity fields */
    char *j2 = replace_once(j, "\"t99_s\": null", "\"t99_s\": 2.00");
    char *j3 = replace_once(j2, "\"valid\": true, ",
                            "\"valid\": false, \"max_emulator_share\": 0.1, "
                            "\"client_handshake_cpu_us\": 1200.0, \"emulator_bound\": "
                            "[\"t99_s\", \"login_p99_ms\"], ");
    *json = replace_once(j3, "\"reason\": null",
                         "\"reason\": \"t99 is emulator-bound: 62% of it was the emulator's own "
                         "delay (limit 10%)\"");
    free(j);
    free(j2);
    free(j3);
    assert_int_equal(run_load(make_run(name, *json, ts_ok), r, err, sizeof err), 0);
}

static void summary_marks_emulator_bound_figures(void **state)
{
    struct run r;
    char *j;
    load_figures_run("emu-sum", &r, &j);
    assert_int_equal(figure_emu_verdict(&r, "t99_s", NULL), FVD_BOUND);
    assert_int_equal(figure_emu_verdict(&r, "t50_s", NULL), FVD_FAITHFUL);
    assert_int_equal(figure_emu_verdict(&r, "recovery_s", NULL), FVD_UNKNOWN);
    assert_true(figure_emulator_bound(&r, FIG_T99));
    assert_false(figure_emulator_bound(&r, FIG_T95));
    char *s = summary_of(&r);
    assert_non_null(strstr(
        s, "\ntime to online   t50 500 ms   t95 1.25 s   t99 2.00 s [emulator-bound: 62%]\n"));
    assert_non_null(strstr(s, "\nlogin latency    p50 8.19 ms, p95 18.4 ms, p99 24.6 ms "
                              "[emulator-bound: 40%]\n"));
    assert_null(strstr(s, "register latency"));
    assert_non_null(strstr(s, "\nemulator share   t50 4%, t95 6%, t99 62%, login p99 40% "
                              "(limit 10%)\n"));
    assert_non_null(strstr(s, "\nemulator-bound   t99, login p99:"));
    assert_non_null(strstr(s, "\n  !! t99 is emulator-bound: 62% of it was the emulator's own "));
    assert_fits_80(s);
    free(s);

    struct cmp c;
    cmp_build(&r, 1, &c);
    char cell[96];
    cmp_run_cell(&c, 0, FIG_T99, cell, sizeof cell);
    assert_string_equal(cell, "2.00 s " CMP_EMU_MARK);
    cmp_run_cell(&c, 0, FIG_T95, cell, sizeof cell);
    assert_string_equal(cell, "1.25 s");
    struct sbuf b;
    sbuf_init(&b);
    cmp_print_text(&c, CMP_AUTO, &b);
    assert_non_null(strstr(sbuf_str(&b), CMP_EMU_MARK " emulator-bound: more than 10% of the "
                                                      "figure was the emulator's own delay"));
    json_t *cj = cmp_json(&c);
    json_t *f99 = json_object_get(
        json_object_get(json_array_get(json_object_get(cj, "runs"), 0), "figures"), "t99_s");
    assert_string_equal(json_string_value(json_object_get(f99, "verdict")), "emulator-bound");
    assert_true(json_real_value(json_object_get(f99, "emulator_share")) == 0.62);
    json_decref(cj);
    sbuf_free(&b);
    cmp_free(&c);
    run_free(&r);
    free(j);
}

/* Runs from before summary.figures: nothing new, nothing marked. */
static void runs_without_figures_show_nothing_new(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    struct run r;
    assert_int_equal(run_load(make_run("no-emu", j, ts_ok), &r, err, sizeof err), 0);
    assert_int_equal(figure_emu_verdict(&r, "t99_s", NULL), FVD_NONE);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "\ntime to online   t50 500 ms   t95 1.25 s   t99 never\n"));
    assert_null(strstr(s, "emulator"));
    assert_null(strstr(s, "latency"));
    free(s);
    struct cmp c;
    cmp_build(&r, 1, &c);
    assert_false(cmp_any_bound(&c));
    cmp_free(&c);
    run_free(&r);
    free(j);
}

/* Every figure bound: one per line, within 80 columns. */
static void long_marks_wrap_within_80_columns(void **state)
{
    char *j = run_json(1, "7", 2, "10.7",
                       "\"figures\": {"
                       "\"t50_s\": {\"value\": 10.5, \"emulator_share\": 0.93, \"verdict\": "
                       "\"emulator-bound\"}, "
                       "\"t95_s\": {\"value\": 10.25, \"emulator_share\": 0.94, \"verdict\": "
                       "\"emulator-bound\"}, "
                       "\"t99_s\": {\"value\": null, \"emulator_share\": null, \"verdict\": "
                       "\"unknown\"}}, ");
    struct run r;
    assert_int_equal(run_load(make_run("emu-wrap", j, ts_ok), &r, err, sizeof err), 0);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "\ntime to online   t50 500 ms [emulator-bound: 93%]\n"
                              "                 t95 10.7 s [emulator-bound: 94%]\n"
                              "                 t99 never\n"));
    assert_non_null(strstr(s, "\nemulator share   t50 93%, t95 94%\n")); /* no limit recorded */
    assert_fits_80(s);
    free(s);
    run_free(&r);
    free(j);
}

/* histograms.json's event windows load; a damaged one is named. */
static void histogram_windows_load_and_are_checked(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    const char *dir = make_run("windows", j, ts_ok);
    struct run r;
    write_file(dir, "histograms.json",
               "{\"format_version\": 1, \"login\": {\"buckets\": [[5, 1]]}, \"windows\": "
               "[{\"event\": 0, \"kind\": \"boot\", \"from_s\": 0.0, \"to_s\": 2.0, \"login\": "
               "{\"buckets\": [[5, 1]]}, \"login_emulator\": {\"buckets\": []}}]}");
    assert_int_equal(run_load(dir, &r, err, sizeof err), 0);
    run_free(&r);
    write_file(dir, "histograms.json",
               "{\"format_version\": 1, \"windows\": [{\"from_s\": 0.0, \"to_s\": 2.0, "
               "\"register\": {\"buckets\": [[5, 1], [4, 1]]}}]}");
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "windows[0].register.buckets are not in increasing order"));
    write_file(dir, "histograms.json", "{\"format_version\": 1, \"windows\": {}}");
    assert_int_equal(run_load(dir, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "windows should be an array"));
    free(j);
}

static void summarize_print_dir_prints_or_explains(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    const char *dir = make_run("print", j, ts_ok);
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    assert_int_equal(summarize_print_dir(f, dir, err, sizeof err), 0);
    fclose(f);
    struct run r;
    assert_int_equal(run_load(dir, &r, err, sizeof err), 0);
    char *s = summary_of(&r);
    assert_string_equal(mem, s); /* the same printer as `summary` */
    free(s);
    free(mem);
    run_free(&r);
    f = open_memstream(&mem, &len);
    assert_int_equal(summarize_print_dir(f, "/nonexistent-run", err, sizeof err), -1);
    fclose(f);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, "/nonexistent-run: No such file"));
    free(mem);
    free(j);
}

/* Five runs: seeds 1-3 of workers=2 (t95 1, 2, 3), seeds 4-5 of workers=4
 * (t95 10, null), given by a sweep-like parent directory. */
static void groups_and_intervals(void **state)
{
    char parent[300];
    snprintf(parent, sizeof parent, "%s/sweep", tmp);
    mkdir(parent, 0755);
    static const char *seeds[] = {"1", "2", "3", "4", "5"};
    static const char *t95[] = {"1", "2", "3", "10", "null"};
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, "sweep/r%d", i);
        char *j = run_json(1, seeds[i], i < 3 ? 2 : 4, t95[i], NULL);
        make_run(name, j, ts_ok);
        free(j);
    }
    char *args[] = {parent};
    struct run *runs;
    size_t n;
    assert_int_equal(runs_load(args, 1, &runs, &n, err, sizeof err), 0);
    assert_int_equal(n, 5);
    assert_string_equal(runs[0].label, "r0");

    struct cmp c;
    cmp_build(runs, n, &c);
    assert_int_equal(c.n_groups, 2);
    assert_int_equal(c.groups[0].n, 3);
    assert_string_equal(c.groups[0].desc, "login_server.workers=2");
    assert_string_equal(c.groups[1].desc, "login_server.workers=4");
    assert_true(cmp_has_groups(&c));
    const struct cmp_group_value *a = &c.grp[0][FIG_T95];
    assert_true(fabs(a->st.mean - 2) < 1e-12);
    assert_true(fabs(a->st.ci - 4.302653 / sqrt(3)) < 1e-5);
    /* Group B has a run that never reached 95%: no mean. */
    assert_int_equal(c.grp[1][FIG_T95].n_null, 1);
    assert_true(isnan(c.grp[1][FIG_T95].st.mean));
    char buf[128];
    cmp_group_cell(&c, 1, FIG_T95, buf, sizeof buf);
    assert_string_equal(buf, "never (1 of 2)");
    cmp_group_cell(&c, 0, FIG_T95, buf, sizeof buf);
    assert_string_equal(buf, "2.00 ± 2.48 s");
    /* Capacity 400 vs 800, both exact: zero-width intervals, disjoint. */
    assert_int_equal(c.grp[1][FIG_CAPACITY].sig, SIG_YES);
    cmp_group_delta(&c, 1, FIG_CAPACITY, buf, sizeof buf);
    assert_string_equal(buf, "+400/s (+100%) *");
    /* Amplification = 15 / 10 in every run. */
    assert_true(fabs(c.run[0][FIG_AMPLIFICATION].v - 1.5) < 1e-12);
    cmp_free(&c);
    runs_free(runs, n);
}

static void seed_and_address_do_not_split_groups(void **state)
{
    char *j1 = run_json(1, "1", 2, "1", NULL), *j2 = run_json(1, "2", 2, "1", NULL);
    struct run r[2];
    assert_int_equal(run_load(make_run("g1", j1, ts_ok), &r[0], err, sizeof err), 0);
    assert_int_equal(run_load(make_run("g2", j2, ts_ok), &r[1], err, sizeof err), 0);
    struct group *g;
    size_t n;
    groups_build(r, 2, &g, &n);
    assert_int_equal(n, 1); /* seeds and network.base differ, nothing else */
    groups_free(g, n);
    run_free(&r[0]);
    run_free(&r[1]);
    free(j1);
    free(j2);
}

/* ---- incomplete runs (issue 13) ---- */

/* An interrupted run as the interim run.json has it: complete false, the
 * reason, a rows-only summary without per-peer figures. */
static char *interim_json(void)
{
    char *j = run_json(1, "7", 2, "null", "\"rows_only\": true, ");
    char *a = replace_once(j, "\"complete\": true",
                           "\"complete\": false, \"reason\": \"interrupted by SIGTERM at 7.3 s; "
                           "rank 2 silent since 6.0 s\"");
    char *b = replace_once(a, "\"t50_s\": 0.5", "\"t50_s\": null");
    free(j);
    free(a);
    return b;
}

static void incomplete_run_says_why(void **state)
{
    char *j = interim_json();
    struct run r;
    assert_int_equal(run_load(make_run("interim", j, ts_ok), &r, err, sizeof err), 0);
    assert_false(r.complete);
    assert_true(r.rows_only);
    assert_string_equal(r.reason, "interrupted by SIGTERM at 7.3 s; rank 2 silent since 6.0 s");
    assert_string_equal(run_incomplete_reason(&r), r.reason);
    assert_non_null(strstr(r.notes[0], "incomplete run (interrupted by SIGTERM at 7.3 s;"));
    assert_non_null(strstr(r.notes[0], "no per-peer figure"));
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "== unit (seed 7) INCOMPLETE ==\n"
                              "INCOMPLETE: interrupted by SIGTERM at 7.3 s; rank 2 silent since "
                              "6.0 s\n"));
    /* not known, rather than "never" */
    assert_non_null(strstr(s, "\ntime to online   n/a (the run ended before its final gathers:"));
    assert_null(strstr(s, "never"));
    assert_fits_80(s);
    free(s);
    run_free(&r);
    free(j);
}

static void older_incomplete_run_takes_the_fidelity_reason(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    char *a = replace_once(j, "\"complete\": true", "\"complete\": false");
    char *b = replace_once(a,
                           "\"valid\": true, \"lag_p99_ms\": 1.5, \"skew_p99_ms\": 0.1, "
                           "\"reason\": null",
                           "\"valid\": false, \"lag_p99_ms\": 1.5, \"skew_p99_ms\": 0.1, "
                           "\"reason\": \"incomplete run: ranks stopped reporting metrics at "
                           "interval 3 of 4\"");
    struct run r;
    assert_int_equal(run_load(make_run("older", b, ts_ok), &r, err, sizeof err), 0);
    assert_null(r.reason); /* no "reason" key: a run.json from before it */
    assert_false(r.rows_only);
    assert_string_equal(run_incomplete_reason(&r),
                        "ranks stopped reporting metrics at interval 3 of 4");
    char *s = summary_of(&r);
    assert_non_null(
        strstr(s, "\nINCOMPLETE: ranks stopped reporting metrics at interval 3 of 4\n"));
    assert_non_null(strstr(s, "time to online   t50 500 ms"));
    free(s);
    run_free(&r);
    free(j);
    free(a);
    free(b);
}

static void complete_run_has_no_incomplete_line(void **state)
{
    char *j = run_json(1, "7", 2, "1.25", NULL);
    char *a = replace_once(j, "\"complete\": true", "\"complete\": true, \"reason\": null");
    struct run r;
    assert_int_equal(run_load(make_run("complete", a, ts_ok), &r, err, sizeof err), 0);
    assert_null(r.reason);
    char *s = summary_of(&r);
    assert_null(strstr(s, "INCOMPLETE"));
    free(s);
    run_free(&r);
    free(j);
    free(a);
}

/* ---- the central architecture (issue 9) ---- */

/* A central run: the architecture and its data centres in the scenario. */
static char *central_json(const char *seed, const char *top)
{
    char *j = run_json(1, seed, 2, "1.25", NULL);
    char *a = replace_once(j, "\"duration\": \"2s\", ",
                           "\"duration\": \"2s\", \"architecture\": \"central\", ");
    char *b = replace_once(a, "\"events\": [",
                           "\"central\": {\"datacenters\": [{\"name\": \"eu\", \"servers\": 2, "
                           "\"max_servers\": 4, \"share\": 0.5}, {\"name\": \"us_east\", "
                           "\"servers\": 2, \"max_servers\": 2, \"share\": 0.5}]}, \"events\": [");
    char *c = top ? with_top(b, top) : xstrdup(b);
    free(j);
    free(a);
    free(b);
    return c;
}

static const char scale_ok[] =
    "\"scale_actions\": [{\"decided_s\": 0.5, \"at_s\": 1.5, \"fired_s\": 1.5002, "
    "\"datacenter\": \"eu\", \"action\": \"scale_up\", \"count\": 2, \"servers\": 4, "
    "\"load\": 0.93}, {\"decided_s\": 1.0, \"at_s\": "
    "1.0, \"datacenter\": \"us_east\", \"action\": \"scale_down\", \"count\": 1, \"servers\": 1}]";

/* Two rows with the registration tier's load and two data centres, one of
 * them (us_east) with a name that holds the separator. */
static const char ts_central[] =
    "t_s,online,login_attempts,server_load,dc_eu_servers,dc_eu_clients,dc_eu_load,"
    "dc_eu_refusals,dc_eu_spills,dc_us_east_servers,dc_us_east_load,dc_us_east_refusals\n"
    "1.000,5,8,0.85,2,3,0.9,4,0,2,0.5,0\n"
    "2.000,10,7,1.02,4,5,1.01,1,2,1,0.25,3\n";

static void scale_actions_are_loaded_in_effect_order(void **state)
{
    char *j = central_json("7", scale_ok);
    struct run r;
    assert_int_equal(run_load(make_run("scale", j, ts_central), &r, err, sizeof err), 0);
    assert_int_equal(r.n_scale, 2);
    assert_true(r.scale[0].up && r.scale[0].count == 2 && r.scale[0].servers == 4);
    assert_true(r.scale[0].load == 0.93 && isnan(r.scale[1].load));
    assert_string_equal(r.scale[0].datacenter, "eu");
    assert_false(r.scale[1].up);
    assert_true(r.scale[1].decided_s == 1.0 && r.scale[1].at_s == 1.0);
    size_t *o = run_scale_order(&r); /* us_east took effect first */
    assert_true(o[0] == 1 && o[1] == 0);
    free(o);
    run_free(&r);
    /* Their rows in events.csv are not event marks: run.json has them. */
    const char *dir = make_run("scale-ev", j, ts_central);
    write_file(dir, "events.csv",
               "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
               "0,boot,1,0.000000,0.000013,0.013,10\n"
               "1,scale_up,1,1.500000,1.500200,0.200,1\n"
               "2,scale_down,1,1.000000,1.000100,0.100,1\n");
    assert_int_equal(run_load(dir, &r, err, sizeof err), 0);
    assert_int_equal(r.n_events, 3);
    struct event_mark *m;
    assert_int_equal(summarize_event_marks(&r, &m), 1);
    assert_string_equal(m[0].kind, "boot");
    free(m);
    assert_string_equal(run_architecture(&r), "central");
    run_free(&r);
    free(j);
    /* Absent, null and []: no actions. */
    static const char *const none[] = {NULL, "\"scale_actions\": null", "\"scale_actions\": []"};
    for (size_t k = 0; k < 3; k++) {
        j = central_json("7", none[k]);
        assert_int_equal(run_load(make_run("noscale", j, ts_ok), &r, err, sizeof err), 0);
        assert_int_equal(r.n_scale, 0);
        assert_null(run_scale_order(&r));
        run_free(&r);
        free(j);
    }
}

static void damaged_scale_actions_are_named(void **state)
{
    static const struct {
        const char *sa, *msg;
    } cases[] = {
        {"\"scale_actions\": {}", "r/run.json: scale_actions should be an array, not an object"},
        {"\"scale_actions\": \"none\"",
         "r/run.json: scale_actions should be an array, not a string"},
        {"\"scale_actions\": [[]]",
         "r/run.json: scale_actions[0] should be an object, not an array"},
        {"\"scale_actions\": [{\"at_s\": 1, \"datacenter\": \"eu\", \"action\": \"scale_up\", "
         "\"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].decided_s is missing (not a complete bootstorm run.json)"},
        {"\"scale_actions\": [{\"decided_s\": \"1s\", \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].decided_s should be a number, not a string"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": 3, "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].datacenter should be a string, not an integer"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1.5, \"servers\": 3}]",
         "r/run.json: scale_actions[0].count should be a non-negative integer, not a number"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": -3}]",
         "r/run.json: scale_actions[0].servers should be a non-negative integer, not -3"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": true, \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].action should be a string, not a boolean"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"grow\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].action should be \"scale_up\" or \"scale_down\", not "
         "\"grow\""},
        {"\"scale_actions\": [{\"decided_s\": -1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].decided_s should not be negative"},
        {"\"scale_actions\": [{\"decided_s\": 5, \"at_s\": 2, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].at_s 2 comes before its decided_s 5 (an action takes "
         "effect when or after it is decided)"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}]",
         "r/run.json: scale_actions[0].datacenter is empty"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 0, \"servers\": 3}]",
         "r/run.json: scale_actions[0].count should be at least 1, not 0"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3, \"load\": \"high\"}]",
         "r/run.json: scale_actions[0].load should be a number, not a string"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3, \"fired_s\": [1]}]",
         "r/run.json: scale_actions[0].fired_s should be a number or null, not an array"},
        {"\"scale_actions\": [{\"decided_s\": 1, \"at_s\": 1, \"datacenter\": \"eu\", "
         "\"action\": \"scale_up\", \"count\": 1, \"servers\": 3}, {\"decided_s\": 1, \"at_s\": "
         "1, \"datacenter\": \"eu\", \"action\": \"scale_up\", \"count\": 1, \"servers\": "
         "9999999999}]",
         "r/run.json: scale_actions[1].servers 9999999999 is too large"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = central_json("7", cases[i].sa);
        assert_null(parse(j));
        assert_string_equal(err, cases[i].msg);
        free(j);
    }
}

static void peak_server_load_present_or_absent(void **state)
{
    char *j = central_json("7", NULL);
    struct run r;
    double v;
    assert_int_equal(run_load(make_run("load", j, ts_central), &r, err, sizeof err), 0);
    assert_int_equal(figure_value(&r, FIG_PEAK_SERVER_LOAD, &v), FV_VALUE);
    assert_true(fabs(v - 102) < 1e-9);
    char *s = summary_of(&r);
    assert_non_null(strstr(s, "\npeak server load 102.0% (presence servers, busiest interval; "
                              "100% = saturated)\n"));
    free(s);
    run_free(&r);
    /* A run from before the column: absent, no line, "-" in compare. */
    assert_int_equal(run_load(make_run("noload", j, ts_ok), &r, err, sizeof err), 0);
    assert_int_equal(figure_value(&r, FIG_PEAK_SERVER_LOAD, &v), FV_ABSENT);
    assert_int_equal(run_col_max(&r, "server_load", &v), 0);
    s = summary_of(&r);
    assert_null(strstr(s, "server load"));
    free(s);
    struct cmp c;
    cmp_build(&r, 1, &c);
    assert_false(c.shown[FIG_PEAK_SERVER_LOAD]);
    cmp_free(&c);
    run_free(&r);
    free(j);
    /* A supernode run with the column names its tier so. */
    j = run_json(1, "7", 2, "1.25", NULL);
    assert_int_equal(run_load(make_run("snload", j, "t_s,online,server_load\n1.000,5,0.25\n"), &r,
                              err, sizeof err),
                     0);
    s = summary_of(&r);
    assert_non_null(strstr(s, "peak server load 25.0% (supernodes,"));
    free(s);
    run_free(&r);
    free(j);
}

static void datacenter_columns_are_found(void **state)
{
    char *j = central_json("7", scale_ok);
    struct run r;
    assert_int_equal(run_load(make_run("dcs", j, ts_central), &r, err, sizeof err), 0);
    assert_int_equal(r.n_dcs, 2);
    assert_string_equal(r.dcs[0].name, "eu");
    assert_string_equal(r.dcs[1].name, "us_east");
    assert_true(r.dcs[0].servers[1] == 4 && r.dcs[0].clients[1] == 5 && r.dcs[0].spills[1] == 2);
    assert_true(r.dcs[1].load[0] == 0.5 && r.dcs[1].refusals[1] == 3);
    assert_null(r.dcs[1].clients);
    assert_null(r.dcs[1].spills);
    char *s = summary_of(&r);
    /* 10 peers, 2 login servers, 1 supernode, 6 presence servers (2 of them
     * dormant spares) and 2 front doors */
    assert_non_null(strstr(s, "\nnodes            21 (10 peers, 2 login servers, 1 supernode, 4 "
                              "presence servers\n                 (up to 6) and 2 front doors in "
                              "2 data centres)\n"));
    assert_non_null(strstr(s, "\ndata centres     eu: 2-4 servers, peak load 101.0%, 5 refusals, "
                              "2 spilled in;\n                 us_east: 1-2 servers, peak load "
                              "50.0%, 3 refusals\n"));
    assert_non_null(strstr(s, "\nscale actions    -1 us_east at 1.00 s (1 server), +2 eu at "
                              "1.50 s (4 servers)\n"));
    assert_fits_80(s);
    free(s);
    run_free(&r);
    /* Columns that only look like it are not data centres. */
    assert_int_equal(run_load(make_run("nodc", j,
                                       "t_s,online,dc_load,dc__servers,dcx_eu_load,dc_eu_x\n"
                                       "1.000,5,1,2,3,4\n"),
                              &r, err, sizeof err),
                     0);
    assert_int_equal(r.n_dcs, 0);
    run_free(&r);
    free(j);
}

/* Two seeds of a P2P scenario and two of its central variant: two groups,
 * described by the architecture first; the central section is implied by
 * it and not listed. */
static void two_architectures_in_one_compare(void **state)
{
    struct run r[4];
    for (int i = 0; i < 4; i++) {
        char seed[8], name[16];
        snprintf(seed, sizeof seed, "%d", i + 1);
        snprintf(name, sizeof name, "arch%d", i);
        char *j = i < 2 ? run_json(1, seed, 2, "1.25", NULL) : central_json(seed, scale_ok);
        if (i < 2) { /* a P2P run written with the key */
            char *a = replace_once(j, "\"duration\": \"2s\", ",
                                   "\"duration\": \"2s\", \"architecture\": \"supernode\", ");
            free(j);
            j = a;
        }
        assert_int_equal(
            run_load(make_run(name, j, i < 2 ? ts_ok : ts_central), &r[i], err, sizeof err), 0);
        free(j);
    }
    struct cmp c;
    cmp_build(r, 4, &c);
    assert_int_equal(c.n_groups, 2);
    assert_string_equal(c.groups[0].desc, "architecture=supernode");
    assert_string_equal(c.groups[1].desc, "architecture=central");
    assert_true(c.shown[FIG_PEAK_SERVER_LOAD]);
    char buf[128];
    cmp_group_cell(&c, 0, FIG_PEAK_SERVER_LOAD, buf, sizeof buf);
    assert_string_equal(buf, "-");
    cmp_group_cell(&c, 1, FIG_PEAK_SERVER_LOAD, buf, sizeof buf);
    assert_string_equal(buf, "102.0%");
    struct sbuf b;
    sbuf_init(&b);
    cmp_print_text(&c, CMP_AUTO, &b);
    assert_non_null(strstr(sbuf_str(&b), "  #3   arch2   unit   seed 3   central     group B\n"));
    assert_non_null(strstr(sbuf_str(&b), "  #1   arch0   unit   seed 1   supernode   group A\n"));
    assert_non_null(strstr(sbuf_str(&b), "  B   n=2   runs #3 #4   architecture=central\n"));
    assert_non_null(strstr(sbuf_str(&b), "\npeak server load "));
    sbuf_free(&b);
    json_t *js = cmp_json(&c);
    json_t *runs = json_object_get(js, "runs"), *groups = json_object_get(js, "groups");
    assert_string_equal(json_string_value(json_object_get(json_array_get(runs, 2), "architecture")),
                        "central");
    assert_int_equal(json_array_size(json_object_get(json_array_get(runs, 2), "scale_actions")), 2);
    assert_int_equal(json_array_size(json_object_get(json_array_get(runs, 0), "scale_actions")), 0);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(groups, 0), "architecture")), "supernode");
    json_t *f = json_object_get(json_object_get(json_array_get(runs, 2), "figures"),
                                "peak_server_load_pct");
    assert_true(fabs(json_number_value(json_object_get(f, "value")) - 102) < 1e-9);
    assert_null(json_object_get(json_object_get(json_array_get(runs, 0), "figures"),
                                "peak_server_load_pct"));
    json_decref(js);
    cmp_free(&c);
    /* A central variant with more servers: its own key is listed after the
     * architecture, and not for the P2P group, which has no central section. */
    char *j = central_json("9", NULL);
    char *k = replace_once(j, "\"servers\": 2, \"max_servers\": 4",
                           "\"servers\": 3, "
                           "\"max_servers\": 4");
    struct run all[5] = {r[0], r[1], r[2], r[3]};
    assert_int_equal(run_load(make_run("arch4", k, ts_central), &all[4], err, sizeof err), 0);
    cmp_build(all, 5, &c);
    assert_int_equal(c.n_groups, 3);
    assert_string_equal(c.groups[0].desc, "architecture=supernode");
    assert_string_equal(c.groups[1].desc, "architecture=central, central.datacenters.0.servers=2");
    assert_string_equal(c.groups[2].desc, "architecture=central, central.datacenters.0.servers=3");
    cmp_free(&c);
    run_free(&all[4]);
    free(j);
    free(k);
    for (int i = 0; i < 4; i++)
        run_free(&r[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_run_json_parses),
        cmocka_unit_test(not_json_names_line_and_column),
        cmocka_unit_test(newer_format_version_is_refused),
        cmocka_unit_test(provisional_run_json_says_not_finished),
        cmocka_unit_test(provisional_run_json_gives_its_reason),
        cmocka_unit_test(missing_summary_key_is_named),
        cmocka_unit_test(wrong_types_are_named),
        cmocka_unit_test(foreign_tool_is_refused),
        cmocka_unit_test(loads_a_minimal_run),
        cmocka_unit_test(directory_without_run_json),
        cmocka_unit_test(damaged_timeseries_names_file_and_line),
        cmocka_unit_test(damaged_histograms_are_errors),
        cmocka_unit_test(events_csv_is_read),
        cmocka_unit_test(dist_means),
        cmocka_unit_test(capacity_timeline_follows_events_and_outages),
        cmocka_unit_test(capacity_step_inside_an_interval),
        cmocka_unit_test(capacity_unlimited_is_a_gap),
        cmocka_unit_test(damaged_capacity_is_named),
        cmocka_unit_test(summary_shows_the_capacity_timeline),
        cmocka_unit_test(summary_says_when_capacity_is_estimated),
        cmocka_unit_test(summary_has_the_verdicts),
        cmocka_unit_test(summary_marks_emulator_bound_figures),
        cmocka_unit_test(runs_without_figures_show_nothing_new),
        cmocka_unit_test(long_marks_wrap_within_80_columns),
        cmocka_unit_test(histogram_windows_load_and_are_checked),
        cmocka_unit_test(summarize_print_dir_prints_or_explains),
        cmocka_unit_test(groups_and_intervals),
        cmocka_unit_test(seed_and_address_do_not_split_groups),
        cmocka_unit_test(incomplete_run_says_why),
        cmocka_unit_test(older_incomplete_run_takes_the_fidelity_reason),
        cmocka_unit_test(complete_run_has_no_incomplete_line),
        cmocka_unit_test(scale_actions_are_loaded_in_effect_order),
        cmocka_unit_test(damaged_scale_actions_are_named),
        cmocka_unit_test(peak_server_load_present_or_absent),
        cmocka_unit_test(datacenter_columns_are_found),
        cmocka_unit_test(two_architectures_in_one_compare),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
