/* results_fixture.h - a results directory in /dev/shm for the results
 * tool's targets (fuzz_run_json.c, fuzz_timeseries_csv.c,
 * fuzz_histograms_json.c). Header-only: each target is one translation unit.
 *
 * run_load (results/run_load.h) takes a directory and reads its files; of
 * the three files only run.json (run_json_parse) and the CSV syntax
 * (csv_parse) have a buffer entry point. So each target writes its input as
 * one file of a directory whose other files are the small valid ones below,
 * and loads that directory: one write per execution, in memory (tmpfs). The
 * directory is per process and removed at exit.
 *
 * What a loaded run must survive: the accessors of run_load.h and the
 * summary printer (results/summarize.h), which read what the loader let in. */
#ifndef BS_FUZZ_RESULTS_FIXTURE_H
#define BS_FUZZ_RESULTS_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run_load.h"
#include "sbuf.h"
#include "summarize.h"

#define FIX_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: invariant failed: %s\n", #cond);                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A finished run of 10 peers with a capacity timeline: every key run_load
 * requires, and the ones the capacity accessors read. */
static const char fix_run_json[] =
    "{\"format_version\": 1, \"tool\": \"bootstorm\", \"name\": \"fuzz\", \"seed\": 7,"
    " \"complete\": true, \"started_at\": \"2026-12-06T11:35:01Z\", \"world_size\": 3,"
    " \"scenario\": {\"name\": \"fuzz\", \"duration\": \"2s\", \"nodes\": {\"peers\": 10,"
    " \"login_servers\": 1}, \"login_server\": {\"workers\": 2, \"service_time\": \"5ms\"}},"
    " \"capacity\": {\"login_server\": [{\"t_s\": 0, \"per_server_rps\": 400, \"servers\": 1}],"
    " \"service\": []},"
    " \"summary\": {\"peers\": 10, \"online_final\": 10, \"login_attempts\": 10, \"login_ok\": 10,"
    " \"t50_s\": 0.5, \"t95_s\": 1.0, \"t99_s\": 1.0, \"peak_login_rps\": 20,"
    " \"fidelity\": {\"valid\": true, \"lag_p99_ms\": 2.5}}}\n";

static const char fix_timeseries_csv[] = "t_s,online,booting,ls_up,login_attempts,login_ok\n"
                                         "0.500,4,6,1,5,4\n"
                                         "1.000,10,0,1,5,6\n"
                                         "1.500,10,0,1,0,0\n";

static const char fix_histograms_json[] =
    "{\"format_version\": 1, \"login\": {\"unit\": \"us\", \"count\": 10, \"buckets\": [[6655, 4],"
    " [9215, 6]]}, \"windows\": [{\"from_s\": 0, \"to_s\": 1.5, \"login\": {\"buckets\": [[6655, "
    "4]]}}]}\n";

static char fix_dir[64];

static void fix_write(const char *name, const void *data, size_t len)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", fix_dir, name);
    FILE *f = fopen(path, "wb");
    FIX_CHECK(f != NULL);
    FIX_CHECK(fwrite(data, 1, len, f) == len || len == 0);
    FIX_CHECK(fclose(f) == 0);
}

static void fix_remove(void)
{
    static const char *const names[] = {"run.json", "timeseries.csv", "histograms.json"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", fix_dir, names[i]);
        unlink(path);
    }
    rmdir(fix_dir);
}

/* Load the directory; on success, run the target's own checks (check may be
 * NULL), read the run through every accessor and print its summary. Returns
 * run_load's result. */
static int fix_load(void (*check)(const struct run *))
{
    struct run r;
    char err[512];
    memset(err, 0x7f, sizeof err);
    int rc = run_load(fix_dir, &r, err, sizeof err);
    FIX_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FIX_CHECK(memchr(err, '\0', sizeof err) != NULL && err[0] != '\0');
        return -1;
    }
    FIX_CHECK(r.root != NULL && r.summary != NULL && r.n_cols >= 2);
    FIX_CHECK(run_col(&r, "t_s") != NULL && run_col(&r, "online") != NULL);
    if (check)
        check(&r);
    for (size_t i = 0; i < r.n_rows; i++)
        (void)run_interval_at(&r, i);
    (void)run_duration_s(&r);
    double v;
    (void)run_number(&r, "t95_s", &v);
    (void)run_number(&r, "fidelity.lag_p99_ms", &v);
    for (int c = 0; c < RUN_SRV_COUNT; c++) {
        double *x = NULL, *y = NULL, low;
        size_t n = run_capacity_line(&r, (enum run_srv)c, &x, &y);
        FIX_CHECK(n % 2 == 0 && (n == 0 || (x && y)));
        for (size_t i = 1; i < n; i++)
            FIX_CHECK(!(x[i] < x[i - 1])); /* a step line never goes back in time */
        free(x);
        free(y);
        (void)run_capacity_mean(&r, (enum run_srv)c);
        (void)run_capacity_const(&r, (enum run_srv)c);
        (void)run_capacity_outage(&r, (enum run_srv)c, &low);
    }
    json_decref(run_scenario_key(&r));
    (void)run_scenario_get(&r, "login_server.service_time");

    struct sbuf out;
    struct summarize_opts o = {.width = SUMMARIZE_WIDTH, .ascii = false};
    sbuf_init(&out);
    summarize(&r, &o, &out);
    sbuf_free(&out);
    run_free(&r);
    return 0;
}

/* Make the directory with the three valid files. */
static void fix_init(const char *target)
{
    snprintf(fix_dir, sizeof fix_dir, "/dev/shm/bs-%s-%ld", target, (long)getpid());
    fix_remove(); /* a stale one from a reused pid */
    if (mkdir(fix_dir, 0700) != 0) {
        perror(fix_dir);
        abort();
    }
    atexit(fix_remove);
    fix_write("run.json", fix_run_json, strlen(fix_run_json));
    fix_write("timeseries.csv", fix_timeseries_csv, strlen(fix_timeseries_csv));
    fix_write("histograms.json", fix_histograms_json, strlen(fix_histograms_json));
    /* If the results format moved on, say so here rather than fuzz nothing. */
    if (fix_load(NULL) != 0) {
        fprintf(stderr, "fuzz: results_fixture.h's files no longer load: update them\n");
        abort();
    }
}

#endif
