/* run_load.h - load and validate one results directory (docs/results.md).
 *
 * A run is accepted only when run.json is a finished bootstorm run of a
 * format_version this tool reads, and timeseries.csv parses completely:
 * every problem is an error naming the file (and line). events.csv and
 * histograms.json are optional (the charts that need them say "no data"),
 * but a damaged one is an error too. */
#ifndef BSR_RUN_LOAD_H
#define BSR_RUN_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define RUN_FORMAT_VERSION 1 /* the newest run.json / histograms.json this tool reads */

struct run_event {
    int index;  /* the event's index in the scenario, -1 if unknown */
    char *kind; /* boot, reboot, crash, ... */
    int rank;
    double scheduled_s;
    double skew_ms;
};

struct run {
    char *path;       /* as given, without trailing slashes */
    char *label;      /* short name for tables and legends: unique among loaded runs */
    json_t *root;     /* run.json */
    json_t *summary;  /* borrowed from root */
    json_t *scenario; /* borrowed from root */
    json_t *hist;     /* histograms.json, or NULL */
    char *name;       /* scenario name */
    char *seed;       /* as text: large seeds are strings in run.json */
    bool complete;

    size_t n_rows, n_cols; /* timeseries.csv, column-major */
    char **cols;
    double **data;

    struct run_event *events;
    size_t n_events;
    bool has_events;

    char **notes; /* non-fatal remarks (missing optional files) */
    size_t n_notes;
};

/* Load DIR. Returns 0, or -1 with err set (the run is freed). */
int run_load(const char *dir, struct run *out, char *err, size_t errlen);
void run_free(struct run *r);

/* Validate a run.json text (the checks run_load applies; label names it in
 * messages). Returns the parsed root or NULL with err set. */
json_t *run_json_parse(const char *text, const char *label, char *err, size_t errlen);

/* Load every argument; a directory without run.json whose subdirectories
 * are runs (a sweep directory) stands for those runs, in name order.
 * Returns 0, or -1 with err set and nothing allocated. */
int runs_load(char *const *args, size_t n_args, struct run **out, size_t *n_out, char *err,
              size_t errlen);
void runs_free(struct run *runs, size_t n);

/* A timeseries column, or NULL when the file has none of that name. */
const double *run_col(const struct run *r, const char *name);
/* Summary number by key ("t95_s", "fidelity.lag_p99_ms"): 1 = a number (or
 * a boolean, as 0/1), 0 = null, -1 = absent. */
int run_number(const struct run *r, const char *key, double *v);
/* Length of interval i in seconds (from t_s, so uneven rows still work). */
double run_interval_at(const struct run *r, size_t i);
/* Scenario duration in seconds (falls back to the last t_s). */
double run_duration_s(const struct run *r);
/* Login-server capacity in logins/s: login_servers * workers / mean
 * service_time, from the resolved scenario. NaN when it cannot be known. */
double run_capacity(const struct run *r);
/* Mean of a scenario distribution string ("10ms", "exp(5ms)",
 * "uniform(1ms, 3ms)", "lognormal(2s, 0.5)") in seconds, or NaN. */
double dist_mean_s(const char *text);
/* A scenario key by dotted path ("control.max_lag_p99"), or NULL. */
json_t *run_scenario_get(const struct run *r, const char *path);
/* The scenario with the keys that do not change what is emulated removed
 * (seed, network.base, network.allowed, every "port"): runs with equal keys
 * form a group. New ref. */
json_t *run_scenario_key(const struct run *r);

#endif
