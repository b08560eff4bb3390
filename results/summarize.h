/* summarize.h - the `summary` subcommand: one run's key figures in human
 * units and a sparkline of the online fraction, for the terminal. */
#ifndef BSR_SUMMARIZE_H
#define BSR_SUMMARIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "run_load.h"
#include "sbuf.h"

struct summarize_opts {
    size_t width; /* sparkline columns, at most */
    bool ascii;   /* no Unicode blocks */
};

void summarize(const struct run *r, const struct summarize_opts *o, struct sbuf *out);

/* The online fraction per row (online / summary.peers), malloc'd, n_rows
 * values; NULL when there are no rows or peers. */
double *summarize_online_fraction(const struct run *r);

/* Distinct (time, kind) events of a run, sorted by time: from events.csv,
 * or from the scenario's events list when there is no events.csv. */
struct event_mark {
    double t_s;
    char kind[24];
};
size_t summarize_event_marks(const struct run *r, struct event_mark **out);

#endif
