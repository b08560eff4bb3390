/* autoscale.h - the central architecture's autoscaler: the decision, per data
 * centre, to bring dormant spare presence servers on line or to take one off,
 * as a cloud autoscaling group with target tracking does.
 *
 * Pure: the coordinator feeds it one aggregated metrics row at a time (each
 * DC's utilisation and servers up) and does what it answers: maps the spare
 * indices to node ids and tells their ranks when to start or stop them.
 *
 * Indices: a DC's servers are 0..max-1; 0..initial-1 are up at the start, the
 * rest are dormant spares. Servers are brought on line in index order and
 * taken off in reverse, so the DC's running or provisioning servers are
 * always 0..active-1.
 *
 * The rules, per DC, on each row at now (run time, ns):
 * - Off when autoscale.target is 0: nothing is tracked and nothing done.
 * - A DC with no server up is skipped: in an outage there is no utilisation
 *   to act on. Its windows are reset, so after the outage a whole window of
 *   fresh rows is needed before it acts.
 * - A batch being provisioned comes up at its ready time: on the first row at
 *   or after it, it no longer counts as pending.
 * - Scale up: the first row with load >= target opens the above window, a row
 *   below target closes it. Once it has been open for window_ns, the DC wants
 *   desired = ceil(servers_up * load / target) servers, the number that would
 *   bring the utilisation back to the target, and gets desired - active more
 *   (at most up to max), ready provisioning_ns later. Servers still
 *   provisioning count in active, so a load that stays high while they boot
 *   adds nothing more unless it grows. After an action the window restarts
 *   at that row. At most AUTOSCALE_MAX_BATCHES batches are pending at once;
 *   past that the DC waits for one to come up.
 * - Scale in: the first row with load < scale_in_below opens the below
 *   window, a row at or above closes it. Once it has been open for
 *   cooldown_ns, with nothing pending, active > initial and cooldown_ns since
 *   the DC's last action, the last server (index active-1) is taken off, at
 *   now (the coordinator adds its own lead). The below window restarts at
 *   that row, so a DC loses at most one server per cool-down.
 * - One action per DC per row; scale up is considered first. */
#ifndef BS_AUTOSCALE_H
#define BS_AUTOSCALE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/scenario.h"

/* Batches one DC may have provisioning at once. */
#define AUTOSCALE_MAX_BATCHES 8

struct autoscale_batch {
    int64_t ready_ns; /* when its servers take clients */
    uint32_t count;
};

struct autoscale_dc {
    uint32_t initial; /* servers at the start; never scaled below */
    uint32_t max;     /* ceiling (>= initial) */
    uint32_t active;  /* running or provisioning: indices 0..active-1 */
    uint32_t pending; /* of which still provisioning (sum of the batches) */
    struct autoscale_batch batch[AUTOSCALE_MAX_BATCHES]; /* oldest first */
    uint32_t n_batch;
    int64_t above_since_ns; /* start of the above-target window; -1: not open */
    int64_t below_since_ns; /* start of the below-scale_in_below window; -1: not open */
    int64_t last_action_ns; /* -1: none yet */
};

struct autoscaler {
    struct scn_autoscale cfg;
    uint32_t n_dc;
    struct autoscale_dc dc[SCN_MAX_DCS];
};

/* One decision: servers [first, first+count) of DC dc come up (up) or go
 * down at at_ns; decided on the row at decided_ns. */
struct autoscale_action {
    uint32_t dc;
    bool up;
    uint32_t first;
    uint32_t count;
    int64_t decided_ns;
    int64_t at_ns;
};

/* From s->central: its data centres (servers, max_servers) and autoscale. */
void autoscale_init(struct autoscaler *a, const struct scenario *s);

/* One metrics row at now_ns: load[i] and servers_up[i] are DC i's measured
 * utilisation and servers up (n_dc of each). Writes at most one action per
 * DC into out (room for SCN_MAX_DCS), in DC order; returns how many. */
uint32_t autoscale_row(struct autoscaler *a, int64_t now_ns, const double *load,
                       const uint32_t *servers_up, struct autoscale_action *out);

/* DC dc's servers running or provisioning (its active count). */
uint32_t autoscale_servers(const struct autoscaler *a, uint32_t dc);

#endif
