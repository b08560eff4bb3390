/* impair.c - user-space network impairment (see impair.h). */
#include "impair.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/u64map.h"
#include "host.h"
#include "loop_turn.h"

/* A message held back by latency. Each connection's are in its own queue,
 * in release order (jitter never reorders a stream), so a send and a close
 * touch only that connection's messages, however many others wait. Only a
 * queue's head has its timer armed: two messages due at the same time would
 * otherwise leave in whatever order the timer heap picks. */
struct delayed {
    TAILQ_ENTRY(delayed) link; /* in its connection's queue */
    TAILQ_ENTRY(delayed) all;  /* in every pending message (teardown) */
    struct impair *im;
    struct bufferevent *bev;
    struct event timer;
    int64_t release_ns; /* run time */
    size_t len;
    uint8_t data[];
};

TAILQ_HEAD(delayed_list, delayed);

/* The delayed messages of one connection; exists while it has any. */
struct conn_queue {
    struct delayed_list q;
};

struct impair {
    struct host *h;
    struct rng rng;
    struct scn_impair eff[ROLE_COUNT];              /* by role: class + this rank's host group */
    struct delayed_list pending;                    /* all of them, linked by `all` */
    struct u64map queues;                           /* bufferevent -> its struct conn_queue */
    struct ev_token_bucket_cfg *bucket[ROLE_COUNT]; /* by role; NULL = unlimited */
    uint8_t group[SCN_MAX_RANKS];                   /* active partition, all 0 when none */
    bool partitioned;
};

static const struct scn_impair *cls(const struct host *h, enum role role)
{
    return &h->impair->eff[role];
}

static uint64_t tighter(uint64_t a, uint64_t b)
{
    return !a ? b : !b ? a : a < b ? a : b;
}

/* A node's impairment: its class's, plus its host group's (the ranks listed
 * in network.impair_groups): delays add, losses compound, the tighter
 * bandwidth wins. */
static struct scn_impair combine(const struct scn_impair *c, const struct scn_impair *g)
{
    struct scn_impair e = *c;
    e.latency_ns += g->latency_ns;
    e.jitter_ns += g->jitter_ns;
    e.loss = 1 - (1 - c->loss) * (1 - g->loss);
    e.uplink_Bps = tighter(c->uplink_Bps, g->uplink_Bps);
    e.downlink_Bps = tighter(c->downlink_Bps, g->downlink_Bps);
    return e;
}

/* ---- partitions ---- */

/* The rank whose node owns ip, or -1. Loopback mode inverts the address
 * numbering; host mode looks the address up among the ranks' hosts (ranks
 * that share a host address are cut together). */
static int rank_of_ip(const struct host *h, uint32_t ip)
{
    const struct placement *pl = &h->pl;
    if (pl->mode == NET_HOST) {
        for (int r = pl->first_host_rank; r < pl->first_host_rank + pl->n_host_ranks; r++)
            if (pl->host_ip && pl->host_ip[r] == ip)
                return r;
        return -1;
    }
    uint32_t first = pl->base & 0xffu, last = ip & 0xffu;
    if (last == 0 || last == 255 || (ip >> 8) < (pl->base >> 8))
        return -1;
    uint64_t k = (uint64_t)((ip >> 8) - (pl->base >> 8)) * 254 + (last - 1);
    if (k < first - 1)
        return -1;
    uint64_t id = k - (first - 1);
    return id < pl->n_nodes ? placement_rank_of(pl, (uint32_t)id) : -1;
}

bool impair_cut(const struct host *h, uint32_t dst_ip)
{
    const struct impair *im = h->impair;
    if (!im || !im->partitioned)
        return false;
    int r = rank_of_ip(h, dst_ip);
    uint8_t mine = h->rank < SCN_MAX_RANKS ? im->group[h->rank] : 0;
    uint8_t theirs = r >= 0 && r < SCN_MAX_RANKS ? im->group[r] : 0;
    return mine && theirs && mine != theirs;
}

static bool bev_cut(const struct host *h, struct bufferevent *bev)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd = (int)bufferevent_getfd(bev);
    if (fd < 0 || getpeername(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sin_family != AF_INET)
        return false;
    return impair_cut(h, ntohl(sa.sin_addr.s_addr));
}

void impair_partition(struct host *h, const uint8_t *group_of_rank)
{
    struct impair *im = h->impair;
    if (group_of_rank) {
        memcpy(im->group, group_of_rank, sizeof im->group);
        im->partitioned = true;
    } else {
        memset(im->group, 0, sizeof im->group);
        im->partitioned = false;
    }
}

/* ---- latency ---- */

static uint64_t key_of(const struct bufferevent *bev)
{
    return (uint64_t)(uintptr_t)bev;
}

/* Unlink d from both lists; drop its connection's queue once empty.
 * Returns true when it did: cq is gone. */
static bool unlink_delayed(struct impair *im, struct conn_queue *cq, struct delayed *d)
{
    event_del(&d->timer);
    TAILQ_REMOVE(&cq->q, d, link);
    TAILQ_REMOVE(&im->pending, d, all);
    if (!TAILQ_EMPTY(&cq->q))
        return false;
    u64map_del(&im->queues, key_of(d->bev));
    free(cq);
    return true;
}

static void arm_head(struct impair *im, struct delayed *d)
{
    host_arm_in(&d->timer, d->release_ns - host_now(im->h));
}

/* The head of a connection's queue is due: send it and every message after
 * it that is due too, in order, then arm the next head. */
static void release(evutil_socket_t fd, short what, void *arg)
{
    struct delayed *d = arg;
    struct impair *im = d->im;
    struct bufferevent *bev = d->bev;
    loop_turn_check();
    struct conn_queue *cq = u64map_get(&im->queues, key_of(bev));
    int64_t now = host_now(im->h);
    for (;;) {
        bool gone = unlink_delayed(im, cq, d);
        bufferevent_write(bev, d->data, d->len);
        free(d);
        if (gone)
            return; /* that was the last */
        /* unlink_delayed took the old head off (the analyzer cannot see it
         * through TAILQ_REMOVE) */
        d = TAILQ_FIRST(&cq->q);
        if (d->release_ns > now) { // NOLINT(clang-analyzer-unix.Malloc)
            arm_head(im, d);
            return;
        }
    }
}

bool impair_passthrough(const struct host *h, enum role role)
{
    const struct scn_impair *c = cls(h, role);
    return !h->impair->partitioned && c->latency_ns <= 0 && c->jitter_ns <= 0 && c->loss <= 0 &&
           !c->uplink_Bps && !c->downlink_Bps;
}

int impair_write(struct host *h, enum role role, struct bufferevent *bev, const void *data,
                 size_t len)
{
    struct impair *im = h->impair;
    const struct scn_impair *c = cls(h, role);
    if (im->partitioned && bev_cut(h, bev))
        return 0; /* the cut swallows it */
    if (c->loss > 0 && rng_uniform(&im->rng) < c->loss)
        return 0;
    if (c->latency_ns <= 0 && c->jitter_ns <= 0)
        return bufferevent_write(bev, data, len);
    struct conn_queue *cq = u64map_get(&im->queues, key_of(bev));
    if (!cq) {
        if (!(cq = malloc(sizeof *cq)))
            return -1;
        TAILQ_INIT(&cq->q);
        if (u64map_put(&im->queues, key_of(bev), cq) < 0) {
            free(cq);
            return -1;
        }
    }
    struct delayed *d = malloc(sizeof *d + len);
    if (!d) {
        if (TAILQ_EMPTY(&cq->q)) {
            u64map_del(&im->queues, key_of(bev));
            free(cq);
        }
        return -1;
    }
    int64_t now = host_now(h);
    d->release_ns = now + c->latency_ns + (int64_t)(rng_uniform(&im->rng) * (double)c->jitter_ns);
    /* Jitter must not reorder a TCP stream: never before this connection's
     * previous delayed message. */
    struct delayed *prev = TAILQ_LAST(&cq->q, delayed_list);
    if (prev && prev->release_ns > d->release_ns)
        d->release_ns = prev->release_ns;
    d->im = im;
    d->bev = bev;
    d->len = len;
    memcpy(d->data, data, len);
    TAILQ_INSERT_TAIL(&cq->q, d, link);
    TAILQ_INSERT_TAIL(&im->pending, d, all);
    evtimer_assign(&d->timer, h->base, release, d);
    if (!prev)
        arm_head(im, d); /* the others wait for the head's release */
    return 0;
}

bool impair_pending(struct host *h, struct bufferevent *bev)
{
    struct impair *im = h->impair;
    return im && u64map_get(&im->queues, key_of(bev)) != NULL;
}

void impair_forget(struct host *h, struct bufferevent *bev)
{
    struct impair *im = h->impair;
    struct conn_queue *cq = im ? u64map_get(&im->queues, key_of(bev)) : NULL;
    if (!cq)
        return;
    for (bool gone = false; !gone;) {
        struct delayed *d = TAILQ_FIRST(&cq->q); /* the previous one is unlinked */
        gone = unlink_delayed(im, cq, d);        // NOLINT(clang-analyzer-unix.Malloc)
        free(d);
    }
}

/* ---- bandwidth and datagrams ---- */

void impair_setup(struct host *h, enum role role, struct bufferevent *bev)
{
    struct impair *im = h->impair;
    if (im && im->bucket[role])
        bufferevent_set_rate_limit(bev, im->bucket[role]);
}

bool impair_drop_datagram(struct host *h, enum role role, uint32_t dst_ip)
{
    struct impair *im = h->impair;
    const struct scn_impair *c = cls(h, role);
    if (impair_cut(h, dst_ip))
        return true;
    return c->loss > 0 && rng_uniform(&im->rng) < c->loss;
}

/* ---- lifecycle ---- */

static size_t bucket_size(uint64_t rate)
{
    /* a tenth of a second of traffic, at least one full frame */
    uint64_t b = rate / 10;
    return b < 16384 ? 16384 : (size_t)b;
}

int impair_init(struct host *h)
{
    struct impair *im = calloc(1, sizeof *im);
    if (!im)
        return -1;
    im->h = h;
    TAILQ_INIT(&im->pending);
    u64map_init(&im->queues);
    rng_seed(&im->rng, h->scn->seed, 0x494d5041ULL + (uint64_t)h->rank, RNG_STREAM_NODE);
    h->impair = im;
    const struct scenario *s = h->scn;
    uint8_t g =
        h->rank >= 0 && h->rank < SCN_MAX_RANKS ? s->network.impair_group_of_rank[h->rank] : 0;
    static const struct scn_impair none;
    for (int r = 0; r < ROLE_COUNT; r++)
        im->eff[r] =
            combine(&s->network.impair[r],
                    g && g <= s->network.n_impair_groups ? &s->network.impair_group[g - 1] : &none);
    struct timeval tick = {0, 10000};
    for (int r = 0; r < ROLE_COUNT; r++) {
        const struct scn_impair *c = cls(h, (enum role)r);
        if (!c->uplink_Bps && !c->downlink_Bps)
            continue;
        /* libevent takes rates per tick; "unlimited" is a huge bucket */
        uint64_t up = c->uplink_Bps ? c->uplink_Bps / 100 : (uint64_t)1 << 30;
        uint64_t down = c->downlink_Bps ? c->downlink_Bps / 100 : (uint64_t)1 << 30;
        im->bucket[r] = ev_token_bucket_cfg_new(
            (size_t)(down ? down : 1),
            c->downlink_Bps ? bucket_size(c->downlink_Bps) : (size_t)1 << 30, (size_t)(up ? up : 1),
            c->uplink_Bps ? bucket_size(c->uplink_Bps) : (size_t)1 << 30, &tick);
    }
    return 0;
}

void impair_free(struct host *h)
{
    struct impair *im = h->impair;
    if (!im)
        return;
    /* Everything goes: no unlinking, each queue freed with its last message. */
    struct delayed *d = TAILQ_FIRST(&im->pending), *next;
    for (; d; d = next) {
        next = TAILQ_NEXT(d, all);
        event_del(&d->timer);
        if (!TAILQ_NEXT(d, link))
            free(u64map_get(&im->queues, key_of(d->bev)));
        free(d);
    }
    u64map_free(&im->queues);
    for (int r = 0; r < ROLE_COUNT; r++)
        if (im->bucket[r])
            ev_token_bucket_cfg_free(im->bucket[r]);
    free(im);
    h->impair = NULL;
}
