/* login_server.c - login servers with a worker/queue capacity model. */
#include "login_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>

#include "conn.h"
#include "host.h"
#include "ticket.h"
#include "tls.h"

/* A connection waits for its request, may queue, is served, then is done;
 * DONE connections linger until the client closes (or the idle timeout). */
enum lsc_state { LSC_HANDSHAKE, LSC_WAIT_REQ, LSC_QUEUED, LSC_SERVING, LSC_DONE };

struct ls_conn {
    TAILQ_ENTRY(ls_conn) q;
    struct login_server *ls;
    struct bufferevent *bev; /* NULL once the client went away mid-service */
    struct event service;
    int64_t queued_ns;
    uint64_t user_id;
    uint8_t secret[WIRE_SECRET_LEN];
    enum lsc_state state;
};

TAILQ_HEAD(ls_queue, ls_conn);

struct login_server {
    struct host *h;
    uint32_t id;
    SSL_CTX *ctx;
    struct listener *lst;
    struct rng rng;
    struct ls_queue queue;
    struct ls_queue all; /* every live connection, to free them at the end */
    uint32_t qlen, busy;
};

static void serve_next(struct login_server *ls);

static void conn_free(struct ls_conn *c)
{
    struct login_server *ls = c->ls;
    if (c->state == LSC_SERVING) {
        /* The worker stays held until the service timer ends: the server
         * does not notice a vanished client mid-request. */
        if (c->bev) {
            bufferevent_free(c->bev);
            c->bev = NULL;
            ls->h->m.g[G_OPEN_CONNS]--;
        }
        return;
    }
    /* A connection is on exactly one list: the wait queue while QUEUED,
     * the list of all others otherwise. */
    if (c->state == LSC_QUEUED) {
        TAILQ_REMOVE(&ls->queue, c, q);
        ls->qlen--;
        ls->h->m.g[G_LS_QUEUE]--;
    } else {
        TAILQ_REMOVE(&ls->all, c, q);
    }
    if (c->bev) {
        bufferevent_free(c->bev);
        ls->h->m.g[G_OPEN_CONNS]--;
    }
    event_del(&c->service);
    free(c);
}

static void reply(struct ls_conn *c, const struct wire_msg *m)
{
    if (c->bev)
        conn_send(c->ls->h, c->bev, m);
}

static void service_done(evutil_socket_t fd, short what, void *arg)
{
    struct ls_conn *c = arg;
    struct login_server *ls = c->ls;
    struct host *h = ls->h;
    ls->busy--;
    h->m.g[G_LS_BUSY]--;
    h->m.c[C_LS_SERVED]++;

    struct wire_msg m;
    if (ticket_credential_ok(h->pki->secret, c->user_id, c->secret)) {
        int64_t now_ms = host_now(h) / NS_PER_MS;
        m.type = WIRE_LOGIN_OK;
        m.u.ticket.user_id = c->user_id;
        m.u.ticket.expiry_ms =
            (uint64_t)(now_ms > 0 ? now_ms : 0) + (uint64_t)(h->scn->login_server.ticket_ttl_ns / NS_PER_MS);
        if (ticket_sign(&h->keys, &m.u.ticket) < 0) {
            m.type = WIRE_LOGIN_FAIL;
            m.u.reason = WIRE_REASON_BAD_CREDENTIALS;
        }
    } else {
        m.type = WIRE_LOGIN_FAIL;
        m.u.reason = WIRE_REASON_BAD_CREDENTIALS;
    }
    reply(c, &m);
    c->state = LSC_DONE;
    if (!c->bev)
        conn_free(c);
    serve_next(ls);
}

static void start_service(struct ls_conn *c)
{
    struct login_server *ls = c->ls;
    struct host *h = ls->h;
    ls->busy++;
    h->m.g[G_LS_BUSY]++;
    c->state = LSC_SERVING;
    int64_t st = dist_draw(&h->scn->login_server.service_time, &ls->rng);
    hist_add(&h->m.ls_service_us, (uint64_t)(st / 1000));
    host_arm_in(&c->service, st);
}

static void serve_next(struct login_server *ls)
{
    while (ls->busy < ls->h->scn->login_server.workers && !TAILQ_EMPTY(&ls->queue)) {
        struct ls_conn *c = TAILQ_FIRST(&ls->queue);
        TAILQ_REMOVE(&ls->queue, c, q);
        TAILQ_INSERT_TAIL(&ls->all, c, q);
        ls->qlen--;
        ls->h->m.g[G_LS_QUEUE]--;
        int64_t waited = host_now(ls->h) - c->queued_ns;
        hist_add(&ls->h->m.ls_queue_us, (uint64_t)(waited > 0 ? waited / 1000 : 0));
        start_service(c);
    }
}

/* Retry hint for a BUSY: how long the current backlog takes to drain. */
static uint32_t retry_after_ms(const struct login_server *ls)
{
    const struct scenario *s = ls->h->scn;
    double per = dist_mean(&s->login_server.service_time) / s->login_server.workers;
    double ms = (ls->qlen + ls->busy) * per / NS_PER_MS;
    return ms < 1 ? 1 : ms > 600000 ? 600000 : (uint32_t)ms;
}

static int on_msg(void *arg, const struct wire_msg *m)
{
    struct ls_conn *c = arg;
    struct login_server *ls = c->ls;
    struct host *h = ls->h;
    if (m->type != WIRE_LOGIN_REQ || c->state != LSC_WAIT_REQ) {
        h->m.c[C_MALFORMED]++;
        return 0;
    }
    c->user_id = m->u.login_req.user_id;
    memcpy(c->secret, m->u.login_req.secret, sizeof c->secret);
    if (ls->busy < h->scn->login_server.workers) {
        hist_add(&h->m.ls_queue_us, 0);
        start_service(c);
    } else if (ls->qlen < h->scn->login_server.queue) {
        c->state = LSC_QUEUED;
        c->queued_ns = host_now(h);
        TAILQ_REMOVE(&ls->all, c, q);
        TAILQ_INSERT_TAIL(&ls->queue, c, q);
        ls->qlen++;
        h->m.g[G_LS_QUEUE]++;
    } else {
        struct wire_msg busy = {.type = WIRE_BUSY, .u.retry_after_ms = retry_after_ms(ls)};
        h->m.c[C_LS_REJECTED]++;
        reply(c, &busy);
        c->state = LSC_DONE;
    }
    return 0;
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
    struct ls_conn *c = arg;
    if (conn_read(c->ls->h, bev, on_msg, c) < 0)
        conn_free(c);
}

static void conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct ls_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->state = LSC_WAIT_REQ; /* handshake done */
        return;
    }
    while (bufferevent_get_openssl_error(bev))
        ;
    conn_free(c); /* EOF, error or idle timeout */
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    struct login_server *ls = arg;
    struct host *h = ls->h;
    struct ls_conn *c = calloc(1, sizeof *c);
    SSL *ssl = c ? SSL_new(ls->ctx) : NULL;
    if (!ssl) {
        free(c);
        close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    c->bev = bufferevent_openssl_socket_new(h->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                            BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        close(fd);
        free(c);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    h->m.c[C_LS_ACCEPTED]++;
    h->m.g[G_OPEN_CONNS]++;
    c->ls = ls;
    c->state = LSC_HANDSHAKE;
    evtimer_assign(&c->service, h->base, service_done, c);
    TAILQ_INSERT_TAIL(&ls->all, c, q);
    bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    bufferevent_setcb(c->bev, conn_read_cb, NULL, conn_event_cb, c);
    conn_limit_input(c->bev);
    /* Reap clients that never finish: a stuck half-open connection must not
     * hold an fd forever. */
    struct timeval idle = clock_tv_from_ns(2 * h->scn->peer.login.timeout_ns + 10 * NS_PER_S);
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct login_server *ls_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct login_server *ls = calloc(1, sizeof *ls);
    if (!ls) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ls->h = h;
    ls->id = id;
    TAILQ_INIT(&ls->queue);
    TAILQ_INIT(&ls->all);
    rng_seed(&ls->rng, h->scn->seed, id, RNG_STREAM_NODE);
    ls->ctx = tls_server_ctx(h->pki->ls_cert_pem[id], h->pki->ls_key_pem[id], err, errlen);
    if (!ls->ctx) {
        free(ls);
        return NULL;
    }
    ls->lst = listener_new(h, placement_addr(&h->pl, id), h->pl.ls_port,
                           (int)h->scn->login_server.backlog, on_accept, ls, err, errlen);
    if (!ls->lst) {
        SSL_CTX_free(ls->ctx);
        free(ls);
        return NULL;
    }
    return ls;
}

void ls_free(struct login_server *ls)
{
    if (!ls)
        return;
    listener_free(ls->lst);
    struct ls_conn *c;
    while ((c = TAILQ_FIRST(&ls->queue)) || (c = TAILQ_FIRST(&ls->all))) {
        if (c->state == LSC_SERVING) {
            ls->busy--;
            ls->h->m.g[G_LS_BUSY]--;
            c->state = LSC_DONE;
        }
        conn_free(c);
    }
    SSL_CTX_free(ls->ctx);
    free(ls);
}
