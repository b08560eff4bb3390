/* test_dht_lookup.c - Kademlia's iterative lookup (node/dht_lookup): the
 * state machine's rules on small hand-made shortlists, then whole lookups on
 * a simulated network of 2,000 nodes (no sockets), each with a routing table
 * (node/dht_table) that answers FIND_NODE with its k closest contacts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rng.h"
#include "node/dht_id.h"
#include "node/dht_lookup.h"
#include "node/dht_table.h"

#define PORT 5000

/* An id at distance d from the zero id. */
static struct dht_id dist_id(uint32_t d)
{
    struct dht_id id = {{0}};
    id.b[16] = (uint8_t)(d >> 24);
    id.b[17] = (uint8_t)(d >> 16);
    id.b[18] = (uint8_t)(d >> 8);
    id.b[19] = (uint8_t)d;
    return id;
}

static bool add_d(struct dht_lookup *l, uint32_t d, unsigned hop)
{
    struct dht_id id = dist_id(d);
    return dht_lookup_add(l, NULL, &id, d, PORT, hop);
}

static const struct dht_cand *next_d(struct dht_lookup *l, uint32_t want_d)
{
    const struct dht_cand *c = dht_lookup_next(l);
    assert_non_null(c);
    struct dht_id want = dist_id(want_d);
    assert_true(dht_id_eq(&c->id, &want));
    assert_int_equal(c->state, DHT_CAND_ASKED);
    return c;
}

static bool answered_d(struct dht_lookup *l, uint32_t d)
{
    struct dht_id id = dist_id(d);
    return dht_lookup_answered(l, &id);
}

static bool failed_d(struct dht_lookup *l, uint32_t d)
{
    struct dht_id id = dist_id(d);
    return dht_lookup_failed(l, &id);
}

static unsigned hop_d(const struct dht_lookup *l, uint32_t d)
{
    struct dht_id id = dist_id(d);
    return dht_lookup_hop_of(l, &id);
}

static void check_sorted(const struct dht_lookup *l)
{
    for (int i = 1; i < l->n; i++)
        assert_true(dht_id_closer(&l->target, &l->c[i - 1].id, &l->c[i].id) < 0);
}

/* ---- the state machine ---- */

static void test_empty_and_add(void **state)
{
    struct dht_id target = dist_id(0), self = dist_id(7);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 8, 3);
    assert_true(dht_lookup_done(&l)); /* no candidates at all */
    assert_null(dht_lookup_next(&l));
    assert_int_equal(dht_lookup_hops(&l), 0);

    assert_false(dht_lookup_add(&l, &self, &self, 7, PORT, 1));  /* ourselves */
    assert_true(dht_lookup_add(&l, &self, &target, 0, PORT, 1)); /* the target itself is fine */
    assert_true(add_d(&l, 30, 1));
    assert_true(add_d(&l, 10, 2));
    assert_false(add_d(&l, 10, 1)); /* already listed: hop unchanged */
    assert_int_equal(hop_d(&l, 10), 2);
    assert_int_equal(hop_d(&l, 11), 0);
    assert_int_equal(l.n, 3);
    check_sorted(&l);
    assert_false(dht_lookup_done(&l));
}

static void test_alpha_bounds_in_flight(void **state)
{
    struct dht_id target = dist_id(0);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 8, 3);
    for (uint32_t d = 10; d > 0; d--) /* offered farthest first */
        assert_true(add_d(&l, d, 1));
    next_d(&l, 1);
    next_d(&l, 2);
    next_d(&l, 3);
    assert_null(dht_lookup_next(&l)); /* alpha in flight */
    assert_int_equal(l.in_flight, 3);
    assert_false(dht_lookup_done(&l));

    assert_true(answered_d(&l, 2));
    assert_int_equal(l.in_flight, 2);
    next_d(&l, 4);
    assert_null(dht_lookup_next(&l));
    assert_true(failed_d(&l, 1));
    next_d(&l, 5);
    assert_true(answered_d(&l, 3));
    assert_true(answered_d(&l, 4));
    assert_true(answered_d(&l, 5));
    next_d(&l, 6);
    next_d(&l, 7);
    next_d(&l, 8);
    assert_true(answered_d(&l, 6));
    assert_true(answered_d(&l, 7));
    assert_true(answered_d(&l, 8));
    /* 1 failed: the 8 closest live are 2..9, so 9 is asked, and 10 never is. */
    next_d(&l, 9);
    assert_null(dht_lookup_next(&l));
    assert_false(dht_lookup_done(&l)); /* 9 in flight */
    assert_true(answered_d(&l, 9));
    assert_true(dht_lookup_done(&l));
    assert_null(dht_lookup_next(&l));

    struct dht_cand out[8];
    assert_int_equal(dht_lookup_result(&l, out, 8), 8);
    for (unsigned i = 0; i < 8; i++) {
        struct dht_id want = dist_id(2 + i);
        assert_true(dht_id_eq(&out[i].id, &want));
    }
    assert_int_equal(dht_lookup_result(&l, out, 3), 3);
    assert_int_equal(dht_lookup_answered_count(&l), 8);
    assert_int_equal(dht_lookup_hops(&l), 1);
}

static void test_late_and_unexpected_answers(void **state)
{
    struct dht_id target = dist_id(0);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 4, 2);
    for (uint32_t d = 1; d <= 4; d++)
        assert_true(add_d(&l, d, 1));
    next_d(&l, 1);
    next_d(&l, 2);
    assert_false(answered_d(&l, 3));  /* listed, never asked */
    assert_false(answered_d(&l, 99)); /* unknown */
    assert_false(failed_d(&l, 3));
    assert_int_equal(l.in_flight, 2);

    assert_true(answered_d(&l, 1));
    assert_false(answered_d(&l, 1)); /* a duplicate */
    assert_false(failed_d(&l, 1));   /* a timeout after it answered */
    assert_true(failed_d(&l, 2));
    assert_false(answered_d(&l, 2)); /* a late answer after the timeout */
    assert_int_equal(l.in_flight, 0);
    assert_int_equal(dht_lookup_answered_count(&l), 1);
}

static void test_all_seeds_dead(void **state)
{
    struct dht_id target = dist_id(0);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 8, 3);
    for (uint32_t d = 1; d <= 3; d++)
        assert_true(add_d(&l, d, 1));
    for (uint32_t d = 1; d <= 3; d++)
        next_d(&l, d);
    assert_null(dht_lookup_next(&l));
    for (uint32_t d = 1; d <= 3; d++) {
        assert_false(dht_lookup_done(&l));
        assert_true(failed_d(&l, d));
    }
    assert_true(dht_lookup_done(&l));
    assert_null(dht_lookup_next(&l));
    assert_int_equal(dht_lookup_answered_count(&l), 0);
    struct dht_cand out[8];
    assert_int_equal(dht_lookup_result(&l, out, 8), 0);
    assert_int_equal(dht_lookup_hops(&l), 0);
}

static void test_value_lookup_stops_at_found(void **state)
{
    struct dht_id target = dist_id(0);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 8, 3);
    assert_true(add_d(&l, 100, 1));
    assert_true(add_d(&l, 200, 1));
    next_d(&l, 100);
    next_d(&l, 200);
    assert_true(answered_d(&l, 100));
    assert_int_equal(hop_d(&l, 100), 1);
    assert_true(add_d(&l, 50, 2)); /* what 100 returned */
    assert_true(add_d(&l, 60, 2));
    next_d(&l, 50);
    assert_true(answered_d(&l, 50));
    assert_true(add_d(&l, 20, 3));
    assert_int_equal(dht_lookup_hops(&l), 2); /* a node lookup so far: 50 at hop 2 */
    struct dht_id fifty = dist_id(50);
    dht_lookup_found(&l, &fifty);
    assert_true(l.found);
    assert_int_equal(l.found_hop, 2);
    assert_true(dht_lookup_done(&l)); /* 200 still in flight, 20 and 60 never asked */
    assert_null(dht_lookup_next(&l));
    assert_int_equal(dht_lookup_hops(&l), 2);
    assert_true(answered_d(&l, 200)); /* its answer still counts, it changes nothing */
    assert_true(dht_lookup_done(&l));
    assert_int_equal(dht_lookup_hops(&l), 2);

    /* The value from a deeper contact. */
    dht_lookup_init(&l, &target, 8, 3);
    assert_true(add_d(&l, 9, 1));
    next_d(&l, 9);
    assert_true(answered_d(&l, 9));
    assert_true(add_d(&l, 5, 2));
    next_d(&l, 5);
    assert_true(answered_d(&l, 5));
    assert_true(add_d(&l, 3, 3));
    next_d(&l, 3);
    assert_true(answered_d(&l, 3));
    struct dht_id three = dist_id(3);
    dht_lookup_found(&l, &three);
    assert_int_equal(dht_lookup_hops(&l), 3);
}

static void test_shortlist_overflow(void **state)
{
    struct dht_id target = dist_id(0);
    struct dht_lookup l;
    dht_lookup_init(&l, &target, 32, 32);
    for (uint32_t i = 0; i < DHT_LOOKUP_MAX; i++) /* distances 100, 110, ..., 730 */
        assert_true(add_d(&l, 100 + 10 * i, 1));
    assert_int_equal(l.n, DHT_LOOKUP_MAX);
    /* Farther than all: not added. */
    assert_false(add_d(&l, 5000, 1));
    assert_int_equal(hop_d(&l, 5000), 0);
    /* Nearer: the farthest (not asked) goes. */
    assert_true(add_d(&l, 50, 1));
    assert_int_equal(l.n, DHT_LOOKUP_MAX);
    assert_int_equal(hop_d(&l, 730), 0);
    assert_int_equal(hop_d(&l, 720), 1);
    assert_int_equal(hop_d(&l, 50), 1);
    check_sorted(&l);

    /* Ask the 32 nearest (50, 100..400) and let them all time out; then the
     * next 32 (410..720) are asked and stay in flight. */
    for (int i = 0; i < 32; i++)
        assert_non_null(dht_lookup_next(&l));
    assert_null(dht_lookup_next(&l));
    assert_true(failed_d(&l, 50));
    for (uint32_t d = 100; d <= 400; d += 10)
        assert_true(failed_d(&l, d));
    for (int i = 0; i < 32; i++)
        assert_non_null(dht_lookup_next(&l));
    assert_null(dht_lookup_next(&l));
    assert_int_equal(l.in_flight, 32);
    assert_int_equal(l.c[DHT_LOOKUP_MAX - 1].state, DHT_CAND_ASKED);

    /* A nearer newcomer takes the place of the farthest failed one (400),
     * never of a contact in flight. */
    assert_true(add_d(&l, 40, 2));
    assert_int_equal(hop_d(&l, 400), 0);
    assert_int_equal(hop_d(&l, 390), 1);
    assert_int_equal(hop_d(&l, 720), 1);
    check_sorted(&l);
    /* One that would go among those in flight, with nothing droppable
     * beyond it: not added; nor one farther than all. */
    assert_false(add_d(&l, 555, 2));
    assert_false(add_d(&l, 9999, 2));
    assert_int_equal(l.n, DHT_LOOKUP_MAX);
    for (uint32_t d = 410; d <= 720; d += 10)
        assert_true(answered_d(&l, d));
    assert_int_equal(dht_lookup_answered_count(&l), 32);
    assert_false(add_d(&l, 555, 2)); /* answered 32 = k: all of them are the result */
    next_d(&l, 40);                  /* the newcomer is asked */

    /* A long lookup: each answer brings a nearer contact, 200 in all, so the
     * far seeds are dropped first, then the farthest answered ones, as the
     * list is full of answered contacts (more than k). */
    dht_lookup_init(&l, &target, 4, 4);
    for (uint32_t i = 0; i < DHT_LOOKUP_MAX; i++)
        assert_true(add_d(&l, 10000 + 10 * i, 1));
    uint32_t nearer = 10000;
    unsigned rounds = 0;
    while (!dht_lookup_done(&l)) {
        const struct dht_cand *c;
        uint32_t asked[4];
        int na = 0;
        while ((c = dht_lookup_next(&l)))
            asked[na++] = c->ip;
        assert_int_equal(na, 4);
        for (int i = 0; i < na; i++) {
            assert_true(answered_d(&l, asked[i]));
            if (nearer > 8000)
                assert_true(add_d(&l, nearer -= 10, 2));
        }
        assert_true(++rounds < 100);
    }
    assert_int_equal(rounds, 51);
    assert_int_equal(l.n, DHT_LOOKUP_MAX);
    assert_int_equal(dht_lookup_answered_count(&l), DHT_LOOKUP_MAX);
    assert_int_equal(l.c[0].ip, 8000);
    assert_int_equal(l.c[DHT_LOOKUP_MAX - 1].ip, 8000 + 10 * (DHT_LOOKUP_MAX - 1));
    check_sorted(&l);
    assert_true(add_d(&l, 1, 3));
    assert_int_equal(hop_d(&l, 8000 + 10 * (DHT_LOOKUP_MAX - 1)), 0);
    assert_int_equal(hop_d(&l, 1), 3);
    assert_false(add_d(&l, 99999, 3));
    check_sorted(&l);
}

/* ---- a simulated network ---- */

#define N_NODES 2000
#define K 8
#define ALPHA 3

static struct sim {
    struct dht_id id[N_NODES];
    struct dht_table t[N_NODES];
    bool dead[N_NODES];
    bool skip_failing; /* nodes answer FIND_NODE with their non-failing contacts only */
} * sim;

static int build_sim(void **state)
{
    sim = calloc(1, sizeof *sim);
    if (!sim)
        return -1;
    for (uint32_t i = 0; i < N_NODES; i++)
        dht_id_of_node(2024, i, &sim->id[i]);
    /* Every node hears from every other, in an order of its own. */
    struct rng r;
    rng_seed(&r, 11, 0, 0);
    uint32_t *order = malloc(N_NODES * sizeof *order);
    if (!order)
        return -1;
    for (uint32_t i = 0; i < N_NODES; i++)
        order[i] = i;
    for (uint32_t i = 0; i < N_NODES; i++) {
        for (uint32_t j = N_NODES - 1; j > 0; j--) {
            uint32_t s = rng_below(&r, j + 1), tmp = order[j];
            order[j] = order[s];
            order[s] = tmp;
        }
        dht_table_init(&sim->t[i], &sim->id[i], K);
        for (uint32_t j = 0; j < N_NODES; j++)
            if (order[j] != i)
                dht_table_seen(&sim->t[i], &sim->id[order[j]], order[j], PORT, 0, DHT_KEEP_OLD,
                               NULL);
    }
    free(order);
    return 0;
}

static int free_sim(void **state)
{
    if (!sim)
        return 0;
    for (uint32_t i = 0; i < N_NODES; i++)
        dht_table_free(&sim->t[i]);
    free(sim);
    sim = NULL;
    return 0;
}

static struct dht_id rank_target;

static int cmp_node(const void *a, const void *b)
{
    return dht_id_closer(&rank_target, &sim->id[*(const uint32_t *)a],
                         &sim->id[*(const uint32_t *)b]);
}

/* The k live nodes other than `from` closest to target, by brute force. */
static unsigned true_closest(uint32_t from, const struct dht_id *target, uint32_t *out)
{
    static uint32_t all[N_NODES];
    unsigned m = 0;
    for (uint32_t i = 0; i < N_NODES; i++)
        if (i != from && !sim->dead[i])
            all[m++] = i;
    rank_target = *target;
    qsort(all, m, sizeof *all, cmp_node);
    unsigned n = m < K ? m : K;
    memcpy(out, all, n * sizeof *out);
    return n;
}

/* A whole lookup from node `from`: queries in flight answer (or time out,
 * for dead nodes) in random order. Returns the number of steps. */
static unsigned run_lookup(struct dht_lookup *l, uint32_t from, const struct dht_id *target,
                           struct rng *r)
{
    dht_lookup_init(l, target, K, ALPHA);
    struct dht_contact seeds[K];
    unsigned ns = dht_table_closest(&sim->t[from], target, K, false, seeds);
    for (unsigned i = 0; i < ns; i++)
        dht_lookup_add(l, &sim->id[from], &seeds[i].id, seeds[i].ip, seeds[i].port, 1);
    uint32_t flight[ALPHA];
    unsigned nf = 0, steps = 0;
    while (!dht_lookup_done(l)) {
        const struct dht_cand *c;
        while ((c = dht_lookup_next(l))) {
            assert_true(nf < ALPHA);
            flight[nf++] = c->ip; /* the simulated address is the node's index */
        }
        assert_int_equal(l->in_flight, nf);
        if (nf == 0) { /* not done, so something must be in flight */
            fail_msg("lookup stalled");
            return steps;
        }
        unsigned j = rng_below(r, nf);
        uint32_t node = flight[j];
        flight[j] = flight[--nf];
        if (sim->dead[node]) {
            assert_true(dht_lookup_failed(l, &sim->id[node]));
        } else {
            assert_true(dht_lookup_answered(l, &sim->id[node]));
            unsigned hop = dht_lookup_hop_of(l, &sim->id[node]);
            struct dht_contact ans[K];
            unsigned na = dht_table_closest(&sim->t[node], target, K, sim->skip_failing, ans);
            for (unsigned i = 0; i < na; i++)
                dht_lookup_add(l, &sim->id[from], &ans[i].id, ans[i].ip, ans[i].port, hop + 1);
        }
        assert_true(++steps < 500);
    }
    assert_int_equal(l->in_flight, 0);
    return steps;
}

struct many {
    unsigned exact;     /* lookups that found exactly the true k closest live nodes */
    unsigned nearest;   /* lookups whose nearest answer is the true nearest live node */
    double hops, steps; /* on average */
    unsigned max_steps;
};

/* Lookups from random live nodes to random targets. */
static struct many run_many(unsigned lookups, uint64_t seed)
{
    struct many m = {0};
    struct rng r;
    rng_seed(&r, seed, 0, 0);
    unsigned hops = 0, steps = 0;
    for (unsigned n = 0; n < lookups; n++) {
        uint32_t from;
        do
            from = rng_below(&r, N_NODES);
        while (sim->dead[from]);
        struct dht_id target;
        for (int i = 0; i < DHT_ID_LEN; i++)
            target.b[i] = (uint8_t)rng_u32(&r);
        struct dht_lookup l;
        unsigned s = run_lookup(&l, from, &target, &r);
        steps += s;
        if (s > m.max_steps)
            m.max_steps = s;
        hops += dht_lookup_hops(&l);

        uint32_t want[K];
        unsigned nw = true_closest(from, &target, want);
        struct dht_cand got[K];
        unsigned ng = dht_lookup_result(&l, got, K);
        bool same = ng == nw;
        for (unsigned i = 0; same && i < ng; i++)
            same = dht_id_eq(&got[i].id, &sim->id[want[i]]) && got[i].ip == want[i];
        m.exact += same;
        m.nearest += ng > 0 && nw > 0 && got[0].ip == want[0];
        for (unsigned i = 0; i < ng; i++)
            assert_false(sim->dead[got[i].ip]); /* a dead node never answers */
    }
    m.hops = (double)hops / lookups;
    m.steps = (double)steps / lookups;
    return m;
}

static void test_sim_tables(void **state)
{
    /* Each table holds k per bucket where the network has that many. */
    unsigned total = 0;
    for (uint32_t i = 0; i < N_NODES; i++) {
        total += sim->t[i].n;
        assert_int_equal(dht_table_bucket_count(&sim->t[i], 159), K);
        assert_int_equal(dht_table_bucket_count(&sim->t[i], 158), K);
    }
    double avg = (double)total / N_NODES;
    printf("simulated network: %d nodes, k=%d, %.1f contacts a table\n", N_NODES, K, avg);
    assert_true(avg > K * (log2(N_NODES) - 3) && avg < K * (log2(N_NODES) + 3));
}

static void test_sim_lookups_find_true_closest(void **state)
{
    const unsigned lookups = 300;
    struct many m = run_many(lookups, 12);
    printf("%u lookups, all alive: %u exact, %.2f hops on average (log2 N = %.2f), "
           "%.1f queries on average, %u at most\n",
           lookups, m.exact, m.hops, log2(N_NODES), m.steps, m.max_steps);
    assert_true(m.exact >= lookups * 99 / 100);
    assert_int_equal(m.nearest, lookups);
    assert_true(m.hops <= log2(N_NODES));
    assert_true(m.hops >= 1.0);
}

/* 20% of the nodes die. First nobody has noticed: every table still lists
 * them and answers with them, the lookups ask them and route around. As
 * answers carry dead contacts in place of live ones, the k-th closest live
 * node is sometimes named by no one asked: the nearest ones are found, the
 * whole set most of the time. Then every node has seen its queries to the
 * dead fail (fails = 1) and leaves them out of its answers, as a node that
 * answers with dht_table_closest(skip_failing) does: only the seeds can be
 * dead, and the lookups find the true k closest live nodes again. */
static void test_sim_routes_around_dead_nodes(void **state)
{
    struct rng r;
    rng_seed(&r, 13, 0, 0);
    unsigned n_dead = 0;
    for (uint32_t i = 0; i < N_NODES; i++)
        if (rng_below(&r, 100) < 20) {
            sim->dead[i] = true;
            n_dead++;
        }
    const unsigned lookups = 300;
    struct many m = run_many(lookups, 14);
    printf("%u lookups, %u of %d nodes dead, unnoticed: %u exact, %u nearest right, "
           "%.2f hops on average, %.1f queries on average, %u at most\n",
           lookups, n_dead, N_NODES, m.exact, m.nearest, m.hops, m.steps, m.max_steps);
    assert_true(m.nearest >= lookups * 98 / 100);
    assert_true(m.exact >= lookups * 60 / 100);
    assert_true(m.hops <= log2(N_NODES));

    for (uint32_t i = 0; i < N_NODES; i++)
        for (unsigned j = 0; j < sim->t[i].n; j++) {
            const struct dht_contact *c = &sim->t[i].c[j];
            if (sim->dead[c->ip])
                assert_false(dht_table_failed(&sim->t[i], &c->id, c->ip, c->port, 3));
        }
    sim->skip_failing = true;
    m = run_many(lookups, 15);
    sim->skip_failing = false;
    printf("%u lookups, %u of %d nodes dead, noticed: %u exact, %u nearest right, "
           "%.2f hops on average, %.1f queries on average, %u at most\n",
           lookups, n_dead, N_NODES, m.exact, m.nearest, m.hops, m.steps, m.max_steps);
    assert_true(m.exact >= lookups * 99 / 100);
    assert_true(m.hops <= log2(N_NODES));

    /* A node whose every contact is dead: its lookup ends, empty. */
    uint32_t from = 0;
    while (sim->dead[from])
        from++;
    struct dht_table saved = sim->t[from];
    dht_table_init(&sim->t[from], &sim->id[from], K);
    for (uint32_t i = 0, added = 0; i < N_NODES && added < 3; i++)
        if (sim->dead[i] && dht_table_seen(&sim->t[from], &sim->id[i], i, PORT, 0, DHT_KEEP_OLD,
                                           NULL) == DHT_SEEN_ADDED)
            added++;
    assert_int_equal(sim->t[from].n, 3);
    struct dht_lookup l;
    struct dht_id target = sim->id[from];
    target.b[0] ^= 0x55;
    unsigned s = run_lookup(&l, from, &target, &r);
    assert_int_equal(s, 3);
    assert_true(dht_lookup_done(&l));
    assert_int_equal(dht_lookup_answered_count(&l), 0);
    assert_int_equal(dht_lookup_hops(&l), 0);
    dht_table_free(&sim->t[from]);
    sim->t[from] = saved;

    /* The dead come back: heard from again, nobody is failing. */
    for (uint32_t i = 0; i < N_NODES; i++)
        for (unsigned j = 0; j < sim->t[i].n; j++) {
            struct dht_contact c = sim->t[i].c[j];
            if (c.fails)
                assert_int_equal(
                    dht_table_seen(&sim->t[i], &c.id, c.ip, c.port, 1, DHT_KEEP_OLD, NULL),
                    DHT_SEEN_UPDATED);
        }
    memset(sim->dead, 0, sizeof sim->dead);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_add),
        cmocka_unit_test(test_alpha_bounds_in_flight),
        cmocka_unit_test(test_late_and_unexpected_answers),
        cmocka_unit_test(test_all_seeds_dead),
        cmocka_unit_test(test_value_lookup_stops_at_found),
        cmocka_unit_test(test_shortlist_overflow),
        cmocka_unit_test(test_sim_tables),
        cmocka_unit_test(test_sim_lookups_find_true_closest),
        cmocka_unit_test(test_sim_routes_around_dead_nodes),
    };
    return cmocka_run_group_tests(tests, build_sim, free_sim);
}
