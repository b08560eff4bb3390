/* clocksync_mpi.h - the start-up clock sync: blocking MPI ping-pongs
 * between rank 0 and every other rank, before t0 (protocol.h, SYNC_PING and
 * SYNC_PONG). The estimate from the samples is clocksync.h's. */
#ifndef BS_CLOCKSYNC_MPI_H
#define BS_CLOCKSYNC_MPI_H

#include <mpi.h>

#include "clocksync.h"

/* Collective over comm: every rank gets its own estimate in *mine, and rank 0
 * gets every rank's in all[] (size of comm entries; may be NULL elsewhere).
 * Cost: `rounds` round trips per rank, one rank after another. Returns 0.
 * Out of memory on rank 0 aborts the job: the other ranks are already
 * waiting for its probes and could not be told. */
int clocksync_run(MPI_Comm comm, int rounds, struct clock_estimate *mine,
                  struct clock_estimate *all);

#endif
