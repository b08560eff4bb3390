/* supernode.c - supernode role (see supernode.h). */
#include "supernode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "capacity.h"
#include "conn.h"
#include "host.h"
#include "server.h"
#include "ticket.h"
#include "common/u64map.h"
#include "trace.h"

#define SN_KNOWN_MAX 64
#define MONITOR_NS (200 * NS_PER_MS)

/* The supernode's life (sn_set_state alone moves the sn_count gauge):
 *
 *   DORMANT --inject--> UP --crash / overload / demotion--> DOWN
 *   (injected SNs)      ^ initial and promoted SNs start here
 */
enum sn_state { SN_DORMANT = 0, SN_UP, SN_DOWN };
static const char *const sn_state_names[] = {"DORMANT", "UP", "DOWN"};

/* A connection (snc_set_state alone moves sn->clients, the sn_clients gauge
 * and the by-user index, on entering and leaving REGISTERED, and sets the
 * connection's timer: the request deadline from accept until REGISTERING,
 * none while the request is queued, the idle timeout while REGISTERED, the
 * linger while CLOSING):
 *
 *   NEW --REGISTER--> REGISTERING --served, valid, room--> REGISTERED
 *    |                     |                                  | KEEPALIVE (one in
 *    |                     +--forged, expired, full--+        |  the capacity model
 *    +--GOSSIP (answered)---------------------------> CLOSING |  at a time)
 *                                                     |       |
 *   GOSSIP_OUT (our own gossip: connect, send, read)  v       v
 *                                                   CLOSED (socket gone)
 * CLOSING closes once the answer is flushed. */
enum snc_state {
    SNC_NEW = 0,
    SNC_REGISTERING,
    SNC_REGISTERED,
    SNC_GOSSIP_OUT,
    SNC_CLOSING,
    SNC_CLOSED
};
static const char *const snc_state_names[] = {"NEW",        "REGISTERING", "REGISTERED",
                                              "GOSSIP_OUT", "CLOSING",     "CLOSED"};

struct sn_conn {
    struct srv_conn base; /* first: the server hands us &base */
    struct wire_ticket ticket;
    uint32_t seq;       /* latest KEEPALIVE to acknowledge */
    uint32_t gossip_to; /* GOSSIP_OUT: whom we asked, to forget it if it is gone */
    uint8_t req;        /* wire type inside the capacity model, 0 = none */
    enum snc_state state;
};

struct supernode {
    struct host *h;
    uint32_t id;
    uint32_t ip;
    enum sn_state state;
    bool promoted; /* a peer acting as SN (it may demote) */
    struct server srv;
    struct rng rng;
    uint32_t clients;
    uint32_t max_clients;
    struct u64map by_user; /* user_id -> its REGISTERED sn_conn: one each */
    int64_t idle_ns;       /* a registered client silent this long is gone */
    int64_t over_since;    /* run time the overload began, -1: not overloaded */
    int64_t low_since;     /* run time the load fell below demote_below, -1: not low */
    struct event monitor;
    struct event gossip;
    struct wire_sn known[SN_KNOWN_MAX];
    uint32_t n_known;
};

static struct supernode *sn_of(const struct srv_conn *c)
{
    return container_of(c->srv, struct supernode, srv);
}

static void sn_set_state(struct supernode *sn, enum sn_state s)
{
    if (sn->state == s)
        return;
    trace_state(sn->h, TRACE_SUPERNODE, "supernode", sn->id, sn_state_names[sn->state],
                sn_state_names[s]);
    int up = (s == SN_UP) - (sn->state == SN_UP);
    sn->h->m.g[G_SN_COUNT] += up;
    sn->h->m.g[G_REG_WORKERS] += up * (int64_t)sn->srv.cap.cfg.workers;
    sn->state = s;
}

static void snc_set_state(struct sn_conn *c, enum snc_state s)
{
    struct supernode *sn = sn_of(&c->base);
    if (c->state == s)
        return;
    trace_state(sn->h, TRACE_SN_CONN, "sn_conn", sn->id, snc_state_names[c->state],
                snc_state_names[s]);
    int d = (s == SNC_REGISTERED) - (c->state == SNC_REGISTERED);
    sn->clients += (uint32_t)d;
    sn->h->m.g[G_SN_CLIENTS] += d;
    if (d < 0 && u64map_get(&sn->by_user, c->ticket.user_id) == c)
        u64map_del(&sn->by_user, c->ticket.user_id);
    else if (d > 0)
        (void)u64map_put(&sn->by_user, c->ticket.user_id, c); /* out of memory: not indexed */
    c->state = s;
    if (s == SNC_REGISTERING)
        srv_conn_no_timer(&c->base);
    else if (s == SNC_REGISTERED)
        srv_conn_idle(&c->base, sn->idle_ns);
    else if (s == SNC_CLOSING)
        srv_conn_deadline(&c->base, sn->h->scn->supernode.conns.linger_ns);
}

static bool sn_is_up(const struct supernode *sn)
{
    return sn->state == SN_UP;
}

/* ---- known supernodes ---- */

/* Whether a gossiped entry names a supernode where the placement puts it:
 * an initial or injected supernode, or a peer when peers can be promoted,
 * at that node's own address and supernode port. Anything else is forged or
 * stale, and must not reach peers' host caches. */
static bool entry_valid(const struct supernode *sn, const struct wire_sn *e)
{
    const struct placement *pl = &sn->h->pl;
    if (e->node_id >= pl->n_nodes || !placement_ip_allowed(sn->h->scn, e->ip))
        return false;
    enum role r = placement_role(pl, e->node_id);
    if (r != ROLE_SUPERNODE && !(r == ROLE_PEER && sn->h->scn->supernode.promote.target_ratio > 0))
        return false;
    return e->ip == placement_addr(pl, e->node_id) && e->port == placement_sn_port(pl, e->node_id);
}

static void known_add(struct supernode *sn, const struct wire_sn *e)
{
    if (e->node_id == sn->id || !entry_valid(sn, e)) {
        if (e->node_id != sn->id)
            sn->h->m.c[C_GOSSIP_REFUSED]++;
        return;
    }
    for (uint32_t i = 0; i < sn->n_known; i++)
        if (sn->known[i].node_id == e->node_id)
            return;
    if (sn->n_known < SN_KNOWN_MAX)
        sn->known[sn->n_known++] = *e;
    else
        sn->known[rng_below(&sn->rng, SN_KNOWN_MAX)] = *e;
}

static void known_remove(struct supernode *sn, uint32_t node_id)
{
    for (uint32_t i = 0; i < sn->n_known; i++)
        if (sn->known[i].node_id == node_id) {
            sn->known[i] = sn->known[--sn->n_known];
            return;
        }
}

static struct wire_sn self_entry(const struct supernode *sn)
{
    return (struct wire_sn){sn->id, sn->ip, placement_sn_port(&sn->h->pl, sn->id)};
}

/* A random sample of up to n known SNs (plus ourselves when asked). */
static void sample_known(struct supernode *sn, uint32_t n, bool with_self, struct wire_sn_list *l)
{
    l->n = 0;
    if (with_self)
        l->sns[l->n++] = self_entry(sn);
    if (n > WIRE_MAX_SNS - l->n)
        n = WIRE_MAX_SNS - l->n;
    uint32_t avail = sn->n_known, take = n < avail ? n : avail;
    uint32_t idx[SN_KNOWN_MAX];
    for (uint32_t i = 0; i < avail; i++)
        idx[i] = i;
    for (uint32_t i = 0; i < take; i++) { /* partial Fisher-Yates */
        uint32_t j = i + rng_below(&sn->rng, avail - i);
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        l->sns[l->n++] = sn->known[idx[i]];
    }
}

/* ---- requests, once a worker has served them ---- */

static void reply(struct sn_conn *c, const struct wire_msg *m)
{
    srv_conn_send(&c->base, m);
}

/* One live registration per user: a newer valid one (necessarily from the
 * ticket's own address) replaces the older, which is closed. A rebooted
 * peer whose old connection the SN has not yet seen die gets in at once. */
static void replace_older(struct supernode *sn, struct sn_conn *c)
{
    struct sn_conn *old = u64map_get(&sn->by_user, c->ticket.user_id);
    if (!old || old == c)
        return;
    sn->h->m.c[C_SN_REPLACED]++;
    srv_conn_close(&old->base); /* leaves REGISTERED: unindexed, clients-- */
}

static void serve_register(struct sn_conn *c)
{
    struct supernode *sn = sn_of(&c->base);
    struct host *h = sn->h;
    int64_t now_ms = host_now(h) / NS_PER_MS;
    enum ticket_verdict v =
        ticket_check(&h->keys, &c->ticket, (uint64_t)(now_ms > 0 ? now_ms : 0), c->base.peer_ip);
    struct wire_msg r;
    if (v != TICKET_VALID) {
        const struct ticket_refusal *why = ticket_refusal_of(v);
        h->m.c[why->counter]++;
        r.type = WIRE_REGISTER_FAIL;
        r.u.reason = why->reason;
        snc_set_state(c, SNC_CLOSING);
        reply(c, &r);
        return;
    }
    replace_older(sn, c);
    if (sn->max_clients && sn->clients >= sn->max_clients) {
        h->m.c[C_SN_REDIRECTS]++;
        r.type = WIRE_REDIRECT;
        sample_known(sn, h->scn->supernode.list_size, false, &r.u.sn_list);
        snc_set_state(c, SNC_CLOSING);
    } else {
        snc_set_state(c, SNC_REGISTERED);
        h->m.c[C_SN_REGISTERED]++;
        r.type = WIRE_REGISTER_OK;
        sample_known(sn, h->scn->supernode.list_size, false, &r.u.sn_list);
    }
    reply(c, &r);
}

static void on_served(struct srv_conn *sc)
{
    struct sn_conn *c = (struct sn_conn *)sc;
    uint8_t req = c->req;
    c->req = 0;
    if (req == WIRE_REGISTER) {
        serve_register(c);
    } else if (req == WIRE_KEEPALIVE) {
        struct wire_msg ack = {.type = WIRE_KEEPALIVE_ACK, .u.seq = c->seq};
        reply(c, &ack);
    }
}

static void submit(struct sn_conn *c, uint8_t type)
{
    struct supernode *sn = sn_of(&c->base);
    uint32_t hint;
    /* One request at a time per connection. A keepalive that comes while
     * another waits (pipelined by a slow SN's client) is redundant: the ACK
     * of the waiting one answers both. */
    if (c->req)
        return;
    c->req = type;
    if (srv_conn_submit(&c->base, &hint) == CAP_V_REJECTED) {
        c->req = 0;
        if (type == WIRE_REGISTER) {
            struct wire_msg r = {.type = WIRE_REDIRECT};
            sample_known(sn, sn->h->scn->supernode.list_size, false, &r.u.sn_list);
            sn->h->m.c[C_SN_REDIRECTS]++;
            snc_set_state(c, SNC_CLOSING);
            reply(c, &r);
        }
    }
}

/* ---- connection events ---- */

static void send_gossip(struct sn_conn *c)
{
    struct wire_msg g = {.type = WIRE_GOSSIP};
    sample_known(sn_of(&c->base), WIRE_MAX_SNS - 1, true, &g.u.sn_list);
    reply(c, &g);
}

static int on_msg(struct srv_conn *sc, const struct wire_msg *m)
{
    struct sn_conn *c = (struct sn_conn *)sc;
    struct supernode *sn = sn_of(sc);
    if (c->state == SNC_CLOSING)
        return 0;
    switch (m->type) {
    case WIRE_REGISTER:
        if (c->state == SNC_REGISTERING)
            return 0; /* one registration at a time: the first is being served */
        if (c->state != SNC_NEW)
            break;
        c->ticket = m->u.ticket;
        snc_set_state(c, SNC_REGISTERING);
        submit(c, WIRE_REGISTER);
        return 0;
    case WIRE_KEEPALIVE:
        if (c->state != SNC_REGISTERED)
            break;
        c->seq = m->u.seq; /* acknowledge the latest */
        submit(c, WIRE_KEEPALIVE);
        return 0;
    case WIRE_GOSSIP:
        /* Only a supernode gossips: on a new connection, or as the answer
         * to ours; never on a client's registration. */
        if (c->state != SNC_NEW && c->state != SNC_GOSSIP_OUT)
            break;
        for (uint32_t i = 0; i < m->u.sn_list.n; i++)
            known_add(sn, &m->u.sn_list.sns[i]);
        sn->h->m.c[C_GOSSIP_EXCHANGES]++;
        if (c->state == SNC_GOSSIP_OUT) { /* we asked, we got the answer: done */
            srv_conn_close(sc);
            return 1;
        }
        send_gossip(c);
        snc_set_state(c, SNC_CLOSING);
        return 0;
    default:
        break;
    }
    sn->h->m.c[C_MALFORMED]++; /* out of order or unexpected for a supernode */
    return 0;
}

static void on_flushed(struct srv_conn *sc)
{
    struct sn_conn *c = (struct sn_conn *)sc;
    if (c->state == SNC_CLOSING)
        srv_conn_close(sc); /* the refusal, redirect or gossip answer has been flushed */
    else if (c->state == SNC_REGISTERED)
        srv_conn_park(sc); /* quiet until the next keepalive */
}

static void on_connected(struct srv_conn *sc)
{
    struct sn_conn *c = (struct sn_conn *)sc;
    if (c->state == SNC_GOSSIP_OUT)
        send_gossip(c);
}

static void on_error(struct srv_conn *sc, short what)
{
    struct sn_conn *c = (struct sn_conn *)sc;
    if (c->state == SNC_GOSSIP_OUT && !(what & BEV_EVENT_EOF))
        known_remove(sn_of(sc), c->gossip_to); /* unreachable: forget it */
}

static void on_close(struct srv_conn *sc)
{
    snc_set_state((struct sn_conn *)sc, SNC_CLOSED);
}

static const struct server_ops sn_server_ops = {
    .on_msg = on_msg,
    .on_served = on_served,
    .on_connected = on_connected,
    .on_flushed = on_flushed,
    .on_error = on_error,
    .on_close = on_close,
};

/* ---- gossip ---- */

static void gossip_tick(evutil_socket_t fd, short what, void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    const struct scenario *s = h->scn;
    for (uint32_t k = 0; k < s->supernode.gossip.fanout && sn->n_known > 0; k++) {
        const struct wire_sn peer = sn->known[rng_below(&sn->rng, sn->n_known)];
        enum conn_start why;
        struct sn_conn *c = (struct sn_conn *)server_connect(&sn->srv, sn->ip, peer.ip, peer.port,
                                                             s->peer.reg.timeout_ns, &why);
        if (!c) {
            if (why == CONN_ERR_CONNECT)
                known_remove(sn, peer.node_id);
            continue;
        }
        c->gossip_to = peer.node_id;
        snc_set_state(c, SNC_GOSSIP_OUT);
    }
    /* Jittered, so the SNs do not gossip in lockstep. */
    int64_t iv = s->supernode.gossip.interval_ns;
    host_arm_in(&sn->gossip, iv / 2 + (int64_t)(rng_uniform(&sn->rng) * (double)iv));
}

/* ---- overload self-protection ---- */

static int64_t oldest_wait_ns(const struct supernode *sn)
{
    const struct cap_item *it = TAILQ_FIRST(&sn->srv.cap.queue);
    return it ? host_now(sn->h) - it->enq_ns : 0;
}

static void monitor_tick(evutil_socket_t fd, short what, void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    const struct scn_overload *o = &h->scn->supernode.overload;
    bool loaded = o->load > 0 && sn->max_clients > 0 &&
                  (double)sn->clients >= o->load * (double)sn->max_clients;
    bool lagging = o->lag_ns > 0 && oldest_wait_ns(sn) >= o->lag_ns;
    int64_t now = host_now(h);
    if (!loaded && !lagging) {
        sn->over_since = -1;
    } else if (sn->over_since < 0) {
        sn->over_since = now;
    } else if (now - sn->over_since >= o->for_ns) {
        /* Both actions end SN service here; "demote" leaves the node up as
         * a plain node, which for a dedicated SN has no other role. */
        h->m.c[C_SN_OVERLOAD_ACTIONS]++;
        sn_set_down(sn);
        return;
    }
    host_arm_in(&sn->monitor, MONITOR_NS);
}

/* ---- lifecycle ---- */

/* DORMANT or DOWN -> UP: listen, start the monitor and gossip timers. */
static int go_up(struct supernode *sn, char *err, size_t errlen)
{
    struct host *h = sn->h;
    if (server_listen(&sn->srv, sn->ip, placement_sn_port(&h->pl, sn->id),
                      (int)h->scn->login_server.backlog, err, errlen) < 0)
        return -1;
    sn_set_state(sn, SN_UP);
    sn->over_since = -1;
    if (h->scn->supernode.overload.action != OVERLOAD_NONE)
        host_arm_in(&sn->monitor, MONITOR_NS);
    if (h->scn->supernode.gossip.interval_ns > 0)
        host_arm_in(&sn->gossip, (int64_t)(rng_uniform(&sn->rng) *
                                           (double)h->scn->supernode.gossip.interval_ns));
    return 0;
}

struct supernode *sn_create(struct host *h, uint32_t id, bool active, bool promoted,
                            uint32_t max_clients, char *err, size_t errlen)
{
    struct supernode *sn = calloc(1, sizeof *sn);
    if (!sn) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const struct placement *pl = &h->pl;
    sn->h = h;
    sn->id = id;
    sn->ip = placement_addr(pl, id);
    sn->state = SN_DORMANT;
    sn->promoted = promoted;
    sn->max_clients = max_clients;
    sn->over_since = -1;
    sn->low_since = -1;
    u64map_init(&sn->by_user);
    /* A client that stops sending keepalives is gone: 3 missed intervals. */
    sn->idle_ns = 3 * h->scn->workload.keepalive_ns + h->scn->peer.reg.timeout_ns;
    rng_seed(&sn->rng, h->scn->seed, id, RNG_STREAM_NODE);
    struct cap_metrics m = {.g_queue = G_SN_QUEUE,
                            .g_busy = -1,
                            .c_served = C_SN_SERVED,
                            .c_rejected = -1,
                            .c_wasted = -1,
                            .c_busy_us = C_REG_BUSY_US};
    server_init(&sn->srv, h, ROLE_SUPERNODE, id, NULL, &sn_server_ops, sizeof(struct sn_conn),
                &h->scn->supernode.conns, &h->scn->supernode.cap, &m);
    evtimer_assign(&sn->monitor, h->base, monitor_tick, sn);
    evtimer_assign(&sn->gossip, h->base, gossip_tick, sn);
    /* Start out knowing the other initial SNs, or a random sample of them
     * when they do not fit, as if from a previous life; gossip refreshes it
     * from there. (Drawn with replacement, the sample left about a quarter
     * of the SNs of a 2-SN run knowing no other.) */
    bool all = pl->n_sn <= SN_KNOWN_MAX + 1;
    uint32_t draws = all ? pl->n_sn : 8 * SN_KNOWN_MAX;
    for (uint32_t k = 0; k < draws && sn->n_known < SN_KNOWN_MAX; k++) {
        uint32_t other = pl->first_sn + (all ? k : rng_below(&sn->rng, pl->n_sn));
        struct wire_sn e = {other, placement_addr(pl, other), placement_sn_port(pl, other)};
        known_add(sn, &e); /* skips itself and duplicates */
    }
    if (active && go_up(sn, err, errlen) < 0) {
        server_stop(&sn->srv);
        u64map_free(&sn->by_user);
        free(sn);
        return NULL;
    }
    return sn;
}

static int sn_activate(struct supernode *sn, uint32_t max_clients)
{
    char err[256];
    if (sn->state != SN_DORMANT)
        return 0;
    sn->max_clients = max_clients;
    if (go_up(sn, err, sizeof err) < 0) {
        sn_set_state(sn, SN_DOWN); /* it tried once; it does not retry */
        fprintf(stderr, "bootstorm: rank %d: supernode %u: %s\n", sn->h->rank, sn->id, err);
        return -1;
    }
    sn->h->m.c[C_SN_INJECTED]++;
    return 0;
}

void sn_set_down(struct supernode *sn)
{
    if (sn->state != SN_UP)
        return;
    event_del(&sn->monitor);
    event_del(&sn->gossip);
    server_stop(&sn->srv);
    sn_set_state(sn, SN_DOWN);
}

bool sn_check_demote(struct supernode *sn, double below, int64_t for_ns, bool surplus)
{
    if (sn->state != SN_UP || for_ns <= 0)
        return false;
    int64_t now = host_now(sn->h);
    bool low =
        surplus && (double)sn->clients < below * (double)(sn->max_clients ? sn->max_clients : 1);
    if (!low) {
        sn->low_since = -1;
        return false;
    }
    if (sn->low_since < 0)
        sn->low_since = now;
    if (now - sn->low_since < for_ns)
        return false;
    sn_set_down(sn);
    return true;
}

void sn_free(struct supernode *sn)
{
    if (!sn)
        return;
    sn_set_down(sn);
    server_stop(&sn->srv); /* a dormant or down SN may still hold nothing; cheap */
    u64map_free(&sn->by_user);
    free(sn);
}

/* ---- role operations ---- */

/* An initial SN is up from the start; one that an inject_supernodes event
 * brings up is dormant until then. */
static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    bool injected = id >= h->pl.first_inj;
    uint32_t max = injected ? 0 : h->scn->supernode.max_clients;
    return sn_create(h, id, !injected, false, max, err, errlen);
}

static void op_destroy(void *node)
{
    sn_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct supernode *)node)->id;
}

static bool op_crash(void *node)
{
    struct supernode *sn = node;
    if (sn->state != SN_UP)
        return false;
    sn->h->m.c[C_SN_CRASHES]++;
    sn_set_down(sn);
    return true;
}

static bool op_crash_candidate(const void *node)
{
    return sn_is_up(node);
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    struct supernode *sn = node;
    int64_t before = sn->srv.cap.cfg.workers;
    cap_reconfigure(&sn->srv.cap, ev);
    if (sn->state == SN_UP)
        sn->h->m.g[G_REG_WORKERS] += (int64_t)sn->srv.cap.cfg.workers - before;
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct supernode *)node)->srv.cap, for_ns);
}

/* inject_supernodes: the dedicated SNs this event reserved ids for come up. */
static int64_t op_fire(struct host *h, uint32_t idx, const struct scn_event *ev)
{
    if (ev->kind != EV_INJECT_SN)
        return -1;
    const struct node_set *set = &h->nodes[ROLE_SUPERNODE];
    uint32_t first = placement_inject_first(&h->pl, h->scn, idx);
    int64_t n = 0;
    for (uint32_t i = 0; i < set->n; i++) {
        struct supernode *sn = set->v[i];
        if (sn->id >= first && sn->id < first + ev->count && sn_activate(sn, ev->max_clients) == 0)
            n++;
    }
    return n;
}

const struct role_ops supernode_role = {
    .role = ROLE_SUPERNODE,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .crash_candidate = op_crash_candidate,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
    .fire = op_fire,
};
