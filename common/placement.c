/* placement.c - node roles, ranks and addresses (see placement.h). */
#include "placement.h"

#include <stdio.h>

#include "rng.h"

void placement_init(struct placement *p, const struct scenario *s, int world_size)
{
    p->n_ls = s->nodes.login_servers;
    p->n_svc = s->nodes.services;
    p->n_sn = s->nodes.supernodes;
    p->n_bootstrap = s->nodes.bootstrap;
    p->n_peers = s->nodes.peers;
    p->n_inj = 0;
    for (uint32_t i = 0; i < s->n_events; i++)
        if (s->events[i].kind == EV_INJECT_SN)
            p->n_inj += s->events[i].count;
    p->first_svc = p->n_ls;
    p->first_sn = p->first_svc + p->n_svc;
    p->first_peer = p->first_sn + p->n_sn;
    p->first_inj = p->first_peer + p->n_peers;
    p->first_fd = p->first_inj + p->n_inj;
    p->n_dc = s->architecture == ARCH_CENTRAL ? s->central.n_dc : 0;
    p->first_pres = p->first_fd + p->n_dc;
    uint32_t id = p->first_pres;
    double share = 0;
    for (uint32_t d = 0; d < SCN_MAX_DCS; d++) {
        bool has = d < p->n_dc;
        p->dc_first[d] = id;
        p->dc_max[d] = has ? s->central.dc[d].max_servers : 0;
        share += has ? s->central.dc[d].share : 0;
        p->dc_share_end[d] = d + 1 >= p->n_dc ? 1.0 : share; /* the last DC takes the rounding */
        id += p->dc_max[d];
    }
    p->first_dhtb = id;
    p->n_dhtb = s->architecture == ARCH_DHT ? s->dht.bootstrap.nodes : 0;
    p->first_he = id + p->n_dhtb;
    p->n_he = s->architecture == ARCH_SETTOP ? 1 : 0;
    p->n_nodes = p->first_he + p->n_he;
    p->seed = s->seed;
    p->world_size = world_size;
    /* Rank 0 coordinates; it hosts nodes only when it is alone, so that its
     * timers stay accurate in a real run. */
    p->first_host_rank = world_size > 1 ? 1 : 0;
    p->n_host_ranks = world_size > 1 ? world_size - 1 : 1;
    /* Dedicated server ranks only when there is a rank left for the peers;
     * placement_check_ranks refuses the run otherwise. */
    p->server_ranks = 0;
    if (s->placement.servers == SERVERS_DEDICATED &&
        (int64_t)s->placement.server_ranks < p->n_host_ranks)
        p->server_ranks = (int)s->placement.server_ranks;
    p->base = s->network.base;
    p->ls_port = s->login_server.port;
    p->sn_port = s->supernode.port;
    p->svc_port = s->service.port;
    p->fd_port = s->central.front_door.port;
    p->pres_port = s->central.presence.port;
    p->peer_port = s->architecture == ARCH_DHT ? s->dht.port : 0;
    p->dhtb_port = s->dht.bootstrap.port;
    p->he_port = s->settop.headend.port;
    p->rx_port = s->settop.carousel_port;
    p->mode = s->network.mode;
    p->port_base = s->network.port_base;
    p->host_ip = NULL;
}

void placement_set_hosts(struct placement *p, const uint32_t *host_ip)
{
    p->host_ip = host_ip;
}

uint32_t placement_inject_first(const struct placement *p, const struct scenario *s, uint32_t idx)
{
    uint32_t id = p->first_inj;
    for (uint32_t i = 0; i < idx && i < s->n_events; i++)
        if (s->events[i].kind == EV_INJECT_SN)
            id += s->events[i].count;
    return id;
}

enum role placement_role(const struct placement *p, uint32_t id)
{
    if (id < p->first_svc)
        return ROLE_LOGIN_SERVER;
    if (id < p->first_sn)
        return ROLE_SERVICE;
    if (id < p->first_peer)
        return ROLE_SUPERNODE;
    if (id < p->first_inj)
        return ROLE_PEER;
    if (id < p->first_fd)
        return ROLE_SUPERNODE;
    if (id < p->first_pres)
        return ROLE_FRONT_DOOR;
    if (id < p->first_dhtb)
        return ROLE_PRESENCE;
    if (id < p->first_he)
        return ROLE_DHT_BOOTSTRAP;
    return ROLE_HEADEND;
}

/* The hash stream of a peer's home DC; any fixed value apart from the
 * events' (which use their index). */
#define HOME_DC_STREAM 0x686f6d65u

uint32_t placement_dc(const struct placement *p, uint32_t id)
{
    if (p->n_dc == 0)
        return 0;
    switch (placement_role(p, id)) {
    case ROLE_FRONT_DOOR:
        return id - p->first_fd;
    case ROLE_PRESENCE:
        for (uint32_t d = p->n_dc; d-- > 0;)
            if (id >= p->dc_first[d])
                return d;
        return 0;
    case ROLE_PEER: {
        double u = rng_hash_unit(p->seed, id, HOME_DC_STREAM, 0);
        for (uint32_t d = 0; d < p->n_dc; d++)
            if (u < p->dc_share_end[d])
                return d;
        return p->n_dc - 1;
    }
    default:
        return 0;
    }
}

/* A node's group: the ranks it is dealt over ([first, first + n)), its
 * index among the group's nodes, and how many nodes the group has. */
struct group {
    int first, n;
    uint32_t index, size;
};

static struct group group_of(const struct placement *p, uint32_t id)
{
    if (p->server_ranks == 0)
        return (struct group){p->first_host_rank, p->n_host_ranks, id, p->n_nodes};
    uint32_t n_servers = p->n_nodes - p->n_peers;
    if (id >= p->first_peer && id < p->first_inj)
        return (struct group){p->first_host_rank + p->server_ranks,
                              p->n_host_ranks - p->server_ranks, id - p->first_peer, p->n_peers};
    /* servers: the ids before the peers, then the injected supernodes */
    uint32_t index = id < p->first_peer ? id : id - p->n_peers;
    return (struct group){p->first_host_rank, p->server_ranks, index, n_servers};
}

int placement_rank_of(const struct placement *p, uint32_t id)
{
    struct group g = group_of(p, id);
    return g.first + (int)(g.index % (uint32_t)g.n);
}

/* How many of a group's `size` nodes go to its k-th rank of n. */
static uint32_t dealt(uint32_t size, uint32_t n, uint32_t k)
{
    return size / n + (k < size % n ? 1 : 0);
}

uint32_t placement_count_on(const struct placement *p, int rank)
{
    int idx = rank - p->first_host_rank;
    if (idx < 0 || idx >= p->n_host_ranks)
        return 0;
    if (p->server_ranks == 0)
        return dealt(p->n_nodes, (uint32_t)p->n_host_ranks, (uint32_t)idx);
    if (idx < p->server_ranks)
        return dealt(p->n_nodes - p->n_peers, (uint32_t)p->server_ranks, (uint32_t)idx);
    return dealt(p->n_peers, (uint32_t)(p->n_host_ranks - p->server_ranks),
                 (uint32_t)(idx - p->server_ranks));
}

uint32_t placement_rx(const struct placement *p, int rank, uint32_t *ip, uint16_t *port)
{
    /* Peers are dealt round-robin within their group: the rank's first one
     * comes early, unless the rank hosts none. */
    for (uint32_t id = p->first_peer; id < p->first_peer + p->n_peers; id++) {
        if (placement_rank_of(p, id) != rank)
            continue;
        *ip = placement_addr(p, id);
        *port = p->mode == NET_HOST ? placement_port(p, id) : p->rx_port;
        return id;
    }
    return UINT32_MAX;
}

int placement_check_ranks(const struct scenario *s, int world_size, char *err, size_t len)
{
    if (s->placement.servers != SERVERS_DEDICATED)
        return 0;
    int host_ranks = world_size > 1 ? world_size - 1 : 1;
    if ((int64_t)s->placement.server_ranks < host_ranks)
        return 0;
    snprintf(err, len,
             "placement.servers: dedicated puts the servers on %u rank(s) and the peers on the "
             "others, but this run has %d node rank(s) (%d in all, rank 0 coordinates); start at "
             "least %u ranks (mpirun -np %u) or lower placement.server_ranks",
             s->placement.server_ranks, host_ranks, world_size, s->placement.server_ranks + 2,
             s->placement.server_ranks + 2);
    return -1;
}

uint32_t placement_addr(const struct placement *p, uint32_t id)
{
    if (p->mode == NET_HOST)
        return p->host_ip ? p->host_ip[placement_rank_of(p, id)] : 0;
    /* Enumerate last octets 1..254 only: .0 and .255 look like network and
     * broadcast addresses to tools that read captures. */
    uint32_t first = p->base & 0xffu;
    if (first == 0 || first == 255)
        first = 1;
    uint64_t k = (uint64_t)(first - 1) + id;
    return (p->base & ~0xffu) + (uint32_t)(k / 254) * 256u + (uint32_t)(k % 254) + 1u;
}

/* Ranks that share a host (and so its address) each take their own block
 * of ports: block = how many earlier ranks have the same address. */
static uint32_t port_block(const struct placement *p, int rank)
{
    uint32_t k = 0;
    for (int r = p->first_host_rank; r < rank; r++)
        k += p->host_ip && p->host_ip[r] == p->host_ip[rank];
    return k;
}

/* Ports one rank reserves in host mode: its largest share of nodes, plus one. */
static uint32_t per_rank(const struct placement *p)
{
    if (p->server_ranks == 0)
        return p->n_nodes / (uint32_t)p->n_host_ranks + 1;
    uint32_t servers = (p->n_nodes - p->n_peers) / (uint32_t)p->server_ranks + 1;
    uint32_t peers = p->n_peers / (uint32_t)(p->n_host_ranks - p->server_ranks) + 1;
    return servers > peers ? servers : peers;
}

static uint16_t host_port(const struct placement *p, uint32_t id)
{
    struct group g = group_of(p, id);
    uint32_t block = port_block(p, placement_rank_of(p, id));
    return (uint16_t)(p->port_base + block * per_rank(p) + g.index / (uint32_t)g.n);
}

uint16_t placement_sn_port(const struct placement *p, uint32_t id)
{
    return p->mode == NET_HOST ? host_port(p, id) : p->sn_port;
}

uint16_t placement_port(const struct placement *p, uint32_t id)
{
    if (p->mode == NET_HOST)
        return host_port(p, id);
    switch (placement_role(p, id)) {
    case ROLE_LOGIN_SERVER:
        return p->ls_port;
    case ROLE_SUPERNODE:
        return p->sn_port;
    case ROLE_SERVICE:
        return p->svc_port;
    case ROLE_FRONT_DOOR:
        return p->fd_port;
    case ROLE_PRESENCE:
        return p->pres_port;
    case ROLE_DHT_BOOTSTRAP:
        return p->dhtb_port;
    case ROLE_HEADEND:
        return p->he_port;
    case ROLE_PEER:
        return p->peer_port; /* a DHT node's UDP port; 0: peers only connect out */
    default:
        return 0;
    }
}

static int net_contains(const struct scn_net *n, uint32_t ip)
{
    uint32_t mask = n->prefix == 0 ? 0 : ~0u << (32 - n->prefix);
    return (ip & mask) == (n->addr & mask);
}

int placement_ip_allowed(const struct scenario *s, uint32_t ip)
{
    for (uint32_t i = 0; i < s->network.n_allowed; i++)
        if (net_contains(&s->network.allowed[i], ip))
            return 1;
    return 0;
}

void placement_format_addr(const struct placement *p, uint32_t id, char *buf, size_t len)
{
    char ip[16];
    placement_format_ip(placement_addr(p, id), ip, sizeof ip);
    snprintf(buf, len, "%s:%u", ip, placement_port(p, id));
}

void placement_format_ip(uint32_t ip, char *buf, size_t len)
{
    snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

int placement_check(const struct placement *p, const struct scenario *s, char *err, size_t len)
{
    if (p->mode == NET_HOST) {
        uint32_t blocks = 0;
        for (int r = p->first_host_rank; r < p->first_host_rank + p->n_host_ranks; r++)
            if (port_block(p, r) + 1 > blocks)
                blocks = port_block(p, r) + 1;
        if ((uint64_t)p->port_base + (uint64_t)blocks * per_rank(p) > 65535) {
            snprintf(err, len,
                     "network.port_base: %u ranks on one host x %u nodes per rank from port %u "
                     "runs past port 65535; use more hosts, more ranks or a lower port_base",
                     blocks, per_rank(p), p->port_base);
            return -1;
        }
        for (int r = p->first_host_rank; r < p->first_host_rank + p->n_host_ranks; r++) {
            char a[16];
            uint32_t ip = p->host_ip ? p->host_ip[r] : 0;
            placement_format_ip(ip, a, sizeof a);
            if (!ip || !placement_ip_allowed(s, ip)) {
                snprintf(err, len,
                         "network: rank %d has no address inside network.allowed (found %s); "
                         "bootstorm refuses to send traffic outside the run's allowed networks",
                         r, ip ? a : "none");
                return -1;
            }
        }
        return 0;
    }
    /* The loader checks this too, with file positions; this is the last line
     * of defence before any socket exists, with the same rule: every node
     * address inside some allowed network. O(nodes), a few ms for millions. */
    uint32_t prev = 0;
    for (uint32_t id = 0; id < p->n_nodes; id++) {
        uint32_t ip = placement_addr(p, id);
        char a[16];
        placement_format_ip(ip, a, sizeof a);
        if (id > 0 && ip <= prev) {
            snprintf(err, len, "network.base: %u nodes do not fit in IPv4 above the base address",
                     p->n_nodes);
            return -1;
        }
        if (!placement_ip_allowed(s, ip)) {
            snprintf(err, len,
                     "network: node %u would get address %s, outside network.allowed; "
                     "bootstorm refuses to send traffic outside the run's allowed networks",
                     id, a);
            return -1;
        }
        prev = ip;
    }
    return 0;
}
