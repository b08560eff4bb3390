/* gen_seeds - write the wire, frame and ticket seed corpora from the codec
 * itself (wire_encode_payload, wire_encode, ticket_sign), plus a few
 * hand-made hostile payloads. Run once by hand; its output is committed:
 *
 *   build-fuzz/fuzz/gen-seeds tests/fuzz/corpus
 *
 * writes DIR/wire_payload/, DIR/wire_frame/ and DIR/ticket/. Deterministic:
 * running it again rewrites the same files. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/buffer.h>

#include "node/ticket.h"
#include "node/wire.h"

#include "fixed_keys.h" /* the key and secret of fuzz_ticket.c */

static const char *root;

static void put(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    if (mkdir(root, 0755) != 0 && errno != EEXIST) {
        perror(root);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s", root, dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        exit(1);
    }
    snprintf(path, sizeof path, "%s/%s/%s", root, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

static size_t enc(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
    int n = wire_encode_payload(m, buf, cap);
    if (n < 0) {
        fprintf(stderr, "gen-seeds: cannot encode type %d\n", (int)m->type);
        exit(1);
    }
    return (size_t)n;
}

/* One message as a payload seed and as a one-frame stream seed. */
static void seed_msg(const char *name, const struct wire_msg *m)
{
    uint8_t buf[2048]; /* the largest payload, a full IMG_BLOCK, is 1416 */
    char file[128];
    size_t n = enc(m, buf, sizeof buf);
    snprintf(file, sizeof file, "%s.bin", name);
    put("wire_payload", file, buf, n);

    struct evbuffer *eb = evbuffer_new();
    uint8_t frame[1 + 4 + 2048];
    frame[0] = 255; /* piece size 256: the frame in one chain */
    int fl = wire_encode(m, eb);
    if (fl < 0 || evbuffer_remove(eb, frame + 1, (size_t)fl) != fl)
        exit(1);
    evbuffer_free(eb);
    put("wire_frame", file, frame, 1 + (size_t)fl);
}

static void seed_raw(const char *name, const void *payload, size_t len)
{
    put("wire_payload", name, payload, len);
}

static struct wire_sn_list sn_list(uint32_t n)
{
    struct wire_sn_list l = {.n = n};
    for (uint32_t i = 0; i < n; i++)
        l.sns[i] = (struct wire_sn){.node_id = 7 + i, .ip = 0x7f000102 + i, .port = 4100};
    return l;
}

#define SEED_ADDR 0x7f010005u /* the address the seed tickets are issued to */

/* SHA-256 of the empty string: the made-up image hash of docs/protocol.md's
 * set-top examples; its first 4 bytes, big-endian, are the image id. */
static const uint8_t sha256_empty[WIRE_SHA256_LEN] = {
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
#define SEED_IMAGE_ID 0xe3b0c442u

/* IMG_BLOCK `index` of len bytes (i + index, for a recognisable pattern). */
static struct wire_msg img_msg(uint32_t image_id, uint32_t index, uint32_t len)
{
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = WIRE_IMG_BLOCK;
    m.u.img.image_id = image_id;
    m.u.img.index = index;
    m.u.img.len = len;
    for (uint32_t i = 0; i < len; i++)
        m.u.img.data[i] = (uint8_t)(i + index);
    return m;
}

/* The 5-byte start of a hand-made IMG_BLOCK payload: [27, 1, 1, 2, then the
 * data field (or others) to follow], nfields after the head. */
static size_t img_head(uint8_t *p, unsigned nfields)
{
    p[0] = (uint8_t)(0x90 + 2 + nfields);
    p[1] = WIRE_IMG_BLOCK;
    p[2] = WIRE_VERSION;
    p[3] = 0x01;
    p[4] = 0x02;
    return 5;
}

/* A DHT message of type t, ids filled with one byte each. */
static struct wire_msg dht_msg(enum wire_type t, uint32_t txid)
{
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = t;
    m.u.dht.txid = txid;
    memset(m.u.dht.sender, 0xaa, WIRE_DHT_ID_LEN);
    if (t == WIRE_DHT_FIND_NODE || t == WIRE_DHT_FIND_VALUE || t == WIRE_DHT_STORE)
        memset(m.u.dht.target, 0xbb, WIRE_DHT_ID_LEN);
    if (t == WIRE_DHT_STORE)
        m.u.dht.user_id = 12345;
    if (t == WIRE_DHT_VALUE) {
        m.u.dht.value.user_id = 12345;
        memset(m.u.dht.value.node.id, 0xcc, WIRE_DHT_ID_LEN);
        m.u.dht.value.node.ip = 0x7f000102;
        m.u.dht.value.node.port = 4435;
    }
    return m;
}

static void dht_contacts(struct wire_msg *m, uint32_t n)
{
    m->u.dht.n = n;
    for (uint32_t i = 0; i < n; i++) {
        memset(m->u.dht.nodes[i].id, (int)(0x10 + i), WIRE_DHT_ID_LEN);
        m->u.dht.nodes[i].ip = 0x7f000102 + i;
        m->u.dht.nodes[i].port = (uint16_t)(4435 + i);
    }
}

/* The 28-byte start of a hand-made DHT payload: [type, 1, 7, sender aa..aa,
 * then nfields - 2 more elements to follow]. */
static size_t dht_head(uint8_t *p, enum wire_type t, unsigned nfields)
{
    p[0] = (uint8_t)(0x90 + 2 + nfields);
    p[1] = (uint8_t)t;
    p[2] = WIRE_VERSION;
    p[3] = 0x07;
    p[4] = 0xc4;
    p[5] = WIRE_DHT_ID_LEN;
    memset(p + 6, 0xaa, WIRE_DHT_ID_LEN);
    return 6 + WIRE_DHT_ID_LEN;
}

/* [id cc..cc (id_len bytes), 0x7f000102, port] with nfields elements. */
static size_t dht_contact_raw(uint8_t *p, unsigned nfields, unsigned id_len, uint16_t port)
{
    size_t n = 0;
    p[n++] = (uint8_t)(0x90 + nfields);
    p[n++] = 0xc4;
    p[n++] = (uint8_t)id_len;
    memset(p + n, 0xcc, id_len);
    n += id_len;
    static const uint8_t ip[] = {0xce, 0x7f, 0x00, 0x01, 0x02};
    memcpy(p + n, ip, sizeof ip);
    n += sizeof ip;
    if (nfields > 2) {
        p[n++] = 0xcd;
        p[n++] = (uint8_t)(port >> 8);
        p[n++] = (uint8_t)port;
    }
    for (unsigned i = 3; i < nfields; i++)
        p[n++] = 0x00;
    return n;
}

static void ticket_seed(const char *name, uint64_t now_ms, uint32_t from, const struct wire_msg *m)
{
    uint8_t buf[12 + 1024];
    for (int i = 0; i < 8; i++)
        buf[i] = (uint8_t)(now_ms >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        buf[8 + i] = (uint8_t)(from >> (24 - 8 * i));
    size_t n = enc(m, buf + 12, sizeof buf - 12);
    put("ticket", name, buf, 12 + n);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-seeds CORPUS_DIR\n");
        return 2;
    }
    root = argv[1];

    struct ticket_keys keys;
    if (ticket_keys_init(&keys, priv, pub) != 0)
        return 1;

    /* ---- every message type, from the codec ---- */
    struct wire_msg m;
    memset(&m, 0, sizeof m);
    m.type = WIRE_LOGIN_REQ;
    m.u.login_req.user_id = 12345;
    ticket_credential(secret, 12345, m.u.login_req.secret);
    seed_msg("login_req", &m);
    ticket_seed("login_req_good.bin", 0, SEED_ADDR, &m);
    m.u.login_req.secret[0] ^= 1;
    ticket_seed("login_req_bad.bin", 0, SEED_ADDR, &m);

    memset(&m, 0, sizeof m);
    m.type = WIRE_REGISTER;
    m.u.ticket.user_id = 12345;
    m.u.ticket.expiry_ms = 3600000;
    m.u.ticket.addr = SEED_ADDR;
    ticket_sign(&keys, &m.u.ticket);
    seed_msg("register", &m);
    ticket_seed("register_valid.bin", 1000, SEED_ADDR, &m);
    ticket_seed("register_expired.bin", 3600000, SEED_ADDR, &m);
    ticket_seed("register_replayed.bin", 1000, SEED_ADDR + 1, &m);
    m.type = WIRE_LOGIN_OK;
    seed_msg("login_ok", &m);
    ticket_seed("login_ok_valid.bin", 0, SEED_ADDR, &m);
    m.u.ticket.sig[5] ^= 0x40;
    ticket_seed("login_ok_forged.bin", 0, SEED_ADDR, &m);
    m.type = WIRE_REGISTER;
    m.u.ticket.user_id = UINT64_MAX;
    m.u.ticket.expiry_ms = UINT64_MAX;
    m.u.ticket.addr = UINT32_MAX;
    ticket_sign(&keys, &m.u.ticket);
    ticket_seed("register_max.bin", UINT64_MAX - 1, UINT32_MAX, &m);

    static const struct {
        const char *name;
        enum wire_type type;
        uint32_t v;
    } u32s[] = {
        {"busy", WIRE_BUSY, 500},
        {"login_fail", WIRE_LOGIN_FAIL, 1},
        {"register_fail", WIRE_REGISTER_FAIL, 2},
        {"keepalive", WIRE_KEEPALIVE, 300},
        {"keepalive_ack", WIRE_KEEPALIVE_ACK, UINT32_MAX},
        {"wait", WIRE_WAIT, 3000},
        {"response", WIRE_RESPONSE, 7},
    };
    for (size_t i = 0; i < sizeof u32s / sizeof u32s[0]; i++) {
        memset(&m, 0, sizeof m);
        m.type = u32s[i].type;
        switch (m.type) {
        case WIRE_BUSY:
            m.u.retry_after_ms = u32s[i].v;
            break;
        case WIRE_KEEPALIVE:
        case WIRE_KEEPALIVE_ACK:
            m.u.seq = u32s[i].v;
            break;
        case WIRE_WAIT:
            m.u.wait_ms = u32s[i].v;
            break;
        case WIRE_RESPONSE:
            m.u.req.req_id = u32s[i].v;
            break;
        default:
            m.u.reason = u32s[i].v;
            break;
        }
        seed_msg(u32s[i].name, &m);
    }

    memset(&m, 0, sizeof m);
    m.type = WIRE_REGISTER_OK;
    m.u.sn_list = sn_list(1);
    seed_msg("register_ok", &m);
    m.type = WIRE_REDIRECT;
    m.u.sn_list = sn_list(0);
    seed_msg("redirect_empty", &m);
    m.type = WIRE_GOSSIP;
    m.u.sn_list = sn_list(WIRE_MAX_SNS);
    seed_msg("gossip_full", &m);

    memset(&m, 0, sizeof m);
    m.type = WIRE_REQUEST;
    m.u.req.user_id = 12345;
    m.u.req.req_id = 7;
    seed_msg("request", &m);
    m.type = WIRE_REQ_BUSY;
    m.u.req.retry_after_ms = 500;
    seed_msg("req_busy", &m);

    /* The central architecture: LOCATE and ASSIGN at a front door, LOAD from
     * a presence server (up, and the last report of one going down). */
    memset(&m, 0, sizeof m);
    m.type = WIRE_LOCATE;
    m.u.user_id = 12345;
    seed_msg("locate", &m);
    m.u.user_id = UINT64_MAX;
    seed_msg("locate_max", &m);
    memset(&m, 0, sizeof m);
    m.type = WIRE_ASSIGN;
    m.u.server = (struct wire_sn){.node_id = 7, .ip = 0x7f000102, .port = 4100};
    seed_msg("assign", &m);
    m.u.server = (struct wire_sn){.node_id = UINT32_MAX, .ip = UINT32_MAX, .port = 65535};
    seed_msg("assign_max", &m);
    memset(&m, 0, sizeof m);
    m.type = WIRE_LOAD;
    m.u.load = (struct wire_load){.node_id = 7,
                                  .up = 1,
                                  .clients = 250,
                                  .max_clients = 1000,
                                  .queue = 3,
                                  .load_permille = 250};
    seed_msg("load", &m);
    m.u.load = (struct wire_load){.node_id = 7, .up = 0, .max_clients = 1000};
    seed_msg("load_down", &m);
    m.u.load = (struct wire_load){.node_id = UINT32_MAX,
                                  .up = 1,
                                  .clients = UINT32_MAX,
                                  .max_clients = UINT32_MAX,
                                  .queue = UINT32_MAX,
                                  .load_permille = UINT32_MAX};
    seed_msg("load_max", &m);

    /* The DHT (architecture: dht): every message, NODES with 0, 1 and 32
     * contacts, and the widest values. */
    static const struct {
        const char *name;
        enum wire_type type;
    } dhts[] = {
        {"dht_ping", WIRE_DHT_PING},
        {"dht_pong", WIRE_DHT_PONG},
        {"dht_find_node", WIRE_DHT_FIND_NODE},
        {"dht_nodes_empty", WIRE_DHT_NODES},
        {"dht_store", WIRE_DHT_STORE},
        {"dht_stored", WIRE_DHT_STORED},
        {"dht_find_value", WIRE_DHT_FIND_VALUE},
        {"dht_value", WIRE_DHT_VALUE},
    };
    for (size_t i = 0; i < sizeof dhts / sizeof dhts[0]; i++) {
        m = dht_msg(dhts[i].type, 7 + (uint32_t)i);
        seed_msg(dhts[i].name, &m);
    }
    m = dht_msg(WIRE_DHT_NODES, 7);
    dht_contacts(&m, 1);
    seed_msg("dht_nodes_one", &m);
    dht_contacts(&m, WIRE_DHT_MAX_NODES);
    seed_msg("dht_nodes_full", &m);
    m.u.dht.txid = UINT32_MAX;
    for (uint32_t i = 0; i < WIRE_DHT_MAX_NODES; i++) {
        m.u.dht.nodes[i].ip = UINT32_MAX;
        m.u.dht.nodes[i].port = 65535;
    }
    seed_msg("dht_nodes_max", &m);
    m = dht_msg(WIRE_DHT_STORE, UINT32_MAX);
    m.u.dht.user_id = UINT64_MAX;
    seed_msg("dht_store_max", &m);
    m = dht_msg(WIRE_DHT_VALUE, UINT32_MAX);
    m.u.dht.value.user_id = UINT64_MAX;
    m.u.dht.value.node.ip = UINT32_MAX;
    m.u.dht.value.node.port = 65535;
    seed_msg("dht_value_max", &m);

    /* Set-top boxes (architecture: settop): a carousel block, the smallest
     * and the largest IMG_BLOCK, IMG_FETCH, BOX_REGISTER, and the head-end's
     * two refusals. */
    m = img_msg(SEED_IMAGE_ID, 5, 1024);
    seed_msg("img_block", &m);
    m = img_msg(0, 0, 1);
    seed_msg("img_block_one", &m);
    m = img_msg(UINT32_MAX, UINT32_MAX, WIRE_IMG_MAX_BLOCK);
    seed_msg("img_block_max", &m);
    memset(&m, 0, sizeof m);
    m.type = WIRE_IMG_FETCH;
    m.u.fetch.box_id = 70000;
    m.u.fetch.from_block = 300;
    seed_msg("img_fetch", &m);
    m.u.fetch.box_id = UINT64_MAX;
    m.u.fetch.from_block = UINT32_MAX;
    seed_msg("img_fetch_max", &m);
    memset(&m, 0, sizeof m);
    m.type = WIRE_BOX_REGISTER;
    m.u.box_reg.box_id = 70000;
    memcpy(m.u.box_reg.sha256, sha256_empty, WIRE_SHA256_LEN);
    seed_msg("box_register", &m);
    m.u.box_reg.box_id = UINT64_MAX;
    memset(m.u.box_reg.sha256, 0xff, WIRE_SHA256_LEN);
    seed_msg("box_register_max", &m);
    memset(&m, 0, sizeof m);
    m.type = WIRE_REGISTER_FAIL;
    m.u.reason = WIRE_REASON_WRONG_IMAGE;
    seed_msg("register_fail_wrong_image", &m);
    m.u.reason = WIRE_REASON_NOT_A_BOX;
    seed_msg("register_fail_not_a_box", &m);

    /* ---- hostile payloads, by hand (docs/protocol.md, Error handling) ---- */
    static const uint8_t bad_version[] = {0x92, 0x63, 0x02};          /* [99, 2] */
    static const uint8_t unknown_type[] = {0x93, 0x7f, 0x01, 0x00};   /* [127, 1, 0] */
    static const uint8_t trailing[] = {0x93, 0x08, 0x01, 0x05, 0xc0}; /* KEEPALIVE + nil */
    static const uint8_t array32[] = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x08, 0x01}; /* 2^32-1 */
    static const uint8_t str_secret[] = {0x94, 0x01, 0x01, 0x05, 0xa2, 'h', 'i'};
    static const uint8_t negative[] = {0x93, 0x08, 0x01, 0xff}; /* seq -1 */
    static const uint8_t wide_uint[] = {0x93, 0x08, 0x01, 0xcf, 0, 0, 0, 0, 0, 0, 0x01, 0x2c};
    static const uint8_t float_seq[] = {0x93, 0x08, 0x01, 0xca, 0x3f, 0x80, 0, 0};
    static const uint8_t map_root[] = {0x82, 0x00, 0x08, 0x01, 0x01};
    static const uint8_t ext[] = {0x93, 0x08, 0x01, 0xd4, 0x01, 0x00};
    static const uint8_t big_port[] = {0x93, 0x06, 0x01, 0x91, 0x93, 0x07,
                                       0x01, 0xce, 0x00, 0x01, 0x00, 0x00}; /* port 65536 */
    /* LOAD with up = 2, LOAD with a float utilisation, LOAD one field short,
     * ASSIGN to port 65536, ASSIGN with a one-server list, LOCATE with a
     * string user id. */
    static const uint8_t load_up_2[] = {0x98, 0x12, 0x01, 0x07, 0x02, 0x01, 0x01, 0x01, 0x01};
    static const uint8_t load_float[] = {0x98, 0x12, 0x01, 0x07, 0x01, 0x01, 0x01,
                                         0x01, 0xca, 0x3e, 0x80, 0x00, 0x00};
    static const uint8_t load_short[] = {0x97, 0x12, 0x01, 0x07, 0x01, 0x01, 0x01, 0x01};
    static const uint8_t assign_big_port[] = {0x93, 0x11, 0x01, 0x93, 0x07, 0x01,
                                              0xce, 0x00, 0x01, 0x00, 0x00};
    static const uint8_t assign_list[] = {0x93, 0x11, 0x01, 0x91, 0x93, 0x07, 0x01, 0x04};
    static const uint8_t locate_str[] = {0x93, 0x10, 0x01, 0xa5, '1', '2', '3', '4', '5'};
    seed_raw("bad_version.bin", bad_version, sizeof bad_version);
    seed_raw("unknown_type.bin", unknown_type, sizeof unknown_type);
    seed_raw("trailing.bin", trailing, sizeof trailing);
    seed_raw("array32_huge.bin", array32, sizeof array32);
    seed_raw("str_secret.bin", str_secret, sizeof str_secret);
    seed_raw("negative.bin", negative, sizeof negative);
    seed_raw("wide_uint.bin", wide_uint, sizeof wide_uint);
    seed_raw("float_seq.bin", float_seq, sizeof float_seq);
    seed_raw("map_root.bin", map_root, sizeof map_root);
    seed_raw("ext.bin", ext, sizeof ext);
    seed_raw("big_port.bin", big_port, sizeof big_port);
    seed_raw("load_up_2.bin", load_up_2, sizeof load_up_2);
    seed_raw("load_float.bin", load_float, sizeof load_float);
    seed_raw("load_short.bin", load_short, sizeof load_short);
    seed_raw("assign_big_port.bin", assign_big_port, sizeof assign_big_port);
    seed_raw("assign_list.bin", assign_list, sizeof assign_list);
    seed_raw("locate_str.bin", locate_str, sizeof locate_str);
    /* The DHT: a sender of 19 bytes, a target as a str, NODES with 33
     * contacts, a contact of 4 elements, one at port 0, one with a 21-byte
     * id, a VALUE record of 3 elements, NODES with a lying array32 count. */
    uint8_t dp[2048];
    size_t dn = dht_head(dp, WIRE_DHT_PING, 2);
    dp[5] = 19;
    seed_raw("dht_sender_19.bin", dp, dn - 1);
    dn = dht_head(dp, WIRE_DHT_FIND_NODE, 3);
    dp[dn++] = 0xb4; /* fixstr 20 */
    memset(dp + dn, 'b', WIRE_DHT_ID_LEN);
    dn += WIRE_DHT_ID_LEN;
    seed_raw("dht_target_str.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_NODES, 3);
    dp[dn++] = 0xdc; /* array16 */
    dp[dn++] = 0x00;
    dp[dn++] = WIRE_DHT_MAX_NODES + 1;
    for (int i = 0; i < WIRE_DHT_MAX_NODES + 1; i++)
        dn += dht_contact_raw(dp + dn, 3, WIRE_DHT_ID_LEN, 4435);
    seed_raw("dht_nodes_33.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_NODES, 3);
    dp[dn++] = 0x91;
    dn += dht_contact_raw(dp + dn, 4, WIRE_DHT_ID_LEN, 4435);
    seed_raw("dht_contact_4.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_NODES, 3);
    dp[dn++] = 0x92;
    dn += dht_contact_raw(dp + dn, 3, WIRE_DHT_ID_LEN, 4435);
    dn += dht_contact_raw(dp + dn, 3, WIRE_DHT_ID_LEN, 0);
    seed_raw("dht_port_0.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_NODES, 3);
    dp[dn++] = 0x91;
    dn += dht_contact_raw(dp + dn, 3, 21, 4435);
    seed_raw("dht_contact_id_21.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_VALUE, 3);
    dp[dn++] = 0x93;
    dp[dn++] = 0xcd;
    dp[dn++] = 0x30;
    dp[dn++] = 0x39;
    dp[dn++] = 0xc4;
    dp[dn++] = WIRE_DHT_ID_LEN;
    memset(dp + dn, 0xcc, WIRE_DHT_ID_LEN);
    dn += WIRE_DHT_ID_LEN;
    dp[dn++] = 0x01;
    seed_raw("dht_value_3.bin", dp, dn);
    dn = dht_head(dp, WIRE_DHT_NODES, 3);
    memcpy(dp + dn, "\xdd\xff\xff\xff\xff\x93", 6);
    seed_raw("dht_nodes_array32.bin", dp, dn + 6);

    /* Set-top: IMG_BLOCK with no bytes, with 1401, with the bytes as a str,
     * with index -1, without its data field, with an extra field, with a
     * bin32 that claims 2^32-1 bytes; BOX_REGISTER with a 31- and a 33-byte
     * hash; IMG_FETCH from block 2^32. */
    uint8_t ip[16 + WIRE_IMG_MAX_BLOCK + 1];
    size_t in = img_head(ip, 3);
    ip[in++] = 0xc4;
    ip[in++] = 0x00;
    seed_raw("img_block_empty.bin", ip, in);
    in = img_head(ip, 3);
    ip[in++] = 0xc5;
    ip[in++] = (uint8_t)((WIRE_IMG_MAX_BLOCK + 1) >> 8);
    ip[in++] = (uint8_t)(WIRE_IMG_MAX_BLOCK + 1);
    memset(ip + in, 0x5a, WIRE_IMG_MAX_BLOCK + 1);
    seed_raw("img_block_1401.bin", ip, in + WIRE_IMG_MAX_BLOCK + 1);
    in = img_head(ip, 3);
    static const uint8_t str_boot[] = {0xa4, 'b', 'o', 'o', 't'}; /* fixstr 4 */
    memcpy(ip + in, str_boot, sizeof str_boot);
    seed_raw("img_block_str.bin", ip, in + sizeof str_boot);
    in = img_head(ip, 3);
    ip[4] = 0xff; /* index -1 */
    memcpy(ip + in, "\xc4\x04\xde\xad\xbe\xef", 6);
    seed_raw("img_block_index_neg.bin", ip, in + 6);
    in = img_head(ip, 2);
    seed_raw("img_block_no_data.bin", ip, in);
    in = img_head(ip, 4);
    memcpy(ip + in, "\xc4\x04\xde\xad\xbe\xef\x00", 7);
    seed_raw("img_block_extra.bin", ip, in + 7);
    in = img_head(ip, 3);
    memcpy(ip + in, "\xc6\xff\xff\xff\xff\x00", 6);
    seed_raw("img_block_bin32_huge.bin", ip, in + 6);
    static const uint8_t reg_head[] = {0x94, 0x1d, 0x01, 0xce, 0x00, 0x01, 0x11, 0x70, 0xc4};
    for (unsigned len = WIRE_SHA256_LEN - 1; len <= WIRE_SHA256_LEN + 1; len += 2) {
        memcpy(ip, reg_head, sizeof reg_head);
        ip[sizeof reg_head] = (uint8_t)len;
        memset(ip + sizeof reg_head + 1, 0xe3, len);
        seed_raw(len < WIRE_SHA256_LEN ? "box_register_hash_31.bin" : "box_register_hash_33.bin",
                 ip, sizeof reg_head + 1 + len);
    }
    static const uint8_t fetch_2_32[] = {0x94, 0x1c, 0x01, 0x07, 0xcf, 0x00, 0x00,
                                         0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
    seed_raw("img_fetch_2_32.bin", fetch_2_32, sizeof fetch_2_32);

    uint8_t deep[256];
    memset(deep, 0x91, sizeof deep - 1); /* [[[[...]]]] 255 deep */
    deep[sizeof deep - 1] = 0x00;
    seed_raw("deep.bin", deep, sizeof deep);

    /* ---- streams: several frames, split, oversize, cut ---- */
    struct evbuffer *eb = evbuffer_new();
    memset(&m, 0, sizeof m);
    m.type = WIRE_KEEPALIVE;
    m.u.seq = 1;
    wire_encode(&m, eb);
    evbuffer_add(eb, "\x00\x00\x00\x02\x92\x63", 6); /* a malformed frame in between */
    m.u.seq = 2;
    wire_encode(&m, eb);
    m.type = WIRE_REGISTER_OK;
    m.u.sn_list = sn_list(3);
    wire_encode(&m, eb);
    evbuffer_add(eb, "\x00\x00\x00\x09\x93", 5); /* the last frame cut short */
    size_t sl = evbuffer_get_length(eb);
    uint8_t stream[1 + 2048];
    if (sl > sizeof stream - 1)
        return 1;
    evbuffer_remove(eb, stream + 1, sl);
    stream[0] = 2; /* pieces of 3 bytes: frames span chains */
    put("wire_frame", "stream_split.bin", stream, 1 + sl);
    stream[0] = 255;
    put("wire_frame", "stream_whole.bin", stream, 1 + sl);
    /* A peer's side of the central architecture's exchanges, as one stream:
     * BUSY and ASSIGN from a front door, then REDIRECT (full), REGISTER_OK
     * and KEEPALIVE_ACK from a presence server, in 3-byte pieces. */
    memset(&m, 0, sizeof m);
    m.type = WIRE_BUSY;
    m.u.retry_after_ms = 500;
    wire_encode(&m, eb);
    m.type = WIRE_ASSIGN;
    m.u.server = (struct wire_sn){.node_id = 7, .ip = 0x7f000102, .port = 4100};
    wire_encode(&m, eb);
    memset(&m, 0, sizeof m);
    m.type = WIRE_REDIRECT;
    wire_encode(&m, eb);
    m.type = WIRE_REGISTER_OK;
    wire_encode(&m, eb);
    m.type = WIRE_KEEPALIVE_ACK;
    m.u.seq = 1;
    wire_encode(&m, eb);
    sl = evbuffer_get_length(eb);
    if (sl > sizeof stream - 1)
        return 1;
    evbuffer_remove(eb, stream + 1, sl);
    stream[0] = 2;
    put("wire_frame", "stream_central.bin", stream, 1 + sl);

    /* A box's unicast download as it reads it: blocks 0 to 3 of an image of
     * 256-byte blocks, the last one short, in 3-byte pieces; and the
     * head-end's side of a registration: BOX_REGISTER, then keepalives. */
    for (uint32_t i = 0; i < 4; i++) {
        m = img_msg(SEED_IMAGE_ID, i, i < 3 ? 256 : 77);
        wire_encode(&m, eb);
    }
    sl = evbuffer_get_length(eb);
    uint8_t download[1 + 4096];
    if (sl > sizeof download - 1)
        return 1;
    evbuffer_remove(eb, download + 1, sl);
    download[0] = 2;
    put("wire_frame", "stream_download.bin", download, 1 + sl);
    memset(&m, 0, sizeof m);
    m.type = WIRE_BOX_REGISTER;
    m.u.box_reg.box_id = 70000;
    memcpy(m.u.box_reg.sha256, sha256_empty, WIRE_SHA256_LEN);
    wire_encode(&m, eb);
    memset(&m, 0, sizeof m);
    m.type = WIRE_KEEPALIVE;
    for (m.u.seq = 1; m.u.seq <= 2; m.u.seq++)
        wire_encode(&m, eb);
    sl = evbuffer_get_length(eb);
    if (sl > sizeof stream - 1)
        return 1;
    evbuffer_remove(eb, stream + 1, sl);
    stream[0] = 255;
    put("wire_frame", "stream_box_register.bin", stream, 1 + sl);

    static const uint8_t oversize[] = {0xff, 0x00, 0x01, 0x00, 0x01, 0x93}; /* 65537 */
    static const uint8_t zero_len[] = {0xff, 0x00, 0x00, 0x00, 0x00};
    static const uint8_t max_len[] = {0xff, 0x00, 0x01, 0x00, 0x00, 0xc0}; /* 65536, cut */
    put("wire_frame", "oversize.bin", oversize, sizeof oversize);
    put("wire_frame", "zero_len.bin", zero_len, sizeof zero_len);
    put("wire_frame", "max_len_cut.bin", max_len, sizeof max_len);
    evbuffer_free(eb);

    ticket_keys_free(&keys);
    return 0;
}
