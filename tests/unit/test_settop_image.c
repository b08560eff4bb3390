/* test_settop_image.c - the settop boot image (node/settop_image.c): made
 * the same from the same seed, cut into blocks with a short last one,
 * checked by SHA-256, and rebuilt block by block through a block map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/settop_image.h"

#define SIZE 10000 /* 9 blocks of 1024 and one of 784 */
#define BLOCK 1024

static void test_same_seed_makes_the_same_image(void **state)
{
    struct settop_image a, b;
    assert_int_equal(settop_image_make(&a, 42, SIZE, BLOCK), 0);
    assert_int_equal(settop_image_make(&b, 42, SIZE, BLOCK), 0);
    assert_memory_equal(a.bytes, b.bytes, SIZE);
    assert_memory_equal(a.d.sha256, b.d.sha256, SETTOP_SHA256_LEN);
    assert_int_equal(a.d.id, b.d.id);
    settop_image_free(&a);
    settop_image_free(&b);
}

static void test_another_seed_makes_another_image(void **state)
{
    struct settop_image a, b;
    assert_int_equal(settop_image_make(&a, 42, SIZE, BLOCK), 0);
    assert_int_equal(settop_image_make(&b, 43, SIZE, BLOCK), 0);
    assert_memory_not_equal(a.bytes, b.bytes, SIZE);
    assert_memory_not_equal(a.d.sha256, b.d.sha256, SETTOP_SHA256_LEN);
    settop_image_free(&a);
    settop_image_free(&b);
}

/* The bytes are a keystream, not zeros or a repeated pattern. */
static void test_image_bytes_look_random(void **state)
{
    struct settop_image a;
    assert_int_equal(settop_image_make(&a, 1, 65536, BLOCK), 0);
    int count[256] = {0};
    for (size_t i = 0; i < 65536; i++)
        count[a.bytes[i]]++;
    for (int v = 0; v < 256; v++) /* expected 256 each */
        assert_in_range(count[v], 150, 370);
    assert_memory_not_equal(a.bytes, a.bytes + BLOCK, BLOCK);
    settop_image_free(&a);
}

static void test_id_is_the_hash_prefix_big_endian(void **state)
{
    struct settop_image a;
    assert_int_equal(settop_image_make(&a, 7, SIZE, BLOCK), 0);
    uint32_t id = (uint32_t)a.d.sha256[0] << 24 | (uint32_t)a.d.sha256[1] << 16 |
                  (uint32_t)a.d.sha256[2] << 8 | a.d.sha256[3];
    assert_int_equal(a.d.id, id);
    settop_image_free(&a);
}

/* A box's description (made without keeping the bytes, a chunk at a time)
 * equals the head-end's, also past one chunk and at an odd size. */
static void test_describe_matches_make(void **state)
{
    static const uint64_t sizes[] = {1, SIZE, 16384, 16385, 100003};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        struct settop_image a;
        struct settop_image_desc d;
        assert_int_equal(settop_image_make(&a, 99, sizes[i], 64), 0);
        assert_int_equal(settop_image_describe(&d, 99, sizes[i], 64), 0);
        assert_int_equal(a.d.size, d.size);
        assert_int_equal(a.d.n_blocks, d.n_blocks);
        assert_memory_equal(a.d.sha256, d.sha256, SETTOP_SHA256_LEN);
        assert_int_equal(a.d.id, d.id);
        settop_image_free(&a);
    }
}

static void test_geometry_and_bad_arguments(void **state)
{
    struct settop_image a;
    struct settop_image_desc d;
    assert_int_equal(settop_image_make(&a, 1, 0, BLOCK), -1);
    assert_null(a.bytes);
    assert_int_equal(settop_image_make(&a, 1, SIZE, 0), -1);
    assert_int_equal(settop_image_describe(&d, 1, 0, BLOCK), -1);
    assert_int_equal(settop_image_describe(&d, 1, SIZE, 0), -1);
    assert_int_equal(settop_image_describe(&d, 1, SIZE, BLOCK), 0);
    assert_int_equal(d.size, SIZE);
    assert_int_equal(d.block, BLOCK);
    assert_int_equal(d.n_blocks, 10);
}

static void test_last_block_is_short(void **state)
{
    struct settop_image_desc d;
    assert_int_equal(settop_image_describe(&d, 1, SIZE, BLOCK), 0);
    assert_int_equal(settop_block_len(&d, 0), BLOCK);
    assert_int_equal(settop_block_len(&d, 8), BLOCK);
    assert_int_equal(settop_block_len(&d, 9), SIZE - 9 * BLOCK);
    assert_int_equal(settop_block_len(&d, 10), 0);
    assert_int_equal(settop_block_len(&d, UINT32_MAX), 0);
}

static void test_exact_multiple_has_a_full_last_block(void **state)
{
    struct settop_image_desc d;
    assert_int_equal(settop_image_describe(&d, 1, 8 * BLOCK, BLOCK), 0);
    assert_int_equal(d.n_blocks, 8);
    assert_int_equal(settop_block_len(&d, 7), BLOCK);
    assert_int_equal(settop_block_len(&d, 8), 0);
    /* One block smaller than the block size. */
    assert_int_equal(settop_image_describe(&d, 1, 100, BLOCK), 0);
    assert_int_equal(d.n_blocks, 1);
    assert_int_equal(settop_block_len(&d, 0), 100);
}

static void test_block_bytes_point_into_the_image(void **state)
{
    struct settop_image a;
    assert_int_equal(settop_image_make(&a, 3, SIZE, BLOCK), 0);
    assert_ptr_equal(settop_block_bytes(&a, 0), a.bytes);
    assert_ptr_equal(settop_block_bytes(&a, 9), a.bytes + 9 * BLOCK);
    settop_image_free(&a);
}

static void test_verify_accepts_the_image_and_nothing_else(void **state)
{
    struct settop_image a;
    assert_int_equal(settop_image_make(&a, 5, SIZE, BLOCK), 0);
    assert_true(settop_image_verify(&a.d, a.bytes));
    a.bytes[SIZE - 1] ^= 1;
    assert_false(settop_image_verify(&a.d, a.bytes));
    a.bytes[SIZE - 1] ^= 1;
    assert_false(settop_image_verify(&a.d, NULL));
    struct settop_image other;
    assert_int_equal(settop_image_make(&other, 6, SIZE, BLOCK), 0);
    assert_false(settop_image_verify(&a.d, other.bytes));
    settop_image_free(&other);
    settop_image_free(&a);
}

/* ---- block map ---- */

static void test_block_map_sets_each_bit_once(void **state)
{
    struct block_map m;
    assert_int_equal(block_map_init(&m, 130), 0); /* three words, the last partial */
    assert_false(block_map_has(&m, 0));
    assert_true(block_map_set(&m, 0));
    assert_false(block_map_set(&m, 0));
    assert_true(block_map_has(&m, 0));
    assert_true(block_map_set(&m, 63));
    assert_true(block_map_set(&m, 64));
    assert_true(block_map_set(&m, 129));
    assert_false(block_map_has(&m, 1));
    assert_false(block_map_has(&m, 128));
    assert_int_equal(m.have, 4);
    block_map_free(&m);
}

static void test_block_map_refuses_out_of_range(void **state)
{
    struct block_map m;
    assert_int_equal(block_map_init(&m, 130), 0);
    assert_false(block_map_set(&m, 130));
    assert_false(block_map_set(&m, UINT32_MAX));
    assert_false(block_map_has(&m, 130));
    assert_false(block_map_has(&m, UINT32_MAX));
    assert_int_equal(m.have, 0);
    block_map_free(&m);
}

static void test_block_map_full_and_clear(void **state)
{
    struct block_map m;
    assert_int_equal(block_map_init(&m, 70), 0);
    for (uint32_t i = 69; i > 0; i--) {
        assert_true(block_map_set(&m, i));
        assert_false(block_map_full(&m));
    }
    assert_true(block_map_set(&m, 0));
    assert_true(block_map_full(&m));
    block_map_clear(&m);
    assert_int_equal(m.have, 0);
    assert_false(block_map_full(&m));
    for (uint32_t i = 0; i < 70; i++)
        assert_false(block_map_has(&m, i));
    assert_true(block_map_set(&m, 5));
    block_map_free(&m);
}

static void test_block_map_of_no_blocks(void **state)
{
    struct block_map m;
    assert_int_equal(block_map_init(&m, 0), 0);
    assert_true(block_map_full(&m));
    assert_false(block_map_set(&m, 0));
    assert_false(block_map_has(&m, 0));
    block_map_clear(&m);
    block_map_free(&m);
}

static void test_block_map_bytes(void **state)
{
    assert_int_equal(block_map_bytes(0), 0);
    assert_int_equal(block_map_bytes(1), 8);
    assert_int_equal(block_map_bytes(64), 8);
    assert_int_equal(block_map_bytes(65), 16);
    assert_int_equal(block_map_bytes(56403), 882 * 8);
}

/* ---- stitching ---- */

static void test_stitch_rebuilds_the_image_in_any_order(void **state)
{
    struct settop_image a;
    struct block_map m;
    assert_int_equal(settop_image_make(&a, 11, SIZE, BLOCK), 0);
    assert_int_equal(block_map_init(&m, a.d.n_blocks), 0);
    uint8_t *buf = calloc(1, SIZE);
    assert_non_null(buf);
    static const uint32_t order[] = {9, 3, 0, 8, 1, 7, 2, 6, 4, 5};
    for (size_t i = 0; i < 10; i++) {
        uint32_t b = order[i];
        assert_int_equal(
            settop_stitch(&a.d, &m, buf, b, settop_block_bytes(&a, b), settop_block_len(&a.d, b)),
            STITCH_NEW);
        assert_int_equal(block_map_full(&m), i == 9);
    }
    assert_memory_equal(buf, a.bytes, SIZE);
    assert_true(settop_image_verify(&a.d, buf));
    free(buf);
    block_map_free(&m);
    settop_image_free(&a);
}

static void test_stitch_reports_a_duplicate_and_keeps_the_first(void **state)
{
    struct settop_image a;
    struct block_map m;
    assert_int_equal(settop_image_make(&a, 11, SIZE, BLOCK), 0);
    assert_int_equal(block_map_init(&m, a.d.n_blocks), 0);
    uint8_t *buf = calloc(1, SIZE);
    uint8_t junk[BLOCK];
    memset(junk, 0xa5, sizeof junk);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 2, settop_block_bytes(&a, 2), BLOCK), STITCH_NEW);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 2, junk, BLOCK), STITCH_DUP);
    assert_memory_equal(buf + 2 * BLOCK, settop_block_bytes(&a, 2), BLOCK);
    assert_int_equal(m.have, 1);
    free(buf);
    block_map_free(&m);
    settop_image_free(&a);
}

static void test_stitch_refuses_bad_index_and_length(void **state)
{
    struct settop_image a;
    struct block_map m;
    assert_int_equal(settop_image_make(&a, 11, SIZE, BLOCK), 0);
    assert_int_equal(block_map_init(&m, a.d.n_blocks), 0);
    uint8_t *buf = calloc(1, SIZE);
    uint8_t data[BLOCK + 1] = {0};
    assert_int_equal(settop_stitch(&a.d, &m, buf, 10, data, 784), STITCH_BAD_INDEX);
    assert_int_equal(settop_stitch(&a.d, &m, buf, UINT32_MAX, data, BLOCK), STITCH_BAD_INDEX);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 0, data, BLOCK - 1), STITCH_BAD_LEN);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 0, data, BLOCK + 1), STITCH_BAD_LEN);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 0, data, 0), STITCH_BAD_LEN);
    /* The last block is short: a full-size one there is wrong. */
    assert_int_equal(settop_stitch(&a.d, &m, buf, 9, data, BLOCK), STITCH_BAD_LEN);
    assert_int_equal(settop_stitch(&a.d, &m, buf, 9, data, 784), STITCH_NEW);
    /* Refused blocks marked nothing and wrote nothing. */
    assert_int_equal(m.have, 1);
    assert_false(block_map_has(&m, 0));
    for (size_t i = 0; i < 9 * BLOCK; i++)
        assert_int_equal(buf[i], 0);
    free(buf);
    block_map_free(&m);
    settop_image_free(&a);
}

/* A box that does not verify keeps no bytes: stitching only marks. */
static void test_stitch_without_a_buffer_only_marks(void **state)
{
    struct settop_image_desc d;
    struct block_map m;
    assert_int_equal(settop_image_describe(&d, 11, SIZE, BLOCK), 0);
    assert_int_equal(block_map_init(&m, d.n_blocks), 0);
    uint8_t data[BLOCK] = {0};
    for (uint32_t b = 0; b < d.n_blocks; b++)
        assert_int_equal(settop_stitch(&d, &m, NULL, b, data, settop_block_len(&d, b)), STITCH_NEW);
    assert_true(block_map_full(&m));
    assert_int_equal(settop_stitch(&d, &m, NULL, 0, data, BLOCK), STITCH_DUP);
    block_map_free(&m);
}

/* A map smaller than the image (a caller's mistake) refuses, not overruns. */
static void test_stitch_with_a_smaller_map_refuses(void **state)
{
    struct settop_image_desc d;
    struct block_map m;
    assert_int_equal(settop_image_describe(&d, 11, SIZE, BLOCK), 0);
    assert_int_equal(block_map_init(&m, 4), 0);
    uint8_t data[BLOCK] = {0};
    assert_int_equal(settop_stitch(&d, &m, NULL, 5, data, BLOCK), STITCH_BAD_INDEX);
    block_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_makes_the_same_image),
        cmocka_unit_test(test_another_seed_makes_another_image),
        cmocka_unit_test(test_image_bytes_look_random),
        cmocka_unit_test(test_id_is_the_hash_prefix_big_endian),
        cmocka_unit_test(test_describe_matches_make),
        cmocka_unit_test(test_geometry_and_bad_arguments),
        cmocka_unit_test(test_last_block_is_short),
        cmocka_unit_test(test_exact_multiple_has_a_full_last_block),
        cmocka_unit_test(test_block_bytes_point_into_the_image),
        cmocka_unit_test(test_verify_accepts_the_image_and_nothing_else),
        cmocka_unit_test(test_block_map_sets_each_bit_once),
        cmocka_unit_test(test_block_map_refuses_out_of_range),
        cmocka_unit_test(test_block_map_full_and_clear),
        cmocka_unit_test(test_block_map_of_no_blocks),
        cmocka_unit_test(test_block_map_bytes),
        cmocka_unit_test(test_stitch_rebuilds_the_image_in_any_order),
        cmocka_unit_test(test_stitch_reports_a_duplicate_and_keeps_the_first),
        cmocka_unit_test(test_stitch_refuses_bad_index_and_length),
        cmocka_unit_test(test_stitch_without_a_buffer_only_marks),
        cmocka_unit_test(test_stitch_with_a_smaller_map_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
