/* test_faults.c - scenario events on a rank (node/faults.c) on a real event
 * loop: an event's window starts at its scheduled instant, however late the
 * rank gets to fire it (role_harness.h). */
#include "role_harness.h"

#include "common/rng.h"

#define PEERS 40
#define WINDOW_S 10

/* One event: boot every peer over WINDOW_S. The boot delay is long, so that
 * a booted peer stays booting (not off) for the whole test. */
#define FAULTS_BASE                                                                                \
    "name: faults-test\n"                                                                          \
    "seed: 7\n"                                                                                    \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 40, login_servers: 1, supernodes: 1}\n"                                        \
    "peer: {boot_delay: 50s}\n"                                                                    \
    "events:\n"                                                                                    \
    "  - at: 0s\n"                                                                                 \
    "    boot: {fraction: 1.0, over: 10s}\n"

/* How many peers the window has reached `late_s` after its start: those
 * whose place in it (faults.c: the hash of seed, id, event, 1) is due. */
static uint32_t due_after(const struct rh *r, double late_s)
{
    uint32_t n = 0;
    for (uint32_t id = 0; id < r->pl.n_nodes; id++)
        if (placement_role(&r->pl, id) == ROLE_PEER &&
            rng_hash_unit(r->scn.seed, id, 0, 1) * WINDOW_S <= late_s)
            n++;
    return n;
}

static void test_on_time_firing_boots_nobody_yet(void **state)
{
    struct rh *r = *state;
    rh_start(r, FAULTS_BASE);
    assert_int_equal(host_fire_event(&r->h, 0, &r->scn.events[0], host_now(&r->h)), PEERS);
    assert_true(rh_g(r, G_OFF) >= PEERS - 1); /* at most one hash that small */
}

static void test_late_firing_keeps_the_window_where_it_was(void **state)
{
    struct rh *r = *state;
    rh_start(r, FAULTS_BASE);
    /* Fired 4 s after its instant: the peers due in the first 4 s of the
     * window boot at once, the rest keep their places. */
    int64_t at = host_now(&r->h) - 4 * NS_PER_S;
    assert_int_equal(host_fire_event(&r->h, 0, &r->scn.events[0], at), PEERS);
    uint32_t due = due_after(r, 4.0);
    assert_true(due > 0 && due < PEERS); /* the seed puts some on each side */
    assert_int_equal(PEERS - rh_g(r, G_OFF), due);
    /* A second later, the window has reached the next second's peers. */
    rh_run_for(r, 1000);
    uint32_t later = due_after(r, 5.0);
    assert_true(PEERS - rh_g(r, G_OFF) >= later);
    assert_true(PEERS - rh_g(r, G_OFF) <= due_after(r, 5.5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_on_time_firing_boots_nobody_yet, rh_setup,
                                        rh_teardown),
        cmocka_unit_test_setup_teardown(test_late_firing_keeps_the_window_where_it_was, rh_setup,
                                        rh_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
