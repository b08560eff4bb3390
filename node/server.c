/* server.c - listener, connections and capacity of a TCP role (see server.h). */
#include "server.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "conn.h"
#include "host.h"
#include "loop_turn.h"

static bool unpark(struct srv_conn *c);

static bool socket_open(const struct srv_conn *c)
{
    return c->bev || c->parked;
}

static void close_socket(struct srv_conn *c)
{
    if (!socket_open(c))
        return;
    if (c->srv->ops->on_close)
        c->srv->ops->on_close(c);
    event_del(&c->timer);
    if (c->parked) {
        conn_close_parked(c->srv->h, &c->parked);
    } else {
        conn_close(c->srv->h, c->bev);
        c->bev = NULL;
    }
    if (c->accepted)
        c->srv->n_accepted--;
}

static void conn_free(struct srv_conn *c)
{
    close_socket(c);
    LIST_REMOVE(c, link);
    free(c);
}

void srv_conn_close(struct srv_conn *c)
{
    close_socket(c);
    if (c->item.state != CAP_IDLE)
        cap_abandon(&c->srv->cap, &c->item); /* may free c through cap_dropped */
    else
        conn_free(c);
}

/* ---- the connection's timer ---- */

static void arm(struct srv_conn *c, enum srv_timer kind, int64_t ns)
{
    if (!socket_open(c) || c->timer_kind == SRV_TIMER_OVERFLOW)
        return;
    c->timer_kind = (uint8_t)kind;
    if (kind == SRV_TIMER_OFF) {
        event_del(&c->timer);
        return;
    }
    struct timeval tv = clock_tv_from_ns(ns);
    event_add(&c->timer, &tv);
}

void srv_conn_deadline(struct srv_conn *c, int64_t ns)
{
    arm(c, SRV_TIMER_DEADLINE, ns);
}

void srv_conn_idle(struct srv_conn *c, int64_t ns)
{
    c->idle_ns = ns;
    arm(c, SRV_TIMER_IDLE, ns);
}

void srv_conn_no_timer(struct srv_conn *c)
{
    arm(c, SRV_TIMER_OFF, 0);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct srv_conn *c = arg;
    struct host *h = c->srv->h;
    loop_turn_check();
    if (c->timer_kind == SRV_TIMER_DEADLINE)
        h->m.c[C_CONN_DEADLINE]++;
    else if (c->timer_kind == SRV_TIMER_IDLE)
        h->m.c[C_CONN_IDLE]++;
    srv_conn_close(c);
}

void srv_conn_send(struct srv_conn *c, const struct wire_msg *m)
{
    /* A keepalive's acknowledgement goes straight to a parked socket. Any
     * other message needs the bufferevent: the role may wait for its flush
     * (a refusal or redirect, then the close). */
    int sent = c->parked && m->type == WIRE_KEEPALIVE_ACK
                   ? conn_send_parked(c->srv->h, c->srv->role, c->parked, m)
                   : 0;
    if (sent > 0)
        return;
    if (sent < 0) { /* the stream is cut mid-frame; callers may still use c */
        arm(c, SRV_TIMER_OVERFLOW, 0);
        return;
    }
    if (c->parked && !unpark(c)) {
        c->srv->h->m.c[C_ACCEPT_ERRORS]++; /* out of memory: the message is lost */
        return;
    }
    if (!c->bev)
        return;
    conn_send(c->srv->h, c->srv->role, c->bev, m);
    if (c->timer_kind != SRV_TIMER_OVERFLOW &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) > SRV_OUTPUT_MAX) {
        c->srv->h->m.c[C_CONN_OVERFLOW]++;
        arm(c, SRV_TIMER_OVERFLOW, 0); /* callers may still use c: close from the loop */
    }
}

enum cap_verdict srv_conn_submit(struct srv_conn *c, uint32_t *hint_ms)
{
    return cap_submit(&c->srv->cap, &c->item, hint_ms);
}

/* ---- capacity model callbacks ---- */

static void cap_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct srv_conn *c = container_of(it, struct srv_conn, item);
    if (abandoned || !socket_open(c)) {
        conn_free(c);
        return;
    }
    c->srv->ops->on_served(c);
}

static void cap_dropped(struct cap_item *it, void *arg)
{
    conn_free(container_of(it, struct srv_conn, item));
}

/* ---- socket callbacks ---- */

static int on_frame(void *arg, const struct wire_msg *m)
{
    struct srv_conn *c = arg;
    c->unparked = false;
    if (c->timer_kind == SRV_TIMER_IDLE)
        arm(c, SRV_TIMER_IDLE, c->idle_ns); /* a complete frame, not a byte */
    return c->srv->ops->on_msg(c, m);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct srv_conn *c = arg;
    if (conn_read(c->srv->h, bev, on_frame, c) < 0)
        srv_conn_close(c); /* an oversize frame: the stream cannot resynchronise */
}

static void write_cb(struct bufferevent *bev, void *arg)
{
    struct srv_conn *c = arg;
    if (c->srv->ops->on_flushed)
        c->srv->ops->on_flushed(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct srv_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        if (c->srv->ops->on_connected)
            c->srv->ops->on_connected(c);
        return;
    }
    if (c->srv->tls)
        while (bufferevent_get_openssl_error(bev))
            ; /* drain, or the errors leak into the next connection's report */
    if (c->srv->ops->on_error)
        c->srv->ops->on_error(c, what);
    srv_conn_close(c);
}

/* ---- parking ---- */

/* A bufferevent again; false when out of memory, and c stays parked. */
static bool unpark(struct srv_conn *c)
{
    c->bev = conn_unpark(c->srv->h, c->srv->role, &c->parked, read_cb, write_cb, event_cb, c);
    c->unparked = c->bev != NULL;
    return c->unparked;
}

/* A registered client's keepalive is read in place, and answered in place
 * when the capacity model serves it (srv_conn_send): the connection stays
 * parked. Anything else (the EOF included) brings the bufferevent back,
 * which reads it at once. */
static void parked_cb(evutil_socket_t fd, short what, void *arg)
{
    struct srv_conn *c = arg;
    if (conn_read_parked(c->srv->h, c->parked, WIRE_KEEPALIVE, on_frame, c) > 0)
        return;
    if (!unpark(c)) { /* out of memory: the client cannot be heard */
        c->srv->h->m.c[C_ACCEPT_ERRORS]++;
        srv_conn_close(c);
    } /* else the bufferevent reads the byte or the EOF at once */
}

void srv_conn_park(struct srv_conn *c)
{
    struct host *h = c->srv->h;
    /* Not before the frame that unparked it has been read: a new
     * bufferevent reports its (empty) output flushed first. */
    if (!h->scn->control.park_idle || !c->bev || !c->accepted || c->unparked ||
        c->item.state != CAP_IDLE || c->timer_kind == SRV_TIMER_OVERFLOW ||
        !conn_can_park(h, c->bev))
        return;
    if ((c->parked = conn_park(h, c->bev, parked_cb, c)))
        c->bev = NULL; /* else out of memory: stay as we are */
}

static struct srv_conn *conn_new(struct server *s)
{
    struct srv_conn *c = calloc(1, s->conn_size);
    if (!c)
        return NULL;
    c->srv = s;
    evtimer_assign(&c->timer, s->h->base, timer_cb, c);
    return c;
}

static void on_accept(void *arg, evutil_socket_t fd, uint32_t peer_ip)
{
    struct server *s = arg;
    struct host *h = s->h;
    if (s->lim->max_conns && s->n_accepted >= s->lim->max_conns) {
        close(fd); /* the client sees the connection closed at once */
        h->m.c[C_CONN_CAPPED]++;
        return;
    }
    struct srv_conn *c = conn_new(s);
    if (!c) {
        close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    c->bev = conn_accepted(h, s->role, s->tls, fd, read_cb, write_cb, event_cb, c);
    if (!c->bev) { /* counted, fd closed */
        free(c);
        return;
    }
    /* A fixed kernel send buffer: autotuning would let a client that never
     * reads park megabytes in the kernel before SRV_OUTPUT_MAX could see it. */
    int sndbuf = SRV_SNDBUF;
    setsockopt((int)bufferevent_getfd(c->bev), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    c->accepted = true;
    c->peer_ip = peer_ip;
    s->n_accepted++;
    LIST_INSERT_HEAD(&s->conns, c, link);
    /* The first request must be complete by the deadline: a client that
     * never finishes its handshake or trickles bytes must not hold an fd. */
    srv_conn_deadline(c, s->lim->request_deadline_ns);
    if (s->ops->on_accept)
        s->ops->on_accept(c);
}

struct srv_conn *server_connect(struct server *s, uint32_t src_ip, uint32_t dst_ip, uint16_t port,
                                int64_t timeout_ns, enum conn_start *why)
{
    struct srv_conn *c = conn_new(s);
    if (!c) {
        *why = CONN_ERR_NOMEM;
        return NULL;
    }
    *why = conn_connect(s->h, s->role, NULL, src_ip, dst_ip, port, read_cb, write_cb, event_cb, c,
                        &c->bev);
    if (*why != CONN_STARTED) {
        free(c);
        return NULL;
    }
    LIST_INSERT_HEAD(&s->conns, c, link);
    struct timeval tmo = clock_tv_from_ns(timeout_ns);
    bufferevent_set_timeouts(c->bev, &tmo, &tmo);
    return c;
}

/* ---- lifecycle ---- */

void server_init(struct server *s, struct host *h, enum role role, uint32_t id, SSL_CTX *tls,
                 const struct server_ops *ops, size_t conn_size, const struct scn_conn_limits *lim,
                 const struct scn_capacity *cap_cfg, const struct cap_metrics *m)
{
    s->h = h;
    s->role = role;
    s->id = id;
    s->tls = tls;
    s->ops = ops;
    s->conn_size = conn_size;
    s->lim = lim;
    s->n_accepted = 0;
    s->lst = NULL;
    LIST_INIT(&s->conns);
    cap_init(&s->cap, h, cap_cfg, id, m, cap_served, cap_dropped, s);
}

int server_listen(struct server *s, uint32_t ip, uint16_t port, int backlog, char *err,
                  size_t errlen)
{
    if (s->lst)
        return 0;
    s->lst = listener_new(s->h, ip, port, backlog, on_accept, s, err, errlen);
    return s->lst ? 0 : -1;
}

void server_stop(struct server *s)
{
    listener_free(s->lst);
    s->lst = NULL;
    cap_clear(&s->cap); /* frees the connections with requests inside */
    /* conn_free unlinks each one (the analyzer cannot see it through LIST_REMOVE) */
    while (!LIST_EMPTY(&s->conns))
        conn_free(LIST_FIRST(&s->conns)); // NOLINT(clang-analyzer-unix.Malloc)
}
