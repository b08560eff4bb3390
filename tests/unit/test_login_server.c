/* test_login_server.c - the login server role (node/login_server.c) on a real
 * event loop: a host with one login server, and fake TLS 1.3 clients that
 * send LOGIN_REQ the way peers do (role_harness.h). */
#include "role_harness.h"

/* One worker and a service time far longer than any test, so a request that
 * starts service holds the worker for the whole test unless said otherwise. */
#define LS_SCENARIO(extra)                                                                         \
    "name: ls-test\n"                                                                              \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 8, login_servers: 1, supernodes: 1}\n"                                         \
    "login_server:\n"                                                                              \
    "  workers: 1\n" extra

#define LS_ID 0 /* login servers come first */

/* A client that has finished its TLS handshake, so that the steps of a test
 * that must fall within one service time are not spent on handshakes. */
static struct rh_client *connected(struct rh *r)
{
    struct rh_client *c = rh_connect_tls(r, rh_ip(r, LS_ID), rh_port(r, LS_ID));
    RH_RUN_UNTIL(r, c->connected || c->closed, 3000);
    assert_true(c->connected);
    return c;
}

/* User k is the run's k-th peer (mod the peer count): a login server signs
 * only for the peers of its run. */
static uint64_t peer_user(const struct rh *r, uint64_t k)
{
    return r->pl.first_peer + k % r->pl.n_peers;
}

static void send_login(struct rh *r, struct rh_client *c, uint64_t user, bool valid)
{
    struct wire_msg m = rh_login_req(r, peer_user(r, user), valid);
    rh_send(c, &m);
}

static struct rh_client *login(struct rh *r, uint64_t user, bool valid)
{
    struct rh_client *c = connected(r);
    send_login(r, c, user, valid);
    return c;
}

/* ---- answers ---- */

static void test_login_server_issues_ticket_for_valid_credential(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 1ms\n"
                            "  ticket_ttl: 10m\n"));
    struct rh_client *c = login(r, 4242, true);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_true(c->connected);
    assert_int_equal(c->msg[0].type, WIRE_LOGIN_OK);
    const struct wire_ticket *t = &c->msg[0].u.ticket;
    assert_int_equal(t->user_id, peer_user(r, 4242));
    /* Signed by the run's ticket key, expiring ticket_ttl from now. */
    int64_t now_ms = host_now(&r->h) / RH_MS;
    assert_int_equal(t->addr, RH_CLIENT_IP); /* bound to where the client came from */
    assert_int_equal(ticket_check(&r->keys, t, (uint64_t)now_ms, RH_CLIENT_IP), TICKET_VALID);
    assert_true(t->expiry_ms > (uint64_t)now_ms + 9 * 60 * 1000);
    assert_true(t->expiry_ms <= (uint64_t)now_ms + 10 * 60 * 1000);
    assert_int_equal(rh_c(r, C_LS_ACCEPTED), 1);
    assert_int_equal(rh_c(r, C_LS_SERVED), 1);
    /* The server keeps the connection open until the client closes it. */
    rh_run_for(r, 20);
    assert_false(c->closed);
}

static void test_login_server_refuses_bad_credential(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 1ms\n"));
    struct rh_client *c = login(r, 4242, false);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_LOGIN_FAIL);
    assert_int_equal(c->msg[0].u.reason, WIRE_REASON_BAD_CREDENTIALS);
    assert_int_equal(rh_c(r, C_LS_SERVED), 1); /* a refusal still costs a service */
}

/* ---- admission ---- */

static void test_login_server_answers_busy_when_queue_full(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 30s\n"
                            "  queue: 1\n"
                            "  admission: bounded-queue\n"));
    /* One request in service, one waiting: the third finds the queue full. */
    struct rh_client *serving = login(r, 1, true);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_BUSY) == 1, 3000);
    struct rh_client *waiting = login(r, 2, true);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_QUEUE) == 1, 3000);
    struct rh_client *refused = login(r, 3, true);
    RH_RUN_UNTIL(r, refused->n_msg >= 1, 3000);

    assert_int_equal(refused->msg[0].type, WIRE_BUSY);
    assert_int_equal(refused->msg[0].u.retry_after_ms, 0); /* bounded-queue gives no hint */
    assert_int_equal(rh_c(r, C_LS_REJECTED), 1);
    assert_int_equal(rh_c(r, C_LS_ACCEPTED), 3);
    assert_int_equal(rh_g(r, G_LS_BUSY), 1);
    assert_int_equal(rh_g(r, G_LS_QUEUE), 1);
    assert_int_equal(serving->n_msg, 0);
    assert_int_equal(waiting->n_msg, 0);
    assert_int_equal(rh_c(r, C_LS_SERVED), 0);
}

/* ---- abandoned requests ---- */

/* A first client holds the only worker for service_time; a second one waits
 * in the queue and leaves. Returns the first. */
static struct rh_client *queue_then_abandon(struct rh *r)
{
    struct rh_client *first = connected(r), *second = connected(r);
    send_login(r, first, 1, true);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_BUSY) == 1, 3000);
    send_login(r, second, 2, true);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_QUEUE) == 1, 3000);
    rh_close(second);
    return first;
}

/* The credential must be a peer's of this run: an id that is a supernode,
 * or past the last node, is refused even with the HMAC a rank secret makes
 * for it. */
static void test_login_server_refuses_ids_that_are_not_peers(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 1ms\n"));
    uint64_t ids[] = {r->pl.first_sn, r->pl.n_nodes, UINT64_MAX};
    for (int i = 0; i < 3; i++) {
        struct rh_client *c = connected(r);
        struct wire_msg m = rh_login_req(r, ids[i], true);
        rh_send(c, &m);
        RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
        assert_int_equal(c->msg[0].type, WIRE_LOGIN_FAIL);
        assert_int_equal(c->msg[0].u.reason, WIRE_REASON_BAD_CREDENTIALS);
    }
}

/* A connection carries one login. A second LOGIN_REQ, while the first is
 * queued or after it was answered, is refused as out of order: it never
 * reaches the capacity model (issue 13, defect 5). */
static void test_login_server_serves_one_request_per_connection(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 50ms\n"));
    struct rh_client *c = connected(r);
    send_login(r, c, 1, true);
    send_login(r, c, 1, true); /* while the first is being served */
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    send_login(r, c, 1, true); /* after the answer */
    RH_RUN_UNTIL(r, rh_c(r, C_MALFORMED) >= 2, 3000);
    rh_run_for(r, 150); /* time for a wrongly queued request to be served */

    assert_int_equal(c->msg[0].type, WIRE_LOGIN_OK);
    assert_int_equal(c->n_msg, 1);
    assert_int_equal(rh_c(r, C_LS_SERVED), 1);
    assert_int_equal(rh_c(r, C_MALFORMED), 2);
    assert_int_equal(rh_g(r, G_LS_QUEUE), 0);
    assert_int_equal(rh_g(r, G_LS_BUSY), 0);
}

static void test_login_server_serves_abandoned_request_as_wasted(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 200ms\n"
                            "  queue: 4\n"
                            "  drop_abandoned: false\n"));
    struct rh_client *first = queue_then_abandon(r);
    RH_RUN_UNTIL(r, first->n_msg >= 1, 3000);
    assert_int_equal(first->msg[0].type, WIRE_LOGIN_OK);
    /* The departed client's request still takes the worker for a full
     * service, and its answer goes nowhere. */
    RH_RUN_UNTIL(r, rh_c(r, C_LS_WASTED) >= 1, 3000);
    assert_int_equal(rh_c(r, C_LS_SERVED), 1);
    assert_int_equal(r->h.m.ls_service_us.count, 2);
    assert_true(r->h.m.ls_service_us.sum >= 2 * 200000);
    assert_int_equal(rh_g(r, G_LS_BUSY), 0);
    assert_int_equal(rh_g(r, G_LS_QUEUE), 0);
}

static void test_login_server_drops_abandoned_request_when_configured(void **state)
{
    struct rh *r = *state;
    rh_start(r, LS_SCENARIO("  service_time: 200ms\n"
                            "  queue: 4\n"
                            "  drop_abandoned: true\n"));
    struct rh_client *first = queue_then_abandon(r);
    /* Dropped as soon as the server notices the close, long before a
     * worker is free. */
    RH_RUN_UNTIL(r, rh_g(r, G_LS_QUEUE) == 0, 3000);
    assert_int_equal(rh_g(r, G_LS_BUSY), 1);
    RH_RUN_UNTIL(r, first->n_msg >= 1, 3000);
    assert_int_equal(first->msg[0].type, WIRE_LOGIN_OK);
    rh_run_for(r, 300); /* over a service time: a served request would be done */
    assert_int_equal(rh_c(r, C_LS_WASTED), 0);
    assert_int_equal(rh_c(r, C_LS_SERVED), 1);
    assert_int_equal(r->h.m.ls_service_us.count, 1);
    assert_int_equal(rh_g(r, G_LS_BUSY), 0);
}

static void test_login_server_wastes_request_in_service_even_when_dropping(void **state)
{
    struct rh *r = *state;
    /* drop_abandoned only removes requests still queued: one that a worker
     * has started is finished, and wasted. */
    rh_start(r, LS_SCENARIO("  service_time: 200ms\n"
                            "  drop_abandoned: true\n"));
    struct rh_client *c = login(r, 1, true);
    RH_RUN_UNTIL(r, rh_g(r, G_LS_BUSY) == 1, 3000);
    rh_close(c);
    RH_RUN_UNTIL(r, rh_c(r, C_LS_WASTED) >= 1, 3000);
    assert_int_equal(rh_c(r, C_LS_SERVED), 0);
    assert_int_equal(rh_g(r, G_LS_BUSY), 0);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_login_server_issues_ticket_for_valid_credential),
        T(test_login_server_refuses_bad_credential),
        T(test_login_server_refuses_ids_that_are_not_peers),
        T(test_login_server_answers_busy_when_queue_full),
        T(test_login_server_serves_one_request_per_connection),
        T(test_login_server_serves_abandoned_request_as_wasted),
        T(test_login_server_drops_abandoned_request_when_configured),
        T(test_login_server_wastes_request_in_service_even_when_dropping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
