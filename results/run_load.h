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

/* Server classes with a capacity timeline (run.json "capacity"). */
enum run_srv { RUN_SRV_LOGIN = 0, RUN_SRV_SERVICE, RUN_SRV_COUNT };

struct cap_step {
    double t_s;            /* holds from here until the next step */
    double per_server_rps; /* NaN: no limit known (null in run.json) */
    double servers;        /* configured; the ls_up/svc_up column says how many were up */
};

/* One entry of run.json's "scale_actions": the autoscaler of a central run
 * adding or removing presence servers in a data centre. */
struct scale_action {
    double decided_s; /* run time the autoscaler decided it */
    double at_s;      /* run time it took effect (after the provisioning delay) */
    char *datacenter;
    bool up;     /* scale_up (else scale_down) */
    int count;   /* servers added or removed */
    int servers; /* the data centre's active servers after it */
    double load; /* the data centre's load when it was decided; NaN if not known */
};

/* The per-data-centre columns of a central run's timeseries.csv
 * (dc_NAME_servers, dc_NAME_clients, dc_NAME_load, dc_NAME_refusals,
 * dc_NAME_spills); a column the file lacks is NULL. */
struct run_dc {
    char *name;
    const double *servers, *clients, *load, *refusals, *spills;
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

    size_t n_rows, n_cols; /* timeseries.csv, column-major */
    char **cols;
    double **data;

    struct run_event *events;
    size_t n_events;

    /* Capacity timeline per server class, from run.json's "capacity"; for a
     * run written before run.json had one, one step estimated from the
     * scenario (cap_estimated). No steps: the capacity is not known (always
     * for architecture target: a real server, no emulated one). */
    struct cap_step *cap[RUN_SRV_COUNT];
    size_t n_cap[RUN_SRV_COUNT];

    const char *reason; /* run.json's "reason" (borrowed from root), NULL when null or absent */

    /* run.json's "scale_actions" in file order (none when absent, null or []). */
    struct scale_action *scale;
    size_t n_scale;

    /* Data centres found in the timeseries columns, in column order. */
    struct run_dc *dcs;
    size_t n_dcs;

    char **notes; /* non-fatal remarks (missing optional files) */
    size_t n_notes;

    /* The flags together, where they pack. */
    bool complete;      /* run.json's "complete" */
    bool rows_only;     /* summary.rows_only: no per-peer figures (interim run.json) */
    bool has_events;    /* events.csv was there */
    bool cap_estimated; /* cap[] comes from the scenario, not run.json */
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

/* Why an incomplete run is incomplete: run.json's "reason"; for a run.json
 * from before it, the fidelity reason's ("incomplete run: ..."); else "no
 * reason recorded". */
const char *run_incomplete_reason(const struct run *r);
/* The resolved scenario's "architecture" ("supernode", "central", "dht",
 * "settop", "target"); a run
 * written before the key existed is "supernode", the only one then. */
const char *run_architecture(const struct run *r);
/* Whether the run's peers log in: every architecture but dht, where only
 * with dht.login true (a trackerless DHT has no login servers, and its
 * login_* counters are all 0), and settop (boxes register with the
 * head-end, there are no login servers). */
bool run_uses_login(const struct run *r);
/* Whether the run's architecture is dht (docs/architectures.md). */
bool run_is_dht(const struct run *r);
/* Whether the run's architecture is settop: set-top boxes (the peers)
 * fetch a boot image from a head-end, then register with it. */
bool run_is_settop(const struct run *r);
/* A settop run's "settop" object of run.json (summary.settop; a top-level
 * one is read too; run_load checked its types), or NULL: another
 * architecture, or a run without it. Borrowed. */
json_t *run_settop(const struct run *r);
/* A number of that object by dotted key ("image_s.t95"), as run_number:
 * 1 = a number, 0 = null, -1 = absent (or no settop object). */
int run_settop_number(const struct run *r, const char *key, double *v);
/* Whether the run's architecture is target: no emulated servers, the peers
 * log in to a real external server (an HTTPS login API or an MQTT broker)
 * whose capacity bootstorm does not know. run_load keeps no capacity
 * timeline for such a run (the one run.json has describes no server). */
bool run_is_target(const struct run *r);
/* A target run's summary.target object (run_load checked its types), or
 * NULL: another architecture, or a run without it. Borrowed. */
json_t *run_target(const struct run *r);
/* A number of that object by key ("refused"), as run_number: 1 = a
 * number, 0 = null, -1 = absent (or no target object). */
int run_target_number(const struct run *r, const char *key, double *v);
/* Where a target run's server is: from summary.target, else from the
 * resolved scenario's target keys. Strings are borrowed (NULL when not
 * known); port -1 and tls -1 when not known. false for another
 * architecture. */
struct run_target_server {
    const char *protocol; /* "https", "mqtt" */
    const char *host;     /* the name used (SNI, Host, certificate) */
    const char *address;  /* the IPv4 address connected to */
    long port;
    int tls; /* 1, 0, or -1 */
};
bool run_target_server(const struct run *r, struct run_target_server *s);
/* The indexes of r->scale in the order the actions took effect (at_s,
 * then decided_s, then file order); malloc'd, n_scale entries (NULL when
 * there are none). */
size_t *run_scale_order(const struct run *r);
/* The largest value of a timeseries column over the rows: 1 with *v set,
 * 0 when the column is absent or there are no rows. */
int run_col_max(const struct run *r, const char *name, double *v);
/* A timeseries column, or NULL when the file has none of that name. */
const double *run_col(const struct run *r, const char *name);
/* Summary number by key ("t95_s", "fidelity.lag_p99_ms"): 1 = a number (or
 * a boolean, as 0/1), 0 = null, -1 = absent. */
int run_number(const struct run *r, const char *key, double *v);
/* Length of interval i in seconds (from t_s, so uneven rows still work). */
double run_interval_at(const struct run *r, size_t i);
/* Scenario duration in seconds (falls back to the last t_s). */
double run_duration_s(const struct run *r);
/* A class's capacity over the run as a step line, in requests/s: each
 * stretch's per_server_rps times the servers up (the ls_up or svc_up gauge
 * of the row that covers the stretch, else the step's `servers`). Stretches
 * break at every row end and every capacity step, from 0 to the last row
 * (or the duration, without rows); equal neighbours are merged. Returns the
 * number of points (two per stretch) with *x and *y malloc'd, or 0 with
 * nothing allocated when the class has no timeline. */
size_t run_capacity_line(const struct run *r, enum run_srv c, double **x, double **y);
/* The time-weighted mean of that line (stretches without a known limit
 * left out); NaN when nothing is known. */
double run_capacity_mean(const struct run *r, enum run_srv c);
/* The class's capacity with all its servers up, when it is the same over
 * the whole run; NaN when it changes or is unknown. */
double run_capacity_const(const struct run *r, enum run_srv c);
/* Whether servers of the class were down (ls_up/svc_up below `servers`)
 * in some row; *low is then the lowest capacity while they were (NaN when
 * no limit was known then). */
bool run_capacity_outage(const struct run *r, enum run_srv c, double *low);
/* Mean of a scenario distribution string ("10ms", "exp(5ms)",
 * "uniform(1ms, 3ms)", "lognormal(2s, 0.5)") in seconds, or NaN when the
 * scenario loader would not accept it. */
double dist_mean_s(const char *text);
/* A scenario key by dotted path ("control.max_lag_p99"), or NULL. */
json_t *run_scenario_get(const struct run *r, const char *path);
/* The scenario with the keys that do not change what is emulated removed
 * (seed, network.base, network.allowed, every "port"): runs with equal keys
 * form a group. New ref. */
json_t *run_scenario_key(const struct run *r);

#endif
