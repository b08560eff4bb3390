/* front_door.c - a data centre's front door (see front_door.h). */
#include "front_door.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "balance.h"
#include "capacity.h"
#include "conn.h"
#include "host.h"
#include "server.h"
#include "trace.h"

#define RECV_BATCH 64
/* A server not heard from for this many report intervals is unhealthy. */
#define STALE_REPORTS 3

enum fd_state { FD_UP = 0, FD_DOWN };
static const char *const fd_state_names[] = {"UP", "DOWN"};

/* A client connection: one LOCATE, one answer, closed once flushed. */
enum fdc_state { FDC_NEW = 0, FDC_LOCATING, FDC_CLOSING };

struct fd_conn {
    struct srv_conn base; /* first */
    enum fdc_state state;
};

struct front_door {
    struct host *h;
    uint32_t id, ip, dc;
    uint16_t port;
    enum fd_state state;
    struct server srv;
    struct balancer bl;
    struct rng rng;
    int udp; /* LOAD reports; -1 while down */
    struct event *udp_ev;
};

static struct front_door *fd_of(const struct srv_conn *c)
{
    return container_of(c->srv, struct front_door, srv);
}

static void fd_set_state(struct front_door *f, enum fd_state s)
{
    if (f->state == s)
        return;
    trace_state(f->h, TRACE_FRONT_DOOR, "front_door", f->id, fd_state_names[f->state],
                fd_state_names[s]);
    int up = (s == FD_UP) - (f->state == FD_UP);
    f->h->m.g[G_FD_UP] += up;
    f->h->m.dc[f->dc].fd_up += up;
    f->state = s;
}

static void answer(struct fd_conn *c, const struct wire_msg *m)
{
    c->state = FDC_CLOSING;
    srv_conn_deadline(&c->base, fd_of(&c->base)->h->scn->central.front_door.conns.linger_ns);
    srv_conn_send(&c->base, m);
}

/* BUSY: the front door's own capacity refused (hint: its retry-after), or
 * no server of its DC can take a client (hint: one report interval, the
 * soonest its view can change). */
static void refuse(struct fd_conn *c, enum metric_counter why, uint32_t hint_ms)
{
    struct front_door *f = fd_of(&c->base);
    struct wire_msg m = {.type = WIRE_BUSY, .u.retry_after_ms = hint_ms};
    f->h->m.c[why]++;
    f->h->m.dc[f->dc].refusals++;
    answer(c, &m);
}

static void on_served(struct srv_conn *sc)
{
    struct fd_conn *c = (struct fd_conn *)sc;
    struct front_door *f = fd_of(sc);
    struct host *h = f->h;
    int i = balancer_pick(&f->bl, host_now(h), &f->rng);
    if (i < 0) {
        int64_t iv = h->scn->central.presence.report_interval_ns;
        refuse(c, C_FD_NO_SERVER, (uint32_t)(iv / NS_PER_MS));
        return;
    }
    uint32_t id = f->bl.b[i].node_id;
    struct wire_msg m = {.type = WIRE_ASSIGN,
                         .u.server = {id, placement_addr(&h->pl, id), placement_port(&h->pl, id)}};
    h->m.c[C_FD_SERVED]++;
    answer(c, &m);
}

static int on_msg(struct srv_conn *sc, const struct wire_msg *m)
{
    struct fd_conn *c = (struct fd_conn *)sc;
    uint32_t hint;
    if (m->type != WIRE_LOCATE || c->state != FDC_NEW) {
        if (c->state != FDC_CLOSING)
            fd_of(sc)->h->m.c[C_MALFORMED]++;
        return 0;
    }
    c->state = FDC_LOCATING;
    srv_conn_no_timer(sc);
    if (srv_conn_submit(sc, &hint) == CAP_V_REJECTED)
        refuse(c, C_FD_REJECTED, hint);
    return 0;
}

static void on_flushed(struct srv_conn *sc)
{
    if (((struct fd_conn *)sc)->state == FDC_CLOSING)
        srv_conn_close(sc);
}

static const struct server_ops fd_server_ops = {
    .on_msg = on_msg,
    .on_served = on_served,
    .on_flushed = on_flushed,
};

/* ---- LOAD reports (UDP) ---- */

/* Only this DC's presence servers, from their own address: a report is
 * believed only when the datagram comes from where the placement puts the
 * server it names. */
static bool report_valid(const struct front_door *f, const struct wire_load *l, uint32_t src)
{
    const struct placement *pl = &f->h->pl;
    return l->node_id >= pl->dc_first[f->dc] &&
           l->node_id < pl->dc_first[f->dc] + pl->dc_max[f->dc] &&
           placement_addr(pl, l->node_id) == src;
}

static void on_report(evutil_socket_t fd, short what, void *arg)
{
    struct front_door *f = arg;
    struct host *h = f->h;
    for (int i = 0; i < RECV_BATCH; i++) {
        uint8_t buf[512];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        h->m.c[C_BYTES_RECV] += (uint64_t)n;
        struct wire_msg m;
        if (wire_decode_payload(buf, (size_t)n, &m) != WIRE_OK || m.type != WIRE_LOAD ||
            !report_valid(f, &m.u.load, ntohl(from.sin_addr.s_addr))) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        h->m.c[C_MSGS_RECV]++;
        h->m.c[C_LOAD_REPORTS]++;
        const struct wire_load *l = &m.u.load;
        balancer_report(&f->bl, l->node_id, l->up != 0, l->clients, l->max_clients, l->queue,
                        l->load_permille / 1000.0, host_now(h));
    }
}

/* ---- lifecycle ---- */

static int go_up(struct front_door *f)
{
    struct host *h = f->h;
    char err[256];
    f->udp = conn_udp_socket(h, f->ip, f->port);
    if (f->udp < 0) {
        fprintf(stderr, "bootstorm: rank %d: front door %u: cannot bind UDP port %u: %s\n", h->rank,
                f->id, f->port, strerror(errno));
        return -1;
    }
    f->udp_ev = event_new(h->base, f->udp, EV_READ | EV_PERSIST, on_report, f);
    if (!f->udp_ev || event_add(f->udp_ev, NULL) < 0 ||
        server_listen(&f->srv, f->ip, f->port, (int)h->scn->login_server.backlog, err, sizeof err) <
            0) {
        fprintf(stderr, "bootstorm: rank %d: front door %u: %s\n", h->rank, f->id,
                f->udp_ev ? err : "out of memory");
        if (f->udp_ev)
            event_free(f->udp_ev);
        f->udp_ev = NULL;
        close(f->udp);
        f->udp = -1;
        return -1;
    }
    fd_set_state(f, FD_UP);
    return 0;
}

/* Down: the listener and the report socket close, queued LOCATEs are lost.
 * Its view of the servers stays and goes stale; reports refresh it once it
 * is back. */
static void set_down(struct front_door *f)
{
    if (f->state != FD_UP)
        return;
    server_stop(&f->srv);
    event_free(f->udp_ev);
    f->udp_ev = NULL;
    close(f->udp);
    f->udp = -1;
    fd_set_state(f, FD_DOWN);
}

static void fd_free(struct front_door *f)
{
    if (!f)
        return;
    set_down(f);
    server_stop(&f->srv);
    balancer_free(&f->bl);
    free(f);
}

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    const struct placement *pl = &h->pl;
    const struct scn_central *ct = &h->scn->central;
    struct front_door *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    f->h = h;
    f->id = id;
    f->ip = placement_addr(pl, id);
    f->port = placement_port(pl, id);
    f->dc = placement_dc(pl, id);
    f->state = FD_DOWN;
    f->udp = -1;
    rng_seed(&f->rng, h->scn->seed, id, RNG_STREAM_NODE);
    uint32_t n = pl->dc_max[f->dc];
    uint32_t *ids = malloc(sizeof *ids * (n ? n : 1));
    for (uint32_t i = 0; ids && i < n; i++)
        ids[i] = pl->dc_first[f->dc] + i;
    int rc = ids ? balancer_init(&f->bl, ids, n, ct->front_door.balance,
                                 STALE_REPORTS * ct->presence.report_interval_ns)
                 : -1;
    free(ids);
    if (rc < 0) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    /* The servers up at start are known healthy until their reports take
     * over: from run time 0 on, as the nodes are made before the run starts
     * and reports sent before this front door listens are lost. */
    int64_t now = host_now(h);
    for (uint32_t i = 0; i < ct->dc[f->dc].servers && i < n; i++)
        balancer_set_initial_up(&f->bl, i, now > 0 ? now : 0);
    struct cap_metrics m = {.g_queue = -1,
                            .g_busy = -1,
                            .c_served = -1,
                            .c_rejected = -1,
                            .c_wasted = -1,
                            .c_busy_us = -1};
    server_init(&f->srv, h, ROLE_FRONT_DOOR, id, NULL, &fd_server_ops, sizeof(struct fd_conn),
                &ct->front_door.conns, &ct->front_door.cap, &m);
    if (go_up(f) < 0) {
        snprintf(err, errlen, "front door %u: cannot listen on %u", id, f->port);
        fd_free(f);
        return NULL;
    }
    return f;
}

static void op_destroy(void *node)
{
    fd_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct front_door *)node)->id;
}

static bool op_crash(void *node)
{
    struct front_door *f = node;
    if (f->state != FD_UP)
        return false;
    f->h->m.c[C_FD_CRASHES]++;
    set_down(f);
    return true;
}

static bool op_crash_candidate(const void *node)
{
    return ((const struct front_door *)node)->state == FD_UP;
}

/* Back after an outage. The servers it last saw up count as just reported
 * (counts kept), as the initial servers do at the start: their first
 * report after a whole data centre's outage may have reached the front
 * door before it listened again, and the next comes an interval later. */
static bool op_restore(void *node)
{
    struct front_door *f = node;
    if (f->state != FD_DOWN || go_up(f) < 0)
        return false;
    int64_t now = host_now(f->h);
    for (uint32_t i = 0; i < f->bl.n; i++)
        if (f->bl.b[i].reported_ns >= 0 && f->bl.b[i].up)
            f->bl.b[i].reported_ns = now;
    return true;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    cap_reconfigure(&((struct front_door *)node)->srv.cap, ev);
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct front_door *)node)->srv.cap, for_ns);
}

const struct role_ops front_door_role = {
    .role = ROLE_FRONT_DOOR,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .crash_candidate = op_crash_candidate,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
