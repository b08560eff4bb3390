/* mqtt.h - the MQTT 3.1.1 client codec of the mqtt target (node/target.c).
 *
 * Plain byte buffers in and out: no sockets, no libevent, no allocation.
 * The encoders write the packets a client sends (CONNECT without a will,
 * SUBSCRIBE to one filter, PUBLISH at QoS 0 or 1, PINGREQ, DISCONNECT) and
 * refuse what a broker would close the connection for: a string over 65535
 * bytes or not well-formed UTF-8 (MQTT 1.5.3: no surrogates, no overlong
 * forms, nothing above U+10FFFF, no U+0000), an empty topic, a wildcard in
 * a topic name or a misplaced one in a filter (4.7.1), packet identifier 0
 * (2.3.1), a password without a user name (3.1.2-22), an empty client
 * identifier without clean_session (3.1.3-7). The decoder takes the packets
 * a client receives, checks every rule of the standard a receiver can check,
 * and tells an incomplete packet (0) from a malformed one (-1) as early as
 * the fixed header allows. */
#ifndef BS_MQTT_H
#define BS_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mqtt_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5, /* QoS 2, decoded (packet_id) */
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11, /* decoded (packet_id) */
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
};

enum mqtt_connack_rc {
    MQTT_RC_ACCEPTED = 0,
    MQTT_RC_BAD_VERSION = 1,
    MQTT_RC_ID_REJECTED = 2,
    MQTT_RC_UNAVAILABLE = 3,
    MQTT_RC_BAD_CREDENTIALS = 4,
    MQTT_RC_NOT_AUTHORIZED = 5,
};

#define MQTT_MAX_REMAINING 268435455u /* 4 bytes of remaining length (2.2.3) */
#define MQTT_MAX_STRING 65535u

/* Encoders write one packet into out and return its length, or 0 if it does
 * not fit in cap or a string is longer than 65535 bytes or holds invalid
 * UTF-8 / U+0000 (MQTT 1.5.3), or breaks one of the rules above. The
 * password is binary data in MQTT 3.1.1 (3.1.3.5): only its length is
 * checked. */
size_t mqtt_encode_connect(uint8_t *out, size_t cap, const char *client_id, bool clean_session,
                           uint16_t keepalive_s, const char *username /* NULL: none */,
                           const char *password /* NULL: none; needs username */);
/* qos 0..2; topic_filter non-empty, '+' and '#' only as whole levels and
 * '#' only last. */
size_t mqtt_encode_subscribe(uint8_t *out, size_t cap, uint16_t packet_id, const char *topic_filter,
                             uint8_t qos);
/* DUP and RETAIN 0; topic non-empty without '+' or '#'; payload may be NULL
 * when len is 0. */
size_t mqtt_encode_publish(uint8_t *out, size_t cap, const char *topic, const void *payload,
                           size_t len, uint8_t qos /* 0 or 1 */,
                           uint16_t packet_id /* used when qos 1: not 0 */);
size_t mqtt_encode_pingreq(uint8_t *out, size_t cap);
size_t mqtt_encode_disconnect(uint8_t *out, size_t cap);

struct mqtt_packet {
    uint8_t type;  /* enum mqtt_type */
    uint8_t flags; /* low nibble of the fixed header */
    union {
        struct {
            bool session_present;
            uint8_t rc;
        } connack;
        uint16_t packet_id; /* PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK */
        struct {
            uint16_t packet_id;
            uint8_t granted;  /* the first return code: 0..2, or 0x80 = failure */
            uint32_t n_codes; /* return codes in the packet (1 or more) */
        } suback;
        struct {
            const uint8_t *topic; /* pointers into the input buffer */
            uint16_t topic_len;
            const uint8_t *payload;
            uint32_t payload_len;
            uint8_t qos;
            uint16_t packet_id; /* 0 at QoS 0 */
            bool retain;
            bool dup;
        } publish;
    } u;
};

/* Decode the packet at the head of buf[0..len): returns the bytes it takes
 * (> 0) and fills *pkt; 0 when more bytes are needed; -1 when malformed.
 * Malformed: the type is one a client must not receive (0, CONNECT,
 * SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT, 15); the flags are not the
 * ones 2.2.2 fixes (PUBREL 0010, the others 0000; PUBLISH: QoS 3, or DUP at
 * QoS 0); the remaining length takes more than 4 bytes, or the whole packet
 * (fixed header included) is larger than max_packet; the remaining length
 * is not the type's (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK 2,
 * PINGRESP 0, SUBACK 3 or more, PUBLISH enough for a topic of 1 byte and the
 * packet identifier); CONNACK with reserved bits set, rc > 5, or
 * session_present with a nonzero rc; packet identifier 0; a SUBACK return
 * code other than 0, 1, 2, 0x80; a PUBLISH topic longer than the packet,
 * empty, with a wildcard, or not well-formed UTF-8. The checks of the fixed
 * header are made as soon as its bytes are there, those of the rest once the
 * whole packet is; so a prefix of a valid packet always returns 0. */
int mqtt_decode(const uint8_t *buf, size_t len, size_t max_packet, struct mqtt_packet *pkt);

/* "CONNACK", "PUBLISH", ...; "RESERVED" for 0 and 15, "?" above 15. */
const char *mqtt_type_name(uint8_t type);

#endif
