/* wire.h - the node-to-node wire format (design 4.5, docs/protocol.md).
 *
 * Every message is a msgpack array [type, version, field...]. On TCP a frame
 * is a 4-byte big-endian payload length followed by the payload; the length
 * is checked against WIRE_MAX_FRAME before anything is unpacked, so a hostile
 * peer cannot make the decoder allocate more than that.
 *
 * Decoding validates every field's type and range. Anything unexpected is an
 * error code, never a crash; callers count it and drop the frame or close the
 * connection. */
#ifndef BS_WIRE_H
#define BS_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define WIRE_VERSION 1
#define WIRE_MAX_FRAME 65536u
#define WIRE_MAX_SNS 32
#define WIRE_SECRET_LEN 32
#define WIRE_SIG_LEN 64

enum wire_type {
    WIRE_LOGIN_REQ = 1,     /* peer -> LS  [1, v, user_id, secret(bin32)] */
    WIRE_LOGIN_OK = 2,      /* LS -> peer  [2, v, ticket] */
    WIRE_BUSY = 3,          /* server -> client [3, v, retry_after_ms] */
    WIRE_LOGIN_FAIL = 4,    /* LS -> peer  [4, v, reason] */
    WIRE_REGISTER = 5,      /* peer -> SN  [5, v, ticket] */
    WIRE_REGISTER_OK = 6,   /* SN -> peer  [6, v, [sn...]] */
    WIRE_REGISTER_FAIL = 7, /* SN -> peer  [7, v, reason] */
    WIRE_KEEPALIVE = 8,     /* peer -> SN  [8, v, seq] */
    WIRE_KEEPALIVE_ACK = 9, /* SN -> peer  [9, v, seq] */
    WIRE_REDIRECT = 10,     /* SN -> peer  [10, v, [sn...]]: full, try these */
    WIRE_WAIT = 11,         /* LS -> peer  [11, v, wait_ms]: admitted, answer expected in wait_ms */
    WIRE_GOSSIP = 12,       /* SN <-> SN   [12, v, [sn...]]: the SNs the sender knows */
    WIRE_REQUEST = 13,      /* peer -> service (UDP) [13, v, user_id, req_id] */
    WIRE_RESPONSE = 14,     /* service -> peer (UDP) [14, v, req_id] */
    WIRE_REQ_BUSY = 15,     /* service -> peer (UDP) [15, v, req_id, retry_after_ms] */
    WIRE_LOCATE = 16,       /* peer -> front door [16, v, user_id]: which server? */
    WIRE_ASSIGN = 17,       /* front door -> peer [17, v, sn]: register with this one */
    WIRE_LOAD = 18,         /* presence -> front door (UDP) [18, v, node_id, up, clients,
                             * max_clients, queue, load_permille] */
    /* architecture: dht, all UDP, node <-> node (and node -> bootstrap node).
     * txid pairs an answer with its query; sender is the sender's node id
     * (bin 20). An address is never taken from a message: it is the
     * datagram's source. */
    WIRE_DHT_PING = 19,       /* [19, v, txid, sender] */
    WIRE_DHT_PONG = 20,       /* [20, v, txid, sender] */
    WIRE_DHT_FIND_NODE = 21,  /* [21, v, txid, sender, target(bin20)] */
    WIRE_DHT_NODES = 22,      /* [22, v, txid, sender, [[id(bin20), ipv4, port]...]] */
    WIRE_DHT_STORE = 23,      /* [23, v, txid, sender, key(bin20), user_id] */
    WIRE_DHT_STORED = 24,     /* [24, v, txid, sender] */
    WIRE_DHT_FIND_VALUE = 25, /* [25, v, txid, sender, key(bin20)] */
    WIRE_DHT_VALUE = 26,      /* [26, v, txid, sender, [user_id, node(bin20), ipv4, port]] */
    /* architecture: settop. image_id is the first 4 bytes of the image's
     * SHA-256, big-endian: a block of another image is told apart. */
    WIRE_IMG_BLOCK = 27,    /* head-end -> box [27, v, image_id, index, data(bin)]: a carousel
                             * block or fountain symbol (UDP, index = block or ESI), or the
                             * next block of a unicast download (TCP) */
    WIRE_IMG_FETCH = 28,    /* box -> head-end (TCP) [28, v, box_id, from_block]: send the
                             * image from this block on */
    WIRE_BOX_REGISTER = 29, /* box -> head-end (TCP) [29, v, box_id, sha256(bin32)] */
};

enum wire_reason {
    WIRE_REASON_BAD_CREDENTIALS = 1,
    WIRE_REASON_FORGED_TICKET = 2,
    WIRE_REASON_EXPIRED_TICKET = 3,
    WIRE_REASON_NOT_SUPERNODE = 4,
    WIRE_REASON_WRONG_ADDRESS = 5, /* the ticket was issued to another address */
    WIRE_REASON_WRONG_IMAGE = 6,   /* settop: the box's image hash is not the head-end's */
    WIRE_REASON_NOT_A_BOX = 7,     /* settop: box_id is not a box of the run */
};

/* ticket = [user_id, expiry_ms, addr, sig(bin64)]; expiry_ms is run time in
 * the coordinator's timebase; addr is the IPv4 address (uint32, host order)
 * the login server saw the peer connect from; sig is Ed25519 over
 * be64(user_id) || be64(expiry_ms) || be32(addr). */
struct wire_ticket {
    uint64_t user_id;
    uint64_t expiry_ms;
    uint32_t addr;
    uint8_t sig[WIRE_SIG_LEN];
};

/* sn = [node_id, ipv4(uint32, host order), port] */
struct wire_sn {
    uint32_t node_id;
    uint32_t ip;
    uint16_t port;
};

/* A presence server's LOAD report; up is 0 or 1, load_permille its
 * utilisation over the last report interval in thousandths. */
struct wire_load {
    uint32_t node_id;
    uint32_t up;
    uint32_t clients, max_clients, queue;
    uint32_t load_permille;
};

#define WIRE_DHT_ID_LEN 20
#define WIRE_DHT_MAX_NODES 32 /* contacts in one NODES answer (dht.k <= 32) */

/* A DHT contact: [id(bin20), ipv4(uint32, host order), port]. */
struct wire_dht_contact {
    uint8_t id[WIRE_DHT_ID_LEN];
    uint32_t ip;
    uint16_t port;
};

/* Every DHT message; which fields a type carries is in enum wire_type. */
struct wire_dht {
    uint32_t txid;
    uint8_t sender[WIRE_DHT_ID_LEN];
    uint8_t target[WIRE_DHT_ID_LEN]; /* FIND_NODE: target; STORE, FIND_VALUE: key */
    uint64_t user_id;                /* STORE */
    uint32_t n;                      /* NODES: 0..WIRE_DHT_MAX_NODES */
    struct wire_dht_contact nodes[WIRE_DHT_MAX_NODES];
    struct {
        uint64_t user_id;
        struct wire_dht_contact node; /* the record's owner, at the address its STORE came from */
    } value;                          /* VALUE */
};

#define WIRE_IMG_MAX_BLOCK 1400 /* one block in one datagram of a 1500-byte packet */
#define WIRE_SHA256_LEN 32

/* IMG_BLOCK: len is 1..WIRE_IMG_MAX_BLOCK (the last block of an image may
 * be shorter than the others). */
struct wire_img {
    uint32_t image_id;
    uint32_t index;
    uint32_t len;
    uint8_t data[WIRE_IMG_MAX_BLOCK];
};

struct wire_sn_list {
    uint32_t n;
    struct wire_sn sns[WIRE_MAX_SNS];
};

struct wire_msg {
    enum wire_type type;
    union {
        struct {
            uint64_t user_id;
            uint8_t secret[WIRE_SECRET_LEN];
        } login_req;
        struct wire_ticket ticket;   /* LOGIN_OK, REGISTER */
        uint32_t retry_after_ms;     /* BUSY */
        uint32_t reason;             /* LOGIN_FAIL, REGISTER_FAIL */
        struct wire_sn_list sn_list; /* REGISTER_OK, REDIRECT, GOSSIP */
        uint32_t seq;                /* KEEPALIVE, KEEPALIVE_ACK */
        uint32_t wait_ms;            /* WAIT */
        struct {
            uint64_t user_id; /* REQUEST only */
            uint32_t req_id;
            uint32_t retry_after_ms; /* REQ_BUSY only */
        } req;                       /* REQUEST, RESPONSE, REQ_BUSY */
        uint64_t user_id;            /* LOCATE */
        struct wire_sn server;       /* ASSIGN */
        struct wire_load load;       /* LOAD */
        struct wire_dht dht;         /* WIRE_DHT_* */
        struct wire_img img;         /* IMG_BLOCK */
        struct {
            uint64_t box_id;
            uint32_t from_block;
        } fetch; /* IMG_FETCH */
        struct {
            uint64_t box_id;
            uint8_t sha256[WIRE_SHA256_LEN];
        } box_reg; /* BOX_REGISTER */
    } u;
};

enum wire_status {
    WIRE_OK = 0,
    WIRE_NEED_MORE = 1,      /* frame incomplete: wait for more bytes */
    WIRE_ERR_OVERSIZE = -1,  /* length prefix above WIRE_MAX_FRAME (or zero) */
    WIRE_ERR_MALFORMED = -2, /* not msgpack, trailing bytes, wrong field types */
    WIRE_ERR_UNKNOWN = -3,   /* well-formed but unknown type */
    WIRE_ERR_VERSION = -4,   /* unsupported version */
};

/* Append one length-prefixed frame to out. Returns the frame's total size in
 * bytes (prefix included), or -1 on allocation failure. */
int wire_encode(const struct wire_msg *m, struct evbuffer *out);

/* Encode just the payload (no length prefix) into buf. Returns its length, or
 * -1 if it does not fit. Used for UDP and by tests. */
int wire_encode_payload(const struct wire_msg *m, uint8_t *buf, size_t cap);

/* Decode one payload (no length prefix). The payload must hold exactly one
 * msgpack object. */
enum wire_status wire_decode_payload(const uint8_t *buf, size_t len, struct wire_msg *m);

/* Take one frame off the front of in. On WIRE_OK the frame is removed and
 * decoded into *m. On WIRE_NEED_MORE nothing is removed. On a decode error the
 * bad frame is removed (so the caller may continue), except WIRE_ERR_OVERSIZE,
 * after which the stream cannot be resynchronised and must be closed.
 * *frame_len (if not NULL) gets the bytes removed. */
enum wire_status wire_decode_frame(struct evbuffer *in, struct wire_msg *m, size_t *frame_len);

/* The same for a frame at the start of a flat buffer of len bytes: nothing
 * is removed; *frame_len (if not NULL) gets the frame's size when it is
 * whole (WIRE_OK or a decode error), 0 otherwise. */
enum wire_status wire_decode_frame_bytes(const uint8_t *buf, size_t len, struct wire_msg *m,
                                         size_t *frame_len);

const char *wire_type_name(enum wire_type t);
const char *wire_status_name(enum wire_status s);

#endif
