/* server.c - listener, connections and capacity of a TCP role (see server.h). */
#include "server.h"

#include <stdlib.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "conn.h"
#include "host.h"

static void close_socket(struct srv_conn *c)
{
    if (!c->bev)
        return;
    if (c->srv->ops->on_close)
        c->srv->ops->on_close(c);
    conn_close(c->srv->h, c->bev);
    c->bev = NULL;
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

void srv_conn_send(struct srv_conn *c, const struct wire_msg *m)
{
    if (c->bev)
        conn_send(c->srv->h, c->srv->role, c->bev, m);
}

enum cap_verdict srv_conn_submit(struct srv_conn *c, uint32_t *hint_ms)
{
    return cap_submit(&c->srv->cap, &c->item, hint_ms);
}

/* ---- capacity model callbacks ---- */

static void cap_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct srv_conn *c = container_of(it, struct srv_conn, item);
    if (abandoned || !c->bev) {
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

static void on_accept(void *arg, evutil_socket_t fd)
{
    struct server *s = arg;
    struct host *h = s->h;
    struct srv_conn *c = calloc(1, s->conn_size);
    if (!c) {
        close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    c->srv = s;
    c->bev = conn_accepted(h, s->role, s->tls, fd, read_cb, write_cb, event_cb, c);
    if (!c->bev) { /* counted, fd closed */
        free(c);
        return;
    }
    LIST_INSERT_HEAD(&s->conns, c, link);
    /* Reap clients that never finish or go quiet: a stuck half-open
     * connection must not hold an fd forever. */
    struct timeval idle = clock_tv_from_ns(s->idle_ns);
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    if (s->ops->on_accept)
        s->ops->on_accept(c);
}

struct srv_conn *server_connect(struct server *s, uint32_t src_ip, uint32_t dst_ip, uint16_t port,
                                int64_t timeout_ns, enum conn_start *why)
{
    struct srv_conn *c = calloc(1, s->conn_size);
    if (!c) {
        *why = CONN_ERR_NOMEM;
        return NULL;
    }
    c->srv = s;
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
                 const struct server_ops *ops, size_t conn_size, int64_t idle_ns,
                 const struct scn_capacity *cap_cfg, const struct cap_metrics *m)
{
    s->h = h;
    s->role = role;
    s->id = id;
    s->tls = tls;
    s->ops = ops;
    s->conn_size = conn_size;
    s->idle_ns = idle_ns;
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
