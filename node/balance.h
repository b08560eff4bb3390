/* balance.h - a front door's view of its data centre's presence servers, and
 * the choice of a server for each new registration (central architecture).
 *
 * Pure: no libevent, no host; inputs are plain values and run times in ns.
 *
 * Each presence server sends the front door a LOAD report every
 * report_interval. A backend is healthy when its last report said up, that
 * report is no older than stale_after_ns, and it has room. A server never
 * heard from is unhealthy, unless the front door marks it initially up with
 * balancer_set_initial_up (for the servers that are up when the run starts,
 * before their first report can have arrived); that counts as a report of
 * "up, empty, unlimited" at the given time, so it too goes stale when no
 * real report follows within stale_after_ns.
 *
 * Why `assigned`: a report is a snapshot, and the front door keeps sending
 * clients between two snapshots. If it ranked servers by the reported count
 * alone, the server that looked emptiest would stay the emptiest on paper
 * until its next report, and every new client in between would be sent
 * there: a burst arriving in one report interval lands on one server while
 * the others idle, and the next report turns the stampede onto another one.
 * Acting on old load information makes a greedy choice herd like that
 * (Mitzenmacher, "How useful is old information?": with stale enough load
 * data, always taking the least-loaded server does worse than picking at
 * random, while the better of two random choices stays good). So
 * the front door adds its own ASSIGNs since the report to the reported
 * count: clients + queue + assigned is its best estimate of the server's
 * current connections, and a report (which should already include those
 * clients) resets assigned to 0. Clients assigned but not yet registered when
 * the server reports are counted by neither, a small bounded error.
 *
 * Why `queue`: a request waiting in a server's queue holds its client's
 * connection, so a proxy counting connections sees it. Counting registered
 * clients alone ranks the server drowning in its backlog as the emptiest
 * (its clients time out before it registers them) and sends it still more:
 * a storm measured that way never recovered (68% online), where the
 * supernodes, whose clients forget a server that times out, did.
 *
 * Policies (balancer_pick):
 *   round-robin        the next healthy backend after the last pick,
 *                      cyclically, skipping unhealthy ones
 *   least-connections  the healthy backend with the fewest clients + queue +
 *                      assigned; ties broken uniformly at random with rng, so
 *                      that many front doors with the same view do not all
 *                      pick the same lowest index (with rng NULL: lowest index)
 *   power of two       two distinct healthy backends drawn at random (the only
 *   choices            one when just one is healthy); the one with fewer
 *                      clients + assigned wins, the first drawn on a tie
 *                      (rng NULL: behaves as least-connections) */
#ifndef BS_BALANCE_H
#define BS_BALANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rng.h"
#include "common/scenario.h"

struct backend {
    uint32_t node_id;
    int64_t reported_ns;                  /* run time of the last LOAD report; -1: never */
    bool up;                              /* as last reported */
    uint32_t clients, max_clients, queue; /* as last reported; max_clients 0 = unlimited */
    double load;                          /* as last reported (utilisation, 0..1+) */
    uint32_t assigned;                    /* ASSIGNs made since that report */
};

struct balancer {
    struct backend *b;
    uint32_t n;
    enum scn_balance policy;
    int64_t stale_after_ns; /* a server not heard from for this long is unhealthy */
    uint32_t rr_next;       /* round-robin: where the next scan starts */
};

/* Backends in the order of node_ids, all unheard-of (unhealthy). n may be 0.
 * Returns 0, or -1 when out of memory. */
int balancer_init(struct balancer *bl, const uint32_t *node_ids, uint32_t n,
                  enum scn_balance policy, int64_t stale_after_ns);
void balancer_free(struct balancer *bl);

/* The index of node_id's backend, or -1 when it is not one of ours. */
int balancer_find(const struct balancer *bl, uint32_t node_id);

/* Treat backend i as reported up, empty and unlimited at now_ns (see above). */
void balancer_set_initial_up(struct balancer *bl, uint32_t i, int64_t now_ns);

/* A LOAD report from node_id, received at now_ns: ignored when node_id is not
 * one of ours. Returns whether it was ours. Resets assigned. */
bool balancer_report(struct balancer *bl, uint32_t node_id, bool up, uint32_t clients,
                     uint32_t max_clients, uint32_t queue, double load, int64_t now_ns);

/* Whether backend i can take a new client now: reported up within
 * stale_after_ns (now - reported <= stale_after), and with room
 * (max_clients == 0 or clients + assigned < max_clients). */
bool balancer_healthy(const struct balancer *bl, uint32_t i, int64_t now_ns);
uint32_t balancer_n_healthy(const struct balancer *bl, int64_t now_ns);

/* Pick a healthy backend for a new registration by the policy and count the
 * assignment; returns its index, or -1 when none is healthy. */
int balancer_pick(struct balancer *bl, int64_t now_ns, struct rng *rng);

#endif
