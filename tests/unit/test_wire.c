/* test_wire.c - unit tests for the wire codec and TCP framing (node/wire.c).
 *
 * Round trips of every message, the framing state machine on partial and
 * back-to-back input, and hostile input: wrong types and ranges, lying length
 * and count headers, and a seeded fuzz loop. The DHT messages (types 19 to
 * 26) and the set-top messages (27 to 29) have their own sections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "node/wire.h"

/* cmocka hands every test a state pointer these tests do not need. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

/* The last type wire.h defines: the tests of "the first unknown type" and
 * the loops over every type use it, so a new type needs only this line. */
#define LAST_TYPE WIRE_BOX_REGISTER

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
    m.u.ticket.addr = UINT32_MAX;
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
    else if (t == WIRE_WAIT)
        m.u.wait_ms = v;
    else if (t == WIRE_RESPONSE)
        m.u.req.req_id = v;
    else
        m.u.reason = v;
    return m;
}

/* REQUEST, RESPONSE and REQ_BUSY; fields a type does not carry stay 0. */
static struct wire_msg make_req_msg(enum wire_type t, uint64_t user_id, uint32_t req_id,
                                    uint32_t retry_after_ms)
{
    struct wire_msg m = {.type = t};

    m.u.req.req_id = req_id;
    if (t == WIRE_REQUEST)
        m.u.req.user_id = user_id;
    if (t == WIRE_REQ_BUSY)
        m.u.req.retry_after_ms = retry_after_ms;
    return m;
}

static struct wire_msg make_locate(uint64_t user_id)
{
    struct wire_msg m = {.type = WIRE_LOCATE};

    m.u.user_id = user_id;
    return m;
}

static struct wire_msg make_assign(uint32_t node_id, uint32_t ip, uint16_t port)
{
    struct wire_msg m = {.type = WIRE_ASSIGN};

    m.u.server = (struct wire_sn){.node_id = node_id, .ip = ip, .port = port};
    return m;
}

static struct wire_msg make_load(uint32_t node_id, uint32_t up, uint32_t clients,
                                 uint32_t max_clients, uint32_t queue, uint32_t load_permille)
{
    struct wire_msg m = {.type = WIRE_LOAD};

    m.u.load = (struct wire_load){.node_id = node_id,
                                  .up = up,
                                  .clients = clients,
                                  .max_clients = max_clients,
                                  .queue = queue,
                                  .load_permille = load_permille};
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

/* The largest DHT payload: NODES with 32 contacts at their widest,
 * [22, 1, txid, sender, [32 x [bin20, u32, u16]]]. */
#define DHT_NODES_MAX_ENC (3 + 5 + 22 + 3 + WIRE_DHT_MAX_NODES * 31)

/* The largest payload the encoder produces: IMG_BLOCK with a full block and
 * both numbers at their widest, [27, 1, u32, u32, bin16 of 1400]. */
#define IMG_BLOCK_MAX_ENC (3 + 5 + 5 + 3 + WIRE_IMG_MAX_BLOCK)

/* The largest UDP payload in a 1500-byte packet (20 bytes of IPv4 header, 8
 * of UDP): an IMG_BLOCK datagram must fit one, unfragmented. */
#define UDP_PAYLOAD_MAX 1472

/* Room for any encoding, with margin. */
#define ENC_BUF 2048

/* A DHT message of type t: txid and sender always, and whatever else the
 * type carries; what it does not carry stays 0 (as the decoder leaves it). */
static struct wire_msg make_dht(enum wire_type t, uint32_t txid, uint8_t seed)
{
    struct wire_msg m = {.type = t};
    struct wire_dht *d = &m.u.dht;

    d->txid = txid;
    fill_pattern(d->sender, WIRE_DHT_ID_LEN, seed);
    switch (t) {
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_FIND_VALUE:
        fill_pattern(d->target, WIRE_DHT_ID_LEN, (uint8_t)(seed + 1));
        break;
    case WIRE_DHT_STORE:
        fill_pattern(d->target, WIRE_DHT_ID_LEN, (uint8_t)(seed + 1));
        d->user_id = 123456789012ull;
        break;
    case WIRE_DHT_VALUE:
        d->value.user_id = 123456789012ull;
        fill_pattern(d->value.node.id, WIRE_DHT_ID_LEN, (uint8_t)(seed + 2));
        d->value.node.ip = 0x7f000102u;
        d->value.node.port = 4435;
        break;
    default: /* PING, PONG, STORED; NODES: see make_dht_nodes */
        break;
    }
    return m;
}

/* NODES with n contacts; the first at the widest values, the others plain. */
static struct wire_msg make_dht_nodes(uint32_t txid, uint32_t n)
{
    struct wire_msg m = make_dht(WIRE_DHT_NODES, txid, 0x31);

    m.u.dht.n = n;
    for (uint32_t i = 0; i < n; i++) {
        struct wire_dht_contact *c = &m.u.dht.nodes[i];

        fill_pattern(c->id, WIRE_DHT_ID_LEN, (uint8_t)(0x40 + i));
        c->ip = i == 0 ? UINT32_MAX : 0x7f000001u + i;
        c->port = (uint16_t)(i == 0 ? 65535 : 4435 + i);
    }
    return m;
}

/* IMG_BLOCK with len bytes of a pattern. */
static struct wire_msg make_img(uint32_t image_id, uint32_t index, uint32_t len, uint8_t seed)
{
    struct wire_msg m = {.type = WIRE_IMG_BLOCK};

    m.u.img.image_id = image_id;
    m.u.img.index = index;
    m.u.img.len = len;
    fill_pattern(m.u.img.data, len <= WIRE_IMG_MAX_BLOCK ? len : WIRE_IMG_MAX_BLOCK, seed);
    return m;
}

static struct wire_msg make_fetch(uint64_t box_id, uint32_t from_block)
{
    struct wire_msg m = {.type = WIRE_IMG_FETCH};

    m.u.fetch.box_id = box_id;
    m.u.fetch.from_block = from_block;
    return m;
}

static struct wire_msg make_box_reg(uint64_t box_id, uint8_t seed)
{
    struct wire_msg m = {.type = WIRE_BOX_REGISTER};

    m.u.box_reg.box_id = box_id;
    fill_pattern(m.u.box_reg.sha256, WIRE_SHA256_LEN, seed);
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
    out[n++] = make_u32_msg(WIRE_WAIT, 125000);
    out[n++] = make_sn_msg(WIRE_GOSSIP, 7);
    out[n++] = make_req_msg(WIRE_REQUEST, 123456789012ull, 70000, 0);
    out[n++] = make_req_msg(WIRE_RESPONSE, 0, UINT32_MAX, 0);
    out[n++] = make_req_msg(WIRE_REQ_BUSY, 0, 3, 250);
    out[n++] = make_sn_msg(WIRE_GOSSIP, 0);
    out[n++] = make_req_msg(WIRE_REQUEST, UINT64_MAX, 0, 0);
    out[n++] = make_locate(123456789012ull);
    out[n++] = make_assign(42, 0x0a000007u, 4100);
    out[n++] = make_load(42, 1, 900, 1000, 17, 873);
    out[n++] = make_load(UINT32_MAX, 0, UINT32_MAX, 0, UINT32_MAX, 0);
    out[n++] = make_dht(WIRE_DHT_PING, 7, 0x11);
    out[n++] = make_dht(WIRE_DHT_PONG, UINT32_MAX, 0x12);
    out[n++] = make_dht(WIRE_DHT_FIND_NODE, 70000, 0x13);
    out[n++] = make_dht_nodes(1, 0);
    out[n++] = make_dht_nodes(300, 1);
    out[n++] = make_dht_nodes(UINT32_MAX, WIRE_DHT_MAX_NODES);
    out[n++] = make_dht(WIRE_DHT_STORE, 0, 0x14);
    out[n++] = make_dht(WIRE_DHT_STORED, 128, 0x15);
    out[n++] = make_dht(WIRE_DHT_FIND_VALUE, 65536, 0x16);
    out[n++] = make_dht(WIRE_DHT_VALUE, 9, 0x17);
    out[n++] = make_img(0xe3b0c442u, 5, 1024, 0x18);
    out[n++] = make_img(0, 0, 1, 0x19);
    out[n++] = make_img(UINT32_MAX, UINT32_MAX, WIRE_IMG_MAX_BLOCK, 0x1a);
    out[n++] = make_fetch(70000, 300);
    out[n++] = make_fetch(UINT64_MAX, UINT32_MAX);
    out[n++] = make_box_reg(12345, 0x1b);
    out[n++] = make_box_reg(UINT64_MAX, 0xff);
    return n;
}

/* Bigger than sample_msgs() will ever return. */
#define MAX_SAMPLES 48

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
        assert_int_equal(a->u.ticket.addr, b->u.ticket.addr);
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
    case WIRE_WAIT:
        assert_int_equal(a->u.wait_ms, b->u.wait_ms);
        break;
    case WIRE_REQUEST:
    case WIRE_RESPONSE:
    case WIRE_REQ_BUSY:
        /* The decoder zeroes what a type does not carry, so compare all. */
        assert_true(a->u.req.user_id == b->u.req.user_id);
        assert_int_equal(a->u.req.req_id, b->u.req.req_id);
        assert_int_equal(a->u.req.retry_after_ms, b->u.req.retry_after_ms);
        break;
    case WIRE_REGISTER_OK:
    case WIRE_REDIRECT:
    case WIRE_GOSSIP:
        assert_int_equal(a->u.sn_list.n, b->u.sn_list.n);
        for (uint32_t i = 0; i < a->u.sn_list.n; i++) {
            assert_int_equal(a->u.sn_list.sns[i].node_id, b->u.sn_list.sns[i].node_id);
            assert_int_equal(a->u.sn_list.sns[i].ip, b->u.sn_list.sns[i].ip);
            assert_int_equal(a->u.sn_list.sns[i].port, b->u.sn_list.sns[i].port);
        }
        break;
    case WIRE_LOCATE:
        assert_true(a->u.user_id == b->u.user_id);
        break;
    case WIRE_ASSIGN:
        assert_int_equal(a->u.server.node_id, b->u.server.node_id);
        assert_int_equal(a->u.server.ip, b->u.server.ip);
        assert_int_equal(a->u.server.port, b->u.server.port);
        break;
    case WIRE_LOAD:
        assert_int_equal(a->u.load.node_id, b->u.load.node_id);
        assert_int_equal(a->u.load.up, b->u.load.up);
        assert_int_equal(a->u.load.clients, b->u.load.clients);
        assert_int_equal(a->u.load.max_clients, b->u.load.max_clients);
        assert_int_equal(a->u.load.queue, b->u.load.queue);
        assert_int_equal(a->u.load.load_permille, b->u.load.load_permille);
        break;
    case WIRE_DHT_PING:
    case WIRE_DHT_PONG:
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_STORE:
    case WIRE_DHT_STORED:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        /* The decoder zeroes what a type does not carry, so compare all. */
        assert_int_equal(a->u.dht.txid, b->u.dht.txid);
        assert_memory_equal(a->u.dht.sender, b->u.dht.sender, WIRE_DHT_ID_LEN);
        assert_memory_equal(a->u.dht.target, b->u.dht.target, WIRE_DHT_ID_LEN);
        assert_true(a->u.dht.user_id == b->u.dht.user_id);
        assert_int_equal(a->u.dht.n, b->u.dht.n);
        for (uint32_t i = 0; i < a->u.dht.n && i < WIRE_DHT_MAX_NODES; i++) {
            assert_memory_equal(a->u.dht.nodes[i].id, b->u.dht.nodes[i].id, WIRE_DHT_ID_LEN);
            assert_int_equal(a->u.dht.nodes[i].ip, b->u.dht.nodes[i].ip);
            assert_int_equal(a->u.dht.nodes[i].port, b->u.dht.nodes[i].port);
        }
        assert_true(a->u.dht.value.user_id == b->u.dht.value.user_id);
        assert_memory_equal(a->u.dht.value.node.id, b->u.dht.value.node.id, WIRE_DHT_ID_LEN);
        assert_int_equal(a->u.dht.value.node.ip, b->u.dht.value.node.ip);
        assert_int_equal(a->u.dht.value.node.port, b->u.dht.value.node.port);
        break;
    case WIRE_IMG_BLOCK:
        assert_int_equal(a->u.img.image_id, b->u.img.image_id);
        assert_int_equal(a->u.img.index, b->u.img.index);
        assert_int_equal(a->u.img.len, b->u.img.len);
        assert_true(a->u.img.len <= WIRE_IMG_MAX_BLOCK);
        assert_memory_equal(a->u.img.data, b->u.img.data, a->u.img.len);
        break;
    case WIRE_IMG_FETCH:
        assert_true(a->u.fetch.box_id == b->u.fetch.box_id);
        assert_int_equal(a->u.fetch.from_block, b->u.fetch.from_block);
        break;
    case WIRE_BOX_REGISTER:
        assert_true(a->u.box_reg.box_id == b->u.box_reg.box_id);
        assert_memory_equal(a->u.box_reg.sha256, b->u.box_reg.sha256, WIRE_SHA256_LEN);
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

static void test_wait_round_trips(void **state)
{
    struct wire_msg m = make_u32_msg(WIRE_WAIT, 125000);

    assert_frame_round_trip(&m);
    m.u.wait_ms = 0;
    assert_frame_round_trip(&m);
    m.u.wait_ms = UINT32_MAX;
    assert_frame_round_trip(&m);
}

static void test_gossip_round_trips(void **state)
{
    struct wire_msg m = make_sn_msg(WIRE_GOSSIP, 4);

    assert_frame_round_trip(&m);
}

static void test_gossip_full_and_empty_round_trip(void **state)
{
    struct wire_msg full = make_sn_msg(WIRE_GOSSIP, WIRE_MAX_SNS);
    struct wire_msg empty = make_sn_msg(WIRE_GOSSIP, 0);

    assert_frame_round_trip(&full);
    assert_frame_round_trip(&empty);
}

/* REQUEST, RESPONSE, REQ_BUSY and LOAD travel as bare UDP payloads. */
static void assert_payload_round_trip(const struct wire_msg *in)
{
    struct wire_msg out;
    uint8_t buf[WIRE_MAX_FRAME];
    int n = wire_encode_payload(in, buf, sizeof(buf));

    assert_true(n > 0);
    assert_int_equal(wire_decode_payload(buf, (size_t)n, &out), WIRE_OK);
    assert_msg_equal(in, &out);
    /* The TCP framing works for them too. */
    assert_frame_round_trip(in);
}

static void test_request_round_trips(void **state)
{
    struct wire_msg m = make_req_msg(WIRE_REQUEST, 123456789012ull, 70000, 0);

    assert_payload_round_trip(&m);
    m = make_req_msg(WIRE_REQUEST, UINT64_MAX, UINT32_MAX, 0);
    assert_payload_round_trip(&m);
    m = make_req_msg(WIRE_REQUEST, 0, 0, 0);
    assert_payload_round_trip(&m);
}

static void test_response_round_trips(void **state)
{
    struct wire_msg m = make_req_msg(WIRE_RESPONSE, 0, 70000, 0);

    assert_payload_round_trip(&m);
    m.u.req.req_id = UINT32_MAX;
    assert_payload_round_trip(&m);
    m.u.req.req_id = 0;
    assert_payload_round_trip(&m);
}

static void test_req_busy_round_trips(void **state)
{
    struct wire_msg m = make_req_msg(WIRE_REQ_BUSY, 0, 70000, 1500);

    assert_payload_round_trip(&m);
    m = make_req_msg(WIRE_REQ_BUSY, 0, UINT32_MAX, UINT32_MAX);
    assert_payload_round_trip(&m);
    m = make_req_msg(WIRE_REQ_BUSY, 0, 0, 0);
    assert_payload_round_trip(&m);
}

static void test_response_and_req_busy_decode_without_stale_fields(void **state)
{
    /* Only the fields a type carries are set; the rest of u.req is zero. */
    static const uint8_t resp[] = {0x93, 0x0e, 0x01, 0x07};
    static const uint8_t busy[] = {0x94, 0x0f, 0x01, 0x07, 0x09};
    struct wire_msg m;

    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(resp, sizeof(resp), &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_RESPONSE);
    assert_int_equal(m.u.req.req_id, 7);
    assert_true(m.u.req.user_id == 0);
    assert_int_equal(m.u.req.retry_after_ms, 0);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(busy, sizeof(busy), &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_REQ_BUSY);
    assert_int_equal(m.u.req.req_id, 7);
    assert_int_equal(m.u.req.retry_after_ms, 9);
    assert_true(m.u.req.user_id == 0);
}

static void test_locate_round_trips(void **state)
{
    static const uint64_t ids[] = {
        0, 1, 127, 128, 12345, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct wire_msg m = make_locate(ids[i]);

        assert_payload_round_trip(&m);
    }
}

static void test_assign_round_trips(void **state)
{
    static const uint32_t u32s[] = {0, 1, 0x7f000001u, UINT32_MAX};
    static const uint16_t ports[] = {0, 1, 4100, 65535};

    for (size_t i = 0; i < sizeof(u32s) / sizeof(u32s[0]); i++)
        for (size_t j = 0; j < sizeof(u32s) / sizeof(u32s[0]); j++)
            for (size_t k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
                struct wire_msg m = make_assign(u32s[i], u32s[j], ports[k]);

                assert_frame_round_trip(&m);
            }
}

static void test_load_round_trips(void **state)
{
    struct wire_msg m = make_load(7, 1, 250, 1000, 3, 250);

    assert_payload_round_trip(&m);
    m = make_load(7, 0, 0, 1000, 0, 0); /* the last report of a server going down */
    assert_payload_round_trip(&m);
    m = make_load(0, 0, 0, 0, 0, 0);
    assert_payload_round_trip(&m);
    m = make_load(UINT32_MAX, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX);
    assert_payload_round_trip(&m);
    m = make_load(UINT32_MAX, 0, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX);
    assert_payload_round_trip(&m);
    /* Utilisation above 1000 permille (an overloaded server) is a valid report. */
    m = make_load(3, 1, 1500, 1000, 70000, 1500);
    assert_payload_round_trip(&m);
}

static void test_central_messages_decode_every_field(void **state)
{
    /* Each field lands where it belongs, whatever *m held before. */
    static const uint8_t locate[] = {0x93, 0x10, 0x01, 0xcf, 0x01, 0x02,
                                     0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
    static const uint8_t assign[] = {0x93, 0x11, 0x01, 0x93, 0x05, 0xce, 0x0a,
                                     0x00, 0x00, 0x07, 0xcd, 0xff, 0xfe};
    static const uint8_t load[] = {0x98, 0x12, 0x01, 0x01, 0x01, 0x02, 0x03, 0x04, 0x05};
    struct wire_msg m;

    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(locate, sizeof(locate), &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_LOCATE);
    assert_true(m.u.user_id == 0x0102030405060708ull);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(assign, sizeof(assign), &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_ASSIGN);
    assert_int_equal(m.u.server.node_id, 5);
    assert_int_equal(m.u.server.ip, 0x0a000007u);
    assert_int_equal(m.u.server.port, 65534);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(load, sizeof(load), &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_LOAD);
    assert_int_equal(m.u.load.node_id, 1);
    assert_int_equal(m.u.load.up, 1);
    assert_int_equal(m.u.load.clients, 2);
    assert_int_equal(m.u.load.max_clients, 3);
    assert_int_equal(m.u.load.queue, 4);
    assert_int_equal(m.u.load.load_permille, 5);
}

static void test_payload_round_trips_without_prefix(void **state)
{
    struct wire_msg msgs[MAX_SAMPLES], out;
    uint8_t buf[ENC_BUF];
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

static void assert_payload_bytes(const struct wire_msg *m, const uint8_t *want, size_t n)
{
    uint8_t got[128];
    struct wire_msg back;

    assert_int_equal(wire_encode_payload(m, got, sizeof(got)), (int)n);
    assert_memory_equal(got, want, n);
    assert_int_equal(wire_decode_payload(want, n, &back), WIRE_OK);
    assert_msg_equal(m, &back);
}

static void test_new_messages_match_documented_bytes(void **state)
{
    /* The examples in docs/protocol.md; they also pin the field order. */
    static const uint8_t wait[] = {0x93, 0x0b, 0x01, 0xcd, 0x0b, 0xb8};
    static const uint8_t gossip[] = {0x93, 0x0c, 0x01, 0x91, 0x93, 0x07, 0xce,
                                     0x7f, 0x00, 0x01, 0x02, 0xcd, 0x10, 0x04};
    static const uint8_t request[] = {0x94, 0x0d, 0x01, 0xcd, 0x30, 0x39, 0x07};
    static const uint8_t response[] = {0x93, 0x0e, 0x01, 0x07};
    static const uint8_t req_busy[] = {0x94, 0x0f, 0x01, 0x07, 0xcd, 0x01, 0xf4};
    struct wire_msg m;

    m = make_u32_msg(WIRE_WAIT, 3000);
    assert_payload_bytes(&m, wait, sizeof(wait));
    m = make_sn_msg(WIRE_GOSSIP, 1);
    m.u.sn_list.sns[0].node_id = 7;
    m.u.sn_list.sns[0].ip = 0x7f000102;
    m.u.sn_list.sns[0].port = 4100;
    assert_payload_bytes(&m, gossip, sizeof(gossip));
    m = make_req_msg(WIRE_REQUEST, 12345, 7, 0);
    assert_payload_bytes(&m, request, sizeof(request));
    m = make_req_msg(WIRE_RESPONSE, 0, 7, 0);
    assert_payload_bytes(&m, response, sizeof(response));
    m = make_req_msg(WIRE_REQ_BUSY, 0, 7, 500);
    assert_payload_bytes(&m, req_busy, sizeof(req_busy));
}

static void test_central_messages_match_documented_bytes(void **state)
{
    /* The examples of LOCATE, ASSIGN and LOAD in docs/protocol.md. */
    static const uint8_t locate[] = {0x93, 0x10, 0x01, 0xcd, 0x30, 0x39};
    static const uint8_t assign[] = {0x93, 0x11, 0x01, 0x93, 0x07, 0xce, 0x7f,
                                     0x00, 0x01, 0x02, 0xcd, 0x10, 0x04};
    static const uint8_t load[] = {0x98, 0x12, 0x01, 0x07, 0x01, 0xcc, 0xfa,
                                   0xcd, 0x03, 0xe8, 0x03, 0xcc, 0xfa};
    struct wire_msg m;

    m = make_locate(12345);
    assert_payload_bytes(&m, locate, sizeof(locate));
    m = make_assign(7, 0x7f000102, 4100);
    assert_payload_bytes(&m, assign, sizeof(assign));
    m = make_load(7, 1, 250, 1000, 3, 250);
    assert_payload_bytes(&m, load, sizeof(load));
}

static void test_worst_case_messages_fit_the_encoder(void **state)
{
    /* Every integer at its widest: what the static size check in wire.c
     * promises, seen from outside through wire_encode. */
    static const enum wire_type sn_types[] = {WIRE_REGISTER_OK, WIRE_REDIRECT, WIRE_GOSSIP};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    for (size_t t = 0; t < sizeof(sn_types) / sizeof(sn_types[0]); t++) {
        m = make_sn_msg(sn_types[t], WIRE_MAX_SNS);
        for (int i = 0; i < WIRE_MAX_SNS; i++) {
            m.u.sn_list.sns[i].node_id = UINT32_MAX;
            m.u.sn_list.sns[i].ip = UINT32_MAX;
            m.u.sn_list.sns[i].port = UINT16_MAX;
        }
        assert_int_equal(wire_encode(&m, buf), 4 + 3 + 3 + WIRE_MAX_SNS * 14);
        assert_frame_round_trip(&m);
    }
    m = make_req_msg(WIRE_REQUEST, UINT64_MAX, UINT32_MAX, 0);
    assert_int_equal(wire_encode(&m, buf), 4 + 17);
    m = make_req_msg(WIRE_REQ_BUSY, 0, UINT32_MAX, UINT32_MAX);
    assert_int_equal(wire_encode(&m, buf), 4 + 13);
    m = make_req_msg(WIRE_RESPONSE, 0, UINT32_MAX, 0);
    assert_int_equal(wire_encode(&m, buf), 4 + 8);
    m = make_u32_msg(WIRE_WAIT, UINT32_MAX);
    assert_int_equal(wire_encode(&m, buf), 4 + 8);
    evbuffer_free(buf);
}

/* LOCATE, ASSIGN and LOAD at their widest encode into a buffer of exactly
 * that size and not into one byte less. LOAD's widest is 29 bytes, not the
 * 3 + 6 * 5 = 33 that wire.c's size checks allow for: up, 0 or 1, is always
 * a one-byte fixint. */
static void test_central_messages_fit_their_exact_maximum(void **state)
{
    const struct {
        struct wire_msg m;
        int size;
    } cases[] = {
        {make_locate(UINT64_MAX), 3 + 9},
        {make_assign(UINT32_MAX, UINT32_MAX, UINT16_MAX), 3 + 14},
        {make_load(UINT32_MAX, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX), 3 + 1 + 5 * 5},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t out[64];
        struct wire_msg back;
        struct evbuffer *buf = evbuffer_new();
        int framed = wire_encode(&cases[i].m, buf);

        evbuffer_free(buf); /* before any assertion can jump out */
        assert_int_equal(framed, 4 + cases[i].size);

        assert_true(cases[i].size <= (int)sizeof(out));
        assert_int_equal(wire_encode_payload(&cases[i].m, out, (size_t)cases[i].size),
                         cases[i].size);
        assert_int_equal(wire_decode_payload(out, (size_t)cases[i].size, &back), WIRE_OK);
        assert_msg_equal(&cases[i].m, &back);
        assert_int_equal(wire_encode_payload(&cases[i].m, out, (size_t)cases[i].size - 1), -1);
    }
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
    static const enum wire_type types[] = {WIRE_REGISTER_OK, WIRE_REDIRECT, WIRE_GOSSIP};
    struct evbuffer *buf = evbuffer_new();
    uint8_t out[1024];

    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        struct wire_msg m = make_sn_msg(types[t], WIRE_MAX_SNS);

        m.u.sn_list.n = WIRE_MAX_SNS + 1;
        assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
        assert_int_equal(wire_encode(&m, buf), -1);
        m.u.sn_list.n = UINT32_MAX;
        assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
        assert_int_equal(wire_encode(&m, buf), -1);
        assert_int_equal(evbuffer_get_length(buf), 0);
    }
    evbuffer_free(buf);
}

static void test_encode_payload_of_new_types_fails_when_buffer_too_small(void **state)
{
    struct wire_msg msgs[] = {
        make_u32_msg(WIRE_WAIT, 125000),
        make_sn_msg(WIRE_GOSSIP, WIRE_MAX_SNS),
        make_req_msg(WIRE_REQUEST, UINT64_MAX, UINT32_MAX, 0),
        make_req_msg(WIRE_RESPONSE, 0, 70000, 0),
        make_req_msg(WIRE_REQ_BUSY, 0, 70000, 70000),
        make_locate(UINT64_MAX),
        make_assign(7, 0x7f000001u, 4100),
        make_load(7, 1, 250, 1000, 3, 250),
    };
    uint8_t buf[1024];

    for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
        int need = wire_encode_payload(&msgs[i], buf, sizeof(buf));

        assert_true(need > 0);
        assert_int_equal(wire_encode_payload(&msgs[i], buf, (size_t)need), need);
        assert_int_equal(wire_encode_payload(&msgs[i], buf, (size_t)need - 1), -1);
    }
}

static void test_encode_refuses_unknown_type(void **state)
{
    struct wire_msg m = {.type = (enum wire_type)99};
    uint8_t out[64];

    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
    m.type = (enum wire_type)0;
    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
    m.type = (enum wire_type)(LAST_TYPE + 1);
    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
}

static void test_encode_refuses_load_with_up_above_1(void **state)
{
    static const uint32_t ups[] = {2, 3, 0x80000000u, UINT32_MAX};
    struct evbuffer *buf = evbuffer_new();
    uint8_t out[64];

    for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
        struct wire_msg m = make_load(7, ups[i], 250, 1000, 3, 250);

        assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
        assert_int_equal(wire_encode(&m, buf), -1);
        assert_int_equal(evbuffer_get_length(buf), 0); /* no half frame either */
    }
    evbuffer_free(buf);
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

/* The flat-buffer decoder (node/conn.c reads parked sockets with it): every
 * prefix of a frame needs more, the whole frame decodes and says its size,
 * a zero or oversize length prefix is refused. */
static void test_frame_bytes_in_a_flat_buffer(void **state)
{
    struct wire_msg in = make_ticket_msg(WIRE_REGISTER), out;
    uint8_t frame[264];
    int plen = wire_encode_payload(&in, frame + 4, 256);
    size_t flen = 99;
    frame[0] = frame[1] = 0;
    frame[2] = (uint8_t)(plen >> 8);
    frame[3] = (uint8_t)plen;
    for (size_t n = 0; n < (size_t)plen + 4; n++) {
        assert_int_equal(wire_decode_frame_bytes(frame, n, &out, &flen), WIRE_NEED_MORE);
        assert_int_equal(flen, 0);
    }
    frame[plen + 4] = 0xff; /* the next frame's first byte: not this one's */
    assert_int_equal(wire_decode_frame_bytes(frame, (size_t)plen + 5, &out, &flen), WIRE_OK);
    assert_int_equal(flen, plen + 4);
    assert_msg_equal(&in, &out);
    uint8_t zero[5] = {0, 0, 0, 0, 0x90}, huge[5] = {0, 0x01, 0, 1, 0x90};
    assert_int_equal(wire_decode_frame_bytes(zero, 5, &out, &flen), WIRE_ERR_OVERSIZE);
    assert_int_equal(wire_decode_frame_bytes(huge, 5, &out, &flen), WIRE_ERR_OVERSIZE);
    assert_int_equal(flen, 0);
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
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, 2);
    msgpack_pack_uint32(&b.pk, 3);
    mp_bin(&b, WIRE_SIG_LEN - 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

/* The ticket before it named an address: [user_id, expiry_ms, sig]. */
static void test_ticket_without_address_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, 2);
    mp_bin(&b, WIRE_SIG_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

/* An address wider than IPv4. */
static void test_ticket_with_oversized_address_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_REGISTER, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, 2);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    mp_bin(&b, WIRE_SIG_LEN);
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

/* ---- the new messages: WAIT, GOSSIP, REQUEST, RESPONSE, REQ_BUSY ---- */

/* Messages whose fields are all uints: field count and the range of each. */
struct uint_shape {
    enum wire_type type;
    uint32_t nfields;
    uint64_t max[6];
};

static const struct uint_shape uint_shapes[] = {
    {WIRE_WAIT, 1, {UINT32_MAX, 0}},
    {WIRE_RESPONSE, 1, {UINT32_MAX, 0}},
    {WIRE_REQUEST, 2, {UINT64_MAX, UINT32_MAX}},
    {WIRE_REQ_BUSY, 2, {UINT32_MAX, UINT32_MAX}},
    {WIRE_LOCATE, 1, {UINT64_MAX}},
    /* LOAD's up is a flag: 0 or 1. */
    {WIRE_LOAD, 6, {UINT32_MAX, 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX}},
    /* settop: IMG_FETCH [box_id, from_block]. */
    {WIRE_IMG_FETCH, 2, {UINT64_MAX, UINT32_MAX}},
    /* The older ones follow the same rules. */
    {WIRE_BUSY, 1, {UINT32_MAX, 0}},
    {WIRE_LOGIN_FAIL, 1, {UINT32_MAX, 0}},
    {WIRE_REGISTER_FAIL, 1, {UINT32_MAX, 0}},
    {WIRE_KEEPALIVE, 1, {UINT32_MAX, 0}},
    {WIRE_KEEPALIVE_ACK, 1, {UINT32_MAX, 0}},
};
#define N_UINT_SHAPES (sizeof(uint_shapes) / sizeof(uint_shapes[0]))

enum bad_field {
    BAD_ABOVE_MAX, /* only where max < UINT64_MAX */
    BAD_NEGATIVE,
    BAD_NEGATIVE_BIG,
    BAD_STR,
    BAD_BIN,
    BAD_NIL,
    BAD_TRUE,
    BAD_FLOAT,
    BAD_ARRAY,
    BAD_MAP,
    BAD_EXT,
    BAD_COUNT
};

static void pack_bad(msgpack_packer *pk, enum bad_field k, uint64_t max)
{
    switch (k) {
    case BAD_ABOVE_MAX:
        msgpack_pack_uint64(pk, max + 1);
        break;
    case BAD_NEGATIVE:
        msgpack_pack_int8(pk, -1);
        break;
    case BAD_NEGATIVE_BIG:
        msgpack_pack_int64(pk, INT64_MIN);
        break;
    case BAD_STR:
        msgpack_pack_str_with_body(pk, "7", 1);
        break;
    case BAD_BIN:
        msgpack_pack_bin_with_body(pk, "\x07", 1);
        break;
    case BAD_NIL:
        msgpack_pack_nil(pk);
        break;
    case BAD_TRUE:
        msgpack_pack_true(pk);
        break;
    case BAD_FLOAT:
        msgpack_pack_float(pk, 7.0f);
        break;
    case BAD_ARRAY:
        msgpack_pack_array(pk, 1);
        msgpack_pack_uint8(pk, 7);
        break;
    case BAD_MAP:
        msgpack_pack_map(pk, 1);
        msgpack_pack_uint8(pk, 7);
        msgpack_pack_uint8(pk, 7);
        break;
    default:
        msgpack_pack_ext_with_body(pk, "\x07", 1, 1);
        break;
    }
}

static void test_uint_messages_at_their_maximum_decode(void **state)
{
    for (size_t s = 0; s < N_UINT_SHAPES; s++) {
        const struct uint_shape *sh = &uint_shapes[s];
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 2 + sh->nfields, sh->type, WIRE_VERSION);
        for (uint32_t i = 0; i < sh->nfields; i++)
            msgpack_pack_uint64(&b.pk, sh->max[i]);
        assert_int_equal(mp_decode(&b, &m), WIRE_OK);
        assert_int_equal(m.type, sh->type);
        switch (sh->type) {
        case WIRE_WAIT:
            assert_int_equal(m.u.wait_ms, UINT32_MAX);
            break;
        case WIRE_RESPONSE:
            assert_int_equal(m.u.req.req_id, UINT32_MAX);
            break;
        case WIRE_REQUEST:
            assert_true(m.u.req.user_id == UINT64_MAX);
            assert_int_equal(m.u.req.req_id, UINT32_MAX);
            break;
        case WIRE_REQ_BUSY:
            assert_int_equal(m.u.req.req_id, UINT32_MAX);
            assert_int_equal(m.u.req.retry_after_ms, UINT32_MAX);
            break;
        case WIRE_LOCATE:
            assert_true(m.u.user_id == UINT64_MAX);
            break;
        case WIRE_LOAD:
            assert_int_equal(m.u.load.node_id, UINT32_MAX);
            assert_int_equal(m.u.load.up, 1);
            assert_int_equal(m.u.load.clients, UINT32_MAX);
            assert_int_equal(m.u.load.max_clients, UINT32_MAX);
            assert_int_equal(m.u.load.queue, UINT32_MAX);
            assert_int_equal(m.u.load.load_permille, UINT32_MAX);
            break;
        case WIRE_IMG_FETCH:
            assert_true(m.u.fetch.box_id == UINT64_MAX);
            assert_int_equal(m.u.fetch.from_block, UINT32_MAX);
            break;
        default:
            break;
        }
    }
}

static void test_uint_messages_with_wrong_field_count_are_malformed(void **state)
{
    for (size_t s = 0; s < N_UINT_SHAPES; s++) {
        const struct uint_shape *sh = &uint_shapes[s];
        /* None, one short, one over, and a full fixarray. */
        const uint32_t counts[] = {0, sh->nfields - 1, sh->nfields + 1, 13};

        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
            struct wire_msg m;
            struct mp b;

            mp_begin(&b, 2 + counts[c], sh->type, WIRE_VERSION);
            for (uint32_t i = 0; i < counts[c]; i++)
                msgpack_pack_uint8(&b.pk, 1);
            assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
            assert_int_equal(m.type, 0); /* nothing half-decoded is left */
        }
    }
}

static void test_uint_messages_with_wrong_field_type_or_range_are_malformed(void **state)
{
    for (size_t s = 0; s < N_UINT_SHAPES; s++) {
        const struct uint_shape *sh = &uint_shapes[s];

        for (uint32_t bad = 0; bad < sh->nfields; bad++) {
            for (int k = 0; k < BAD_COUNT; k++) {
                struct mp b;

                if (k == BAD_ABOVE_MAX && sh->max[bad] == UINT64_MAX)
                    continue; /* no uint above it to send */
                mp_begin(&b, 2 + sh->nfields, sh->type, WIRE_VERSION);
                for (uint32_t i = 0; i < sh->nfields; i++) {
                    if (i == bad)
                        pack_bad(&b.pk, (enum bad_field)k, sh->max[i]);
                    else
                        msgpack_pack_uint8(&b.pk, 1);
                }
                if (mp_status(&b) != WIRE_ERR_MALFORMED)
                    fail_msg("type %d field %u bad kind %d accepted", sh->type, bad, k);
            }
        }
    }
}

static void test_wait_ms_above_uint32_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_WAIT, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_wait_with_two_fields_is_malformed(void **state)
{
    /* [11, 1, 3000, 3000] */
    static const uint8_t p[] = {0x94, 0x0b, 0x01, 0xcd, 0x0b, 0xb8, 0xcd, 0x0b, 0xb8};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(p, 6), WIRE_ERR_MALFORMED); /* 4 elements announced */
}

static void test_request_without_req_id_is_malformed(void **state)
{
    /* [13, 1, 12345]: REQUEST needs user_id and req_id. */
    static const uint8_t p[] = {0x93, 0x0d, 0x01, 0xcd, 0x30, 0x39};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_request_user_id_as_str_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_REQUEST, WIRE_VERSION);
    msgpack_pack_str_with_body(&b.pk, "12345", 5);
    msgpack_pack_uint32(&b.pk, 7);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_request_req_id_above_uint32_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_REQUEST, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 1);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_response_with_retry_after_is_malformed(void **state)
{
    /* A RESPONSE shaped like a REQ_BUSY: [14, 1, 7, 500]. */
    static const uint8_t p[] = {0x94, 0x0e, 0x01, 0x07, 0xcd, 0x01, 0xf4};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_req_busy_without_retry_after_is_malformed(void **state)
{
    /* A REQ_BUSY shaped like a RESPONSE: [15, 1, 7]. */
    static const uint8_t p[] = {0x93, 0x0f, 0x01, 0x07};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_req_busy_retry_after_above_uint32_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 4, WIRE_REQ_BUSY, WIRE_VERSION);
    msgpack_pack_uint32(&b.pk, 7);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_request_datagram_with_trailing_bytes_is_malformed(void **state)
{
    /* Two REQUESTs in one datagram: UDP carries exactly one payload. */
    static const uint8_t p[] = {0x94, 0x0d, 0x01, 0x01, 0x07, 0x94, 0x0d, 0x01, 0x01, 0x08};

    assert_int_equal(decode_bytes(p, 5), WIRE_OK);
    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_request_datagram_with_length_prefix_is_malformed(void **state)
{
    /* A TCP frame sent as a datagram: the prefix is not msgpack framing. */
    static const uint8_t p[] = {0x00, 0x00, 0x00, 0x05, 0x94, 0x0d, 0x01, 0x01, 0x07};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_gossip_of_maximum_length_decodes(void **state)
{
    struct wire_msg m;
    struct mp b;

    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_array(&b.pk, WIRE_MAX_SNS);
    for (int i = 0; i < WIRE_MAX_SNS; i++)
        mp_sn(&b, UINT32_MAX - i, UINT32_MAX, UINT16_MAX);
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_GOSSIP);
    assert_int_equal(m.u.sn_list.n, WIRE_MAX_SNS);
    assert_int_equal(m.u.sn_list.sns[WIRE_MAX_SNS - 1].node_id, UINT32_MAX - (WIRE_MAX_SNS - 1));
    assert_int_equal(m.u.sn_list.sns[0].port, UINT16_MAX);
}

static void test_gossip_with_33_sns_is_malformed(void **state)
{
    struct mp b;

    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_array(&b.pk, WIRE_MAX_SNS + 1);
    for (int i = 0; i < WIRE_MAX_SNS + 1; i++)
        mp_sn(&b, i, 0x7f000001, 4000);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_gossip_with_bad_sn_entry_is_malformed(void **state)
{
    /* One good entry, then a bad one: the whole message is refused. */
    for (int bad = 0; bad < 8; bad++) {
        struct mp b;

        mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
        msgpack_pack_array(&b.pk, 2);
        mp_sn(&b, 1, 0x7f000001, 4000);
        switch (bad) {
        case 0:
            mp_sn(&b, 2, 0x7f000002, 65536); /* port out of range */
            break;
        case 1:
            mp_sn(&b, 0x100000000ull, 0x7f000002, 4000); /* node_id out of range */
            break;
        case 2:
            mp_sn(&b, 2, 0x100000000ull, 4000); /* ipv4 out of range */
            break;
        case 3: /* two fields */
            msgpack_pack_array(&b.pk, 2);
            msgpack_pack_uint8(&b.pk, 2);
            msgpack_pack_uint8(&b.pk, 3);
            break;
        case 4: /* four fields */
            msgpack_pack_array(&b.pk, 4);
            for (int i = 0; i < 4; i++)
                msgpack_pack_uint8(&b.pk, 2);
            break;
        case 5: /* not an array */
            msgpack_pack_uint8(&b.pk, 2);
            break;
        case 6: /* negative port */
            msgpack_pack_array(&b.pk, 3);
            msgpack_pack_uint8(&b.pk, 2);
            msgpack_pack_uint8(&b.pk, 3);
            msgpack_pack_int8(&b.pk, -1);
            break;
        default: /* ipv4 as a 4-byte bin */
            msgpack_pack_array(&b.pk, 3);
            msgpack_pack_uint8(&b.pk, 2);
            msgpack_pack_bin_with_body(&b.pk, "\x7f\x00\x00\x01", 4);
            msgpack_pack_uint16(&b.pk, 4000);
            break;
        }
        if (mp_status(&b) != WIRE_ERR_MALFORMED)
            fail_msg("bad SN entry %d accepted", bad);
    }
}

static void test_gossip_with_wrong_field_count_or_type_is_malformed(void **state)
{
    struct mp b;

    /* [12, 1]: no list */
    mp_begin(&b, 2, WIRE_GOSSIP, WIRE_VERSION);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [12, 1, [], []] */
    mp_begin(&b, 4, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 0);
    msgpack_pack_array(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [12, 1, {}] */
    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_map(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [12, 1, nil] */
    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_nil(&b.pk);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [12, 1, 0]: a count, not a list */
    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [12, 1, [sn]] with the SN entry flattened: [12, 1, [1, ip, port]] */
    mp_begin(&b, 3, WIRE_GOSSIP, WIRE_VERSION);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint32(&b.pk, 0x7f000001);
    msgpack_pack_uint16(&b.pk, 4000);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_hostile_array32_in_gossip_is_malformed(void **state)
{
    /* [12, 1, array32(2^32-1)] */
    static const uint8_t p[] = {0x93, 0x0c, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
}

static void test_type_after_the_last_is_unknown(void **state)
{
    /* The first type after the last one defined, in every field count up to
     * a full fixarray: unknown whatever its shape, never malformed. */
    for (uint32_t nfields = 0; nfields <= 13; nfields++) {
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 2 + nfields, LAST_TYPE + 1, WIRE_VERSION);
        for (uint32_t i = 0; i < nfields; i++)
            msgpack_pack_uint8(&b.pk, 7);
        assert_int_equal(mp_decode(&b, &m), WIRE_ERR_UNKNOWN);
        assert_int_equal(m.type, 0);
    }
}

static void test_new_types_with_version_2_are_version_errors(void **state)
{
    for (uint64_t t = WIRE_WAIT; t <= LAST_TYPE; t++) {
        struct mp b;

        mp_begin(&b, 3, t, 2);
        msgpack_pack_uint8(&b.pk, 1);
        assert_int_equal(mp_status(&b), WIRE_ERR_VERSION);
    }
}

/* ---- the central architecture: LOCATE, ASSIGN, LOAD ---- */

static void test_locate_and_load_with_wrong_field_count_are_malformed(void **state)
{
    /* LOCATE [16, 1, user_id] and LOAD [18, 1, six fields]: every other count
     * up to a full fixarray. (The uint shape tests above cover their field
     * types and ranges.) */
    static const struct {
        enum wire_type type;
        uint32_t nfields;
    } shapes[] = {{WIRE_LOCATE, 1}, {WIRE_LOAD, 6}};

    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
        for (uint32_t n = 0; n <= 13; n++) {
            struct wire_msg m;
            struct mp b;

            if (n == shapes[s].nfields)
                continue;
            mp_begin(&b, 2 + n, shapes[s].type, WIRE_VERSION);
            for (uint32_t i = 0; i < n; i++)
                msgpack_pack_uint8(&b.pk, 1);
            if (mp_decode(&b, &m) != WIRE_ERR_MALFORMED)
                fail_msg("%s with %u fields accepted", wire_type_name(shapes[s].type), n);
            assert_int_equal(m.type, 0);
        }
    }
}

static void test_load_with_up_above_1_is_malformed(void **state)
{
    static const uint64_t ups[] = {2, 255, 256, UINT32_MAX, UINT64_MAX};

    for (size_t i = 0; i < sizeof(ups) / sizeof(ups[0]); i++) {
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 8, WIRE_LOAD, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 7);
        msgpack_pack_uint64(&b.pk, ups[i]);
        for (int f = 0; f < 4; f++)
            msgpack_pack_uint8(&b.pk, 1);
        assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
        assert_int_equal(m.type, 0);
    }
}

static void test_load_up_as_bool_is_malformed(void **state)
{
    /* up is the integer 0 or 1, not msgpack's true/false. */
    static const uint8_t t[] = {0x98, 0x12, 0x01, 0x07, 0xc3, 0x01, 0x01, 0x01, 0x01};
    static const uint8_t f[] = {0x98, 0x12, 0x01, 0x07, 0xc2, 0x01, 0x01, 0x01, 0x01};

    assert_int_equal(decode_bytes(t, sizeof(t)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(f, sizeof(f)), WIRE_ERR_MALFORMED);
}

static void test_load_negative_or_float_fields_are_malformed(void **state)
{
    /* Each of the six fields in turn: -1, INT64_MIN, 1.0 (float32 and
     * float64). The uint shape test sweeps every bad kind; these are the
     * ones a sloppy sender is likeliest to produce. */
    for (int bad = 0; bad < 6; bad++) {
        for (int kind = 0; kind < 4; kind++) {
            struct wire_msg m;
            struct mp b;

            mp_begin(&b, 8, WIRE_LOAD, WIRE_VERSION);
            for (int i = 0; i < 6; i++) {
                if (i != bad)
                    msgpack_pack_uint8(&b.pk, 1);
                else if (kind == 0)
                    msgpack_pack_int8(&b.pk, -1);
                else if (kind == 1)
                    msgpack_pack_int64(&b.pk, INT64_MIN);
                else if (kind == 2)
                    msgpack_pack_float(&b.pk, 1.0f);
                else
                    msgpack_pack_double(&b.pk, 1.0);
            }
            if (mp_decode(&b, &m) != WIRE_ERR_MALFORMED)
                fail_msg("LOAD field %d bad kind %d accepted", bad, kind);
            assert_int_equal(m.type, 0);
        }
    }
}

static void test_load_datagram_with_trailing_bytes_or_prefix_is_malformed(void **state)
{
    struct wire_msg m = make_load(7, 1, 250, 1000, 3, 250);
    uint8_t buf[64];
    int n = wire_encode_payload(&m, buf + 4, sizeof(buf) - 5);

    assert_true(n > 0);
    assert_int_equal(wire_decode_payload(buf + 4, (size_t)n, &m), WIRE_OK);
    buf[4 + n] = 0x00;
    assert_int_equal(wire_decode_payload(buf + 4, (size_t)n + 1, &m), WIRE_ERR_MALFORMED);
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = 0;
    buf[3] = (uint8_t)n;
    assert_int_equal(wire_decode_payload(buf, (size_t)n + 4, &m), WIRE_ERR_MALFORMED);
}

static void test_assign_with_wrong_server_shape_is_malformed(void **state)
{
    for (int bad = 0; bad < 14; bad++) {
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 3, WIRE_ASSIGN, WIRE_VERSION);
        switch (bad) {
        case 0: /* [node_id, ip]: no port */
            msgpack_pack_array(&b.pk, 2);
            msgpack_pack_uint8(&b.pk, 7);
            msgpack_pack_uint32(&b.pk, 0x7f000001);
            break;
        case 1: /* [node_id, ip, port, extra] */
            msgpack_pack_array(&b.pk, 4);
            msgpack_pack_uint8(&b.pk, 7);
            msgpack_pack_uint32(&b.pk, 0x7f000001);
            msgpack_pack_uint16(&b.pk, 4100);
            msgpack_pack_uint8(&b.pk, 1);
            break;
        case 2:
            mp_sn(&b, 7, 0x7f000001, 65536);
            break;
        case 3:
            mp_sn(&b, 7, 0x7f000001, 70000);
            break;
        case 4:
            mp_sn(&b, 7, 0x7f000001, UINT64_MAX);
            break;
        case 5:
            mp_sn(&b, 7, 0x100000000ull, 4100);
            break;
        case 6:
            mp_sn(&b, 0x100000000ull, 0x7f000001, 4100);
            break;
        case 7: /* negative port */
            msgpack_pack_array(&b.pk, 3);
            msgpack_pack_uint8(&b.pk, 7);
            msgpack_pack_uint32(&b.pk, 0x7f000001);
            msgpack_pack_int8(&b.pk, -1);
            break;
        case 8: /* a REGISTER_OK-style list of one server */
            msgpack_pack_array(&b.pk, 1);
            mp_sn(&b, 7, 0x7f000001, 4100);
            break;
        case 9: /* an empty array */
            msgpack_pack_array(&b.pk, 0);
            break;
        case 10: /* the server flattened into the message: a bare node_id */
            msgpack_pack_uint8(&b.pk, 7);
            break;
        case 11:
            msgpack_pack_nil(&b.pk);
            break;
        case 12:
            msgpack_pack_map(&b.pk, 0);
            break;
        default: /* ip as a 4-byte bin */
            msgpack_pack_array(&b.pk, 3);
            msgpack_pack_uint8(&b.pk, 7);
            msgpack_pack_bin_with_body(&b.pk, "\x7f\x00\x00\x01", 4);
            msgpack_pack_uint16(&b.pk, 4100);
            break;
        }
        if (mp_decode(&b, &m) != WIRE_ERR_MALFORMED)
            fail_msg("ASSIGN with bad server %d accepted", bad);
        assert_int_equal(m.type, 0);
    }
}

static void test_assign_with_wrong_field_count_is_malformed(void **state)
{
    struct mp b;

    /* [17, 1]: no server */
    mp_begin(&b, 2, WIRE_ASSIGN, WIRE_VERSION);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [17, 1, node_id, ip, port]: the server not wrapped in an array */
    mp_begin(&b, 5, WIRE_ASSIGN, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 7);
    msgpack_pack_uint32(&b.pk, 0x7f000001);
    msgpack_pack_uint16(&b.pk, 4100);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* [17, 1, sn, sn]: two servers */
    mp_begin(&b, 4, WIRE_ASSIGN, WIRE_VERSION);
    mp_sn(&b, 7, 0x7f000001, 4100);
    mp_sn(&b, 8, 0x7f000002, 4100);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_locate_user_id_wrong_type_is_malformed(void **state)
{
    struct mp b;

    /* A user id as a string, or as 9 bytes of bin: refused. */
    mp_begin(&b, 3, WIRE_LOCATE, WIRE_VERSION);
    msgpack_pack_str_with_body(&b.pk, "12345", 5);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 3, WIRE_LOCATE, WIRE_VERSION);
    msgpack_pack_bin_with_body(&b.pk, "\x01\x00\x00\x00\x00\x00\x00\x00\x00", 9);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* A LOCATE shaped like a LOGIN_REQ (user id and secret): refused. */
    mp_begin(&b, 4, WIRE_LOCATE, WIRE_VERSION);
    msgpack_pack_uint16(&b.pk, 12345);
    mp_bin(&b, WIRE_SECRET_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

/* ---- the DHT: PING, PONG, FIND_NODE, NODES, STORE, STORED, FIND_VALUE, VALUE ---- */

static const enum wire_type dht_types[] = {
    WIRE_DHT_PING,  WIRE_DHT_PONG,   WIRE_DHT_FIND_NODE,  WIRE_DHT_NODES,
    WIRE_DHT_STORE, WIRE_DHT_STORED, WIRE_DHT_FIND_VALUE, WIRE_DHT_VALUE,
};
#define N_DHT_TYPES (sizeof(dht_types) / sizeof(dht_types[0]))

/* Fields after [type, version], as wire.h documents them. */
static uint32_t dht_nfields(enum wire_type t)
{
    switch (t) {
    case WIRE_DHT_STORE:
        return 4;
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        return 3;
    default:
        return 2;
    }
}

/* One of every DHT message, NODES with 0, 1 and 32 contacts. */
static int dht_samples(struct wire_msg *out)
{
    int n = 0;

    for (size_t i = 0; i < N_DHT_TYPES; i++)
        if (dht_types[i] != WIRE_DHT_NODES)
            out[n++] = make_dht(dht_types[i], 1000 + (uint32_t)i, (uint8_t)(0x50 + i));
    out[n++] = make_dht_nodes(5, 0);
    out[n++] = make_dht_nodes(6, 1);
    out[n++] = make_dht_nodes(7, WIRE_DHT_MAX_NODES);
    return n;
}

#define MAX_DHT_SAMPLES 16

static void test_dht_messages_round_trip(void **state)
{
    struct wire_msg msgs[MAX_DHT_SAMPLES];
    int n = dht_samples(msgs);

    for (int i = 0; i < n; i++)
        assert_payload_round_trip(&msgs[i]);
}

static void test_dht_messages_round_trip_at_their_extremes(void **state)
{
    static const uint32_t txids[] = {0, 1, 127, 128, 65535, 65536, UINT32_MAX};

    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        for (size_t i = 0; i < sizeof(txids) / sizeof(txids[0]); i++) {
            struct wire_msg m = make_dht(dht_types[t], txids[i], (uint8_t)i);

            /* All-zero and all-ones ids. */
            memset(m.u.dht.sender, i & 1 ? 0xff : 0x00, WIRE_DHT_ID_LEN);
            if (dht_types[t] == WIRE_DHT_STORE)
                m.u.dht.user_id = i & 1 ? UINT64_MAX : 0;
            if (dht_types[t] == WIRE_DHT_NODES)
                m = make_dht_nodes(txids[i], (uint32_t)i);
            if (dht_types[t] == WIRE_DHT_VALUE) {
                m.u.dht.value.user_id = i & 1 ? UINT64_MAX : 0;
                m.u.dht.value.node.ip = i & 1 ? UINT32_MAX : 0;
                m.u.dht.value.node.port = i & 1 ? 65535 : 1;
            }
            assert_payload_round_trip(&m);
        }
    }
}

static void test_dht_nodes_with_0_1_and_32_contacts_round_trip(void **state)
{
    static const uint32_t counts[] = {0, 1, 2, 15, 16, WIRE_DHT_MAX_NODES - 1, WIRE_DHT_MAX_NODES};

    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct wire_msg m = make_dht_nodes(42, counts[i]), out;
        uint8_t buf[ENC_BUF];
        int n = wire_encode_payload(&m, buf, sizeof(buf));

        assert_true(n > 0);
        assert_int_equal(wire_decode_payload(buf, (size_t)n, &out), WIRE_OK);
        assert_int_equal(out.type, WIRE_DHT_NODES);
        assert_int_equal(out.u.dht.n, counts[i]);
        assert_msg_equal(&m, &out);
        assert_frame_round_trip(&m);
    }
}

static void test_dht_messages_decode_every_field(void **state)
{
    /* Hand-built: each field lands where it belongs, whatever *m held, and
     * what a type does not carry is zero. */
    struct wire_msg m;
    struct mp b;
    uint8_t id[WIRE_DHT_ID_LEN];

    fill_pattern(id, sizeof(id), 0x77);

    mp_begin(&b, 4, WIRE_DHT_PING, WIRE_VERSION);
    msgpack_pack_uint32(&b.pk, 0xdeadbeef);
    msgpack_pack_bin_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_DHT_PING);
    assert_int_equal(m.u.dht.txid, 0xdeadbeef);
    assert_memory_equal(m.u.dht.sender, id, WIRE_DHT_ID_LEN);
    assert_int_equal(m.u.dht.n, 0);
    assert_true(m.u.dht.user_id == 0);
    assert_true(m.u.dht.value.user_id == 0);
    assert_int_equal(m.u.dht.target[0] | m.u.dht.target[WIRE_DHT_ID_LEN - 1], 0);

    mp_begin(&b, 6, WIRE_DHT_STORE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 3);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_bin_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    msgpack_pack_uint64(&b.pk, 0x0102030405060708ull);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_DHT_STORE);
    assert_int_equal(m.u.dht.txid, 3);
    assert_int_equal(m.u.dht.sender[0] | m.u.dht.sender[WIRE_DHT_ID_LEN - 1], 0);
    assert_memory_equal(m.u.dht.target, id, WIRE_DHT_ID_LEN);
    assert_true(m.u.dht.user_id == 0x0102030405060708ull);
    assert_int_equal(m.u.dht.n, 0);

    mp_begin(&b, 5, WIRE_DHT_NODES, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 4);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_array(&b.pk, 2);
    msgpack_pack_array(&b.pk, 3);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_uint32(&b.pk, 0x0a000001);
    msgpack_pack_uint16(&b.pk, 1);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_bin_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    msgpack_pack_uint32(&b.pk, 0x0a000002);
    msgpack_pack_uint16(&b.pk, 65534);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_DHT_NODES);
    assert_int_equal(m.u.dht.n, 2);
    assert_int_equal(m.u.dht.nodes[0].ip, 0x0a000001);
    assert_int_equal(m.u.dht.nodes[0].port, 1);
    assert_memory_equal(m.u.dht.nodes[1].id, id, WIRE_DHT_ID_LEN);
    assert_int_equal(m.u.dht.nodes[1].ip, 0x0a000002);
    assert_int_equal(m.u.dht.nodes[1].port, 65534);
    assert_int_equal(m.u.dht.nodes[2].port, 0); /* beyond n: zero */
    assert_true(m.u.dht.value.user_id == 0);

    mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 5);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint64(&b.pk, UINT64_MAX);
    msgpack_pack_bin_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    msgpack_pack_uint32(&b.pk, UINT32_MAX);
    msgpack_pack_uint16(&b.pk, 4435);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_DHT_VALUE);
    assert_int_equal(m.u.dht.txid, 5);
    assert_true(m.u.dht.value.user_id == UINT64_MAX);
    assert_memory_equal(m.u.dht.value.node.id, id, WIRE_DHT_ID_LEN);
    assert_int_equal(m.u.dht.value.node.ip, UINT32_MAX);
    assert_int_equal(m.u.dht.value.node.port, 4435);
    assert_int_equal(m.u.dht.n, 0);
    assert_true(m.u.dht.user_id == 0);
}

/* ids in the examples of docs/protocol.md: 20 bytes of one value each. */
static void dht_doc_ids(struct wire_msg *m, uint8_t sender, uint8_t target)
{
    memset(m->u.dht.sender, sender, WIRE_DHT_ID_LEN);
    if (target != 0)
        memset(m->u.dht.target, target, WIRE_DHT_ID_LEN);
}

/* want = head, then ids and tails spliced in: "c4 14" + 20 x byte. */
static size_t dht_doc_bytes(uint8_t *out, const uint8_t *head, size_t nhead, const uint8_t *ids,
                            size_t nids, const uint8_t *tail, size_t ntail)
{
    size_t n = 0;

    memcpy(out, head, nhead);
    n += nhead;
    for (size_t i = 0; i < nids; i++) {
        out[n++] = 0xc4;
        out[n++] = WIRE_DHT_ID_LEN;
        memset(out + n, ids[i], WIRE_DHT_ID_LEN);
        n += WIRE_DHT_ID_LEN;
    }
    if (ntail > 0)
        memcpy(out + n, tail, ntail);
    return n + ntail;
}

static void test_dht_messages_match_documented_bytes(void **state)
{
    /* The examples in docs/protocol.md, "The DHT": sender aa..aa, target or
     * key bb..bb, a contact's or record's node cc..cc. */
    static const uint8_t ping_head[] = {0x94, 0x13, 0x01, 0x07};
    static const uint8_t find_head[] = {0x95, 0x15, 0x01, 0x07};
    static const uint8_t nodes_head[] = {0x95, 0x16, 0x01, 0x07};
    static const uint8_t nodes_mid[] = {0x91, 0x93};
    static const uint8_t addr[] = {0xce, 0x7f, 0x00, 0x01, 0x02, 0xcd, 0x11, 0x53};
    static const uint8_t store_head[] = {0x96, 0x17, 0x01, 0x08};
    static const uint8_t user[] = {0xcd, 0x30, 0x39};
    static const uint8_t value_head[] = {0x95, 0x1a, 0x01, 0x09};
    static const uint8_t value_mid[] = {0x94, 0xcd, 0x30, 0x39};
    static const uint8_t aa[] = {0xaa}, aabb[] = {0xaa, 0xbb}, cc[] = {0xcc};
    uint8_t want[128], part[64];
    size_t n, k;
    struct wire_msg m;

    /* PING [19, 1, 7, aa..aa] */
    m = make_dht(WIRE_DHT_PING, 7, 0);
    dht_doc_ids(&m, 0xaa, 0);
    n = dht_doc_bytes(want, ping_head, sizeof(ping_head), aa, 1, NULL, 0);
    assert_int_equal(n, 26);
    assert_payload_bytes(&m, want, n);

    /* FIND_NODE [21, 1, 7, aa..aa, bb..bb] */
    m = make_dht(WIRE_DHT_FIND_NODE, 7, 0);
    dht_doc_ids(&m, 0xaa, 0xbb);
    n = dht_doc_bytes(want, find_head, sizeof(find_head), aabb, 2, NULL, 0);
    assert_payload_bytes(&m, want, n);

    /* NODES [22, 1, 7, aa..aa, [[cc..cc, 0x7f000102, 4435]]] */
    m = make_dht_nodes(7, 1);
    dht_doc_ids(&m, 0xaa, 0);
    memset(m.u.dht.nodes[0].id, 0xcc, WIRE_DHT_ID_LEN);
    m.u.dht.nodes[0].ip = 0x7f000102;
    m.u.dht.nodes[0].port = 4435;
    k = dht_doc_bytes(part, nodes_mid, sizeof(nodes_mid), cc, 1, addr, sizeof(addr));
    n = dht_doc_bytes(want, nodes_head, sizeof(nodes_head), aa, 1, part, k);
    assert_int_equal(n, 58);
    assert_payload_bytes(&m, want, n);

    /* STORE [23, 1, 8, aa..aa, bb..bb, 12345] */
    m = make_dht(WIRE_DHT_STORE, 8, 0);
    dht_doc_ids(&m, 0xaa, 0xbb);
    m.u.dht.user_id = 12345;
    n = dht_doc_bytes(want, store_head, sizeof(store_head), aabb, 2, user, sizeof(user));
    assert_payload_bytes(&m, want, n);

    /* VALUE [26, 1, 9, aa..aa, [12345, cc..cc, 0x7f000102, 4435]] */
    m = make_dht(WIRE_DHT_VALUE, 9, 0);
    dht_doc_ids(&m, 0xaa, 0);
    m.u.dht.value.user_id = 12345;
    memset(m.u.dht.value.node.id, 0xcc, WIRE_DHT_ID_LEN);
    m.u.dht.value.node.ip = 0x7f000102;
    m.u.dht.value.node.port = 4435;
    k = dht_doc_bytes(part, value_mid, sizeof(value_mid), cc, 1, addr, sizeof(addr));
    n = dht_doc_bytes(want, value_head, sizeof(value_head), aa, 1, part, k);
    assert_int_equal(n, 60);
    assert_payload_bytes(&m, want, n);
}

/* Each DHT message at its widest encodes into exactly that many bytes and
 * not into one byte less; NODES with 32 contacts is the largest DHT payload
 * and still goes in a frame. */
static void test_dht_messages_fit_their_exact_maximum(void **state)
{
    struct wire_msg m;
    struct wire_msg full = make_dht_nodes(UINT32_MAX, WIRE_DHT_MAX_NODES);

    for (int i = 0; i < WIRE_DHT_MAX_NODES; i++) {
        full.u.dht.nodes[i].ip = UINT32_MAX;
        full.u.dht.nodes[i].port = UINT16_MAX;
    }
    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        uint8_t out[ENC_BUF];
        struct wire_msg back;
        struct evbuffer *buf = evbuffer_new();
        int size, framed;

        m = make_dht(dht_types[t], UINT32_MAX, 0x21);
        m.u.dht.user_id = dht_types[t] == WIRE_DHT_STORE ? UINT64_MAX : 0;
        if (dht_types[t] == WIRE_DHT_VALUE) {
            m.u.dht.value.user_id = UINT64_MAX;
            m.u.dht.value.node.ip = UINT32_MAX;
            m.u.dht.value.node.port = UINT16_MAX;
        }
        if (dht_types[t] == WIRE_DHT_NODES)
            m = full;
        /* 3 head + 5 txid + 22 sender, then the type's own fields. */
        switch (dht_types[t]) {
        case WIRE_DHT_FIND_NODE:
        case WIRE_DHT_FIND_VALUE:
            size = 30 + 22;
            break;
        case WIRE_DHT_STORE:
            size = 30 + 22 + 9;
            break;
        case WIRE_DHT_NODES:
            size = DHT_NODES_MAX_ENC;
            break;
        case WIRE_DHT_VALUE:
            size = 30 + 1 + 9 + 22 + 5 + 3;
            break;
        default:
            size = 30;
            break;
        }
        framed = wire_encode(&m, buf);
        evbuffer_free(buf); /* before any assertion can jump out */
        assert_int_equal(framed, 4 + size);
        assert_int_equal(wire_encode_payload(&m, out, (size_t)size), size);
        assert_int_equal(wire_decode_payload(out, (size_t)size, &back), WIRE_OK);
        assert_msg_equal(&m, &back);
        assert_int_equal(wire_encode_payload(&m, out, (size_t)size - 1), -1);
    }
    assert_int_equal(DHT_NODES_MAX_ENC, 1025);
}

static void test_encode_refuses_dht_nodes_above_max_and_port_0(void **state)
{
    static const uint32_t counts[] = {WIRE_DHT_MAX_NODES + 1, 1000, UINT32_MAX};
    struct evbuffer *buf = evbuffer_new();
    uint8_t out[ENC_BUF];
    struct wire_msg m;

    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        m = make_dht_nodes(1, WIRE_DHT_MAX_NODES);
        m.u.dht.n = counts[i];
        assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
        assert_int_equal(wire_encode(&m, buf), -1);
    }
    /* The receiver would refuse a contact or record at port 0: so does the
     * encoder, rather than send it. */
    m = make_dht_nodes(1, 3);
    m.u.dht.nodes[2].port = 0;
    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
    assert_int_equal(wire_encode(&m, buf), -1);
    m = make_dht(WIRE_DHT_VALUE, 1, 0);
    m.u.dht.value.node.port = 0;
    assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
    assert_int_equal(wire_encode(&m, buf), -1);
    assert_int_equal(evbuffer_get_length(buf), 0); /* no half frame either */
    evbuffer_free(buf);
    /* A port in a field the type does not carry is not looked at. */
    m = make_dht(WIRE_DHT_PING, 1, 0);
    m.u.dht.n = 0;
    assert_true(wire_encode_payload(&m, out, sizeof(out)) > 0);
}

/* Every prefix of a valid DHT encoding fails cleanly: MALFORMED, nothing
 * left in *m. Each prefix is copied to a buffer of exactly its size, so that
 * a read past it is caught by ASan. */
static void test_dht_truncated_payloads_are_malformed(void **state)
{
    struct wire_msg msgs[MAX_DHT_SAMPLES];
    int nmsgs = dht_samples(msgs);

    for (int i = 0; i < nmsgs; i++) {
        uint8_t enc[ENC_BUF];
        int n = wire_encode_payload(&msgs[i], enc, sizeof(enc));

        assert_true(n > 0);
        for (int len = 0; len < n; len++) {
            uint8_t *cut = malloc(len > 0 ? (size_t)len : 1);
            struct wire_msg m;
            enum wire_status st;

            assert_non_null(cut);
            memcpy(cut, enc, (size_t)len);
            memset(&m, 0xab, sizeof(m));
            st = wire_decode_payload(cut, (size_t)len, &m);
            free(cut);
            assert_int_equal(st, WIRE_ERR_MALFORMED);
            assert_int_equal(m.type, 0);
            assert_int_equal(m.u.dht.txid, 0);
        }
    }
}

static void test_dht_trailing_bytes_are_malformed(void **state)
{
    static const uint8_t extra[] = {0x00, 0x7f, 0xc0, 0xc1, 0x90, 0xcc};
    struct wire_msg msgs[MAX_DHT_SAMPLES];
    int nmsgs = dht_samples(msgs);

    for (int i = 0; i < nmsgs; i++) {
        uint8_t enc[2 * ENC_BUF];
        int n = wire_encode_payload(&msgs[i], enc, ENC_BUF);

        assert_true(n > 0);
        assert_int_equal(decode_bytes(enc, (size_t)n), WIRE_OK);
        for (size_t e = 0; e < sizeof(extra); e++) {
            enc[n] = extra[e];
            assert_int_equal(decode_bytes(enc, (size_t)n + 1), WIRE_ERR_MALFORMED);
        }
        /* Two messages in one datagram. */
        memcpy(enc + n, enc, (size_t)n);
        assert_int_equal(decode_bytes(enc, 2 * (size_t)n), WIRE_ERR_MALFORMED);
    }
}

static void test_dht_wrong_version_is_version_error(void **state)
{
    static const uint64_t versions[] = {0, 2, 127, 65536, UINT64_MAX};

    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        for (size_t v = 0; v < sizeof(versions) / sizeof(versions[0]); v++) {
            struct wire_msg m = dht_types[t] == WIRE_DHT_NODES ? make_dht_nodes(1, 2)
                                                               : make_dht(dht_types[t], 1, 0x33);
            uint8_t enc[ENC_BUF];
            int n = wire_encode_payload(&m, enc, sizeof(enc));
            struct mp b;

            assert_true(n > 3);
            /* The encoding with its version byte replaced by another uint. */
            msgpack_sbuffer_init(&b.sb);
            msgpack_packer_init(&b.pk, &b.sb, msgpack_sbuffer_write);
            msgpack_sbuffer_write(&b.sb, (const char *)enc, 2);
            msgpack_pack_uint64(&b.pk, versions[v]);
            msgpack_sbuffer_write(&b.sb, (const char *)enc + 3, (size_t)n - 3);
            assert_int_equal(mp_status(&b), WIRE_ERR_VERSION);
        }
        /* A version-2 message need not have the version-1 shape. */
        {
            struct mp b;

            mp_begin(&b, 3, dht_types[t], 2);
            msgpack_pack_nil(&b.pk);
            assert_int_equal(mp_status(&b), WIRE_ERR_VERSION);
        }
    }
}

static void test_dht_wrong_field_count_is_malformed(void **state)
{
    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        for (uint32_t count = 0; count <= 13; count++) {
            struct wire_msg m;
            struct mp b;

            if (count == dht_nfields(dht_types[t]))
                continue;
            /* Plausible fields: a txid, then ids. */
            mp_begin(&b, 2 + count, dht_types[t], WIRE_VERSION);
            for (uint32_t i = 0; i < count; i++) {
                if (i == 0)
                    msgpack_pack_uint8(&b.pk, 1);
                else
                    mp_bin(&b, WIRE_DHT_ID_LEN);
            }
            assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
            assert_int_equal(m.type, 0);
        }
    }
}

/* ---- every leaf of every DHT message, spoiled one at a time ---- */

enum dht_leaf { LEAF_U32, LEAF_U64, LEAF_ID, LEAF_PORT };

/* The bad values of an id: wrong length, wrong type. */
enum {
    BAD_ID_19,
    BAD_ID_21,
    BAD_ID_0,
    BAD_ID_32,
    BAD_ID_STR,
    BAD_ID_UINT,
    BAD_ID_NIL,
    BAD_ID_ARRAY,
    BAD_ID_EXT,
    BAD_ID_COUNT
};

/* Builds a valid DHT message with every field at its maximum, except the
 * leaf numbered bad_leaf (in packing order), which gets bad value bad_kind
 * of its leaf type. */
struct dht_builder {
    msgpack_packer *pk;
    int leaf;     /* leaves packed so far */
    int bad_leaf; /* -1: none */
    int bad_kind;
    int spoiled; /* 1: the bad leaf was reached and had a bad value to take */
};

static int dht_bad_kinds(enum dht_leaf k)
{
    return k == LEAF_ID ? BAD_ID_COUNT : k == LEAF_PORT ? BAD_COUNT + 1 : BAD_COUNT;
}

static void pack_bad_id(msgpack_packer *pk, int kind)
{
    static const uint8_t data[32] = {1, 2, 3};
    static const size_t lens[] = {19, 21, 0, 32};

    switch (kind) {
    case BAD_ID_19:
    case BAD_ID_21:
    case BAD_ID_0:
    case BAD_ID_32:
        msgpack_pack_bin_with_body(pk, data, lens[kind]);
        break;
    case BAD_ID_STR:
        msgpack_pack_str_with_body(pk, data, WIRE_DHT_ID_LEN);
        break;
    case BAD_ID_UINT:
        msgpack_pack_uint64(pk, UINT64_MAX);
        break;
    case BAD_ID_NIL:
        msgpack_pack_nil(pk);
        break;
    case BAD_ID_ARRAY: /* the id as 20 small uints */
        msgpack_pack_array(pk, WIRE_DHT_ID_LEN);
        for (int i = 0; i < WIRE_DHT_ID_LEN; i++)
            msgpack_pack_uint8(pk, data[i]);
        break;
    default:
        msgpack_pack_ext_with_body(pk, data, WIRE_DHT_ID_LEN, 1);
        break;
    }
}

static void dht_leaf(struct dht_builder *d, enum dht_leaf k)
{
    static const uint8_t id[WIRE_DHT_ID_LEN] = {0xff, 0xfe, 0xfd};
    int bad = d->leaf++ == d->bad_leaf;

    if (bad) {
        d->spoiled = 1;
        if (k == LEAF_ID)
            pack_bad_id(d->pk, d->bad_kind);
        else if (k == LEAF_PORT && d->bad_kind == BAD_COUNT)
            msgpack_pack_uint8(d->pk, 0); /* port 0 */
        else if (k == LEAF_U64 && d->bad_kind == BAD_ABOVE_MAX)
            msgpack_pack_int8(d->pk, -2); /* nothing above UINT64_MAX to send */
        else
            pack_bad(d->pk, (enum bad_field)d->bad_kind,
                     k == LEAF_U32    ? UINT32_MAX
                     : k == LEAF_PORT ? UINT16_MAX
                                      : UINT64_MAX);
        return;
    }
    switch (k) {
    case LEAF_U32:
        msgpack_pack_uint32(d->pk, UINT32_MAX);
        break;
    case LEAF_U64:
        msgpack_pack_uint64(d->pk, UINT64_MAX);
        break;
    case LEAF_ID:
        msgpack_pack_bin_with_body(d->pk, id, WIRE_DHT_ID_LEN);
        break;
    default:
        msgpack_pack_uint16(d->pk, UINT16_MAX);
        break;
    }
}

/* The leaf type of leaf number i of type t (with ncontacts in a NODES), or
 * -1 past the last one. Mirrors build_dht. */
static int dht_leaf_type(enum wire_type t, uint32_t ncontacts, int i)
{
    static const enum dht_leaf contact[] = {LEAF_ID, LEAF_U32, LEAF_PORT};
    static const enum dht_leaf value[] = {LEAF_U64, LEAF_ID, LEAF_U32, LEAF_PORT};

    if (i == 0)
        return LEAF_U32;
    if (i == 1)
        return LEAF_ID;
    i -= 2;
    switch (t) {
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_FIND_VALUE:
        return i == 0 ? LEAF_ID : -1;
    case WIRE_DHT_STORE:
        return i == 0 ? LEAF_ID : i == 1 ? LEAF_U64 : -1;
    case WIRE_DHT_NODES:
        return i < 3 * (int)ncontacts ? (int)contact[i % 3] : -1;
    case WIRE_DHT_VALUE:
        return i < 4 ? (int)value[i] : -1;
    default:
        return -1;
    }
}

static void build_dht(struct dht_builder *d, enum wire_type t, uint32_t ncontacts)
{
    dht_leaf(d, LEAF_U32); /* txid */
    dht_leaf(d, LEAF_ID);  /* sender */
    switch (t) {
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_FIND_VALUE:
        dht_leaf(d, LEAF_ID);
        break;
    case WIRE_DHT_STORE:
        dht_leaf(d, LEAF_ID);
        dht_leaf(d, LEAF_U64);
        break;
    case WIRE_DHT_NODES:
        msgpack_pack_array(d->pk, ncontacts);
        for (uint32_t i = 0; i < ncontacts; i++) {
            msgpack_pack_array(d->pk, 3);
            dht_leaf(d, LEAF_ID);
            dht_leaf(d, LEAF_U32);
            dht_leaf(d, LEAF_PORT);
        }
        break;
    case WIRE_DHT_VALUE:
        msgpack_pack_array(d->pk, 4);
        dht_leaf(d, LEAF_U64);
        dht_leaf(d, LEAF_ID);
        dht_leaf(d, LEAF_U32);
        dht_leaf(d, LEAF_PORT);
        break;
    default:
        break;
    }
}

static enum wire_status build_and_decode(enum wire_type t, uint32_t ncontacts, int bad_leaf,
                                         int bad_kind, struct wire_msg *m)
{
    struct mp b;
    struct dht_builder d = {.bad_leaf = bad_leaf, .bad_kind = bad_kind};

    mp_begin(&b, 2 + dht_nfields(t), t, WIRE_VERSION);
    d.pk = &b.pk;
    build_dht(&d, t, ncontacts);
    assert_int_equal(d.spoiled, bad_leaf >= 0);
    return mp_decode(&b, m);
}

static void test_dht_messages_with_every_field_at_its_maximum_decode(void **state)
{
    static const uint32_t counts[] = {0, 1, WIRE_DHT_MAX_NODES};

    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
            struct wire_msg m;

            assert_int_equal(build_and_decode(dht_types[t], counts[c], -1, 0, &m), WIRE_OK);
            assert_int_equal(m.type, dht_types[t]);
            assert_int_equal(m.u.dht.txid, UINT32_MAX);
            assert_int_equal(m.u.dht.sender[0], 0xff);
            if (dht_types[t] == WIRE_DHT_STORE)
                assert_true(m.u.dht.user_id == UINT64_MAX);
            if (dht_types[t] == WIRE_DHT_NODES) {
                assert_int_equal(m.u.dht.n, counts[c]);
                if (counts[c] > 0) {
                    assert_int_equal(m.u.dht.nodes[counts[c] - 1].ip, UINT32_MAX);
                    assert_int_equal(m.u.dht.nodes[counts[c] - 1].port, UINT16_MAX);
                }
            }
            if (dht_types[t] == WIRE_DHT_VALUE) {
                assert_true(m.u.dht.value.user_id == UINT64_MAX);
                assert_int_equal(m.u.dht.value.node.ip, UINT32_MAX);
                assert_int_equal(m.u.dht.value.node.port, UINT16_MAX);
            }
        }
    }
}

static void test_dht_any_bad_field_is_malformed(void **state)
{
    /* Every leaf (txid, ids, user ids, addresses, ports; in NODES, of the
     * first, a middle and the last of 3 contacts) with every bad value of
     * its kind: ids of 19, 21, 0 or 32 bytes or as str, uint, nil, array,
     * ext; numbers negative, too large, str, bin, nil, bool, float, array,
     * map, ext; port 0. */
    int checked = 0;

    for (size_t t = 0; t < N_DHT_TYPES; t++) {
        for (int leaf = 0;; leaf++) {
            int k = dht_leaf_type(dht_types[t], 3, leaf);

            if (k < 0)
                break;
            for (int kind = 0; kind < dht_bad_kinds((enum dht_leaf)k); kind++) {
                struct wire_msg m;

                memset(&m, 0xab, sizeof(m));
                assert_int_equal(build_and_decode(dht_types[t], 3, leaf, kind, &m),
                                 WIRE_ERR_MALFORMED);
                assert_int_equal(m.type, 0);
                checked++;
            }
        }
    }
    /* 8 types: 8 txids and 8 senders, 3 targets, a user id, 9 contact leaves, 4 record leaves. */
    assert_int_equal(checked, 8 * BAD_COUNT + 8 * BAD_ID_COUNT + 3 * BAD_ID_COUNT + BAD_COUNT +
                                  3 * (BAD_ID_COUNT + BAD_COUNT + BAD_COUNT + 1) + BAD_COUNT +
                                  BAD_ID_COUNT + BAD_COUNT + BAD_COUNT + 1);
}

static void test_dht_id_of_19_or_21_bytes_is_malformed(void **state)
{
    static const size_t lens[] = {19, 21};

    for (size_t i = 0; i < 2; i++) {
        struct mp b;

        /* sender */
        mp_begin(&b, 4, WIRE_DHT_PING, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 1);
        mp_bin(&b, lens[i]);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
        /* target */
        mp_begin(&b, 5, WIRE_DHT_FIND_NODE, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 1);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        mp_bin(&b, lens[i]);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
        /* a contact's id */
        mp_begin(&b, 5, WIRE_DHT_NODES, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 1);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        msgpack_pack_array(&b.pk, 1);
        msgpack_pack_array(&b.pk, 3);
        mp_bin(&b, lens[i]);
        msgpack_pack_uint32(&b.pk, 0x7f000001);
        msgpack_pack_uint16(&b.pk, 4435);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
}

static void test_dht_id_as_str_is_malformed(void **state)
{
    static const char id[WIRE_DHT_ID_LEN + 1] = "0123456789abcdefghij";
    struct mp b;

    mp_begin(&b, 4, WIRE_DHT_PONG, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_str_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 5, WIRE_DHT_FIND_VALUE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_str_with_body(&b.pk, id, WIRE_DHT_ID_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_dht_id_in_bin16_or_bin32_decodes(void **state)
{
    /* Not what the encoder writes, but a bin of 20 bytes all the same, as
     * for every other bin field. */
    uint8_t p[4 + 3 + WIRE_DHT_ID_LEN + 2] = {0x94, 0x13, 0x01, 0x07, 0xc5, 0x00, 0x14};
    struct wire_msg m;

    memset(p + 7, 0x5c, WIRE_DHT_ID_LEN);
    assert_int_equal(wire_decode_payload(p, 7 + WIRE_DHT_ID_LEN, &m), WIRE_OK);
    assert_int_equal(m.u.dht.sender[19], 0x5c);
    p[4] = 0xc6;
    p[5] = 0;
    p[6] = 0;
    p[7] = 0;
    p[8] = 0x14;
    memset(p + 9, 0x5d, WIRE_DHT_ID_LEN);
    assert_int_equal(wire_decode_payload(p, 9 + WIRE_DHT_ID_LEN, &m), WIRE_OK);
    assert_int_equal(m.u.dht.sender[0], 0x5d);
}

static void mp_dht_contact(struct mp *b, uint32_t nfields, uint64_t port)
{
    msgpack_pack_array(&b->pk, nfields);
    if (nfields > 0)
        mp_bin(b, WIRE_DHT_ID_LEN);
    if (nfields > 1)
        msgpack_pack_uint32(&b->pk, 0x7f000001);
    if (nfields > 2)
        msgpack_pack_uint64(&b->pk, port);
    for (uint32_t i = 3; i < nfields; i++)
        msgpack_pack_uint16(&b->pk, 4435);
}

static void mp_dht_nodes_head(struct mp *b, uint32_t n)
{
    mp_begin(b, 5, WIRE_DHT_NODES, WIRE_VERSION);
    msgpack_pack_uint8(&b->pk, 1);
    mp_bin(b, WIRE_DHT_ID_LEN);
    msgpack_pack_array(&b->pk, n);
}

static void test_dht_nodes_with_32_contacts_decodes_and_33_is_malformed(void **state)
{
    struct wire_msg m;
    struct mp b;

    mp_dht_nodes_head(&b, WIRE_DHT_MAX_NODES);
    for (int i = 0; i < WIRE_DHT_MAX_NODES; i++)
        mp_dht_contact(&b, 3, 4435);
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.u.dht.n, WIRE_DHT_MAX_NODES);
    assert_int_equal(m.u.dht.nodes[WIRE_DHT_MAX_NODES - 1].port, 4435);

    mp_dht_nodes_head(&b, WIRE_DHT_MAX_NODES + 1);
    for (int i = 0; i < WIRE_DHT_MAX_NODES + 1; i++)
        mp_dht_contact(&b, 3, 4435);
    assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
    assert_int_equal(m.type, 0);
}

static void test_dht_contact_with_2_or_4_fields_is_malformed(void **state)
{
    static const uint32_t counts[] = {0, 1, 2, 4, 5};

    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        struct mp b;

        /* As the only contact, and after a good one. */
        mp_dht_nodes_head(&b, 1);
        mp_dht_contact(&b, counts[i], 4435);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
        mp_dht_nodes_head(&b, 2);
        mp_dht_contact(&b, 3, 4435);
        mp_dht_contact(&b, counts[i], 4435);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
}

static void test_dht_port_0_or_above_65535_is_malformed(void **state)
{
    static const uint64_t ports[] = {0, 65536, 70000, UINT32_MAX, UINT64_MAX};

    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        struct mp b;

        mp_dht_nodes_head(&b, 2);
        mp_dht_contact(&b, 3, 1);
        mp_dht_contact(&b, 3, ports[i]);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
        mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 1);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        msgpack_pack_array(&b.pk, 4);
        msgpack_pack_uint16(&b.pk, 12345);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        msgpack_pack_uint32(&b.pk, 0x7f000001);
        msgpack_pack_uint64(&b.pk, ports[i]);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
}

static void test_dht_negative_or_too_large_numbers_are_malformed(void **state)
{
    struct mp b;

    /* txid: -1, 2^32 */
    mp_begin(&b, 4, WIRE_DHT_PING, WIRE_VERSION);
    msgpack_pack_int8(&b.pk, -1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 4, WIRE_DHT_PING, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* STORE's user id: negative */
    mp_begin(&b, 6, WIRE_DHT_STORE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_int64(&b.pk, INT64_MIN);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* a contact's ipv4: 2^32 */
    mp_dht_nodes_head(&b, 1);
    msgpack_pack_array(&b.pk, 3);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_uint64(&b.pk, (uint64_t)UINT32_MAX + 1);
    msgpack_pack_uint16(&b.pk, 4435);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* A non-negative value in a signed encoding is a uint like any other. */
    mp_begin(&b, 4, WIRE_DHT_PING, WIRE_VERSION);
    msgpack_pack_int64(&b.pk, 7);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    assert_int_equal(mp_status(&b), WIRE_OK);
}

static void test_dht_value_record_with_wrong_shape_is_malformed(void **state)
{
    struct mp b;

    /* 3 or 5 elements */
    for (uint32_t len = 3; len <= 5; len += 2) {
        mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
        msgpack_pack_uint8(&b.pk, 1);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        msgpack_pack_array(&b.pk, len);
        msgpack_pack_uint16(&b.pk, 12345);
        mp_bin(&b, WIRE_DHT_ID_LEN);
        msgpack_pack_uint32(&b.pk, 0x7f000001);
        if (len == 5) {
            msgpack_pack_uint16(&b.pk, 4435);
            msgpack_pack_uint8(&b.pk, 0);
        }
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
    /* a list of one record, as if VALUE were NODES */
    mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_array(&b.pk, 1);
    msgpack_pack_array(&b.pk, 4);
    msgpack_pack_uint16(&b.pk, 12345);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_uint32(&b.pk, 0x7f000001);
    msgpack_pack_uint16(&b.pk, 4435);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* a contact [id, ip, port] instead of a record */
    mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    mp_dht_contact(&b, 3, 4435);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* a map */
    mp_begin(&b, 5, WIRE_DHT_VALUE, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_map(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_dht_nodes_list_of_wrong_type_is_malformed(void **state)
{
    struct mp b;

    /* a map, a single contact (not in a list), nil */
    mp_begin(&b, 5, WIRE_DHT_NODES, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_map(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 5, WIRE_DHT_NODES, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    mp_dht_contact(&b, 3, 4435);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 5, WIRE_DHT_NODES, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    mp_bin(&b, WIRE_DHT_ID_LEN);
    msgpack_pack_nil(&b.pk);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_hostile_array32_in_dht_nodes_is_malformed(void **state)
{
    /* [22, 1, 7, sender, array32(2^32-1)]: refused by the pre-scan before
     * msgpack-c could allocate for it. */
    uint8_t p[4 + 2 + WIRE_DHT_ID_LEN + 5] = {0x95, 0x16, 0x01, 0x07, 0xc4, WIRE_DHT_ID_LEN};
    uint8_t *tail = p + 6 + WIRE_DHT_ID_LEN;

    tail[0] = 0xdd;
    memset(tail + 1, 0xff, 4);
    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
    /* array16(65535) of fixarray-3 headers and nothing else */
    tail[0] = 0xdc;
    assert_int_equal(decode_bytes(p, sizeof(p) - 2), WIRE_ERR_MALFORMED);
}

/* ---- set-top boxes: IMG_BLOCK, IMG_FETCH, BOX_REGISTER ---- */

/* Fields after [type, version], as wire.h documents them. */
static const struct {
    enum wire_type type;
    uint32_t nfields;
} settop_shapes[] = {
    {WIRE_IMG_BLOCK, 3},
    {WIRE_IMG_FETCH, 2},
    {WIRE_BOX_REGISTER, 2},
};
#define N_SETTOP_SHAPES (sizeof(settop_shapes) / sizeof(settop_shapes[0]))

/* Blocks of 1 byte to a full 1400, around the bin8/bin16 boundary, and the
 * numbers at 0 and at their widest. */
static int settop_samples(struct wire_msg *out)
{
    static const uint32_t lens[] = {
        1, 2, 4, 255, 256, 1024, WIRE_IMG_MAX_BLOCK - 1, WIRE_IMG_MAX_BLOCK};
    int n = 0;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
        out[n++] = make_img(0xe3b0c442u, (uint32_t)i, lens[i], (uint8_t)(0x40 + i));
    out[n++] = make_img(0, 0, 1, 0x50);
    out[n++] = make_img(UINT32_MAX, UINT32_MAX, 1, 0x51);
    out[n++] = make_img(UINT32_MAX, UINT32_MAX, WIRE_IMG_MAX_BLOCK, 0x52);
    out[n++] = make_fetch(0, 0);
    out[n++] = make_fetch(70000, 300);
    out[n++] = make_fetch(UINT64_MAX, UINT32_MAX);
    out[n++] = make_box_reg(0, 0x53);
    out[n++] = make_box_reg(UINT64_MAX, 0x54);
    return n;
}

#define MAX_SETTOP_SAMPLES 24

/* A bin of len bytes (up to one past a full block) of a fixed pattern. */
static void mp_img_bin(struct mp *b, size_t len)
{
    static uint8_t data[WIRE_IMG_MAX_BLOCK + 1];

    assert_true(len <= sizeof(data));
    fill_pattern(data, len, 0x3c);
    msgpack_pack_bin_with_body(&b->pk, data, len);
}

/* [27, 1, image_id, index, then the data field still to pack]. */
static void mp_img_head(struct mp *b, uint64_t image_id, uint64_t index)
{
    mp_begin(b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint64(&b->pk, image_id);
    msgpack_pack_uint64(&b->pk, index);
}

static void test_settop_messages_round_trip(void **state)
{
    struct wire_msg msgs[MAX_SETTOP_SAMPLES];
    int n = settop_samples(msgs);

    /* As a UDP datagram (a broadcast slot) and as a TCP frame (a unicast
     * download, a registration). */
    for (int i = 0; i < n; i++)
        assert_payload_round_trip(&msgs[i]);
}

static void test_img_block_of_1_and_1400_bytes_round_trips(void **state)
{
    static const uint32_t lens[] = {1, WIRE_IMG_MAX_BLOCK};

    for (size_t i = 0; i < 2; i++) {
        struct wire_msg m = make_img(UINT32_MAX, UINT32_MAX, lens[i], 0x61), out;
        uint8_t buf[ENC_BUF];
        int n = wire_encode_payload(&m, buf, sizeof(buf));

        /* 3 head + 5 + 5, then a bin8 (2) or bin16 (3) header and the data. */
        assert_int_equal(n, 3 + 5 + 5 + (lens[i] < 256 ? 2 : 3) + (int)lens[i]);
        memset(&out, 0xab, sizeof(out));
        assert_int_equal(wire_decode_payload(buf, (size_t)n, &out), WIRE_OK);
        assert_int_equal(out.type, WIRE_IMG_BLOCK);
        assert_int_equal(out.u.img.image_id, UINT32_MAX);
        assert_int_equal(out.u.img.index, UINT32_MAX);
        assert_int_equal(out.u.img.len, lens[i]);
        assert_memory_equal(out.u.img.data, m.u.img.data, lens[i]);
        assert_frame_round_trip(&m);
    }
}

static void test_img_fetch_round_trips_at_its_extremes(void **state)
{
    static const uint64_t ids[] = {
        0, 1, 127, 128, 65535, 65536, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};
    static const uint32_t blocks[] = {0, 1, 255, 56402, UINT32_MAX};

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        for (size_t j = 0; j < sizeof(blocks) / sizeof(blocks[0]); j++) {
            struct wire_msg m = make_fetch(ids[i], blocks[j]);

            assert_payload_round_trip(&m);
        }
}

static void test_box_register_round_trips_at_its_extremes(void **state)
{
    static const uint64_t ids[] = {0, 1, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};

    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct wire_msg m = make_box_reg(ids[i], (uint8_t)i);

        assert_frame_round_trip(&m);
        memset(m.u.box_reg.sha256, 0x00, WIRE_SHA256_LEN);
        assert_frame_round_trip(&m);
        memset(m.u.box_reg.sha256, 0xff, WIRE_SHA256_LEN);
        assert_frame_round_trip(&m);
    }
}

static void test_settop_messages_decode_every_field(void **state)
{
    /* Hand-built: each field lands where it belongs, whatever *m held, and
     * the block's bytes past len are zero. */
    static const uint8_t data[3] = {0xd1, 0xd2, 0xd3};
    uint8_t hash[WIRE_SHA256_LEN];
    struct wire_msg m;
    struct mp b;

    fill_pattern(hash, sizeof(hash), 0x90);

    mp_img_head(&b, 0x01020304, 0x05060708);
    msgpack_pack_bin_with_body(&b.pk, data, sizeof(data));
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_IMG_BLOCK);
    assert_int_equal(m.u.img.image_id, 0x01020304);
    assert_int_equal(m.u.img.index, 0x05060708);
    assert_int_equal(m.u.img.len, 3);
    assert_memory_equal(m.u.img.data, data, sizeof(data));
    assert_int_equal(m.u.img.data[3] | m.u.img.data[WIRE_IMG_MAX_BLOCK - 1], 0);

    mp_begin(&b, 4, WIRE_IMG_FETCH, WIRE_VERSION);
    msgpack_pack_uint64(&b.pk, 0x0102030405060708ull);
    msgpack_pack_uint8(&b.pk, 9);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_IMG_FETCH);
    assert_true(m.u.fetch.box_id == 0x0102030405060708ull);
    assert_int_equal(m.u.fetch.from_block, 9);

    mp_begin(&b, 4, WIRE_BOX_REGISTER, WIRE_VERSION);
    msgpack_pack_uint16(&b.pk, 4242);
    msgpack_pack_bin_with_body(&b.pk, hash, WIRE_SHA256_LEN);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_OK);
    assert_int_equal(m.type, WIRE_BOX_REGISTER);
    assert_true(m.u.box_reg.box_id == 4242);
    assert_memory_equal(m.u.box_reg.sha256, hash, WIRE_SHA256_LEN);
}

/* SHA-256 of the empty string: the made-up image hash of the examples in
 * docs/protocol.md, which Python's hashlib.sha256(b"") reproduces. */
static const uint8_t sha256_of_empty[WIRE_SHA256_LEN] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};

static void test_settop_messages_match_documented_bytes(void **state)
{
    /* The examples in docs/protocol.md, "Set-top boxes". */
    static const uint8_t block[] = {0x95, 0x1b, 0x01, 0xce, 0xe3, 0xb0, 0xc4, 0x42,
                                    0x05, 0xc4, 0x04, 0xde, 0xad, 0xbe, 0xef};
    static const uint8_t smallest[] = {0x95, 0x1b, 0x01, 0x00, 0x00, 0xc4, 0x01, 0x00};
    static const uint8_t fetch_frame[] = {0x00, 0x00, 0x00, 0x0b, 0x94, 0x1c, 0x01, 0xce,
                                          0x00, 0x01, 0x11, 0x70, 0xcd, 0x01, 0x2c};
    static const uint8_t reg_head[] = {0x94, 0x1d, 0x01, 0xce, 0x00, 0x01, 0x11, 0x70, 0xc4, 0x20};
    static const uint8_t wrong_image[] = {0x93, 0x07, 0x01, 0x06};
    static const uint8_t not_a_box[] = {0x93, 0x07, 0x01, 0x07};
    uint8_t reg[sizeof(reg_head) + WIRE_SHA256_LEN];
    uint8_t got[sizeof(fetch_frame)];
    struct evbuffer *buf;
    struct wire_msg m;

    /* IMG_BLOCK [27, 1, 0xe3b0c442, 5, de ad be ef]: the image id is the
     * hash's first 4 bytes, big-endian. */
    m = make_img(0xe3b0c442u, 5, 4, 0);
    memcpy(m.u.img.data, "\xde\xad\xbe\xef", 4);
    assert_int_equal(m.u.img.image_id, (uint32_t)sha256_of_empty[0] << 24 |
                                           (uint32_t)sha256_of_empty[1] << 16 |
                                           (uint32_t)sha256_of_empty[2] << 8 | sha256_of_empty[3]);
    assert_payload_bytes(&m, block, sizeof(block));
    /* The smallest: [27, 1, 0, 0, bin(00)]. */
    m = make_img(0, 0, 1, 0);
    m.u.img.data[0] = 0;
    assert_payload_bytes(&m, smallest, sizeof(smallest));

    /* IMG_FETCH [28, 1, 70000, 300], as the TCP frame a box sends. */
    m = make_fetch(70000, 300);
    assert_payload_bytes(&m, fetch_frame + 4, sizeof(fetch_frame) - 4);
    buf = evbuffer_new();
    assert_non_null(buf);
    assert_int_equal(wire_encode(&m, buf), sizeof(fetch_frame));
    assert_int_equal(evbuffer_remove(buf, got, sizeof(got)), sizeof(fetch_frame));
    evbuffer_free(buf);
    assert_memory_equal(got, fetch_frame, sizeof(fetch_frame));

    /* BOX_REGISTER [29, 1, 70000, sha256("")]: 42 bytes. */
    memcpy(reg, reg_head, sizeof(reg_head));
    memcpy(reg + sizeof(reg_head), sha256_of_empty, WIRE_SHA256_LEN);
    m = make_box_reg(70000, 0);
    memcpy(m.u.box_reg.sha256, sha256_of_empty, WIRE_SHA256_LEN);
    assert_int_equal(sizeof(reg), 42);
    assert_payload_bytes(&m, reg, sizeof(reg));

    /* The head-end's refusals: REGISTER_FAIL [7, 1, WRONG_IMAGE] and
     * [7, 1, NOT_A_BOX]. */
    assert_int_equal(WIRE_REASON_WRONG_IMAGE, 6);
    assert_int_equal(WIRE_REASON_NOT_A_BOX, 7);
    m = make_u32_msg(WIRE_REGISTER_FAIL, WIRE_REASON_WRONG_IMAGE);
    assert_payload_bytes(&m, wrong_image, sizeof(wrong_image));
    m = make_u32_msg(WIRE_REGISTER_FAIL, WIRE_REASON_NOT_A_BOX);
    assert_payload_bytes(&m, not_a_box, sizeof(not_a_box));
}

/* The largest IMG_BLOCK, a full block with both numbers at their widest, is
 * the largest payload of the protocol: 1416 bytes, one unfragmented UDP
 * datagram, and a TCP frame of 1420. */
static void test_largest_img_block_fits_a_udp_payload_and_a_frame(void **state)
{
    static const uint8_t head[] = {0x95, 0x1b, 0x01, 0xce, 0xff, 0xff, 0xff, 0xff,
                                   0xce, 0xff, 0xff, 0xff, 0xff, 0xc5, 0x05, 0x78};
    struct wire_msg m = make_img(UINT32_MAX, UINT32_MAX, WIRE_IMG_MAX_BLOCK, 0x71), out;
    uint8_t buf[ENC_BUF];
    struct evbuffer *eb = evbuffer_new();
    int n, framed;

    assert_non_null(eb);
    framed = wire_encode(&m, eb);
    evbuffer_free(eb); /* before any assertion can jump out */
    assert_int_equal(IMG_BLOCK_MAX_ENC, 1416);
    assert_true(IMG_BLOCK_MAX_ENC <= UDP_PAYLOAD_MAX);
    assert_true(IMG_BLOCK_MAX_ENC > DHT_NODES_MAX_ENC);
    assert_int_equal(framed, 4 + IMG_BLOCK_MAX_ENC);

    n = wire_encode_payload(&m, buf, IMG_BLOCK_MAX_ENC);
    assert_int_equal(n, IMG_BLOCK_MAX_ENC);
    assert_memory_equal(buf, head, sizeof(head));
    assert_memory_equal(buf + sizeof(head), m.u.img.data, WIRE_IMG_MAX_BLOCK);
    assert_int_equal(wire_decode_payload(buf, (size_t)n, &out), WIRE_OK);
    assert_msg_equal(&m, &out);
    assert_int_equal(wire_encode_payload(&m, buf, IMG_BLOCK_MAX_ENC - 1), -1);
    assert_frame_round_trip(&m);
}

static void test_img_block_frame_split_across_arrivals_decodes_once_complete(void **state)
{
    struct wire_msg in = make_img(7, 3, WIRE_IMG_MAX_BLOCK, 0x72), out;
    struct evbuffer *whole = evbuffer_new(), *buf = evbuffer_new();
    uint8_t frame[4 + IMG_BLOCK_MAX_ENC];
    int n;
    size_t flen = 99;

    assert_non_null(whole);
    assert_non_null(buf);
    n = wire_encode(&in, whole);
    assert_true(n > 4 && (size_t)n <= sizeof(frame));
    assert_int_equal(evbuffer_remove(whole, frame, (size_t)n), n);
    evbuffer_free(whole);
    /* A TCP segment's worth, then the rest. */
    assert_int_equal(evbuffer_add(buf, frame, 1000), 0);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_NEED_MORE);
    assert_int_equal(flen, 0);
    assert_int_equal(evbuffer_get_length(buf), 1000);
    assert_int_equal(evbuffer_add(buf, frame + 1000, (size_t)n - 1000), 0);
    assert_int_equal(wire_decode_frame(buf, &out, &flen), WIRE_OK);
    assert_int_equal(flen, n);
    assert_int_equal(evbuffer_get_length(buf), 0);
    evbuffer_free(buf);
    assert_msg_equal(&in, &out);
}

static void test_unicast_download_stream_decodes_block_after_block(void **state)
{
    /* What a box reads on its download connection: blocks 0..3 of an image
     * of 3 full blocks and a short last one, each frame taken whole and in
     * order; a small frame after the last block is read as itself. */
    static const uint32_t lens[] = {1024, 1024, 1024, 77};
    struct evbuffer *buf = evbuffer_new();
    struct wire_msg m;

    assert_non_null(buf);
    for (uint32_t i = 0; i < 4; i++) {
        struct wire_msg b = make_img(0xe3b0c442u, i, lens[i], (uint8_t)i);

        assert_true(wire_encode(&b, buf) > 0);
    }
    m = make_u32_msg(WIRE_BUSY, 500);
    assert_true(wire_encode(&m, buf) > 0);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_OK);
        assert_int_equal(m.type, WIRE_IMG_BLOCK);
        assert_int_equal(m.u.img.index, i);
        assert_int_equal(m.u.img.len, lens[i]);
        assert_int_equal(m.u.img.data[lens[i] - 1], (uint8_t)(i + 7 * (lens[i] - 1)));
    }
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_OK);
    assert_int_equal(m.type, WIRE_BUSY);
    assert_int_equal(m.u.retry_after_ms, 500);
    assert_int_equal(evbuffer_get_length(buf), 0);
    assert_int_equal(wire_decode_frame(buf, &m, NULL), WIRE_NEED_MORE);
    evbuffer_free(buf);
}

static void test_encode_refuses_img_block_of_0_or_above_1400_bytes(void **state)
{
    static const uint32_t lens[] = {0, WIRE_IMG_MAX_BLOCK + 1, 2048, WIRE_MAX_FRAME, UINT32_MAX};
    /* A buffer large enough for any of them: the length is what is refused. */
    static uint8_t out[WIRE_MAX_FRAME];
    struct evbuffer *buf = evbuffer_new();

    assert_non_null(buf);
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct wire_msg m = make_img(1, 2, lens[i], 0x73);

        assert_int_equal(wire_encode_payload(&m, out, sizeof(out)), -1);
        assert_int_equal(wire_encode(&m, buf), -1);
        assert_int_equal(evbuffer_get_length(buf), 0); /* no half frame either */
    }
    evbuffer_free(buf);
}

static void test_img_block_with_empty_data_is_malformed(void **state)
{
    /* bin8, bin16 and bin32 of 0 bytes */
    static const uint8_t bin8[] = {0x95, 0x1b, 0x01, 0x01, 0x02, 0xc4, 0x00};
    static const uint8_t bin16[] = {0x95, 0x1b, 0x01, 0x01, 0x02, 0xc5, 0x00, 0x00};
    static const uint8_t bin32[] = {0x95, 0x1b, 0x01, 0x01, 0x02, 0xc6, 0x00, 0x00, 0x00, 0x00};
    struct wire_msg m;

    memset(&m, 0xab, sizeof(m));
    assert_int_equal(wire_decode_payload(bin8, sizeof(bin8), &m), WIRE_ERR_MALFORMED);
    assert_int_equal(m.type, 0);
    assert_int_equal(m.u.img.len, 0);
    assert_int_equal(decode_bytes(bin16, sizeof(bin16)), WIRE_ERR_MALFORMED);
    assert_int_equal(decode_bytes(bin32, sizeof(bin32)), WIRE_ERR_MALFORMED);
}

static void test_img_block_of_1401_bytes_is_malformed(void **state)
{
    struct wire_msg m;
    struct mp b;

    mp_img_head(&b, 1, 2);
    mp_img_bin(&b, WIRE_IMG_MAX_BLOCK + 1);
    memset(&m, 0xab, sizeof(m));
    assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
    assert_int_equal(m.type, 0);
    assert_int_equal(m.u.img.len, 0);
    /* 1400 is the most, in any bin encoding: here a bin32 header. */
    {
        uint8_t p[5 + 5 + WIRE_IMG_MAX_BLOCK + 1] = {0x95, 0x1b, 0x01, 0x01,
                                                     0x02, 0xc6, 0x00, 0x00};

        p[8] = (uint8_t)(WIRE_IMG_MAX_BLOCK >> 8);
        p[9] = (uint8_t)WIRE_IMG_MAX_BLOCK;
        assert_int_equal(wire_decode_payload(p, 10 + WIRE_IMG_MAX_BLOCK, &m), WIRE_OK);
        assert_int_equal(m.u.img.len, WIRE_IMG_MAX_BLOCK);
        p[9] = (uint8_t)(WIRE_IMG_MAX_BLOCK + 1);
        assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
    }
}

static void test_img_block_data_as_str_is_malformed(void **state)
{
    static const char text[] = "boot";
    static char big[WIRE_IMG_MAX_BLOCK];
    struct mp b;

    mp_img_head(&b, 1, 2);
    msgpack_pack_str_with_body(&b.pk, text, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    memset(big, 'x', sizeof(big));
    mp_img_head(&b, 1, 2);
    msgpack_pack_str_with_body(&b.pk, big, sizeof(big));
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* nor as an array of byte values, nor as an ext */
    mp_img_head(&b, 1, 2);
    msgpack_pack_array(&b.pk, 4);
    for (int i = 0; i < 4; i++)
        msgpack_pack_uint8(&b.pk, (uint8_t)text[i]);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_img_head(&b, 1, 2);
    msgpack_pack_ext_with_body(&b.pk, text, 4, 1);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

static void test_img_block_negative_or_too_large_numbers_are_malformed(void **state)
{
    struct mp b;

    /* index -1 (a negative fixint), INT32_MIN, INT64_MIN */
    mp_begin(&b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_int8(&b.pk, -1);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_int32(&b.pk, INT32_MIN);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_int64(&b.pk, INT64_MIN);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* image_id -1 */
    mp_begin(&b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_int8(&b.pk, -1);
    msgpack_pack_uint8(&b.pk, 1);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* index or image_id 2^32 */
    mp_img_head(&b, 1, (uint64_t)UINT32_MAX + 1);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_img_head(&b, (uint64_t)UINT32_MAX + 1, 1);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    /* A non-negative value in a signed encoding is a uint like any other. */
    mp_begin(&b, 5, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_int64(&b.pk, 1);
    msgpack_pack_int32(&b.pk, 2);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_OK);
}

static void test_settop_messages_with_missing_or_extra_fields_are_malformed(void **state)
{
    for (size_t s = 0; s < N_SETTOP_SHAPES; s++) {
        for (uint32_t count = 0; count <= 13; count++) {
            struct wire_msg m;
            struct mp b;

            if (count == settop_shapes[s].nfields)
                continue;
            /* Plausible fields: a uint, then a block's bytes or a hash (for
             * IMG_BLOCK, the right ones with one missing or one extra). */
            mp_begin(&b, 2 + count, settop_shapes[s].type, WIRE_VERSION);
            for (uint32_t i = 0; i < count; i++) {
                if (i == 0 || (settop_shapes[s].type == WIRE_IMG_BLOCK && i == 1))
                    msgpack_pack_uint8(&b.pk, 1);
                else
                    mp_img_bin(&b, WIRE_SHA256_LEN);
            }
            memset(&m, 0xab, sizeof(m));
            assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
            assert_int_equal(m.type, 0);
        }
    }
}

static void test_img_block_without_data_or_with_an_extra_field_is_malformed(void **state)
{
    /* [27, 1, 1, 2] and [27, 1, 1, 2, data, 0] and [27, 1, 1, 2, data, data]:
     * the shapes a truncating or padding sender would make. */
    struct mp b;

    mp_begin(&b, 4, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint8(&b.pk, 2);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 6, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint8(&b.pk, 2);
    mp_img_bin(&b, 4);
    msgpack_pack_uint8(&b.pk, 0);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    mp_begin(&b, 6, WIRE_IMG_BLOCK, WIRE_VERSION);
    msgpack_pack_uint8(&b.pk, 1);
    msgpack_pack_uint8(&b.pk, 2);
    mp_img_bin(&b, 4);
    mp_img_bin(&b, 4);
    assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
}

/* The bad values of a bin field (a block's bytes or a hash). */
enum {
    BAD_BIN_EMPTY,
    BAD_BIN_SHORT, /* 31 for a hash; a block has no short */
    BAD_BIN_LONG,  /* 33 for a hash, 1401 for a block */
    BAD_BIN_STR,
    BAD_BIN_UINT,
    BAD_BIN_NEGATIVE,
    BAD_BIN_NIL,
    BAD_BIN_TRUE,
    BAD_BIN_FLOAT,
    BAD_BIN_ARRAY,
    BAD_BIN_MAP,
    BAD_BIN_EXT,
    BAD_BIN_COUNT
};

/* Pack bad value kind for a bin field whose good lengths are min..max;
 * returns 0 when the kind has no bad value there (a block's "short"). */
static int pack_bad_bin(struct mp *b, int kind, size_t min, size_t max)
{
    static const uint8_t data[4] = {1, 2, 3, 4};

    switch (kind) {
    case BAD_BIN_EMPTY:
        mp_img_bin(b, 0);
        break;
    case BAD_BIN_SHORT:
        if (min <= 1)
            return 0;
        mp_img_bin(b, min - 1);
        break;
    case BAD_BIN_LONG:
        mp_img_bin(b, max + 1);
        break;
    case BAD_BIN_STR:
        msgpack_pack_str_with_body(&b->pk, data, sizeof(data));
        break;
    case BAD_BIN_UINT:
        msgpack_pack_uint32(&b->pk, 0x01020304);
        break;
    case BAD_BIN_NEGATIVE:
        msgpack_pack_int8(&b->pk, -1);
        break;
    case BAD_BIN_NIL:
        msgpack_pack_nil(&b->pk);
        break;
    case BAD_BIN_TRUE:
        msgpack_pack_true(&b->pk);
        break;
    case BAD_BIN_FLOAT:
        msgpack_pack_double(&b->pk, 1.0);
        break;
    case BAD_BIN_ARRAY:
        msgpack_pack_array(&b->pk, 1);
        mp_img_bin(b, min);
        break;
    case BAD_BIN_MAP:
        msgpack_pack_map(&b->pk, 0);
        break;
    default:
        msgpack_pack_ext_with_body(&b->pk, data, sizeof(data), 1);
        break;
    }
    return 1;
}

static void test_settop_any_bad_field_is_malformed(void **state)
{
    /* Every field of IMG_BLOCK and BOX_REGISTER with every bad value of its
     * kind, the others good (IMG_FETCH's two uints are in uint_shapes). */
    int checked = 0;

    for (int t = 0; t < 2; t++) {
        enum wire_type type = t == 0 ? WIRE_IMG_BLOCK : WIRE_BOX_REGISTER;
        uint32_t nfields = t == 0 ? 3 : 2;
        size_t min = t == 0 ? 1 : WIRE_SHA256_LEN;
        size_t max = t == 0 ? WIRE_IMG_MAX_BLOCK : WIRE_SHA256_LEN;
        uint64_t umax = t == 0 ? UINT32_MAX : UINT64_MAX;

        for (uint32_t bad = 0; bad < nfields; bad++) {
            int is_bin = bad == nfields - 1;

            for (int kind = 0; kind < (is_bin ? BAD_BIN_COUNT : BAD_COUNT); kind++) {
                struct wire_msg m;
                struct mp b;
                int spoiled = 1;

                if (!is_bin && kind == BAD_ABOVE_MAX && umax == UINT64_MAX)
                    continue; /* no uint above it to send */
                mp_begin(&b, 2 + nfields, type, WIRE_VERSION);
                for (uint32_t i = 0; i < nfields; i++) {
                    if (i != bad && i == nfields - 1)
                        mp_img_bin(&b, max);
                    else if (i != bad)
                        msgpack_pack_uint64(&b.pk, umax);
                    else if (is_bin)
                        spoiled = pack_bad_bin(&b, kind, min, max);
                    else
                        pack_bad(&b.pk, (enum bad_field)kind, umax);
                }
                if (!spoiled) {
                    msgpack_sbuffer_destroy(&b.sb);
                    continue;
                }
                memset(&m, 0xab, sizeof(m));
                if (mp_decode(&b, &m) != WIRE_ERR_MALFORMED)
                    fail_msg("%s field %u bad kind %d accepted", wire_type_name(type), bad, kind);
                assert_int_equal(m.type, 0);
                checked++;
            }
        }
    }
    /* IMG_BLOCK: 2 uints, a block with no "short"; BOX_REGISTER: a uint64
     * (nothing above its max) and a hash. */
    assert_int_equal(checked, 2 * BAD_COUNT + BAD_BIN_COUNT - 1 + BAD_COUNT - 1 + BAD_BIN_COUNT);
}

static void test_box_register_hash_of_31_or_33_bytes_is_malformed(void **state)
{
    static const size_t lens[] = {31, 33, 0, 1, 20, 64};

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 4, WIRE_BOX_REGISTER, WIRE_VERSION);
        msgpack_pack_uint16(&b.pk, 7);
        mp_img_bin(&b, lens[i]);
        memset(&m, 0xab, sizeof(m));
        assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
        assert_int_equal(m.type, 0);
    }
    /* 32 bytes, but as a str */
    {
        struct mp b;

        mp_begin(&b, 4, WIRE_BOX_REGISTER, WIRE_VERSION);
        msgpack_pack_uint16(&b.pk, 7);
        msgpack_pack_str_with_body(&b.pk, sha256_of_empty, WIRE_SHA256_LEN);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
}

static void test_img_fetch_from_block_above_uint32_is_malformed(void **state)
{
    static const uint64_t blocks[] = {(uint64_t)UINT32_MAX + 1, 1ull << 40, UINT64_MAX};

    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        struct wire_msg m;
        struct mp b;

        mp_begin(&b, 4, WIRE_IMG_FETCH, WIRE_VERSION);
        msgpack_pack_uint16(&b.pk, 7);
        msgpack_pack_uint64(&b.pk, blocks[i]);
        memset(&m, 0xab, sizeof(m));
        assert_int_equal(mp_decode(&b, &m), WIRE_ERR_MALFORMED);
        assert_int_equal(m.type, 0);
    }
    /* and box_id negative or a str */
    {
        struct mp b;

        mp_begin(&b, 4, WIRE_IMG_FETCH, WIRE_VERSION);
        msgpack_pack_int64(&b.pk, -7);
        msgpack_pack_uint8(&b.pk, 0);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
        mp_begin(&b, 4, WIRE_IMG_FETCH, WIRE_VERSION);
        msgpack_pack_str_with_body(&b.pk, "7", 1);
        msgpack_pack_uint8(&b.pk, 0);
        assert_int_equal(mp_status(&b), WIRE_ERR_MALFORMED);
    }
}

/* Every prefix of each set-top encoding fails cleanly: MALFORMED, nothing
 * left in *m. Each prefix is copied to a buffer of exactly its size, so that
 * a read past it is caught by ASan. */
static void test_settop_truncated_payloads_are_malformed(void **state)
{
    struct wire_msg msgs[MAX_SETTOP_SAMPLES];
    int nmsgs = settop_samples(msgs);

    for (int i = 0; i < nmsgs; i++) {
        uint8_t enc[ENC_BUF];
        int n = wire_encode_payload(&msgs[i], enc, sizeof(enc));

        assert_true(n > 0);
        for (int len = 0; len < n; len++) {
            uint8_t *cut = malloc(len > 0 ? (size_t)len : 1);
            struct wire_msg m;
            enum wire_status st;

            assert_non_null(cut);
            memcpy(cut, enc, (size_t)len);
            memset(&m, 0xab, sizeof(m));
            st = wire_decode_payload(cut, (size_t)len, &m);
            free(cut);
            assert_int_equal(st, WIRE_ERR_MALFORMED);
            assert_int_equal(m.type, 0);
            assert_int_equal(m.u.img.len, 0);
        }
    }
}

static void test_settop_trailing_bytes_are_malformed(void **state)
{
    static const uint8_t extra[] = {0x00, 0x7f, 0xc0, 0xc1, 0x90, 0xc4};
    struct wire_msg msgs[MAX_SETTOP_SAMPLES];
    int nmsgs = settop_samples(msgs);

    for (int i = 0; i < nmsgs; i++) {
        uint8_t enc[2 * ENC_BUF];
        int n = wire_encode_payload(&msgs[i], enc, ENC_BUF);

        assert_true(n > 0);
        assert_int_equal(decode_bytes(enc, (size_t)n), WIRE_OK);
        for (size_t e = 0; e < sizeof(extra); e++) {
            enc[n] = extra[e];
            assert_int_equal(decode_bytes(enc, (size_t)n + 1), WIRE_ERR_MALFORMED);
        }
        /* Two blocks in one datagram. */
        memcpy(enc + n, enc, (size_t)n);
        assert_int_equal(decode_bytes(enc, 2 * (size_t)n), WIRE_ERR_MALFORMED);
    }
}

static void test_hostile_bin_length_in_img_block_is_malformed(void **state)
{
    /* [27, 1, 1, 2, bin32(2^32-1)] and a bin16 that claims 1400 bytes and
     * brings 10: refused by the pre-scan before any copy. */
    uint8_t p[5 + 5 + 10] = {0x95, 0x1b, 0x01, 0x01, 0x02, 0xc6, 0xff, 0xff, 0xff, 0xff};

    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
    p[5] = 0xc5;
    p[6] = (uint8_t)(WIRE_IMG_MAX_BLOCK >> 8);
    p[7] = (uint8_t)WIRE_IMG_MAX_BLOCK;
    assert_int_equal(decode_bytes(p, sizeof(p)), WIRE_ERR_MALFORMED);
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
    uint8_t buf[ENC_BUF];
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
            buf[1] = (uint8_t)(1 + rng_below(LAST_TYPE + 1)); /* one unknown too */
            buf[2] = WIRE_VERSION;
        }
        check_decoded(wire_decode_payload(buf, len, &m), &m);
    }
}

static void test_fuzz_mutated_encodings_never_crash(void **state)
{
    static const uint8_t interesting[] = {0x00, 0x7f, 0x80, 0x90, 0xc1, 0xc4, 0xc6, 0xcc,
                                          0xcf, 0xd0, 0xdb, 0xdc, 0xdd, 0xdf, 0xe0, 0xff};
    struct wire_msg msgs[MAX_SAMPLES], m;
    int nmsgs = sample_msgs(msgs);
    uint8_t orig[ENC_BUF], buf[ENC_BUF + 100];

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

/* A DHT id: mostly bin 20, sometimes a byte short or long, or a str. */
static void pack_random_dht_id(msgpack_packer *pk)
{
    uint8_t data[24];
    uint32_t r = rng_below(16);

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rng_next();
    if (r == 0)
        msgpack_pack_str_with_body(pk, data, WIRE_DHT_ID_LEN);
    else
        msgpack_pack_bin_with_body(pk, data, r == 1 ? 19 : r == 2 ? 21 : WIRE_DHT_ID_LEN);
}

/* A DHT port: mostly 1..65535, sometimes 0 or 65536. */
static void pack_random_dht_port(msgpack_packer *pk)
{
    uint32_t r = rng_below(32);

    msgpack_pack_uint64(pk, r == 0 ? 0 : r == 1 ? 65536 : 1 + rng_below(65535));
}

/* A NODES contact list around the limits, sometimes with a bad entry. */
static void pack_random_dht_contacts(msgpack_packer *pk)
{
    uint32_t n = rng_below(4) ? rng_below(4) : WIRE_DHT_MAX_NODES - 1 + rng_below(3);

    msgpack_pack_array(pk, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = rng_below(64) ? 3 : 2 + 2 * rng_below(2);

        msgpack_pack_array(pk, len);
        pack_random_dht_id(pk);
        msgpack_pack_uint32(pk, (uint32_t)rng_next());
        if (len > 2)
            pack_random_dht_port(pk);
        if (len > 3)
            msgpack_pack_uint8(pk, 1);
    }
}

/* A VALUE record [user_id, node, ipv4, port], sometimes of another length. */
static void pack_random_dht_value(msgpack_packer *pk)
{
    uint32_t len = rng_below(16) ? 4 : 3 + 2 * rng_below(2);

    msgpack_pack_array(pk, len);
    msgpack_pack_uint64(pk, rng_below(2) ? rng_next() : rng_below(200));
    pack_random_dht_id(pk);
    msgpack_pack_uint32(pk, (uint32_t)rng_next());
    if (len > 3)
        pack_random_dht_port(pk);
    if (len > 4)
        msgpack_pack_nil(pk);
}

/* One field of a random shape: mostly plausible, so the field checks get past
 * the first field often enough to reach the later ones. */
static void pack_random_field(msgpack_packer *pk)
{
    static const uint64_t uints[] = {
        0, 1, 127, 128, 65535, 65536, UINT32_MAX, (uint64_t)UINT32_MAX + 1, UINT64_MAX};
    uint8_t data[80];

    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rng_next();
    switch (rng_below(16)) {
    case 0:
    case 1:
    case 2:
    case 3:
        msgpack_pack_uint64(pk, uints[rng_below(sizeof(uints) / sizeof(uints[0]))]);
        break;
    case 13:
        pack_random_dht_id(pk);
        break;
    case 14:
        pack_random_dht_contacts(pk);
        break;
    case 15:
        pack_random_dht_value(pk);
        break;
    case 4:
        msgpack_pack_int64(pk, -(int64_t)rng_below(1000) - 1);
        break;
    case 5: { /* bin of a length near 32 or 64 */
        uint32_t len = (rng_below(2) ? 32 : 64) + rng_below(3) - 1;

        msgpack_pack_bin_with_body(pk, data, len);
        break;
    }
    case 6: /* ticket, sometimes with a bad part */
        msgpack_pack_array(pk, 4);
        msgpack_pack_uint64(pk, rng_next());
        msgpack_pack_uint64(pk, rng_next());
        msgpack_pack_uint32(pk, (uint32_t)rng_next());
        msgpack_pack_bin_with_body(pk, data, rng_below(8) ? 64 : 63);
        break;
    case 7:
    case 8: { /* SN list around the limit, sometimes with a bad entry */
        uint32_t n = rng_below(4) ? rng_below(5) : WIRE_MAX_SNS - 1 + rng_below(3);

        msgpack_pack_array(pk, n);
        for (uint32_t i = 0; i < n; i++) {
            msgpack_pack_array(pk, 3);
            msgpack_pack_uint32(pk, (uint32_t)rng_next());
            msgpack_pack_uint32(pk, (uint32_t)rng_next());
            msgpack_pack_uint64(pk, rng_below(64) ? (uint16_t)rng_next() : 65536);
        }
        break;
    }
    case 9:
        msgpack_pack_str_with_body(pk, data, rng_below(40));
        break;
    case 10:
        msgpack_pack_nil(pk);
        break;
    case 11: /* one server, as ASSIGN carries it, sometimes with a bad port */
        msgpack_pack_array(pk, 3);
        msgpack_pack_uint32(pk, (uint32_t)rng_next());
        msgpack_pack_uint32(pk, (uint32_t)rng_next());
        msgpack_pack_uint64(pk, rng_below(16) ? (uint16_t)rng_next() : 65536);
        break;
    default:
        msgpack_pack_map(pk, 0);
        break;
    }
}

/* Field f of a DHT-like message: a txid, a sender id, then an id, a contact
 * list, a value record or anything, so that each DHT type's later fields are
 * reached often. */
static void pack_dht_like_field(msgpack_packer *pk, uint32_t f)
{
    if (f == 0) {
        msgpack_pack_uint64(pk, rng_below(16) ? (uint32_t)rng_next() : (uint64_t)UINT32_MAX + 1);
        return;
    }
    if (f == 1) {
        pack_random_dht_id(pk);
        return;
    }
    switch (rng_below(5)) {
    case 0:
        pack_random_dht_id(pk);
        break;
    case 1:
        pack_random_dht_contacts(pk);
        break;
    case 2:
        pack_random_dht_value(pk);
        break;
    case 3:
        msgpack_pack_uint64(pk, rng_next());
        break;
    default:
        pack_random_field(pk);
        break;
    }
}

/* An image block's bytes or an image hash: mostly a bin of a length at or
 * near a limit (0, 1, 31 to 33, 1399 to 1401), sometimes a str. */
static void pack_random_img_bin(msgpack_packer *pk)
{
    static const uint32_t lens[] = {0, 1, 31, 32, 32, 33, 1399, 1400, 1401};
    static uint8_t data[WIRE_IMG_MAX_BLOCK + 1];
    uint32_t r = rng_below(12);

    data[0] = (uint8_t)rng_next();
    if (r == 0)
        msgpack_pack_str_with_body(pk, data, WIRE_SHA256_LEN);
    else if (r < 10)
        msgpack_pack_bin_with_body(pk, data, lens[r - 1]);
    else
        msgpack_pack_bin_with_body(pk, data, 1 + rng_below(WIRE_IMG_MAX_BLOCK));
}

/* Field f of a set-top-like message: a uint first (an image id or a box
 * id), then uints (an index, a block) or bins (data, a hash), so that the
 * later fields of IMG_BLOCK, IMG_FETCH and BOX_REGISTER are reached often. */
static void pack_img_like_field(msgpack_packer *pk, uint32_t f)
{
    uint32_t r = rng_below(16);

    if (f > 0 && rng_below(2)) {
        pack_random_img_bin(pk);
        return;
    }
    if (r == 0)
        msgpack_pack_uint64(pk, (uint64_t)UINT32_MAX + 1);
    else if (r == 1)
        msgpack_pack_int8(pk, -1);
    else if (r == 2)
        msgpack_pack_uint64(pk, f == 0 ? UINT64_MAX : UINT32_MAX);
    else
        msgpack_pack_uint32(pk, (uint32_t)rng_next());
}

/* How many fields follow [type, version] in a message of this type, read
 * off the encoder's own output (the fixarray header), so the shape fuzzer
 * needs no table of its own. 0 for a type the encoder refuses. */
static uint32_t encoded_field_count(uint64_t type)
{
    struct wire_msg msgs[MAX_SAMPLES];
    uint8_t buf[ENC_BUF];
    int n = sample_msgs(msgs);

    for (int i = 0; i < n; i++)
        if (msgs[i].type == type && wire_encode_payload(&msgs[i], buf, sizeof(buf)) > 0)
            return (uint32_t)(buf[0] & 0x0f) - 2;
    return 0;
}

static void test_fuzz_random_shapes_never_crash(void **state)
{
    int ok_by_type[LAST_TYPE + 2] = {0};
    uint32_t nfields_of[LAST_TYPE + 2] = {0};

    for (int t = WIRE_LOGIN_REQ; t <= LAST_TYPE; t++) {
        nfields_of[t] = encoded_field_count((uint64_t)t);
        assert_true(nfields_of[t] > 0); /* sample_msgs() has every type */
    }
    rng_state = 4;
    for (int i = 0; i < 90000; i++) {
        uint64_t type = 1 + rng_below(LAST_TYPE + 1);
        uint64_t version = rng_below(16) ? WIRE_VERSION : rng_below(3);
        /* Half the time the type's own field count, so that a type with many
         * fields (LOAD has six) gets valid samples; otherwise 0 to 7. */
        uint32_t nfields = rng_below(2) && nfields_of[type] ? nfields_of[type] : rng_below(8);
        /* Mostly-uint messages, so the later fields of LOAD get checked;
         * DHT-like ones, so those of the DHT messages do; set-top-like ones
         * for IMG_BLOCK and BOX_REGISTER; or anything. */
        uint32_t mode = rng_below(4);
        msgpack_sbuffer sb;
        msgpack_packer pk;
        struct wire_msg m;
        enum wire_status st;

        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        msgpack_pack_array(&pk, 2 + nfields);
        msgpack_pack_uint64(&pk, type);
        msgpack_pack_uint64(&pk, version);
        for (uint32_t f = 0; f < nfields; f++) {
            if (mode == 0 && rng_below(8))
                msgpack_pack_uint64(&pk, rng_below(2) ? rng_below(3) : (uint32_t)rng_next());
            else if (mode == 1)
                pack_dht_like_field(&pk, f);
            else if (mode == 3)
                pack_img_like_field(&pk, f);
            else
                pack_random_field(&pk);
        }
        st = wire_decode_payload((const uint8_t *)sb.data, sb.size, &m);
        /* Free the packer's buffer before any assertion: a failing one jumps
         * out of this function, and *m is a copy that needs nothing of it. */
        msgpack_sbuffer_destroy(&sb);
        check_decoded(st, &m);
        if (st == WIRE_OK) {
            assert_true(m.type == type);
            ok_by_type[type]++;
        }
        if (type > LAST_TYPE && version == WIRE_VERSION)
            assert_int_equal(st, WIRE_ERR_UNKNOWN);
    }
    /* The generator reaches a valid message of every type, new ones included. */
    for (int t = WIRE_LOGIN_REQ; t <= LAST_TYPE; t++)
        if (ok_by_type[t] == 0)
            fail_msg("fuzz never produced a valid %s", wire_type_name((enum wire_type)t));
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
    assert_string_equal(wire_type_name(WIRE_WAIT), "WAIT");
    assert_string_equal(wire_type_name(WIRE_GOSSIP), "GOSSIP");
    assert_string_equal(wire_type_name(WIRE_REQUEST), "REQUEST");
    assert_string_equal(wire_type_name(WIRE_RESPONSE), "RESPONSE");
    assert_string_equal(wire_type_name(WIRE_REQ_BUSY), "REQ_BUSY");
    assert_string_equal(wire_type_name(WIRE_LOCATE), "LOCATE");
    assert_string_equal(wire_type_name(WIRE_ASSIGN), "ASSIGN");
    assert_string_equal(wire_type_name(WIRE_LOAD), "LOAD");
    assert_string_equal(wire_type_name(WIRE_DHT_PING), "DHT_PING");
    assert_string_equal(wire_type_name(WIRE_DHT_PONG), "DHT_PONG");
    assert_string_equal(wire_type_name(WIRE_DHT_FIND_NODE), "DHT_FIND_NODE");
    assert_string_equal(wire_type_name(WIRE_DHT_NODES), "DHT_NODES");
    assert_string_equal(wire_type_name(WIRE_DHT_STORE), "DHT_STORE");
    assert_string_equal(wire_type_name(WIRE_DHT_STORED), "DHT_STORED");
    assert_string_equal(wire_type_name(WIRE_DHT_FIND_VALUE), "DHT_FIND_VALUE");
    assert_string_equal(wire_type_name(WIRE_DHT_VALUE), "DHT_VALUE");
    assert_string_equal(wire_type_name(WIRE_IMG_BLOCK), "IMG_BLOCK");
    assert_string_equal(wire_type_name(WIRE_IMG_FETCH), "IMG_FETCH");
    assert_string_equal(wire_type_name(WIRE_BOX_REGISTER), "BOX_REGISTER");
    assert_string_equal(wire_type_name((enum wire_type)30), "UNKNOWN");
    assert_string_equal(wire_type_name((enum wire_type)99), "UNKNOWN");
    assert_string_equal(wire_type_name((enum wire_type)(LAST_TYPE + 1)), "UNKNOWN");
    assert_string_equal(wire_type_name((enum wire_type)0), "UNKNOWN");
    for (int t = WIRE_LOGIN_REQ; t <= LAST_TYPE; t++)
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
        cmocka_unit_test(test_wait_round_trips),
        cmocka_unit_test(test_gossip_round_trips),
        cmocka_unit_test(test_gossip_full_and_empty_round_trip),
        cmocka_unit_test(test_request_round_trips),
        cmocka_unit_test(test_response_round_trips),
        cmocka_unit_test(test_req_busy_round_trips),
        cmocka_unit_test(test_response_and_req_busy_decode_without_stale_fields),
        cmocka_unit_test(test_locate_round_trips),
        cmocka_unit_test(test_assign_round_trips),
        cmocka_unit_test(test_load_round_trips),
        cmocka_unit_test(test_central_messages_decode_every_field),
        cmocka_unit_test(test_payload_round_trips_without_prefix),

        cmocka_unit_test(test_keepalive_frame_matches_documented_bytes),
        cmocka_unit_test(test_new_messages_match_documented_bytes),
        cmocka_unit_test(test_central_messages_match_documented_bytes),
        cmocka_unit_test(test_worst_case_messages_fit_the_encoder),
        cmocka_unit_test(test_central_messages_fit_their_exact_maximum),
        cmocka_unit_test(test_encode_returns_frame_size_including_prefix),
        cmocka_unit_test(test_encode_payload_fails_when_buffer_too_small),
        cmocka_unit_test(test_encode_payload_of_new_types_fails_when_buffer_too_small),
        cmocka_unit_test(test_encode_refuses_too_many_sns),
        cmocka_unit_test(test_encode_refuses_unknown_type),
        cmocka_unit_test(test_encode_refuses_load_with_up_above_1),

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
        cmocka_unit_test(test_ticket_without_address_is_malformed),
        cmocka_unit_test(test_ticket_with_oversized_address_is_malformed),
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

        cmocka_unit_test(test_uint_messages_at_their_maximum_decode),
        cmocka_unit_test(test_uint_messages_with_wrong_field_count_are_malformed),
        cmocka_unit_test(test_uint_messages_with_wrong_field_type_or_range_are_malformed),
        cmocka_unit_test(test_wait_ms_above_uint32_is_malformed),
        cmocka_unit_test(test_wait_with_two_fields_is_malformed),
        cmocka_unit_test(test_request_without_req_id_is_malformed),
        cmocka_unit_test(test_request_user_id_as_str_is_malformed),
        cmocka_unit_test(test_request_req_id_above_uint32_is_malformed),
        cmocka_unit_test(test_response_with_retry_after_is_malformed),
        cmocka_unit_test(test_req_busy_without_retry_after_is_malformed),
        cmocka_unit_test(test_req_busy_retry_after_above_uint32_is_malformed),
        cmocka_unit_test(test_request_datagram_with_trailing_bytes_is_malformed),
        cmocka_unit_test(test_request_datagram_with_length_prefix_is_malformed),
        cmocka_unit_test(test_gossip_of_maximum_length_decodes),
        cmocka_unit_test(test_gossip_with_33_sns_is_malformed),
        cmocka_unit_test(test_gossip_with_bad_sn_entry_is_malformed),
        cmocka_unit_test(test_gossip_with_wrong_field_count_or_type_is_malformed),
        cmocka_unit_test(test_hostile_array32_in_gossip_is_malformed),
        cmocka_unit_test(test_type_after_the_last_is_unknown),
        cmocka_unit_test(test_new_types_with_version_2_are_version_errors),

        cmocka_unit_test(test_locate_and_load_with_wrong_field_count_are_malformed),
        cmocka_unit_test(test_load_with_up_above_1_is_malformed),
        cmocka_unit_test(test_load_up_as_bool_is_malformed),
        cmocka_unit_test(test_load_negative_or_float_fields_are_malformed),
        cmocka_unit_test(test_load_datagram_with_trailing_bytes_or_prefix_is_malformed),
        cmocka_unit_test(test_assign_with_wrong_server_shape_is_malformed),
        cmocka_unit_test(test_assign_with_wrong_field_count_is_malformed),
        cmocka_unit_test(test_locate_user_id_wrong_type_is_malformed),

        cmocka_unit_test(test_dht_messages_round_trip),
        cmocka_unit_test(test_dht_messages_round_trip_at_their_extremes),
        cmocka_unit_test(test_dht_nodes_with_0_1_and_32_contacts_round_trip),
        cmocka_unit_test(test_dht_messages_decode_every_field),
        cmocka_unit_test(test_dht_messages_match_documented_bytes),
        cmocka_unit_test(test_dht_messages_fit_their_exact_maximum),
        cmocka_unit_test(test_encode_refuses_dht_nodes_above_max_and_port_0),
        cmocka_unit_test(test_dht_truncated_payloads_are_malformed),
        cmocka_unit_test(test_dht_trailing_bytes_are_malformed),
        cmocka_unit_test(test_dht_wrong_version_is_version_error),
        cmocka_unit_test(test_dht_wrong_field_count_is_malformed),
        cmocka_unit_test(test_dht_messages_with_every_field_at_its_maximum_decode),
        cmocka_unit_test(test_dht_any_bad_field_is_malformed),
        cmocka_unit_test(test_dht_id_of_19_or_21_bytes_is_malformed),
        cmocka_unit_test(test_dht_id_as_str_is_malformed),
        cmocka_unit_test(test_dht_id_in_bin16_or_bin32_decodes),
        cmocka_unit_test(test_dht_nodes_with_32_contacts_decodes_and_33_is_malformed),
        cmocka_unit_test(test_dht_contact_with_2_or_4_fields_is_malformed),
        cmocka_unit_test(test_dht_port_0_or_above_65535_is_malformed),
        cmocka_unit_test(test_dht_negative_or_too_large_numbers_are_malformed),
        cmocka_unit_test(test_dht_value_record_with_wrong_shape_is_malformed),
        cmocka_unit_test(test_dht_nodes_list_of_wrong_type_is_malformed),
        cmocka_unit_test(test_hostile_array32_in_dht_nodes_is_malformed),

        cmocka_unit_test(test_settop_messages_round_trip),
        cmocka_unit_test(test_img_block_of_1_and_1400_bytes_round_trips),
        cmocka_unit_test(test_img_fetch_round_trips_at_its_extremes),
        cmocka_unit_test(test_box_register_round_trips_at_its_extremes),
        cmocka_unit_test(test_settop_messages_decode_every_field),
        cmocka_unit_test(test_settop_messages_match_documented_bytes),
        cmocka_unit_test(test_largest_img_block_fits_a_udp_payload_and_a_frame),
        cmocka_unit_test(test_img_block_frame_split_across_arrivals_decodes_once_complete),
        cmocka_unit_test(test_unicast_download_stream_decodes_block_after_block),
        cmocka_unit_test(test_encode_refuses_img_block_of_0_or_above_1400_bytes),
        cmocka_unit_test(test_img_block_with_empty_data_is_malformed),
        cmocka_unit_test(test_img_block_of_1401_bytes_is_malformed),
        cmocka_unit_test(test_img_block_data_as_str_is_malformed),
        cmocka_unit_test(test_img_block_negative_or_too_large_numbers_are_malformed),
        cmocka_unit_test(test_settop_messages_with_missing_or_extra_fields_are_malformed),
        cmocka_unit_test(test_img_block_without_data_or_with_an_extra_field_is_malformed),
        cmocka_unit_test(test_settop_any_bad_field_is_malformed),
        cmocka_unit_test(test_box_register_hash_of_31_or_33_bytes_is_malformed),
        cmocka_unit_test(test_img_fetch_from_block_above_uint32_is_malformed),
        cmocka_unit_test(test_settop_truncated_payloads_are_malformed),
        cmocka_unit_test(test_settop_trailing_bytes_are_malformed),
        cmocka_unit_test(test_hostile_bin_length_in_img_block_is_malformed),

        cmocka_unit_test(test_fuzz_random_buffers_never_crash),
        cmocka_unit_test(test_fuzz_mutated_encodings_never_crash),
        cmocka_unit_test(test_fuzz_random_shapes_never_crash),
        cmocka_unit_test(test_fuzz_random_stream_is_consumed_safely),

        cmocka_unit_test(test_frame_bytes_in_a_flat_buffer),
        cmocka_unit_test(test_type_and_status_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
