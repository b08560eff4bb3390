/* host.h - the node host: every node of one rank in one event loop.
 *
 * The host owns the nodes (login servers, supernodes, peers) placed on its
 * rank, the shared TLS and ticket keys, the rank's metrics and the timeline.
 * It has no MPI in it: node/rank.c connects it to the coordinator, and the
 * unit tests drive it directly.
 *
 * Time: "run time" is nanoseconds since the run's t=0 in the coordinator's
 * clock. local CLOCK_MONOTONIC = start_coord_ns + run time + offset_ns. */
#ifndef BS_HOST_H
#define BS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "ticket.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct peer;
struct login_server;
struct supernode;
struct service;
struct promotion;
struct impair;
struct sweep;

struct host {
    struct event_base *base;
    const struct scenario *scn;
    const struct pki *pki;
    struct placement pl;
    int rank;

    int64_t offset_ns;      /* local monotonic - coordinator monotonic */
    int64_t start_coord_ns; /* coordinator monotonic time of run time 0 */

    SSL_CTX *client_ctx;
    struct ticket_keys keys;
    struct metrics m;

    struct peer *peers; /* local peers, in id order */
    uint32_t n_peers;
    struct login_server **ls;
    uint32_t n_ls;
    struct supernode **sn; /* initial, injected (dormant until their event), promoted */
    uint32_t n_sn, sn_cap;
    struct service **svc;
    uint32_t n_svc;
    struct workload *workload;
    struct promotion *promotion;
    struct impair *impair;
    struct event *partition_end;
    int64_t global_online, global_sn; /* from the coordinator's last row */

    struct event *lag_timer;
    int64_t lag_next_local_ns;
    struct sweep *sweeps; /* event expansions still in progress */
};

/* Create every node placed on `rank` (listeners are bound at once). The
 * scenario and pki must outlive the host. Returns 0, or -1 with err set. */
int host_init(struct host *h, struct event_base *base, const struct scenario *scn,
              const struct pki *pki, int world_size, const uint32_t *host_ips, int rank,
              int64_t offset_ns, int64_t start_coord_ns, char *err, size_t errlen);
void host_destroy(struct host *h);

/* Run time now, and the local monotonic time of a run time. */
int64_t host_now(const struct host *h);
int64_t host_local_of(const struct host *h, int64_t run_ns);
/* Arm a timer to fire at run time run_ns (at once if that is past). */
void host_arm_at(const struct host *h, struct event *ev, int64_t run_ns);
void host_arm_in(struct event *ev, int64_t delay_ns);

/* Fire scenario event `idx` now: select this rank's share of the peers
 * (deterministically from seed, node id and idx) and spread the action over
 * the event's window. Returns how many local peers were selected. */
uint32_t host_fire_event(struct host *h, uint32_t idx, const struct scn_event *ev);

/* Fill a snapshot of the current metrics and reset the per-interval parts. */
void host_snapshot(struct host *h, uint32_t interval, struct metrics_snapshot *s);

/* Per-peer results for the summary: first-online run time in ns (-1 never)
 * and login attempts, in local peer order. Arrays have n_peers entries. */
void host_peer_results(const struct host *h, int64_t *first_online_ns, uint32_t *attempts);

/* Add a supernode (a promoted peer) to the host's list. Returns 0 or -1. */
int host_add_sn(struct host *h, struct supernode *sn);

/* Gauge bookkeeping for role state machines. */
static inline void host_gauge_move(struct host *h, int from, int to)
{
    if (from >= 0)
        h->m.g[from]--;
    if (to >= 0)
        h->m.g[to]++;
}

#endif
