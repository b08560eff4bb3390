/* host.h - the node host: every node of one rank in one event loop.
 *
 * The host owns the nodes placed on its rank (created and faulted through
 * the role table, node/role_table.h), the shared TLS and ticket keys, the
 * rank's metrics and the timeline.
 * It has no MPI in it: control/rank_host.c connects it to the coordinator, and the
 * unit tests drive it directly.
 *
 * Time: "run time" is nanoseconds since the run's t=0 in the coordinator's
 * clock. local CLOCK_MONOTONIC = start_coord_ns + run time + offset_ns. */
#ifndef BS_HOST_H
#define BS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "common/attribution.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "ticket.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct peer;
struct promotion;
struct impair;
struct faults;
struct workload;
struct gslb;
struct dc_status;
struct settop_rx;
struct settop_image_desc;

/* The local nodes of one role, in creation order (for peers: id order). */
struct node_set {
    void **v;
    uint32_t n, cap;
};

struct host {
    struct event_base *base;
    const struct scenario *scn;
    const struct pki *pki;
    struct placement pl;
    int rank;

    int64_t offset_ns;      /* local monotonic - coordinator monotonic */
    int64_t start_coord_ns; /* coordinator monotonic time of run time 0 */

    SSL_CTX *client_ctx;
    /* architecture: target with TLS: the real server's trust (target.tls). */
    SSL_CTX *target_ctx;
    struct ticket_keys keys;
    struct metrics m;

    /* Every local node, by role (node/role_table.h). Supernodes include the
     * dormant injected ones and promoted peers, which stay (down) after
     * demotion until the host ends. */
    struct node_set nodes[ROLE_COUNT];
    struct workload *workload;
    struct promotion *promotion;
    struct impair *impair;
    struct faults *faults;
    int64_t global_online, global_sn; /* from the coordinator's last row */
    int64_t conns_parked;             /* open connections parked now (conn_park) */
    uint64_t unparks;                 /* conn_unpark calls since start */
    /* architecture: central: the global policy's view of the data centres,
     * fed by the coordinator after each row (node/gslb.h); else NULL. */
    struct gslb *gslb;
    /* architecture: settop, on a rank with boxes: the image every box
     * checks against, and the rank's broadcast receiver; else NULL. */
    struct settop_image_desc *settop_img;
    struct settop_rx *settop_rx;

    struct event *lag_timer;
    int64_t lag_next_local_ns;
    /* The stall clock (common/attribution.h): the lag probe's lateness beyond
     * ATTR_STALL_MIN_NS, summed since start. Whatever was in flight on this
     * rank while it advanced waited for the emulator, not the system. */
    int64_t stall_ns;
    /* The main thread's schedstat file (common/cpu_wait.h): how long the
     * rank waited for a core, reported with each snapshot; -1: unknown. */
    int cpu_wait_fd;
    /* Client-side CPU of one TLS handshake, measured at start on ranks that
     * host peers (node/tls_probe.h); 0 elsewhere. */
    int64_t client_hs_cpu_ns;
    /* ... and of a resumed one (peer.login.resume: ticket; else 0). */
    int64_t client_resumed_hs_cpu_ns;
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
/* Block until run time run_ns (at once if that is past), sleeping on the
 * monotonic clock rather than the event loop, and return the run time
 * then. For the last moments before an instant all ranks must meet. */
int64_t host_wait_until(const struct host *h, int64_t run_ns);
void host_arm_in(struct event *ev, int64_t delay_ns);
/* A keepalive due at run time due_ns, rounded up onto the keepalive grid
 * (control.keepalive_grid, at most 1% of workload.keepalive; the same
 * grid on every rank), so that one wake-up sends many; due_ns
 * itself when the grid is off. */
int64_t host_keepalive_due(const struct host *h, int64_t due_ns);

/* Fire scenario event `idx`, due at run time at_ns, now (node/faults.h).
 * Returns how many local nodes it selected. */
uint32_t host_fire_event(struct host *h, uint32_t idx, const struct scn_event *ev, int64_t at_ns);

/* central: the data centres' status in the row ending at run time t_ns
 * (n_dc entries), for the global policy. */
void host_dc_status(struct host *h, int64_t t_ns, const struct dc_status *dc);

/* Fill a snapshot of the current metrics and reset the per-interval parts. */
void host_snapshot(struct host *h, uint32_t interval, struct metrics_snapshot *s);
/* The rank and its clocks in a snapshot: the stall clock, the run-queue
 * wait and whether its stall is the emulator's. host_snapshot sets them; so
 * does the interval-0 baseline, which carries nothing else. */
void host_snapshot_clocks(const struct host *h, struct metrics_snapshot *s);

/* Per-peer results for the summary, in local peer order (arrays of
 * host_n_peers entries): first-online run time in ns (-1 never) and login
 * attempts. */
void host_peer_results(const struct host *h, int64_t *first_online_ns, uint32_t *attempts);
/* The emulator's delay between each peer's power-on and its first time
 * online (ns; common/attribution.h), in the same order. */
void host_peer_emulator_delays(const struct host *h, int64_t *first_emu_ns);

/* Add a node of `role` to the host's set (a promoted peer's supernode).
 * Returns 0 or -1 (out of memory). */
int host_add_node(struct host *h, enum role role, void *node);

/* A point on the rank's two clocks of the emulator's own delay
 * (struct emu_mark, common/attribution.h). */
static inline struct emu_mark host_emu_mark(const struct host *h)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (struct emu_mark){h->stall_ns, (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec};
}

/* The emulator's delay since mark m: the smaller of the stall and the busy
 * time accrued since (common/attribution.h). */
static inline int64_t host_emu_since(const struct host *h, struct emu_mark m)
{
    struct emu_mark now = host_emu_mark(h);
    int64_t stall = now.stall_ns - m.stall_ns, busy = now.busy_ns - m.busy_ns;
    return stall < busy ? stall : busy;
}

/* Whether the clients' own CPU work shares this rank with whatever else it
 * hosts: then its stall is the emulator's, not the servers'. */
static inline bool host_emulates_clients(const struct host *h)
{
    return h->nodes[ROLE_PEER].n > 0;
}

/* The local peers: how many, and the i-th in id order. */
static inline uint32_t host_n_peers(const struct host *h)
{
    return h->nodes[ROLE_PEER].n;
}
static inline struct peer *host_peer(const struct host *h, uint32_t i)
{
    return (struct peer *)h->nodes[ROLE_PEER].v[i];
}

/* Gauge bookkeeping for role state machines. */
static inline void host_gauge_move(struct host *h, int from, int to)
{
    if (from >= 0)
        h->m.g[from]--;
    if (to >= 0)
        h->m.g[to]++;
}

#endif
