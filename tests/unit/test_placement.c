/* test_placement.c - which rank hosts which node (common/placement.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/placement.h"
#include "common/scenario.h"

/* 3 login servers, 1 service, 4 supernodes, 20 peers, 2 injected SNs. */
static void make(struct scenario *s, enum scn_servers servers, uint32_t server_ranks)
{
    char err[512];
    const char *yaml =
        "name: p\nduration: 10s\n"
        "nodes: {peers: 20, login_servers: 3, services: 1, supernodes: 4, bootstrap: 1}\n"
        "events:\n  - {at: 1s, inject_supernodes: {count: 2, max_clients: 5}}\n";
    assert_int_equal(scenario_load_string(yaml, "test", NULL, 0, s, err, sizeof err), 0);
    s->placement.servers = servers;
    s->placement.server_ranks = server_ranks;
}

static void test_mixed_deals_every_node_round_robin(void **state)
{
    struct scenario s;
    struct placement p;
    make(&s, SERVERS_MIXED, 1);
    placement_init(&p, &s, 4); /* ranks 1..3 host */
    for (uint32_t id = 0; id < p.n_nodes; id++)
        assert_int_equal(placement_rank_of(&p, id), 1 + (int)(id % 3));
    assert_int_equal(placement_count_on(&p, 1) + placement_count_on(&p, 2) +
                         placement_count_on(&p, 3),
                     p.n_nodes);
    assert_int_equal(placement_count_on(&p, 0), 0);
}

static void test_dedicated_keeps_peers_off_server_ranks(void **state)
{
    struct scenario s;
    struct placement p;
    make(&s, SERVERS_DEDICATED, 2);
    placement_init(&p, &s, 6); /* ranks 1-2 servers, 3-5 peers */
    uint32_t on[6] = {0};
    for (uint32_t id = 0; id < p.n_nodes; id++) {
        int r = placement_rank_of(&p, id);
        on[r]++;
        if (placement_role(&p, id) == ROLE_PEER)
            assert_true(r >= 3 && r <= 5);
        else
            assert_true(r == 1 || r == 2);
    }
    for (int r = 0; r < 6; r++)
        assert_int_equal(placement_count_on(&p, r), on[r]);
    /* 10 servers (3 LS, 1 service, 4 SNs, 2 injected) over 2 ranks, 20 peers over 3 */
    assert_int_equal(on[1] + on[2], 10);
    assert_int_equal(on[1], 5);
    assert_int_equal(on[3], 7);
    assert_int_equal(on[5], 6);
}

static void test_dedicated_host_mode_ports_are_unique_per_rank(void **state)
{
    struct scenario s;
    struct placement p;
    make(&s, SERVERS_DEDICATED, 1);
    s.network.mode = NET_HOST;
    uint32_t ips[4] = {0, 0x0a000001, 0x0a000001, 0x0a000002}; /* ranks 1, 2 share a host */
    placement_init(&p, &s, 4);
    placement_set_hosts(&p, ips);
    for (uint32_t a = 0; a < p.n_nodes; a++)
        for (uint32_t b = a + 1; b < p.n_nodes; b++)
            if (placement_addr(&p, a) == placement_addr(&p, b))
                assert_int_not_equal(placement_port(&p, a), placement_port(&p, b));
}

static void test_dedicated_needs_a_rank_for_the_peers(void **state)
{
    struct scenario s;
    char err[512];
    make(&s, SERVERS_DEDICATED, 2);
    assert_int_equal(placement_check_ranks(&s, 3, err, sizeof err), -1); /* 2 node ranks */
    assert_non_null(strstr(err, "placement.server_ranks"));
    assert_non_null(strstr(err, "mpirun -np 4"));
    assert_int_equal(placement_check_ranks(&s, 4, err, sizeof err), 0);
    make(&s, SERVERS_MIXED, 2);
    assert_int_equal(placement_check_ranks(&s, 1, err, sizeof err), 0);
}

static void test_dedicated_that_cannot_fit_falls_back_to_mixed(void **state)
{
    /* placement_check_ranks refuses such a run; the placement itself must
     * still be well defined (no division by zero) on every rank. */
    struct scenario s;
    struct placement p;
    make(&s, SERVERS_DEDICATED, 5);
    placement_init(&p, &s, 3);
    assert_int_equal(p.server_ranks, 0);
    assert_int_equal(placement_rank_of(&p, 5), 1 + 5 % 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_deals_every_node_round_robin),
        cmocka_unit_test(test_dedicated_keeps_peers_off_server_ranks),
        cmocka_unit_test(test_dedicated_host_mode_ports_are_unique_per_rank),
        cmocka_unit_test(test_dedicated_needs_a_rank_for_the_peers),
        cmocka_unit_test(test_dedicated_that_cannot_fit_falls_back_to_mixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
