/* test_server_limits.c - what a server allows one client connection
 * (node/server.c, issue 13, defects 2 and 9): the absolute request deadline
 * from accept, the idle timeout that only a complete frame restarts, the
 * linger after the final answer, the per-listener connection cap, and the
 * bound on output a client does not read. Before these, a client trickling
 * one byte at a time, or never closing, held its connection forever.
 * Real login servers and supernodes on a real loop (role_harness.h). */
#include <fcntl.h>

#include "node/server.h"
#include "role_harness.h"

#define LIMITS_SCENARIO(extra)                                                                     \
    "name: limits-test\n"                                                                          \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 1, login_servers: 1, supernodes: 1, bootstrap: 1}\n" extra

#define LS_ID 0 /* login servers come first */

static uint32_t sn_ip(const struct rh *r)
{
    return rh_ip(r, rh_sn_id(r, 0));
}

static uint16_t sn_port(const struct rh *r)
{
    return rh_sn_port(r, rh_sn_id(r, 0));
}

/* Write one byte at a time, every step_ms, until the client is closed or
 * the bytes run out. Returns how many were written. */
static size_t trickle(struct rh *r, struct rh_client *c, const uint8_t *bytes, size_t n,
                      int step_ms)
{
    size_t i = 0;
    for (; i < n && !c->closed; i++) {
        assert_int_equal(bufferevent_write(c->bev, bytes + i, 1), 0);
        rh_run_for(r, step_ms);
    }
    return i;
}

/* ---- the request deadline ---- */

/* A supernode client that trickles its REGISTER a byte at a time is closed
 * at request_deadline, though every byte arrives well within it. */
static void test_supernode_closes_a_trickled_registration(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("supernode: {request_deadline: 300ms}\n"));
    struct rh_client *c = rh_connect(r, sn_ip(r), sn_port(r));
    struct wire_msg m = rh_register(r, 5, 60000);
    uint8_t buf[256];
    size_t n = rh_frame(&m, buf, sizeof buf);
    int64_t t0 = clock_mono_ns();
    size_t sent = trickle(r, c, buf, n - 1, 40); /* never the last byte */
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_true(sent < n - 1); /* closed before the frame could complete */
    assert_true(clock_mono_ns() - t0 >= 300 * RH_MS);
    assert_int_equal(rh_c(r, C_CONN_DEADLINE), 1);
    assert_int_equal(rh_c(r, C_SN_REGISTERED), 0);
}

/* A login server's client that never starts TLS is closed at the deadline. */
static void test_login_server_closes_a_client_that_never_handshakes(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("login_server: {request_deadline: 200ms}\n"));
    struct rh_client *c = rh_connect(r, rh_ip(r, LS_ID), rh_port(r, LS_ID)); /* plain TCP */
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_c(r, C_CONN_DEADLINE), 1);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
}

/* After a complete handshake, a LOGIN_REQ trickled over TLS is closed at the
 * deadline too: the deadline covers the handshake and the request. */
static void test_login_server_closes_a_trickled_request(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("login_server: {request_deadline: 400ms}\n"));
    struct rh_client *c = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    RH_RUN_UNTIL(r, c->connected || c->closed, 3000);
    assert_true(c->connected);
    struct wire_msg m = rh_login_req(r, r->pl.first_peer, true);
    uint8_t buf[256];
    size_t n = rh_frame(&m, buf, sizeof buf);
    trickle(r, c, buf, n - 1, 40);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_c(r, C_CONN_DEADLINE), 1);
    assert_int_equal(rh_c(r, C_LS_SERVED), 0);
}

/* The time a request waits in the server's own queue is the server's: a
 * request queued past the deadline is still answered. */
static void test_login_server_deadline_excludes_its_own_queue(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("login_server: {request_deadline: 100ms, workers: 1,"
                                " service_time: 400ms}\n"));
    struct rh_client *c = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    struct wire_msg m = rh_login_req(r, r->pl.first_peer, true);
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->n_msg >= 1 || c->closed, 5000);
    assert_int_equal(c->n_msg, 1);
    assert_int_equal(c->msg[0].type, WIRE_LOGIN_OK);
    assert_int_equal(rh_c(r, C_CONN_DEADLINE), 0);
}

/* ---- linger ---- */

/* A client that has its answer and keeps the connection is closed after
 * the linger. */
static void test_login_server_closes_a_lingering_client(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("login_server: {linger: 200ms, service_time: 1ms}\n"));
    struct rh_client *c = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    struct wire_msg m = rh_login_req(r, r->pl.first_peer, true);
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_LOGIN_OK);
    assert_false(c->closed);
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_c(r, C_CONN_DEADLINE), 1);
}

/* ---- idle: complete frames only ---- */

/* keepalive 100 ms and register timeout 100 ms: a registered client silent
 * for 3 x 100 + 100 = 400 ms is gone. */
#define IDLE_SCENARIO                                                                              \
    LIMITS_SCENARIO("workload: {keepalive: 100ms}\n"                                               \
                    "peer: {register: {timeout: 100ms}}\n")

/* Bytes that never make a frame (a 1000-byte frame, trickled) do not keep a
 * registered client alive; complete KEEPALIVEs do. */
static void test_supernode_idle_timeout_needs_complete_frames(void **state)
{
    struct rh *r = *state;
    rh_start(r, IDLE_SCENARIO);
    struct rh_client *live = rh_registered(r, 0, 1), *slow = rh_registered(r, 0, 2);
    uint8_t junk[64] = {0, 0, 0x03, 0xe8}; /* a length of 1000, then a trickle */
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = 1};
    for (int i = 0; i < 20 && !slow->closed; i++) { /* 20 x 60 ms, 3 x the timeout */
        bufferevent_write(slow->bev, junk + (i < 4 ? i : 4), 1);
        rh_send(live, &ka);
        rh_run_for(r, 60);
    }
    RH_RUN_UNTIL(r, slow->closed, 3000);
    assert_false(live->closed);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
}

/* ---- the connection cap ---- */

static void test_supernode_caps_its_connections(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("supernode: {max_conns: 2}\n"));
    struct rh_client *a = rh_connect(r, sn_ip(r), sn_port(r));
    struct rh_client *b = rh_connect(r, sn_ip(r), sn_port(r));
    RH_RUN_UNTIL(r, rh_g(r, G_OPEN_CONNS) >= 2, 3000);
    struct rh_client *c = rh_connect(r, sn_ip(r), sn_port(r));
    RH_RUN_UNTIL(r, c->closed, 3000);
    assert_int_equal(rh_c(r, C_CONN_CAPPED), 1);
    assert_false(a->closed);
    assert_false(b->closed);
    /* a slot freed is a slot for the next client */
    rh_close(a);
    RH_RUN_UNTIL(r, rh_g(r, G_OPEN_CONNS) == 1, 3000);
    struct rh_client *d = rh_registered(r, 0, 4);
    assert_false(d->closed);
    assert_int_equal(rh_c(r, C_CONN_CAPPED), 1);
}

static void test_login_server_caps_its_connections(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO("login_server: {max_conns: 1}\n"));
    struct rh_client *a = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    RH_RUN_UNTIL(r, a->connected, 3000);
    struct rh_client *b = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    RH_RUN_UNTIL(r, b->closed, 3000);
    assert_false(b->connected); /* closed before any TLS */
    assert_int_equal(rh_c(r, C_CONN_CAPPED), 1);
    assert_false(a->closed);
}

/* ---- output a client does not read ---- */

/* A registered client that sends KEEPALIVEs and never reads: the ACKs fill
 * the supernode's kernel send buffer (fixed at SRV_SNDBUF, or autotuning
 * would hide megabytes there), then pile up in its output until
 * SRV_OUTPUT_MAX, and it is dropped. */
static void test_supernode_drops_a_client_that_does_not_read(void **state)
{
    struct rh *r = *state;
    rh_start(r, LIMITS_SCENARIO(""));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int small = 1024;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(RH_CLIENT_IP)};
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(sn_port(r)), .sin_addr.s_addr = htonl(sn_ip(r))};
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    uint8_t buf[256];
    struct wire_msg reg = rh_register(r, 3, 60000);
    size_t n = rh_frame(&reg, buf, sizeof buf);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    RH_RUN_UNTIL(r, rh_g(r, G_SN_CLIENTS) == 1, 3000);

    /* Keepalives in batches of 64 (the supernode acks one per read, the
     * others wait in the capacity model behind it), so that the kernel is
     * not filled with 12-byte segments. */
    struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = UINT32_MAX};
    n = rh_frame(&ka, buf, sizeof buf);
    uint8_t batch[64 * 16];
    for (int i = 0; i < 64; i++)
        memcpy(batch + (size_t)i * n, buf, n);
    int64_t deadline = clock_mono_ns() + 60 * NS_PER_S;
    while (rh_c(r, C_CONN_OVERFLOW) == 0 && clock_mono_ns() < deadline) {
        (void)!write(fd, batch, 64 * n);
        for (int k = 0; k < 4; k++)
            event_base_loop(r->base, EVLOOP_NONBLOCK);
    }
    if (rh_c(r, C_CONN_OVERFLOW) == 0) {
        rh_dump_metrics(r);
    }
    assert_int_equal(rh_c(r, C_CONN_OVERFLOW), 1);
    /* at least SRV_OUTPUT_MAX of 12-byte ACKs were owed */
    assert_true(rh_c(r, C_BYTES_SENT) > SRV_OUTPUT_MAX);
    RH_RUN_UNTIL(r, rh_g(r, G_SN_CLIENTS) == 0, 3000);
    close(fd);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_supernode_closes_a_trickled_registration),
        T(test_login_server_closes_a_client_that_never_handshakes),
        T(test_login_server_closes_a_trickled_request),
        T(test_login_server_deadline_excludes_its_own_queue),
        T(test_login_server_closes_a_lingering_client),
        T(test_supernode_idle_timeout_needs_complete_frames),
        T(test_supernode_caps_its_connections),
        T(test_login_server_caps_its_connections),
        T(test_supernode_drops_a_client_that_does_not_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
