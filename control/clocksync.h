/* clocksync.h - clock offsets of the ranks against rank 0 (Cristian): the
 * estimate itself, pure arithmetic with no MPI (the exchanges that collect
 * the samples are clocksync_mpi.c at start-up and the coordinator's
 * PING/PONG during the run).
 *
 * Rank 0's CLOCK_MONOTONIC is the run's reference (MPI_Wtime is not global
 * in Open MPI). Rank 0 sends a probe at t0, the rank answers with its own
 * clock tr, rank 0 receives at t1; offset = tr - (t0 + t1) / 2, with an error
 * of at most rtt / 2. Of many probes the one with the least round trip wins. */
#ifndef BS_CLOCKSYNC_H
#define BS_CLOCKSYNC_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

struct clock_sample {
    int64_t t0, tr, t1;
};

struct clock_estimate {
    int64_t offset_ns; /* rank clock - rank 0 clock */
    int64_t rtt_ns;    /* round trip of the chosen sample */
};

/* Pick the least-round-trip sample. n > 0. Samples with t1 < t0 are ignored;
 * if all are, the result has rtt_ns = -1. */
struct clock_estimate clocksync_estimate(const struct clock_sample *s, size_t n);

/* Re-estimation during the run: keep the current offset unless it lies
 * outside the new estimate's error bound (offset +- rtt/2), i.e. unless the
 * clocks have demonstrably drifted. Samples taken through the polled control
 * plane have larger round trips than the start-up ones, and this rule lets
 * them correct drift without ever adding their noise. */
bool clocksync_should_update(int64_t current_offset_ns, struct clock_estimate e);

#endif
