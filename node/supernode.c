/* supernode.c - supernode role (see supernode.h). */
#include "supernode.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"
#include "host.h"
#include "ticket.h"

struct sn_conn {
    LIST_ENTRY(sn_conn) link;
    struct supernode *sn;
    struct bufferevent *bev;
    uint64_t user_id;
    int registered;
    int closing; /* refused: close once the reply is flushed */
};

struct supernode {
    struct host *h;
    uint32_t id;
    struct listener *lst;
    struct rng rng;
    LIST_HEAD(, sn_conn) conns;
    uint32_t clients;
};

uint32_t sn_clients(const struct supernode *sn)
{
    return sn->clients;
}

static void conn_close(struct sn_conn *c)
{
    struct supernode *sn = c->sn;
    if (c->registered) {
        sn->clients--;
        sn->h->m.g[G_SN_CLIENTS]--;
    }
    LIST_REMOVE(c, link);
    bufferevent_free(c->bev);
    sn->h->m.g[G_OPEN_CONNS]--;
    free(c);
}

/* A random sample of other supernodes for the client's host cache. */
static void fill_sn_list(struct supernode *sn, struct wire_sn_list *l)
{
    const struct placement *pl = &sn->h->pl;
    uint32_t want = sn->h->scn->supernode.list_size;
    l->n = 0;
    if (pl->n_sn <= 1)
        return;
    if (want > pl->n_sn - 1)
        want = pl->n_sn - 1;
    if (want > WIRE_MAX_SNS)
        want = WIRE_MAX_SNS;
    /* Rejection sampling over ids: want is small next to n_sn in practice,
     * and the bounded loop keeps a pathological draw from spinning. */
    for (uint32_t tries = 0; l->n < want && tries < 8 * want + 16; tries++) {
        uint32_t id = pl->n_ls + rng_below(&sn->rng, pl->n_sn);
        int dup = id == sn->id;
        for (uint32_t i = 0; i < l->n && !dup; i++)
            dup = l->sns[i].node_id == id;
        if (!dup)
            l->sns[l->n++] = (struct wire_sn){id, placement_addr(pl, id), pl->sn_port};
    }
}

static int on_msg(void *arg, const struct wire_msg *m)
{
    struct sn_conn *c = arg;
    struct supernode *sn = c->sn;
    struct host *h = sn->h;
    if (c->closing)
        return 0;
    if (m->type == WIRE_REGISTER && !c->registered) {
        int64_t now_ms = host_now(h) / NS_PER_MS;
        enum ticket_verdict v = ticket_check(&h->keys, &m->u.ticket, (uint64_t)(now_ms > 0 ? now_ms : 0));
        struct wire_msg r;
        if (v == TICKET_VALID) {
            c->registered = 1;
            c->user_id = m->u.ticket.user_id;
            sn->clients++;
            h->m.g[G_SN_CLIENTS]++;
            h->m.c[C_SN_REGISTERED]++;
            r.type = WIRE_REGISTER_OK;
            fill_sn_list(sn, &r.u.sn_list);
        } else {
            h->m.c[v == TICKET_FORGED ? C_SN_REFUSED_FORGED : C_SN_REFUSED_EXPIRED]++;
            r.type = WIRE_REGISTER_FAIL;
            r.u.reason = v == TICKET_FORGED ? WIRE_REASON_FORGED_TICKET : WIRE_REASON_EXPIRED_TICKET;
            c->closing = 1;
        }
        conn_send(h, c->bev, &r);
        return 0;
    }
    if (m->type == WIRE_KEEPALIVE && c->registered) {
        struct wire_msg ack = {.type = WIRE_KEEPALIVE_ACK, .u.seq = m->u.seq};
        conn_send(h, c->bev, &ack);
        return 0;
    }
    h->m.c[C_MALFORMED]++; /* out of order or unexpected for a supernode */
    return 0;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct sn_conn *c = arg;
    if (conn_read(c->sn->h, bev, on_msg, c) < 0)
        conn_close(c);
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct sn_conn *c = arg;
    if (c->closing)
        conn_close(c); /* the refusal has been flushed */
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    conn_close(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct supernode *sn = arg;
    struct host *h = sn->h;
    struct sn_conn *c = calloc(1, sizeof *c);
    struct bufferevent *bev = c ? bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    c->sn = sn;
    c->bev = bev;
    LIST_INSERT_HEAD(&sn->conns, c, link);
    h->m.g[G_OPEN_CONNS]++;
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, c);
    conn_limit_input(bev);
    /* A client that stops sending keepalives is gone: 3 missed intervals. */
    struct timeval idle = clock_tv_from_ns(3 * h->scn->workload.keepalive_ns +
                                           h->scn->peer.reg.timeout_ns);
    bufferevent_set_timeouts(bev, &idle, NULL);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct supernode *sn_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct supernode *sn = calloc(1, sizeof *sn);
    if (!sn) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    sn->h = h;
    sn->id = id;
    LIST_INIT(&sn->conns);
    rng_seed(&sn->rng, h->scn->seed, id, RNG_STREAM_NODE);
    sn->lst = listener_new(h, placement_addr(&h->pl, id), h->pl.sn_port,
                           (int)h->scn->login_server.backlog, on_accept, sn, err, errlen);
    if (!sn->lst) {
        free(sn);
        return NULL;
    }
    h->m.g[G_SN_COUNT]++;
    return sn;
}

void sn_free(struct supernode *sn)
{
    if (!sn)
        return;
    listener_free(sn->lst);
    while (!LIST_EMPTY(&sn->conns))
        conn_close(LIST_FIRST(&sn->conns));
    sn->h->m.g[G_SN_COUNT]--;
    free(sn);
}
