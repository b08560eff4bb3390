/* presence.c - presence servers of the central architecture (see
 * presence.h). */
#include "presence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/event.h>

#include "capacity.h"
#include "common/u64map.h"
#include "conn.h"
#include "host.h"
#include "server.h"
#include "ticket.h"
#include "trace.h"

#define MONITOR_NS (200 * NS_PER_MS)

/* The server's life (pres_set_state alone moves its gauges: pres_up,
 * reg_workers and its data centre's servers_up and workers_up). */
enum pres_state { PRES_DORMANT = 0, PRES_UP, PRES_DOWN };
static const char *const pres_state_names[] = {"DORMANT", "UP", "DOWN"};

/* A connection (pc_set_state alone moves the client counts and the by-user
 * index on entering and leaving REGISTERED, and sets the connection's
 * timer, as a supernode's does):
 *
 *   NEW --REGISTER--> REGISTERING --served, valid, room--> REGISTERED
 *                         |                                  | KEEPALIVE
 *                         +--forged, expired, full--> CLOSING |
 *                                                      v      v
 *                                                    CLOSED (socket gone) */
enum pc_state { PC_NEW = 0, PC_REGISTERING, PC_REGISTERED, PC_CLOSING, PC_CLOSED };
static const char *const pc_state_names[] = {"NEW", "REGISTERING", "REGISTERED", "CLOSING",
                                             "CLOSED"};

struct pres_conn {
    struct srv_conn base; /* first: the server hands us &base */
    struct wire_ticket ticket;
    uint32_t seq; /* latest KEEPALIVE to acknowledge */
    uint8_t req;  /* wire type inside the capacity model, 0 = none */
    enum pc_state state;
};

struct presence {
    struct host *h;
    uint32_t id, ip, dc;
    enum pres_state state;
    struct server srv;
    uint32_t clients;
    struct u64map by_user; /* user_id -> its REGISTERED pres_conn */
    int64_t idle_ns;       /* a registered client silent this long is gone */
    int64_t over_since;    /* run time the overload began, -1: not overloaded */
    struct event monitor;
    /* LOAD reports to the front door */
    int udp;
    struct event report;
    int64_t report_at_ns;    /* run time of the last report */
    uint64_t report_busy_us; /* the capacity model's busy time then */
    uint32_t fd_ip;
    uint16_t fd_port;
};

static struct presence *pres_of(const struct srv_conn *c)
{
    return container_of(c->srv, struct presence, srv);
}

static struct dc_metrics *dcm(struct presence *p)
{
    return &p->h->m.dc[p->dc];
}

static void pres_set_state(struct presence *p, enum pres_state s)
{
    if (p->state == s)
        return;
    trace_state(p->h, TRACE_PRESENCE, "presence", p->id, pres_state_names[p->state],
                pres_state_names[s]);
    int up = (s == PRES_UP) - (p->state == PRES_UP);
    int64_t workers = up * (int64_t)p->srv.cap.cfg.workers;
    p->h->m.g[G_PRES_UP] += up;
    p->h->m.g[G_REG_WORKERS] += workers;
    dcm(p)->servers_up += up;
    dcm(p)->workers_up += workers;
    p->state = s;
}

static void pc_set_state(struct pres_conn *c, enum pc_state s)
{
    struct presence *p = pres_of(&c->base);
    if (c->state == s)
        return;
    trace_state(p->h, TRACE_PRES_CONN, "pres_conn", p->id, pc_state_names[c->state],
                pc_state_names[s]);
    int d = (s == PC_REGISTERED) - (c->state == PC_REGISTERED);
    p->clients += (uint32_t)d;
    p->h->m.g[G_PRES_CLIENTS] += d;
    dcm(p)->clients += d;
    if (d < 0 && u64map_get(&p->by_user, c->ticket.user_id) == c)
        u64map_del(&p->by_user, c->ticket.user_id);
    else if (d > 0)
        (void)u64map_put(&p->by_user, c->ticket.user_id, c); /* out of memory: not indexed */
    c->state = s;
    if (s == PC_REGISTERING)
        srv_conn_no_timer(&c->base);
    else if (s == PC_REGISTERED)
        srv_conn_idle(&c->base, p->idle_ns);
    else if (s == PC_CLOSING)
        srv_conn_deadline(&c->base, p->h->scn->central.presence.conns.linger_ns);
}

/* ---- requests, once a worker has served them ---- */

/* Full or refused by admission: REDIRECT, with no list: the peer asks its
 * front door again. */
static void redirect(struct pres_conn *c)
{
    struct presence *p = pres_of(&c->base);
    struct wire_msg r = {.type = WIRE_REDIRECT};
    p->h->m.c[C_PRES_REDIRECTS]++;
    dcm(p)->refusals++;
    pc_set_state(c, PC_CLOSING);
    srv_conn_send(&c->base, &r);
}

static void serve_register(struct pres_conn *c)
{
    struct presence *p = pres_of(&c->base);
    struct host *h = p->h;
    int64_t now_ms = host_now(h) / NS_PER_MS;
    enum ticket_verdict v =
        ticket_check(&h->keys, &c->ticket, (uint64_t)(now_ms > 0 ? now_ms : 0), c->base.peer_ip);
    if (v != TICKET_VALID) {
        const struct ticket_refusal *why = ticket_refusal_of(v);
        struct wire_msg r = {.type = WIRE_REGISTER_FAIL, .u.reason = why->reason};
        h->m.c[why->counter]++;
        pc_set_state(c, PC_CLOSING);
        srv_conn_send(&c->base, &r);
        return;
    }
    /* One live registration per user: a newer valid one replaces the older
     * (a rebooted peer whose old connection has not been seen to die). */
    struct pres_conn *old = u64map_get(&p->by_user, c->ticket.user_id);
    if (old && old != c) {
        h->m.c[C_SN_REPLACED]++;
        srv_conn_close(&old->base);
    }
    uint32_t max = h->scn->central.presence.max_clients;
    if (max && p->clients >= max) {
        redirect(c);
        return;
    }
    pc_set_state(c, PC_REGISTERED);
    h->m.c[C_PRES_REGISTERED]++;
    dcm(p)->registered++;
    struct wire_msg r = {.type =
                             WIRE_REGISTER_OK}; /* no list: peers find servers via the front door */
    srv_conn_send(&c->base, &r);
}

static void on_served(struct srv_conn *sc)
{
    struct pres_conn *c = (struct pres_conn *)sc;
    uint8_t req = c->req;
    c->req = 0;
    if (req == WIRE_REGISTER) {
        serve_register(c);
    } else if (req == WIRE_KEEPALIVE) {
        struct wire_msg ack = {.type = WIRE_KEEPALIVE_ACK, .u.seq = c->seq};
        srv_conn_send(&c->base, &ack);
    }
}

/* One request at a time per connection, as at a supernode: a keepalive
 * that comes while another waits is answered by that one's ACK. */
static void submit(struct pres_conn *c, uint8_t type)
{
    uint32_t hint;
    if (c->req)
        return;
    c->req = type;
    if (srv_conn_submit(&c->base, &hint) == CAP_V_REJECTED) {
        c->req = 0;
        if (type == WIRE_REGISTER)
            redirect(c);
    }
}

/* ---- connection events ---- */

static int on_msg(struct srv_conn *sc, const struct wire_msg *m)
{
    struct pres_conn *c = (struct pres_conn *)sc;
    if (c->state == PC_CLOSING)
        return 0;
    switch (m->type) {
    case WIRE_REGISTER:
        if (c->state == PC_REGISTERING)
            return 0; /* the first is being served */
        if (c->state != PC_NEW)
            break;
        c->ticket = m->u.ticket;
        pc_set_state(c, PC_REGISTERING);
        submit(c, WIRE_REGISTER);
        return 0;
    case WIRE_KEEPALIVE:
        if (c->state != PC_REGISTERED)
            break;
        c->seq = m->u.seq;
        submit(c, WIRE_KEEPALIVE);
        return 0;
    default:
        break;
    }
    pres_of(sc)->h->m.c[C_MALFORMED]++; /* out of order or not for a presence server */
    return 0;
}

static void on_flushed(struct srv_conn *sc)
{
    enum pc_state st = ((struct pres_conn *)sc)->state;
    if (st == PC_CLOSING)
        srv_conn_close(sc); /* the refusal or redirect has been flushed */
    else if (st == PC_REGISTERED)
        srv_conn_park(sc); /* quiet until the next keepalive */
}

static void on_close(struct srv_conn *sc)
{
    pc_set_state((struct pres_conn *)sc, PC_CLOSED);
}

static const struct server_ops pres_server_ops = {
    .on_msg = on_msg,
    .on_served = on_served,
    .on_flushed = on_flushed,
    .on_close = on_close,
};

/* ---- LOAD reports ---- */

/* Utilisation since the last report: the busy share of the workers, or
 * the share of max_clients taken, whichever is higher. */
static uint32_t load_permille(struct presence *p, int64_t now)
{
    double load = 0;
    int64_t dt_us = (now - p->report_at_ns) / 1000;
    uint32_t workers = p->srv.cap.cfg.workers;
    if (dt_us > 0 && workers > 0)
        load = (double)(p->srv.cap.busy_us - p->report_busy_us) / ((double)dt_us * workers);
    uint32_t max = p->h->scn->central.presence.max_clients;
    if (max && (double)p->clients / max > load)
        load = (double)p->clients / max;
    return load > 1000 ? 1000000u : (uint32_t)(load * 1000 + 0.5);
}

static void send_report(struct presence *p)
{
    int64_t now = host_now(p->h);
    struct wire_msg m = {.type = WIRE_LOAD,
                         .u.load = {.node_id = p->id,
                                    .up = p->state == PRES_UP,
                                    .clients = p->clients,
                                    .max_clients = p->h->scn->central.presence.max_clients,
                                    .queue = p->srv.cap.qlen,
                                    .load_permille = load_permille(p, now)}};
    conn_send_datagram(p->h, ROLE_PRESENCE, p->udp, p->fd_ip, p->fd_port, &m);
    p->report_at_ns = now;
    p->report_busy_us = p->srv.cap.busy_us;
}

static void report_tick(evutil_socket_t fd, short what, void *arg)
{
    struct presence *p = arg;
    send_report(p);
    host_arm_in(&p->report, p->h->scn->central.presence.report_interval_ns);
}

/* ---- overload self-protection (central.presence.overload) ---- */

static void set_down(struct presence *p, bool orderly);

static void monitor_tick(evutil_socket_t fd, short what, void *arg)
{
    struct presence *p = arg;
    struct host *h = p->h;
    const struct scn_overload *o = &h->scn->central.presence.overload;
    uint32_t max = h->scn->central.presence.max_clients;
    const struct cap_item *oldest = TAILQ_FIRST(&p->srv.cap.queue);
    int64_t now = host_now(h);
    bool loaded = o->load > 0 && max > 0 && (double)p->clients >= o->load * (double)max;
    bool lagging = o->lag_ns > 0 && oldest && now - oldest->enq_ns >= o->lag_ns;
    if (!loaded && !lagging) {
        p->over_since = -1;
    } else if (p->over_since < 0) {
        p->over_since = now;
    } else if (now - p->over_since >= o->for_ns) {
        h->m.c[C_PRES_OVERLOAD_ACTIONS]++;
        set_down(p, true);
        return;
    }
    host_arm_in(&p->monitor, MONITOR_NS);
}

/* ---- lifecycle ---- */

static int go_up(struct presence *p)
{
    struct host *h = p->h;
    char err[256];
    if (server_listen(&p->srv, p->ip, placement_port(&h->pl, p->id),
                      (int)h->scn->login_server.backlog, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm: rank %d: presence server %u: %s\n", h->rank, p->id, err);
        return -1;
    }
    pres_set_state(p, PRES_UP);
    p->over_since = -1;
    if (h->scn->central.presence.overload.action != OVERLOAD_NONE)
        host_arm_in(&p->monitor, MONITOR_NS);
    /* Report at once, so the front door learns of a new server without
     * waiting an interval, then every interval. */
    p->report_at_ns = host_now(h);
    p->report_busy_us = p->srv.cap.busy_us;
    report_tick(-1, 0, p);
    return 0;
}

/* Listener closed, clients dropped; an orderly stop (scale-in, overload
 * shutdown) tells the front door at once, a crash does not. */
static void set_down(struct presence *p, bool orderly)
{
    if (p->state != PRES_UP)
        return;
    event_del(&p->monitor);
    event_del(&p->report);
    server_stop(&p->srv);
    pres_set_state(p, PRES_DOWN);
    if (orderly)
        send_report(p);
}

static void pres_free(struct presence *p)
{
    if (!p)
        return;
    set_down(p, false);
    server_stop(&p->srv);
    u64map_free(&p->by_user);
    if (p->udp >= 0)
        close(p->udp);
    free(p);
}

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    const struct placement *pl = &h->pl;
    const struct scn_presence *cfg = &h->scn->central.presence;
    struct presence *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->h = h;
    p->id = id;
    p->ip = placement_addr(pl, id);
    p->dc = placement_dc(pl, id);
    p->state = PRES_DORMANT;
    p->over_since = -1;
    p->idle_ns = 3 * h->scn->workload.keepalive_ns + h->scn->peer.reg.timeout_ns;
    uint32_t fd_id = placement_fd_id(pl, p->dc);
    p->fd_ip = placement_addr(pl, fd_id);
    p->fd_port = placement_port(pl, fd_id);
    u64map_init(&p->by_user);
    struct cap_metrics m = {.g_queue = G_PRES_QUEUE,
                            .g_busy = -1,
                            .c_served = -1,
                            .c_rejected = -1,
                            .c_wasted = -1,
                            .c_busy_us = C_REG_BUSY_US,
                            .busy_us = &h->m.dc[p->dc].busy_us};
    server_init(&p->srv, h, ROLE_PRESENCE, id, NULL, &pres_server_ops, sizeof(struct pres_conn),
                &cfg->conns, &cfg->cap, &m);
    evtimer_assign(&p->monitor, h->base, monitor_tick, p);
    evtimer_assign(&p->report, h->base, report_tick, p);
    /* Its report socket (any port on its own address) lives as long as the
     * node: a report is the server speaking, not a listener. */
    p->udp = conn_udp_socket(h, p->ip, 0);
    if (p->udp < 0) {
        snprintf(err, errlen, "presence server %u: UDP socket: %s", id, strerror(errno));
        pres_free(p);
        return NULL;
    }
    /* The first `servers` of the DC are up at start; the rest are spares. */
    if (id - pl->dc_first[p->dc] < h->scn->central.dc[p->dc].servers && go_up(p) < 0) {
        snprintf(err, errlen, "presence server %u: cannot listen", id);
        pres_free(p);
        return NULL;
    }
    return p;
}

static void op_destroy(void *node)
{
    pres_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct presence *)node)->id;
}

static bool op_crash(void *node)
{
    struct presence *p = node;
    if (p->state != PRES_UP)
        return false;
    p->h->m.c[C_PRES_CRASHES]++;
    set_down(p, false);
    return true;
}

static bool op_crash_candidate(const void *node)
{
    return ((const struct presence *)node)->state == PRES_UP;
}

/* The end of an outage: a server the outage took down comes back (a
 * dormant spare stays dormant). */
static bool op_restore(void *node)
{
    struct presence *p = node;
    return p->state == PRES_DOWN && go_up(p) == 0;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    struct presence *p = node;
    int64_t before = p->srv.cap.cfg.workers;
    cap_reconfigure(&p->srv.cap, ev);
    int64_t d = (int64_t)p->srv.cap.cfg.workers - before;
    if (p->state == PRES_UP) {
        p->h->m.g[G_REG_WORKERS] += d;
        dcm(p)->workers_up += d;
    }
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct presence *)node)->srv.cap, for_ns);
}

int64_t presence_scale(struct host *h, uint32_t dc, uint32_t first, uint32_t count, bool up)
{
    const struct node_set *set = &h->nodes[ROLE_PRESENCE];
    uint32_t lo = h->pl.dc_first[dc] + first, hi = lo + count;
    int64_t n = 0;
    for (uint32_t i = 0; i < set->n; i++) {
        struct presence *p = set->v[i];
        if (p->id < lo || p->id >= hi)
            continue;
        if (up && p->state != PRES_UP && go_up(p) == 0) {
            h->m.c[C_SCALED_UP]++;
            n++;
        } else if (!up && p->state == PRES_UP) {
            set_down(p, true);               /* its clients go back to the front door */
            pres_set_state(p, PRES_DORMANT); /* a spare again */
            h->m.c[C_SCALED_DOWN]++;
            n++;
        }
    }
    return n;
}

const struct role_ops presence_role = {
    .role = ROLE_PRESENCE,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .crash_candidate = op_crash_candidate,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
