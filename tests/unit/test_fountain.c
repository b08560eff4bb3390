/* test_fountain.c - RaptorQ encoding and decoding of the boot image
 * (node/fountain.c over liblcrq): the image comes back, checked by its
 * SHA-256, from any K+2 symbols, source and repair mixed, in any order; too
 * few symbols, repeats, bad ESIs and wrong bytes are refused or fail
 * cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node/fountain.h"
#include "node/settop_image.h"

#define ESI_MOD (1u << 24)

struct fixture {
    struct settop_image img;
    struct fountain_enc *enc;
    uint8_t *sym; /* one symbol */
    uint8_t *out; /* img.d.size bytes */
};

static void fixture_init(struct fixture *f, uint64_t seed, uint64_t size, uint32_t symbol)
{
    assert_int_equal(settop_image_make(&f->img, seed, size, symbol), 0);
    f->enc = fountain_enc_new(f->img.bytes, size, symbol);
    assert_non_null(f->enc);
    assert_int_equal(fountain_enc_k(f->enc), f->img.d.n_blocks);
    f->sym = malloc(symbol);
    f->out = malloc(size);
    assert_non_null(f->sym);
    assert_non_null(f->out);
}

static void fixture_free(struct fixture *f)
{
    free(f->sym);
    free(f->out);
    fountain_enc_free(f->enc);
    settop_image_free(&f->img);
}

static int add_esi(struct fixture *f, struct fountain_dec *d, uint32_t esi)
{
    assert_int_equal(fountain_enc_symbol(f->enc, esi, f->sym), 0);
    return fountain_dec_add(d, esi, f->sym);
}

/* Feed ESIs from, from+1, ... skipping every tenth source symbol (a lost
 * datagram), so repair symbols stand in, until `count` are kept. Returns
 * the ESI to go on from. */
static uint32_t feed_with_losses(struct fixture *f, struct fountain_dec *d, uint32_t from,
                                 uint32_t count)
{
    uint32_t k = f->img.d.n_blocks;
    uint32_t esi = from;
    for (; fountain_dec_count(d) < count; esi++) {
        if (esi < k && esi % 10 == 0)
            continue;
        assert_int_equal(add_esi(f, d, esi), 1);
    }
    return esi;
}

static void round_trip(uint64_t seed, uint64_t size, uint32_t symbol)
{
    struct fixture f;
    fixture_init(&f, seed, size, symbol);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(size, symbol, k + 8);
    assert_non_null(d);
    assert_int_equal(fountain_dec_k(d), k);
    feed_with_losses(&f, d, 0, k + 2);
    memset(f.out, 0, size);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    assert_memory_equal(f.out, f.img.bytes, size);
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_round_trip_64kib(void **state)
{
    round_trip(1, 64 * 1024, 1024);
}

static void test_round_trip_256kib(void **state)
{
    round_trip(2, 256 * 1024, 1024);
}

/* Not a multiple of the symbol: the last source symbol is padded, and the
 * padding does not reach the caller's buffer. */
static void test_round_trip_of_a_padded_image(void **state)
{
    round_trip(3, 100000, 1024);
    round_trip(4, 1000, 64); /* K = 16, one short symbol */
}

static void test_source_symbols_are_the_image_blocks(void **state)
{
    struct fixture f;
    fixture_init(&f, 5, 10000, 1024); /* K = 10, the last 784 bytes */
    for (uint32_t i = 0; i < 10; i++) {
        assert_int_equal(fountain_enc_symbol(f.enc, i, f.sym), 0);
        uint32_t len = settop_block_len(&f.img.d, i);
        assert_memory_equal(f.sym, settop_block_bytes(&f.img, i), len);
        for (uint32_t j = len; j < 1024; j++)
            assert_int_equal(f.sym[j], 0);
    }
    /* Repair symbols are something else, and the same each time. */
    uint8_t a[1024];
    assert_int_equal(fountain_enc_symbol(f.enc, 10, a), 0);
    assert_int_equal(fountain_enc_symbol(f.enc, 11, f.sym), 0);
    assert_memory_not_equal(a, f.sym, 1024);
    assert_int_equal(fountain_enc_symbol(f.enc, 10, f.sym), 0);
    assert_memory_equal(a, f.sym, 1024);
    /* The whole ESI space and nothing beyond. */
    assert_int_equal(fountain_enc_symbol(f.enc, ESI_MOD - 1, f.sym), 0);
    assert_int_equal(fountain_enc_symbol(f.enc, ESI_MOD, f.sym), -1);
    assert_int_equal(fountain_enc_symbol(f.enc, UINT32_MAX, f.sym), -1);
    fixture_free(&f);
}

/* Repair symbols alone, far into the ESI space, then sources backwards. */
static void test_decodes_symbols_in_any_order(void **state)
{
    struct fixture f;
    fixture_init(&f, 6, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 2);
    assert_non_null(d);
    for (uint32_t i = 0; i < 20; i++)
        assert_int_equal(add_esi(&f, d, ESI_MOD - 1 - 1000 * i), 1);
    for (uint32_t esi = k; fountain_dec_count(d) < k + 2; esi--)
        assert_int_equal(add_esi(&f, d, esi - 1), 1);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

/* Repair symbols only, none of the source. */
static void test_decodes_from_repair_symbols_only(void **state)
{
    struct fixture f;
    fixture_init(&f, 7, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 2);
    assert_non_null(d);
    feed_with_losses(&f, d, k, k + 2);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

/* Fewer than K fails without calling into the library (which would overrun
 * its matrices), and adding symbols then makes it work: the box's retry. */
static void test_fewer_than_k_symbols_fail_cleanly(void **state)
{
    struct fixture f;
    fixture_init(&f, 8, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 8);
    assert_non_null(d);
    assert_int_equal(fountain_dec_decode(d, f.out), -1); /* none */
    uint32_t next = feed_with_losses(&f, d, 0, k - 1);
    memset(f.out, 0x5a, 64 * 1024);
    assert_int_equal(fountain_dec_decode(d, f.out), -1);
    for (size_t i = 0; i < 64 * 1024; i++)
        assert_int_equal(f.out[i], 0x5a);
    feed_with_losses(&f, d, next, k + 2);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_duplicate_esi_is_refused(void **state)
{
    struct fixture f;
    fixture_init(&f, 9, 64 * 1024, 1024);
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, 100);
    assert_non_null(d);
    assert_int_equal(add_esi(&f, d, 5), 1);
    assert_int_equal(add_esi(&f, d, 5), 0);
    assert_int_equal(add_esi(&f, d, 70), 1);
    assert_int_equal(add_esi(&f, d, 3), 1);  /* before the others */
    assert_int_equal(add_esi(&f, d, 40), 1); /* between */
    assert_int_equal(add_esi(&f, d, 3), 0);
    assert_int_equal(add_esi(&f, d, 40), 0);
    assert_int_equal(add_esi(&f, d, 70), 0);
    assert_int_equal(add_esi(&f, d, 5), 0);
    assert_int_equal(fountain_dec_count(d), 4);
    fountain_dec_free(d);
    fixture_free(&f);
}

/* Symbols arriving out of order still line up with their ESIs: the image
 * decodes from an order that exercises every insertion path. */
static void test_out_of_order_insertions_keep_symbols_with_their_esis(void **state)
{
    struct fixture f;
    fixture_init(&f, 10, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks; /* 64 */
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 10);
    assert_non_null(d);
    /* Odd ESIs up to 2K, then the even ones below K, skipping multiples of 10. */
    for (uint32_t esi = 1; esi < 2 * k; esi += 2)
        assert_int_equal(add_esi(&f, d, esi), 1);
    for (uint32_t esi = 0; esi < k && fountain_dec_count(d) < k + 2; esi += 2)
        if (esi % 10)
            assert_int_equal(add_esi(&f, d, esi), 1);
    assert_true(fountain_dec_count(d) >= k + 2);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_full_decoder_refuses_more(void **state)
{
    struct fixture f;
    fixture_init(&f, 11, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 2);
    assert_non_null(d);
    feed_with_losses(&f, d, 0, k + 2);
    assert_int_equal(add_esi(&f, d, 5000), -1);
    assert_int_equal(add_esi(&f, d, 1), 0); /* a repeat is still a repeat */
    assert_int_equal(fountain_dec_count(d), k + 2);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_esi_beyond_24_bits_is_refused(void **state)
{
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, 100);
    assert_non_null(d);
    uint8_t sym[1024] = {0};
    assert_int_equal(fountain_dec_add(d, ESI_MOD, sym), -1);
    assert_int_equal(fountain_dec_add(d, UINT32_MAX, sym), -1);
    assert_int_equal(fountain_dec_count(d), 0);
    assert_int_equal(fountain_dec_add(d, ESI_MOD - 1, sym), 1);
    fountain_dec_free(d);
}

/* Garbage bytes, or good bytes under the wrong ESI, decode to the wrong
 * image or fail: never a crash, and the hash tells. */
static void test_wrong_symbols_do_not_decode_to_the_image(void **state)
{
    struct fixture f;
    fixture_init(&f, 12, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 2);
    assert_non_null(d);
    uint8_t junk[1024];
    for (uint32_t esi = 0; esi < k + 2; esi++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t)(esi * 31 + i * 7);
        assert_int_equal(fountain_dec_add(d, esi, junk), 1);
    }
    if (fountain_dec_decode(d, f.out) == 0)
        assert_false(settop_image_verify(&f.img.d, f.out));

    /* Every symbol right but one, which carries the bytes of ESI K+50. */
    fountain_dec_reset(d);
    for (uint32_t esi = 0; esi < k + 2; esi++) {
        assert_int_equal(fountain_enc_symbol(f.enc, esi == 3 ? k + 50 : esi, f.sym), 0);
        assert_int_equal(fountain_dec_add(d, esi, f.sym), 1);
    }
    if (fountain_dec_decode(d, f.out) == 0)
        assert_false(settop_image_verify(&f.img.d, f.out));
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_reset_then_reuse(void **state)
{
    struct fixture f;
    fixture_init(&f, 13, 256 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(256 * 1024, 1024, k + 4);
    assert_non_null(d);
    size_t bytes = fountain_dec_bytes(d);
    feed_with_losses(&f, d, 0, k + 2);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));

    fountain_dec_reset(d);
    assert_int_equal(fountain_dec_count(d), 0);
    assert_int_equal(fountain_dec_decode(d, f.out), -1);
    /* Start mid-stream this time, as a box that tunes in late. */
    feed_with_losses(&f, d, k / 2, k + 2);
    memset(f.out, 0, 256 * 1024);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_true(settop_image_verify(&f.img.d, f.out));
    assert_int_equal(fountain_dec_bytes(d), bytes);
    fountain_dec_free(d);
    fixture_free(&f);
}

/* What a box counts in box_image_bytes: at least its symbols and ESIs, the
 * same from start to end. */
static void test_memory_is_reported_and_constant(void **state)
{
    struct fixture f;
    fixture_init(&f, 14, 64 * 1024, 1024);
    uint32_t k = f.img.d.n_blocks;
    struct fountain_dec *d = fountain_dec_new(64 * 1024, 1024, k + 6);
    assert_non_null(d);
    size_t bytes = fountain_dec_bytes(d);
    assert_true(bytes >= (size_t)(k + 6) * (1024 + 4));
    assert_true(bytes < (size_t)(k + 6) * (1024 + 4) + 1024);
    feed_with_losses(&f, d, 0, k + 2);
    assert_int_equal(fountain_dec_bytes(d), bytes);
    assert_int_equal(fountain_dec_decode(d, f.out), 0);
    assert_int_equal(fountain_dec_bytes(d), bytes);
    fountain_dec_free(d);
    fixture_free(&f);
}

static void test_bad_geometry_is_refused(void **state)
{
    uint8_t data[4096] = {0};
    assert_null(fountain_enc_new(data, 4096, 1022)); /* not a multiple of 4 */
    assert_null(fountain_enc_new(data, 4096, 0));
    assert_null(fountain_enc_new(data, 0, 1024));
    assert_null(fountain_enc_new(NULL, 4096, 1024));
    assert_null(fountain_dec_new(4096, 1022, 10));
    assert_null(fountain_dec_new(4096, 0, 10));
    assert_null(fountain_dec_new(0, 1024, 10));
    assert_null(fountain_dec_new(4096, 1024, 3)); /* room for fewer than K = 4 */
    /* More than one source block (K > 56403) is not handled. */
    assert_null(fountain_dec_new(56404ULL * 64, 64, 56404));
    struct fountain_dec *d = fountain_dec_new(56403ULL * 64, 64, 56403);
    assert_non_null(d);
    assert_int_equal(fountain_dec_k(d), 56403);
    fountain_dec_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_64kib),
        cmocka_unit_test(test_round_trip_256kib),
        cmocka_unit_test(test_round_trip_of_a_padded_image),
        cmocka_unit_test(test_source_symbols_are_the_image_blocks),
        cmocka_unit_test(test_decodes_symbols_in_any_order),
        cmocka_unit_test(test_decodes_from_repair_symbols_only),
        cmocka_unit_test(test_fewer_than_k_symbols_fail_cleanly),
        cmocka_unit_test(test_duplicate_esi_is_refused),
        cmocka_unit_test(test_out_of_order_insertions_keep_symbols_with_their_esis),
        cmocka_unit_test(test_full_decoder_refuses_more),
        cmocka_unit_test(test_esi_beyond_24_bits_is_refused),
        cmocka_unit_test(test_wrong_symbols_do_not_decode_to_the_image),
        cmocka_unit_test(test_reset_then_reuse),
        cmocka_unit_test(test_memory_is_reported_and_constant),
        cmocka_unit_test(test_bad_geometry_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
