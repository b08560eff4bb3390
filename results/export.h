/* export.h - the `export` subcommand: tidy data for pandas, R and jq.
 *
 * One record per (run, interval): run (label), name, seed, group, then every
 * timeseries.csv column. Runs whose files have different columns (older and
 * newer bootstorm versions) get the union, in first-seen order, with an
 * empty cell (CSV) or null (JSON) where a run has no such column. */
#ifndef BSR_EXPORT_H
#define BSR_EXPORT_H

#include <stddef.h>

#include "run_load.h"
#include "sbuf.h"

enum export_format { EXPORT_CSV, EXPORT_JSON, EXPORT_JSONL };

/* Parse "csv", "json" or "jsonl"; -1 for anything else. */
int export_format_parse(const char *s, enum export_format *out);
void export_runs(const struct run *runs, size_t n, enum export_format f, struct sbuf *out);

#endif
