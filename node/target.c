/* target.c - a peer's client for a real server (see target.h). */
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "conn.h"
#include "host.h"
#include "http1.h"
#include "mqtt.h"
#include "peer.h"
#include "tls.h"

/* The largest response head and body a client reads: a login answer, not a
 * download. More is a broken server (counted malformed). */
#define HTTP_MAX_HEAD (16 * 1024)
#define HTTP_MAX_BODY (1024 * 1024)
/* The largest MQTT packet a client takes: a PUBLISH from a subscription. */
#define MQTT_MAX_PACKET (256 * 1024)
/* A request: line, Host, the headers, the body. */
#define REQ_MAX                                                                                    \
    (2 * SCN_TEXT_MAX + SCN_MAX_HEADERS * (SCN_SHORT_MAX + SCN_TEXT_MAX + 4) + SCN_BODY_MAX + 256)

enum tc_phase {
    TC_IDLE = 0, /* no connection */
    TC_LOGIN,    /* connecting, or the login sent and not answered */
    TC_ONLINE,   /* logged in; presence or pings on this connection */
};

struct target_client {
    struct host *h;
    struct peer *p;
    struct bufferevent *bev;
    struct event ka_timer;  /* presence or PINGREQ, and its answer's deadline */
    struct event pub_timer; /* mqtt: the next PUBLISH */
    int64_t ka_sent_ns;     /* run time the unanswered presence or PINGREQ left */
    uint16_t packet_id;     /* mqtt: the last SUBSCRIBE or qos-1 PUBLISH */
    uint8_t phase;          /* enum tc_phase */
    bool awaiting;          /* a presence answer or PINGRESP is due */
    uint32_t in_counted;    /* bytes of the input buffer already in bytes_recv */
    struct http1_parser hp; /* https: the response being read */
};

static const struct scn_target *cfg(const struct target_client *t)
{
    return &t->h->scn->target;
}

static bool is_mqtt(const struct target_client *t)
{
    return cfg(t)->protocol == TARGET_MQTT;
}

/* How often the online peer talks (presence or PINGREQ); 0 = never. */
static int64_t ka_interval(const struct target_client *t)
{
    return is_mqtt(t) ? cfg(t)->mqtt.keepalive_ns : cfg(t)->https.presence.interval_ns;
}

/* An answer later than this (or the next keepalive, if sooner) means the
 * server is gone. */
static int64_t ka_deadline(const struct target_client *t)
{
    int64_t d = t->h->scn->peer.login.timeout_ns, iv = ka_interval(t);
    return iv > 0 && iv < d ? iv : d;
}

static int send_bytes(struct target_client *t, const void *data, size_t len)
{
    if (!t->bev || len == 0)
        return -1;
    return conn_send_raw(t->h, ROLE_PEER, t->bev, data, len);
}

/* ---- https ---- */

static int send_http(struct target_client *t, const struct scn_http_request *r)
{
    char path[SCN_TEXT_MAX + 16], body[SCN_BODY_MAX + 16], out[REQ_MAX];
    char values[SCN_MAX_HEADERS][SCN_TEXT_MAX + 16];
    struct http1_header hdr[SCN_MAX_HEADERS];
    uint32_t id = t->p->id;
    int blen;
    if (http1_expand(r->path, id, path, sizeof path) < 0 ||
        (blen = http1_expand(r->body, id, body, sizeof body)) < 0)
        return -1;
    for (uint32_t i = 0; i < r->n_headers && i < SCN_MAX_HEADERS; i++) {
        if (http1_expand(r->header_value[i], id, values[i], sizeof values[i]) < 0)
            return -1;
        hdr[i] = (struct http1_header){.name = r->header_name[i], .value = values[i]};
    }
    const struct http1_request req = {.method = r->method,
                                      .host = cfg(t)->host,
                                      .path = path,
                                      .headers = hdr,
                                      .n_headers = r->n_headers,
                                      .body = body,
                                      .body_len = (size_t)blen};
    int n = http1_format_request(&req, out, sizeof out);
    if (n < 0)
        return -1;
    http1_parser_init(&t->hp, HTTP_MAX_HEAD, HTTP_MAX_BODY, (int64_t)time(NULL));
    return send_bytes(t, out, (size_t)n);
}

static bool status_ok(const struct target_client *t, int status)
{
    int hi = cfg(t)->https.success == STATUS_2XX_3XX ? 399 : 299;
    return status >= 200 && status <= hi;
}

static void arm_ka(struct target_client *t, int64_t at_run_ns)
{
    host_arm_at(t->h, &t->ka_timer, at_run_ns);
}

/* One complete response. Returns 1 when the peer has moved on (the
 * connection may be gone), 0 to keep reading. */
static int http_response(struct target_client *t, const struct http1_response *r)
{
    struct host *h = t->h;
    if (t->phase == TC_LOGIN) {
        if (status_ok(t, r->status)) {
            int64_t iv = ka_interval(t);
            t->phase = TC_ONLINE;
            if (iv > 0 && r->keep_alive)
                arm_ka(t, host_now(h) + iv);
            else
                target_close(t); /* logged in; nothing more on this connection */
            peer_target_online(t->p);
            return 1;
        }
        if (r->status == 429 || r->status == 503) {
            if (r->retry_after_ms >= 0)
                h->m.c[C_TGT_RETRY_AFTER]++;
            peer_target_failed(t->p, C_LOGIN_BUSY,
                               r->retry_after_ms > 0 ? r->retry_after_ms * NS_PER_MS : 0);
        } else {
            peer_target_failed(t->p, C_LOGIN_FAIL, 0);
        }
        return 1;
    }
    if (t->phase != TC_ONLINE || !t->awaiting) { /* an answer to nothing */
        h->m.c[C_MALFORMED]++;
        peer_target_lost(t->p);
        return 1;
    }
    t->awaiting = false;
    if (!status_ok(t, r->status)) {
        h->m.c[C_TGT_PRESENCE_FAIL]++;
        peer_target_lost(t->p);
        return 1;
    }
    if (!r->keep_alive) { /* the server closes: this session is over */
        peer_target_lost(t->p);
        return 1;
    }
    arm_ka(t, t->ka_sent_ns + ka_interval(t));
    return 0;
}

/* The connection broke, or the stream is not the protocol: an error of the
 * login attempt, or the end of an online session. */
static void connection_broken(struct target_client *t)
{
    if (t->phase == TC_LOGIN)
        peer_target_failed(t->p, C_LOGIN_ERROR, 0);
    else
        peer_target_lost(t->p);
}

static void http_read(struct target_client *t, struct evbuffer *in)
{
    for (;;) {
        size_t len = evbuffer_get_length(in), used = 0;
        if (len == 0)
            return;
        const char *data = (const char *)evbuffer_pullup(in, -1);
        struct http1_response r;
        enum http1_result st = http1_parse(&t->hp, data, len, &used, &r);
        evbuffer_drain(in, used);
        if (st == HTTP1_MORE)
            return;
        if (st == HTTP1_BAD) {
            t->h->m.c[C_MALFORMED]++;
            connection_broken(t);
            return;
        }
        if (http_response(t, &r) || !t->bev)
            return;
    }
}

/* ---- mqtt ---- */

static int send_connect(struct target_client *t)
{
    const struct scn_target_mqtt *m = &cfg(t)->mqtt;
    char id[SCN_TEXT_MAX + 16];
    uint8_t out[2 * SCN_TEXT_MAX + 2 * SCN_SHORT_MAX + 64];
    if (http1_expand(m->client_id, t->p->id, id, sizeof id) < 0)
        return -1;
    size_t n = mqtt_encode_connect(
        out, sizeof out, id, m->clean_session, (uint16_t)(m->keepalive_ns / NS_PER_S),
        m->username[0] ? m->username : NULL, m->password[0] ? m->password : NULL);
    return n ? send_bytes(t, out, n) : -1;
}

static uint16_t next_packet_id(struct target_client *t)
{
    if (++t->packet_id == 0) /* 0 is not a packet identifier */
        t->packet_id = 1;
    return t->packet_id;
}

static int send_subscribe(struct target_client *t)
{
    const struct scn_target_mqtt *m = &cfg(t)->mqtt;
    char topic[SCN_TEXT_MAX + 16];
    uint8_t out[SCN_TEXT_MAX + 32];
    if (http1_expand(m->subscribe_topic, t->p->id, topic, sizeof topic) < 0)
        return -1;
    size_t n =
        mqtt_encode_subscribe(out, sizeof out, next_packet_id(t), topic, (uint8_t)m->subscribe_qos);
    return n ? send_bytes(t, out, n) : -1;
}

static void pub_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct target_client *t = arg;
    const struct scn_target_mqtt *m = &cfg(t)->mqtt;
    char topic[SCN_TEXT_MAX + 16];
    uint8_t *out = NULL;
    size_t cap = m->publish_size + SCN_TEXT_MAX + 32, n = 0;
    uint8_t *payload = malloc(m->publish_size + 1);
    if (payload && (out = malloc(cap)) &&
        http1_expand(m->publish_topic, t->p->id, topic, sizeof topic) >= 0) {
        /* The payload's bytes: the peer's id, then filler. */
        memset(payload, 'x', m->publish_size);
        int k = snprintf((char *)payload, m->publish_size + 1, "%u", t->p->id);
        if (k > 0 && (size_t)k < m->publish_size)
            payload[k] = ' ';
        n = mqtt_encode_publish(out, cap, topic, payload, m->publish_size, (uint8_t)m->publish_qos,
                                m->publish_qos ? next_packet_id(t) : 0);
    }
    int rc = n ? send_bytes(t, out, n) : -1;
    free(out);
    free(payload);
    if (rc < 0) {
        t->h->m.c[C_SOCKET_ERRORS]++;
        peer_target_lost(t->p);
        return;
    }
    t->h->m.c[C_MQTT_PUBLISHED]++;
    host_arm_in(&t->pub_timer, m->publish_interval_ns);
}

static void mqtt_online(struct target_client *t)
{
    const struct scn_target_mqtt *m = &cfg(t)->mqtt;
    t->phase = TC_ONLINE;
    if (m->subscribe_topic[0] && send_subscribe(t) < 0) {
        peer_target_lost(t->p);
        return;
    }
    if (m->keepalive_ns > 0)
        arm_ka(t, host_now(t->h) + m->keepalive_ns);
    if (m->publish_topic[0]) /* spread over one interval: the peers did not boot together */
        host_arm_in(&t->pub_timer,
                    (int64_t)(rng_uniform(&t->p->rng) * (double)m->publish_interval_ns));
}

/* One decoded packet. Returns 1 when the peer has moved on. */
static int mqtt_packet(struct target_client *t, const struct mqtt_packet *pk)
{
    struct host *h = t->h;
    if (t->phase == TC_LOGIN) {
        if (pk->type != MQTT_CONNACK) { /* the server must answer CONNECT first */
            h->m.c[C_MALFORMED]++;
            peer_target_failed(t->p, C_LOGIN_ERROR, 0);
            return 1;
        }
        if (pk->u.connack.rc == MQTT_RC_ACCEPTED) {
            peer_target_online(t->p);
            mqtt_online(t);
            return !t->bev; /* a SUBSCRIBE that could not go out ends it */
        }
        peer_target_failed(
            t->p, pk->u.connack.rc == MQTT_RC_UNAVAILABLE ? C_LOGIN_BUSY : C_LOGIN_FAIL, 0);
        return 1;
    }
    switch (pk->type) {
    case MQTT_PINGRESP:
        if (!t->awaiting)
            break;
        t->awaiting = false;
        arm_ka(t, t->ka_sent_ns + ka_interval(t));
        return 0;
    case MQTT_SUBACK:
        h->m.c[pk->u.suback.granted == 0x80 ? C_MQTT_SUB_REFUSED : C_MQTT_SUBSCRIBED]++;
        return 0;
    case MQTT_PUBACK:
        h->m.c[C_MQTT_PUBACKS]++;
        return 0;
    case MQTT_PUBLISH:
        h->m.c[C_MQTT_RECEIVED]++;
        if (pk->u.publish.qos == 1) { /* PUBACK: the packet identifier back (MQTT 3.6) */
            uint8_t ack[4] = {MQTT_PUBACK << 4, 2, (uint8_t)(pk->u.publish.packet_id >> 8),
                              (uint8_t)pk->u.publish.packet_id};
            if (send_bytes(t, ack, sizeof ack) < 0) {
                peer_target_lost(t->p);
                return 1;
            }
        }
        return 0;
    default:
        break;
    }
    h->m.c[C_MALFORMED]++; /* a second CONNACK, a PINGRESP to nothing */
    peer_target_lost(t->p);
    return 1;
}

static void mqtt_read(struct target_client *t, struct evbuffer *in)
{
    for (;;) {
        size_t len = evbuffer_get_length(in);
        if (len == 0)
            return;
        const uint8_t *data = evbuffer_pullup(in, -1);
        struct mqtt_packet pk;
        int n = mqtt_decode(data, len, MQTT_MAX_PACKET, &pk);
        if (n == 0)
            return;
        if (n < 0) {
            t->h->m.c[C_MALFORMED]++;
            connection_broken(t);
            return;
        }
        /* Only the packet's numbers are used, never its pointers into the
         * buffer: drain first, since handling it may close the connection. */
        evbuffer_drain(in, (size_t)n);
        if (mqtt_packet(t, &pk) || !t->bev)
            return;
    }
}

/* ---- the connection ---- */

static void on_read(struct bufferevent *bev, void *arg)
{
    struct target_client *t = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    /* Only what arrived since the last call: an incomplete MQTT packet stays
     * in the buffer until the rest of it comes. */
    t->h->m.c[C_BYTES_RECV] += evbuffer_get_length(in) - t->in_counted;
    if (is_mqtt(t))
        mqtt_read(t, in);
    else
        http_read(t, in);
    /* (The input is capped below 4 GiB by its watermark.) If the connection
     * closed, bev and its buffer are gone. */
    t->in_counted = t->bev == bev ? (uint32_t)evbuffer_get_length(in) : 0;
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct target_client *t = arg;
    struct host *h = t->h;
    struct peer *p = t->p;
    if (what & BEV_EVENT_CONNECTED) {
        SSL *ssl = bufferevent_openssl_get_ssl(bev);
        if (ssl) { /* the handshake is done and, with verify, the certificate checked */
            bool resumed = SSL_session_reused(ssl) == 1;
            p->handshakes++;
            p->resumed += resumed;
            h->m.c[resumed ? C_LOGIN_RESUMED : C_LOGIN_FULL]++;
        }
        int rc = is_mqtt(t) ? send_connect(t) : send_http(t, &cfg(t)->https.login);
        if (rc < 0) {
            peer_target_failed(p, C_LOGIN_ERROR, 0);
            return;
        }
        h->m.c[C_TGT_REQUESTS]++;
        return;
    }
    while (bufferevent_get_openssl_error(bev))
        ; /* drain, or the errors leak into the next connection's report */
    if ((what & BEV_EVENT_EOF) && !is_mqtt(t) &&
        (t->phase == TC_LOGIN || (t->phase == TC_ONLINE && t->awaiting))) {
        /* A body delimited by the close ends here. */
        struct http1_response r;
        if (http1_parser_eof(&t->hp, &r) == HTTP1_DONE && http_response(t, &r))
            return;
    }
    connection_broken(t);
}

/* The presence or PINGREQ is due, or its answer is late. */
static void ka_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct target_client *t = arg;
    struct host *h = t->h;
    if (t->phase != TC_ONLINE)
        return;
    if (t->awaiting) {
        h->m.c[C_TGT_PRESENCE_FAIL]++;
        peer_target_lost(t->p);
        return;
    }
    int rc;
    if (is_mqtt(t)) {
        uint8_t out[2];
        size_t n = mqtt_encode_pingreq(out, sizeof out);
        rc = n ? send_bytes(t, out, n) : -1;
    } else {
        rc = send_http(t, &cfg(t)->https.presence);
    }
    if (rc < 0) {
        h->m.c[C_SOCKET_ERRORS]++;
        peer_target_lost(t->p);
        return;
    }
    h->m.c[C_KEEPALIVES]++;
    t->awaiting = true;
    t->ka_sent_ns = host_now(h);
    arm_ka(t, t->ka_sent_ns + ka_deadline(t));
}

int target_login(struct target_client *t)
{
    struct host *h = t->h;
    struct peer *p = t->p;
    const struct scn_target *c = cfg(t);
    target_close(t);
    SSL *ssl = NULL;
    if (c->tls) {
        if (!h->target_ctx || !(ssl = tls_target_ssl(h->target_ctx, c->host, c->verify)))
            return -1;
        if (h->scn->peer.resume == RESUME_TICKET) {
            /* Offer the last session's ticket, and keep the one this login brings. */
            tls_client_keep_session(ssl, &p->tls_sess);
            if (p->tls_sess && SSL_set_session(ssl, p->tls_sess) != 1)
                ERR_clear_error(); /* then a full handshake */
        }
    }
    if (conn_connect_ssl(h, ROLE_PEER, ssl, p->ip, c->address, c->port, on_read, NULL, on_event, t,
                         &t->bev) != CONN_STARTED) {
        h->m.c[C_SOCKET_ERRORS]++;
        return -1;
    }
    /* conn.c caps a connection's input at two wire frames (128 KiB): an MQTT
     * packet, decoded only once whole, may be up to MQTT_MAX_PACKET, and
     * below that cap it would never arrive (libevent stops reading). */
    if (is_mqtt(t))
        bufferevent_setwatermark(t->bev, EV_READ, 0, MQTT_MAX_PACKET);
    /* A fresh parser for this connection: a close before its request went
     * out must not complete the last connection's response (on_event). */
    http1_parser_init(&t->hp, HTTP_MAX_HEAD, HTTP_MAX_BODY, (int64_t)time(NULL));
    t->phase = TC_LOGIN;
    return 0;
}

void target_close(struct target_client *t)
{
    event_del(&t->ka_timer);
    event_del(&t->pub_timer);
    if (t->bev) {
        conn_close(t->h, t->bev);
        t->bev = NULL;
    }
    t->in_counted = 0;
    t->phase = TC_IDLE;
    t->awaiting = false;
}

struct target_client *target_client_new(struct host *h, struct peer *p)
{
    struct target_client *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->h = h;
    t->p = p;
    evtimer_assign(&t->ka_timer, h->base, ka_tick, t);
    evtimer_assign(&t->pub_timer, h->base, pub_tick, t);
    return t;
}

void target_client_free(struct target_client *t)
{
    if (!t)
        return;
    target_close(t);
    free(t);
}
