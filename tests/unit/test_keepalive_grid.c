/* test_keepalive_grid.c - control.keepalive_grid (node/host.h,
 * host_keepalive_due): a keepalive's deadline is rounded up onto a grid
 * that every rank shares, the step is at most 1% of the keepalive
 * period, and a real peer's keepalives keep to it (role_harness.h). */
#include "role_harness.h"

#include "node/peer.h"

#define MS_NS (1000 * 1000LL)

/* host_keepalive_due on a host of `ranks` ranks, as rank `rank`. */
static int64_t due_on(int64_t step_ms, int64_t keepalive_ms, int rank, int ranks, int64_t due_ns)
{
    static struct scenario scn;
    memset(&scn, 0, sizeof scn);
    scn.control.keepalive_grid_ns = step_ms * MS_NS;
    scn.workload.keepalive_ns = keepalive_ms * MS_NS;
    struct host h;
    memset(&h, 0, sizeof h);
    h.scn = &scn;
    h.rank = rank;
    h.pl.world_size = ranks;
    return host_keepalive_due(&h, due_ns);
}

static void test_off_keeps_the_deadline(void **state)
{
    (void)state;
    assert_int_equal(due_on(0, 15000, 0, 1, 1234567), 1234567);
    assert_int_equal(due_on(0, 15000, 3, 4, 1234567), 1234567);
}

static void test_deadlines_round_up_onto_the_grid(void **state)
{
    (void)state;
    assert_int_equal(due_on(20, 15000, 0, 1, 1), 20 * MS_NS);
    assert_int_equal(due_on(20, 15000, 0, 1, 40 * MS_NS), 40 * MS_NS); /* on it: kept */
    assert_int_equal(due_on(20, 15000, 0, 1, 40 * MS_NS + 1), 60 * MS_NS);
    assert_int_equal(due_on(20, 15000, 0, 1, 0), 0);
}

/* 4 ranks, a 20 ms step: every rank rounds the same deadline to the same
 * step, so that a supernode's rank gets the step's keepalives from all
 * ranks in one wake-up. */
static void test_every_rank_shares_the_grid(void **state)
{
    (void)state;
    int64_t asked = 1000 * MS_NS + 1;
    for (int rank = 0; rank < 4; rank++)
        assert_int_equal(due_on(20, 15000, rank, 4, asked), 1020 * MS_NS);
    assert_int_equal(due_on(20, 15000, 3, 4, 1), 20 * MS_NS);
    assert_int_equal(due_on(20, 15000, 6, 4, 20 * MS_NS), 20 * MS_NS);
}

/* A keepalive every 500 ms: a 50 ms step would move keepalives by a tenth
 * of their period, so it is cut to 5 ms. */
static void test_step_is_at_most_a_hundredth_of_the_period(void **state)
{
    (void)state;
    assert_int_equal(due_on(50, 500, 0, 1, 1), 5 * MS_NS);
    assert_int_equal(due_on(50, 500, 0, 1, 7 * MS_NS), 10 * MS_NS);
    assert_int_equal(due_on(50, 15000, 0, 1, 7 * MS_NS), 50 * MS_NS); /* 150 ms cap: 50 */
}

/* A real peer with a keepalive every second and a 10 ms grid: whenever it
 * is online its next keepalive is due on the grid, each is sent no earlier
 * than a tick before that, and the supernode keeps it as a client. */
static void test_a_peer_keeps_to_the_grid(void **state)
{
    struct rh *r = *state;
    rh_start(r, "name: grid-test\n"
                "duration: 60s\n"
                "nodes: {peers: 1, login_servers: 1, supernodes: 1}\n"
                "login_server: {service_time: 1ms}\n"
                "peer: {boot_delay: 1ms}\n"
                "workload: {keepalive: 1s}\n"
                "control: {keepalive_grid: 10ms}\n"
                "events:\n"
                "  - at: 0s\n"
                "    boot: {fraction: 1.0, over: 0s}\n");
    assert_int_equal(rh_fire(r, 0), 1);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1 && rh_g(r, G_SN_CLIENTS) == 1, 3000);
    const struct peer *p = rh_node(r, ROLE_PEER, r->pl.first_peer);
    uint64_t sent = rh_c(r, C_KEEPALIVES);
    int64_t due = p->timer_due_ns, end = host_now(&r->h) + 3500 * MS_NS;
    assert_int_equal(due % (10 * MS_NS), 0);
    while (host_now(&r->h) < end) {
        rh_step(r);
        if (rh_c(r, C_KEEPALIVES) == sent)
            continue;
        sent = rh_c(r, C_KEEPALIVES);
        /* at its step: the harness's loop keeps libevent's coarse clock,
         * which can run a timer up to a tick (a few ms) early */
        assert_true(host_now(&r->h) >= due - 5 * MS_NS);
        assert_int_equal(p->state, PEER_ONLINE);
        /* The next: the first step at least a period after the send, which
         * was at the last step and before now. */
        assert_true(p->timer_due_ns >= due + 1000 * MS_NS - 5 * MS_NS);
        assert_true(p->timer_due_ns <= host_now(&r->h) + 1010 * MS_NS);
        due = p->timer_due_ns;
        assert_int_equal(due % (10 * MS_NS), 0);
    }
    assert_true(rh_c(r, C_KEEPALIVES) >= 3);
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    assert_int_equal(rh_g(r, G_SN_CLIENTS), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_keeps_the_deadline),
        cmocka_unit_test(test_deadlines_round_up_onto_the_grid),
        cmocka_unit_test(test_every_rank_shares_the_grid),
        cmocka_unit_test(test_step_is_at_most_a_hundredth_of_the_period),
        cmocka_unit_test_setup_teardown(test_a_peer_keeps_to_the_grid, rh_setup, rh_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
