/* test_u64map.c - the hash map behind the supernodes' one-registration-per-
 * user index (common/u64map.c), checked against a plain array over random
 * puts and deletes, so backward-shift deletion never loses an entry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/u64map.h"

#define KEYS 512

static void test_empty_map_finds_nothing(void **state)
{
    struct u64map m;
    u64map_init(&m);
    assert_null(u64map_get(&m, 7));
    assert_null(u64map_del(&m, 7));
    u64map_free(&m);
}

static void test_put_replaces_and_del_returns_the_value(void **state)
{
    struct u64map m;
    int a, b;
    u64map_init(&m);
    assert_int_equal(u64map_put(&m, 1, &a), 0);
    assert_int_equal(u64map_put(&m, 1, &b), 0);
    assert_int_equal(m.n, 1);
    assert_ptr_equal(u64map_get(&m, 1), &b);
    assert_ptr_equal(u64map_del(&m, 1), &b);
    assert_null(u64map_get(&m, 1));
    assert_int_equal(m.n, 0);
    u64map_free(&m);
}

/* Keys that collide a lot (a small key space, many deletes) against a
 * reference array. */
static void test_matches_a_reference_under_random_churn(void **state)
{
    static int slot[KEYS];
    void *ref[KEYS] = {0};
    struct u64map m;
    u64map_init(&m);
    uint64_t x = 88172645463325252ULL;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t k = x % KEYS;
        uint64_t key = k * 0x100000000ULL + k; /* spread over the whole u64 */
        if ((x >> 32) % 3) {
            assert_int_equal(u64map_put(&m, key, &slot[k]), 0);
            ref[k] = &slot[k];
        } else {
            assert_ptr_equal(u64map_del(&m, key), ref[k]);
            ref[k] = NULL;
        }
        if (step % 997 == 0) {
            size_t n = 0;
            for (uint64_t j = 0; j < KEYS; j++) {
                assert_ptr_equal(u64map_get(&m, j * 0x100000000ULL + j), ref[j]);
                n += ref[j] != NULL;
            }
            assert_int_equal(m.n, n);
        }
    }
    u64map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_map_finds_nothing),
        cmocka_unit_test(test_put_replaces_and_del_returns_the_value),
        cmocka_unit_test(test_matches_a_reference_under_random_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
