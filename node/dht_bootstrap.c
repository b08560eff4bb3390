/* dht_bootstrap.c - the DHT's bootstrap nodes (see dht_bootstrap.h). */
#include "dht_bootstrap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "capacity.h"
#include "conn.h"
#include "dht_table.h"
#include "host.h"
#include "trace.h"

#define RECV_BATCH 64

struct boot_req {
    struct cap_item item;
    struct dht_id from, target;
    uint32_t ip, txid;
    uint16_t port;
    uint8_t type;
};

enum boot_state { BOOT_DOWN = 0, BOOT_UP };

struct dht_bootstrap {
    struct host *h;
    uint32_t id, ip;
    uint16_t port;
    enum boot_state state;
    int fd; /* -1 while down */
    struct event *ev;
    struct dht_id node_id;
    struct dht_table t;
    struct capacity cap;
};

static void set_state(struct dht_bootstrap *b, enum boot_state to)
{
    static const char *const names[] = {"DOWN", "UP"};
    if (b->state == to)
        return;
    trace_state(b->h, TRACE_SERVICE, "dht_bootstrap", b->id, names[b->state], names[to]);
    int up = (to == BOOT_UP) - (b->state == BOOT_UP);
    b->h->m.g[G_BOOT_UP] += up;
    /* The bootstrap nodes are the registration tier's servers here: their
     * utilisation is the run's server_load. */
    b->h->m.g[G_REG_WORKERS] += up * (int64_t)b->cap.cfg.workers;
    b->state = to;
}

static void reply(struct dht_bootstrap *b, const struct boot_req *r)
{
    struct host *h = b->h;
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.u.dht.txid = r->txid;
    memcpy(m.u.dht.sender, b->node_id.b, DHT_ID_LEN);
    if (r->type == WIRE_DHT_PING) {
        m.type = WIRE_DHT_PONG;
    } else {
        m.type = WIRE_DHT_NODES;
        unsigned k = h->scn->dht.k;
        struct dht_contact c[33];
        unsigned n = dht_table_closest(&b->t, &r->target, k + 1, false, c);
        for (unsigned i = 0; i < n && m.u.dht.n < k; i++) {
            if (dht_id_eq(&c[i].id, &r->from))
                continue;
            struct wire_dht_contact *w = &m.u.dht.nodes[m.u.dht.n++];
            memcpy(w->id, c[i].id.b, DHT_ID_LEN);
            w->ip = c[i].ip;
            w->port = c[i].port;
        }
    }
    (void)conn_send_datagram(h, ROLE_DHT_BOOTSTRAP, b->fd, r->ip, r->port, &m);
}

static void on_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct dht_bootstrap *b = arg;
    struct boot_req *r = container_of(it, struct boot_req, item);
    int64_t now = host_now(b->h);
    /* Served after the asker's query timed out: its answer is work wasted
     * (the emulator knows the askers' timeout; a real server would not). */
    if (now - it->enq_ns > b->h->scn->dht.rpc_timeout_ns)
        b->h->m.c[C_BOOT_WASTED]++;
    /* The asker is up now: the next fresh node may learn of it. */
    (void)dht_table_seen(&b->t, &r->from, r->ip, r->port, now > 0 ? (uint32_t)(now / 1000000) : 0,
                         DHT_REPLACE_LRU, NULL);
    reply(b, r);
    free(r);
}

static void on_drop(struct cap_item *it, void *arg)
{
    free(container_of(it, struct boot_req, item));
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct dht_bootstrap *b = arg;
    struct host *h = b->h;
    for (int i = 0; i < RECV_BATCH && b->fd >= 0; i++) {
        struct wire_msg m;
        uint32_t ip;
        uint16_t port;
        enum conn_dgram got = conn_recv_datagram(h, fd, &m, &ip, &port);
        if (got == CONN_DGRAM_NONE)
            return;
        if (got == CONN_DGRAM_BAD)
            continue;
        if (m.type != WIRE_DHT_FIND_NODE && m.type != WIRE_DHT_PING) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        h->m.c[C_MSGS_RECV]++;
        h->m.c[C_BOOT_REQUESTS]++;
        struct boot_req *r = calloc(1, sizeof *r);
        if (!r)
            continue;
        memcpy(r->from.b, m.u.dht.sender, DHT_ID_LEN);
        memcpy(r->target.b, m.u.dht.target, DHT_ID_LEN);
        r->ip = ip;
        r->port = port;
        r->txid = m.u.dht.txid;
        r->type = (uint8_t)m.type;
        uint32_t hint;
        if (dht_id_eq(&r->from, &b->node_id) ||
            cap_submit(&b->cap, &r->item, &hint) == CAP_V_REJECTED)
            free(r); /* dropped unanswered: over UDP the asker just times out */
    }
}

static int set_up(struct dht_bootstrap *b)
{
    if (b->fd >= 0)
        return 0;
    struct host *h = b->h;
    int fd = conn_udp_socket(h, b->ip, b->port);
    if (fd < 0) {
        fprintf(stderr, "bootstorm: rank %d: dht bootstrap node %u: cannot bind UDP port %u: %s\n",
                h->rank, b->id, b->port, strerror(errno));
        return -1;
    }
    b->ev = event_new(h->base, fd, EV_READ | EV_PERSIST, on_readable, b);
    if (!b->ev) {
        close(fd);
        return -1;
    }
    b->fd = fd;
    event_add(b->ev, NULL);
    set_state(b, BOOT_UP);
    return 0;
}

static void set_down(struct dht_bootstrap *b)
{
    if (b->fd < 0)
        return;
    event_free(b->ev);
    b->ev = NULL;
    close(b->fd);
    b->fd = -1;
    set_state(b, BOOT_DOWN);
    cap_clear(&b->cap);     /* a crashed server forgets its queue */
    dht_table_clear(&b->t); /* ... and whom it heard from */
}

/* ---- role operations ---- */

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct dht_bootstrap *b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    b->h = h;
    b->id = id;
    b->ip = placement_addr(&h->pl, id);
    b->port = placement_port(&h->pl, id);
    b->fd = -1;
    dht_id_of_node(h->scn->seed, id, &b->node_id);
    dht_table_init(&b->t, &b->node_id, h->scn->dht.k);
    struct cap_metrics m = {.g_queue = G_BOOT_QUEUE,
                            .g_busy = G_BOOT_BUSY,
                            .c_served = C_BOOT_SERVED,
                            .c_rejected = C_BOOT_REFUSED,
                            .c_wasted = -1,
                            .queue_us = &h->m.boot_queue_us,
                            .service_us = &h->m.boot_service_us,
                            .c_busy_us = C_REG_BUSY_US};
    cap_init(&b->cap, h, &h->scn->dht.bootstrap.cap, id, &m, on_served, on_drop, b);
    if (set_up(b) < 0) {
        snprintf(err, errlen, "dht bootstrap node %u: cannot bind its UDP port %u", id, b->port);
        dht_table_free(&b->t);
        free(b);
        return NULL;
    }
    return b;
}

static void op_destroy(void *node)
{
    struct dht_bootstrap *b = node;
    set_down(b);
    dht_table_free(&b->t);
    free(b);
}

static uint32_t op_id(const void *node)
{
    return ((const struct dht_bootstrap *)node)->id;
}

static bool op_crash(void *node)
{
    struct dht_bootstrap *b = node;
    bool was_up = b->state == BOOT_UP;
    set_down(b);
    return was_up;
}

static bool op_restore(void *node)
{
    struct dht_bootstrap *b = node;
    return b->state == BOOT_DOWN && set_up(b) == 0;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    struct dht_bootstrap *b = node;
    uint32_t before = b->cap.cfg.workers;
    cap_reconfigure(&b->cap, ev);
    if (b->state == BOOT_UP)
        b->h->m.g[G_REG_WORKERS] += (int64_t)b->cap.cfg.workers - before;
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct dht_bootstrap *)node)->cap, for_ns);
}

const struct role_ops dht_bootstrap_role = {
    .role = ROLE_DHT_BOOTSTRAP,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
