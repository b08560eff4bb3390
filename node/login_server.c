/* login_server.c - login servers (see login_server.h). */
#include "login_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "capacity.h"
#include "common/pki.h"
#include "conn.h"
#include "host.h"
#include "server.h"
#include "ticket.h"
#include "tls.h"
#include "trace.h"

enum ls_state { LS_DOWN = 0, LS_UP };
static const char *const ls_state_names[] = {"DOWN", "UP"};

/* A connection: TLS handshake, then one LOGIN_REQ that goes through the
 * capacity model, then DONE until the client closes (or the idle timeout). */
enum lsc_state { LSC_HANDSHAKE = 0, LSC_WAIT_REQ, LSC_IN_CAP, LSC_DONE };
static const char *const lsc_state_names[] = {"HANDSHAKE", "WAIT_REQ", "IN_CAP", "DONE"};

struct ls_conn {
    struct srv_conn base; /* first: the server hands us &base */
    uint64_t user_id;
    uint8_t secret[WIRE_SECRET_LEN];
    enum lsc_state state;
};

struct login_server {
    struct host *h;
    uint32_t id;
    enum ls_state state;
    SSL_CTX *ctx;
    struct server srv;
};

static void ls_set_state(struct login_server *ls, enum ls_state s)
{
    if (ls->state == s)
        return;
    trace_state(ls->h, TRACE_LOGIN_SERVER, "login_server", ls->id, ls_state_names[ls->state],
                ls_state_names[s]);
    ls->h->m.g[G_LS_UP] += (s == LS_UP) - (ls->state == LS_UP);
    ls->state = s;
}

/* A connection only moves forward: one handshake, one request, one answer.
 * A late event (the handshake's CONNECTED after the request was read in the
 * same pass) must not take it back and let a second request in.
 * The server's deadline from accept covers HANDSHAKE and WAIT_REQ; IN_CAP
 * waits on the server, untimed; DONE lingers at most login_server.linger. */
static void lsc_set_state(struct ls_conn *c, enum lsc_state s)
{
    struct login_server *ls = container_of(c->base.srv, struct login_server, srv);
    if (s <= c->state)
        return;
    trace_state(ls->h, TRACE_LS_CONN, "ls_conn", ls->id, lsc_state_names[c->state],
                lsc_state_names[s]);
    c->state = s;
    if (s == LSC_IN_CAP)
        srv_conn_no_timer(&c->base);
    else if (s == LSC_DONE)
        srv_conn_deadline(&c->base, ls->h->scn->login_server.conns.linger_ns);
}

/* ---- requests ---- */

/* A peer's credential is HMAC(its rank's secret, user_id) (common/pki.h):
 * the user must be a peer of this run, and the rank secret is derived from
 * the master for the rank the placement puts it on. */
static bool credential_ok(const struct host *h, uint64_t user_id,
                          const uint8_t given[WIRE_SECRET_LEN])
{
    const struct placement *pl = &h->pl;
    uint8_t rank_secret[PKI_KEY_LEN];
    if (user_id >= pl->n_nodes || placement_role(pl, (uint32_t)user_id) != ROLE_PEER ||
        pki_rank_secret(h->pki->master, (uint32_t)placement_rank_of(pl, (uint32_t)user_id),
                        rank_secret) < 0)
        return false;
    bool ok = ticket_credential_ok(rank_secret, user_id, given);
    OPENSSL_cleanse(rank_secret, sizeof rank_secret);
    return ok;
}

/* A worker finished the request: check the credential, sign a ticket. */
static void on_served(struct srv_conn *sc)
{
    struct ls_conn *c = (struct ls_conn *)sc;
    struct host *h = sc->srv->h;
    lsc_set_state(c, LSC_DONE);
    struct wire_msg m = {.type = WIRE_LOGIN_FAIL, .u.reason = WIRE_REASON_BAD_CREDENTIALS};
    if (credential_ok(h, c->user_id, c->secret)) {
        int64_t now_ms = host_now(h) / NS_PER_MS;
        struct wire_msg ok = {.type = WIRE_LOGIN_OK};
        ok.u.ticket.user_id = c->user_id;
        ok.u.ticket.addr = sc->peer_ip; /* binds the ticket to where it was issued */
        ok.u.ticket.expiry_ms = (uint64_t)(now_ms > 0 ? now_ms : 0) +
                                (uint64_t)(h->scn->login_server.ticket_ttl_ns / NS_PER_MS);
        if (ticket_sign(&h->keys, &ok.u.ticket) == 0)
            m = ok;
    }
    OPENSSL_cleanse(c->secret, sizeof c->secret);
    srv_conn_send(sc, &m);
}

static int on_msg(struct srv_conn *sc, const struct wire_msg *m)
{
    struct ls_conn *c = (struct ls_conn *)sc;
    struct host *h = sc->srv->h;
    /* A request can arrive in the same read that completes the handshake,
     * before the CONNECTED event: a decoded message proves the TLS is up. */
    lsc_set_state(c, LSC_WAIT_REQ);
    if (m->type != WIRE_LOGIN_REQ || c->state != LSC_WAIT_REQ) {
        h->m.c[C_MALFORMED]++;
        return 0;
    }
    c->user_id = m->u.login_req.user_id;
    memcpy(c->secret, m->u.login_req.secret, sizeof c->secret);
    lsc_set_state(c, LSC_IN_CAP);
    uint32_t hint = 0;
    switch (srv_conn_submit(sc, &hint)) {
    case CAP_V_REJECTED: {
        struct wire_msg busy = {.type = WIRE_BUSY, .u.retry_after_ms = hint};
        lsc_set_state(c, LSC_DONE);
        srv_conn_send(sc, &busy);
        break;
    }
    case CAP_V_QUEUED:
        if (sc->srv->cap.cfg.admission == ADMIT_PACE) {
            struct wire_msg wait = {.type = WIRE_WAIT, .u.wait_ms = hint};
            srv_conn_send(sc, &wait);
        }
        break;
    case CAP_V_STARTED:
        break;
    }
    return 0;
}

static void on_accept(struct srv_conn *sc)
{
    sc->srv->h->m.c[C_LS_ACCEPTED]++;
}

static void on_connected(struct srv_conn *sc)
{
    lsc_set_state((struct ls_conn *)sc, LSC_WAIT_REQ); /* handshake done */
}

static const struct server_ops ls_server_ops = {
    .on_msg = on_msg,
    .on_served = on_served,
    .on_accept = on_accept,
    .on_connected = on_connected,
};

/* ---- lifecycle ---- */

/* Down: no listener, every connection and queued request dropped. Up: listen
 * again. Both idempotent; up fails only if the address cannot be bound. */
static int ls_set_up(struct login_server *ls)
{
    if (ls->state == LS_UP)
        return 0;
    char err[256];
    struct host *h = ls->h;
    if (server_listen(&ls->srv, placement_addr(&h->pl, ls->id), placement_port(&h->pl, ls->id),
                      (int)h->scn->login_server.backlog, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm: rank %d: login server %u: %s\n", h->rank, ls->id, err);
        return -1;
    }
    ls_set_state(ls, LS_UP);
    return 0;
}

static void ls_set_down(struct login_server *ls)
{
    if (ls->state == LS_DOWN)
        return;
    server_stop(&ls->srv);
    ls_set_state(ls, LS_DOWN);
}

static struct login_server *ls_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct login_server *ls = calloc(1, sizeof *ls);
    if (!ls) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ls->h = h;
    ls->id = id;
    ls->state = LS_DOWN;
    if (!h->pki->has_master || !h->pki->has_ticket_priv || !h->pki->ls_key_pem[id][0]) {
        snprintf(err, errlen, "login server %u: this rank was not sent its keys", id);
        free(ls);
        return NULL;
    }
    ls->ctx = tls_server_ctx(h->pki->ls_cert_pem[id], h->pki->ls_key_pem[id], err, errlen);
    if (!ls->ctx) {
        free(ls);
        return NULL;
    }
    if (h->scn->peer.resume == RESUME_TICKET) {
        /* Every login server derives the same ticket keys from the master,
         * so a peer may resume at any of them. */
        uint8_t keys[PKI_TICKET_KEYS_LEN];
        int rc = pki_tls_ticket_keys(h->pki->master, keys);
        if (rc == 0)
            rc = tls_server_tickets(ls->ctx, keys);
        OPENSSL_cleanse(keys, sizeof keys);
        if (rc < 0) {
            pki_openssl_error(err, errlen, "login server session tickets");
            SSL_CTX_free(ls->ctx);
            free(ls);
            return NULL;
        }
    }
    struct cap_metrics m = {.g_queue = G_LS_QUEUE,
                            .g_busy = G_LS_BUSY,
                            .c_served = C_LS_SERVED,
                            .c_rejected = C_LS_REJECTED,
                            .c_wasted = C_LS_WASTED,
                            .queue_us = &h->m.ls_queue_us,
                            .service_us = &h->m.ls_service_us,
                            .emu_us = &h->m.ls_emu_us,
                            .c_busy_us = -1};
    server_init(&ls->srv, h, ROLE_LOGIN_SERVER, id, ls->ctx, &ls_server_ops, sizeof(struct ls_conn),
                &h->scn->login_server.conns, &h->scn->login_server.cap, &m);
    if (server_listen(&ls->srv, placement_addr(&h->pl, id), placement_port(&h->pl, id),
                      (int)h->scn->login_server.backlog, err, errlen) < 0) {
        SSL_CTX_free(ls->ctx);
        free(ls);
        return NULL;
    }
    ls_set_state(ls, LS_UP);
    return ls;
}

static void ls_free(struct login_server *ls)
{
    if (!ls)
        return;
    ls_set_down(ls);
    SSL_CTX_free(ls->ctx);
    free(ls);
}

/* ---- role operations ---- */

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    return ls_create(h, id, err, errlen);
}

static void op_destroy(void *node)
{
    ls_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct login_server *)node)->id;
}

static bool op_crash(void *node)
{
    struct login_server *ls = node;
    bool was_up = ls->state == LS_UP;
    ls_set_down(ls);
    return was_up;
}

static bool op_restore(void *node)
{
    struct login_server *ls = node;
    return ls->state == LS_DOWN && ls_set_up(ls) == 0;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    cap_reconfigure(&((struct login_server *)node)->srv.cap, ev);
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct login_server *)node)->srv.cap, for_ns);
}

const struct role_ops login_server_role = {
    .role = ROLE_LOGIN_SERVER,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
