/* test_openmetrics.c - common/openmetrics.c: the names, the two formats,
 * escaping, numbers, several runs, and the Accept header. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/openmetrics.h"

static char name[160];

static const char *fam(const char *table, double *scale, const char **unit)
{
    assert_int_equal(om_family_name(table, name, sizeof name, scale, unit), 0);
    return name;
}

static void names(void **state)
{
    double scale;
    const char *unit;
    assert_string_equal(fam("login_ok", &scale, &unit), "bootstorm_login_ok");
    assert_true(scale == 1 && unit == NULL);
    assert_string_equal(fam("reg_busy_us", &scale, &unit), "bootstorm_reg_busy_seconds");
    assert_true(scale == 1e-6 && !strcmp(unit, "seconds"));
    assert_string_equal(fam("wait_ms", &scale, &unit), "bootstorm_wait_seconds");
    assert_true(scale == 1e-3);
    assert_string_equal(fam("wait_ns", &scale, &unit), "bootstorm_wait_seconds");
    assert_true(scale == 1e-9);
    assert_string_equal(fam("he_egress_bytes", &scale, &unit), "bootstorm_he_egress_bytes");
    assert_true(scale == 1 && !strcmp(unit, "bytes"));
    /* the suffixes of other types' samples */
    assert_string_equal(fam("sn_count", &scale, &unit), "bootstorm_sn_count_value");
    assert_string_equal(fam("x_sum", &scale, &unit), "bootstorm_x_sum_value");
    assert_string_equal(fam("x_total", &scale, &unit), "bootstorm_x_total_value");
    assert_string_equal(fam("x_info", &scale, &unit), "bootstorm_x_info_value");
    assert_string_equal(fam("x_bucket", &scale, &unit), "bootstorm_x_bucket_value");
    assert_string_equal(fam("x_created", &scale, &unit), "bootstorm_x_created_value");
    /* "us" alone is no suffix; a name that does not fit */
    assert_string_equal(fam("us", &scale, &unit), "bootstorm_us");
    char small[12];
    assert_int_equal(om_family_name("login_attempts", small, sizeof small, &scale, &unit), -1);
}

static void accept_header(void **state)
{
    assert_false(om_accepts_openmetrics(NULL));
    assert_false(om_accepts_openmetrics(""));
    assert_false(om_accepts_openmetrics("*/*"));
    assert_false(om_accepts_openmetrics("text/plain"));
    assert_false(om_accepts_openmetrics("application/json"));
    /* Prometheus 2.x */
    assert_true(om_accepts_openmetrics(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
        "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
    assert_true(om_accepts_openmetrics("application/openmetrics-text"));
    assert_true(om_accepts_openmetrics("APPLICATION/OpenMetrics-Text; version=1.0.0"));
    assert_true(om_accepts_openmetrics(" text/plain;q=0.2 , application/openmetrics-text ; q=0.3"));
    assert_true(om_accepts_openmetrics("application/openmetrics-text;q=0.5,*/*;q=0.5"));
    assert_false(om_accepts_openmetrics("application/openmetrics-text;q=0"));
    assert_false(om_accepts_openmetrics("application/openmetrics-text;q=0.000"));
    assert_false(om_accepts_openmetrics("text/plain, application/openmetrics-text;q=0.9"));
    assert_false(om_accepts_openmetrics("text/*;q=1,application/openmetrics-text;q=0.5"));
    assert_false(om_accepts_openmetrics("application/openmetrics-text;q=abc"));
    assert_false(om_accepts_openmetrics("application/openmetrics-text;q=2"));
    assert_false(om_accepts_openmetrics("application/openmetrics-textx"));
}

/* One run with counter login_ok = 5 and gauge online = 7, nothing else. */
static void one_run(struct om_run *r, const char *run, const char *scn)
{
    om_run_init(r);
    r->run = run;
    r->scenario = scn;
    r->architecture = "supernode";
    r->version = "0.1.0";
    r->seed = "7";
    r->has_counter[C_LOGIN_OK] = true;
    r->counter[C_LOGIN_OK] = 5;
    r->has_gauge[G_ONLINE] = true;
    r->gauge[G_ONLINE] = 7;
}

static char *write_text(enum om_format f, const struct om_run *runs, size_t n)
{
    struct om_buf b = {0};
    assert_int_equal(om_write(&b, f, runs, n), 0);
    assert_non_null(b.s);
    assert_int_equal(strlen(b.s), b.len);
    return b.s; /* freed by the caller */
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void openmetrics_text(void **state)
{
    struct om_run r;
    one_run(&r, "r1", "small");
    char *t = write_text(OM_OPENMETRICS, &r, 1);
    const char *info = "# TYPE bootstorm_run_info gauge\n"
                       "# HELP bootstorm_run_info The run: its directory name (run), scenario "
                       "name, architecture, bootstorm version and seed\n"
                       "bootstorm_run_info{run=\"r1\",scenario=\"small\",architecture="
                       "\"supernode\",version=\"0.1.0\",seed=\"7\"} 1\n";
    assert_memory_equal(t, info, strlen(info));
    assert_non_null(strstr(t, "\n# TYPE bootstorm_login_ok counter\n"
                              "# HELP bootstorm_login_ok Counter login_ok of timeseries.csv, "
                              "summed over the ranks and the intervals up to the latest complete "
                              "one\nbootstorm_login_ok_total{run=\"r1\",scenario=\"small\"} 5\n"));
    assert_non_null(strstr(t, "\n# TYPE bootstorm_online gauge\n"));
    assert_non_null(strstr(t, "\nbootstorm_online{run=\"r1\",scenario=\"small\"} 7\n"));
    /* only what is known: no other counter, gauge, summary or NaN gauge */
    assert_int_equal(count(t, "# TYPE"), 4); /* info, run_complete, login_ok, online */
    assert_non_null(strstr(t, "bootstorm_run_complete{run=\"r1\",scenario=\"small\"} 0\n"));
    assert_null(strstr(t, "NaN"));
    assert_null(strstr(t, "bootstorm_boots"));
    /* one # EOF, last */
    assert_int_equal(count(t, "# EOF"), 1);
    size_t n = strlen(t);
    assert_string_equal(t + n - 6, "# EOF\n");
    free(t);
}

static void prometheus_text(void **state)
{
    struct om_run r;
    one_run(&r, "r1", "small");
    r.has_counter[C_REG_BUSY_US] = true;
    r.counter[C_REG_BUSY_US] = 1500000; /* us: 1.5 s */
    r.run_s = 2.5;
    char *t = write_text(OM_PROMETHEUS, &r, 1);
    assert_non_null(strstr(t, "# HELP bootstorm_login_ok_total Counter login_ok"));
    assert_non_null(strstr(t, "\n# TYPE bootstorm_login_ok_total counter\n"
                              "bootstorm_login_ok_total{run=\"r1\",scenario=\"small\"} 5\n"));
    assert_non_null(strstr(t, "\n# TYPE bootstorm_reg_busy_seconds_total counter\n"
                              "bootstorm_reg_busy_seconds_total{run=\"r1\",scenario=\"small\"} "
                              "1.5\n"));
    assert_non_null(strstr(t, "\nbootstorm_run_seconds{run=\"r1\",scenario=\"small\"} 2.5\n"));
    assert_null(strstr(t, "# EOF"));
    assert_null(strstr(t, "# UNIT"));
    free(t);
    /* OpenMetrics: the unit, and the family named without _total */
    t = write_text(OM_OPENMETRICS, &r, 1);
    assert_non_null(strstr(t, "# TYPE bootstorm_reg_busy_seconds counter\n"
                              "# UNIT bootstorm_reg_busy_seconds seconds\n"));
    assert_non_null(strstr(t, "# TYPE bootstorm_run_seconds gauge\n"
                              "# UNIT bootstorm_run_seconds seconds\n"));
    free(t);
}

static void escaping(void **state)
{
    struct om_run r;
    one_run(&r, "a\"b\\c\nd", "caf\xc3\xa9 \xff\xc3(");
    char *t = write_text(OM_OPENMETRICS, &r, 1);
    /* label values: \" \\ \n; invalid UTF-8 (a stray byte, a cut sequence)
     * becomes U+FFFD, valid UTF-8 stays */
    assert_non_null(strstr(t, "bootstorm_online{run=\"a\\\"b\\\\c\\nd\",scenario=\"caf\xc3\xa9 "
                              "\xef\xbf\xbd\xef\xbf\xbd(\"} 7\n"));
    free(t);
}

static void numbers_and_summaries(void **state)
{
    struct om_run r;
    one_run(&r, "r", "s");
    r.lat[OM_LAT_LOGIN] = (struct om_latency_data){
        .known = true, .count = 3, .sum_s = 0.1, .q_s = {0.000123, 1e-7, NAN}};
    r.cpu_max = 1.0 / 3;
    char *t = write_text(OM_OPENMETRICS, &r, 1);
    const char *want = "# TYPE bootstorm_login_latency_seconds summary\n"
                       "# UNIT bootstorm_login_latency_seconds seconds\n";
    assert_non_null(strstr(t, want));
    assert_non_null(strstr(t,
                           "bootstorm_login_latency_seconds{run=\"r\",scenario=\"s\","
                           "quantile=\"0.5\"} 0.000123\n"
                           "bootstorm_login_latency_seconds{run=\"r\",scenario=\"s\","
                           "quantile=\"0.95\"} 1e-07\n"
                           "bootstorm_login_latency_seconds{run=\"r\",scenario=\"s\","
                           "quantile=\"0.99\"} NaN\n"
                           "bootstorm_login_latency_seconds_sum{run=\"r\",scenario=\"s\"} 0.1\n"
                           "bootstorm_login_latency_seconds_count{run=\"r\",scenario=\"s\"} 3\n"));
    /* the fewest digits that read back exactly */
    assert_non_null(
        strstr(t, "bootstorm_cpu_max_ratio{run=\"r\",scenario=\"s\"} 0.3333333333333333\n"));
    assert_null(strstr(t, "bootstorm_register_latency_seconds")); /* not known */
    free(t);
}

static void several_runs(void **state)
{
    struct om_run r[3];
    one_run(&r[0], "a", "s1");
    one_run(&r[1], "b", "s2");
    one_run(&r[2], "c", "s2");
    r[1].has_counter[C_LOGIN_OK] = false; /* an older run without it */
    r[2].counter[C_LOGIN_OK] = 9;
    r[2].has_counter[C_BOOTS] = true;
    char *t = write_text(OM_OPENMETRICS, r, 3);
    /* each family once, its samples in run order */
    assert_int_equal(count(t, "# TYPE bootstorm_login_ok counter\n"), 1);
    assert_non_null(strstr(t, "# HELP bootstorm_login_ok Counter login_ok of timeseries.csv, "
                              "summed over the ranks and the intervals up to the latest complete "
                              "one\nbootstorm_login_ok_total{run=\"a\",scenario=\"s1\"} 5\n"
                              "bootstorm_login_ok_total{run=\"c\",scenario=\"s2\"} 9\n# TYPE"));
    assert_non_null(strstr(t, "# TYPE bootstorm_boots counter\n"));
    assert_int_equal(count(t, "bootstorm_boots_total{"), 1);
    assert_int_equal(count(t, "bootstorm_run_info{"), 3);
    assert_int_equal(count(t, "# EOF"), 1);
    free(t);
    /* no run: an empty exposition */
    t = write_text(OM_OPENMETRICS, r, 0);
    assert_string_equal(t, "# EOF\n");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(accept_header),
        cmocka_unit_test(openmetrics_text),
        cmocka_unit_test(prometheus_text),
        cmocka_unit_test(escaping),
        cmocka_unit_test(numbers_and_summaries),
        cmocka_unit_test(several_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
