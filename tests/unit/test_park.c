/* test_park.c - parking quiet connections (control.park_idle, node/conn.h):
 * an online peer's registration connection gives up its bufferevent at
 * both ends between keepalives, and everything a connection must still do
 * it does: keepalives reach the supernode before its idle timeout, a crash
 * at either end is noticed through the parked fd, and nothing parks unless
 * the scenario asks. A real host: one peer, one login server, one
 * supernode (role_harness.h). */
#include "role_harness.h"

/* The supernode drops a client silent for 3 keepalives + the register
 * timeout: 3 x 100 ms + 200 ms = 500 ms here. */
#define PARK_BASE                                                                                  \
    "name: park-test\n"                                                                            \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 1, login_servers: 1, supernodes: 1}\n"                                         \
    "login_server: {service_time: 1ms}\n"                                                          \
    "peer: {boot_delay: 1ms, register: {timeout: 200ms}}\n"                                        \
    "workload: {keepalive: 100ms}\n"                                                               \
    "events:\n"                                                                                    \
    "  - at: 0s\n"                                                                                 \
    "    boot: {fraction: 1.0, over: 0s}\n"                                                        \
    "  - at: 1s\n"                                                                                 \
    "    crash: {role: peer, fraction: 1.0, over: 0s}\n"                                           \
    "  - at: 1s\n"                                                                                 \
    "    crash: {role: supernode, fraction: 1.0, over: 0s}\n"

enum { BOOT_PEER, CRASH_PEER, CRASH_SN };

static void boot_online(struct rh *r)
{
    assert_int_equal(rh_fire(r, BOOT_PEER), 1);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1 && rh_g(r, G_SN_CLIENTS) == 1, 3000);
}

/* The scenario with parking on and `extra` keys after it, the peer
 * online, and both ends of its registration parked. */
static void start_parked(struct rh *r, const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "%scontrol: {park_idle: true}\n%s", PARK_BASE, extra);
    rh_start(r, yaml);
    boot_online(r);
    RH_RUN_UNTIL(r, r->h.conns_parked == 2, 3000);
}

/* What ms of keepalives did: how many were sent, how many connection ends
 * were unparked, how many requests the supernodes served. */
struct ka_window {
    uint64_t keepalives, unparks, served;
};

static struct ka_window keepalive_window(struct rh *r, int ms)
{
    struct ka_window w = {rh_c(r, C_KEEPALIVES), r->h.unparks, rh_c(r, C_SN_SERVED)};
    rh_run_for(r, ms);
    w.keepalives = rh_c(r, C_KEEPALIVES) - w.keepalives;
    w.unparks = r->h.unparks - w.unparks;
    w.served = rh_c(r, C_SN_SERVED) - w.served;
    return w;
}

/* Both ends of the registration park once it is quiet, and stay parked:
 * the peer sends its keepalives and reads their acknowledgements on the
 * parked fd, and the supernode reads each keepalive and answers it there
 * too. Five times the supernode's idle timeout later the peer is still its
 * client, neither end has made a bufferevent again, and every message and
 * byte sent was counted received. */
static void test_both_ends_park_and_keepalives_still_flow(void **state)
{
    struct rh *r = *state;
    start_parked(r, "");
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 2); /* parked, still open and counted */

    struct ka_window w = keepalive_window(r, 2500);
    assert_true(w.keepalives >= 10);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 0); /* every keepalive was read */
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 1); /* never re-registered */
    assert_int_equal(w.unparks, 0);
    RH_RUN_UNTIL(r,
                 r->h.conns_parked == 2 && rh_c(r, C_MSGS_SENT) == rh_c(r, C_MSGS_RECV) &&
                     rh_c(r, C_BYTES_SENT) == rh_c(r, C_BYTES_RECV),
                 1000);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 2);
}

/* A supernode that takes 20 ms to serve a keepalive answers it from its
 * capacity model, later, still on the parked socket. */
static void test_keepalive_served_later_answers_in_place(void **state)
{
    struct rh *r = *state;
    start_parked(r, "supernode: {service_time: 20ms}\n");
    struct ka_window w = keepalive_window(r, 1500);
    assert_true(w.keepalives >= 5);
    assert_true(w.served >= 5); /* through the capacity model */
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 0);
    assert_int_equal(w.unparks, 0);
    RH_RUN_UNTIL(r, rh_c(r, C_MSGS_SENT) == rh_c(r, C_MSGS_RECV), 1000);
}

/* With latency on the peers' messages a keepalive cannot go straight to the
 * socket: the peer unparks to send it through the impairment layer (the
 * supernode, unimpaired, still answers in place), and the keepalives still
 * flow. */
static void test_impaired_keepalives_unpark(void **state)
{
    struct rh *r = *state;
    start_parked(r, "network: {impair: {peer: {latency: 20ms}}}\n");
    struct ka_window w = keepalive_window(r, 2500);
    assert_true(w.keepalives >= 10);
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 0);
    assert_true(w.unparks + 1 >= w.keepalives); /* the peer's end, every keepalive */
    assert_true(w.unparks <= w.keepalives + 1); /* and only the peer's */
}

/* The peer crashes while both ends are parked: its fd closes, and the
 * supernode's parked end sees the EOF and lets the client go. */
static void test_supernode_notices_a_parked_client_leaving(void **state)
{
    struct rh *r = *state;
    start_parked(r, "");
    assert_int_equal(rh_fire(r, CRASH_PEER), 1);
    RH_RUN_UNTIL(r, rh_g(r, G_SN_CLIENTS) == 0 && rh_g(r, G_OPEN_CONNS) == 0, 3000);
    assert_int_equal(r->h.conns_parked, 0);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 0); /* the EOF, not the idle timeout */
}

/* The supernode crashes: the parked peer sees its connection close, counts
 * it lost and goes back to registering. */
static void test_parked_peer_notices_its_supernode_crash(void **state)
{
    struct rh *r = *state;
    start_parked(r, "");
    assert_int_equal(rh_fire(r, CRASH_SN), 1);
    RH_RUN_UNTIL(r, rh_c(r, C_ONLINE_LOST) == 1, 3000);
    assert_int_equal(rh_g(r, G_ONLINE), 0);
    RH_RUN_UNTIL(r, r->h.conns_parked == 0, 1000);
}

/* By default nothing parks. */
static void test_nothing_parks_by_default(void **state)
{
    struct rh *r = *state;
    rh_start(r, PARK_BASE);
    boot_online(r);
    rh_run_for(r, 500);
    assert_int_equal(r->h.conns_parked, 0);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 2);
    assert_int_equal(rh_c(r, C_CONN_IDLE), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_both_ends_park_and_keepalives_still_flow),
        T(test_keepalive_served_later_answers_in_place),
        T(test_impaired_keepalives_unpark),
        T(test_supernode_notices_a_parked_client_leaving),
        T(test_parked_peer_notices_its_supernode_crash),
        T(test_nothing_parks_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
