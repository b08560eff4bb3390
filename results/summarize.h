/* summarize.h - the one printer of a run's summary for the terminal: its
 * key figures in human units, a sparkline of the online fraction, and the
 * verdicts (recovery, metastability, fidelity). `bootstorm-results summary`
 * and the end of `bootstorm run` both print it. Lines fit 80 columns (long
 * values wrap under themselves; a long path stays whole). */
#ifndef BSR_SUMMARIZE_H
#define BSR_SUMMARIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "run_load.h"
#include "sbuf.h"

#define SUMMARIZE_WIDTH 60 /* default sparkline columns: 17 + 60 fits 80 */

struct summarize_opts {
    size_t width; /* sparkline columns, at most */
    bool ascii;   /* no Unicode blocks */
};

void summarize(const struct run *r, const struct summarize_opts *o, struct sbuf *out);

/* Load the results directory run_dir and print its summary to out, with
 * the default options. Returns 0, or -1 with a message in err (the run
 * could not be read, naming the file, or out could not be written). No MPI:
 * the coordinator calls it at the end of a run. */
int summarize_print_dir(FILE *out, const char *run_dir, char *err, size_t errlen);

/* The online fraction per row (online / summary.peers), malloc'd, n_rows
 * values; NULL when there are no rows or peers. */
double *summarize_online_fraction(const struct run *r);

/* Distinct (time, kind) events of a run, sorted by time: from events.csv
 * (without the autoscaler's scale_up and scale_down rows), or from the
 * scenario's events list when there is no events.csv. */
struct event_mark {
    double t_s;
    char kind[24];
};
size_t summarize_event_marks(const struct run *r, struct event_mark **out);

#endif
