/* test_rundir.c - the run directory writer: where runs go by default, and
 * the files it starts with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

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
        cmocka_unit_test(open_fails_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
