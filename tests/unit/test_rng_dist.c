/* test_rng_dist.c - rng determinism and statistics, distributions: draws,
 * means, and their one text syntax (dist_parse, dist_format). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/dist.h"
#include "common/rng.h"

#define SEED 0x5eed1234abcdULL
#define MS 1000000.0
#define SEC 1000000000.0

static void test_same_seed_gives_same_sequence(void **state)
{
    (void)state;
    struct rng a, b;

    rng_seed(&a, SEED, 42, RNG_STREAM_NODE);
    rng_seed(&b, SEED, 42, RNG_STREAM_NODE);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(rng_u32(&a), rng_u32(&b));
}

static void test_different_node_ids_give_different_sequences(void **state)
{
    (void)state;
    struct rng a, b;
    int same = 0;

    rng_seed(&a, SEED, 1, RNG_STREAM_NODE);
    rng_seed(&b, SEED, 2, RNG_STREAM_NODE);
    for (int i = 0; i < 1000; i++)
        same += rng_u32(&a) == rng_u32(&b);
    /* Unrelated streams agree on a 32-bit word about 1000 / 2^32 times. */
    assert_true(same <= 2);
}

static void test_different_streams_give_different_sequences(void **state)
{
    (void)state;
    struct rng a, b;
    int same = 0;

    rng_seed(&a, SEED, 7, RNG_STREAM_NODE);
    rng_seed(&b, SEED, 7, RNG_STREAM_EVENT);
    for (int i = 0; i < 1000; i++)
        same += rng_u32(&a) == rng_u32(&b);
    assert_true(same <= 2);
}

static void test_nearby_node_ids_first_draws_look_uniform(void **state)
{
    (void)state;
    /* Poor mixing would show as structure in the first draw of consecutive
     * node ids; check the mean and that each top-bit bin gets its share. */
    enum { N = 20000, BINS = 16 };
    unsigned bins[BINS] = {0};
    double sum = 0.0;

    for (uint64_t id = 0; id < N; id++) {
        struct rng r;
        rng_seed(&r, 1, id, RNG_STREAM_NODE);
        double u = rng_uniform(&r);
        sum += u;
        bins[(int)(u * BINS)]++;
    }
    assert_true(fabs(sum / N - 0.5) < 0.01);
    for (int i = 0; i < BINS; i++)
        assert_true(bins[i] > (double)N / BINS * 0.85 && bins[i] < (double)N / BINS * 1.15);
}

static void test_zero_seed_state_not_all_zero(void **state)
{
    (void)state;
    struct rng r;

    rng_seed(&r, 0, 0, 0);
    assert_true((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
    /* And the generator actually moves. */
    uint32_t first = rng_u32(&r);
    int moved = 0;
    for (int i = 0; i < 10; i++)
        moved += rng_u32(&r) != first;
    assert_true(moved > 0);
}

static void test_uniform_in_unit_interval_with_mean_half(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct rng r;
    double sum = 0.0;

    rng_seed(&r, SEED, 3, RNG_STREAM_NODE);
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / N - 0.5) < 0.01);
}

static void test_uniform_uses_more_than_32_bits(void **state)
{
    (void)state;
    /* With only 32 bits every u * 2^32 would be an integer. */
    struct rng r;
    int fine = 0;

    rng_seed(&r, SEED, 4, RNG_STREAM_NODE);
    for (int i = 0; i < 1000; i++) {
        double x = rng_uniform(&r) * 4294967296.0;
        fine += x != floor(x);
    }
    assert_true(fine > 900);
}

static void test_below_stays_in_bounds(void **state)
{
    (void)state;
    static const uint32_t ns[] = {1, 2, 3, 7, 1000, 0x80000001u, UINT32_MAX};
    struct rng r;

    rng_seed(&r, SEED, 5, RNG_STREAM_NODE);
    for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
        for (int i = 0; i < 10000; i++)
            assert_true(rng_below(&r, ns[k]) < ns[k]);
}

static void test_below_is_roughly_uniform(void **state)
{
    (void)state;
    enum { N = 100000, BINS = 10 };
    unsigned count[BINS] = {0};
    struct rng r;
    double chi2 = 0.0;

    rng_seed(&r, SEED, 6, RNG_STREAM_NODE);
    for (int i = 0; i < N; i++)
        count[rng_below(&r, BINS)]++;
    for (int i = 0; i < BINS; i++) {
        double e = (double)N / BINS;
        assert_true(fabs(count[i] - e) < 0.05 * e);
        chi2 += (count[i] - e) * (count[i] - e) / e;
    }
    /* 9 degrees of freedom: P(chi2 > 40) is about 7e-6. */
    assert_true(chi2 < 40.0);
}

static void test_normal_has_mean_zero_sd_one(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct rng r;
    double sum = 0.0, sum2 = 0.0;

    rng_seed(&r, SEED, 8, RNG_STREAM_NODE);
    for (int i = 0; i < N; i++) {
        double x = rng_normal(&r);
        assert_true(isfinite(x));
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / N;
    double sd = sqrt(sum2 / N - mean * mean);
    assert_true(fabs(mean) < 0.02);
    assert_true(fabs(sd - 1.0) < 0.02);
}

static void test_hash_unit_deterministic(void **state)
{
    (void)state;
    double h = rng_hash_unit(SEED, 1, 2, 3);

    assert_true(rng_hash_unit(SEED, 1, 2, 3) == h);
    /* Each argument matters. */
    assert_true(rng_hash_unit(SEED + 1, 1, 2, 3) != h);
    assert_true(rng_hash_unit(SEED, 2, 2, 3) != h);
    assert_true(rng_hash_unit(SEED, 1, 3, 3) != h);
    assert_true(rng_hash_unit(SEED, 1, 2, 4) != h);
    /* Swapping arguments is not a symmetry of the hash. */
    assert_true(rng_hash_unit(SEED, 2, 1, 3) != h);
}

static void test_hash_unit_in_unit_interval_with_mean_half(void **state)
{
    (void)state;
    enum { N = 100000 };
    double sum = 0.0;

    for (uint64_t i = 0; i < N; i++) {
        double u = rng_hash_unit(SEED, 0, i, 1);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    assert_true(fabs(sum / N - 0.5) < 0.01);
}

/* Empirical mean of n draws, asserting every draw lies in [lo, hi]. */
static double draw_mean(const struct dist *d, uint64_t node, int n, double lo, double hi)
{
    struct rng r;
    double sum = 0.0;

    rng_seed(&r, SEED, node, RNG_STREAM_NODE);
    for (int i = 0; i < n; i++) {
        int64_t v = dist_draw(d, &r);
        assert_true((double)v >= lo && (double)v <= hi);
        sum += (double)v;
    }
    return sum / n;
}

static void test_dist_const_returns_value(void **state)
{
    (void)state;
    struct dist d = {DIST_CONST, 5 * MS, 0};
    struct rng r;

    rng_seed(&r, SEED, 9, RNG_STREAM_NODE);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dist_draw(&d, &r), 5000000);
    assert_true(dist_mean(&d) == 5 * MS);
}

static void test_dist_uniform_bounds_and_mean(void **state)
{
    (void)state;
    struct dist d = {DIST_UNIFORM, 1 * SEC, 3 * SEC};
    double mean = draw_mean(&d, 10, 200000, 1 * SEC, 3 * SEC);

    assert_true(dist_mean(&d) == 2 * SEC);
    assert_true(fabs(mean / dist_mean(&d) - 1.0) < 0.01);
}

static void test_dist_exp_nonnegative_with_mean(void **state)
{
    (void)state;
    struct dist d = {DIST_EXP, 5 * MS, 0};
    double mean = draw_mean(&d, 11, 200000, 0, 1e15);

    assert_true(dist_mean(&d) == 5 * MS);
    assert_true(fabs(mean / dist_mean(&d) - 1.0) < 0.02);
}

static void test_dist_lognormal_mean(void **state)
{
    (void)state;
    struct dist d = {DIST_LOGNORMAL, 2 * SEC, 0.5};
    double mean = draw_mean(&d, 12, 200000, 0, 1e15);

    assert_true(fabs(dist_mean(&d) - 2 * SEC * exp(0.125)) < 1.0);
    assert_true(fabs(mean / dist_mean(&d) - 1.0) < 0.04);
}

static void test_dist_lognormal_median_is_a(void **state)
{
    (void)state;
    enum { N = 200000 };
    struct dist d = {DIST_LOGNORMAL, 2 * SEC, 0.5};
    struct rng r;
    int below = 0;

    rng_seed(&r, SEED, 13, RNG_STREAM_NODE);
    for (int i = 0; i < N; i++)
        below += dist_draw(&d, &r) < 2 * SEC;
    assert_true(fabs((double)below / N - 0.5) < 0.01);
}

static void test_dist_never_negative_and_clamped(void **state)
{
    (void)state;
    struct dist neg_uniform = {DIST_UNIFORM, -5 * MS, -1 * MS};
    struct dist neg_const = {DIST_CONST, -3, 0};
    struct dist huge = {DIST_CONST, 1e20, 0};
    struct dist nan_const = {DIST_CONST, NAN, 0};
    struct rng r;

    rng_seed(&r, SEED, 14, RNG_STREAM_NODE);
    for (int i = 0; i < 100; i++)
        assert_int_equal(dist_draw(&neg_uniform, &r), 0);
    assert_int_equal(dist_draw(&neg_const, &r), 0);
    assert_int_equal(dist_draw(&huge, &r), 1000000000000000LL);
    assert_int_equal(dist_draw(&nan_const, &r), 0);
}

static void test_dist_draw_rounds_to_nearest_ns(void **state)
{
    (void)state;
    struct dist d = {DIST_CONST, 2.6, 0};
    struct rng r;

    rng_seed(&r, SEED, 15, RNG_STREAM_NODE);
    assert_int_equal(dist_draw(&d, &r), 3);
}

static void assert_format(struct dist d, const char *want)
{
    char buf[64];

    dist_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, want);
}

static void test_dist_format_each_kind(void **state)
{
    (void)state;
    assert_format((struct dist){DIST_CONST, 5 * MS, 0}, "5ms");
    assert_format((struct dist){DIST_UNIFORM, 1 * SEC, 3 * SEC}, "uniform(1s, 3s)");
    assert_format((struct dist){DIST_EXP, 5 * MS, 0}, "exp(5ms)");
    assert_format((struct dist){DIST_LOGNORMAL, 2 * SEC, 0.5}, "lognormal(2s, 0.5)");
}

static void test_dist_format_picks_shortest_exact_unit(void **state)
{
    (void)state;
    assert_format((struct dist){DIST_CONST, 7, 0}, "7ns");
    assert_format((struct dist){DIST_CONST, 250000, 0}, "250us");
    assert_format((struct dist){DIST_CONST, 1.5 * MS, 0}, "1500us");
    assert_format((struct dist){DIST_CONST, 90 * SEC, 0}, "90s");
    assert_format((struct dist){DIST_CONST, 120 * SEC, 0}, "2m");
    assert_format((struct dist){DIST_CONST, 3 * 3600 * SEC, 0}, "3h");
    assert_format((struct dist){DIST_CONST, 0, 0}, "0s");
    assert_format((struct dist){DIST_UNIFORM, 0, 1500 * MS}, "uniform(0s, 1500ms)");
}

static void test_dist_format_truncates_safely(void **state)
{
    (void)state;
    struct dist d = {DIST_UNIFORM, 1 * SEC, 3 * SEC};
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    dist_format(&d, buf, sizeof(buf));
    assert_int_equal(strlen(buf), sizeof(buf) - 1);
    assert_memory_equal(buf, "uniform", 7);
}

static void test_dist_format_rounds_to_whole_ns(void **state)
{
    (void)state;
    /* What the scenario loader writes: parameters are whole ns. */
    assert_format((struct dist){DIST_CONST, 2.6, 0}, "3ns");
    assert_format((struct dist){DIST_CONST, -5 * MS, 0}, "0s");
    assert_format((struct dist){DIST_EXP, 1.5 * MS, 0}, "exp(1500us)");
    assert_format((struct dist){DIST_LOGNORMAL, 3 * SEC, 0.1}, "lognormal(3s, 0.1)");
    assert_format((struct dist){DIST_LOGNORMAL, 3 * SEC, 0}, "lognormal(3s, 0)");
    assert_format((struct dist){DIST_KEEP, 0, 0}, "?");
}

/* dist_parse must succeed with exactly `want`. */
static void assert_parses(const char *text, struct dist want)
{
    struct dist d;
    char why[256] = "";

    if (!dist_parse(text, &d, why, sizeof why))
        fail_msg("'%s' did not parse: %s", text, why);
    assert_int_equal(d.kind, want.kind);
    assert_true(d.a == want.a);
    assert_true(d.b == want.b);
}

/* dist_parse must fail, leave *out alone and say `reason`. */
static void assert_rejects(const char *text, const char *reason)
{
    struct dist d = {DIST_EXP, 42, 43};
    char why[256] = "";

    if (dist_parse(text, &d, why, sizeof why))
        fail_msg("'%s' parsed, expected \"%s\"", text, reason);
    if (!strstr(why, reason))
        fail_msg("'%s': expected \"%s\" in \"%s\"", text, reason, why);
    assert_int_equal(d.kind, DIST_EXP);
    assert_true(d.a == 42 && d.b == 43);
}

static void test_dist_parse_accepts_every_kind(void **state)
{
    (void)state;
    assert_parses("10ms", (struct dist){DIST_CONST, 10 * MS, 0});
    assert_parses("1.5s", (struct dist){DIST_CONST, 1.5 * SEC, 0});
    assert_parses("0s", (struct dist){DIST_CONST, 0, 0});
    assert_parses("const(5ms)", (struct dist){DIST_CONST, 5 * MS, 0});
    assert_parses("exp(5ms)", (struct dist){DIST_EXP, 5 * MS, 0});
    assert_parses("uniform(1ms, 3ms)", (struct dist){DIST_UNIFORM, 1 * MS, 3 * MS});
    assert_parses("uniform(2ms,2ms)", (struct dist){DIST_UNIFORM, 2 * MS, 2 * MS});
    assert_parses("lognormal(2s, 0.5)", (struct dist){DIST_LOGNORMAL, 2 * SEC, 0.5});
    assert_parses("lognormal(2s, 0)", (struct dist){DIST_LOGNORMAL, 2 * SEC, 0});
    assert_parses("lognormal(1m, 10)", (struct dist){DIST_LOGNORMAL, 60 * SEC, 10});
}

static void test_dist_parse_ignores_spaces_around_parts(void **state)
{
    (void)state;
    assert_parses("  250us\t", (struct dist){DIST_CONST, 250000, 0});
    assert_parses(" exp ( 5ms ) ", (struct dist){DIST_EXP, 5 * MS, 0});
    assert_parses("uniform( 1ms ,\t3ms )", (struct dist){DIST_UNIFORM, 1 * MS, 3 * MS});
}

static void test_dist_parse_rejects_unknown_kinds(void **state)
{
    (void)state;
    /* results/run_load.c once read "normal"; the loader never accepted it. */
    assert_rejects("normal(1ms,2ms)", "unknown distribution 'normal' (expected const, uniform, "
                                      "exp or lognormal)");
    assert_rejects("Exp(5ms)", "unknown distribution 'Exp'");
    assert_rejects("fast", "expected a duration or a distribution");
    assert_rejects("(5ms)", "unknown distribution ''");
}

static void test_dist_parse_rejects_bad_syntax(void **state)
{
    (void)state;
    assert_rejects("exp(5ms", "missing ')' in 'exp(5ms'");
    assert_rejects("exp((5ms))", "unexpected parenthesis");
    assert_rejects("exp(5ms) x", "missing ')'");
    assert_rejects("exp(1ms, 2ms)", "exp takes 1 argument: exp(MEAN)");
    assert_rejects("uniform(1ms)", "uniform takes 2 arguments: uniform(LOW, HIGH)");
    assert_rejects("uniform(1ms, )", "uniform takes 2 arguments");
    assert_rejects("lognormal(1s, 0.5, 3)", "lognormal takes 2 arguments");
    assert_rejects("", "expected a duration like 250ms");
    char longer[300];
    memset(longer, '1', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    assert_rejects(longer, "distribution too long");
}

static void test_dist_parse_rejects_bad_values(void **state)
{
    (void)state;
    assert_rejects("10", "missing unit in '10'");
    assert_rejects("-5ms", "must be >= 0");
    assert_rejects("exp(5 parsecs)", "exp: mean: unknown unit 'parsecs'");
    assert_rejects("exp(0s)", "exp: mean must be > 0, got 0s");
    assert_rejects("uniform(3ms, 1ms)", "uniform: low (3ms) must be <= high (1ms)");
    assert_rejects("uniform(1ms, x)", "uniform: high: expected a duration like 250ms");
    assert_rejects("lognormal(0s, 0.5)", "lognormal: median must be > 0");
    assert_rejects("lognormal(2s, x)", "lognormal: sigma must be a plain number like 0.5");
    assert_rejects("lognormal(2s, 1e400)", "lognormal: sigma must be a plain number");
    assert_rejects("lognormal(2s, 10.5)", "lognormal: sigma must be in [0, 10], got 10.5");
    assert_rejects("lognormal(2s, -0.5)", "lognormal: sigma must be in [0, 10]");
    assert_rejects("const(1.0000000001ms)", "not a whole number of nanoseconds");
}

static void test_dist_parse_then_format_round_trips(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "10ms",
        "0s",
        "1500us",
        "2m",
        "exp(5ms)",
        "uniform(1ms, 3ms)",
        "uniform(0s, 1h)",
        "lognormal(2s, 0.5)",
        "lognormal(3s, 0.123456789)",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct dist d, back;
        char why[256], buf[64];
        assert_true(dist_parse(texts[i], &d, why, sizeof why));
        dist_format(&d, buf, sizeof buf);
        assert_string_equal(buf, texts[i]);
        assert_true(dist_parse(buf, &back, why, sizeof why));
        assert_memory_equal(&back, &d, sizeof d);
    }
    /* const(...) and spellings with spaces come back in the short form */
    struct dist d;
    char why[256], buf[64];
    assert_true(dist_parse("const(2000ms)", &d, why, sizeof why));
    dist_format(&d, buf, sizeof buf);
    assert_string_equal(buf, "2s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_gives_same_sequence),
        cmocka_unit_test(test_different_node_ids_give_different_sequences),
        cmocka_unit_test(test_different_streams_give_different_sequences),
        cmocka_unit_test(test_nearby_node_ids_first_draws_look_uniform),
        cmocka_unit_test(test_zero_seed_state_not_all_zero),
        cmocka_unit_test(test_uniform_in_unit_interval_with_mean_half),
        cmocka_unit_test(test_uniform_uses_more_than_32_bits),
        cmocka_unit_test(test_below_stays_in_bounds),
        cmocka_unit_test(test_below_is_roughly_uniform),
        cmocka_unit_test(test_normal_has_mean_zero_sd_one),
        cmocka_unit_test(test_hash_unit_deterministic),
        cmocka_unit_test(test_hash_unit_in_unit_interval_with_mean_half),
        cmocka_unit_test(test_dist_const_returns_value),
        cmocka_unit_test(test_dist_uniform_bounds_and_mean),
        cmocka_unit_test(test_dist_exp_nonnegative_with_mean),
        cmocka_unit_test(test_dist_lognormal_mean),
        cmocka_unit_test(test_dist_lognormal_median_is_a),
        cmocka_unit_test(test_dist_never_negative_and_clamped),
        cmocka_unit_test(test_dist_draw_rounds_to_nearest_ns),
        cmocka_unit_test(test_dist_format_each_kind),
        cmocka_unit_test(test_dist_format_picks_shortest_exact_unit),
        cmocka_unit_test(test_dist_format_truncates_safely),
        cmocka_unit_test(test_dist_format_rounds_to_whole_ns),
        cmocka_unit_test(test_dist_parse_accepts_every_kind),
        cmocka_unit_test(test_dist_parse_ignores_spaces_around_parts),
        cmocka_unit_test(test_dist_parse_rejects_unknown_kinds),
        cmocka_unit_test(test_dist_parse_rejects_bad_syntax),
        cmocka_unit_test(test_dist_parse_rejects_bad_values),
        cmocka_unit_test(test_dist_parse_then_format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
