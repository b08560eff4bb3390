/* test_rundir.c - the run directory writer: where runs go by default, and
 * the files it starts with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/scenario.h"
#include "coordinator/rundir.h"

static void default_dir_is_under_runs_with_time_and_name(void **state)
{
    char buf[256];
    rundir_default_dir("quickstart", buf, sizeof buf);
    /* runs/20261126T052920Z-quickstart */
    assert_int_equal(strncmp(buf, "runs/", 5), 0);
    assert_int_equal(strlen(buf), strlen("runs/20261126T052920Z-quickstart"));
    assert_int_equal(buf[5 + 8], 'T');
    assert_int_equal(buf[5 + 15], 'Z');
    assert_string_equal(buf + 5 + 16, "-quickstart");
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    return text;
}

static void open_makes_parents_and_starts_the_csv_files(void **state)
{
    char tmpl[] = "/tmp/test_rundir.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char dir[256], path[320], err[256];
    snprintf(dir, sizeof dir, "%s/a/b", tmpl);
    struct rundir *rd = rundir_open(dir, NULL, err, sizeof err);
    assert_non_null(rd);
    assert_string_equal(rundir_path(rd), dir);

    snprintf(path, sizeof path, "%s/events.csv", dir);
    assert_string_equal(slurp(path), "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n");
    rundir_append_event(rd, 1, "reboot", 2, 12000000000, 12000250000, 40);
    assert_string_equal(slurp(path), "event,kind,rank,scheduled_s,actual_s,skew_ms,selected\n"
                                     "1,reboot,2,12.000000,12.000250,0.250,40\n");
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    assert_int_equal(strncmp(slurp(path), "t_s,", 4), 0);

    assert_int_equal(rundir_write_file(rd, "run.json", "{}\n"), 0);
    snprintf(path, sizeof path, "%s/run.json", dir);
    assert_string_equal(slurp(path), "{}\n");
    snprintf(path, sizeof path, "%s/.run.json.tmp", dir);
    assert_int_equal(access(path, F_OK), -1); /* renamed into place */
    rundir_close(rd);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

/* The last line of a small file. */
static const char *last_line(const char *path)
{
    char *text = slurp(path);
    assert_non_null(text);
    size_t n = strlen(text);
    assert_true(n > 0 && text[n - 1] == '\n');
    text[n - 1] = '\0';
    char *nl = strrchr(text, '\n');
    return nl ? nl + 1 : text;
}

static bool ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcmp(s + a - b, tail);
}

static void the_settop_columns_close_every_row(void **state)
{
    static struct scenario scn;
    static struct ts_row row;
    char tmpl[] = "/tmp/test_rundir.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char path[320], err[256];
    snprintf(path, sizeof path, "%s/timeseries.csv", tmpl);

    /* a supernode run: zeros, after server_load */
    struct rundir *rd = rundir_open(tmpl, NULL, err, sizeof err);
    assert_non_null(rd);
    assert_true(ends_with(last_line(path),
                          ",server_load,egress_mbps,image_p50_ms,image_p99_ms,cpu_wait_ms"));
    row.t_s = 1;
    row.cpu_wait_ms = -1; /* unknown: an empty cell, never a made-up 0 */
    rundir_append_row(rd, &row);
    assert_true(ends_with(last_line(path), ",0.000,0.000,0.000,"));
    row.cpu_wait_ms = 12.5;
    rundir_append_row(rd, &row);
    assert_true(ends_with(last_line(path), ",0.000,0.000,0.000,12.500"));
    rundir_close(rd);

    /* a dht run: after the dht columns */
    scenario_defaults(&scn);
    scn.architecture = ARCH_DHT;
    rd = rundir_open(tmpl, &scn, err, sizeof err);
    assert_non_null(rd);
    assert_true(ends_with(last_line(path),
                          ",dht_dead_share,egress_mbps,image_p50_ms,image_p99_ms,cpu_wait_ms"));
    rundir_close(rd);

    /* a settop run: the values */
    scn.architecture = ARCH_SETTOP;
    rd = rundir_open(tmpl, &scn, err, sizeof err);
    assert_non_null(rd);
    row.egress_mbps = 38.1;
    row.image_p50_ms = 851.968;
    row.image_p99_ms = 2293.76;
    rundir_append_row(rd, &row);
    assert_true(ends_with(last_line(path), ",38.100,851.968,2293.760,12.500"));
    rundir_close(rd);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
}

static void open_fails_with_a_message(void **state)
{
    char err[256] = "";
    assert_null(rundir_open("/proc/no/such/dir", NULL, err, sizeof err));
    assert_non_null(strstr(err, "cannot create results directory /proc/no/such/dir"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_dir_is_under_runs_with_time_and_name),
        cmocka_unit_test(open_makes_parents_and_starts_the_csv_files),
        cmocka_unit_test(the_settop_columns_close_every_row),
        cmocka_unit_test(open_fails_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
