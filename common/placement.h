/* placement.h - which node is what, where it runs, and its address.
 *
 * Pure functions of (scenario, world size), so every rank computes the same
 * table without any MPI traffic. Node ids: login servers, central services,
 * supernodes (the first `bootstrap` of them are the bootstrap SNs), peers,
 * then the supernodes that inject_supernodes events bring up later, in
 * event order; with architecture: central, then one front door per data
 * centre, then each data centre's presence servers (max_servers each, the
 * first `servers` of them up at start, the rest dormant spares); with
 * architecture: dht, then the bootstrap nodes; with architecture: settop,
 * then the head-end.
 * Nodes are dealt round-robin over the host ranks (with placement.servers:
 * dedicated, the server roles over the first server_ranks host ranks and the
 * peers over the others). Each node has its own IPv4
 * address, counting up from network.base and skipping addresses whose last
 * octet is 0 or 255, so thousands of nodes never run out of ports. */
#ifndef BS_PLACEMENT_H
#define BS_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

struct placement {
    uint32_t n_ls, n_svc, n_sn, n_bootstrap, n_peers, n_inj, n_nodes;
    uint32_t first_svc, first_sn, first_peer, first_inj;
    /* central: front doors (one per data centre) and presence servers */
    uint32_t n_dc, first_fd, first_pres;
    uint32_t dc_first[SCN_MAX_DCS];   /* first presence server id of each DC */
    uint32_t dc_max[SCN_MAX_DCS];     /* its presence servers (spares included) */
    double dc_share_end[SCN_MAX_DCS]; /* cumulative peer shares, for home_dc */
    /* dht: the bootstrap nodes; settop: the head-end, after everything else */
    uint32_t n_dhtb, first_dhtb;
    uint32_t n_he, first_he;
    uint64_t seed;
    int world_size;
    int first_host_rank; /* 0 when a single process hosts everything, else 1 */
    int n_host_ranks;
    /* placement.servers: dedicated: the server roles on the first
     * server_ranks host ranks, the peers on the rest (0: mixed, every role
     * on every host rank). */
    int server_ranks;
    uint32_t base; /* loopback mode: first node address, host byte order */
    uint16_t ls_port, sn_port, svc_port, fd_port, pres_port;
    uint16_t peer_port, dhtb_port; /* dht: every node's UDP port, the bootstrap nodes' */
    uint16_t he_port, rx_port;     /* settop: the head-end's TCP port, each rank's receiver */
    enum scn_net_mode mode;
    uint16_t port_base;
    const uint32_t *host_ip; /* host mode: each rank's address (world entries), else NULL */
};

void placement_init(struct placement *p, const struct scenario *s, int world_size);
/* Host mode: every rank's address, gathered at start; the array must outlive
 * the placement. */
void placement_set_hosts(struct placement *p, const uint32_t *host_ip);
enum role placement_role(const struct placement *p, uint32_t id);
/* First injected-SN id of inject event `idx` (events before it in order). */
uint32_t placement_inject_first(const struct placement *p, const struct scenario *s, uint32_t idx);
int placement_rank_of(const struct placement *p, uint32_t id);
/* central: the data centre of a front door or presence server, and a
 * peer's home data centre (a fixed hash draw against the DCs' shares);
 * 0 for every node otherwise. */
uint32_t placement_dc(const struct placement *p, uint32_t id);
/* central: the front door of data centre dc. */
static inline uint32_t placement_fd_id(const struct placement *p, uint32_t dc)
{
    return p->first_fd + dc;
}
/* settop: the broadcast receiver of `rank` (node/settop_rx.h), which takes
 * the head-end's carousel datagrams for every box on that rank: at the
 * address of the rank's first box, on settop.carousel.port in loopback mode
 * and on that box's own port in host mode (boxes listen on nothing else).
 * Returns the box's id, or UINT32_MAX when the rank hosts no box. */
uint32_t placement_rx(const struct placement *p, int rank, uint32_t *ip, uint16_t *port);
/* Number of nodes hosted by `rank` (0 for a rank that hosts none). */
uint32_t placement_count_on(const struct placement *p, int rank);
uint32_t placement_addr(const struct placement *p, uint32_t id);
/* The port a node listens on: its role's port in loopback mode (for a
 * peer: dht.port with architecture dht, else 0), port_base + its index on
 * its rank in host mode. */
uint16_t placement_port(const struct placement *p, uint32_t id);
/* The port node `id` listens on as a supernode (also for promoted peers). */
uint16_t placement_sn_port(const struct placement *p, uint32_t id);

/* The safety interlock (design 4.6): true if ip lies in one of the scenario's
 * allowed networks. */
int placement_ip_allowed(const struct scenario *s, uint32_t ip);
/* Check every node address of the run. Returns 0, or -1 with a message. */
int placement_check(const struct placement *p, const struct scenario *s, char *err, size_t len);
/* Check that this many ranks can place the run as asked (placement.servers:
 * dedicated needs a host rank for the peers beyond the server ranks).
 * Returns 0, or -1 with a message naming the keys to change. */
int placement_check_ranks(const struct scenario *s, int world_size, char *err, size_t len);

void placement_format_ip(uint32_t ip, char *buf, size_t len);
/* "ip:port" of a node (port 0 for peers in loopback mode). */
void placement_format_addr(const struct placement *p, uint32_t id, char *buf, size_t len);

#endif
