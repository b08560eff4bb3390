/* mqtt.c - MQTT 3.1.1 client packets (node/mqtt.h).
 *
 * Section numbers are those of the OASIS standard (29 October 2014). Every
 * encoder first computes the remaining length and checks it against cap,
 * then writes; nothing is written past cap, though a refused packet may
 * leave bytes of itself in out. */
#include "node/mqtt.h"

#include <string.h>

/* ---- strings ---- */

/* Well-formed UTF-8 without U+0000 (1.5.3): no overlong form, no surrogate
 * (U+D800..U+DFFF), nothing above U+10FFFF. */
static bool utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return false; /* a continuation byte, or 0xf8..0xff */
        }
        if (n - i - 1 < k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += k + 1;
    }
    return true;
}

/* A C string usable as an MQTT UTF-8 string: its length in *n. */
static bool str_ok(const char *s, size_t *n)
{
    if (!s)
        return false;
    *n = strlen(s);
    return *n <= MQTT_MAX_STRING && utf8_ok((const uint8_t *)s, *n);
}

/* A topic name (4.7): non-empty, no wildcard. */
static bool topic_name_ok(const uint8_t *t, size_t n)
{
    return n > 0 && !memchr(t, '+', n) && !memchr(t, '#', n);
}

/* A topic filter (4.7.1): non-empty, '+' a whole level, '#' a whole level
 * and the last one. */
static bool topic_filter_ok(const char *f, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool starts_level = i == 0 || f[i - 1] == '/';
        bool ends_level = i + 1 == n || f[i + 1] == '/';

        if (f[i] == '+' && (!starts_level || !ends_level))
            return false;
        if (f[i] == '#' && (!starts_level || i + 1 != n))
            return false;
    }
    return true;
}

/* ---- encoding ---- */

/* Bytes of the remaining length field (2.2.3) for rl <= MQTT_MAX_REMAINING. */
static size_t rl_bytes(size_t rl)
{
    return rl < 128 ? 1 : rl < 16384 ? 2 : rl < 2097152 ? 3 : 4;
}

struct writer {
    uint8_t *p;
};

static void put_u8(struct writer *w, uint8_t v)
{
    *w->p++ = v;
}

static void put_u16(struct writer *w, uint16_t v)
{
    put_u8(w, (uint8_t)(v >> 8));
    put_u8(w, (uint8_t)v);
}

static void put_bytes(struct writer *w, const void *b, size_t n)
{
    if (n)
        memcpy(w->p, b, n);
    w->p += n;
}

/* A length-prefixed string or binary field (1.5.3); n <= 65535. */
static void put_field(struct writer *w, const void *b, size_t n)
{
    put_u16(w, (uint16_t)n);
    put_bytes(w, b, n);
}

/* The fixed header of a packet whose remaining length is rl, when the whole
 * packet fits in cap: returns the total length (0: does not fit). */
static size_t begin(struct writer *w, uint8_t *out, size_t cap, uint8_t first, size_t rl)
{
    if (rl > MQTT_MAX_REMAINING || !out || cap < 1 + rl_bytes(rl) || cap - 1 - rl_bytes(rl) < rl)
        return 0;
    w->p = out;
    put_u8(w, first);
    do {
        uint8_t b = rl % 128;
        rl /= 128;
        put_u8(w, rl ? (uint8_t)(b | 0x80) : b);
    } while (rl);
    return (size_t)(w->p - out);
}

size_t mqtt_encode_connect(uint8_t *out, size_t cap, const char *client_id, bool clean_session,
                           uint16_t keepalive_s, const char *username, const char *password)
{
    static const uint8_t head[7] = {0, 4, 'M', 'Q', 'T', 'T', 4}; /* 3.1.2.1, level 4 */
    size_t cid_len, user_len = 0, pass_len = 0;
    uint8_t flags = clean_session ? 0x02 : 0;
    struct writer w;

    if (!str_ok(client_id, &cid_len) || (cid_len == 0 && !clean_session))
        return 0;
    if (username) {
        if (!str_ok(username, &user_len))
            return 0;
        flags |= 0x80;
    }
    if (password) {
        pass_len = strlen(password);
        if (!username || pass_len > MQTT_MAX_STRING)
            return 0;
        flags |= 0x40;
    }
    size_t rl = sizeof head + 1 + 2 + 2 + cid_len + (username ? 2 + user_len : 0) +
                (password ? 2 + pass_len : 0);
    size_t hdr = begin(&w, out, cap, MQTT_CONNECT << 4, rl);
    if (!hdr)
        return 0;
    put_bytes(&w, head, sizeof head);
    put_u8(&w, flags);
    put_u16(&w, keepalive_s);
    put_field(&w, client_id, cid_len);
    if (username)
        put_field(&w, username, user_len);
    if (password)
        put_field(&w, password, pass_len);
    return hdr + rl;
}

size_t mqtt_encode_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *topic_filter,
                             uint8_t qos)
{
    size_t flen;
    struct writer w;

    if (packet_id == 0 || qos > 2 || !str_ok(topic_filter, &flen) ||
        !topic_filter_ok(topic_filter, flen))
        return 0;
    size_t rl = 2 + 2 + flen + 1;
    size_t hdr = begin(&w, out, cap, MQTT_SUBSCRIBE << 4 | 0x2, rl); /* 3.8.1: flags 0010 */
    if (!hdr)
        return 0;
    put_u16(&w, packet_id);
    put_field(&w, topic_filter, flen);
    put_u8(&w, qos);
    return hdr + rl;
}

size_t mqtt_encode_publish(uint8_t *out, size_t cap, const char *topic, const void *payload,
                           size_t len, uint8_t qos, uint16_t packet_id)
{
    size_t tlen;
    struct writer w;

    if (qos > 1 || (qos == 1 && packet_id == 0) || (len && !payload) || !str_ok(topic, &tlen) ||
        !topic_name_ok((const uint8_t *)topic, tlen))
        return 0;
    size_t fixed = 2 + tlen + (qos ? 2 : 0);
    if (len > MQTT_MAX_REMAINING - fixed)
        return 0;
    size_t rl = fixed + len;
    size_t hdr = begin(&w, out, cap, (uint8_t)(MQTT_PUBLISH << 4 | qos << 1), rl);
    if (!hdr)
        return 0;
    put_field(&w, topic, tlen);
    if (qos)
        put_u16(&w, packet_id);
    put_bytes(&w, payload, len);
    return hdr + rl;
}

size_t mqtt_encode_pingreq(uint8_t *out, size_t cap)
{
    struct writer w;
    return begin(&w, out, cap, MQTT_PINGREQ << 4, 0);
}

size_t mqtt_encode_disconnect(uint8_t *out, size_t cap)
{
    struct writer w;
    return begin(&w, out, cap, MQTT_DISCONNECT << 4, 0);
}

/* ---- decoding ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Whether a client may receive this first byte (2.2.1, 2.2.2). */
static bool first_byte_ok(uint8_t b)
{
    uint8_t flags = b & 0x0f;

    switch (b >> 4) {
    case MQTT_CONNACK:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBCOMP:
    case MQTT_SUBACK:
    case MQTT_UNSUBACK:
    case MQTT_PINGRESP:
        return flags == 0;
    case MQTT_PUBREL:
        return flags == 0x2;
    case MQTT_PUBLISH: {
        uint8_t qos = (flags >> 1) & 3;
        return qos != 3 && !(qos == 0 && (flags & 0x8)); /* 3.3.1-2, 3.3.1-4 */
    }
    default:
        return false; /* 0, 15, and what only a server receives */
    }
}

/* Whether a remaining length suits the type (3.2 to 3.13). */
static bool rl_ok(uint8_t type, uint8_t flags, uint32_t rl)
{
    switch (type) {
    case MQTT_CONNACK:
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_UNSUBACK:
        return rl == 2;
    case MQTT_PINGRESP:
        return rl == 0;
    case MQTT_SUBACK:
        return rl >= 3; /* packet id and at least one return code */
    case MQTT_PUBLISH:
        return rl >= 2u + 1 + (flags & 0x6 ? 2 : 0); /* a topic of 1 byte at least */
    default:
        return false;
    }
}

int mqtt_decode(const uint8_t *buf, size_t len, size_t max_packet, struct mqtt_packet *pkt)
{
    uint32_t rl = 0;
    size_t hdr = 0;

    if (len < 1)
        return 0;
    if (!first_byte_ok(buf[0]))
        return -1;
    uint8_t type = buf[0] >> 4, flags = buf[0] & 0x0f;
    for (size_t k = 0; k < 4; k++) {
        if (1 + k >= len)
            return 0;
        rl |= (uint32_t)(buf[1 + k] & 0x7f) << (7 * k);
        if (!(buf[1 + k] & 0x80)) {
            hdr = 2 + k;
            break;
        }
    }
    if (!hdr)
        return -1; /* a fifth byte of remaining length */
    if (rl > max_packet || hdr > max_packet - rl || !rl_ok(type, flags, rl))
        return -1;
    size_t total = hdr + rl;
    if (len < total)
        return 0;

    const uint8_t *b = buf + hdr;
    memset(pkt, 0, sizeof *pkt);
    pkt->type = type;
    pkt->flags = flags;
    switch (type) {
    case MQTT_CONNACK:
        if (b[0] & 0xfe || b[1] > MQTT_RC_NOT_AUTHORIZED || (b[0] & 1 && b[1] != 0))
            return -1; /* 3.2.2.1 reserved bits, 3.2.2.3 return codes, 3.2.2-4 */
        pkt->u.connack.session_present = b[0] & 1;
        pkt->u.connack.rc = b[1];
        break;
    case MQTT_PUBACK:
    case MQTT_PUBREC:
    case MQTT_PUBREL:
    case MQTT_PUBCOMP:
    case MQTT_UNSUBACK:
        pkt->u.packet_id = be16(b);
        if (pkt->u.packet_id == 0)
            return -1; /* 2.3.1-1 */
        break;
    case MQTT_SUBACK:
        pkt->u.suback.packet_id = be16(b);
        if (pkt->u.suback.packet_id == 0)
            return -1;
        for (uint32_t i = 2; i < rl; i++)
            if (b[i] > 2 && b[i] != 0x80)
                return -1; /* 3.9.3-2 */
        pkt->u.suback.granted = b[2];
        pkt->u.suback.n_codes = rl - 2;
        break;
    case MQTT_PUBLISH: {
        uint8_t qos = (flags >> 1) & 3;
        uint16_t tlen = be16(b);
        uint32_t fixed = 2u + tlen + (qos ? 2 : 0);
        if (tlen == 0 || fixed > rl || !utf8_ok(b + 2, tlen) || !topic_name_ok(b + 2, tlen))
            return -1; /* 4.7.3-1, 1.5.3, 3.3.2-2 */
        pkt->u.publish.topic = b + 2;
        pkt->u.publish.topic_len = tlen;
        pkt->u.publish.qos = qos;
        pkt->u.publish.retain = flags & 1;
        pkt->u.publish.dup = (flags & 0x8) != 0;
        if (qos) {
            pkt->u.publish.packet_id = be16(b + 2 + tlen);
            if (pkt->u.publish.packet_id == 0)
                return -1;
        }
        pkt->u.publish.payload = b + fixed;
        pkt->u.publish.payload_len = rl - fixed;
        break;
    }
    default: /* PINGRESP */
        break;
    }
    return (int)total;
}

const char *mqtt_type_name(uint8_t type)
{
    static const char *const names[16] = {"RESERVED",  "CONNECT",  "CONNACK",     "PUBLISH",
                                          "PUBACK",    "PUBREC",   "PUBREL",      "PUBCOMP",
                                          "SUBSCRIBE", "SUBACK",   "UNSUBSCRIBE", "UNSUBACK",
                                          "PINGREQ",   "PINGRESP", "DISCONNECT",  "RESERVED"};
    return type < 16 ? names[type] : "?";
}
