/* promotion.c - peers becoming supernodes and back (see promotion.h). */
#include "promotion.h"

#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "host.h"
#include "peer.h"
#include "supernode.h"

struct promotion {
    struct host *h;
    struct event timer;
    struct rng rng;
};

/* Whether a peer has the spare capacity (bandwidth, a public address) to be
 * a supernode: a fixed property of the machine, drawn once per node. */
static bool capable(const struct host *h, const struct peer *p)
{
    return rng_hash_unit(h->scn->seed, p->id, 0x50524f4dULL, 0) < h->scn->supernode.promote.capable;
}

static bool eligible(const struct host *h, const struct peer *p, int64_t now)
{
    return p->state == PEER_ONLINE && !p->as_sn && capable(h, p) &&
           now - p->up_since_ns >= h->scn->supernode.promote.min_uptime_ns;
}

static void promote(struct promotion *pr, struct peer *p)
{
    struct host *h = pr->h;
    char err[256];
    struct supernode *sn =
        sn_create(h, p->id, true, true, h->scn->supernode.promote.max_clients, err, sizeof err);
    if (!sn) {
        fprintf(stderr, "bootstorm: rank %d: promoting peer %u: %s\n", h->rank, p->id, err);
        return;
    }
    if (host_add_node(h, ROLE_SUPERNODE, sn) < 0) {
        sn_free(sn);
        return;
    }
    p->as_sn = sn;
    h->m.c[C_SN_PROMOTIONS]++;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct promotion *pr = arg;
    struct host *h = pr->h;
    const struct scn_promote *cfg = &h->scn->supernode.promote;
    int64_t now = host_now(h);
    double want = cfg->target_ratio * (double)h->global_online;
    double deficit = want - (double)h->global_sn;

    if (deficit >= 1) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < host_n_peers(h); i++)
            n += eligible(h, host_peer(h, i), now);
        /* Every rank sees the same deficit: share it out so that, across
         * ranks, about `deficit` peers step up per check. */
        double prob = n ? deficit / ((double)n * h->pl.n_host_ranks) : 0;
        for (uint32_t i = 0; i < host_n_peers(h) && n > 0; i++)
            if (eligible(h, host_peer(h, i), now) && rng_uniform(&pr->rng) < prob)
                promote(pr, host_peer(h, i));
    }
    bool surplus = (double)h->global_sn > 2 * want;
    for (uint32_t i = 0; i < host_n_peers(h); i++) {
        struct peer *p = host_peer(h, i);
        if (p->as_sn && sn_check_demote(p->as_sn, cfg->demote_below, cfg->demote_for_ns, surplus)) {
            h->m.c[C_SN_DEMOTIONS]++;
            p->as_sn = NULL;
        }
    }
    host_arm_in(&pr->timer, cfg->check_ns);
}

struct promotion *promotion_new(struct host *h, char *err, size_t errlen)
{
    struct promotion *pr = calloc(1, sizeof *pr);
    if (!pr) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pr->h = h;
    rng_seed(&pr->rng, h->scn->seed, 0x50524f4dULL + (uint64_t)h->rank, RNG_STREAM_NODE);
    evtimer_assign(&pr->timer, h->base, tick, pr);
    if (h->scn->supernode.promote.target_ratio > 0 && host_n_peers(h) > 0)
        host_arm_in(&pr->timer, h->scn->supernode.promote.check_ns);
    return pr;
}

void promotion_free(struct promotion *pr)
{
    if (!pr)
        return;
    event_del(&pr->timer);
    free(pr);
}

void promotion_peer_down(struct host *h, struct peer *p)
{
    if (p->as_sn) {
        sn_set_down(p->as_sn); /* stays in the host's supernodes, down, until the host ends */
        p->as_sn = NULL;
    }
}
