/* test_mqtt.c - unit tests for the MQTT 3.1.1 client codec (node/mqtt.c).
 *
 * The encoders against bytes written out by hand from the standard (the
 * CONNECT variable header of its 3.1.2.10 example, the remaining length
 * boundaries of 2.2.3), every refusal (strings, UTF-8, wildcards, packet
 * identifier 0, cap); the decoder on hand-built server packets, every class
 * of malformed packet, every prefix of every valid packet (0, never -1),
 * max_packet, and a seeded random loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/mqtt.h"

/* cmocka hands every test a state pointer these tests do not need. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define MAXP 65536 /* max_packet for the tests that do not test it */

/* ---- helpers ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct bytes {
    const char *what;
    size_t len;
    uint8_t b[16];
};

/* Every prefix of a valid packet needs more bytes; the packet decodes to its
 * length, with or without bytes after it; max_packet of exactly its length
 * is enough and one less is not. */
static struct mqtt_packet decode_valid(const uint8_t *b, size_t len)
{
    static const uint8_t tail[3] = {0xd0, 0x00, 0xff};
    struct mqtt_packet pkt, again;
    uint8_t *more = malloc(len + sizeof tail);

    assert_non_null(more);
    for (size_t k = 0; k < len; k++)
        if (mqtt_decode(b, k, MAXP, &pkt) != 0)
            fail_msg("prefix of %zu of %zu bytes: not 0", k, len);
    assert_int_equal(mqtt_decode(b, len, MAXP, &pkt), (int)len);
    memcpy(more, b, len);
    memcpy(more + len, tail, sizeof tail);
    assert_int_equal(mqtt_decode(more, len + sizeof tail, MAXP, &again), (int)len);
    assert_int_equal(mqtt_decode(b, len, len, &again), (int)len);
    assert_int_equal(mqtt_decode(b, len, len - 1, &again), -1);
    free(more);
    return pkt;
}

/* ---- encoding ---- */

static void test_connect_is_byte_exact(void **state)
{
    static const uint8_t want[] = {0x10, 22, 0,   4,   'M', 'Q', 'T', 'T', 4,   0xc2, 0, 10,
                                   0,    4,  'b', 's', '-', '1', 0,   1,   'u', 0,    1, 'p'};
    uint8_t out[64];

    /* the variable header of the standard's example (3.1.2.10) with the flags
     * of a user name and a password and no will: 00 04 M Q T T 04 C2 00 0A */
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "bs-1", true, 10, "u", "p"), sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static void test_connect_flags_follow_the_fields(void **state)
{
    static const uint8_t bare[] = {0x10, 16, 0,  4, 'M', 'Q', 'T', 'T', 4,
                                   0x00, 0,  60, 0, 4,   'n', 'o', 'd', 'e'};
    static const uint8_t anon[] = {0x10, 12, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0xff, 0xff, 0, 0};
    static const uint8_t user[] = {0x10, 19, 0, 4,   'M', 'Q', 'T', 'T', 4,   0x82, 0,
                                   0,    0,  1, 'c', 0,   4,   'u', 's', 'e', 'r'};
    uint8_t out[64];

    assert_int_equal(mqtt_encode_connect(out, sizeof out, "node", false, 60, NULL, NULL),
                     sizeof bare);
    assert_memory_equal(out, bare, sizeof bare);
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "", true, 65535, NULL, NULL),
                     sizeof anon);
    assert_memory_equal(out, anon, sizeof anon);
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "c", true, 0, "user", NULL), sizeof user);
    assert_memory_equal(out, user, sizeof user);
}

static void test_connect_refusals(void **state)
{
    uint8_t out[256];

    /* a password needs a user name (3.1.2-22) */
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "c", true, 10, NULL, "p"), 0);
    /* an empty client id needs clean_session (3.1.3-7) */
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "", false, 10, NULL, NULL), 0);
    assert_int_equal(mqtt_encode_connect(out, sizeof out, NULL, true, 10, NULL, NULL), 0);
    /* UTF-8 in the client id and the user name; the password is binary */
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "c\xff", true, 10, NULL, NULL), 0);
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "c", true, 10, "\xc0\x80", NULL), 0);
    assert_int_equal(mqtt_encode_connect(out, sizeof out, "c", true, 10, "u", "\xff\xfe"), 22);
}

static void test_connect_string_of_65535_bytes_fits_and_65536_does_not(void **state)
{
    size_t big = 65536 + 64;
    char *s = malloc(65537);
    uint8_t *out = malloc(big);

    assert_non_null(s);
    assert_non_null(out);
    memset(s, 'a', 65536);
    s[65536] = '\0';
    assert_int_equal(mqtt_encode_connect(out, big, s, true, 1, NULL, NULL), 0);
    assert_int_equal(mqtt_encode_connect(out, big, "c", true, 1, s, NULL), 0);
    assert_int_equal(mqtt_encode_connect(out, big, "c", true, 1, "u", s), 0);
    s[65535] = '\0';
    /* 10 of variable header, 2 + 65535: remaining length 65547 takes 3 bytes */
    size_t n = mqtt_encode_connect(out, big, s, true, 1, NULL, NULL);
    assert_int_equal(n, 1 + 3 + 65547);
    assert_int_equal(out[14], 0xff);
    assert_int_equal(out[15], 0xff);
    assert_int_equal(mqtt_encode_connect(out, big, "c", true, 1, "u", s),
                     1 + 3 + 10 + 3 + 3 + 65537);
    free(s);
    free(out);
}

static void test_encoders_need_the_whole_packet_in_cap(void **state)
{
    uint8_t out[64], ref[64];
    size_t n[5];

    n[0] = mqtt_encode_connect(ref, sizeof ref, "bs-1", true, 10, "u", "p");
    n[1] = mqtt_encode_subscribe(ref, sizeof ref, 1, "a/#", 1);
    n[2] = mqtt_encode_publish(ref, sizeof ref, "a/b", "xyz", 3, 1, 9);
    n[3] = mqtt_encode_pingreq(ref, sizeof ref);
    n[4] = mqtt_encode_disconnect(ref, sizeof ref);
    for (int which = 0; which < 5; which++) {
        assert_true(n[which] > 0);
        for (size_t cap = 0; cap <= n[which]; cap++) {
            memset(out, 0xee, sizeof out);
            size_t got = which == 0   ? mqtt_encode_connect(out, cap, "bs-1", true, 10, "u", "p")
                         : which == 1 ? mqtt_encode_subscribe(out, cap, 1, "a/#", 1)
                         : which == 2 ? mqtt_encode_publish(out, cap, "a/b", "xyz", 3, 1, 9)
                         : which == 3 ? mqtt_encode_pingreq(out, cap)
                                      : mqtt_encode_disconnect(out, cap);
            assert_int_equal(got, cap == n[which] ? n[which] : 0);
            for (size_t i = cap; i < sizeof out; i++)
                assert_int_equal(out[i], 0xee);
        }
    }
}

static void test_subscribe_is_byte_exact(void **state)
{
    static const uint8_t want[] = {0x82, 8, 0, 10, 0, 3, 'a', '/', 'b', 1};
    static const uint8_t wild[] = {0x82, 12,  0xff, 0xff, 0,   7,   '+',
                                   '/',  'x', '/',  '+',  '/', '#', 2};
    uint8_t out[32];

    assert_int_equal(mqtt_encode_subscribe(out, sizeof out, 10, "a/b", 1), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(mqtt_encode_subscribe(out, sizeof out, 65535, "+/x/+/#", 2), sizeof wild);
    assert_memory_equal(out, wild, sizeof wild);
}

static void test_subscribe_refusals(void **state)
{
    static const char *const bad_filters[] = {"",   "a/#/b",  "a#",          "#a",     "a/b#",
                                              "a+", "+a",     "a/+b",        "a/b+/c", "##",
                                              "++", "a/\xff", "\xed\xa0\x80"};
    static const char *const good_filters[] = {"#", "+", "/", "a//b", "+/+", "/#", "a/+/#", "é/€"};
    uint8_t out[64];

    for (size_t i = 0; i < sizeof bad_filters / sizeof bad_filters[0]; i++)
        if (mqtt_encode_subscribe(out, sizeof out, 1, bad_filters[i], 0) != 0)
            fail_msg("filter %zu accepted", i);
    for (size_t i = 0; i < sizeof good_filters / sizeof good_filters[0]; i++)
        if (mqtt_encode_subscribe(out, sizeof out, 1, good_filters[i], 0) == 0)
            fail_msg("filter %zu refused", i);
    assert_int_equal(mqtt_encode_subscribe(out, sizeof out, 0, "a", 0), 0); /* 2.3.1-1 */
    assert_int_equal(mqtt_encode_subscribe(out, sizeof out, 1, "a", 3), 0);
    assert_int_equal(mqtt_encode_subscribe(out, sizeof out, 1, NULL, 0), 0);
}

static void test_publish_is_byte_exact(void **state)
{
    static const uint8_t q0[] = {0x30, 7, 0, 3, 'a', '/', 'b', 'h', 'i'};
    static const uint8_t q1[] = {0x32, 9, 0, 3, 'a', '/', 'b', 0, 7, 'h', 'i'};
    static const uint8_t empty[] = {0x30, 3, 0, 1, 't'};
    uint8_t out[32];

    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/b", "hi", 2, 0, 7), sizeof q0);
    assert_memory_equal(out, q0, sizeof q0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/b", "hi", 2, 1, 7), sizeof q1);
    assert_memory_equal(out, q1, sizeof q1);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "t", NULL, 0, 0, 0), sizeof empty);
    assert_memory_equal(out, empty, sizeof empty);
}

static void test_publish_refusals(void **state)
{
    uint8_t out[64];

    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/b", "x", 1, 2, 7), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/b", "x", 1, 1, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "", "x", 1, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/+", "x", 1, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a/#", "x", 1, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a\x80", "x", 1, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, NULL, "x", 1, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, sizeof out, "a", NULL, 1, 0, 0), 0);
    /* remaining length one over 268435455: refused before cap is looked at */
    assert_int_equal(mqtt_encode_publish(out, SIZE_MAX, "a", out, MQTT_MAX_REMAINING - 2, 0, 0), 0);
    assert_int_equal(mqtt_encode_publish(out, SIZE_MAX, "a", out, SIZE_MAX, 0, 0), 0);
}

static void test_utf8_rules_of_1_5_3(void **state)
{
    static const char *const good[] = {"a",
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9d\x84\x9e",
                                       "\xef\xbf\xbf",
                                       "\xf4\x8f\xbf\xbf",
                                       "\xed\x9f\xbf",
                                       "\xee\x80\x80"};
    static const char *const bad[] = {
        "\xc3",             /* cut short */
        "\xe2\x82",         /* cut short */
        "\xc0\x80",         /* overlong U+0000 */
        "\xc1\xbf",         /* overlong */
        "\xe0\x80\xaf",     /* overlong */
        "\xf0\x80\x80\xaf", /* overlong */
        "\xed\xa0\x80",     /* U+D800, a surrogate */
        "\xed\xbf\xbf",     /* U+DFFF */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xf8\x88\x80\x80\x80",
        "\x80",     /* a lone continuation byte */
        "\xc3\x28", /* a continuation byte missing */
        "\xff",
    };
    uint8_t out[64];

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!mqtt_encode_publish(out, sizeof out, good[i], "", 0, 0, 0))
            fail_msg("good %zu refused", i);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (mqtt_encode_publish(out, sizeof out, bad[i], "", 0, 0, 0))
            fail_msg("bad %zu accepted by the encoder", i);
        /* and a PUBLISH that carries it is malformed */
        uint8_t pkt[32] = {0x30, 0, 0, 0};
        size_t n = strlen(bad[i]);
        struct mqtt_packet p;
        pkt[1] = (uint8_t)(2 + n);
        pkt[3] = (uint8_t)n;
        memcpy(pkt + 4, bad[i], n);
        if (mqtt_decode(pkt, 4 + n, MAXP, &p) != -1)
            fail_msg("bad %zu accepted by the decoder", i);
    }
    /* U+0000 cannot be in a C string; in a packet it is malformed */
    static const uint8_t nul[] = {0x30, 4, 0, 2, 'a', 0};
    struct mqtt_packet p;
    assert_int_equal(mqtt_decode(nul, sizeof nul, MAXP, &p), -1);
}

static void test_remaining_length_boundaries(void **state)
{
    static const struct {
        size_t rl;
        uint8_t enc[4];
        size_t n;
    } cases[] = {
        {3, {0x03}, 1},
        {127, {0x7f}, 1},
        {128, {0x80, 0x01}, 2},
        {16383, {0xff, 0x7f}, 2},
        {16384, {0x80, 0x80, 0x01}, 3},
        {2097151, {0xff, 0xff, 0x7f}, 3},
        {2097152, {0x80, 0x80, 0x80, 0x01}, 4},
    };
    size_t big = 2097152 + 8;
    uint8_t *payload = calloc(1, big), *out = malloc(big);

    assert_non_null(payload);
    assert_non_null(out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].rl - 3; /* topic "t" */
        size_t n = mqtt_encode_publish(out, big, "t", payload, len, 0, 0);
        assert_int_equal(n, 1 + cases[i].n + cases[i].rl);
        assert_int_equal(out[0], 0x30);
        assert_memory_equal(out + 1, cases[i].enc, cases[i].n);
        struct mqtt_packet p;
        assert_int_equal(mqtt_decode(out, n, big, &p), (int)n);
        assert_int_equal(p.u.publish.payload_len, len);
        assert_ptr_equal(p.u.publish.payload, out + 1 + cases[i].n + 3);
        assert_int_equal(mqtt_decode(out, n - 1, big, &p), 0);
        assert_int_equal(mqtt_decode(out, n, n - 1, &p), -1);
    }
    free(payload);
    free(out);
}

/* ---- decoding ---- */

static void test_decode_connack(void **state)
{
    static const uint8_t ok[] = {0x20, 2, 0, 0};
    static const uint8_t sp[] = {0x20, 2, 1, 0};
    static const uint8_t unavailable[] = {0x20, 2, 0, 3};
    static const uint8_t not_auth[] = {0x20, 2, 0, 5};

    struct mqtt_packet p = decode_valid(ok, sizeof ok);
    assert_int_equal(p.type, MQTT_CONNACK);
    assert_int_equal(p.flags, 0);
    assert_false(p.u.connack.session_present);
    assert_int_equal(p.u.connack.rc, MQTT_RC_ACCEPTED);
    p = decode_valid(sp, sizeof sp);
    assert_true(p.u.connack.session_present);
    assert_int_equal(p.u.connack.rc, 0);
    p = decode_valid(unavailable, sizeof unavailable);
    assert_int_equal(p.u.connack.rc, MQTT_RC_UNAVAILABLE);
    p = decode_valid(not_auth, sizeof not_auth);
    assert_int_equal(p.u.connack.rc, MQTT_RC_NOT_AUTHORIZED);
}

static void test_decode_acks_and_pingresp(void **state)
{
    static const uint8_t puback[] = {0x40, 2, 0x12, 0x34};
    static const uint8_t pubrec[] = {0x50, 2, 0, 1};
    static const uint8_t pubrel[] = {0x62, 2, 0xff, 0xff};
    static const uint8_t pubcomp[] = {0x70, 2, 0, 2};
    static const uint8_t unsuback[] = {0xb0, 2, 0, 3};
    static const uint8_t suback[] = {0x90, 3, 0, 10, 1};
    static const uint8_t suback_fail[] = {0x90, 5, 0, 11, 0x80, 0, 2};
    static const uint8_t pingresp[] = {0xd0, 0};

    struct mqtt_packet p = decode_valid(puback, sizeof puback);
    assert_int_equal(p.type, MQTT_PUBACK);
    assert_int_equal(p.u.packet_id, 0x1234);
    p = decode_valid(pubrec, sizeof pubrec);
    assert_int_equal(p.type, MQTT_PUBREC);
    assert_int_equal(p.u.packet_id, 1);
    p = decode_valid(pubrel, sizeof pubrel);
    assert_int_equal(p.type, MQTT_PUBREL);
    assert_int_equal(p.flags, 2);
    assert_int_equal(p.u.packet_id, 65535);
    p = decode_valid(pubcomp, sizeof pubcomp);
    assert_int_equal(p.type, MQTT_PUBCOMP);
    p = decode_valid(unsuback, sizeof unsuback);
    assert_int_equal(p.type, MQTT_UNSUBACK);
    assert_int_equal(p.u.packet_id, 3);
    p = decode_valid(suback, sizeof suback);
    assert_int_equal(p.type, MQTT_SUBACK);
    assert_int_equal(p.u.suback.packet_id, 10);
    assert_int_equal(p.u.suback.granted, 1);
    assert_int_equal(p.u.suback.n_codes, 1);
    p = decode_valid(suback_fail, sizeof suback_fail);
    assert_int_equal(p.u.suback.granted, 0x80);
    assert_int_equal(p.u.suback.n_codes, 3);
    p = decode_valid(pingresp, sizeof pingresp);
    assert_int_equal(p.type, MQTT_PINGRESP);
}

static void test_decode_publish(void **state)
{
    static const uint8_t q0[] = {0x30, 7, 0, 3, 'a', '/', 'b', 'h', 'i'};
    static const uint8_t q1r[] = {0x33, 9, 0, 3, 'a', '/', 'b', 0, 7, 'h', 'i'};
    static const uint8_t q2d[] = {0x3c, 6, 0, 1, 't', 0, 9, 'x'};
    static const uint8_t empty[] = {0x30, 3, 0, 1, 't'};

    struct mqtt_packet p = decode_valid(q0, sizeof q0);
    assert_int_equal(p.type, MQTT_PUBLISH);
    assert_ptr_equal(p.u.publish.topic, q0 + 4);
    assert_int_equal(p.u.publish.topic_len, 3);
    assert_ptr_equal(p.u.publish.payload, q0 + 7);
    assert_int_equal(p.u.publish.payload_len, 2);
    assert_int_equal(p.u.publish.qos, 0);
    assert_int_equal(p.u.publish.packet_id, 0);
    assert_false(p.u.publish.retain);
    assert_false(p.u.publish.dup);
    p = decode_valid(q1r, sizeof q1r);
    assert_int_equal(p.u.publish.qos, 1);
    assert_int_equal(p.u.publish.packet_id, 7);
    assert_true(p.u.publish.retain);
    assert_memory_equal(p.u.publish.payload, "hi", 2);
    p = decode_valid(q2d, sizeof q2d);
    assert_int_equal(p.u.publish.qos, 2);
    assert_true(p.u.publish.dup);
    assert_int_equal(p.u.publish.packet_id, 9);
    assert_int_equal(p.u.publish.payload_len, 1);
    p = decode_valid(empty, sizeof empty);
    assert_int_equal(p.u.publish.payload_len, 0);
    assert_ptr_equal(p.u.publish.payload, empty + 5);
}

static void test_decode_after_encode(void **state)
{
    uint8_t out[128];
    char payload[40];
    struct mqtt_packet p;

    for (int qos = 0; qos <= 1; qos++) {
        for (size_t len = 0; len < sizeof payload; len += 13) {
            memset(payload, 'z' - (int)len, len);
            size_t n =
                mqtt_encode_publish(out, sizeof out, "dev/42/up", payload, len, (uint8_t)qos, 513);
            assert_true(n > 0);
            p = decode_valid(out, n);
            assert_int_equal(p.u.publish.qos, qos);
            assert_int_equal(p.u.publish.packet_id, qos ? 513 : 0);
            assert_int_equal(p.u.publish.topic_len, 9);
            assert_memory_equal(p.u.publish.topic, "dev/42/up", 9);
            assert_int_equal(p.u.publish.payload_len, len);
            if (len)
                assert_memory_equal(p.u.publish.payload, payload, len);
        }
    }
    /* what only a server receives is refused, even from our own encoder */
    size_t n = mqtt_encode_connect(out, sizeof out, "c", true, 1, NULL, NULL);
    assert_int_equal(mqtt_decode(out, n, MAXP, &p), -1);
    n = mqtt_encode_subscribe(out, sizeof out, 1, "a", 0);
    assert_int_equal(mqtt_decode(out, n, MAXP, &p), -1);
    n = mqtt_encode_pingreq(out, sizeof out);
    assert_int_equal(mqtt_decode(out, n, MAXP, &p), -1);
    n = mqtt_encode_disconnect(out, sizeof out);
    assert_int_equal(mqtt_decode(out, n, MAXP, &p), -1);
}

static void test_decode_malformed(void **state)
{
    static const struct bytes bad[] = {
        {"CONNECT", 2, {0x10, 0}},
        {"SUBSCRIBE", 2, {0x82, 0}},
        {"UNSUBSCRIBE", 2, {0xa2, 0}},
        {"PINGREQ", 2, {0xc0, 0}},
        {"DISCONNECT", 2, {0xe0, 0}},
        {"type 0", 2, {0x00, 0}},
        {"type 15", 2, {0xf0, 0}},
        {"CONNACK flags", 4, {0x21, 2, 0, 0}},
        {"PUBACK flags", 4, {0x42, 2, 0, 1}},
        {"PUBREL flags 0", 4, {0x60, 2, 0, 1}},
        {"SUBACK flags", 5, {0x98, 3, 0, 1, 0}},
        {"PINGRESP flags", 2, {0xd1, 0}},
        {"PUBLISH qos 3", 7, {0x36, 5, 0, 1, 't', 0, 1}},
        {"PUBLISH dup at qos 0", 5, {0x38, 3, 0, 1, 't'}},
        {"CONNACK rl 3", 5, {0x20, 3, 0, 0, 0}},
        {"CONNACK rl 1", 3, {0x20, 1, 0}},
        {"CONNACK rc 6", 4, {0x20, 2, 0, 6}},
        {"CONNACK rc 0x80", 4, {0x20, 2, 0, 0x80}},
        {"CONNACK session present, rc 3", 4, {0x20, 2, 1, 3}},
        {"CONNACK reserved bits", 4, {0x20, 2, 2, 0}},
        {"CONNACK reserved bit 7", 4, {0x20, 2, 0x80, 0}},
        {"PUBACK id 0", 4, {0x40, 2, 0, 0}},
        {"PUBACK rl 3", 5, {0x40, 3, 0, 1, 0}},
        {"UNSUBACK rl 0", 2, {0xb0, 0}},
        {"PINGRESP rl 1", 3, {0xd0, 1, 0}},
        {"SUBACK rl 2", 4, {0x90, 2, 0, 1}},
        {"SUBACK id 0", 5, {0x90, 3, 0, 0, 0}},
        {"SUBACK code 3", 5, {0x90, 3, 0, 1, 3}},
        {"SUBACK code 0x81", 6, {0x90, 4, 0, 1, 0, 0x81}},
        {"PUBLISH rl 2", 4, {0x30, 2, 0, 0}},
        {"PUBLISH qos 1 rl 4", 6, {0x32, 4, 0, 1, 't', 0}},
        {"PUBLISH empty topic", 5, {0x30, 3, 0, 0, 'x'}},
        {"PUBLISH topic longer than the packet", 6, {0x30, 4, 0, 3, 'a', 'b'}},
        {"PUBLISH topic over rl by the id", 9, {0x32, 7, 0, 4, 'a', 'b', 'c', 'd', 1}},
        {"PUBLISH topic length 65535", 6, {0x30, 4, 0xff, 0xff, 'a', 'b'}},
        {"PUBLISH id 0", 7, {0x32, 5, 0, 1, 't', 0, 0}},
        {"PUBLISH wildcard +", 6, {0x30, 4, 0, 2, 'a', '+'}},
        {"PUBLISH wildcard #", 5, {0x30, 3, 0, 1, '#'}},
        {"5 bytes of remaining length", 6, {0x30, 0xff, 0xff, 0xff, 0xff, 0x7f}},
        {"5 bytes, cut", 5, {0x30, 0x80, 0x80, 0x80, 0x80}},
    };
    struct mqtt_packet p;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mqtt_decode(bad[i].b, bad[i].len, MAXP, &p) != -1)
            fail_msg("%s: not -1", bad[i].what);
}

/* What can be judged from the fixed header is judged at once: -1 before the
 * rest of the packet is there. */
static void test_decode_refuses_early(void **state)
{
    struct mqtt_packet p;
    static const uint8_t connect[] = {0x10};
    static const uint8_t connack_rl3[] = {0x20, 3};
    static const uint8_t huge[] = {0x30, 0xff, 0xff, 0xff, 0x7f};

    assert_int_equal(mqtt_decode(connect, 1, MAXP, &p), -1);
    assert_int_equal(mqtt_decode(connack_rl3, 2, MAXP, &p), -1);
    /* 268435455: needs more under a max_packet that allows it, -1 under one that does not */
    assert_int_equal(mqtt_decode(huge, 5, SIZE_MAX, &p), 0);
    assert_int_equal(mqtt_decode(huge, 5, 5 + 268435455u, &p), 0);
    assert_int_equal(mqtt_decode(huge, 5, 5 + 268435454u, &p), -1);
    assert_int_equal(mqtt_decode(huge, 4, 100, &p), 0); /* the length is not known yet */
    assert_int_equal(mqtt_decode(huge, 0, 100, &p), 0);
    /* a longer packet than max_packet */
    static const uint8_t pub[] = {0x30, 0x80, 0x01};
    assert_int_equal(mqtt_decode(pub, 3, 130, &p), -1);
    assert_int_equal(mqtt_decode(pub, 3, 131, &p), 0);
}

/* A non-minimal remaining length is not forbidden by 3.1.1 (MQTT 5 forbids
 * it): it decodes. */
static void test_decode_accepts_a_non_minimal_length(void **state)
{
    static const uint8_t ack[] = {0x40, 0x82, 0x00, 0, 5};
    struct mqtt_packet p = decode_valid(ack, sizeof ack);

    assert_int_equal(p.u.packet_id, 5);
}

static void test_decode_stream_of_packets(void **state)
{
    uint8_t buf[256];
    size_t n = 0, off = 0;
    struct mqtt_packet p;
    static const uint8_t connack[] = {0x20, 2, 0, 0}, suback[] = {0x90, 3, 0, 1, 1},
                         ping[] = {0xd0, 0};

    memcpy(buf + n, connack, sizeof connack), n += sizeof connack;
    memcpy(buf + n, suback, sizeof suback), n += sizeof suback;
    n += mqtt_encode_publish(buf + n, sizeof buf - n, "x/y", "payload", 7, 1, 3);
    memcpy(buf + n, ping, sizeof ping), n += sizeof ping;
    static const uint8_t want[] = {MQTT_CONNACK, MQTT_SUBACK, MQTT_PUBLISH, MQTT_PINGRESP};
    for (size_t i = 0; i < 4; i++) {
        int r = mqtt_decode(buf + off, n - off, MAXP, &p);
        assert_true(r > 0);
        assert_int_equal(p.type, want[i]);
        off += (size_t)r;
    }
    assert_int_equal(off, n);
    assert_int_equal(mqtt_decode(buf + off, 0, MAXP, &p), 0);
}

/* Random bytes: never a crash, never more than len, and whatever decodes
 * has every prefix needing more. */
static void test_decode_random_bytes(void **state)
{
    uint8_t buf[64];
    struct mqtt_packet p, q;
    int decoded = 0;

    rng_state = 14;
    for (int iter = 0; iter < 200000; iter++) {
        size_t len = rng_next() % sizeof buf;
        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)rng_next();
        if (len > 1 && (rng_next() & 1)) /* a plausible length now and then */
            buf[1] = (uint8_t)(rng_next() % len);
        int r = mqtt_decode(buf, len, 1 + rng_next() % 80, &p);
        assert_true(r >= -1 && r <= (int)len);
        if (r > 0) {
            decoded++;
            for (size_t k = 0; k < (size_t)r; k++)
                assert_int_equal(mqtt_decode(buf, k, MAXP, &q), 0);
            assert_int_equal(mqtt_decode(buf, (size_t)r, MAXP, &q), r);
            if (p.type == MQTT_PUBLISH) {
                assert_true(p.u.publish.topic >= buf && p.u.publish.payload >= buf);
                assert_true(p.u.publish.payload + p.u.publish.payload_len <= buf + r);
            }
        }
    }
    assert_true(decoded > 100); /* the loop reaches the decoder's far end */
}

static void test_type_names(void **state)
{
    assert_string_equal(mqtt_type_name(MQTT_CONNACK), "CONNACK");
    assert_string_equal(mqtt_type_name(MQTT_PUBLISH), "PUBLISH");
    assert_string_equal(mqtt_type_name(MQTT_SUBACK), "SUBACK");
    assert_string_equal(mqtt_type_name(MQTT_PINGRESP), "PINGRESP");
    assert_string_equal(mqtt_type_name(MQTT_DISCONNECT), "DISCONNECT");
    assert_string_equal(mqtt_type_name(0), "RESERVED");
    assert_string_equal(mqtt_type_name(15), "RESERVED");
    assert_string_equal(mqtt_type_name(16), "?");
    assert_string_equal(mqtt_type_name(255), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connect_is_byte_exact),
        cmocka_unit_test(test_connect_flags_follow_the_fields),
        cmocka_unit_test(test_connect_refusals),
        cmocka_unit_test(test_connect_string_of_65535_bytes_fits_and_65536_does_not),
        cmocka_unit_test(test_encoders_need_the_whole_packet_in_cap),
        cmocka_unit_test(test_subscribe_is_byte_exact),
        cmocka_unit_test(test_subscribe_refusals),
        cmocka_unit_test(test_publish_is_byte_exact),
        cmocka_unit_test(test_publish_refusals),
        cmocka_unit_test(test_utf8_rules_of_1_5_3),
        cmocka_unit_test(test_remaining_length_boundaries),

        cmocka_unit_test(test_decode_connack),
        cmocka_unit_test(test_decode_acks_and_pingresp),
        cmocka_unit_test(test_decode_publish),
        cmocka_unit_test(test_decode_after_encode),
        cmocka_unit_test(test_decode_malformed),
        cmocka_unit_test(test_decode_refuses_early),
        cmocka_unit_test(test_decode_accepts_a_non_minimal_length),
        cmocka_unit_test(test_decode_stream_of_packets),
        cmocka_unit_test(test_decode_random_bytes),
        cmocka_unit_test(test_type_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
