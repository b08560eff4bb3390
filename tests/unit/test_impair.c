/* test_impair.c - the latency part of the impairment layer (node/impair.c)
 * under a supernode that delays its answers: each connection's delayed
 * messages keep their order despite jitter, closing one connection discards
 * only its own, and a host torn down with messages still held frees them
 * (LeakSanitizer). Since issue 13 (defect 9) each connection has its own
 * queue, so a send or a close no longer scans every held message of the
 * rank; these tests pin the behaviour that change had to keep. */
#include "role_harness.h"

#define IMPAIR_SCENARIO                                                                            \
    "name: impair-test\n"                                                                          \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 1, supernodes: 1, bootstrap: 1}\n"                                             \
    "network:\n"                                                                                   \
    "  impair:\n"                                                                                  \
    "    supernode: {latency: 30ms, jitter: 60ms}\n"

#define KEEPALIVES 8

/* The seq of the last ACK kept (the harness keeps the first RH_MAX_MSGS). */
static uint32_t last_seq(const struct rh_client *c)
{
    uint32_t n = c->n_msg < RH_MAX_MSGS ? c->n_msg : RH_MAX_MSGS;
    return n > 1 ? c->msg[n - 1].u.seq : 0;
}

/* The ACKs after the REGISTER_OK: KEEPALIVE_ACKs with strictly rising seqs
 * (the supernode may answer two pipelined keepalives with one ACK). */
static void assert_acks_in_order(const struct rh_client *c)
{
    uint32_t n = c->n_msg < RH_MAX_MSGS ? c->n_msg : RH_MAX_MSGS;
    for (uint32_t i = 1; i < n; i++) {
        assert_int_equal(c->msg[i].type, WIRE_KEEPALIVE_ACK);
        if (i > 1)
            assert_true(c->msg[i].u.seq > c->msg[i - 1].u.seq);
    }
}

/* KEEPALIVE seq 1..n, each once the previous is acked or after a step, so
 * that several ACKs are held at once with different jitters. */
static void send_keepalives(struct rh *r, struct rh_client *a, struct rh_client *b)
{
    for (uint32_t s = 1; s <= KEEPALIVES - 1; s++) {
        struct wire_msg ka = {.type = WIRE_KEEPALIVE, .u.seq = s};
        rh_send(a, &ka);
        if (b)
            rh_send(b, &ka);
        rh_run_for(r, 3); /* served, then held by the jitter */
    }
}

static void test_delayed_answers_keep_their_order(void **state)
{
    struct rh *r = *state;
    rh_start(r, IMPAIR_SCENARIO);
    struct rh_client *a = rh_registered(r, 0, 1), *b = rh_registered(r, 0, 2);
    send_keepalives(r, a, b);
    RH_RUN_UNTIL(r, last_seq(a) == KEEPALIVES - 1 && last_seq(b) == KEEPALIVES - 1, 5000);
    assert_acks_in_order(a); /* in the order sent, jitter or not */
    assert_acks_in_order(b);
}

/* The supernode closes one client (replaced by a newer registration) while
 * both have ACKs held back: the other's still arrive, all of them. */
static void test_closing_one_connection_discards_only_its_messages(void **state)
{
    struct rh *r = *state;
    rh_start(r, IMPAIR_SCENARIO);
    struct rh_client *a = rh_registered(r, 0, 1), *b = rh_registered(r, 0, 2);
    send_keepalives(r, a, b);
    struct rh_client *a2 = rh_connect(r, rh_ip(r, rh_sn_id(r, 0)), rh_sn_port(r, rh_sn_id(r, 0)));
    struct wire_msg m = rh_register(r, 1, 60000); /* replaces a: its held ACKs go */
    rh_send(a2, &m);
    RH_RUN_UNTIL(r, a->closed && last_seq(b) == KEEPALIVES - 1 && a2->n_msg >= 1, 5000);
    assert_true(last_seq(a) < KEEPALIVES - 1);
    assert_acks_in_order(b);
    assert_int_equal(rh_c(r, C_SN_REPLACED), 1);
}

/* Teardown with ACKs still held: rh_teardown destroys the host, and
 * LeakSanitizer checks every held message was freed. */
static void test_teardown_frees_held_messages(void **state)
{
    struct rh *r = *state;
    rh_start(r, IMPAIR_SCENARIO);
    struct rh_client *a = rh_registered(r, 0, 1);
    send_keepalives(r, a, NULL);
    assert_true(last_seq(a) < KEEPALIVES - 1); /* some still held: 30 ms at least */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_delayed_answers_keep_their_order),
        T(test_closing_one_connection_discards_only_its_messages),
        T(test_teardown_frees_held_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
