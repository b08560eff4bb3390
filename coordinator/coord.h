/* coord.h - rank 0's run control (design 6).
 *
 * During the run it schedules the scenario's events, aggregates the ranks'
 * snapshots by interval into timeseries rows (written as soon as every rank
 * has reported), prints the progress line, and ends the run at `duration`
 * with the STOP/BYE exchange (ctrl.h). At the end it turns the gathered
 * per-peer results into the summary in run.json. */
#ifndef BS_COORD_H
#define BS_COORD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hist.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "results.h"

struct event_base;
struct ctrl;
struct coord;

/* Per-rank facts gathered at the end (index = rank). */
struct rank_info {
    char host[64];
    int64_t clock_offset_ns, clock_rtt_ns;
    uint32_t nodes, peers;
    double cpu_s;
    int64_t maxrss_kb;
    uint64_t lag_p99_us; /* whole run */
};

/* What main gathers from every rank after the loop. */
struct run_final {
    struct rank_info *ranks;  /* world entries */
    int64_t *first_online_ns; /* every peer, -1 = never online */
    uint32_t *attempts;       /* every peer's login attempts */
    uint32_t n_peers;
    struct hist login_us, register_us, ls_queue_us, ls_service_us, lag_us;
};

struct coord_meta {
    const char *scenario_path;
    const char *const *overrides;
    int n_overrides;
    char started_at[32]; /* ISO 8601 UTC */
    bool quiet;
};

struct coord *coord_new(struct event_base *base, struct ctrl *ctrl, const struct scenario *scn,
                        int world, struct results *res, const struct coord_meta *meta);
/* Send the schedule and start the clock; call once the loop is about to run. */
void coord_start(struct coord *c, int64_t start_mono_ns);
/* Write run.json and histograms.json and print the summary. Returns 0 if
 * the run completed and every file was written. */
int coord_finish(struct coord *c, const struct run_final *f);
void coord_free(struct coord *c);

#endif
