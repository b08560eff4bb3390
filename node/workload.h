/* workload.h - the steady-state open-loop workload of one rank's peers.
 *
 * Online peers send REQUESTs to the central service as a Poisson process of
 * workload.request_rate per peer (one rank-wide arrival timer, thinned to the
 * peers that are online). Each request has a timeout and is retried per
 * workload.request.retry, with the peer's own budget and throttle. Open loop:
 * new requests do not wait for old ones, which is how a retry storm can
 * outlast its trigger.
 *
 * Requests go over one UDP socket per rank; each datagram leaves from its
 * peer's own address (IP_PKTINFO), so the service sees every peer apart. */
#ifndef BS_WORKLOAD_H
#define BS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

struct host;
struct workload;

/* NULL with err set on failure; a scenario without requests gets a workload
 * that does nothing. */
struct workload *workload_new(struct host *h, char *err, size_t errlen);
void workload_free(struct workload *w);

#endif
