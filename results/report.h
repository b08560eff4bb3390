/* report.h - the `report` subcommand: one self-contained HTML page (inline
 * CSS and SVG, no scripts, no external resources) with a summary table, the
 * fidelity warnings and one chart per metric, runs overlaid. */
#ifndef BSR_REPORT_H
#define BSR_REPORT_H

#include <stddef.h>

#include "run_load.h"
#include "sbuf.h"

struct report_opts {
    const char *title;     /* NULL = from the scenario names */
    const char *version;   /* the tool's version, for the footer */
    const char *generated; /* timestamp text for the footer, NULL = none */
};

/* The chart ids, in page order (the tests count them). */
extern const char *const report_chart_ids[];
extern const size_t report_n_charts;

void report_html(const struct run *runs, size_t n, const struct report_opts *o, struct sbuf *out);

#endif
