/* login_server.c - login servers (see login_server.h). */
#include "login_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "capacity.h"
#include "conn.h"
#include "host.h"
#include "impair.h"
#include "ticket.h"
#include "tls.h"

/* A connection: TLS handshake, then one LOGIN_REQ that goes through the
 * capacity model, then DONE until the client closes (or the idle timeout). */
enum lsc_state { LSC_HANDSHAKE, LSC_WAIT_REQ, LSC_IN_CAP, LSC_DONE };

struct ls_conn {
    LIST_ENTRY(ls_conn) link;
    struct cap_item item;
    struct login_server *ls;
    struct bufferevent *bev; /* NULL once the client is gone */
    uint64_t user_id;
    uint8_t secret[WIRE_SECRET_LEN];
    enum lsc_state state;
};

struct login_server {
    struct host *h;
    uint32_t id;
    SSL_CTX *ctx;
    struct listener *lst; /* NULL while down */
    struct capacity cap;
    LIST_HEAD(, ls_conn) conns;
};

static void close_bev(struct ls_conn *c)
{
    if (c->bev) {
        conn_free_bev(c->ls->h, c->bev);
        c->bev = NULL;
        c->ls->h->m.g[G_OPEN_CONNS]--;
    }
}

static void conn_free(struct ls_conn *c)
{
    close_bev(c);
    LIST_REMOVE(c, link);
    free(c);
}

/* The client closed, failed or idled out. A request in the capacity model
 * stays there (unless drop_abandoned): the server learns only when it
 * replies. */
static void conn_gone(struct ls_conn *c)
{
    close_bev(c);
    if (c->state == LSC_IN_CAP)
        cap_abandon(&c->ls->cap, &c->item); /* may free c through on_drop */
    else
        conn_free(c);
}

static void reply(struct ls_conn *c, const struct wire_msg *m)
{
    if (c->bev)
        conn_send(c->ls->h, ROLE_LOGIN_SERVER, c->bev, m);
}

/* A worker finished the request: check the credential, sign a ticket. */
static void on_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct ls_conn *c = container_of(it, struct ls_conn, item);
    struct host *h = c->ls->h;
    c->state = LSC_DONE;
    if (abandoned || !c->bev) {
        conn_free(c);
        return;
    }
    struct wire_msg m = {.type = WIRE_LOGIN_FAIL, .u.reason = WIRE_REASON_BAD_CREDENTIALS};
    if (ticket_credential_ok(h->pki->secret, c->user_id, c->secret)) {
        int64_t now_ms = host_now(h) / NS_PER_MS;
        struct wire_msg ok = {.type = WIRE_LOGIN_OK};
        ok.u.ticket.user_id = c->user_id;
        ok.u.ticket.expiry_ms = (uint64_t)(now_ms > 0 ? now_ms : 0) +
                                (uint64_t)(h->scn->login_server.ticket_ttl_ns / NS_PER_MS);
        if (ticket_sign(&h->keys, &ok.u.ticket) == 0)
            m = ok;
    }
    reply(c, &m);
}

static void on_drop(struct cap_item *it, void *arg)
{
    conn_free(container_of(it, struct ls_conn, item));
}

static int on_msg(void *arg, const struct wire_msg *m)
{
    struct ls_conn *c = arg;
    struct host *h = c->ls->h;
    /* A request can arrive in the same read that completes the handshake,
     * before the CONNECTED event: a decoded message proves the TLS is up. */
    if (c->state == LSC_HANDSHAKE)
        c->state = LSC_WAIT_REQ;
    if (m->type != WIRE_LOGIN_REQ || c->state != LSC_WAIT_REQ) {
        h->m.c[C_MALFORMED]++;
        return 0;
    }
    c->user_id = m->u.login_req.user_id;
    memcpy(c->secret, m->u.login_req.secret, sizeof c->secret);
    c->state = LSC_IN_CAP;
    uint32_t hint = 0;
    switch (cap_submit(&c->ls->cap, &c->item, &hint)) {
    case CAP_V_REJECTED: {
        struct wire_msg busy = {.type = WIRE_BUSY, .u.retry_after_ms = hint};
        c->state = LSC_DONE;
        reply(c, &busy);
        break;
    }
    case CAP_V_QUEUED:
        if (c->ls->cap.cfg.admission == ADMIT_PACE) {
            struct wire_msg wait = {.type = WIRE_WAIT, .u.wait_ms = hint};
            reply(c, &wait);
        }
        break;
    case CAP_V_STARTED:
        break;
    }
    return 0;
}

static void read_cb(struct bufferevent *bev, void *arg)
{
    struct ls_conn *c = arg;
    if (conn_read(c->ls->h, bev, on_msg, c) < 0)
        conn_gone(c);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct ls_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->state = LSC_WAIT_REQ; /* handshake done */
        return;
    }
    while (bufferevent_get_openssl_error(bev))
        ;
    conn_gone(c);
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
    if (!c->bev) { /* libevent freed the SSL (CLOSE_ON_FREE) */
        close(fd);
        free(c);
        h->m.c[C_ACCEPT_ERRORS]++;
        return;
    }
    h->m.c[C_LS_ACCEPTED]++;
    h->m.g[G_OPEN_CONNS]++;
    c->ls = ls;
    c->state = LSC_HANDSHAKE;
    LIST_INSERT_HEAD(&ls->conns, c, link);
    bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    impair_setup(h, ROLE_LOGIN_SERVER, c->bev);
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    conn_limit_input(c->bev);
    /* Reap clients that never finish: a stuck half-open connection must not
     * hold an fd forever. */
    struct timeval idle = clock_tv_from_ns(2 * h->scn->peer.login.timeout_ns + 10 * NS_PER_S);
    bufferevent_set_timeouts(c->bev, &idle, NULL);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int ls_set_up(struct login_server *ls)
{
    if (ls->lst)
        return 0;
    char err[256];
    struct host *h = ls->h;
    ls->lst = listener_new(h, placement_addr(&h->pl, ls->id), placement_port(&h->pl, ls->id),
                           (int)h->scn->login_server.backlog, on_accept, ls, err, sizeof err);
    if (!ls->lst) {
        fprintf(stderr, "bootstorm: rank %d: login server %u: %s\n", h->rank, ls->id, err);
        return -1;
    }
    h->m.g[G_LS_UP]++;
    return 0;
}

void ls_set_down(struct login_server *ls)
{
    if (!ls->lst)
        return;
    listener_free(ls->lst);
    ls->lst = NULL;
    ls->h->m.g[G_LS_UP]--;
    cap_clear(&ls->cap); /* frees the connections with requests inside */
    while (!LIST_EMPTY(&ls->conns))
        conn_free(LIST_FIRST(&ls->conns));
}

uint32_t ls_id(const struct login_server *ls)
{
    return ls->id;
}

void ls_reconfigure(struct login_server *ls, const struct scn_event *ev)
{
    cap_reconfigure(&ls->cap, ev);
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
    LIST_INIT(&ls->conns);
    struct cap_metrics m = {.g_queue = G_LS_QUEUE,
                            .g_busy = G_LS_BUSY,
                            .c_served = C_LS_SERVED,
                            .c_rejected = C_LS_REJECTED,
                            .c_wasted = C_LS_WASTED,
                            .queue_us = &h->m.ls_queue_us,
                            .service_us = &h->m.ls_service_us};
    cap_init(&ls->cap, h, &h->scn->login_server.cap, id, &m, on_served, on_drop, ls);
    ls->ctx = tls_server_ctx(h->pki->ls_cert_pem[id], h->pki->ls_key_pem[id], err, errlen);
    if (!ls->ctx) {
        free(ls);
        return NULL;
    }
    ls->lst = listener_new(h, placement_addr(&h->pl, id), placement_port(&h->pl, id),
                           (int)h->scn->login_server.backlog, on_accept, ls, err, errlen);
    if (!ls->lst) {
        SSL_CTX_free(ls->ctx);
        free(ls);
        return NULL;
    }
    h->m.g[G_LS_UP]++;
    return ls;
}

void ls_free(struct login_server *ls)
{
    if (!ls)
        return;
    ls_set_down(ls);
    SSL_CTX_free(ls->ctx);
    free(ls);
}
