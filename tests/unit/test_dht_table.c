/* test_dht_table.c - the XOR metric (node/dht_id) and the k-bucket routing
 * table (node/dht_table): ordering, buckets, ids, and the table's rules for
 * adding, refreshing, replacing and evicting contacts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/rng.h"
#include "node/dht_id.h"
#include "node/dht_table.h"

static struct dht_id zero_id(void)
{
    return (struct dht_id){{0}};
}

/* An id that is zero but for byte i = v. */
static struct dht_id byte_id(int i, uint8_t v)
{
    struct dht_id id = zero_id();
    id.b[i] = v;
    return id;
}

static struct dht_id random_id(struct rng *r)
{
    struct dht_id id;
    for (int i = 0; i < DHT_ID_LEN; i++)
        id.b[i] = (uint8_t)rng_u32(r);
    return id;
}

static struct dht_id in_bucket(const struct dht_id *self, int b, struct rng *r)
{
    struct dht_id id;
    dht_id_random_in_bucket(self, b, r, &id);
    return id;
}

/* ---- dht_id ---- */

static void test_xor_symmetric(void **state)
{
    struct rng r;
    rng_seed(&r, 1, 0, 0);
    for (int n = 0; n < 100; n++) {
        struct dht_id a = random_id(&r), b = random_id(&r), ab, ba, aa;
        dht_id_xor(&a, &b, &ab);
        dht_id_xor(&b, &a, &ba);
        assert_true(dht_id_eq(&ab, &ba));
        for (int i = 0; i < DHT_ID_LEN; i++)
            assert_int_equal(ab.b[i], a.b[i] ^ b.b[i]);
        dht_id_xor(&a, &a, &aa);
        struct dht_id z = zero_id();
        assert_true(dht_id_eq(&aa, &z));
        /* out aliasing an input */
        struct dht_id c = a;
        dht_id_xor(&c, &b, &c);
        assert_true(dht_id_eq(&c, &ab));
    }
}

static void test_closer_orders_by_distance(void **state)
{
    struct dht_id t = zero_id();
    struct dht_id one = byte_id(19, 1), two = byte_id(19, 2);
    assert_true(dht_id_closer(&t, &one, &two) < 0);
    assert_true(dht_id_closer(&t, &two, &one) > 0);
    assert_int_equal(dht_id_closer(&t, &one, &one), 0);

    /* The high bit decides: 0x80 00.. is farther than 0x7f ff ff ... */
    struct dht_id hi = byte_id(0, 0x80), lo;
    memset(lo.b, 0xff, sizeof lo.b);
    lo.b[0] = 0x7f;
    assert_true(dht_id_closer(&t, &lo, &hi) < 0);
    assert_true(dht_id_closer(&t, &hi, &lo) > 0);

    /* Seen from 0xff.., the order is reversed. */
    struct dht_id far;
    memset(far.b, 0xff, sizeof far.b);
    assert_true(dht_id_closer(&far, &hi, &lo) < 0);
    assert_true(dht_id_closer(&far, &two, &one) < 0);

    /* Against memcmp of the XOR distances, on random triples. */
    struct rng r;
    rng_seed(&r, 2, 0, 0);
    for (int n = 0; n < 1000; n++) {
        struct dht_id x = random_id(&r), a = random_id(&r), b = random_id(&r), da, db;
        if (n % 7 == 0)
            memcpy(b.b, a.b, n % 2 ? 19 : 20); /* equal but the last byte, or equal */
        dht_id_xor(&x, &a, &da);
        dht_id_xor(&x, &b, &db);
        int want = memcmp(da.b, db.b, DHT_ID_LEN);
        int got = dht_id_closer(&x, &a, &b);
        assert_int_equal(want < 0, got < 0);
        assert_int_equal(want > 0, got > 0);
    }
}

static void test_bucket_of_known_pairs(void **state)
{
    struct dht_id z = zero_id();
    struct dht_id top = byte_id(0, 0x80), last = byte_id(19, 0x01);
    assert_int_equal(dht_id_bucket(&z, &top), 159);
    assert_int_equal(dht_id_bucket(&top, &z), 159);
    assert_int_equal(dht_id_bucket(&z, &last), 0);
    assert_int_equal(dht_id_bucket(&z, &z), -1);
    struct dht_id b1 = byte_id(19, 0x02), b152 = byte_id(0, 0x01), b151 = byte_id(1, 0x80);
    assert_int_equal(dht_id_bucket(&z, &b1), 1);
    assert_int_equal(dht_id_bucket(&z, &b152), 152);
    assert_int_equal(dht_id_bucket(&z, &b151), 151);
    /* Lower differing bits do not matter, only the highest one. */
    struct dht_id mixed = byte_id(10, 0x10);
    mixed.b[19] = 0xff;
    assert_int_equal(dht_id_bucket(&z, &mixed), 9 * 8 + 4);
    struct dht_id same = top;
    assert_int_equal(dht_id_bucket(&top, &same), -1);
}

static void test_random_in_bucket(void **state)
{
    struct rng r;
    rng_seed(&r, 3, 0, 0);
    for (int s = 0; s < 4; s++) {
        struct dht_id self = random_id(&r);
        for (int b = 0; b < DHT_ID_BITS; b++) {
            uint8_t seen_or = 0, seen_and = 0xff; /* bits of the last byte */
            for (int n = 0; n < 40; n++) {
                struct dht_id id = in_bucket(&self, b, &r);
                assert_int_equal(dht_id_bucket(&self, &id), b);
                seen_or |= id.b[DHT_ID_LEN - 1];
                seen_and &= id.b[DHT_ID_LEN - 1];
            }
            if (b >= 8) /* below bit b it is random: not constant over 40 draws */
                assert_true(seen_or != seen_and);
        }
    }
    /* out may alias self */
    struct dht_id self = random_id(&r), id = self;
    dht_id_random_in_bucket(&id, 77, &r, &id);
    assert_int_equal(dht_id_bucket(&self, &id), 77);
}

static void test_ids_of_node_and_user(void **state)
{
    char hex[2 * DHT_ID_LEN + 1];
    struct dht_id a, b, c, d, u, v;
    dht_id_of_node(42, 7, &a);
    dht_id_of_node(42, 7, &b);
    dht_id_of_node(42, 8, &c);
    dht_id_of_node(43, 7, &d);
    assert_true(dht_id_eq(&a, &b));
    assert_false(dht_id_eq(&a, &c));
    assert_false(dht_id_eq(&a, &d));
    /* SHA-256("bootstorm-dht-node" || be64(42) || be32(7)), by Python's hashlib. */
    dht_id_hex(&a, DHT_ID_LEN, hex);
    assert_string_equal(hex, "e065c04cbeeabb6b1c92719fece6f285d5cfcf0e");

    dht_id_of_user(123456789, &u);
    dht_id_of_user(123456789, &v);
    assert_true(dht_id_eq(&u, &v));
    dht_id_hex(&u, DHT_ID_LEN, hex);
    assert_string_equal(hex, "93ef3bfcb7c847d66c464b2c05a70d35b2ea42c8");
    dht_id_of_user(7, &v);
    assert_false(dht_id_eq(&u, &v));
    /* A user's key and a node's id with the same number differ. */
    dht_id_of_node(0, 7, &c);
    assert_false(dht_id_eq(&v, &c));
}

static void test_hex(void **state)
{
    struct dht_id id = zero_id();
    id.b[0] = 0x00;
    id.b[1] = 0x01;
    id.b[2] = 0xab;
    id.b[3] = 0xff;
    char buf[2 * DHT_ID_LEN + 1];
    memset(buf, 'x', sizeof buf);
    dht_id_hex(&id, 4, buf);
    assert_string_equal(buf, "0001abff");
    dht_id_hex(&id, 0, buf);
    assert_string_equal(buf, "");
    dht_id_hex(&id, DHT_ID_LEN, buf);
    assert_string_equal(buf, "0001abff00000000000000000000000000000000");
}

/* ---- dht_table ---- */

#define PORT 4000

static enum dht_seen seen(struct dht_table *t, const struct dht_id *id, uint32_t ip, uint32_t now)
{
    return dht_table_seen(t, id, ip, PORT, now, DHT_KEEP_OLD, NULL);
}

/* The contacts are grouped by bucket, ascending, at most k each. */
static void check_layout(const struct dht_table *t)
{
    int prev = -1, run = 0;
    for (unsigned i = 0; i < t->n; i++) {
        int b = dht_id_bucket(&t->self, &t->c[i].id);
        assert_true(b >= prev);
        run = b == prev ? run + 1 : 1;
        assert_true(run <= t->k);
        prev = b;
    }
}

/* The ids of bucket b's contacts, in array order, equal want[0..n). */
static void expect_bucket(const struct dht_table *t, int b, const struct dht_id *want, unsigned n)
{
    assert_int_equal(dht_table_bucket_count(t, b), n);
    unsigned j = 0;
    for (unsigned i = 0; i < t->n; i++)
        if (dht_id_bucket(&t->self, &t->c[i].id) == b)
            assert_true(dht_id_eq(&t->c[i].id, &want[j++]));
    assert_int_equal(j, n);
}

static void test_fill_full_and_lru(void **state)
{
    struct rng r;
    rng_seed(&r, 4, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 4);
    assert_int_equal(dht_table_nearest_bucket(&t), -1);
    assert_int_equal(seen(&t, &self, 1, 0), DHT_SEEN_SELF);
    assert_int_equal(t.n, 0);

    struct dht_id id[8];
    for (int i = 0; i < 8; i++)
        id[i] = in_bucket(&self, 159, &r);
    for (int i = 0; i < 4; i++)
        assert_int_equal(seen(&t, &id[i], 10 + i, 100 + i), DHT_SEEN_ADDED);
    expect_bucket(&t, 159, id, 4);
    const struct dht_contact *c = dht_table_find(&t, &id[2]);
    assert_non_null(c);
    assert_int_equal(c->ip, 12);
    assert_int_equal(c->port, PORT);
    assert_int_equal(c->seen_ms, 102);
    assert_int_equal(c->verified, 1);
    assert_int_equal(c->fails, 0);

    /* Full: the newcomer is turned away and the LRU returned. */
    struct dht_contact lru = {0};
    assert_int_equal(dht_table_seen(&t, &id[4], 20, PORT, 200, DHT_KEEP_OLD, &lru), DHT_SEEN_FULL);
    assert_true(dht_id_eq(&lru.id, &id[0]));
    assert_int_equal(lru.ip, 10);
    assert_null(dht_table_find(&t, &id[4]));
    assert_int_equal(seen(&t, &id[4], 20, 200), DHT_SEEN_FULL); /* lru may be NULL */
    assert_int_equal(t.n, 4);

    /* Another bucket has its own room. */
    struct dht_id near = in_bucket(&self, 100, &r);
    assert_int_equal(seen(&t, &near, 30, 210), DHT_SEEN_ADDED);
    assert_int_equal(dht_table_bucket_count(&t, 100), 1);
    assert_int_equal(dht_table_nearest_bucket(&t), 100);

    /* Hearing from id[0] again makes it the most recently seen: id[1] is now the LRU. */
    assert_int_equal(seen(&t, &id[0], 10, 300), DHT_SEEN_UPDATED);
    struct dht_id order[] = {id[1], id[2], id[3], id[0]};
    expect_bucket(&t, 159, order, 4);
    assert_int_equal(dht_table_find(&t, &id[0])->seen_ms, 300);
    assert_int_equal(dht_table_seen(&t, &id[5], 21, PORT, 310, DHT_KEEP_OLD, &lru), DHT_SEEN_FULL);
    assert_true(dht_id_eq(&lru.id, &id[1]));
    check_layout(&t);
    dht_table_free(&t);
}

static void test_failing_contact_replaced(void **state)
{
    struct rng r;
    rng_seed(&r, 5, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 4);
    struct dht_id id[8];
    for (int i = 0; i < 8; i++) {
        id[i] = in_bucket(&self, 158, &r);
        if (i < 4)
            assert_int_equal(seen(&t, &id[i], 10 + i, i), DHT_SEEN_ADDED);
    }
    /* id[2] fails twice, id[1] once: id[2] goes first. */
    assert_false(dht_table_failed(&t, &id[1], 11, PORT, 5));
    assert_false(dht_table_failed(&t, &id[2], 12, PORT, 5));
    assert_false(dht_table_failed(&t, &id[2], 12, PORT, 5));
    assert_int_equal(dht_table_find(&t, &id[2])->fails, 2);
    assert_int_equal(seen(&t, &id[4], 14, 50), DHT_SEEN_REPLACED);
    assert_null(dht_table_find(&t, &id[2]));
    const struct dht_contact *c = dht_table_find(&t, &id[4]);
    assert_non_null(c);
    assert_int_equal(c->ip, 14);
    assert_int_equal(c->fails, 0);
    assert_int_equal(c->verified, 1);
    struct dht_id order[] = {id[0], id[1], id[3], id[4]}; /* the newcomer is the MRU */
    expect_bucket(&t, 158, order, 4);

    /* Ties in failures: the least recently seen of them goes. */
    assert_false(dht_table_failed(&t, &id[3], 13, PORT, 5));
    assert_false(dht_table_failed(&t, &id[0], 10, PORT, 5)); /* 0 is before 3 */
    assert_int_equal(seen(&t, &id[5], 15, 60), DHT_SEEN_REPLACED);
    assert_null(dht_table_find(&t, &id[0]));
    assert_non_null(dht_table_find(&t, &id[3]));
    assert_non_null(dht_table_find(&t, &id[1]));

    /* Hearing from a failing contact clears its count: no one is failing but 3. */
    assert_int_equal(seen(&t, &id[1], 11, 70), DHT_SEEN_UPDATED);
    assert_int_equal(dht_table_find(&t, &id[1])->fails, 0);
    assert_int_equal(seen(&t, &id[6], 16, 80), DHT_SEEN_REPLACED);
    assert_null(dht_table_find(&t, &id[3]));
    assert_int_equal(seen(&t, &id[7], 17, 90), DHT_SEEN_FULL);
    check_layout(&t);
    dht_table_free(&t);
}

static void test_eviction_after_stale_after(void **state)
{
    struct rng r;
    rng_seed(&r, 6, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 8);
    struct dht_id a = in_bucket(&self, 150, &r), b = in_bucket(&self, 150, &r);
    struct dht_id c = in_bucket(&self, 40, &r), stranger = in_bucket(&self, 150, &r);
    assert_int_equal(seen(&t, &a, 1, 0), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &b, 2, 0), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &c, 3, 0), DHT_SEEN_ADDED);

    assert_false(dht_table_failed(&t, &stranger, 9, PORT, 1)); /* unknown */
    assert_false(dht_table_failed(&t, &a, 99, PORT, 1));       /* another address */
    assert_false(dht_table_failed(&t, &a, 1, PORT + 1, 1));
    assert_int_equal(dht_table_find(&t, &a)->fails, 0);

    assert_false(dht_table_failed(&t, &a, 1, PORT, 3));
    assert_false(dht_table_failed(&t, &a, 1, PORT, 3));
    assert_int_equal(t.n, 3);
    assert_true(dht_table_failed(&t, &a, 1, PORT, 3));
    assert_null(dht_table_find(&t, &a));
    assert_int_equal(t.n, 2);
    assert_int_equal(dht_table_bucket_count(&t, 150), 1);
    assert_non_null(dht_table_find(&t, &b));
    assert_non_null(dht_table_find(&t, &c));
    assert_false(dht_table_failed(&t, &a, 1, PORT, 3)); /* gone */

    /* stale_after 1 (and 0, read as 1): the first failure evicts. */
    assert_true(dht_table_failed(&t, &c, 3, PORT, 1));
    assert_true(dht_table_failed(&t, &b, 2, PORT, 0));
    assert_int_equal(t.n, 0);
    assert_int_equal(dht_table_nearest_bucket(&t), -1);

    /* Failures saturate at 255 and the contact stays with stale_after > 255. */
    assert_int_equal(seen(&t, &a, 1, 0), DHT_SEEN_ADDED);
    for (int i = 0; i < 300; i++)
        assert_false(dht_table_failed(&t, &a, 1, PORT, 1000));
    assert_int_equal(dht_table_find(&t, &a)->fails, 255);
    dht_table_free(&t);
}

static void test_conflict_keeps_address(void **state)
{
    struct rng r;
    rng_seed(&r, 7, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 8);
    struct dht_id a = in_bucket(&self, 120, &r), b = in_bucket(&self, 120, &r);
    assert_int_equal(seen(&t, &a, 1, 10), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &b, 2, 20), DHT_SEEN_ADDED);
    assert_false(dht_table_failed(&t, &a, 1, PORT, 5));
    assert_int_equal(seen(&t, &a, 77, 30), DHT_SEEN_CONFLICT);
    assert_int_equal(dht_table_seen(&t, &a, 1, PORT + 1, 30, DHT_KEEP_OLD, NULL),
                     DHT_SEEN_CONFLICT);
    const struct dht_contact *c = dht_table_find(&t, &a);
    assert_int_equal(c->ip, 1);
    assert_int_equal(c->port, PORT);
    assert_int_equal(c->seen_ms, 10);
    assert_int_equal(c->fails, 1);
    struct dht_id order[] = {a, b}; /* not moved */
    expect_bucket(&t, 120, order, 2);
    dht_table_free(&t);
}

static void test_replace_lru_policy(void **state)
{
    struct rng r;
    rng_seed(&r, 8, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 3);
    struct dht_id id[5];
    for (int i = 0; i < 5; i++)
        id[i] = in_bucket(&self, 159, &r);
    for (int i = 0; i < 3; i++)
        assert_int_equal(seen(&t, &id[i], 1 + i, i), DHT_SEEN_ADDED);
    struct dht_contact lru = {0};
    assert_int_equal(dht_table_seen(&t, &id[3], 4, PORT, 10, DHT_REPLACE_LRU, &lru),
                     DHT_SEEN_REPLACED);
    assert_null(dht_table_find(&t, &id[0]));
    struct dht_id order[] = {id[1], id[2], id[3]};
    expect_bucket(&t, 159, order, 3);
    /* A failing contact still goes before the LRU. */
    assert_false(dht_table_failed(&t, &id[2], 3, PORT, 5));
    assert_int_equal(dht_table_seen(&t, &id[4], 5, PORT, 20, DHT_REPLACE_LRU, NULL),
                     DHT_SEEN_REPLACED);
    struct dht_id order2[] = {id[1], id[3], id[4]};
    expect_bucket(&t, 159, order2, 3);
    dht_table_free(&t);
}

static struct dht_id sort_target;

static int cmp_contact(const void *a, const void *b)
{
    const struct dht_contact *x = a, *y = b;
    struct dht_id dx, dy;
    dht_id_xor(&x->id, &sort_target, &dx);
    dht_id_xor(&y->id, &sort_target, &dy);
    return memcmp(dx.b, dy.b, DHT_ID_LEN);
}

/* closest() equals a brute-force sort of the table's (non-failing) contacts. */
static void check_closest(const struct dht_table *t, const struct dht_id *target, unsigned n,
                          bool skip_failing)
{
    struct dht_contact *all = malloc((t->n + 1) * sizeof *all);
    struct dht_contact *got = malloc((n + 1) * sizeof *got);
    assert_non_null(all);
    assert_non_null(got);
    unsigned m = 0;
    for (unsigned i = 0; i < t->n; i++)
        if (!skip_failing || t->c[i].fails == 0)
            all[m++] = t->c[i];
    sort_target = *target;
    qsort(all, m, sizeof *all, cmp_contact);
    unsigned want = m < n ? m : n;
    assert_int_equal(dht_table_closest(t, target, n, skip_failing, got), want);
    for (unsigned i = 0; i < want; i++) {
        assert_true(dht_id_eq(&got[i].id, &all[i].id));
        assert_int_equal(got[i].ip, all[i].ip);
    }
    free(all);
    free(got);
}

static void test_closest_against_brute_force(void **state)
{
    struct rng r;
    rng_seed(&r, 9, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 8);
    unsigned added = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        struct dht_id id = random_id(&r);
        /* a third of them in the near buckets, to fill more than the top few */
        if (i % 3 == 0)
            dht_id_random_in_bucket(&self, 159 - (int)rng_below(&r, 40), &r, &id);
        enum dht_seen s = seen(&t, &id, i, i);
        assert_true(s == DHT_SEEN_ADDED || s == DHT_SEEN_FULL);
        added += s == DHT_SEEN_ADDED;
    }
    assert_int_equal(t.n, added);
    assert_true(t.n > 8 * 20);
    assert_int_equal(dht_table_bucket_count(&t, 159), 8);
    check_layout(&t);

    for (int n = 0; n < 50; n++) {
        struct dht_id target = random_id(&r);
        if (n % 5 == 0)
            target = self;
        check_closest(&t, &target, 8, false);
        check_closest(&t, &target, 1, false);
        check_closest(&t, &target, 20, false);
        check_closest(&t, &target, t.n + 5, false);
    }
    struct dht_contact one;
    assert_int_equal(dht_table_closest(&t, &self, 0, false, &one), 0);

    /* skip_failing leaves out every contact with a failure. */
    struct dht_health h;
    unsigned failing = 0;
    for (unsigned i = 0; i < t.n; i += 3) {
        struct dht_contact c = t.c[i];
        assert_false(dht_table_failed(&t, &c.id, c.ip, c.port, 10));
        failing++;
    }
    for (int n = 0; n < 30; n++) {
        struct dht_id target = random_id(&r);
        check_closest(&t, &target, 8, true);
        check_closest(&t, &target, 8, false);
        struct dht_contact out[8];
        unsigned got = dht_table_closest(&t, &target, 8, true, out);
        for (unsigned i = 0; i < got; i++)
            assert_int_equal(out[i].fails, 0);
    }
    dht_table_health(&t, &h);
    assert_int_equal(h.entries, t.n);
    assert_int_equal(h.failing, failing);
    assert_int_equal(h.live, t.n - failing);
    dht_table_free(&t);
}

static void test_health_unverify_clear(void **state)
{
    struct dht_id self = zero_id();
    struct dht_table t;
    struct dht_health h;
    dht_table_init(&t, &self, 8);
    dht_table_health(&t, &h);
    assert_int_equal(h.entries, 0);
    struct dht_id a = byte_id(0, 0x80), b = byte_id(10, 0x01), c = byte_id(19, 0x04);
    struct dht_id d = byte_id(0, 0xc0);
    assert_int_equal(seen(&t, &a, 1, 0), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &b, 2, 0), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &c, 3, 0), DHT_SEEN_ADDED);
    assert_int_equal(seen(&t, &d, 4, 0), DHT_SEEN_ADDED);
    assert_int_equal(dht_table_nearest_bucket(&t), 2);
    assert_int_equal(dht_table_bucket_count(&t, 159), 2);
    assert_int_equal(dht_table_bucket_count(&t, 72), 1);
    assert_int_equal(dht_table_bucket_count(&t, 2), 1);
    assert_int_equal(dht_table_bucket_count(&t, 3), 0);
    assert_int_equal(dht_table_bucket_count(&t, -1), 0);
    assert_int_equal(dht_table_bucket_count(&t, 160), 0);
    check_layout(&t);

    assert_false(dht_table_failed(&t, &b, 2, PORT, 3));
    dht_table_health(&t, &h);
    assert_int_equal(h.entries, 4);
    assert_int_equal(h.live, 3);
    assert_int_equal(h.failing, 1);

    /* A reboot: nobody verified, failures kept. */
    dht_table_unverify(&t);
    dht_table_health(&t, &h);
    assert_int_equal(h.entries, 4);
    assert_int_equal(h.live, 0);
    assert_int_equal(h.failing, 1);
    assert_int_equal(dht_table_find(&t, &b)->fails, 1);
    assert_int_equal(dht_table_find(&t, &a)->verified, 0);
    /* Heard from again: live. */
    assert_int_equal(seen(&t, &a, 1, 5), DHT_SEEN_UPDATED);
    assert_int_equal(seen(&t, &b, 2, 5), DHT_SEEN_UPDATED);
    dht_table_health(&t, &h);
    assert_int_equal(h.live, 2);
    assert_int_equal(h.failing, 0);

    dht_table_clear(&t);
    assert_int_equal(t.n, 0);
    assert_null(t.c);
    assert_int_equal(dht_table_nearest_bucket(&t), -1);
    assert_null(dht_table_find(&t, &a));
    dht_table_health(&t, &h);
    assert_int_equal(h.entries, 0);
    assert_true(dht_id_eq(&t.self, &self));
    assert_int_equal(seen(&t, &d, 4, 9), DHT_SEEN_ADDED); /* usable after clear */
    assert_int_equal(dht_table_nearest_bucket(&t), 159);
    dht_table_free(&t);
}

/* The array grows past its first allocations, buckets staying in order. */
static void test_growth(void **state)
{
    struct rng r;
    rng_seed(&r, 10, 0, 0);
    struct dht_id self = random_id(&r);
    struct dht_table t;
    dht_table_init(&t, &self, 64);
    struct dht_id ids[64 * 20];
    unsigned m = 0;
    for (int b = 159; b >= 140; b--)
        for (int i = 0; i < 64; i++) {
            ids[m] = in_bucket(&self, b, &r);
            assert_int_equal(seen(&t, &ids[m], m, m), DHT_SEEN_ADDED);
            m++;
        }
    assert_int_equal(t.n, 64 * 20);
    assert_true(t.cap >= t.n);
    check_layout(&t);
    for (unsigned i = 0; i < m; i++) {
        const struct dht_contact *c = dht_table_find(&t, &ids[i]);
        assert_non_null(c);
        assert_int_equal(c->ip, i);
    }
    assert_int_equal(dht_table_nearest_bucket(&t), 140);
    dht_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xor_symmetric),
        cmocka_unit_test(test_closer_orders_by_distance),
        cmocka_unit_test(test_bucket_of_known_pairs),
        cmocka_unit_test(test_random_in_bucket),
        cmocka_unit_test(test_ids_of_node_and_user),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_fill_full_and_lru),
        cmocka_unit_test(test_failing_contact_replaced),
        cmocka_unit_test(test_eviction_after_stale_after),
        cmocka_unit_test(test_conflict_keeps_address),
        cmocka_unit_test(test_replace_lru_policy),
        cmocka_unit_test(test_closest_against_brute_force),
        cmocka_unit_test(test_health_unverify_clear),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
