/* wire.c - msgpack codec and TCP framing for node-to-node messages.
 *
 * Encoding packs into a fixed stack buffer (no malloc). Decoding first walks
 * the raw bytes to prove they form exactly one msgpack object whose container
 * counts fit in the bytes that follow, and only then hands them to msgpack-c.
 * The walk is what keeps a hostile array32 header from making msgpack-c
 * allocate count * sizeof(msgpack_object) bytes (128 GiB for 2^32-1). */
#include "node/wire.h"

#include <string.h>

#include <event2/buffer.h>
#include <msgpack.h>

/* Largest payload we ever produce: a DHT NODES answer with 32 contacts
 * [22, 1, txid, sender, [32 x [bin20, u32, u16]]] is 1 + 1 + 1 + 5 + 22 + 3 +
 * 32 * 31 = 1025 bytes. The others are far smaller: an SN list message
 * (REGISTER_OK, REDIRECT, GOSSIP) [t, 1, [32 x [u32, u32, u16]]] is 1 + 1 + 1 +
 * 3 + 32 * 14 = 454, a ticket message 93, DHT VALUE 70, DHT STORE 61,
 * LOGIN_REQ 46, REQUEST 1 + 1 + 1 + 9 + 5 = 17, REQ_BUSY 13, the one-uint32
 * messages 8, LOAD at most 29 (up is one byte), ASSIGN 3 + 14 = 17, LOCATE
 * 12. A receiver of DHT datagrams needs a buffer of at least 1025 bytes.
 * IMG_BLOCK is the largest of all: 1 + 1 + 1 + 5 + 5 + 3 + 1400 = 1416
 * bytes, which fits one 1472-byte UDP payload. */
#define WIRE_ENC_MAX 1472
#define WIRE_HEAD_ENC 3        /* array header (fixarray) + fixint type + fixint version */
#define WIRE_SN_LIST_HDR 3     /* array16 header: up to 65535 entries */
#define WIRE_SN_ENC_MAX 14     /* fixarray + uint32 + uint32 + uint16 */
#define WIRE_TICKET_ENC_MAX 90 /* fixarray + uint64 + uint64 + uint32 + bin8 header + 64 */
#define WIRE_U64_ENC_MAX 9
#define WIRE_U32_ENC_MAX 5
#define WIRE_U16_ENC_MAX 3
#define WIRE_DHT_ID_ENC (2 + WIRE_DHT_ID_LEN) /* bin8 header + 20 */
/* fixarray + id + uint32 + uint16: 31 */
#define WIRE_DHT_CONTACT_ENC_MAX (1 + WIRE_DHT_ID_ENC + WIRE_U32_ENC_MAX + WIRE_U16_ENC_MAX)
/* the head, txid and sender of every DHT message: 30 */
#define WIRE_DHT_HEAD_ENC (WIRE_HEAD_ENC + WIRE_U32_ENC_MAX + WIRE_DHT_ID_ENC)
#define WIRE_DHT_NODES_HDR 3 /* array16 header: 32 entries do not fit a fixarray */
/* Every type and the version must be positive fixints, or the head is larger
 * than WIRE_HEAD_ENC (messages have at most 2 + 6 elements: a fixarray). */
_Static_assert(WIRE_BOX_REGISTER <= 0x7f && WIRE_VERSION <= 0x7f, "type or version not a fixint");
_Static_assert(WIRE_HEAD_ENC + 6 * WIRE_U32_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for LOAD");
_Static_assert(WIRE_MAX_SNS <= 65535, "SN list no longer fits an array16");
_Static_assert(WIRE_HEAD_ENC + 2 * WIRE_U32_ENC_MAX + 3 + WIRE_IMG_MAX_BLOCK <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for IMG_BLOCK (bin16 header)");
_Static_assert(WIRE_HEAD_ENC + WIRE_SN_LIST_HDR + WIRE_MAX_SNS * WIRE_SN_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for an SN list message");
_Static_assert(WIRE_HEAD_ENC + WIRE_TICKET_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for a ticket message");
_Static_assert(WIRE_HEAD_ENC + WIRE_U64_ENC_MAX + 2 + WIRE_SECRET_LEN <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for LOGIN_REQ");
_Static_assert(WIRE_HEAD_ENC + WIRE_U64_ENC_MAX + WIRE_U32_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for REQUEST");
_Static_assert(WIRE_HEAD_ENC + 2 * WIRE_U32_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for REQ_BUSY");
_Static_assert(WIRE_DHT_ID_LEN <= 255, "a DHT id no longer fits a bin8");
_Static_assert(WIRE_DHT_MAX_NODES <= 65535, "DHT contacts no longer fit an array16");
_Static_assert(WIRE_DHT_HEAD_ENC + WIRE_DHT_NODES_HDR +
                       WIRE_DHT_MAX_NODES * WIRE_DHT_CONTACT_ENC_MAX <=
                   WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for a DHT NODES message");
_Static_assert(WIRE_DHT_HEAD_ENC + WIRE_DHT_ID_ENC + WIRE_U64_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for a DHT STORE message");
_Static_assert(WIRE_DHT_HEAD_ENC + WIRE_U64_ENC_MAX + WIRE_DHT_CONTACT_ENC_MAX <= WIRE_ENC_MAX,
               "WIRE_ENC_MAX too small for a DHT VALUE message");
/* Whatever we encode must also be decodable, on TCP and as a UDP datagram. */
_Static_assert(WIRE_ENC_MAX <= WIRE_MAX_FRAME, "WIRE_ENC_MAX above the frame cap");

/* ---- encoding ---- */

/* A msgpack_packer sink over a caller-owned buffer. Overflow is sticky so the
 * pack calls need no individual checks. */
struct fixbuf {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int overflow;
};

static int fixbuf_write(void *data, const char *src, size_t n)
{
    struct fixbuf *fb = data;

    if (fb->overflow || n > fb->cap - fb->len) {
        fb->overflow = 1;
        return -1;
    }
    memcpy(fb->buf + fb->len, src, n);
    fb->len += n;
    return 0;
}

/* [type, version, then nfields more elements to follow] */
static void pack_head(msgpack_packer *pk, enum wire_type type, uint32_t nfields)
{
    msgpack_pack_array(pk, 2 + nfields);
    msgpack_pack_uint8(pk, (uint8_t)type);
    msgpack_pack_uint8(pk, WIRE_VERSION);
}

static void pack_ticket(msgpack_packer *pk, const struct wire_ticket *t)
{
    msgpack_pack_array(pk, 4);
    msgpack_pack_uint64(pk, t->user_id);
    msgpack_pack_uint64(pk, t->expiry_ms);
    msgpack_pack_uint32(pk, t->addr);
    msgpack_pack_bin(pk, WIRE_SIG_LEN);
    msgpack_pack_bin_body(pk, t->sig, WIRE_SIG_LEN);
}

static void pack_sn(msgpack_packer *pk, const struct wire_sn *sn)
{
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint32(pk, sn->node_id);
    msgpack_pack_uint32(pk, sn->ip);
    msgpack_pack_uint16(pk, sn->port);
}

static void pack_sn_list(msgpack_packer *pk, const struct wire_sn_list *l)
{
    msgpack_pack_array(pk, l->n);
    for (uint32_t i = 0; i < l->n; i++)
        pack_sn(pk, &l->sns[i]);
}

static void pack_dht_id(msgpack_packer *pk, const uint8_t *id)
{
    msgpack_pack_bin(pk, WIRE_DHT_ID_LEN);
    msgpack_pack_bin_body(pk, id, WIRE_DHT_ID_LEN);
}

static void pack_dht_contact(msgpack_packer *pk, const struct wire_dht_contact *c)
{
    msgpack_pack_array(pk, 3);
    pack_dht_id(pk, c->id);
    msgpack_pack_uint32(pk, c->ip);
    msgpack_pack_uint16(pk, c->port);
}

/* Fields after [type, version] of each DHT type: txid, sender, then these. */
static uint32_t dht_extra_fields(enum wire_type t)
{
    switch (t) {
    case WIRE_DHT_STORE:
        return 2;
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        return 1;
    default: /* PING, PONG, STORED */
        return 0;
    }
}

/* A DHT message. Refuses (-1) what the receiver would reject: more than
 * WIRE_DHT_MAX_NODES contacts, or a contact or record with port 0. */
static int pack_dht(msgpack_packer *pk, enum wire_type t, const struct wire_dht *d)
{
    if (t == WIRE_DHT_NODES) {
        if (d->n > WIRE_DHT_MAX_NODES)
            return -1;
        for (uint32_t i = 0; i < d->n; i++)
            if (d->nodes[i].port == 0)
                return -1;
    }
    if (t == WIRE_DHT_VALUE && d->value.node.port == 0)
        return -1;

    pack_head(pk, t, 2 + dht_extra_fields(t));
    msgpack_pack_uint32(pk, d->txid);
    pack_dht_id(pk, d->sender);
    switch (t) {
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_FIND_VALUE:
        pack_dht_id(pk, d->target);
        break;
    case WIRE_DHT_STORE:
        pack_dht_id(pk, d->target);
        msgpack_pack_uint64(pk, d->user_id);
        break;
    case WIRE_DHT_NODES:
        msgpack_pack_array(pk, d->n);
        for (uint32_t i = 0; i < d->n; i++)
            pack_dht_contact(pk, &d->nodes[i]);
        break;
    case WIRE_DHT_VALUE:
        msgpack_pack_array(pk, 4);
        msgpack_pack_uint64(pk, d->value.user_id);
        pack_dht_id(pk, d->value.node.id);
        msgpack_pack_uint32(pk, d->value.node.ip);
        msgpack_pack_uint16(pk, d->value.node.port);
        break;
    default: /* PING, PONG, STORED: txid and sender only */
        break;
    }
    return 0;
}

/* The single uint32 field of BUSY, LOGIN_FAIL, REGISTER_FAIL, KEEPALIVE(_ACK),
 * WAIT and RESPONSE. */
static uint32_t u32_field(const struct wire_msg *m)
{
    switch (m->type) {
    case WIRE_BUSY:
        return m->u.retry_after_ms;
    case WIRE_KEEPALIVE:
    case WIRE_KEEPALIVE_ACK:
        return m->u.seq;
    case WIRE_WAIT:
        return m->u.wait_ms;
    case WIRE_RESPONSE:
        return m->u.req.req_id;
    default:
        return m->u.reason;
    }
}

int wire_encode_payload(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
    struct fixbuf fb = {.buf = buf, .cap = cap};
    msgpack_packer pk;

    msgpack_packer_init(&pk, &fb, fixbuf_write);

    switch (m->type) {
    case WIRE_LOGIN_REQ:
        pack_head(&pk, m->type, 2);
        msgpack_pack_uint64(&pk, m->u.login_req.user_id);
        msgpack_pack_bin(&pk, WIRE_SECRET_LEN);
        msgpack_pack_bin_body(&pk, m->u.login_req.secret, WIRE_SECRET_LEN);
        break;
    case WIRE_LOGIN_OK:
    case WIRE_REGISTER:
        pack_head(&pk, m->type, 1);
        pack_ticket(&pk, &m->u.ticket);
        break;
    case WIRE_BUSY:
    case WIRE_LOGIN_FAIL:
    case WIRE_REGISTER_FAIL:
    case WIRE_KEEPALIVE:
    case WIRE_KEEPALIVE_ACK:
    case WIRE_WAIT:
    case WIRE_RESPONSE:
        pack_head(&pk, m->type, 1);
        msgpack_pack_uint32(&pk, u32_field(m));
        break;
    case WIRE_REGISTER_OK:
    case WIRE_REDIRECT:
    case WIRE_GOSSIP:
        /* Refuse rather than truncate: the receiver would reject it anyway. */
        if (m->u.sn_list.n > WIRE_MAX_SNS)
            return -1;
        pack_head(&pk, m->type, 1);
        pack_sn_list(&pk, &m->u.sn_list);
        break;
    case WIRE_REQUEST:
        pack_head(&pk, m->type, 2);
        msgpack_pack_uint64(&pk, m->u.req.user_id);
        msgpack_pack_uint32(&pk, m->u.req.req_id);
        break;
    case WIRE_REQ_BUSY:
        pack_head(&pk, m->type, 2);
        msgpack_pack_uint32(&pk, m->u.req.req_id);
        msgpack_pack_uint32(&pk, m->u.req.retry_after_ms);
        break;
    case WIRE_LOCATE:
        pack_head(&pk, m->type, 1);
        msgpack_pack_uint64(&pk, m->u.user_id);
        break;
    case WIRE_ASSIGN:
        pack_head(&pk, m->type, 1);
        pack_sn(&pk, &m->u.server);
        break;
    case WIRE_LOAD:
        if (m->u.load.up > 1)
            return -1;
        pack_head(&pk, m->type, 6);
        msgpack_pack_uint32(&pk, m->u.load.node_id);
        msgpack_pack_uint32(&pk, m->u.load.up);
        msgpack_pack_uint32(&pk, m->u.load.clients);
        msgpack_pack_uint32(&pk, m->u.load.max_clients);
        msgpack_pack_uint32(&pk, m->u.load.queue);
        msgpack_pack_uint32(&pk, m->u.load.load_permille);
        break;
    case WIRE_DHT_PING:
    case WIRE_DHT_PONG:
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_STORE:
    case WIRE_DHT_STORED:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        if (pack_dht(&pk, m->type, &m->u.dht) != 0)
            return -1;
        break;
    case WIRE_IMG_BLOCK:
        if (m->u.img.len == 0 || m->u.img.len > WIRE_IMG_MAX_BLOCK)
            return -1;
        pack_head(&pk, m->type, 3);
        msgpack_pack_uint32(&pk, m->u.img.image_id);
        msgpack_pack_uint32(&pk, m->u.img.index);
        msgpack_pack_bin(&pk, m->u.img.len);
        msgpack_pack_bin_body(&pk, m->u.img.data, m->u.img.len);
        break;
    case WIRE_IMG_FETCH:
        pack_head(&pk, m->type, 2);
        msgpack_pack_uint64(&pk, m->u.fetch.box_id);
        msgpack_pack_uint32(&pk, m->u.fetch.from_block);
        break;
    case WIRE_BOX_REGISTER:
        pack_head(&pk, m->type, 2);
        msgpack_pack_uint64(&pk, m->u.box_reg.box_id);
        msgpack_pack_bin(&pk, WIRE_SHA256_LEN);
        msgpack_pack_bin_body(&pk, m->u.box_reg.sha256, WIRE_SHA256_LEN);
        break;
    default:
        return -1;
    }

    if (fb.overflow)
        return -1;
    return (int)fb.len;
}

int wire_encode(const struct wire_msg *m, struct evbuffer *out)
{
    uint8_t frame[4 + WIRE_ENC_MAX];
    int n = wire_encode_payload(m, frame + 4, WIRE_ENC_MAX);

    if (n < 0)
        return -1;
    frame[0] = (uint8_t)(n >> 24);
    frame[1] = (uint8_t)(n >> 16);
    frame[2] = (uint8_t)(n >> 8);
    frame[3] = (uint8_t)n;
    /* One add keeps prefix and payload together: no half-frame on failure. */
    if (evbuffer_add(out, frame, 4 + (size_t)n) != 0)
        return -1;
    return 4 + n;
}

/* ---- structural pre-scan ---- */

static uint64_t be_read(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Check that buf holds exactly one complete msgpack object. No recursion is
 * needed: we only track how many objects are still owed. Since every object
 * takes at least one byte, "owed <= bytes left" bounds the total element
 * count msgpack-c will later allocate for by len. Cost: O(len). */
static int mp_scan_one(const uint8_t *buf, size_t len)
{
    size_t pos = 0;
    uint64_t owed = 1;

    while (owed > 0) {
        uint64_t hdr = 0;   /* big-endian length or count after the tag byte */
        uint64_t body = 0;  /* payload bytes after that */
        uint64_t items = 0; /* objects this one contains */
        unsigned per = 0;   /* hdr is a count of 1 (array) or 2 (map) objects */
        uint8_t b;

        if (pos >= len)
            return -1;
        b = buf[pos++];
        owed--;

        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* fixint, nil, bool: the tag is all */
        } else if (b <= 0x8f) { /* fixmap */
            items = 2u * (b & 0x0fu);
        } else if (b <= 0x9f) { /* fixarray */
            items = b & 0x0fu;
        } else if (b <= 0xbf) { /* fixstr */
            body = b & 0x1fu;
        } else if (b >= 0xc4 && b <= 0xc6) { /* bin 8/16/32 */
            hdr = 1u << (b - 0xc4);
        } else if (b >= 0xc7 && b <= 0xc9) { /* ext 8/16/32: length, type byte, data */
            hdr = 1u << (b - 0xc7);
            body = 1;
        } else if (b == 0xca || b == 0xcb) { /* float 32/64 */
            body = 4u << (b - 0xca);
        } else if (b >= 0xcc && b <= 0xd3) { /* uint 8..64, int 8..64 */
            body = 1u << ((b - 0xcc) & 3);
        } else if (b >= 0xd4 && b <= 0xd8) { /* fixext 1..16: type byte, data */
            body = 1 + (1u << (b - 0xd4));
        } else if (b >= 0xd9 && b <= 0xdb) { /* str 8/16/32 */
            hdr = 1u << (b - 0xd9);
        } else if (b == 0xdc || b == 0xdd) { /* array 16/32 */
            hdr = 2u << (b - 0xdc);
            per = 1;
        } else if (b == 0xde || b == 0xdf) { /* map 16/32 */
            hdr = 2u << (b - 0xde);
            per = 2;
        } else { /* 0xc1 is never used */
            return -1;
        }

        if (hdr > len - pos)
            return -1;
        if (hdr > 0) {
            uint64_t v = be_read(buf + pos, (size_t)hdr);

            pos += (size_t)hdr;
            if (per > 0)
                items = per * v;
            else
                body += v;
        }
        if (body > len - pos)
            return -1;
        pos += (size_t)body;
        owed += items;
        if (owed > len - pos)
            return -1;
    }
    return pos == len ? 0 : -1;
}

/* ---- decoding ---- */

static int get_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    /* msgpack-c reports non-negative values of signed encodings as
     * POSITIVE_INTEGER too; negatives, floats, nil and the rest are refused. */
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return -1;
    *out = o->via.u64;
    return 0;
}

static int get_u32(const msgpack_object *o, uint32_t *out)
{
    uint64_t v;

    if (get_uint(o, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *dst, uint32_t len)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != len)
        return -1;
    memcpy(dst, o->via.bin.ptr, len);
    return 0;
}

static const msgpack_object *get_array(const msgpack_object *o, uint32_t n)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
        return NULL;
    return o->via.array.ptr;
}

static int get_ticket(const msgpack_object *o, struct wire_ticket *t)
{
    const msgpack_object *f = get_array(o, 4);

    if (f == NULL || get_uint(&f[0], UINT64_MAX, &t->user_id) != 0 ||
        get_uint(&f[1], UINT64_MAX, &t->expiry_ms) != 0 || get_u32(&f[2], &t->addr) != 0 ||
        get_bin(&f[3], t->sig, WIRE_SIG_LEN) != 0)
        return -1;
    return 0;
}

/* sn = [node_id, ipv4, port] */
static int get_sn(const msgpack_object *o, struct wire_sn *sn)
{
    const msgpack_object *f = get_array(o, 3);
    uint64_t port;

    if (f == NULL || get_u32(&f[0], &sn->node_id) != 0 || get_u32(&f[1], &sn->ip) != 0 ||
        get_uint(&f[2], UINT16_MAX, &port) != 0)
        return -1;
    sn->port = (uint16_t)port;
    return 0;
}

static int get_sn_list(const msgpack_object *o, struct wire_sn_list *l)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > WIRE_MAX_SNS)
        return -1;
    l->n = o->via.array.size;
    for (uint32_t i = 0; i < l->n; i++)
        if (get_sn(&o->via.array.ptr[i], &l->sns[i]) != 0)
            return -1;
    return 0;
}

/* A DHT port: 1..65535. Port 0 names no socket, so it is malformed. */
static int get_dht_port(const msgpack_object *o, uint16_t *out)
{
    uint64_t v;

    if (get_uint(o, UINT16_MAX, &v) != 0 || v == 0)
        return -1;
    *out = (uint16_t)v;
    return 0;
}

/* contact = [id(bin20), ipv4, port] */
static int get_dht_contact(const msgpack_object *o, struct wire_dht_contact *c)
{
    const msgpack_object *f = get_array(o, 3);

    if (f == NULL || get_bin(&f[0], c->id, WIRE_DHT_ID_LEN) != 0 || get_u32(&f[1], &c->ip) != 0 ||
        get_dht_port(&f[2], &c->port) != 0)
        return -1;
    return 0;
}

static int get_dht_contacts(const msgpack_object *o, struct wire_dht *d)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size > WIRE_DHT_MAX_NODES)
        return -1;
    d->n = o->via.array.size;
    for (uint32_t i = 0; i < d->n; i++)
        if (get_dht_contact(&o->via.array.ptr[i], &d->nodes[i]) != 0)
            return -1;
    return 0;
}

/* record = [user_id, node(bin20), ipv4, port] */
static int get_dht_value(const msgpack_object *o, struct wire_dht *d)
{
    const msgpack_object *f = get_array(o, 4);

    if (f == NULL || get_uint(&f[0], UINT64_MAX, &d->value.user_id) != 0 ||
        get_bin(&f[1], d->value.node.id, WIRE_DHT_ID_LEN) != 0 ||
        get_u32(&f[2], &d->value.node.ip) != 0 || get_dht_port(&f[3], &d->value.node.port) != 0)
        return -1;
    return 0;
}

/* f points at the fields after [type, version]; their count is checked. */
static int get_dht(enum wire_type t, const msgpack_object *f, struct wire_dht *d)
{
    if (get_u32(&f[0], &d->txid) != 0 || get_bin(&f[1], d->sender, WIRE_DHT_ID_LEN) != 0)
        return -1;
    switch (t) {
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_FIND_VALUE:
        return get_bin(&f[2], d->target, WIRE_DHT_ID_LEN);
    case WIRE_DHT_STORE:
        if (get_bin(&f[2], d->target, WIRE_DHT_ID_LEN) != 0)
            return -1;
        return get_uint(&f[3], UINT64_MAX, &d->user_id);
    case WIRE_DHT_NODES:
        return get_dht_contacts(&f[2], d);
    case WIRE_DHT_VALUE:
        return get_dht_value(&f[2], d);
    default: /* PING, PONG, STORED */
        return 0;
    }
}

/* An image block's bytes: 1..WIRE_IMG_MAX_BLOCK of them. */
static int get_img_data(const msgpack_object *o, struct wire_img *img)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size == 0 ||
        o->via.bin.size > WIRE_IMG_MAX_BLOCK)
        return -1;
    memcpy(img->data, o->via.bin.ptr, o->via.bin.size);
    img->len = o->via.bin.size;
    return 0;
}

/* Number of fields after [type, version]; 0 for a type we do not know. */
static uint32_t field_count(uint64_t type)
{
    switch (type) {
    case WIRE_LOAD:
        return 6;
    case WIRE_DHT_STORE:
        return 4;
    case WIRE_IMG_BLOCK:
        return 3;
    case WIRE_IMG_FETCH:
    case WIRE_BOX_REGISTER:
        return 2;
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        return 3;
    case WIRE_DHT_PING:
    case WIRE_DHT_PONG:
    case WIRE_DHT_STORED:
        return 2;
    case WIRE_LOGIN_REQ:
    case WIRE_REQUEST:
    case WIRE_REQ_BUSY:
        return 2;
    case WIRE_LOGIN_OK:
    case WIRE_BUSY:
    case WIRE_LOGIN_FAIL:
    case WIRE_REGISTER:
    case WIRE_REGISTER_OK:
    case WIRE_REGISTER_FAIL:
    case WIRE_KEEPALIVE:
    case WIRE_KEEPALIVE_ACK:
    case WIRE_REDIRECT:
    case WIRE_WAIT:
    case WIRE_GOSSIP:
    case WIRE_RESPONSE:
    case WIRE_LOCATE:
    case WIRE_ASSIGN:
        return 1;
    default:
        return 0;
    }
}

static enum wire_status decode_object(const msgpack_object *root, struct wire_msg *m)
{
    const msgpack_object *f;
    uint64_t type, version;
    int rc;

    if (root->type != MSGPACK_OBJECT_ARRAY || root->via.array.size < 2)
        return WIRE_ERR_MALFORMED;
    f = root->via.array.ptr;
    if (get_uint(&f[0], UINT64_MAX, &type) != 0 || get_uint(&f[1], UINT64_MAX, &version) != 0)
        return WIRE_ERR_MALFORMED;
    /* Version before type: another version may define other types and counts. */
    if (version != WIRE_VERSION)
        return WIRE_ERR_VERSION;
    if (field_count(type) == 0)
        return WIRE_ERR_UNKNOWN;
    if (root->via.array.size != 2 + field_count(type))
        return WIRE_ERR_MALFORMED;

    m->type = (enum wire_type)type;
    f += 2;
    switch (m->type) {
    case WIRE_LOGIN_REQ:
        rc = get_uint(&f[0], UINT64_MAX, &m->u.login_req.user_id) ||
             get_bin(&f[1], m->u.login_req.secret, WIRE_SECRET_LEN);
        break;
    case WIRE_LOGIN_OK:
    case WIRE_REGISTER:
        rc = get_ticket(&f[0], &m->u.ticket);
        break;
    case WIRE_BUSY:
        rc = get_u32(&f[0], &m->u.retry_after_ms);
        break;
    case WIRE_LOGIN_FAIL:
    case WIRE_REGISTER_FAIL:
        rc = get_u32(&f[0], &m->u.reason);
        break;
    case WIRE_KEEPALIVE:
    case WIRE_KEEPALIVE_ACK:
        rc = get_u32(&f[0], &m->u.seq);
        break;
    case WIRE_REGISTER_OK:
    case WIRE_REDIRECT:
    case WIRE_GOSSIP:
        rc = get_sn_list(&f[0], &m->u.sn_list);
        break;
    case WIRE_WAIT:
        rc = get_u32(&f[0], &m->u.wait_ms);
        break;
    case WIRE_REQUEST:
        rc = get_uint(&f[0], UINT64_MAX, &m->u.req.user_id) || get_u32(&f[1], &m->u.req.req_id);
        break;
    case WIRE_RESPONSE:
        rc = get_u32(&f[0], &m->u.req.req_id);
        break;
    case WIRE_REQ_BUSY:
        rc = get_u32(&f[0], &m->u.req.req_id) || get_u32(&f[1], &m->u.req.retry_after_ms);
        break;
    case WIRE_LOCATE:
        rc = get_uint(&f[0], UINT64_MAX, &m->u.user_id);
        break;
    case WIRE_ASSIGN:
        rc = get_sn(&f[0], &m->u.server);
        break;
    case WIRE_LOAD: {
        struct wire_load *l = &m->u.load;
        uint64_t up = 0;
        rc = get_u32(&f[0], &l->node_id) || get_uint(&f[1], 1, &up) ||
             get_u32(&f[2], &l->clients) || get_u32(&f[3], &l->max_clients) ||
             get_u32(&f[4], &l->queue) || get_u32(&f[5], &l->load_permille);
        l->up = (uint32_t)up;
        break;
    }
    case WIRE_DHT_PING:
    case WIRE_DHT_PONG:
    case WIRE_DHT_FIND_NODE:
    case WIRE_DHT_NODES:
    case WIRE_DHT_STORE:
    case WIRE_DHT_STORED:
    case WIRE_DHT_FIND_VALUE:
    case WIRE_DHT_VALUE:
        rc = get_dht(m->type, f, &m->u.dht);
        break;
    case WIRE_IMG_BLOCK:
        rc = get_u32(&f[0], &m->u.img.image_id) || get_u32(&f[1], &m->u.img.index) ||
             get_img_data(&f[2], &m->u.img);
        break;
    case WIRE_IMG_FETCH:
        rc = get_uint(&f[0], UINT64_MAX, &m->u.fetch.box_id) ||
             get_u32(&f[1], &m->u.fetch.from_block);
        break;
    case WIRE_BOX_REGISTER:
        rc = get_uint(&f[0], UINT64_MAX, &m->u.box_reg.box_id) ||
             get_bin(&f[1], m->u.box_reg.sha256, WIRE_SHA256_LEN);
        break;
    default:
        rc = -1;
        break;
    }
    return rc == 0 ? WIRE_OK : WIRE_ERR_MALFORMED;
}

enum wire_status wire_decode_payload(const uint8_t *buf, size_t len, struct wire_msg *m)
{
    msgpack_unpacked up;
    size_t off = 0;
    enum wire_status st;

    memset(m, 0, sizeof(*m));
    if (len > WIRE_MAX_FRAME)
        return WIRE_ERR_OVERSIZE;
    if (len == 0 || mp_scan_one(buf, len) != 0)
        return WIRE_ERR_MALFORMED;

    msgpack_unpacked_init(&up);
    if (msgpack_unpack_next(&up, (const char *)buf, len, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == len)
        st = decode_object(&up.data, m);
    else
        st = WIRE_ERR_MALFORMED;
    /* Everything kept was copied into *m, so the zone can go now. */
    msgpack_unpacked_destroy(&up);
    if (st != WIRE_OK)
        memset(m, 0, sizeof(*m));
    return st;
}

/* ---- framing ---- */

/* The payload length a 4-byte prefix announces; 0 when it is out of
 * bounds (zero or above WIRE_MAX_FRAME): the stream cannot continue. */
static uint32_t frame_payload_len(const uint8_t prefix[4])
{
    uint32_t len = (uint32_t)be_read(prefix, 4);
    return len > WIRE_MAX_FRAME ? 0 : len;
}

enum wire_status wire_decode_frame_bytes(const uint8_t *buf, size_t len, struct wire_msg *m,
                                         size_t *frame_len)
{
    if (frame_len != NULL)
        *frame_len = 0;
    if (len < 4)
        return WIRE_NEED_MORE;
    uint32_t plen = frame_payload_len(buf);
    if (plen == 0)
        return WIRE_ERR_OVERSIZE;
    if (len - 4 < plen)
        return WIRE_NEED_MORE;
    if (frame_len != NULL)
        *frame_len = 4 + (size_t)plen;
    return wire_decode_payload(buf + 4, plen, m);
}

enum wire_status wire_decode_frame(struct evbuffer *in, struct wire_msg *m, size_t *frame_len)
{
    uint8_t prefix[4];
    uint32_t len;
    size_t total;
    unsigned char *p;
    enum wire_status st;

    if (frame_len != NULL)
        *frame_len = 0;
    if (evbuffer_copyout(in, prefix, 4) != 4)
        return WIRE_NEED_MORE;
    len = frame_payload_len(prefix);
    if (len == 0)
        return WIRE_ERR_OVERSIZE;
    total = 4 + (size_t)len;
    if (evbuffer_get_length(in) < total)
        return WIRE_NEED_MORE;

    /* Decode in place; pullup only copies when the frame spans chains. */
    p = evbuffer_pullup(in, (ev_ssize_t)total);
    if (p == NULL)
        return WIRE_ERR_OVERSIZE; /* out of memory: the stream cannot continue */
    st = wire_decode_payload(p + 4, len, m);
    evbuffer_drain(in, total);
    if (frame_len != NULL)
        *frame_len = total;
    return st;
}

/* ---- names ---- */

const char *wire_type_name(enum wire_type t)
{
    switch (t) {
    case WIRE_LOGIN_REQ:
        return "LOGIN_REQ";
    case WIRE_LOGIN_OK:
        return "LOGIN_OK";
    case WIRE_BUSY:
        return "BUSY";
    case WIRE_LOGIN_FAIL:
        return "LOGIN_FAIL";
    case WIRE_REGISTER:
        return "REGISTER";
    case WIRE_REGISTER_OK:
        return "REGISTER_OK";
    case WIRE_REGISTER_FAIL:
        return "REGISTER_FAIL";
    case WIRE_KEEPALIVE:
        return "KEEPALIVE";
    case WIRE_KEEPALIVE_ACK:
        return "KEEPALIVE_ACK";
    case WIRE_REDIRECT:
        return "REDIRECT";
    case WIRE_WAIT:
        return "WAIT";
    case WIRE_GOSSIP:
        return "GOSSIP";
    case WIRE_REQUEST:
        return "REQUEST";
    case WIRE_RESPONSE:
        return "RESPONSE";
    case WIRE_REQ_BUSY:
        return "REQ_BUSY";
    case WIRE_LOCATE:
        return "LOCATE";
    case WIRE_ASSIGN:
        return "ASSIGN";
    case WIRE_LOAD:
        return "LOAD";
    case WIRE_DHT_PING:
        return "DHT_PING";
    case WIRE_DHT_PONG:
        return "DHT_PONG";
    case WIRE_DHT_FIND_NODE:
        return "DHT_FIND_NODE";
    case WIRE_DHT_NODES:
        return "DHT_NODES";
    case WIRE_DHT_STORE:
        return "DHT_STORE";
    case WIRE_DHT_STORED:
        return "DHT_STORED";
    case WIRE_DHT_FIND_VALUE:
        return "DHT_FIND_VALUE";
    case WIRE_DHT_VALUE:
        return "DHT_VALUE";
    case WIRE_IMG_BLOCK:
        return "IMG_BLOCK";
    case WIRE_IMG_FETCH:
        return "IMG_FETCH";
    case WIRE_BOX_REGISTER:
        return "BOX_REGISTER";
    }
    return "UNKNOWN";
}

const char *wire_status_name(enum wire_status s)
{
    switch (s) {
    case WIRE_OK:
        return "ok";
    case WIRE_NEED_MORE:
        return "need_more";
    case WIRE_ERR_OVERSIZE:
        return "oversize";
    case WIRE_ERR_MALFORMED:
        return "malformed";
    case WIRE_ERR_UNKNOWN:
        return "unknown_type";
    case WIRE_ERR_VERSION:
        return "bad_version";
    }
    return "invalid_status";
}
