/* openmetrics.h - bootstorm's metrics as text for Prometheus: the
 * OpenMetrics 1.0.0 text format and the classic Prometheus text format
 * 0.0.4 (docs/metrics.md names every metric).
 *
 * One writer for both users: the coordinator's live endpoint
 * (`bootstorm run --metrics-listen`, one run: the latest complete interval)
 * and `bootstorm-results export --format openmetrics` (finished runs, their
 * final totals). Each fills a struct om_run per run; om_write writes every
 * metric family once, with one sample (or one summary) per run, each
 * labelled run="..." and scenario="...". The counters and gauges are those
 * of common/metrics.h, by their table names, so a counter added there is
 * exported without a change here. Plain data, no I/O. */
#ifndef BS_OPENMETRICS_H
#define BS_OPENMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"

enum om_format {
    OM_OPENMETRICS, /* application/openmetrics-text 1.0.0, ends in "# EOF" */
    OM_PROMETHEUS   /* text/plain 0.0.4 (what promtool check metrics reads) */
};

#define OM_CONTENT_TYPE_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define OM_CONTENT_TYPE_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

/* The latency summaries, and their quantiles (0.5, 0.95, 0.99: the ones
 * histograms.json carries). */
enum om_latency { OM_LAT_LOGIN, OM_LAT_REGISTER, OM_LAT_IMAGE, OM_LAT_COUNT };
#define OM_QUANTILES 3
extern const double om_quantile[OM_QUANTILES];

struct om_latency_data {
    bool known;               /* false: no summary for this run */
    uint64_t count;           /* samples, cumulative */
    double sum_s;             /* their sum in seconds, cumulative */
    double q_s[OM_QUANTILES]; /* seconds; NaN: no sample in the window */
};

/* One run as the metrics see it. A number that is NaN, and a counter or
 * gauge whose has_ flag is false, is left out (never written as NaN). */
struct om_run {
    /* Labels: run and scenario go on every sample; the others on
     * bootstorm_run_info only. NULL is written as "". */
    const char *run, *scenario, *architecture, *version, *seed;
    double run_s;      /* run time at the end of the latest complete interval */
    double elapsed_s;  /* live only: the run clock now (negative before run time 0) */
    double duration_s; /* the scenario's duration */
    double interval_s; /* metrics.interval */
    double interval;   /* complete intervals (timeseries rows) */
    double intervals;  /* the run's intervals: ceil(duration / interval) */
    double ranks;      /* host ranks that reported the latest interval */
    double peers;      /* nodes.peers */
    bool complete;     /* the run finished complete (always false while it runs) */
    double lag_p99_s;  /* worst rank's timer lag p99 in the latest interval */
    double lag_max_s;  /* its largest */
    double cpu_max;    /* busiest rank's CPU in the latest interval, 1 = a core */
    bool has_counter[C_COUNT];
    uint64_t counter[C_COUNT]; /* summed over ranks and intervals */
    bool has_gauge[G_COUNT];
    int64_t gauge[G_COUNT]; /* summed over ranks, latest interval */
    struct om_latency_data lat[OM_LAT_COUNT];
};

/* A growing text buffer (NUL-terminated). failed: out of memory, the text
 * is incomplete. */
struct om_buf {
    char *s;
    size_t len, cap;
    bool failed;
};

void om_buf_free(struct om_buf *b);

/* An om_run with every number unknown (NaN), every has_ flag false and no
 * summary. */
void om_run_init(struct om_run *r);

/* Append the exposition of runs[0..n) to b: every family once, its
 * samples in run order; "# EOF" last in OpenMetrics. Returns 0, or -1 when
 * out of memory (b->failed). */
int om_write(struct om_buf *b, enum om_format f, const struct om_run *runs, size_t n);

/* A table name (common/metrics.h) as a metric family name: "bootstorm_"
 * and the name; a last part that the formats keep for other types' samples
 * (count, sum, bucket, total, created, info, gcount, gsum) gets "_value"
 * after it (sn_count: bootstorm_sn_count_value); else a last part "us",
 * "ms" or "ns" is replaced by "seconds" (and *scale set to turn the value
 * into seconds, else 1). *unit is "seconds" or "bytes" when the name ends
 * so, else NULL. Returns 0, or -1 when out does not hold it. */
int om_family_name(const char *table_name, char *out, size_t len, double *scale, const char **unit);

/* Whether an HTTP Accept header asks for OpenMetrics: one of its media
 * ranges is application/openmetrics-text with q > 0, and no range of
 * text/plain or a wildcard has a higher q. NULL (no header): false. */
bool om_accepts_openmetrics(const char *accept);

#endif
