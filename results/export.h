/* export.h - the `export` subcommand: tidy data for pandas, R and jq, or
 * the runs' final figures for Prometheus.
 *
 * csv, json, jsonl: one record per (run, interval): run (label), name,
 * seed, group, then every timeseries.csv column. Runs whose files have
 * different columns (older and newer bootstorm versions) get the union, in
 * first-seen order, with an empty cell (CSV) or null (JSON) where a run has
 * no such column.
 *
 * openmetrics, prometheus: each run's final totals in the text format of
 * `bootstorm run --metrics-listen` (common/openmetrics.h, docs/metrics.md):
 * every metric family once, one sample per run labelled run="LABEL"; the
 * OpenMetrics text ends in one "# EOF". */
#ifndef BSR_EXPORT_H
#define BSR_EXPORT_H

#include <stddef.h>

#include "run_load.h"
#include "sbuf.h"

enum export_format { EXPORT_CSV, EXPORT_JSON, EXPORT_JSONL, EXPORT_OPENMETRICS, EXPORT_PROMETHEUS };

/* Parse "csv", "json", "jsonl" (or "ndjson"), "openmetrics" or
 * "prometheus"; -1 for anything else. */
int export_format_parse(const char *s, enum export_format *out);
void export_runs(const struct run *runs, size_t n, enum export_format f, struct sbuf *out);

struct om_run;
/* A loaded run as the metrics see it (export --format openmetrics): the
 * counters from run.json's summary (else the sums of their columns), the
 * gauges, progress and timer lag of the last timeseries row, and the
 * latency summaries of histograms.json over the whole run. Its strings are
 * borrowed from r. */
void export_om_run(const struct run *r, struct om_run *out);

#endif
