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
#include "impair.h"
#include "ticket.h"

#define SN_KNOWN_MAX 64
#define MONITOR_NS (200 * NS_PER_MS)

/* A connection is a client (REGISTER then KEEPALIVEs) or a gossip exchange.
 * At most one request per connection is inside the capacity model. */
struct sn_conn {
    LIST_ENTRY(sn_conn) link;
    struct cap_item item;
    struct supernode *sn;
    struct bufferevent *bev; /* NULL once closed */
    uint64_t user_id;
    struct wire_ticket ticket;
    uint32_t seq;
    uint8_t req;      /* wire type inside the capacity model, 0 = none */
    bool registered;
    bool closing;     /* close once the output is flushed */
    bool outgoing;    /* our own gossip connection */
};

struct supernode {
    struct host *h;
    uint32_t id;
    uint32_t ip;
    bool promoted;
    bool dormant;     /* injected, not yet active */
    struct listener *lst; /* NULL while down */
    struct rng rng;
    struct capacity cap;
    LIST_HEAD(, sn_conn) conns;
    uint32_t clients;
    uint32_t max_clients;
    int64_t over_since; /* run time the overload began, -1: not overloaded */
    int64_t low_since;  /* run time the load fell below demote_below, -1: not low */
    struct event monitor;
    struct event gossip;
    struct wire_sn known[SN_KNOWN_MAX];
    uint32_t n_known;
};

uint32_t sn_id(const struct supernode *sn)
{
    return sn->id;
}

bool sn_is_up(const struct supernode *sn)
{
    return sn->lst != NULL;
}

/* ---- known supernodes ---- */

static void known_add(struct supernode *sn, const struct wire_sn *e)
{
    if (e->node_id == sn->id || !placement_ip_allowed(sn->h->scn, e->ip))
        return;
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

/* ---- connections ---- */

static void close_bev(struct sn_conn *c)
{
    if (!c->bev)
        return;
    conn_free_bev(c->sn->h, c->bev);
    c->bev = NULL;
    c->sn->h->m.g[G_OPEN_CONNS]--;
    if (c->registered) {
        c->registered = false;
        c->sn->clients--;
        c->sn->h->m.g[G_SN_CLIENTS]--;
    }
}

static void conn_free(struct sn_conn *c)
{
    close_bev(c);
    LIST_REMOVE(c, link);
    free(c);
}

static void conn_gone(struct sn_conn *c)
{
    close_bev(c);
    if (c->req)
        cap_abandon(&c->sn->cap, &c->item); /* freed when done or dropped */
    else
        conn_free(c);
}

static void send_msg(struct sn_conn *c, const struct wire_msg *m)
{
    if (c->bev)
        conn_send(c->sn->h, ROLE_SUPERNODE, c->bev, m);
}

/* ---- requests, once a worker has served them ---- */

static void serve_register(struct sn_conn *c)
{
    struct supernode *sn = c->sn;
    struct host *h = sn->h;
    int64_t now_ms = host_now(h) / NS_PER_MS;
    enum ticket_verdict v = ticket_check(&h->keys, &c->ticket, (uint64_t)(now_ms > 0 ? now_ms : 0));
    struct wire_msg r;
    if (v != TICKET_VALID) {
        h->m.c[v == TICKET_FORGED ? C_SN_REFUSED_FORGED : C_SN_REFUSED_EXPIRED]++;
        r.type = WIRE_REGISTER_FAIL;
        r.u.reason = v == TICKET_FORGED ? WIRE_REASON_FORGED_TICKET : WIRE_REASON_EXPIRED_TICKET;
        c->closing = true;
    } else if (sn->max_clients && sn->clients >= sn->max_clients) {
        h->m.c[C_SN_REDIRECTS]++;
        r.type = WIRE_REDIRECT;
        sample_known(sn, h->scn->supernode.list_size, false, &r.u.sn_list);
        c->closing = true;
    } else {
        c->registered = true;
        c->user_id = c->ticket.user_id;
        sn->clients++;
        h->m.g[G_SN_CLIENTS]++;
        h->m.c[C_SN_REGISTERED]++;
        r.type = WIRE_REGISTER_OK;
        sample_known(sn, h->scn->supernode.list_size, false, &r.u.sn_list);
    }
    send_msg(c, &r);
}

static void on_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct sn_conn *c = container_of(it, struct sn_conn, item);
    uint8_t req = c->req;
    c->req = 0;
    if (abandoned || !c->bev) {
        conn_free(c);
        return;
    }
    if (req == WIRE_REGISTER) {
        serve_register(c);
    } else if (req == WIRE_KEEPALIVE) {
        struct wire_msg ack = {.type = WIRE_KEEPALIVE_ACK, .u.seq = c->seq};
        send_msg(c, &ack);
    }
}

static void on_drop(struct cap_item *it, void *arg)
{
    conn_free(container_of(it, struct sn_conn, item));
}

static void submit(struct sn_conn *c, uint8_t type)
{
    uint32_t hint;
    /* One request at a time per connection. A keepalive that comes while
     * another waits (pipelined by a slow SN's client) is redundant: the ACK
     * of the waiting one answers both. */
    if (c->req)
        return;
    c->req = type;
    if (cap_submit(&c->sn->cap, &c->item, &hint) == CAP_V_REJECTED) {
        c->req = 0;
        if (type == WIRE_REGISTER) {
            struct wire_msg r = {.type = WIRE_REDIRECT};
            sample_known(c->sn, c->sn->h->scn->supernode.list_size, false, &r.u.sn_list);
            c->sn->h->m.c[C_SN_REDIRECTS]++;
            send_msg(c, &r);
            c->closing = true;
        }
    }
}

static int on_msg(void *arg, const struct wire_msg *m)
{
    struct sn_conn *c = arg;
    struct supernode *sn = c->sn;
    if (c->closing)
        return 0;
    switch (m->type) {
    case WIRE_REGISTER:
        if (c->registered || c->outgoing)
            break;
        c->ticket = m->u.ticket;
        submit(c, WIRE_REGISTER);
        return 0;
    case WIRE_KEEPALIVE:
        if (!c->registered)
            break;
        c->seq = m->u.seq; /* acknowledge the latest */
        submit(c, WIRE_KEEPALIVE);
        return 0;
    case WIRE_GOSSIP:
        for (uint32_t i = 0; i < m->u.sn_list.n; i++)
            known_add(sn, &m->u.sn_list.sns[i]);
        if (!c->outgoing) {
            struct wire_msg r = {.type = WIRE_GOSSIP};
            sample_known(sn, WIRE_MAX_SNS - 1, true, &r.u.sn_list);
            send_msg(c, &r);
        }
        sn->h->m.c[C_GOSSIP_EXCHANGES]++;
        c->closing = true;
        if (c->outgoing) { /* we asked, we got the answer: done */
            conn_free(c);
            return 1;
        }
        return 0;
    default:
        break;
    }
    sn->h->m.c[C_MALFORMED]++; /* out of order or unexpected for a supernode */
    return 0;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct sn_conn *c = arg;
    if (conn_read(c->sn->h, bev, on_msg, c) < 0)
        conn_gone(c);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct sn_conn *c = arg;
    if (c->closing && !c->outgoing)
        conn_gone(c); /* the refusal, redirect or gossip answer has been flushed */
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct sn_conn *c = arg;
    if (c->outgoing && (what & BEV_EVENT_CONNECTED)) {
        struct wire_msg g = {.type = WIRE_GOSSIP};
        sample_known(c->sn, WIRE_MAX_SNS - 1, true, &g.u.sn_list);
        send_msg(c, &g);
        return;
    }
    if (c->outgoing && !(what & BEV_EVENT_EOF))
        known_remove(c->sn, (uint32_t)c->user_id); /* unreachable: forget it */
    conn_gone(c);
}

static struct sn_conn *conn_new(struct supernode *sn, struct bufferevent *bev)
{
    struct sn_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->sn = sn;
    c->bev = bev;
    LIST_INSERT_HEAD(&sn->conns, c, link);
    sn->h->m.g[G_OPEN_CONNS]++;
    impair_setup(sn->h, ROLE_SUPERNODE, bev);
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    conn_limit_input(bev);
    return c;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    struct bufferevent *bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct sn_conn *c = bev ? conn_new(sn, bev) : NULL;
    if (!c) {
        if (bev)
            bufferevent_free(bev);
        else
            close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    /* A client that stops sending keepalives is gone: 3 missed intervals. */
    struct timeval idle = clock_tv_from_ns(3 * h->scn->workload.keepalive_ns +
                                           h->scn->peer.reg.timeout_ns);
    bufferevent_set_timeouts(bev, &idle, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ---- gossip ---- */

static void gossip_tick(evutil_socket_t fd, short what, void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    const struct scenario *s = h->scn;
    for (uint32_t k = 0; k < s->supernode.gossip.fanout && sn->n_known > 0; k++) {
        const struct wire_sn peer = sn->known[rng_below(&sn->rng, sn->n_known)];
        int sfd = conn_socket(h, sn->ip, peer.ip);
        struct bufferevent *bev =
            sfd >= 0 ? bufferevent_socket_new(h->base, sfd, BEV_OPT_CLOSE_ON_FREE) : NULL;
        struct sn_conn *c = bev ? conn_new(sn, bev) : NULL;
        if (!c) {
            if (bev)
                bufferevent_free(bev);
            else if (sfd >= 0)
                close(sfd);
            continue;
        }
        c->outgoing = true;
        c->user_id = peer.node_id; /* whom we asked, to forget it if it is gone */
        struct timeval tmo = clock_tv_from_ns(s->peer.reg.timeout_ns);
        bufferevent_set_timeouts(bev, &tmo, &tmo);
        bufferevent_enable(bev, EV_READ | EV_WRITE);
        struct sockaddr_in sa;
        conn_sockaddr(peer.ip, peer.port, &sa);
        if (bufferevent_socket_connect(bev, (struct sockaddr *)&sa, sizeof sa) < 0) {
            known_remove(sn, peer.node_id);
            conn_free(c);
        }
    }
    /* Jittered, so the SNs do not gossip in lockstep. */
    int64_t iv = s->supernode.gossip.interval_ns;
    host_arm_in(&sn->gossip, iv / 2 + (int64_t)(rng_uniform(&sn->rng) * (double)iv));
}

/* ---- overload self-protection ---- */

static int64_t oldest_wait_ns(const struct supernode *sn)
{
    const struct cap_item *it = TAILQ_FIRST(&sn->cap.queue);
    return it ? host_now(sn->h) - it->enq_ns : 0;
}

static void monitor_tick(evutil_socket_t fd, short what, void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    const typeof(h->scn->supernode.overload) *o = &h->scn->supernode.overload;
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

static int listen_now(struct supernode *sn, char *err, size_t errlen)
{
    struct host *h = sn->h;
    sn->lst = listener_new(h, sn->ip, placement_sn_port(&h->pl, sn->id),
                           (int)h->scn->login_server.backlog, on_accept,
                           sn, err, errlen);
    if (!sn->lst)
        return -1;
    h->m.g[G_SN_COUNT]++;
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
    sn->promoted = promoted;
    sn->dormant = !active;
    sn->max_clients = max_clients;
    sn->over_since = -1;
    sn->low_since = -1;
    LIST_INIT(&sn->conns);
    rng_seed(&sn->rng, h->scn->seed, id, RNG_STREAM_NODE);
    struct cap_metrics m = {.g_queue = G_SN_QUEUE, .g_busy = -1, .c_served = C_SN_SERVED,
                            .c_rejected = -1, .c_wasted = -1};
    cap_init(&sn->cap, h, &h->scn->supernode.cap, id, &m, on_served, on_drop, sn);
    evtimer_assign(&sn->monitor, h->base, monitor_tick, sn);
    evtimer_assign(&sn->gossip, h->base, gossip_tick, sn);
    /* Start out knowing a sample of the initial SNs, as if from a previous
     * life; gossip refreshes it from there. */
    for (uint32_t k = 0; k < pl->n_sn && k < SN_KNOWN_MAX; k++) {
        uint32_t other = pl->first_sn + rng_below(&sn->rng, pl->n_sn);
        struct wire_sn e = {other, placement_addr(pl, other), placement_sn_port(pl, other)};
        known_add(sn, &e);
    }
    if (active && listen_now(sn, err, errlen) < 0) {
        free(sn);
        return NULL;
    }
    return sn;
}

int sn_activate(struct supernode *sn, uint32_t max_clients)
{
    char err[256];
    if (!sn->dormant)
        return 0;
    sn->dormant = false;
    sn->max_clients = max_clients;
    if (listen_now(sn, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm: rank %d: supernode %u: %s\n", sn->h->rank, sn->id, err);
        return -1;
    }
    sn->h->m.c[C_SN_INJECTED]++;
    return 0;
}

void sn_set_down(struct supernode *sn)
{
    if (!sn->lst)
        return;
    listener_free(sn->lst);
    sn->lst = NULL;
    sn->h->m.g[G_SN_COUNT]--;
    event_del(&sn->monitor);
    event_del(&sn->gossip);
    cap_clear(&sn->cap);
    while (!LIST_EMPTY(&sn->conns))
        conn_free(LIST_FIRST(&sn->conns));
}

bool sn_check_demote(struct supernode *sn, double below, int64_t for_ns, bool surplus)
{
    if (!sn->lst || for_ns <= 0)
        return false;
    int64_t now = host_now(sn->h);
    bool low = surplus && (double)sn->clients < below * (double)(sn->max_clients ? sn->max_clients : 1);
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

void sn_reconfigure(struct supernode *sn, const struct scn_event *ev)
{
    cap_reconfigure(&sn->cap, ev);
}

void sn_free(struct supernode *sn)
{
    if (!sn)
        return;
    sn_set_down(sn);
    cap_clear(&sn->cap);
    while (!LIST_EMPTY(&sn->conns))
        conn_free(LIST_FIRST(&sn->conns));
    free(sn);
}
