/* test_wire.c - unit tests for the wire codec and TCP framing (node/wire.c).
 *
 * Round trips of every message, the framing state machine on partial and
 * back-to-back input, and hostile input: wrong types and ranges, lying length
 * and count headers, and a seeded fuzz loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "node/wire.h"

/* cmocka hands every test a state pointer these tests do not need. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* ---- helpers ---- */

/* splitmix64: a fixed seed keeps every fuzz run identical. */
static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n)
{
    return (uint32_t)(rng_next() % n);
}

static void fill_pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + 7 * i);
}

static struct wire_msg make_login_req(void)
{
    struct wire_msg m = {.type = WIRE_LOGIN_REQ};

    m.u.login_req.user_id = 123456789012ull;
    fill_pattern(m.u.login_req.secret, WIRE_SECRET_LEN, 0x11);
    return m;
}

static struct wire_msg make_ticket_msg(enum wire_type t)
{
    struct wire_msg m = {.type = t};

    m.u.ticket.user_id = UINT64_MAX;
    m.u.ticket.expiry_ms = 90061ull;
    fill_pattern(m.u.ticket.sig, WIRE_SIG_LEN, 0xa0);
    return m;
}

static struct wire_msg make_u32_msg(enum wire_type t, uint32_t v)
{
    struct wire_msg m = {.type = t};

    if (t == WIRE_BUSY)
        m.u.retry_after_ms = v;
    else if (t == WIRE_KEEPALIVE || t == WIRE_KEEPALIVE_ACK)
        m.u.seq = v;
    else
        m.u.reason = v;
    return m;
}

static struct wire_msg make_sn_msg(enum wire_type t, uint32_t n)
{
    struct wire_msg m = {.type = t};

    m.u.sn_list.n = n;
    for (uint32_t i = 0; i < n; i++) {
        m.u.sn_list.sns[i].node_id = i == 0 ? UINT32_MAX : 1000 + i;
        m.u.sn_list.sns[i].ip = 0x7f000001u + i;
        m.u.sn_list.sns[i].port = (uint16_t)(i == 0 ? 65535 : 40000 + i);
    }
    return m;
}

/* One of every message type, with values that exercise each integer width. */
static int sample_msgs(struct wire_msg *out)
{
    int n = 0;

    out[n++] = make_login_req();
    out[n++] = make_ticket_msg(WIRE_LOGIN_OK);
    out[n++] = make_u32_msg(WIRE_BUSY, 2500);
    out[n++] = make_u32_msg(WIRE_LOGIN_FAIL, WIRE_REASON_BAD_CREDENTIALS);
    out[n++] = make_ticket_msg(WIRE_REGISTER);
    out[n++] = make_sn_msg(WIRE_REGISTER_OK, 3);
    out[n++] = make_u32_msg(WIRE_REGISTER_FAIL, WIRE_REASON_EXPIRED_TICKET);
    out[n++] = make_u32_msg(WIRE_KEEPALIVE, UINT32_MAX);
    out[n++] = make_u32_msg(WIRE_KEEPALIVE_ACK, 0);
    out[n++] = make_sn_msg(WIRE_REDIRECT, WIRE_MAX_SNS);
    return n;
}

static void assert_msg_equal(const struct wire_msg *a, const struct wire_msg *b)
{
    assert_int_equal(a->type, b->type);
    switch (a->type) {
    case WIRE_LOGIN_REQ:
        assert_true(a->u.login_req.user_id == b->u.login_req.user_id);
        assert_memory_equal(a->u.login_req.secret, b->u.login_req.secret, WIRE_SECRET_LEN);
        break;
    case WIRE_LOGIN_OK:
    case WIRE_REGISTER:
        assert_true(a->u.ticket.user_id == b->u.ticket.user_id);
        assert_true(a->u.ticket.expiry_ms == b->u.ticket.expiry_ms);
        assert_memory_equal(a->u.ticket.sig, b->u.ticket.sig, WIRE_SIG_LEN);
        break;
    case WIRE_BUSY:
        assert_int_equal(a->u.retry_after_ms, b->u.retry_after_ms);
        break;
    case WIRE_LOGIN_FAIL:
    case WIRE_REGISTER_FAIL:
        assert_int_equal(a->u.reason, b->u.reason);
        break;
    case WIRE_KEEPALIVE:
    case WIRE_KEEPALIVE_ACK:
        assert_int_equal(a->u.seq, b->u.seq);
        break;
    case WIRE_REGISTER_OK:
    case WIRE_REDIRECT:
        assert_int_equal(a->u.sn_list.n, b->u.sn_list.n);
        for (uint32_t i = 0; i < a->u.sn_list.n; i++) {
            assert_int_equal(a->u.sn_list.sns[i].node_id, b->u.sn_list.sns[i].node_id);
            assert_int_equal(a->u.sn_list.sns[i].ip, b->u.sn_list.sns[i].ip);
            assert_int_equal(a->u.sn_list.sns[i].port, b->u.sn_list.sns[i].port);
        }
        break;
    default:
        fail_msg("unexpected type %d", a->type);
    }
}

/* Encode as a frame, decode it back and check the buffer ends up empty. */
static void assert_frame_round_trip(const struct wire_msg *in)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg out;
    size_t flen = 0;
    int n;

    assert_non_null(buf);
    n = wire_encode(in, buf);
    assert_true(n > 4);
    assert_int_equal(evbuffer_get_length(buf), n);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_OK);
    assert_int_equal(flen, n);
    assert_int_equal(evbuffer_get_length(buf), 0);
    assert_msg_equal(in, &out);
    evbuffer_free(buf);
}

static void add_frame(struct evbuffer *buf, const uint8_t *payload, uint32_t len)
{
    uint8_t prefix[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};

    assert_int_equal(evbuffer_add(buf, prefix, 4), 0);
    assert_int_equal(evbuffer_add(buf, payload, len), 0);
}

static void add_prefix(struct evbuffer *buf, uint32_t len)
{
    uint8_t prefix[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};

    assert_int_equal(evbuffer_add(buf, prefix, 4), 0);
}

static void add_good_keepalive(struct evbuffer *buf, uint32_t seq)
{
    struct wire_msg m = make_u32_msg(WIRE_KEEPALIVE, seq);

    assert_true(wire_encode(&m, buf) > 0);
}

static enum wire_status decode_bytes(const void *p, size_t n)
{
    struct wire_msg m;

    return wire_decode_payload(p, n, &m);
}

/* Hand-built payloads, for shapes our encoder refuses to produce. */
struct mp {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

static void mp_begin(struct mp *b, uint32_t nelem, uint64_t type, uint64_t version)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
    msgpack_pack_array(&b->pk, nelem);
    msgpack_pack_uint64(&b->pk, type);
    msgpack_pack_uint64(&b->pk, version);
}

static void mp_bin(struct mp *b, size_t len)
{
    uint8_t data[128] = {0};

    assert_true(len <= sizeof(data));
    msgpack_pack_bin(&b->pk, len);
    msgpack_pack_bin_body(&b->pk, data, len);
}

static void mp_sn(struct mp *b, uint64_t node_id, uint64_t ip, uint64_t port)
{
    msgpack_pack_array(&b->pk, 3);
    msgpack_pack_uint64(&b->pk, node_id);
    msgpack_pack_uint64(&b->pk, ip);
    msgpack_pack_uint64(&b->pk, port);
}

static enum wire_status mp_decode(struct mp *b, struct wire_msg *m)
{
    enum wire_status st = wire_decode_payload((const uint8_t *)b->sb.data, b->sb.size, m);

    msgpack_sbuffer_destroy(&b->sb);
    return st;
}

static enum wire_status mp_status(struct mp *b)
{
    struct wire_msg m;

    return mp_decode(b, &m);
}

/* ---- round trips ---- */

static void test_login_req_round_trips(void **state)
{
    struct wire_msg m = make_login_req();

    assert_frame_round_trip(&m);
}

static void test_login_ok_round_trips(void **state)
{
    struct wire_msg m = make_ticket_msg(WIRE_LOGIN_OK);

    assert_frame_round_trip(&m);
}

static void test_busy_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_BUSY, 2500);

    assert_frame_round_trip(&m);
}

static void test_login_fail_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_LOGIN_FAIL, WIRE_REASON_BAD_CREDENTIALS);

    assert_frame_round_trip(&m);
}

static void test_register_round_trips(void **state)
{
    struct wire_msg m = make_ticket_msg(WIRE_REGISTER);

    m.u.ticket.user_id = 0;
    m.u.ticket.expiry_ms = UINT64_MAX;
    assert_frame_round_trip(&m);
}

static void test_register_ok_round_trips(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_REGISTER_OK, 3);

    assert_frame_round_trip(&m);
}

static void test_register_fail_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_REGISTER_FAIL, WIRE_REASON_FORGED_TICKET);

    assert_frame_round_trip(&m);
}

static void test_keepalive_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_KEEPALIVE, UINT32_MAX);

    assert_frame_round_trip(&m);
}

static void test_keepalive_ack_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_KEEPALIVE_ACK, 77);

    assert_frame_round_trip(&m);
}

static void test_redirect_round_trips(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_REDIRECT, 5);

    assert_frame_round_trip(&m);
}

static void test_full_sn_list_round_trips(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_REGISTER_OK, WIRE_MAX_SNS);

    assert_frame_round_trip(&m);
}

static void test_empty_sn_list_round_trips(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_REDIRECT, 0);

    assert_frame_round_trip(&m);
}

static void test_payload_round_trips_without_prefix(void **state)
{
    struct wire_msg msgs[16], out;
    uint8_t buf[1024];
    int n = sample_msgs(msgs);

    for (int i = 0; i < n; i++) {
        int len = wire_encode_payload(&msgs[i], buf, sizeof(buf));

        assert_true(len > 0);
        assert_int_equal(wire_decode_payload(buf, (size_t)len, &out), WIRE_OK);
        assert_msg_equal(&msgs[i], &out);
    }
}

/* ---- encoder ---- */

static void test_keepalive_frame_matches_documented_bytes(void **state)
{
    /* The worked example in docs/protocol.md. */
    static const uint8_t want[] = {0x00, 0x00, 0x00, 0x06, 0x93, 0x08, 0x01, 0xcd, 0x01, 0x2c};
    struct wire_msg m = make_u32_msg(WIRE_KEEPALIVE, 300);
    struct evbuffer *buf = evbuffer_new();
    uint8_t got[sizeof(want)];

    assert_int_equal(wire_encode(&m, buf), sizeof(want));
    assert_int_equal(evbuffer_remove(buf, got, sizeof(got)), sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
    evbuffer_free(buf);
}

static void test_encode_returns_frame_size_including_prefix(void **state)
{
    struct wire_msg m = make_login_req();
    uint8_t payload[256];
    struct evbuffer *buf = evbuffer_new();
    int plen = wire_encode_payload(&m, payload, sizeof(payload));

    assert_true(plen > 0);
    assert_int_equal(wire_encode(&m, buf), plen + 4);
    evbuffer_free(buf);
}

static void test_encode_payload_fails_when_buffer_too_small(void **state)
{
    struct wire_msg m = make_ticket_msg(WIRE_LOGIN_OK);
    uint8_t buf[256];
    int need = wire_encode_payload(&m, buf, sizeof(buf));

    assert_true(need > 0);
    assert_int_equal(wire_encode_payload(&m, buf, (size_t)need), need);
    assert_int_equal(wire_encode_payload(&m, buf, (size_t)need - 1), -1);
    assert_int_equal(wire_encode_payload(&m, buf, 0), -1);
}

static void test_encode_refuses_too_many_sns(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_REGISTER_OK, WIRE_MAX_SNS);
    struct evbuffer *buf = evbuffer_new();
    uint8_t out[1024];

    m.u.sn_list.n = WIRE_MAX_SNS + 1;
    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
    assert_int_equal(wire_encode(&m, buf), -1);
    assert_int_equal(evbuffer_get_length(buf), 0);
    evbuffer_free(buf);
}

static void test_encode_refuses_unknown_type(void **state)
{
    struct wire_msg m = {.type = (enum wire_type)99};
    uint8_t out[64];

    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
}

/* ---- framing ---- */

static void test_frame_split_across_arrivals_needs_more_until_complete(void **state)
{
    struct wire_msg in = make_ticket_msg(WIRE_REGISTER), out;
    uint8_t payload[256];
    int plen = wire_encode_payload(&in, payload, sizeof(payload));
    uint8_t frame[260] = {0, 0, (uint8_t)(plen >> 8), (uint8_t)plen};
    struct evbuffer *buf = evbuffer_new();
    size_t flen = 99;

    memcpy(frame + 4, payload, (size_t)plen);
    for (int i = 0; i < plen + 4 - 1; i++) {
        /* add_reference puts each byte in its own chain, so pullup has work. */
        assert_int_equal(evbuffer_add_reference(buf, &frame[i], 1, NULL, NULL), 0);
        assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_NEED_MORE);
        assert_int_equal(flen, 0);
        assert_int_equal(evbuffer_get_length(buf), i + 1);
    }
    assert_int_equal(evbuffer_add(buf, &frame[plen + 3], 1), 0);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_OK);
    assert_int_equal(flen, plen + 4);
    assert_int_equal(evbuffer_get_length(buf), 0);
    assert_msg_equal(&in, &out);
    evbuffer_free(buf);
}

static void test_two_frames_back_to_back_decode_in_order(void **state)
{
    struct wire_msg a = make_login_req(), b = make_sn_msg(WIRE_REDIRECT, 2), out;
    struct evbuffer *buf = evbuffer_new();
    int na = wire_encode(&a, buf);
    int nb = wire_encode(&b, buf);
    size_t flen;

    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_OK);
    assert_int_equal(flen, na);
    assert_msg_equal(&a, &out);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_OK);
    assert_int_equal(flen, nb);
    assert_msg_equal(&b, &out);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_NEED_MORE);
    evbuffer_free(buf);
}

static void test_short_prefix_needs_more(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;
    size_t flen = 99;

    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_NEED_MORE);
    assert_int_equal(evbuffer_add(buf, "\0\0\0", 3), 0);
    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_NEED_MORE);
    assert_int_equal(flen, 0);
    assert_int_equal(evbuffer_get_length(buf), 3);
    evbuffer_free(buf);
}

static void test_frame_len_may_be_null(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    add_good_keepalive(buf, 5);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_OK);
    assert_int_equal(m.u.seq, 5);
    evbuffer_free(buf);
}

static void test_oversized_length_prefix_is_rejected_without_draining(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;
    size_t flen = 99;

    add_prefix(buf, 0xfffffff0u);
    assert_int_equal(evbuffer_add(buf, "\x93\x08\x01", 3), 0);
    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_ERR_OVERSIZE);
    assert_int_equal(flen, 0);
    assert_int_equal(evbuffer_get_length(buf), 7);
    evbuffer_free(buf);
}

static void test_length_one_above_cap_is_oversize(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    add_prefix(buf, WIRE_MAX_FRAME + 1);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_ERR_OVERSIZE);
    evbuffer_free(buf);
}

static void test_length_at_cap_is_read_as_a_frame(void **state)
{
    /* 65536 bytes of fixint 0: a valid first object, then trailing bytes. */
    static uint8_t zeros[WIRE_MAX_FRAME];
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;
    size_t flen;

    add_frame(buf, zeros, WIRE_MAX_FRAME);
    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_ERR_MALFORMED);
    assert_int_equal(flen, 4 + WIRE_MAX_FRAME);
    assert_int_equal(evbuffer_get_length(buf), 0);
    evbuffer_free(buf);
}

static void test_zero_length_prefix_is_oversize(void **state)
{
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    add_prefix(buf, 0);
    add_good_keepalive(buf, 1);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_ERR_OVERSIZE);
    assert_int_equal(evbuffer_get_length(buf), 4 + 8); /* nothing drained */
    evbuffer_free(buf);
}

static void test_truncated_payload_in_complete_frame_is_malformed_and_drained(void **state)
{
    /* The length says 10, but the array inside wants more than 10 bytes. */
    static const uint8_t cut[10] = {0x94, 0x01, 0x01, 0xcf, 0, 0, 0, 0, 0, 0};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;
    size_t flen;

    add_frame(buf, cut, sizeof(cut));
    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_ERR_MALFORMED);
    assert_int_equal(flen, 14);
    assert_int_equal(evbuffer_get_length(buf), 0);
    evbuffer_free(buf);
}

static void test_good_frame_after_malformed_frame_still_decodes(void **state)
{
    static const uint8_t junk[] = {0xc1, 0xc1, 0xc1};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    add_frame(buf, junk, sizeof(junk));
    add_good_keepalive(buf, 42);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_ERR_MALFORMED);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_OK);
    assert_int_equal(m.type, WIRE_KEEPALIVE);
    assert_int_equal(m.u.seq, 42);
    evbuffer_free(buf);
}

static void test_unknown_type_frame_is_drained(void **state)
{
    static const uint8_t unk[] = {0x93, 0x63, 0x01, 0x00};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;
    size_t flen;

    add_frame(buf, unk, sizeof(unk));
    add_good_keepalive(buf, 7);
    assert_int_equal(wire_decode_frame(buf, &m, &flen), WIRE_ERR_UNKNOWN);
    assert_int_equal(flen, 4 + sizeof(unk));
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_OK);
    assert_int_equal(m.u.seq, 7);
    evbuffer_free(buf);
}

/* ---- hostile headers ---- */

static void test_hostile_array32_header_is_malformed(void **state)
{
    /* Unchecked, msgpack-c would ask for (2^32-1) * sizeof(msgpack_object). */
    static const uint8_t p[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01, 0x00};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
    add_frame(buf, p, sizeof(p));
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_ERR_MALFORMED);
    evbuffer_free(buf);
}

static void test_hostile_array32_nested_in_field_is_malformed(void **state)
{
    /* [6, 1, array32(2^32-1)] */
    static const uint8_t p[] = {0x93, 0x06, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_hostile_map32_and_str32_headers_are_malformed(void **state)
{
    static const uint8_t map[] = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01};
    static const uint8_t str[] = {0x94, 0x01, 0x01, 0x01, 0xdb, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t bin[] = {0x94, 0x01, 0x01, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff};

    assert_int_equal(decode_bytes(map, sizeof(map)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(str, sizeof(str)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(bin, sizeof(bin)), WIRE_ERR_MALFORMED);
}

static void test_many_large_array_headers_do_not_blow_up(void **state)
{
    /* array16(65535) of array16(65535) headers: each header alone would cost
     * msgpack-c about 2 MiB, and a 64 KiB frame holds over 20000 of them. */
    static uint8_t p[WIRE_MAX_FRAME];

    for (size_t i = 0; i + 3 <= sizeof(p); i += 3) {
        p[i] = 0xdc;
        p[i + 1] = 0xff;
        p[i + 2] = 0xff;
    }
    assert_int_equal(decode_bytes(p, sizeof(p) - sizeof(p) % 3), WIRE_ERR_MALFORMED);
}

static void test_deep_nesting_is_malformed(void **state)
{
    uint8_t p[200];

    memset(p, 0x91, sizeof(p)); /* [[[[...]]]] */
    p[sizeof(p) - 1] = 0x00;
    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_reserved_byte_c1_is_malformed(void **state)
{
    static const uint8_t p[] = {0x93, 0x08, 0x01, 0xc1};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_empty_payload_is_malformed(void **state)
{
    uint8_t p[1] = {0};

    assert_int_equal(decode_bytes(p, 0), WIRE_ERR_MALFORMED);
}

static void test_payload_above_cap_is_oversize(void **state)
{
    static uint8_t p[WIRE_MAX_FRAME + 1];

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_OVERSIZE);
}

/* ---- wrong shapes, types and ranges ---- */

static void test_string_user_id_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_LOGIN_REQ, WIRE_VERSION);
    msgpack_pack_str_with_body(&b.pk, "42", 2);
    mp_bin(&b, WIRE_SECRET_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_negative_int_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_KEEPALIVE, WIRE_VERSION);
    msgpack_pack_int64(&b.pk, -1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_negative_type_is_malformed(void **state)
{
    static const uint8_t p[] = {0x93, 0xff, 0x01, 0x00}; /* type = -1 */

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_float_field_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_BUSY, WIRE_VERSION);
    msgpack_pack_double(&b.pk, 100.0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_nil_field_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_LOGIN_FAIL, WIRE_VERSION);
    msgpack_pack_nil(&b.pk);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_non_negative_signed_encoding_is_accepted(void **state)
{
    /* [8, 1, int8(5)]: msgpack-c (like most decoders) yields a plain 5. */
    static const uint8_t p[] = {0x93, 0x08, 0x01, 0xd0, 0x05};
    struct wire_msg m;

    assert_int_equal(wire_decode_payload(p, sizeof(p), &m), WIRE_OK);
    assert_int_equal(m.u.seq, 5);
}

static void test_secret_of_31_bytes_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_LOGIN_REQ, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    mp_bin(&b, WIRE_SECRET_LEN - 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_secret_of_33_bytes_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_LOGIN_REQ, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    mp_bin(&b, WIRE_SECRET_LEN + 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_secret_as_str_is_malformed(void **state)
{
    char s[WIRE_SECRET_LEN] = {0};
    struct mp b;

    mp_begin(&b, 4, WIRE_LOGIN_REQ, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_str_with_body(&b.pk, s, sizeof(s));
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_signature_of_63_bytes_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, 2);
    mp_bin(&b, WIRE_SIG_LEN - 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_ticket_with_two_fields_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_LOGIN_OK, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_uint64(&b.pk, 1);
    mp_bin(&b, WIRE_SIG_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_sn_list_of_maximum_length_decodes(void **state)
{
    struct wire_msg m;
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER_OK, WIRE_VERSION);
    msgpack_pack_array(&b.pk, WIRE_MAX_SNS);
    for (int i = 0; i < WIRE_MAX_SNS; i++)
        mp_sn(&b, i, 0x7f000001, 4000);
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.u.sn_list.n, WIRE_MAX_SNS);
}

static void test_33_sns_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER_OK, WIRE_VERSION);
    msgpack_pack_array(&b.pk, WIRE_MAX_SNS + 1);
    for (int i = 0; i < WIRE_MAX_SNS + 1; i++)
        mp_sn(&b, i, 0x7f000001, 4000);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_port_70000_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REDIRECT, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 1);
    mp_sn(&b, 1, 0x7f000001, 70000);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_port_65536_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REDIRECT, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 1);
    mp_sn(&b, 1, 0x7f000001, 65536);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_ipv4_above_uint32_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REDIRECT, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 1);
    mp_sn(&b, 1, 0x100000000ull, 80);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_sn_with_four_fields_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER_OK, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_array(&b.pk, 4);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint64(&b.pk, 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_sn_list_as_map_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER_OK, WIRE_VERSION);
    msgpack_pack_map(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_seq_above_uint32_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_KEEPALIVE_ACK, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_too_few_fields_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_LOGIN_REQ, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_too_many_fields_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_KEEPALIVE, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, 2);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_type_and_version_only_is_malformed(void **state)
{
    static const uint8_t p[] = {0x92, 0x08, 0x01};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_top_level_not_array_is_malformed(void **state)
{
    static const uint8_t uint[] = {0x08};
    static const uint8_t map[] = {0x81, 0x08, 0x01};
    static const uint8_t one[] = {0x91, 0x08};
    static const uint8_t str[] = {0xa3, 'a', 'b', 'c'};

    assert_int_equal(decode_bytes(uint, sizeof(uint)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(map, sizeof(map)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(one, sizeof(one)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(str, sizeof(str)), WIRE_ERR_MALFORMED);
}

static void test_trailing_bytes_are_malformed(void **state)
{
    static const uint8_t p[] = {0x93, 0x08, 0x01, 0x05, 0x00};

    assert_int_equal(decode_bytes(p, sizeof(p) - 1), WIRE_OK);
    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_unknown_type_99_is_unknown(void **state)
{
    struct mp b;

    mp_begin(&b, 3, 99, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_UNKNOWN);
}

static void test_type_zero_is_unknown(void **state)
{
    static const uint8_t p[] = {0x92, 0x00, 0x01};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_UNKNOWN);
}

static void test_version_2_is_version_error(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_KEEPALIVE, 2);
    msgpack_pack_uint64(&b.pk, 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_VERSION);
}

static void test_version_0_is_version_error(void **state)
{
    static const uint8_t p[] = {0x93, 0x08, 0x00, 0x01};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_VERSION);
}

static void test_bad_version_is_reported_before_unknown_type(void **state)
{
    /* A newer version may add types and change field counts. */
    static const uint8_t p[] = {0x95, 0x63, 0x02, 0x00, 0x00, 0x00};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_VERSION);
}

/* ---- fuzz ---- */

static int is_decode_status(enum wire_status st)
{
    return st == WIRE_OK || st == WIRE_ERR_MALFORMED || st == WIRE_ERR_UNKNOWN ||
           st == WIRE_ERR_VERSION;
}

/* Whatever decodes must re-encode and decode to the same message. */
static void check_decoded(enum wire_status st, const struct wire_msg *m)
{
    struct wire_msg again;
    uint8_t buf[1024];
    int n;

    assert_true(is_decode_status(st));
    if (st != WIRE_OK)
        return;
    n = wire_encode_payload(m, buf, sizeof(buf));
    assert_true(n > 0);
    assert_int_equal(wire_decode_payload(buf, (size_t)n, &again), WIRE_OK);
    assert_msg_equal(m, &again);
}

static void test_fuzz_random_buffers_never_crash(void **state)
{
    uint8_t buf[2048];
    struct wire_msg m;

    rng_state = 1;
    for (int i = 0; i < 20000; i++) {
        size_t len = (i % 10 == 0) ? rng_below(sizeof(buf) + 1) : rng_below(64);

        for (size_t j = 0; j < len; j++)
            buf[j] = (uint8_t)rng_next();
        /* Half the time, start like a real message so the field checks run. */
        if (len >= 3 && (i & 1)) {
            buf[0] = (uint8_t)(0x92 + rng_below(4));
            buf[1] = (uint8_t)(1 + rng_below(10));
            buf[2] = WIRE_VERSION;
        }
        check_decoded(wire_decode_payload(buf, len, &m), &m);
    }
}

static void test_fuzz_mutated_encodings_never_crash(void **state)
{
    static const uint8_t interesting[] = {0x00, 0x7f, 0x80, 0x90, 0xc1, 0xc4, 0xc6, 0xcc,
                                          0xcf, 0xd0, 0xdb, 0xdc, 0xdd, 0xdf, 0xe0, 0xff};
    struct wire_msg msgs[16], m;
    int nmsgs = sample_msgs(msgs);
    uint8_t orig[1024], buf[1100];

    rng_state = 2;
    for (int i = 0; i < 20000; i++) {
        int olen = wire_encode_payload(&msgs[i % nmsgs], orig, sizeof(orig));
        size_t len = (size_t)olen;
        int muts = 1 + (int)rng_below(4);

        assert_true(olen > 0);
        memcpy(buf, orig, len);
        for (int k = 0; k < muts && len > 0; k++) {
            size_t at = rng_below((uint32_t)len);

            switch (rng_below(5)) {
            case 0: /* bit flip */
                buf[at] ^= (uint8_t)(1u << rng_below(8));
                break;
            case 1: /* interesting byte */
                buf[at] = interesting[rng_below(sizeof(interesting))];
                break;
            case 2: /* truncate */
                len = at;
                break;
            case 3: /* insert a byte */
                if (len < sizeof(buf)) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = (uint8_t)rng_next();
                    len++;
                }
                break;
            default: /* delete a byte */
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
                break;
            }
        }
        check_decoded(wire_decode_payload(buf, len, &m), &m);
    }
}

static void test_fuzz_random_stream_is_consumed_safely(void **state)
{
    struct evbuffer *in = evbuffer_new();
    uint8_t chunk[512];
    struct wire_msg m;

    rng_state = 3;
    for (int round = 0; round < 2000; round++) {
        size_t n = 1 + rng_below(sizeof(chunk));
        enum wire_status st;
        size_t flen, before;

        for (size_t j = 0; j < n; j++)
            chunk[j] = (uint8_t)rng_next();
        /* Mostly plausible prefixes, so frames actually complete. */
        if (n >= 4 && rng_below(4) != 0) {
            chunk[0] = 0;
            chunk[1] = 0;
            chunk[2] = (uint8_t)rng_below(2);
        }
        evbuffer_add(in, chunk, n);
        for (;;) {
            before = evbuffer_get_length(in);
            st = wire_decode_frame(in, &m, &flen);
            if (st == WIRE_NEED_MORE) {
                assert_int_equal(evbuffer_get_length(in), before);
                break;
            }
            if (st == WIRE_ERR_OVERSIZE) {
                /* A real connection closes here; start a fresh stream. */
                assert_int_equal(evbuffer_get_length(in), before);
                evbuffer_drain(in, before);
                break;
            }
            check_decoded(st, &m);
            assert_true(flen > 4);
            assert_int_equal(evbuffer_get_length(in), before - flen);
        }
    }
    evbuffer_free(in);
}

/* ---- names ---- */

static void test_type_and_status_names(void **state)
{
    assert_string_equal(wire_type_name(WIRE_LOGIN_REQ), "LOGIN_REQ");
    assert_string_equal(wire_type_name(WIRE_KEEPALIVE_ACK), "KEEPALIVE_ACK");
    assert_string_equal(wire_type_name(WIRE_REDIRECT), "REDIRECT");
    assert_string_equal(wire_type_name((enum wire_type)99), "UNKNOWN");
    for (int t = WIRE_LOGIN_REQ; t <= WIRE_REDIRECT; t++)
        assert_string_not_equal(wire_type_name((enum wire_type)t), "UNKNOWN");
    assert_string_equal(wire_status_name(WIRE_OK), "ok");
    assert_string_equal(wire_status_name(WIRE_NEED_MORE), "need_more");
    assert_string_equal(wire_status_name(WIRE_ERR_OVERSIZE), "oversize");
    assert_string_equal(wire_status_name(WIRE_ERR_MALFORMED), "malformed");
    assert_string_equal(wire_status_name(WIRE_ERR_UNKNOWN), "unknown_type");
    assert_string_equal(wire_status_name(WIRE_ERR_VERSION), "bad_version");
    assert_non_null(wire_status_name((enum wire_status)42));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_req_round_trips),
        cmocka_unit_test(test_login_ok_round_trips),
        cmocka_unit_test(test_busy_round_trips),
        cmocka_unit_test(test_login_fail_round_trips),
        cmocka_unit_test(test_register_round_trips),
        cmocka_unit_test(test_register_ok_round_trips),
        cmocka_unit_test(test_register_fail_round_trips),
        cmocka_unit_test(test_keepalive_round_trips),
        cmocka_unit_test(test_keepalive_ack_round_trips),
        cmocka_unit_test(test_redirect_round_trips),
        cmocka_unit_test(test_full_sn_list_round_trips),
        cmocka_unit_test(test_empty_sn_list_round_trips),
        cmocka_unit_test(test_payload_round_trips_without_prefix),

        cmocka_unit_test(test_keepalive_frame_matches_documented_bytes),
        cmocka_unit_test(test_encode_returns_frame_size_including_prefix),
        cmocka_unit_test(test_encode_payload_fails_when_buffer_too_small),
        cmocka_unit_test(test_encode_refuses_too_many_sns),
        cmocka_unit_test(test_encode_refuses_unknown_type),

        cmocka_unit_test(test_frame_split_across_arrivals_needs_more_until_complete),
        cmocka_unit_test(test_two_frames_back_to_back_decode_in_order),
        cmocka_unit_test(test_short_prefix_needs_more),
        cmocka_unit_test(test_frame_len_may_be_null),
        cmocka_unit_test(test_oversized_length_prefix_is_rejected_without_draining),
        cmocka_unit_test(test_length_one_above_cap_is_oversize),
        cmocka_unit_test(test_length_at_cap_is_read_as_a_frame),
        cmocka_unit_test(test_zero_length_prefix_is_oversize),
        cmocka_unit_test(test_truncated_payload_in_complete_frame_is_malformed_and_drained),
        cmocka_unit_test(test_good_frame_after_malformed_frame_still_decodes),
        cmocka_unit_test(test_unknown_type_frame_is_drained),

        cmocka_unit_test(test_hostile_array32_header_is_malformed),
        cmocka_unit_test(test_hostile_array32_nested_in_field_is_malformed),
        cmocka_unit_test(test_hostile_map32_and_str32_headers_are_malformed),
        cmocka_unit_test(test_many_large_array_headers_do_not_blow_up),
        cmocka_unit_test(test_deep_nesting_is_malformed),
        cmocka_unit_test(test_reserved_byte_c1_is_malformed),
        cmocka_unit_test(test_empty_payload_is_malformed),
        cmocka_unit_test(test_payload_above_cap_is_oversize),

        cmocka_unit_test(test_string_user_id_is_malformed),
        cmocka_unit_test(test_negative_int_is_malformed),
        cmocka_unit_test(test_negative_type_is_malformed),
        cmocka_unit_test(test_float_field_is_malformed),
        cmocka_unit_test(test_nil_field_is_malformed),
        cmocka_unit_test(test_non_negative_signed_encoding_is_accepted),
        cmocka_unit_test(test_secret_of_31_bytes_is_malformed),
        cmocka_unit_test(test_secret_of_33_bytes_is_malformed),
        cmocka_unit_test(test_secret_as_str_is_malformed),
        cmocka_unit_test(test_signature_of_63_bytes_is_malformed),
        cmocka_unit_test(test_ticket_with_two_fields_is_malformed),
        cmocka_unit_test(test_sn_list_of_maximum_length_decodes),
        cmocka_unit_test(test_33_sns_is_malformed),
        cmocka_unit_test(test_port_70000_is_malformed),
        cmocka_unit_test(test_port_65536_is_malformed),
        cmocka_unit_test(test_ipv4_above_uint32_is_malformed),
        cmocka_unit_test(test_sn_with_four_fields_is_malformed),
        cmocka_unit_test(test_sn_list_as_map_is_malformed),
        cmocka_unit_test(test_seq_above_uint32_is_malformed),
        cmocka_unit_test(test_too_few_fields_is_malformed),
        cmocka_unit_test(test_too_many_fields_is_malformed),
        cmocka_unit_test(test_type_and_version_only_is_malformed),
        cmocka_unit_test(test_top_level_not_array_is_malformed),
        cmocka_unit_test(test_trailing_bytes_are_malformed),
        cmocka_unit_test(test_unknown_type_99_is_unknown),
        cmocka_unit_test(test_type_zero_is_unknown),
        cmocka_unit_test(test_version_2_is_version_error),
        cmocka_unit_test(test_version_0_is_version_error),
        cmocka_unit_test(test_bad_version_is_reported_before_unknown_type),

        cmocka_unit_test(test_fuzz_random_buffers_never_crash),
        cmocka_unit_test(test_fuzz_mutated_encodings_never_crash),
        cmocka_unit_test(test_fuzz_random_stream_is_consumed_safely),

        cmocka_unit_test(test_type_and_status_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
