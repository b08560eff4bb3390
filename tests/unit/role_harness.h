/* role_harness.h - one node role on a real event loop, for the role tests
 * (test_peer.c, test_supernode.c, test_login_server.c).
 *
 * A test loads a small scenario; the harness makes the run's keys and a host
 * with every node of that scenario in one process (host_init, world 1, rank
 * 0), on loopback addresses of its own (network.base is overridden with a
 * fresh 127.x.y.1 per test, so tests never share a listening address with
 * each other or with a run on the same machine). The test fires the
 * scenario's events by index, plays the other side of the role with fake
 * clients (plain TCP, or TLS 1.3 for login servers) that speak framed wire
 * messages, and runs the loop until a condition holds. A condition that does
 * not hold by its deadline fails the test with the condition's text and the
 * host's non-zero metrics.
 *
 * What it uses beyond host.h, scenario.h, pki.h, placement.h and metrics.h:
 * node/wire.h (the codec), node/tls.h (the client context, to talk to a
 * login server), node/ticket.h (credentials and signed tickets, to talk
 * to a supernode without a login server) and node/role_table.h (to call a
 * role's operations on one node: crash, stall).
 *
 * UDP sockets (rh_udp_*) play the datagram side: a sender bound to any
 * 127.x address (a node's own, or a forger's), or a receiver bound to a
 * stopped node's address and port, to read what other nodes send it.
 *
 * Everything is static inline: each test_*.c is its own executable. */
#ifndef BS_ROLE_HARNESS_H
#define BS_ROLE_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "node/host.h"
#include "node/role_table.h"
#include "node/ticket.h"
#include "node/tls.h"
#include "node/wire.h"

#define RH_MS 1000000LL
/* Every fake client connects from this address unless told otherwise, so
 * the tickets the harness signs (bound to it) are valid. */
#define RH_CLIENT_IP 0x7f000001u /* 127.0.0.1 */
#define RH_MAX_CLIENTS 128
#define RH_MAX_MSGS 8
#define RH_MAX_UDP 16

struct rh;

/* A fake client: one connection, the messages it has received. */
struct rh_client {
    struct rh *r;
    struct bufferevent *bev; /* NULL once closed, by either side */
    bool connected;          /* TCP connect (and TLS handshake) done */
    bool closed;             /* closed: by the other side, an error, or the test */
    bool failed;             /* the close was an error (e.g. connection refused) */
    uint32_t n_msg;          /* messages received (only the first RH_MAX_MSGS kept) */
    uint32_t n_bad;          /* frames that did not decode */
    struct wire_msg msg[RH_MAX_MSGS];
};

struct rh {
    struct scenario scn;
    struct pki pki;
    struct placement pl;
    struct event_base *base;
    struct host h;
    SSL_CTX *tls;            /* client side, trusts the run's CA */
    struct ticket_keys keys; /* the login servers' ticket key */
    bool have_pki, have_host, have_keys;
    struct rh_client *cl[RH_MAX_CLIENTS];
    uint32_t n_cl;
    int udp[RH_MAX_UDP]; /* rh_udp_bind's sockets still open */
    uint32_t n_udp;
};

/* ---- fixture ---- */

static inline int rh_setup(void **state)
{
    struct rh *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    *state = r;
    return 0;
}

static inline int rh_teardown(void **state)
{
    struct rh *r = *state;
    /* The clients first: their bufferevents live on the host's base. */
    for (uint32_t i = 0; i < r->n_cl; i++) {
        if (r->cl[i]->bev)
            bufferevent_free(r->cl[i]->bev);
        free(r->cl[i]);
    }
    for (uint32_t i = 0; i < r->n_udp; i++)
        close(r->udp[i]);
    if (r->have_host)
        host_destroy(&r->h);
    if (r->tls)
        SSL_CTX_free(r->tls);
    if (r->have_keys)
        ticket_keys_free(&r->keys);
    if (r->base)
        event_base_free(r->base);
    if (r->have_pki)
        pki_free(&r->pki);
    free(r);
    return 0;
}

/* A loopback /24 for one attempt at starting a test's host: 127.A.B.1 with
 * A and B from the pid, a per-process counter and the attempt, kept away from
 * 127.0.x and 127.1.x (real runs use 127.1.0.1 up). */
static inline void rh_pick_base(char *buf, size_t len)
{
    static uint64_t seq;
    uint64_t x =
        ((uint64_t)getpid() << 20) ^ (++seq * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)clock_mono_ns();
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    snprintf(buf, len, "network.base=127.%u.%u.1", 2 + (unsigned)(x % 250),
             (unsigned)((x >> 16) % 254));
}

static inline void rh_dump_metrics(const struct rh *r)
{
    if (!r->have_host)
        return;
    fprintf(stderr, "  host metrics at %.3f s (non-zero):\n", (double)host_now(&r->h) / 1e9);
    for (int i = 0; i < C_COUNT; i++)
        if (r->h.m.c[i])
            fprintf(stderr, "    %s = %llu\n", metrics_counter_name((enum metric_counter)i),
                    (unsigned long long)r->h.m.c[i]);
    for (int i = 0; i < G_COUNT; i++)
        if (r->h.m.g[i])
            fprintf(stderr, "    %s = %lld (gauge)\n", metrics_gauge_name((enum metric_gauge)i),
                    (long long)r->h.m.g[i]);
}

/* rh_start with a step of the test's between making the run's keys and
 * starting the host: prepare(r, arg) sees the loaded scenario (r->scn) and
 * the keys (r->pki), and may write files the scenario names (the run's CA
 * as target.tls.ca_file, which the host loads when it starts). It runs
 * again if the host has to start on another /24, with fresh keys. */
typedef void (*rh_prepare_fn)(struct rh *r, void *arg);

static inline void rh_start_prepared(struct rh *r, const char *yaml, rh_prepare_fn prepare,
                                     void *arg)
{
    char err[SCN_ERR_MAX] = "";
    r->base = event_base_new();
    assert_non_null(r->base);
    for (int attempt = 0; attempt < 8 && !r->have_host; attempt++) {
        char base[64];
        const char *ov[] = {base};
        rh_pick_base(base, sizeof base);
        if (scenario_load_string(yaml, "role test", ov, 1, &r->scn, err, sizeof err) < 0)
            fail_msg("scenario: %s", err);
        placement_init(&r->pl, &r->scn, 1);
        uint32_t ips[16];
        assert_true(r->pl.n_ls <= 16);
        for (uint32_t i = 0; i < r->pl.n_ls; i++)
            ips[i] = placement_addr(&r->pl, i);
        if (pki_generate(&r->pki, r->pl.n_ls, ips, err, sizeof err) < 0)
            fail_msg("pki: %s", err);
        r->have_pki = true;
        if (prepare)
            prepare(r, arg);
        if (host_init(&r->h, r->base, &r->scn, &r->pki, 1, NULL, 0, 0, clock_mono_ns(), err,
                      sizeof err) == 0) {
            r->have_host = true;
        } else {
            pki_free(&r->pki);
            r->have_pki = false;
        }
    }
    if (!r->have_host)
        fail_msg("host_init: %s", err);
    r->tls = tls_client_ctx(r->pki.ca_pem, err, sizeof err);
    if (!r->tls)
        fail_msg("client TLS context: %s", err);
    assert_int_equal(ticket_keys_init(&r->keys, r->pki.ticket_priv, r->pki.ticket_pub), 0);
    r->have_keys = true;
}

/* Load the scenario, make its keys, and start every node of it on rank 0.
 * Run time 0 is now. A listening address already in use elsewhere makes it
 * try again on another /24. */
static inline void rh_start(struct rh *r, const char *yaml)
{
    rh_start_prepared(r, yaml, NULL, NULL);
}

/* ---- the loop ---- */

/* Run the loop for about a millisecond (any callbacks due run). */
static inline void rh_step(struct rh *r)
{
    struct timeval tv = {0, 1000};
    event_base_loopexit(r->base, &tv);
    event_base_dispatch(r->base);
}

static inline void rh_run_for(struct rh *r, int ms)
{
    struct timeval tv = clock_tv_from_ns(ms * RH_MS);
    event_base_loopexit(r->base, &tv);
    event_base_dispatch(r->base);
}

/* Run the loop until `cond` holds; fail the test if it does not within
 * timeout_ms. The deadlines are generous: a test waits only as long as the
 * condition takes, so they cost nothing when it passes. */
#define RH_RUN_UNTIL(r, cond, timeout_ms)                                                          \
    do {                                                                                           \
        int64_t rh_deadline_ = clock_mono_ns() + (int64_t)(timeout_ms)*RH_MS;                      \
        while (!(cond)) {                                                                          \
            if (clock_mono_ns() > rh_deadline_) {                                                  \
                rh_dump_metrics(r);                                                                \
                fail_msg("still false after %d ms: %s", (int)(timeout_ms), #cond);                 \
            }                                                                                      \
            rh_step(r);                                                                            \
        }                                                                                          \
    } while (0)

static inline uint64_t rh_c(const struct rh *r, enum metric_counter c)
{
    return r->h.m.c[c];
}

static inline int64_t rh_g(const struct rh *r, enum metric_gauge g)
{
    return r->h.m.g[g];
}

/* Fire scenario event `idx` now (its `at` is ignored). */
static inline uint32_t rh_fire(struct rh *r, uint32_t idx)
{
    assert_true(idx < r->scn.n_events);
    return host_fire_event(&r->h, idx, &r->scn.events[idx], host_now(&r->h));
}

/* ---- nodes ---- */

/* Node `id` of `role` (every node lives on this host: world 1), to call its
 * role's operations (role_table[role]->crash, ->stall) directly. */
static inline void *rh_node(const struct rh *r, enum role role, uint32_t id)
{
    const struct node_set *set = &r->h.nodes[role];
    for (uint32_t i = 0; i < set->n; i++)
        if (role_table[role]->id(set->v[i]) == id)
            return set->v[i];
    fail_msg("no %s node %u on this host", role_name(role), id);
    return NULL;
}

/* ---- addresses ---- */

static inline uint32_t rh_sn_id(const struct rh *r, uint32_t k)
{
    return r->pl.first_sn + k;
}

static inline uint32_t rh_ip(const struct rh *r, uint32_t id)
{
    return placement_addr(&r->pl, id);
}

static inline uint16_t rh_sn_port(const struct rh *r, uint32_t id)
{
    return placement_sn_port(&r->pl, id);
}

static inline uint16_t rh_port(const struct rh *r, uint32_t id)
{
    return placement_port(&r->pl, id);
}

/* ---- fake clients ---- */

static inline void rh_client_read(struct bufferevent *bev, void *arg)
{
    struct rh_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        struct wire_msg m;
        enum wire_status st = wire_decode_frame(in, &m, NULL);
        if (st == WIRE_NEED_MORE)
            return;
        if (st == WIRE_ERR_OVERSIZE) {
            c->n_bad++;
            evbuffer_drain(in, evbuffer_get_length(in));
            return;
        }
        if (st != WIRE_OK) {
            c->n_bad++;
            continue;
        }
        if (c->n_msg < RH_MAX_MSGS)
            c->msg[c->n_msg] = m;
        c->n_msg++;
    }
}

static inline void rh_client_event(struct bufferevent *bev, short what, void *arg)
{
    struct rh_client *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        return;
    }
    rh_client_read(bev, c); /* whatever arrived before the close */
    while (bufferevent_get_openssl_error(bev))
        ;
    c->closed = true;
    c->failed = (what & BEV_EVENT_ERROR) != 0;
    bufferevent_free(bev);
    c->bev = NULL;
}

static inline struct rh_client *rh_connect_ssl_from(struct rh *r, uint32_t src, uint32_t ip,
                                                    uint16_t port, bool tls)
{
    assert_true(r->n_cl < RH_MAX_CLIENTS);
    struct rh_client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->r = r;
    r->cl[r->n_cl++] = c;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    assert_true(fd >= 0);
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(src);
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    if (tls) {
        SSL *ssl = tls_client_ssl(r->tls, ip);
        assert_non_null(ssl);
        c->bev = bufferevent_openssl_socket_new(r->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                                BEV_OPT_CLOSE_ON_FREE);
        if (c->bev)
            bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
    } else {
        c->bev = bufferevent_socket_new(r->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    assert_non_null(c->bev);
    bufferevent_setcb(c->bev, rh_client_read, NULL, rh_client_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    sa.sin_port = htons(port);
    assert_int_equal(bufferevent_socket_connect(c->bev, (struct sockaddr *)&sa, sizeof sa), 0);
    return c;
}

static inline struct rh_client *rh_connect_ssl(struct rh *r, uint32_t ip, uint16_t port, bool tls)
{
    return rh_connect_ssl_from(r, RH_CLIENT_IP, ip, port, tls);
}

/* A plain TCP client (to a supernode), from RH_CLIENT_IP or from src. */
static inline struct rh_client *rh_connect(struct rh *r, uint32_t ip, uint16_t port)
{
    return rh_connect_ssl(r, ip, port, false);
}

static inline struct rh_client *rh_connect_from(struct rh *r, uint32_t src, uint32_t ip,
                                                uint16_t port)
{
    return rh_connect_ssl_from(r, src, ip, port, false);
}

/* A TLS 1.3 client that checks the server's certificate for `ip`, as a peer
 * does (to a login server). */
static inline struct rh_client *rh_connect_tls(struct rh *r, uint32_t ip, uint16_t port)
{
    return rh_connect_ssl(r, ip, port, true);
}

/* m's whole frame (length prefix and payload) into buf; its length. */
static inline size_t rh_frame(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
    int n = wire_encode_payload(m, buf + 4, cap - 4);
    assert_true(n > 0);
    uint32_t be = htonl((uint32_t)n);
    memcpy(buf, &be, 4);
    return (size_t)n + 4;
}

/* Send one framed message (queued until the connection is up). */
static inline void rh_send(struct rh_client *c, const struct wire_msg *m)
{
    uint8_t buf[4 + 1024];
    assert_non_null(c->bev);
    size_t n = rh_frame(m, buf, sizeof buf);
    assert_int_equal(bufferevent_write(c->bev, buf, n), 0);
}

/* Close from the client's side, as a client that gives up. */
static inline void rh_close(struct rh_client *c)
{
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    c->closed = true;
}

/* ---- UDP ---- */

/* A non-blocking UDP socket bound to ip:port (port 0: any), closed at
 * teardown (or by rh_udp_close). */
static inline int rh_udp_bind(struct rh *r, uint32_t ip, uint16_t port)
{
    assert_true(r->n_udp < RH_MAX_UDP);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(ip);
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        fail_msg("UDP bind to %u.%u.%u.%u:%u: %s", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
                 ip & 0xff, port, strerror(e));
    }
    r->udp[r->n_udp++] = fd;
    return fd;
}

static inline void rh_udp_close(struct rh *r, int fd)
{
    for (uint32_t i = 0; i < r->n_udp; i++)
        if (r->udp[i] == fd) {
            close(fd);
            r->udp[i] = r->udp[--r->n_udp];
            return;
        }
    fail_msg("UDP socket %d is not the harness's", fd);
}

/* Send one datagram of len bytes to ip:port. */
static inline void rh_udp_send_raw(int fd, uint32_t ip, uint16_t port, const void *buf, size_t len)
{
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(ip);
    to.sin_port = htons(port);
    assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&to, sizeof to), (ssize_t)len);
}

/* One message as one datagram (a payload, no length prefix). */
static inline void rh_udp_send(int fd, uint32_t ip, uint16_t port, const struct wire_msg *m)
{
    uint8_t buf[1024];
    int n = wire_encode_payload(m, buf, sizeof buf);
    assert_true(n > 0);
    rh_udp_send_raw(fd, ip, port, buf, (size_t)n);
}

/* Take one waiting datagram: WIRE_NEED_MORE when none waits, else how it
 * decoded into *m, with its source address in *src. */
static inline enum wire_status rh_udp_recv(int fd, struct wire_msg *m, uint32_t *src)
{
    uint8_t buf[2048];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (n < 0)
        return WIRE_NEED_MORE;
    *src = ntohl(from.sin_addr.s_addr);
    return wire_decode_payload(buf, (size_t)n, m);
}

/* ---- messages ---- */

/* LOGIN_REQ for user_id, with the right credential or a wrong one. */
static inline struct wire_msg rh_login_req(const struct rh *r, uint64_t user_id, bool valid)
{
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = WIRE_LOGIN_REQ;
    m.u.login_req.user_id = user_id;
    ticket_credential(r->pki.rank_secret, user_id, m.u.login_req.secret); /* rank 0 */
    if (!valid)
        m.u.login_req.secret[0] ^= 0xff;
    return m;
}

/* A ticket as a login server would sign it for a client at RH_CLIENT_IP,
 * valid for ttl_ms from now (run time; a negative ttl gives an expired one). */
static inline struct wire_ticket rh_ticket(const struct rh *r, uint64_t user_id, int64_t ttl_ms)
{
    struct wire_ticket t;
    memset(&t, 0, sizeof t);
    int64_t exp = host_now(&r->h) / RH_MS + ttl_ms;
    t.user_id = user_id;
    t.expiry_ms = (uint64_t)(exp > 0 ? exp : 0);
    t.addr = RH_CLIENT_IP;
    assert_int_equal(ticket_sign(&r->keys, &t), 0);
    return t;
}

static inline struct wire_msg rh_register(const struct rh *r, uint64_t user_id, int64_t ttl_ms)
{
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = WIRE_REGISTER;
    m.u.ticket = rh_ticket(r, user_id, ttl_ms);
    return m;
}

/* A client registered with supernode k as `user` (a fresh valid ticket):
 * connect, REGISTER, wait for the REGISTER_OK. */
static inline struct rh_client *rh_registered(struct rh *r, uint32_t k, uint64_t user)
{
    uint32_t sn = rh_sn_id(r, k);
    struct rh_client *c = rh_connect(r, rh_ip(r, sn), rh_sn_port(r, sn));
    struct wire_msg m = rh_register(r, user, 60000);
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_REGISTER_OK);
    return c;
}

/* Does a received SN list name node `id`? */
static inline bool rh_list_has(const struct wire_sn_list *l, uint32_t id)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (l->sns[i].node_id == id)
            return true;
    return false;
}

#endif
