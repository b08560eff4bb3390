/* coord.h - rank 0's run control (design 6).
 *
 * During the run it schedules the scenario's events, aggregates the ranks'
 * snapshots by interval into timeseries rows (written as soon as every rank
 * has reported), prints the progress line, and ends the run at `duration`
 * with the STOP/BYE exchange (control/protocol.h). At the end it turns the gathered
 * per-peer results into the summary in run.json. */
#ifndef BS_COORD_H
#define BS_COORD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hist.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "rundir.h"
#include "summary.h"

struct event_base;
struct ctrl;
struct coord;
struct om_run;

struct coord_meta {
    const char *scenario_path;
    const char *const *overrides;
    int n_overrides;
    char started_at[32]; /* ISO 8601 UTC */
    bool quiet;
};

struct coord *coord_new(struct event_base *base, struct ctrl *ctrl, const struct scenario *scn,
                        int world, struct rundir *rd, const struct coord_meta *meta);
/* Send the schedule, start the clock and write a provisional run.json
 * (complete: false, a reason, no summary) so that a run that dies still
 * says what it was; from the first row on, and every few seconds, the
 * interim run.json adds the summary of the rows so far. Call once the loop
 * is about to run. */
/* offsets: every rank's clock offset from the start-up sync (world entries). */
void coord_start(struct coord *c, int64_t start_mono_ns, const int64_t *offsets);
/* A signal (SIGINT, SIGTERM) reached rank 0: the run ends early through
 * the normal end (STOP, BYE, the final gathers, run.json with complete:
 * false and the reason). run.json is first rewritten at once from the rows,
 * in case the job is killed before that end. Host ranks report their
 * signals over the control plane (INTERRUPT) to the same effect. */
void coord_interrupt(struct coord *c, int sig);
/* Write run.json and histograms.json and print the summary. Returns 0 if
 * the run completed and every file was written. */
int coord_finish(struct coord *c, const struct run_final *f);
/* The run's live metrics (--metrics-listen, docs/metrics.md) as of the
 * latest complete interval: every counter summed over the ranks and the
 * intervals so far, the gauges of the latest row, its progress, the latency
 * quantiles of its interval; and the run clock now. Borrowed, valid until
 * coord_free; each row updates it. */
const struct om_run *coord_live_metrics(struct coord *c);
void coord_free(struct coord *c);

#endif
