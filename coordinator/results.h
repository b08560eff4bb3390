/* results.h - the run's results directory (design 7, docs/results.md).
 *
 *   run.json         metadata + summary, written atomically (tmp + rename)
 *   timeseries.csv   one row per metrics interval, appended and flushed
 *   events.csv       one row per (event, rank) with scheduled/actual/skew
 *   histograms.json  latency distributions at the end
 *   ca.pem           the run's CA certificate
 * Files are flushed as they grow, so a run that dies keeps what it wrote. */
#ifndef BS_RESULTS_H
#define BS_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "common/metrics.h"

#define RESULTS_FORMAT_VERSION 1

struct results;

/* One timeseries row: counters are per-interval deltas, gauges are levels. */
struct ts_row {
    double t_s;
    int64_t g[G_COUNT];
    uint64_t d[C_COUNT];
    double lag_p99_ms; /* worst rank's p99 timer lateness in the interval */
    double lag_max_ms;
    double cpu_max;    /* busiest rank's CPU use in the interval, 1.0 = a core */
    int ranks;         /* ranks that reported */
};

/* Make the directory (and parents) and open the CSV files. */
struct results *results_open(const char *dir, char *err, size_t errlen);
void results_close(struct results *r);
const char *results_dir(const struct results *r);

int results_write_file(struct results *r, const char *name, const char *text);
void results_append_row(struct results *r, const struct ts_row *row);
void results_append_event(struct results *r, uint32_t event, const char *kind, int rank,
                          int64_t scheduled_ns, int64_t actual_ns, uint32_t selected);

/* placement.csv: node_id,role,rank,host,address (ip:port), one row per node;
 * hosts[] gives each rank's host name. Returns 0 or -1. */
struct placement;
int results_write_placement(struct results *r, const struct placement *p, char (*hosts)[64]);

/* Default location: results/runs/<UTC timestamp>-<name>. */
void results_default_dir(const char *name, char *buf, size_t len);

#endif
