/* test_balance.c - a front door's choice of a presence server (node/balance),
 * each policy on fixed inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/rng.h"
#include "common/scenario.h"
#include "node/balance.h"

#define NS_S 1000000000LL
#define STALE (3 * NS_S)

static const uint32_t ids[] = {10, 11, 12, 13};

static void init4(struct balancer *bl, enum scn_balance policy)
{
    assert_int_equal(balancer_init(bl, ids, 4, policy, STALE), 0);
}

/* The first n backends up and unlimited, with the given clients, reported at t. */
static void report_all(struct balancer *bl, const uint32_t *clients, uint32_t n, int64_t t)
{
    assert_true(n <= bl->n);
    for (uint32_t i = 0; i < n; i++)
        assert_true(balancer_report(bl, bl->b[i].node_id, true, clients[i], 0, 0, 0.1, t));
}

static void test_round_robin_cycles_and_skips(void **state)
{
    struct balancer bl;
    init4(&bl, BALANCE_ROUND_ROBIN);
    balancer_report(&bl, 10, true, 0, 0, 0, 0.0, 0);
    balancer_report(&bl, 11, false, 0, 0, 0, 0.0, 0); /* down */
    balancer_report(&bl, 12, true, 5, 5, 0, 1.0, 0);  /* full */
    balancer_report(&bl, 13, true, 0, 0, 0, 0.0, 0);
    int64_t now = NS_S;
    int want[] = {0, 3, 0, 3, 0};
    for (int k = 0; k < 5; k++)
        assert_int_equal(balancer_pick(&bl, now, NULL), want[k]);

    /* 12 gets room for two more: it joins the cycle until it is full again. */
    balancer_report(&bl, 12, true, 3, 5, 0, 0.6, now);
    int want2[] = {2, 3, 0, 2, 3, 0, 3, 0, 3};
    for (int k = 0; k < 9; k++)
        assert_int_equal(balancer_pick(&bl, now, NULL), want2[k]);

    /* 10 reports again at 2 s; the others' reports of 0 s and 1 s go stale. */
    balancer_report(&bl, 10, true, 0, 0, 0, 0.0, 2 * NS_S);
    assert_int_equal(balancer_n_healthy(&bl, 3 * NS_S), 2); /* 13: exactly 3 s old, still fine */
    now = 3 * NS_S + 1;
    assert_int_equal(balancer_n_healthy(&bl, now), 1);
    for (int k = 0; k < 3; k++)
        assert_int_equal(balancer_pick(&bl, now, NULL), 0);
    balancer_free(&bl);
}

static void test_least_conn_picks_lowest(void **state)
{
    struct balancer bl;
    init4(&bl, BALANCE_LEAST_CONN);
    report_all(&bl, (const uint32_t[]){30, 10, 5, 20}, 4, 0);
    balancer_report(&bl, 12, false, 5, 0, 0, 0.0, 0); /* the emptiest is down */
    assert_int_equal(balancer_pick(&bl, 1, NULL), 1);
    assert_int_equal(bl.b[1].assigned, 1);
    /* A report resets what was assigned since the last one. */
    balancer_report(&bl, 11, true, 11, 0, 0, 0.1, 2);
    assert_int_equal(bl.b[1].assigned, 0);
    balancer_free(&bl);
}

/* A server drowning in its queue has few registered clients (they time out
 * before it registers them) but many open connections: least-connections
 * and power of two choices count the queue, and send new clients elsewhere. */
static void test_queue_counts_as_connections(void **state)
{
    enum scn_balance policies[] = {BALANCE_LEAST_CONN, BALANCE_P2C};
    for (int k = 0; k < 2; k++) {
        struct balancer bl;
        struct rng rng;
        rng_seed(&rng, 7, 1, 0);
        assert_int_equal(balancer_init(&bl, ids, 2, policies[k], STALE), 0);
        balancer_report(&bl, 10, true, 5, 0, 400, 1.0, 0); /* 5 clients, 400 waiting */
        balancer_report(&bl, 11, true, 100, 0, 0, 0.5, 0); /* 100 clients, none waiting */
        for (int i = 0; i < 50; i++)
            assert_int_equal(balancer_pick(&bl, 1, &rng), 1);
        balancer_free(&bl);
    }
}

/* 3 servers reported at 10/20/30 clients, then 60 picks before the next
 * report: the assignments fill the gaps, and all end at 40. */
static void test_least_conn_spreads_burst(void **state)
{
    for (int with_rng = 0; with_rng < 2; with_rng++) {
        struct balancer bl;
        struct rng r;
        rng_seed(&r, 42, 7, RNG_STREAM_NODE);
        assert_int_equal(balancer_init(&bl, ids, 3, BALANCE_LEAST_CONN, STALE), 0);
        report_all(&bl, (const uint32_t[]){10, 20, 30}, 3, 0);
        uint32_t got[3] = {0};
        for (int k = 0; k < 60; k++) {
            int i = balancer_pick(&bl, NS_S, with_rng ? &r : NULL);
            assert_in_range(i, 0, 2);
            got[i]++;
        }
        assert_int_equal(got[0], 30);
        assert_int_equal(got[1], 20);
        assert_int_equal(got[2], 10);
        for (int i = 0; i < 3; i++)
            assert_int_equal(bl.b[i].clients + bl.b[i].assigned, 40);
        balancer_free(&bl);
    }
}

/* Equal estimates: front doors seeded differently do not all pick index 0. */
static void test_least_conn_ties_at_random(void **state)
{
    uint32_t first[4] = {0};
    for (uint64_t seed = 0; seed < 400; seed++) {
        struct balancer bl;
        struct rng r;
        rng_seed(&r, seed, 1, RNG_STREAM_NODE);
        init4(&bl, BALANCE_LEAST_CONN);
        report_all(&bl, (const uint32_t[]){7, 7, 7, 7}, 4, 0);
        first[balancer_pick(&bl, 1, &r)]++;
        balancer_free(&bl);
    }
    for (int i = 0; i < 4; i++)
        assert_in_range(first[i], 60, 140); /* 100 expected */
}

static void test_p2c_avoids_most_loaded_and_is_deterministic(void **state)
{
    int seq[2][200];
    for (int run = 0; run < 2; run++) {
        struct balancer bl;
        struct rng r;
        rng_seed(&r, 99, 3, RNG_STREAM_NODE);
        assert_int_equal(balancer_init(&bl, ids, 3, BALANCE_P2C, STALE), 0);
        report_all(&bl, (const uint32_t[]){0, 1000, 5}, 3, 0);
        uint32_t got[3] = {0};
        for (int k = 0; k < 200; k++) {
            seq[run][k] = balancer_pick(&bl, 1, &r);
            assert_int_not_equal(seq[run][k], 1);
            got[seq[run][k]]++;
        }
        assert_true(got[0] > 50 && got[2] > 50); /* both low ones take a share */
        balancer_free(&bl);
    }
    assert_memory_equal(seq[0], seq[1], sizeof seq[0]);

    /* With one healthy backend, that one. */
    struct balancer bl;
    struct rng r;
    rng_seed(&r, 1, 1, RNG_STREAM_NODE);
    init4(&bl, BALANCE_P2C);
    balancer_report(&bl, 12, true, 500, 0, 0, 0.9, 0);
    for (int k = 0; k < 10; k++)
        assert_int_equal(balancer_pick(&bl, 1, &r), 2);
    balancer_free(&bl);
}

static void test_health(void **state)
{
    struct balancer bl;
    init4(&bl, BALANCE_ROUND_ROBIN);
    assert_int_equal(balancer_n_healthy(&bl, 0), 0); /* never heard of */
    balancer_report(&bl, 10, true, 0, 0, 0, 0.0, 0);
    balancer_report(&bl, 11, false, 0, 0, 0, 0.0, 0);
    balancer_report(&bl, 12, true, 2, 3, 0, 0.5, 0);
    assert_true(balancer_healthy(&bl, 0, STALE));
    assert_false(balancer_healthy(&bl, 0, STALE + 1)); /* stale */
    assert_false(balancer_healthy(&bl, 1, 0));         /* down */
    assert_true(balancer_healthy(&bl, 2, 0));          /* 2 + 0 < 3 */
    assert_false(balancer_healthy(&bl, 3, 0));         /* never reported */
    assert_false(balancer_healthy(&bl, 4, 0));         /* no such index */
    bl.b[2].assigned = 1;
    assert_false(balancer_healthy(&bl, 2, 0)); /* 2 + 1 = max */
    assert_int_equal(balancer_n_healthy(&bl, 0), 1);
    balancer_free(&bl);
}

static void test_unknown_report_ignored(void **state)
{
    struct balancer bl;
    init4(&bl, BALANCE_LEAST_CONN);
    assert_false(balancer_report(&bl, 99, true, 0, 0, 0, 0.0, 0));
    assert_int_equal(balancer_n_healthy(&bl, 0), 0);
    for (uint32_t i = 0; i < 4; i++)
        assert_int_equal(bl.b[i].reported_ns, -1);
    assert_int_equal(balancer_find(&bl, 99), -1);
    assert_int_equal(balancer_find(&bl, 12), 2);
    balancer_free(&bl);
}

static void test_none_healthy(void **state)
{
    enum scn_balance policies[] = {BALANCE_ROUND_ROBIN, BALANCE_LEAST_CONN, BALANCE_P2C};
    struct rng r;
    rng_seed(&r, 5, 5, RNG_STREAM_NODE);
    for (int p = 0; p < 3; p++) {
        struct balancer bl;
        init4(&bl, policies[p]);
        assert_int_equal(balancer_pick(&bl, 0, &r), -1);
        balancer_report(&bl, 10, false, 0, 0, 0, 0.0, 0);
        balancer_report(&bl, 11, true, 4, 4, 0, 1.0, 0);
        balancer_report(&bl, 12, true, 0, 0, 0, 0.0, -2 * STALE);
        assert_int_equal(balancer_pick(&bl, 0, &r), -1);
        for (uint32_t i = 0; i < 4; i++)
            assert_int_equal(bl.b[i].assigned, 0);
        balancer_free(&bl);

        assert_int_equal(balancer_init(&bl, NULL, 0, policies[p], STALE), 0);
        assert_int_equal(balancer_pick(&bl, 0, &r), -1);
        balancer_free(&bl);
    }
}

static void test_initial_up(void **state)
{
    struct balancer bl;
    init4(&bl, BALANCE_ROUND_ROBIN);
    balancer_set_initial_up(&bl, 0, 0);
    balancer_set_initial_up(&bl, (uint32_t)balancer_find(&bl, 12), 0);
    assert_true(balancer_healthy(&bl, 0, 0));
    assert_true(balancer_healthy(&bl, 2, STALE));
    assert_false(balancer_healthy(&bl, 1, 0));
    assert_int_equal(balancer_pick(&bl, 1, NULL), 0);
    assert_int_equal(balancer_pick(&bl, 1, NULL), 2);
    /* 12 reports, 10 never does: 10 goes stale after STALE. */
    balancer_report(&bl, 12, true, 1, 0, 0, 0.1, 2 * NS_S);
    assert_int_equal(balancer_n_healthy(&bl, STALE + 1), 1);
    assert_false(balancer_healthy(&bl, 0, STALE + 1));
    assert_int_equal(balancer_pick(&bl, STALE + 1, NULL), 2);
    balancer_free(&bl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_cycles_and_skips),
        cmocka_unit_test(test_least_conn_picks_lowest),
        cmocka_unit_test(test_least_conn_spreads_burst),
        cmocka_unit_test(test_queue_counts_as_connections),
        cmocka_unit_test(test_least_conn_ties_at_random),
        cmocka_unit_test(test_p2c_avoids_most_loaded_and_is_deterministic),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_unknown_report_ignored),
        cmocka_unit_test(test_none_healthy),
        cmocka_unit_test(test_initial_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
