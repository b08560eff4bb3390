/* faults.h - scenario events on this rank: which local nodes, when, what.
 *
 * An event such as "reboot 60% of the peers over 10 s" is expanded on every
 * rank without MPI traffic: each rank picks its share of the role's nodes
 * deterministically from (seed, node id, event index), gives each a time in
 * the window from the same hash, and walks them in time order with one
 * timer (a "sweep"). The action itself goes through the role table
 * (node/role_table.h), so a new role needs no change here. Partitions act on
 * the impairment layer; an event kind that belongs to one role
 * (inject_supernodes) goes to that role's `fire` operation. */
#ifndef BS_FAULTS_H
#define BS_FAULTS_H

#include <stdint.h>

struct host;
struct scn_event;
struct faults;

struct faults *faults_new(struct host *h);
/* Cancel sweeps still in progress and free. */
void faults_free(struct faults *f);

/* Fire scenario event `idx`, due at run time t0, now. The event's window
 * starts at t0, not at the moment this runs: nodes whose time in the
 * window has passed act at once, so a late firing does not shift the storm.
 * Returns how many local nodes it selected. */
uint32_t faults_fire(struct faults *f, uint32_t idx, const struct scn_event *ev, int64_t t0);

#endif
