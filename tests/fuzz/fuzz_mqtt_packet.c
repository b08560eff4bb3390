/* fuzz_mqtt_packet - the MQTT 3.1.1 decoder, mqtt_decode (node/mqtt.h), as
 * node/target.c drives it: bytes arrive in pieces into a buffer, every
 * packet at its head is taken off; and the encoders, on fields drawn from
 * the input.
 *
 * Input: byte 0 picks the piece size (0: the whole stream at once, else 1
 * to 255 bytes), byte 1 max_packet; the rest is the stream.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - a decoded packet takes 2 to len bytes, no more than max_packet, is a
 *     type a client receives with the flags 2.2.2 gives it, and decoding
 *     the same bytes again gives the same packet; every prefix of it needs
 *     more bytes (0), never -1;
 *   - PUBLISH pointers are inside the packet, the payload ends with it;
 *   - the pieces change nothing: the same packets and the same end as the
 *     stream in one piece;
 *   - a decoded PUBLISH at QoS 0 or 1 re-encodes to a packet that decodes
 *     to the same fields;
 *   - on fields from the input, mqtt_encode_publish succeeds exactly when
 *     a PUBLISH built by hand with them decodes, and what it writes decodes
 *     to them; SUBSCRIBE and CONNECT are laid out as 3.8 and 3.1 say. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/mqtt.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_mqtt_packet: invariant failed: %s\n", #cond);                    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_PACKETS 4096

static const size_t max_packets[8] = {2, 4, 16, 128, 131, 16384, 70000, SIZE_MAX};

struct outcome {
    size_t n;
    size_t end[MAX_PACKETS];
    uint8_t type[MAX_PACKETS];
    int last; /* -1, or 0: the stream ended inside a packet or between two */
};

static bool same_packet(const struct mqtt_packet *a, const struct mqtt_packet *b)
{
    if (a->type != b->type || a->flags != b->flags)
        return false;
    switch (a->type) {
    case MQTT_CONNACK:
        return a->u.connack.session_present == b->u.connack.session_present &&
               a->u.connack.rc == b->u.connack.rc;
    case MQTT_SUBACK:
        return a->u.suback.packet_id == b->u.suback.packet_id &&
               a->u.suback.granted == b->u.suback.granted &&
               a->u.suback.n_codes == b->u.suback.n_codes;
    case MQTT_PUBLISH:
        return a->u.publish.topic_len == b->u.publish.topic_len &&
               !memcmp(a->u.publish.topic, b->u.publish.topic, a->u.publish.topic_len) &&
               a->u.publish.payload_len == b->u.publish.payload_len &&
               !memcmp(a->u.publish.payload, b->u.publish.payload, a->u.publish.payload_len) &&
               a->u.publish.qos == b->u.publish.qos &&
               a->u.publish.packet_id == b->u.publish.packet_id &&
               a->u.publish.retain == b->u.publish.retain && a->u.publish.dup == b->u.publish.dup;
    case MQTT_PINGRESP:
        return true;
    default:
        return a->u.packet_id == b->u.packet_id;
    }
}

/* One packet mqtt_decode took: r bytes of buf. */
static void check_packet(const uint8_t *buf, size_t r, size_t max_packet,
                         const struct mqtt_packet *pkt)
{
    struct mqtt_packet again;
    size_t hdr = 2, rl = buf[1] & 0x7f; /* a length need not be minimal in 3.1.1 */

    for (size_t k = 1; buf[k] & 0x80; k++) {
        CHECK(k < 4);
        rl |= (size_t)(buf[k + 1] & 0x7f) << (7 * k);
        hdr++;
    }
    CHECK(r >= 2 && r <= max_packet && r == hdr + rl);
    CHECK(pkt->type == buf[0] >> 4 && pkt->flags == (buf[0] & 0x0f));
    switch (pkt->type) {
    case MQTT_CONNACK:
        CHECK(rl == 2 && pkt->u.connack.rc <= MQTT_RC_NOT_AUTHORIZED);
        CHECK(!pkt->u.connack.session_present || pkt->u.connack.rc == 0);
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
    case MQTT_UNSUBACK:
        CHECK(rl == 2 && pkt->flags == 0 && pkt->u.packet_id != 0);
        break;
    case MQTT_PUBREL:
        CHECK(rl == 2 && pkt->flags == 2 && pkt->u.packet_id != 0);
        break;
    case MQTT_SUBACK:
        CHECK(pkt->flags == 0 && pkt->u.suback.packet_id != 0 && pkt->u.suback.n_codes == rl - 2);
        CHECK(pkt->u.suback.granted <= 2 || pkt->u.suback.granted == 0x80);
        break;
    case MQTT_PINGRESP:
        CHECK(rl == 0 && pkt->flags == 0);
        break;
    case MQTT_PUBLISH: {
        const uint8_t *t = pkt->u.publish.topic, *pl = pkt->u.publish.payload;
        CHECK(pkt->u.publish.qos <= 2 && pkt->u.publish.topic_len >= 1);
        CHECK(t > buf && t + pkt->u.publish.topic_len <= buf + r);
        CHECK(pl >= t + pkt->u.publish.topic_len && pl + pkt->u.publish.payload_len == buf + r);
        CHECK((pkt->u.publish.packet_id != 0) == (pkt->u.publish.qos != 0));
        CHECK(!memchr(t, '+', pkt->u.publish.topic_len) &&
              !memchr(t, '#', pkt->u.publish.topic_len));
        break;
    }
    default:
        CHECK(!"a type a client must not receive");
    }
    CHECK(mqtt_decode(buf, r, max_packet, &again) == (int)r && same_packet(pkt, &again));
    /* every prefix needs more bytes: all of them for small packets, some for large */
    for (size_t k = 0; k < r; k = k < 300 ? k + 1 : k + 1 + (r - k) / 4)
        CHECK(mqtt_decode(buf, k, max_packet, &again) == 0);
    CHECK(mqtt_decode(buf, r - 1, max_packet, &again) == 0);

    /* a PUBLISH the client could have sent re-encodes to the same fields */
    if (pkt->type == MQTT_PUBLISH && pkt->u.publish.qos <= 1) {
        static uint8_t out[70000];
        char topic[65536];
        memcpy(topic, pkt->u.publish.topic, pkt->u.publish.topic_len);
        topic[pkt->u.publish.topic_len] = '\0'; /* no U+0000: the decoder refuses it */
        size_t n = mqtt_encode_publish(out, sizeof out, topic, pkt->u.publish.payload,
                                       pkt->u.publish.payload_len, pkt->u.publish.qos,
                                       pkt->u.publish.packet_id);
        if (pkt->u.publish.payload_len + pkt->u.publish.topic_len + 9 <= sizeof out) {
            CHECK(n > 0);
            CHECK(mqtt_decode(out, n, SIZE_MAX, &again) == (int)n);
            CHECK(again.u.publish.topic_len == pkt->u.publish.topic_len &&
                  again.u.publish.payload_len == pkt->u.publish.payload_len &&
                  again.u.publish.qos == pkt->u.publish.qos &&
                  again.u.publish.packet_id == pkt->u.publish.packet_id);
            CHECK(!memcmp(again.u.publish.payload, pkt->u.publish.payload,
                          pkt->u.publish.payload_len));
        }
    }
}

/* The stream in pieces of `piece` bytes (0: at once) into a buffer whose
 * head is decoded after each arrival, as a connection's input buffer. */
static void run(const uint8_t *s, size_t len, size_t piece, size_t max_packet, struct outcome *o)
{
    size_t have = 0, head = 0; /* s[head..have) is the buffer */

    memset(o, 0, sizeof *o);
    while (have < len) {
        have += piece && len - have > piece ? piece : len - have;
        for (;;) {
            struct mqtt_packet pkt;
            int r = mqtt_decode(s + head, have - head, max_packet, &pkt);
            CHECK(r >= -1 && r <= (int)(have - head));
            if (r == 0)
                break;
            if (r < 0) {
                o->last = -1;
                return;
            }
            check_packet(s + head, (size_t)r, max_packet, &pkt);
            head += (size_t)r;
            if (o->n == MAX_PACKETS)
                return;
            o->end[o->n] = head;
            o->type[o->n++] = pkt.type;
        }
    }
}

/* A string of up to max bytes from s, to its first NUL. */
static size_t take_string(const uint8_t *s, size_t len, size_t max, char *out)
{
    size_t n = 0;

    while (n < len && n < max && s[n] != 0) {
        out[n] = (char)s[n];
        n++;
    }
    out[n] = '\0';
    return n < len ? n + 1 : n; /* the NUL is taken too */
}

static void check_encoders(const uint8_t *s, size_t len)
{
    static uint8_t out[4096], hand[4096];
    char topic[300] = {0}, user[300] = {0}, pass[300] = {0};
    struct mqtt_packet pkt;

    if (len < 4)
        return;
    uint8_t qos = s[0] & 1;
    uint16_t id = (uint16_t)(s[1] << 8 | s[2]);
    s += 3, len -= 3;
    size_t took = take_string(s, len, 256, topic);
    size_t tlen = strlen(topic);
    const uint8_t *payload = s + took;
    size_t plen = len - took < 1024 ? len - took : 1024;

    /* PUBLISH: the encoder and a hand-built packet agree */
    size_t n = mqtt_encode_publish(out, sizeof out, topic, payload, plen, qos, id);
    size_t rl = 2 + tlen + (qos ? 2 : 0) + plen, h = 0;
    hand[h++] = (uint8_t)(0x30 | qos << 1);
    for (size_t v = rl;; v /= 128) {
        hand[h++] = (uint8_t)(v % 128 | (v >= 128 ? 0x80 : 0));
        if (v < 128)
            break;
    }
    hand[h++] = (uint8_t)(tlen >> 8);
    hand[h++] = (uint8_t)tlen;
    for (size_t i = 0; i < tlen; i++)
        hand[h++] = (uint8_t)topic[i];
    if (qos) {
        hand[h++] = (uint8_t)(id >> 8);
        hand[h++] = (uint8_t)id;
    }
    memcpy(hand + h, payload, plen);
    h += plen;
    int r = mqtt_decode(hand, h, SIZE_MAX, &pkt);
    CHECK(r == -1 || r == (int)h);
    CHECK((n > 0) == (r > 0));
    if (n) {
        CHECK(n == h && !memcmp(out, hand, n));
        CHECK(pkt.u.publish.topic_len == tlen && pkt.u.publish.payload_len == plen);
    }

    /* SUBSCRIBE: 82, remaining length, id, filter, qos (3.8) */
    n = mqtt_encode_subscribe(out, sizeof out, id, topic, s[0] >> 6);
    if (n) {
        CHECK(id != 0 && tlen > 0 && (s[0] >> 6) <= 2);
        size_t hl = 5 + tlen < 128 ? 2 : 3;
        CHECK(n == hl + 5 + tlen && out[0] == 0x82);
        CHECK(out[hl] == id >> 8 && out[hl + 1] == (id & 0xff));
        CHECK(out[hl + 2] == tlen >> 8 && out[hl + 3] == (tlen & 0xff));
        CHECK(!memcmp(out + hl + 4, topic, tlen) && out[n - 1] == s[0] >> 6);
        CHECK(mqtt_decode(out, n, SIZE_MAX, &pkt) == -1); /* only a server takes it */
    }
    /* a topic without wildcards: a filter exactly when a topic name */
    if (tlen && !strchr(topic, '+') && !strchr(topic, '#') && id && (s[0] >> 6) <= 2)
        CHECK((n > 0) == (mqtt_encode_publish(out, sizeof out, topic, "", 0, 0, 0) > 0));

    /* CONNECT: fields in order, flags that say which are there (3.1) */
    took += take_string(s + took, len - took, 256, user);
    take_string(s + took, len - took, 256, pass);
    bool with_user = s[0] & 2, with_pass = s[0] & 4, clean = s[0] & 8;
    n = mqtt_encode_connect(out, sizeof out, topic, clean, id, with_user ? user : NULL,
                            with_pass ? pass : NULL);
    if (n) {
        size_t ulen = strlen(user), pwlen = strlen(pass);
        CHECK(!with_pass || with_user);
        CHECK(tlen > 0 || clean);
        size_t want_rl = 10 + 2 + tlen + (with_user ? 2 + ulen : 0) + (with_pass ? 2 + pwlen : 0);
        size_t hl = want_rl < 128 ? 2 : 3;
        CHECK(n == hl + want_rl && out[0] == 0x10);
        CHECK(!memcmp(out + hl, "\0\4MQTT\4", 7));
        CHECK(out[hl + 7] == ((with_user ? 0x80 : 0) | (with_pass ? 0x40 : 0) | (clean ? 2 : 0)));
        CHECK(out[hl + 8] == id >> 8 && out[hl + 9] == (id & 0xff));
        size_t at = hl + 10;
        CHECK(out[at] == tlen >> 8 && out[at + 1] == (tlen & 0xff) &&
              !memcmp(out + at + 2, topic, tlen));
        at += 2 + tlen;
        if (with_user) {
            CHECK(out[at] == ulen >> 8 && out[at + 1] == (ulen & 0xff) &&
                  !memcmp(out + at + 2, user, ulen));
            at += 2 + ulen;
        }
        if (with_pass) {
            CHECK(out[at] == pwlen >> 8 && out[at + 1] == (pwlen & 0xff) &&
                  !memcmp(out + at + 2, pass, pwlen));
            at += 2 + pwlen;
        }
        CHECK(at == n);
        CHECK(mqtt_decode(out, n, SIZE_MAX, &pkt) == -1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct outcome whole, pieces;

    if (size < 2)
        return 0;
    size_t piece = data[0];
    size_t max_packet = max_packets[data[1] & 7];
    const uint8_t *s = data + 2;
    size_t len = size - 2;

    run(s, len, 0, max_packet, &whole);
    run(s, len, piece, max_packet, &pieces);
    CHECK(whole.last == pieces.last && whole.n == pieces.n);
    for (size_t i = 0; i < whole.n; i++)
        CHECK(whole.end[i] == pieces.end[i] && whole.type[i] == pieces.type[i]);
    check_encoders(s, len);
    return 0;
}
