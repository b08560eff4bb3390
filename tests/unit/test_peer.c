/* test_peer.c - the peer role (node/peer.c) on a real event loop: a host with
 * one peer, one login server and one supernode, all real; the servers are
 * configured (capacity, ticket lifetime) or crashed to give the peer the
 * answer a test needs (role_harness.h). */
#include "role_harness.h"

/* Every test has one peer, one login server and one supernode, and these
 * events, fired by index when the test wants them (their `at` is unused). */
#define PEER_BASE                                                                                  \
    "name: peer-test\n"                                                                            \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 1, login_servers: 1, supernodes: 1}\n"                                         \
    "events:\n"                                                                                    \
    "  - at: 0s\n"                                                                                 \
    "    boot: {fraction: 1.0, over: 0s}\n"                                                        \
    "  - at: 1s\n"                                                                                 \
    "    crash: {role: peer, fraction: 1.0, over: 0s}\n"                                           \
    "  - at: 1s\n"                                                                                 \
    "    crash: {role: login_server, fraction: 1.0, over: 0s}\n"                                   \
    "  - at: 1s\n"                                                                                 \
    "    crash: {role: supernode, fraction: 1.0, over: 0s}\n"

enum { BOOT_PEER, CRASH_PEER, CRASH_LS, CRASH_SN };

#define LS_ID 0

static void boot(struct rh *r)
{
    assert_int_equal(rh_fire(r, BOOT_PEER), 1);
}

/* ---- the path that works ---- */

static void test_peer_boots_logs_in_and_registers(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms}\n"
                          "peer: {boot_delay: 1ms}\n");
    assert_int_equal(rh_g(r, G_OFF), 1);
    boot(r);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 3000);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 1);
    assert_int_equal(rh_c(r, C_REG_OK), 1);
    assert_int_equal(rh_c(r, C_SN_REGISTERED), 1);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
    assert_int_equal(rh_g(r, G_OFF), 0);
}

/* ---- login backoff ---- */

static void test_peer_backs_off_after_busy(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {workers: 1, queue: 0, service_time: 30s}\n"
                          "peer:\n"
                          "  boot_delay: 1ms\n"
                          "  login: {timeout: 10s, retry: {policy: fixed, base: 1s}}\n");
    /* A fake client holds the login server's only worker, and nothing may
     * queue: the peer's login gets BUSY. */
    struct rh_client *hog = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    struct wire_msg req = rh_login_req(r, 999999, true);
    rh_send(hog, &req);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_BUSY) == 1, 3000);

    boot(r);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_BUSY) >= 1, 3000);
    int64_t busy_at = clock_mono_ns();
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 1);
    assert_int_equal(rh_c(r, C_LS_REJECTED), 1);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 1);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0); /* backing off, not trying */

    rh_run_for(r, 500); /* half the policy's delay: no new attempt yet */
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 1);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ATTEMPTS) >= 2, 3000);
    /* The delay counts from the BUSY, which the peer saw a little before
     * this loop noticed it: more so on a loaded machine, hence the slack. */
    assert_true(clock_mono_ns() - busy_at >= 750 * RH_MS);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_BUSY) >= 2, 3000); /* still full: BUSY again */
    assert_int_equal(rh_c(r, C_LOGIN_GIVEUP), 0);
}

/* ---- tickets ---- */

static void test_peer_logs_in_again_when_ticket_expired(void **state)
{
    struct rh *r = *state;
    /* Tickets live 1 ms and the supernode takes 200 ms to look at one, so
     * every REGISTER is refused as expired. Retry delays of 30 s tell a
     * backoff apart from going straight back to login. */
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms, ticket_ttl: 1ms}\n"
                          "supernode: {service_time: 200ms}\n"
                          "peer:\n"
                          "  boot_delay: 1ms\n"
                          "  login: {timeout: 5s, retry: {policy: fixed, base: 30s}}\n"
                          "  register: {timeout: 5s, retry: {policy: fixed, base: 30s}}\n");
    boot(r);
    RH_RUN_UNTIL(r, rh_c(r, C_REG_FAIL) >= 1, 3000);
    assert_int_equal(rh_c(r, C_REG_FAIL), 1);
    assert_int_equal(rh_c(r, C_SN_REFUSED_EXPIRED), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 1);
    /* The REGISTER_FAIL started a new login at once, without a backoff. */
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_OK) >= 2, 2000);
    assert_int_equal(rh_c(r, C_LOGIN_BUSY) + rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_TIMEOUT) +
                         rh_c(r, C_LOGIN_FAIL),
                     0);
    assert_int_equal(rh_c(r, C_REG_GIVEUP), 0);
    /* The fresh ticket is refused too: the supernode cannot take one in
     * time. Now the peer backs off (30 s) instead of looping login ->
     * register -> refused as fast as the servers answer. */
    RH_RUN_UNTIL(r, rh_c(r, C_REG_FAIL) >= 2, 3000);
    rh_run_for(r, 500);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 1); /* waiting to log in again */
}

/* Consecutive refused tickets add up to the login policy's max_attempts:
 * the peer gives up instead of cycling forever. */
static void test_peer_gives_up_when_every_ticket_is_refused(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms, ticket_ttl: 1ms}\n"
                          "supernode: {service_time: 50ms}\n"
                          "peer:\n"
                          "  boot_delay: 1ms\n"
                          "  login: {timeout: 5s, retry: {policy: fixed, base: 10ms,"
                          " max_attempts: 3}}\n");
    boot(r);
    RH_RUN_UNTIL(r, rh_g(r, G_GAVE_UP) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_GIVEUP), 1);
    assert_true(rh_c(r, C_LOGIN_ATTEMPTS) <= 4);
    assert_int_equal(rh_c(r, C_REG_OK), 0);
}

/* ---- giving up ---- */

static void test_peer_gives_up_login_after_max_attempts(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "peer:\n"
                          "  boot_delay: 1ms\n"
                          "  login:\n"
                          "    timeout: 2s\n"
                          "    retry: {policy: fixed, base: 20ms, max_attempts: 3}\n");
    /* No login server listens: every login is refused at connect. */
    rh_fire(r, CRASH_LS);
    assert_int_equal(rh_g(r, G_LS_UP), 0);
    boot(r);
    RH_RUN_UNTIL(r, rh_g(r, G_GAVE_UP) == 1, 3000);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 3);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR), 3);
    assert_int_equal(rh_c(r, C_LOGIN_GIVEUP), 1);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 0);
    rh_run_for(r, 100); /* five retry delays: it stays given up */
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 3);
    assert_int_equal(rh_g(r, G_GAVE_UP), 1);
}

static void test_peer_gives_up_register_after_max_attempts(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms}\n"
                          "peer:\n"
                          "  boot_delay: 1ms\n"
                          "  register:\n"
                          "    timeout: 2s\n"
                          "    retry: {policy: fixed, base: 20ms, max_attempts: 2}\n");
    /* The only supernode is down: every REGISTER is refused at connect. */
    rh_fire(r, CRASH_SN);
    assert_int_equal(rh_g(r, G_SN_COUNT), 0);
    boot(r);
    RH_RUN_UNTIL(r, rh_g(r, G_GAVE_UP) == 1, 3000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 2);
    assert_int_equal(rh_c(r, C_REG_ERROR), 2);
    assert_int_equal(rh_c(r, C_REG_GIVEUP), 1);
    assert_int_equal(rh_c(r, C_LOGIN_GIVEUP), 0);
    assert_int_equal(rh_g(r, G_REGISTERING), 0);
    rh_run_for(r, 100);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 2);
}

/* ---- crashes ---- */

static void test_peer_crash_mid_login_counts_login_aborted(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {workers: 1, service_time: 30s}\n"
                          "peer: {boot_delay: 1ms}\n");
    boot(r);
    /* The login server is serving the peer's request: the login is in flight. */
    RH_RUN_UNTIL(r, rh_g(r, G_LS_BUSY) == 1, 3000);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 1);
    assert_int_equal(rh_fire(r, CRASH_PEER), 1);
    assert_int_equal(rh_c(r, C_PEER_CRASHES), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ABORTED), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 1); /* every attempt has its outcome */
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 0);
    assert_int_equal(rh_g(r, G_OFF), 1);
    /* The connection went down with the peer: the server sees it close. */
    RH_RUN_UNTIL(r, rh_g(r, G_OPEN_CONNS) == 0, 3000);
}

static void test_peer_crash_mid_register_counts_reg_aborted(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms}\n"
                          "supernode: {service_time: 30s}\n"
                          "peer: {boot_delay: 1ms}\n");
    boot(r);
    RH_RUN_UNTIL(r, rh_g(r, G_REG_IN_FLIGHT) == 1, 3000);
    assert_int_equal(rh_fire(r, CRASH_PEER), 1);
    assert_int_equal(rh_c(r, C_REG_ABORTED), 1);
    assert_int_equal(rh_c(r, C_REG_ATTEMPTS), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ABORTED), 0);
    assert_int_equal(rh_g(r, G_REG_IN_FLIGHT), 0);
    assert_int_equal(rh_g(r, G_REGISTERING), 0);
    assert_int_equal(rh_g(r, G_OFF), 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

/* ---- a hostile supernode ---- */

/* Play the supernode at its own address (the real one crashed): accept the
 * peer, answer its REGISTER with REGISTER_OK, then send REGISTER_FAIL on the
 * registered connection. An online peer takes that as out of order: it stays
 * online, and the frame counts as malformed. */
static void test_online_peer_ignores_a_late_register_fail(void **state)
{
    struct rh *r = *state;
    rh_start(r, PEER_BASE "login_server: {service_time: 1ms}\n"
                          "peer: {boot_delay: 1ms}\n");
    uint32_t sn = rh_sn_id(r, 0);
    rh_fire(r, CRASH_SN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(lfd >= 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(rh_sn_port(r, sn)),
                             .sin_addr.s_addr = htonl(rh_ip(r, sn))};
    assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(lfd, 4), 0);
    boot(r);
    int fd = -1;
    RH_RUN_UNTIL(r, (fd = accept(lfd, NULL, NULL)) >= 0, 3000);
    RH_RUN_UNTIL(r, rh_c(r, C_REG_ATTEMPTS) == 1, 3000);
    rh_run_for(r, 20); /* the REGISTER is in our socket; its content does not matter */
    uint8_t buf[600];
    struct wire_msg ok = {.type = WIRE_REGISTER_OK};
    size_t n = rh_frame(&ok, buf, sizeof buf);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 3000);
    uint64_t malformed = rh_c(r, C_MALFORMED);
    struct wire_msg fail = {.type = WIRE_REGISTER_FAIL, .u.reason = WIRE_REASON_FORGED_TICKET};
    n = rh_frame(&fail, buf, sizeof buf);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) > malformed, 3000);
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_c(r, C_REG_FAIL), 0);
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    close(fd);
    close(lfd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_peer_boots_logs_in_and_registers),
        T(test_peer_backs_off_after_busy),
        T(test_peer_logs_in_again_when_ticket_expired),
        T(test_peer_gives_up_when_every_ticket_is_refused),
        T(test_peer_gives_up_login_after_max_attempts),
        T(test_peer_gives_up_register_after_max_attempts),
        T(test_peer_crash_mid_login_counts_login_aborted),
        T(test_peer_crash_mid_register_counts_reg_aborted),
        T(test_online_peer_ignores_a_late_register_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
