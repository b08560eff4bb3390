/* test_host_cache.c - a peer's host cache (node/host_cache.c): the seed, the
 * fallback, learning and forgetting, on a real placement. The fallback once
 * put the injected supernodes first, so with more injections than cache
 * entries a peer's fallback held only dormant ones and never reached a
 * bootstrap supernode (issue 13, defect 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/placement.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "node/host_cache.h"

struct fx {
    struct scenario s;
    struct placement pl;
    struct rng rng;
    struct host_cache c;
};

/* 8 initial supernodes, 2 of them bootstrap, and two inject_supernodes
 * events bringing 6 + 4 more; host_cache entries per peer. */
static void start(struct fx *f, uint32_t host_cache)
{
    char err[SCN_ERR_MAX];
    const char *yaml = "name: cache\n"
                       "duration: 60s\n"
                       "nodes: {peers: 10, supernodes: 8, bootstrap: 2}\n"
                       "events:\n"
                       "  - {at: 10s, inject_supernodes: {count: 6}}\n"
                       "  - {at: 20s, inject_supernodes: {count: 4}}\n";
    if (scenario_load_string(yaml, "cache", NULL, 0, &f->s, err, sizeof err) < 0)
        fail_msg("%s", err);
    placement_init(&f->pl, &f->s, 1);
    assert_int_equal(f->pl.n_inj, 10);
    rng_seed(&f->rng, 1, 2, RNG_STREAM_NODE);
    assert_int_equal(host_cache_init(&f->c, (uint16_t)host_cache), 0);
}

static bool is_bootstrap(const struct fx *f, uint32_t id)
{
    return id >= f->pl.first_sn && id < f->pl.first_sn + f->pl.n_bootstrap;
}

static bool is_injected(const struct fx *f, uint32_t id)
{
    return id >= f->pl.first_inj && id < f->pl.first_inj + f->pl.n_inj;
}

static void assert_distinct_and_placed(const struct fx *f)
{
    for (uint16_t i = 0; i < f->c.n; i++) {
        const struct wire_sn *e = &f->c.sn[i];
        assert_int_equal(e->ip, placement_addr(&f->pl, e->node_id));
        assert_int_equal(e->port, placement_sn_port(&f->pl, e->node_id));
        for (uint16_t j = 0; j < i; j++)
            assert_int_not_equal(e->node_id, f->c.sn[j].node_id);
    }
}

/* More injected supernodes (10) than entries (4): the bootstrap ones are
 * still there, and the rest is a sample of the injected. */
static void test_fallback_keeps_the_bootstrap_supernodes(void **state)
{
    struct fx f;
    start(&f, 4);
    host_cache_fallback(&f.c, &f.pl, &f.rng);
    assert_int_equal(f.c.n, 4);
    int boot = 0, inj = 0;
    for (uint16_t i = 0; i < f.c.n; i++) {
        boot += is_bootstrap(&f, f.c.sn[i].node_id);
        inj += is_injected(&f, f.c.sn[i].node_id);
    }
    assert_int_equal(boot, 2);
    assert_int_equal(inj, 2);
    assert_distinct_and_placed(&f);
    host_cache_free(&f.c);
}

/* Different peers pick different injected supernodes, so the fallback
 * spreads over all of them, not the first two. */
static void test_fallback_spreads_over_the_injected_supernodes(void **state)
{
    struct fx f;
    start(&f, 4);
    bool seen[10] = {false};
    for (int peer = 0; peer < 200; peer++) {
        host_cache_fallback(&f.c, &f.pl, &f.rng);
        for (uint16_t i = 0; i < f.c.n; i++)
            if (is_injected(&f, f.c.sn[i].node_id))
                seen[f.c.sn[i].node_id - f.pl.first_inj] = true;
    }
    for (int i = 0; i < 10; i++)
        assert_true(seen[i]);
    host_cache_free(&f.c);
}

/* Room for everything: every bootstrap and every injected supernode. */
static void test_fallback_takes_all_when_they_fit(void **state)
{
    struct fx f;
    start(&f, 16);
    host_cache_fallback(&f.c, &f.pl, &f.rng);
    assert_int_equal(f.c.n, 12);
    assert_distinct_and_placed(&f);
    host_cache_free(&f.c);
}

/* One entry: the bootstrap supernodes come first. */
static void test_fallback_of_one_entry_is_a_bootstrap_supernode(void **state)
{
    struct fx f;
    start(&f, 1);
    host_cache_fallback(&f.c, &f.pl, &f.rng);
    assert_int_equal(f.c.n, 1);
    assert_true(is_bootstrap(&f, f.c.sn[0].node_id));
    host_cache_free(&f.c);
}

static void test_seed_samples_initial_supernodes(void **state)
{
    struct fx f;
    start(&f, 4);
    host_cache_seed(&f.c, &f.pl, &f.rng);
    assert_int_equal(f.c.n, 4);
    for (uint16_t i = 0; i < f.c.n; i++)
        assert_in_range(f.c.sn[i].node_id, f.pl.first_sn, f.pl.first_sn + f.pl.n_sn - 1);
    assert_distinct_and_placed(&f);
    host_cache_free(&f.c);
}

/* Learning skips known entries and addresses outside network.allowed, and
 * never evicts the entry in use. */
static void test_learn_adds_new_allowed_entries_and_keeps_the_current(void **state)
{
    struct fx f;
    start(&f, 2);
    host_cache_seed(&f.c, &f.pl, &f.rng);
    struct wire_sn keep = f.c.sn[1];
    struct wire_sn_list l = {.n = 3};
    l.sns[0] = f.c.sn[0];                                          /* known */
    l.sns[1] = (struct wire_sn){f.pl.first_inj, 0x0a000001, 4431}; /* 10.0.0.1: outside */
    l.sns[2] = (struct wire_sn){f.pl.first_inj + 1, placement_addr(&f.pl, f.pl.first_inj + 1),
                                placement_sn_port(&f.pl, f.pl.first_inj + 1)};
    for (int k = 0; k < 50; k++)
        host_cache_learn(&f.c, &f.s, &l, &f.rng, 1);
    assert_int_equal(f.c.n, 2);
    assert_int_equal(f.c.sn[1].node_id, keep.node_id);
    assert_int_equal(f.c.sn[0].node_id, f.pl.first_inj + 1);
    host_cache_remove(&f.c, 0);
    assert_int_equal(f.c.n, 1);
    assert_int_equal(f.c.sn[0].node_id, keep.node_id);
    host_cache_free(&f.c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fallback_keeps_the_bootstrap_supernodes),
        cmocka_unit_test(test_fallback_spreads_over_the_injected_supernodes),
        cmocka_unit_test(test_fallback_takes_all_when_they_fit),
        cmocka_unit_test(test_fallback_of_one_entry_is_a_bootstrap_supernode),
        cmocka_unit_test(test_seed_samples_initial_supernodes),
        cmocka_unit_test(test_learn_adds_new_allowed_entries_and_keeps_the_current),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
