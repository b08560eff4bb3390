/* peer.c - the peer state machine (see peer.h). */
#include "peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/attribution.h"
#include "conn.h"
#include "dht_node.h"
#include "gslb.h"
#include "host.h"
#include "impair.h"
#include "loop_turn.h"
#include "promotion.h"
#include "settop_box.h"
#include "target.h"
#include "ticket.h"
#include "tls.h"
#include "trace.h"

static const int gauge_of[] = {
    [PEER_OFF] = G_OFF,
    [PEER_BOOTING] = G_BOOTING,
    [PEER_LOGIN] = G_LOGGING_IN,
    [PEER_LOGIN_WAIT] = G_LOGGING_IN,
    [PEER_REGISTER] = G_REGISTERING,
    [PEER_REGISTER_WAIT] = G_REGISTERING,
    [PEER_ONLINE] = G_ONLINE,
    [PEER_GAVE_UP] = G_GAVE_UP,
    [PEER_FETCH] = G_FETCHING,
    [PEER_FETCH_WAIT] = G_FETCHING,
};

static void start_login(struct peer *p);
static void start_register(struct peer *p);
static void start_fetch(struct peer *p);
static void start_locate(struct peer *p);
static void connect_registrar(struct peer *p, uint32_t ip, uint16_t port);

/* An attempt's outcome is counted as it leaves the state, so
 * attempts = outcomes + in flight holds at every snapshot. A box listening
 * to a carousel makes no attempt. */
static int in_flight_gauge(const struct peer *p, enum peer_state s)
{
    switch (s) {
    case PEER_LOGIN:
        return G_LOGIN_IN_FLIGHT;
    case PEER_REGISTER:
        return G_REG_IN_FLIGHT;
    case PEER_FETCH:
        return p->h->scn->settop.method == SETTOP_UNICAST ? G_DL_IN_FLIGHT : -1;
    default:
        return -1;
    }
}

static const char *const state_names[] = {
    [PEER_OFF] = "OFF",           [PEER_BOOTING] = "BOOTING",
    [PEER_LOGIN] = "LOGIN",       [PEER_LOGIN_WAIT] = "LOGIN_WAIT",
    [PEER_REGISTER] = "REGISTER", [PEER_REGISTER_WAIT] = "REGISTER_WAIT",
    [PEER_ONLINE] = "ONLINE",     [PEER_GAVE_UP] = "GAVE_UP",
    [PEER_FETCH] = "FETCH",       [PEER_FETCH_WAIT] = "FETCH_WAIT",
};

/* The one place a peer changes state: it alone moves the state gauges. */
static void set_state(struct peer *p, enum peer_state s)
{
    trace_state(p->h, TRACE_PEER, "peer", p->id, state_names[p->state], state_names[s]);
    host_gauge_move(p->h, gauge_of[p->state], gauge_of[s]);
    host_gauge_move(p->h, in_flight_gauge(p, p->state), in_flight_gauge(p, s));
    p->state = (uint8_t)s;
}

static void drop_conn(struct peer *p)
{
    if (p->dht)
        dht_node_join_abort(p->dht);
    if (p->box)
        settop_box_stop(p->box);
    if (p->tgt)
        target_close(p->tgt);
    if (p->bev) {
        conn_close(p->h, p->bev);
        p->bev = NULL;
    } else if (p->parked) {
        conn_close_parked(p->h, &p->parked);
    }
}

/* Every timer of a peer goes through here, so that on_timer knows how late
 * the rank ran it. */
static void arm(struct peer *p, int64_t delay_ns)
{
    p->timer_due_ns = host_now(p->h) + (delay_ns > 0 ? delay_ns : 0);
    host_arm_in(&p->timer, delay_ns);
}

/* The next keepalive: a period from now, on the rank's keepalive grid. */
static void arm_keepalive(struct peer *p)
{
    p->timer_due_ns = host_keepalive_due(p->h, host_now(p->h) + p->h->scn->workload.keepalive_ns);
    host_arm_at(p->h, &p->timer, p->timer_due_ns);
}

/* The emulator's delay within the current attempt, so far (ns). */
static int64_t attempt_emu_ns(const struct peer *p, int64_t cpu_ns)
{
    const struct host *h = p->h;
    return attr_delay(host_now(h) - p->attempt_start_ns, host_emu_since(h, p->attempt_mark),
                      cpu_ns);
}

static int64_t elapsed_us(const struct peer *p)
{
    int64_t d = host_now(p->h) - p->attempt_start_ns;
    return d > 0 ? d / 1000 : 0;
}

/* ---- backoff ---- */

/* Count a failed attempt and either wait per the retry policy (and its
 * budget and the server's retry-after hint) or give up. */
static void backoff(struct peer *p, const struct scn_retry_cfg *cfg, struct retry_guard *g,
                    int64_t hint_ns, enum peer_state wait_state, enum metric_counter giveup)
{
    int64_t delay;
    unsigned why;
    drop_conn(p);
    if (!retry_after_failure(&cfg->retry, &p->retry, g, &p->rng, hint_ns, &delay, &why)) {
        p->h->m.c[giveup]++;
        event_del(&p->timer);
        set_state(p, PEER_GAVE_UP);
        return;
    }
    if (why & SLOW_BUDGET)
        p->h->m.c[C_RETRY_SLOWED_BUDGET]++;
    if (why & SLOW_RETRY_AFTER)
        p->h->m.c[C_RETRY_SLOWED_HINT]++;
    set_state(p, wait_state);
    arm(p, delay);
}

static void login_failed_hint(struct peer *p, enum metric_counter why, int64_t hint_ns)
{
    p->h->m.c[why]++;
    backoff(p, &p->h->scn->peer.login, &p->g_login, hint_ns, PEER_LOGIN_WAIT, C_LOGIN_GIVEUP);
}

static void login_failed(struct peer *p, enum metric_counter why)
{
    login_failed_hint(p, why, 0);
}

static void register_failed_hint(struct peer *p, enum metric_counter why, int stale,
                                 int64_t hint_ns)
{
    p->h->m.c[why]++;
    if (stale && p->h->scn->architecture == ARCH_SUPERNODE) {
        /* The SN is unreachable: forget it; an empty cache falls back to
         * the bootstrap SNs. */
        host_cache_remove(&p->cache, p->sn_slot);
        if (p->cache.n == 0)
            host_cache_fallback(&p->cache, &p->h->pl, &p->rng);
    }
    backoff(p, &p->h->scn->peer.reg, &p->g_reg, hint_ns, PEER_REGISTER_WAIT, C_REG_GIVEUP);
}

static void register_failed(struct peer *p, enum metric_counter why, int stale)
{
    register_failed_hint(p, why, stale, 0);
}

/* ---- login: TLS to a login server ---- */

/* The login worked: its counters, its time, and the emulator's share of it
 * (cpu_ns: the client's handshake, which the emulator's CPU did). */
static void login_succeeded(struct peer *p, int64_t cpu_ns)
{
    struct host *h = p->h;
    h->m.c[C_LOGIN_OK]++;
    retry_guard_accepted(&h->scn->peer.login.retry, &p->g_login, host_now(h));
    retry_guard_success(&h->scn->peer.login.retry, &p->g_login);
    hist_add(&h->m.login_us, (uint64_t)elapsed_us(p));
    hist_add(&h->m.iv.login_us, (uint64_t)elapsed_us(p));
    int64_t emu_us = attempt_emu_ns(p, cpu_ns) / 1000;
    hist_add(&h->m.login_emu_us, (uint64_t)emu_us);
    hist_add(&h->m.iv.login_emu_us, (uint64_t)emu_us);
}

static int login_msg(void *arg, const struct wire_msg *m)
{
    struct peer *p = arg;
    struct host *h = p->h;
    switch (m->type) {
    case WIRE_LOGIN_OK: {
        if (m->u.ticket.user_id != p->id) {
            h->m.c[C_MALFORMED]++;
            login_failed(p, C_LOGIN_ERROR);
            return 1;
        }
        SSL *ssl = bufferevent_openssl_get_ssl(p->bev);
        login_succeeded(p, ssl && SSL_session_reused(ssl) == 1 ? h->client_resumed_hs_cpu_ns
                                                               : h->client_hs_cpu_ns);
        p->ticket = m->u.ticket;
        p->has_ticket = true;
        drop_conn(p);
        if (!p->ticket_refused)
            retry_reset(&p->retry); /* else the cycle's attempts add up */
        start_register(p);
        return 1;
    }
    case WIRE_BUSY:
        login_failed_hint(p, C_LOGIN_BUSY, (int64_t)m->u.retry_after_ms * NS_PER_MS);
        return 1;
    case WIRE_WAIT:
        /* Admitted by a pacing server: wait as long as it says, plus the
         * usual timeout, instead of giving up and retrying. */
        h->m.c[C_LOGIN_WAITS]++;
        retry_guard_accepted(&h->scn->peer.login.retry, &p->g_login, host_now(h));
        arm(p, retry_cap_hint(&h->scn->peer.login.retry, (int64_t)m->u.wait_ms * NS_PER_MS) +
                   h->scn->peer.login.timeout_ns);
        return 0;
    case WIRE_LOGIN_FAIL:
        retry_guard_accepted(&h->scn->peer.login.retry, &p->g_login, host_now(h));
        login_failed(p, C_LOGIN_FAIL);
        return 1;
    default:
        h->m.c[C_MALFORMED]++;
        return 0;
    }
}

static void login_read(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    if (conn_read(p->h, bev, login_msg, p) < 0)
        login_failed(p, C_LOGIN_ERROR);
}

static void login_event(struct bufferevent *bev, short what, void *arg)
{
    struct peer *p = arg;
    if (what & BEV_EVENT_CONNECTED) {
        /* For a TLS bufferevent this means the handshake is done and the
         * server's certificate verified. */
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        bool resumed = ssl && SSL_session_reused(ssl) == 1;
        p->handshakes++;
        p->resumed += resumed;
        p->h->m.c[resumed ? C_LOGIN_RESUMED : C_LOGIN_FULL]++;
        struct wire_msg m = {.type = WIRE_LOGIN_REQ};
        m.u.login_req.user_id = p->id;
        if (ticket_credential(p->h->pki->rank_secret, p->id, m.u.login_req.secret) < 0 ||
            conn_send(p->h, ROLE_PEER, bev, &m) < 0)
            login_failed(p, C_LOGIN_ERROR);
        return;
    }
    while (bufferevent_get_openssl_error(bev))
        ; /* drain, or the errors leak into the next connection's report */
    login_failed(p, C_LOGIN_ERROR);
}

static void start_login(struct peer *p)
{
    struct host *h = p->h;
    set_state(p, PEER_LOGIN);
    p->attempts++;
    h->m.c[C_LOGIN_ATTEMPTS]++;
    p->attempt_start_ns = host_now(h);
    p->attempt_mark = host_emu_mark(h);
    if (!retry_guard_admit(&h->scn->peer.login.retry, &p->g_login, &p->rng, p->attempt_start_ns)) {
        login_failed(p, C_THROTTLED); /* dropped locally: nothing sent */
        return;
    }
    arm(p, h->scn->peer.login.timeout_ns);

    if (p->tgt) {
        if (target_login(p->tgt) < 0)
            login_failed(p, C_LOGIN_ERROR);
        return;
    }
    uint32_t ls = rng_below(&p->rng, h->pl.n_ls);
    if (conn_connect(h, ROLE_PEER, h->client_ctx, p->ip, placement_addr(&h->pl, ls),
                     placement_port(&h->pl, ls), login_read, NULL, login_event, p,
                     &p->bev) != CONN_STARTED) {
        h->m.c[C_SOCKET_ERRORS]++;
        login_failed(p, C_LOGIN_ERROR);
        return;
    }
    if (h->scn->peer.resume == RESUME_TICKET) {
        /* The handshake starts from the loop, after this: offer the last
         * session's ticket, and keep the ticket this login brings. */
        SSL *ssl = bufferevent_openssl_get_ssl(p->bev);
        tls_client_keep_session(ssl, &p->tls_sess);
        if (p->tls_sess && SSL_set_session(ssl, p->tls_sess) != 1)
            ERR_clear_error(); /* then a full handshake */
    }
}

/* ---- register: plain TCP to a supernode ---- */

/* ONLINE, and the time and emulator's share of the first time since power-on. */
static void become_online(struct peer *p)
{
    struct host *h = p->h;
    retry_reset(&p->retry);
    p->ticket_refused = false;
    set_state(p, PEER_ONLINE);
    if (p->first_online_ns < 0) {
        int64_t now = host_now(h);
        p->first_online_ns = now;
        p->first_emu_ns = attr_delay(now - p->up_since_ns, host_emu_since(h, p->boot_mark),
                                     (int64_t)(p->handshakes - p->resumed) * h->client_hs_cpu_ns +
                                         (int64_t)p->resumed * h->client_resumed_hs_cpu_ns);
    }
}

static void go_online(struct peer *p)
{
    struct host *h = p->h;
    h->m.c[C_REG_OK]++;
    hist_add(&h->m.register_us, (uint64_t)elapsed_us(p));
    hist_add(&h->m.iv.register_us, (uint64_t)elapsed_us(p));
    int64_t emu_us = attempt_emu_ns(p, 0) / 1000;
    hist_add(&h->m.register_emu_us, (uint64_t)emu_us);
    hist_add(&h->m.iv.register_emu_us, (uint64_t)emu_us);
    become_online(p);
    if (!p->dht) /* a DHT node keeps no connection alive */
        arm_keepalive(p);
}

/* ---- target: the login is to a real server (node/target.h) ---- */

void peer_target_online(struct peer *p)
{
    struct host *h = p->h;
    if (p->state != PEER_LOGIN)
        return;
    /* The handshake's CPU, if this connection had one (resumed or not: the
     * full cost is the conservative share). */
    login_succeeded(p, h->scn->target.tls ? h->client_hs_cpu_ns : 0);
    event_del(&p->timer); /* the target client keeps the online peer's timers */
    become_online(p);
}

void peer_target_failed(struct peer *p, enum metric_counter why, int64_t hint_ns)
{
    struct host *h = p->h;
    if (p->state != PEER_LOGIN)
        return;
    if (why == C_LOGIN_FAIL) /* the server answered: not a refusal */
        retry_guard_accepted(&h->scn->peer.login.retry, &p->g_login, host_now(h));
    login_failed_hint(p, why, hint_ns);
}

void peer_target_lost(struct peer *p)
{
    if (p->state == PEER_LOGIN) {
        login_failed(p, C_LOGIN_ERROR);
        return;
    }
    if (p->state != PEER_ONLINE)
        return;
    /* A lost session is a failure like any other: the peer backs off per
     * peer.login before logging in again, as a real client's reconnect
     * policy would. */
    p->h->m.c[C_ONLINE_LOST]++;
    backoff(p, &p->h->scn->peer.login, &p->g_login, 0, PEER_LOGIN_WAIT, C_LOGIN_GIVEUP);
}

void peer_dht_joined(struct peer *p, bool ok, enum metric_counter why)
{
    struct host *h = p->h;
    if (p->state != PEER_REGISTER)
        return;
    if (!ok) {
        register_failed(p, why, 0);
        return;
    }
    retry_guard_accepted(&h->scn->peer.reg.retry, &p->g_reg, host_now(h));
    retry_guard_success(&h->scn->peer.reg.retry, &p->g_reg);
    go_online(p);
}

static int sn_msg(void *arg, const struct wire_msg *m)
{
    struct peer *p = arg;
    struct host *h = p->h;
    switch (m->type) {
    case WIRE_REGISTER_OK:
        if (p->state != PEER_REGISTER || p->at_front_door)
            break;
        if (h->scn->architecture == ARCH_SUPERNODE)
            host_cache_learn(&p->cache, h->scn, &m->u.sn_list, &p->rng, p->sn_slot);
        retry_guard_accepted(&h->scn->peer.reg.retry, &p->g_reg, host_now(h));
        retry_guard_success(&h->scn->peer.reg.retry, &p->g_reg);
        go_online(p);
        return 0;
    case WIRE_REDIRECT:
        if (p->state != PEER_REGISTER || p->at_front_door)
            break;
        /* The SN is full: learn the ones it suggests and try again (a full
         * presence server lists none: the front door chooses again). */
        if (h->scn->architecture == ARCH_SUPERNODE)
            host_cache_learn(&p->cache, h->scn, &m->u.sn_list, &p->rng, p->sn_slot);
        register_failed(p, C_REG_REDIRECTED, 0);
        return 1;
    case WIRE_REGISTER_FAIL:
        if (p->state != PEER_REGISTER || p->at_front_door)
            break; /* an answer to no REGISTER: out of order */
        if (m->u.reason == WIRE_REASON_EXPIRED_TICKET || m->u.reason == WIRE_REASON_WRONG_ADDRESS) {
            /* A new ticket is needed: back to the login servers, at once
             * the first time (the ticket had aged). A fresh ticket refused
             * again means the supernodes cannot take one in time (their
             * queue outlasts ticket_ttl): from then on the peer backs off
             * per its login policy, its attempts adding up until
             * REGISTER_OK, so a herd cannot loop login -> register ->
             * refused as fast as the servers answer, and max_attempts
             * applies. */
            p->has_ticket = false;
            if (p->ticket_refused) {
                login_failed(p, C_REG_FAIL);
                return 1;
            }
            p->ticket_refused = true;
            h->m.c[C_REG_FAIL]++;
            drop_conn(p);
            retry_reset(&p->retry);
            start_login(p);
            return 1;
        }
        register_failed(p, C_REG_FAIL, 0);
        return 1;
    case WIRE_BUSY:
        if (p->state != PEER_REGISTER || !p->box)
            break; /* only the head-end refuses a registration with BUSY */
        register_failed_hint(p, C_REG_BUSY, 0, (int64_t)m->u.retry_after_ms * NS_PER_MS);
        return 1;
    case WIRE_KEEPALIVE_ACK:
        return 0;
    default:
        break;
    }
    h->m.c[C_MALFORMED]++;
    return 0;
}

static void conn_lost(struct peer *p)
{
    if (p->state == PEER_ONLINE) {
        p->h->m.c[C_ONLINE_LOST]++;
        drop_conn(p);
        set_state(p, PEER_REGISTER_WAIT);
        arm(p, 0);
    } else {
        register_failed(p, C_REG_ERROR, 1);
    }
}

/* ---- parking an online peer's registration connection (conn.h) ---- */

static void sn_read(struct bufferevent *bev, void *arg);
static void sn_event(struct bufferevent *bev, short what, void *arg);

static bool unpark(struct peer *p)
{
    p->bev = conn_unpark(p->h, ROLE_PEER, &p->parked, sn_read, NULL, sn_event, p);
    return p->bev != NULL; /* NULL: out of memory, still parked */
}

/* A keepalive's acknowledgement is read in place and the connection stays
 * parked; anything else (the EOF included) brings the bufferevent back,
 * which reads it at once. */
static void parked_cb(evutil_socket_t fd, short what, void *arg)
{
    struct peer *p = arg;
    if (conn_read_parked(p->h, p->parked, WIRE_KEEPALIVE_ACK, sn_msg, p) == 0 && !unpark(p))
        conn_lost(p);
}

/* Send on the registration connection: straight to the socket while it is
 * parked when that can be done (conn_send_parked), else through a
 * bufferevent. 0, or -1 when the connection is lost. */
static int send_to_sn(struct peer *p, const struct wire_msg *m)
{
    if (p->parked) {
        int sent = conn_send_parked(p->h, ROLE_PEER, p->parked, m);
        if (sent != 0)
            return sent > 0 ? 0 : -1;
        if (!unpark(p))
            return -1;
    }
    return conn_send(p->h, ROLE_PEER, p->bev, m);
}

/* Online and quiet until the next keepalive: a supernode or presence
 * server's client (a box's head-end and a DHT node keep no such connection). */
static void maybe_park(struct peer *p)
{
    if (!p->h->scn->control.park_idle || p->state != PEER_ONLINE || p->box || p->dht || p->tgt ||
        !p->bev || !conn_can_park(p->h, p->bev))
        return;
    if ((p->parked = conn_park(p->h, p->bev, parked_cb, p)))
        p->bev = NULL; /* else out of memory: stay as we are */
}

static void sn_read(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    int r = conn_read(p->h, bev, sn_msg, p);
    if (r < 0)
        conn_lost(p);
    else if (r == 0)
        maybe_park(p);
}

static void sn_event(struct bufferevent *bev, short what, void *arg)
{
    struct peer *p = arg;
    if (what & BEV_EVENT_CONNECTED) {
        struct wire_msg m = {.type = WIRE_REGISTER, .u.ticket = p->ticket};
        if (p->box) {
            m.type = WIRE_BOX_REGISTER;
            m.u.box_reg.box_id = p->id;
            memcpy(m.u.box_reg.sha256, settop_box_sha256(p->box), WIRE_SHA256_LEN);
        }
        if (conn_send(p->h, ROLE_PEER, bev, &m) < 0)
            register_failed(p, C_REG_ERROR, 0);
        return;
    }
    conn_lost(p);
}

/* A TCP connection to a registration server (a supernode, or the presence
 * server a front door assigned), on which REGISTER goes once it connects. */
static void connect_registrar(struct peer *p, uint32_t ip, uint16_t port)
{
    struct host *h = p->h;
    switch (
        conn_connect(h, ROLE_PEER, NULL, p->ip, ip, port, sn_read, NULL, sn_event, p, &p->bev)) {
    case CONN_STARTED:
        break;
    case CONN_ERR_SOCKET: /* outside the allowed networks: a stale entry */
        h->m.c[C_SOCKET_ERRORS]++;
        register_failed(p, C_REG_ERROR, errno == EPERM);
        break;
    case CONN_ERR_NOMEM:
        register_failed(p, C_REG_ERROR, 0);
        break;
    case CONN_ERR_CONNECT:
        h->m.c[C_SOCKET_ERRORS]++;
        register_failed(p, C_REG_ERROR, 1);
        break;
    }
}

/* ---- central: ask a front door which presence server to use ---- */

static int fd_msg(void *arg, const struct wire_msg *m)
{
    struct peer *p = arg;
    struct host *h = p->h;
    if (p->state != PEER_REGISTER || !p->at_front_door) {
        h->m.c[C_MALFORMED]++;
        return 0;
    }
    switch (m->type) {
    case WIRE_ASSIGN:
        /* Only a presence server of the run, at its own address: a front
         * door's answer is no reason to connect anywhere else. */
        if (m->u.server.node_id >= h->pl.n_nodes ||
            placement_role(&h->pl, m->u.server.node_id) != ROLE_PRESENCE ||
            placement_addr(&h->pl, m->u.server.node_id) != m->u.server.ip ||
            placement_port(&h->pl, m->u.server.node_id) != m->u.server.port)
            break;
        h->m.c[C_FD_ASSIGNED]++;
        drop_conn(p);
        p->at_front_door = false;
        connect_registrar(p, m->u.server.ip, m->u.server.port);
        return 1;
    case WIRE_BUSY:
        h->m.c[C_FD_BUSY]++;
        register_failed_hint(p, C_REG_REDIRECTED, 0, (int64_t)m->u.retry_after_ms * NS_PER_MS);
        return 1;
    default:
        break;
    }
    h->m.c[C_MALFORMED]++;
    return 0;
}

static void fd_read(struct bufferevent *bev, void *arg)
{
    struct peer *p = arg;
    if (conn_read(p->h, bev, fd_msg, p) < 0)
        register_failed(p, C_REG_ERROR, 0);
}

static void fd_event(struct bufferevent *bev, short what, void *arg)
{
    struct peer *p = arg;
    if (what & BEV_EVENT_CONNECTED) {
        struct wire_msg m = {.type = WIRE_LOCATE, .u.user_id = p->id};
        if (conn_send(p->h, ROLE_PEER, bev, &m) < 0)
            register_failed(p, C_REG_ERROR, 0);
        return;
    }
    register_failed(p, C_REG_ERROR, 0);
}

/* The global policy picks a data centre (home, or another when spilling),
 * and its front door the server. */
static void start_locate(struct peer *p)
{
    struct host *h = p->h;
    uint32_t home = placement_dc(&h->pl, p->id);
    bool spilled = false;
    uint32_t dc = h->gslb ? gslb_choose(h->gslb, home, host_now(h), &spilled) : home;
    if (spilled) {
        h->m.c[C_DC_SPILLS]++;
        h->m.dc[dc].spills++;
    }
    uint32_t fd = placement_fd_id(&h->pl, dc);
    p->at_front_door = true;
    if (conn_connect(h, ROLE_PEER, NULL, p->ip, placement_addr(&h->pl, fd),
                     placement_port(&h->pl, fd), fd_read, NULL, fd_event, p,
                     &p->bev) != CONN_STARTED) {
        h->m.c[C_SOCKET_ERRORS]++;
        register_failed(p, C_REG_ERROR, 0);
    }
}

static void start_register(struct peer *p)
{
    struct host *h = p->h;
    if (!p->has_ticket && scenario_uses_login(h->scn)) {
        start_login(p);
        return;
    }
    set_state(p, PEER_REGISTER);
    h->m.c[C_REG_ATTEMPTS]++;
    if (!scenario_uses_login(h->scn))
        p->attempts++; /* the joins are the attempts when nobody logs in */
    p->attempt_start_ns = host_now(h);
    p->attempt_mark = host_emu_mark(h);
    if (!retry_guard_admit(&h->scn->peer.reg.retry, &p->g_reg, &p->rng, p->attempt_start_ns)) {
        register_failed(p, C_THROTTLED, 0);
        return;
    }
    arm(p, h->scn->peer.reg.timeout_ns);

    if (p->dht) {
        if (dht_node_join(p->dht) < 0) {
            h->m.c[C_SOCKET_ERRORS]++;
            register_failed(p, C_REG_ERROR, 0);
        }
        return;
    }
    if (h->scn->architecture == ARCH_CENTRAL) {
        start_locate(p);
        return;
    }
    if (p->box) {
        uint32_t he = h->pl.first_he;
        connect_registrar(p, placement_addr(&h->pl, he), placement_port(&h->pl, he));
        return;
    }
    if (p->cache.n == 0)
        host_cache_fallback(&p->cache, &h->pl, &p->rng);
    p->sn_slot = (uint16_t)rng_below(&p->rng, p->cache.n);
    const struct wire_sn *sn = &p->cache.sn[p->sn_slot];
    connect_registrar(p, sn->ip, sn->port);
}

/* ---- settop: the boot image ---- */

static void fetch_failed(struct peer *p, enum metric_counter why, int64_t hint_ns)
{
    p->h->m.c[why]++;
    backoff(p, &p->h->scn->settop.download, &p->g_login, hint_ns, PEER_FETCH_WAIT, C_DL_GIVEUP);
}

void peer_settop_fetched(struct peer *p, bool ok, enum metric_counter why, int64_t hint_ns)
{
    struct host *h = p->h;
    if (p->state != PEER_FETCH)
        return;
    if (!ok) {
        fetch_failed(p, why, hint_ns);
        return;
    }
    if (h->scn->settop.method == SETTOP_UNICAST) {
        retry_guard_accepted(&h->scn->settop.download.retry, &p->g_login, host_now(h));
        retry_guard_success(&h->scn->settop.download.retry, &p->g_login);
    }
    retry_reset(&p->retry);
    start_register(p);
}

/* Get the image: listen to the carousel (no attempt, no timeout: the
 * blocks come round), or one download attempt. */
static void start_fetch(struct peer *p)
{
    struct host *h = p->h;
    set_state(p, PEER_FETCH);
    settop_box_begin(p->box);
    if (h->scn->settop.method == SETTOP_UNICAST) {
        h->m.c[C_DL_ATTEMPTS]++;
        p->attempt_start_ns = host_now(h);
        p->attempt_mark = host_emu_mark(h);
        if (!retry_guard_admit(&h->scn->settop.download.retry, &p->g_login, &p->rng,
                               p->attempt_start_ns)) {
            fetch_failed(p, C_DL_THROTTLED, 0);
            return;
        }
    }
    if (settop_box_fetch(p->box) < 0) {
        h->m.c[C_SOCKET_ERRORS]++;
        if (h->scn->settop.method == SETTOP_UNICAST) {
            fetch_failed(p, C_DL_ERROR, 0);
        } else {
            /* Out of memory for the image: try again later, as a box
             * whose boot failed would. */
            set_state(p, PEER_FETCH_WAIT);
            arm(p, h->scn->settop.download.timeout_ns);
        }
    }
}

/* ---- timer: one per peer, its meaning depends on the state ---- */

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct peer *p = arg;
    loop_turn_check();
    struct host *h = p->h;
    if (p->state == PEER_BOOTING || p->state == PEER_LOGIN_WAIT || p->state == PEER_REGISTER_WAIT ||
        p->state == PEER_FETCH_WAIT) {
        /* An attempt should start now: how late the busy rank starts it. */
        int64_t late = host_now(h) - p->timer_due_ns;
        hist_add(&h->m.start_late_us, (uint64_t)(late > 0 ? late / 1000 : 0));
    }
    switch ((enum peer_state)p->state) {
    case PEER_BOOTING:
        if (p->box)
            start_fetch(p);
        else if (scenario_uses_login(h->scn))
            start_login(p);
        else
            start_register(p);
        break;
    case PEER_FETCH_WAIT:
        start_fetch(p);
        break;
    case PEER_FETCH:
        break; /* the box's own timeouts end an attempt */
    case PEER_LOGIN_WAIT:
        start_login(p);
        break;
    case PEER_LOGIN:
        login_failed(p, C_LOGIN_TIMEOUT);
        break;
    case PEER_REGISTER:
        register_failed(p, C_REG_TIMEOUT, 1);
        break;
    case PEER_REGISTER_WAIT:
        start_register(p);
        break;
    case PEER_ONLINE: {
        if (p->dht || p->tgt) /* no connection of ours, or the target client's timers */
            break;
        struct wire_msg m = {.type = WIRE_KEEPALIVE, .u.seq = ++p->ka_seq};
        h->m.c[C_KEEPALIVES]++;
        if (send_to_sn(p, &m) < 0)
            conn_lost(p);
        else
            arm_keepalive(p);
        break;
    }
    case PEER_OFF:
    case PEER_GAVE_UP:
        break;
    }
}

/* ---- lifecycle ---- */

static struct peer *peer_create(struct host *h, uint32_t id)
{
    struct peer *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->h = h;
    p->id = id;
    p->ip = placement_addr(&h->pl, id);
    p->first_online_ns = -1;
    p->first_emu_ns = 0;
    p->state = PEER_OFF;
    rng_seed(&p->rng, h->scn->seed, id, RNG_STREAM_NODE);
    /* Central: no host cache; peers ask their front door. */
    if (h->scn->architecture == ARCH_SUPERNODE) {
        if (host_cache_init(&p->cache, (uint16_t)h->scn->peer.host_cache) < 0) {
            free(p);
            return NULL;
        }
        host_cache_seed(&p->cache, &h->pl, &p->rng);
    }
    retry_guard_init(h->scn->architecture == ARCH_SETTOP ? &h->scn->settop.download.retry
                                                         : &h->scn->peer.login.retry,
                     &p->g_login);
    retry_guard_init(&h->scn->peer.reg.retry, &p->g_reg);
    retry_guard_init(&h->scn->workload.request.retry, &p->g_req);
    if (h->scn->architecture == ARCH_DHT && !(p->dht = dht_node_new(h, p))) {
        free(p);
        return NULL;
    }
    if (h->scn->architecture == ARCH_SETTOP && !(p->box = settop_box_new(h, p))) {
        free(p);
        return NULL;
    }
    if (h->scn->architecture == ARCH_TARGET && !(p->tgt = target_client_new(h, p))) {
        free(p);
        return NULL;
    }
    evtimer_assign(&p->timer, h->base, on_timer, p);
    h->m.g[G_OFF]++;
    return p;
}

static void peer_free(struct peer *p)
{
    drop_conn(p);
    event_del(&p->timer);
    dht_node_free(p->dht);
    settop_box_free(p->box);
    target_client_free(p->tgt);
    host_cache_free(&p->cache);
    SSL_SESSION_free(p->tls_sess);
    free(p);
}

static void boot(struct peer *p)
{
    struct host *h = p->h;
    h->m.c[C_BOOTS]++;
    p->up_since_ns = host_now(h);
    p->boot_mark = host_emu_mark(h);
    p->handshakes = 0;
    p->resumed = 0;
    p->ticket_refused = false;
    set_state(p, PEER_BOOTING);
    retry_reset(&p->retry);
    arm(p, dist_draw(&h->scn->peer.boot_delay, &p->rng));
}

static bool peer_power_on(struct peer *p)
{
    if (p->state != PEER_OFF)
        return false;
    boot(p);
    return true;
}

/* The machine goes down: connections and ticket are gone, the host cache is
 * on disk and survives, and the TLS session survives if the scenario says a
 * reboot keeps it. */
static void go_down(struct peer *p)
{
    /* An attempt cut short has an outcome too, so that attempts = outcomes +
     * in flight always holds. */
    if (p->state == PEER_LOGIN)
        p->h->m.c[C_LOGIN_ABORTED]++;
    else if (p->state == PEER_REGISTER)
        p->h->m.c[C_REG_ABORTED]++;
    else if (p->state == PEER_FETCH && in_flight_gauge(p, PEER_FETCH) >= 0)
        p->h->m.c[C_DL_ABORTED]++;
    drop_conn(p);
    event_del(&p->timer);
    p->has_ticket = false;
    p->at_front_door = false;
    if (p->h->scn->peer.session_on_reboot == SESSION_LOSE) {
        SSL_SESSION_free(p->tls_sess); /* NULL unless resume is ticket */
        p->tls_sess = NULL;
    }
    if (p->dht)
        dht_node_down(p->dht, p->h->scn->dht.saved_table == SAVED_LOSE);
    if (p->box)
        settop_box_down(p->box);
    promotion_peer_down(p->h, p);
}

static bool peer_reboot(struct peer *p)
{
    if (p->state == PEER_OFF)
        return false;
    p->h->m.c[C_REBOOTS]++;
    go_down(p);
    boot(p);
    return true;
}

static bool peer_crash(struct peer *p)
{
    if (p->state == PEER_OFF)
        return false;
    p->h->m.c[C_PEER_CRASHES]++;
    go_down(p);
    set_state(p, PEER_OFF);
    return true;
}

/* ---- role operations ---- */

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct peer *p = peer_create(h, id);
    if (!p)
        snprintf(err, errlen, "rank %d: out of memory for peer %u", h->rank, id);
    return p;
}

static void op_destroy(void *node)
{
    peer_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct peer *)node)->id;
}

static bool op_boot(void *node)
{
    return peer_power_on(node);
}

static bool op_reboot(void *node)
{
    return peer_reboot(node);
}

static bool op_crash(void *node)
{
    return peer_crash(node);
}

const struct role_ops peer_role = {
    .role = ROLE_PEER,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .boot = op_boot,
    .reboot = op_reboot,
    .crash = op_crash,
};
