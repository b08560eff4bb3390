/* peer.h - an ordinary node and its boot sequence (design 4.1).
 *
 *   OFF -> BOOTING -> LOGIN <-> LOGIN_WAIT
 *                                   |
 *                                   v
 *            ONLINE <- REGISTER <-> REGISTER_WAIT     (any failure backs off
 *              |                                      per the retry policy)
 *              +-- connection lost -> REGISTER_WAIT
 *
 * With architecture: dht, REGISTER is the DHT join (node/dht_node.h) and
 * LOGIN is skipped unless dht.login. With architecture: target, LOGIN is the
 * login to the real server (node/target.h) and leads straight to ONLINE; a
 * lost connection or failed presence backs off per peer.login. With architecture: settop the peer
 * is a set-top box: BOOTING -> FETCH <-> FETCH_WAIT (the boot image, node/settop_box.h) -> REGISTER
 * with the head-end, no login.
 *
 * One timer and at most one connection per peer; the host cache survives
 * reboots, the ticket does not, the TLS session does if
 * peer.login.session_on_reboot is keep. set_state (peer.c) is the only place the
 * state changes, and it alone moves the state gauges (off, booting,
 * logging_in, registering, online, gave_up and the in-flight counts). */
#ifndef BS_PEER_H
#define BS_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event_struct.h>

#include "common/metrics.h"
#include "common/retry.h"
#include "common/attribution.h"
#include "common/rng.h"
#include "host_cache.h"
#include "role_table.h"
#include "wire.h"

struct host;
struct dht_node;
struct settop_box;
struct target_client;

enum peer_state {
    PEER_OFF = 0,
    PEER_BOOTING,    /* OS boot delay */
    PEER_LOGIN,      /* TLS connect + LOGIN_REQ in flight */
    PEER_LOGIN_WAIT, /* backing off before the next login attempt */
    PEER_REGISTER,   /* TCP connect + REGISTER in flight */
    PEER_REGISTER_WAIT,
    PEER_ONLINE,
    PEER_GAVE_UP,    /* the retry policy allowed no further attempt */
    PEER_FETCH,      /* settop: getting the boot image (node/settop_box.h) */
    PEER_FETCH_WAIT, /* settop: backing off before the next download attempt */
};

struct peer {
    struct host *h;
    struct bufferevent *bev;   /* login or registration connection; NULL while parked */
    struct host_cache cache;   /* peer.host_cache entries */
    struct supernode *as_sn;   /* set while this peer also serves as a supernode */
    struct dht_node *dht;      /* architecture: dht: its Kademlia node; else NULL */
    struct settop_box *box;    /* architecture: settop: its image fetch; else NULL */
    struct target_client *tgt; /* architecture: target: its client; else NULL */
    int64_t up_since_ns;       /* run time of the last boot: uptime for promotion */
    struct event timer;
    struct event *parked; /* its registration connection's fd while parked (conn.h) */
    struct rng rng;
    struct retry_state retry;   /* backoff of the current phase */
    struct retry_guard g_login; /* budgets and throttles, per channel (settop: downloads) */
    struct retry_guard g_reg;
    struct retry_guard g_req; /* steady-state requests (node/workload.c) */
    struct wire_ticket ticket;
    struct ssl_session_st *tls_sess; /* the last login's TLS session (peer.login.resume) */
    int64_t attempt_start_ns;
    int64_t first_online_ns; /* run time; -1 until first online */
    /* The emulator's share (common/attribution.h): */
    int64_t timer_due_ns;         /* run time the timer should fire */
    struct emu_mark attempt_mark; /* the rank's emulator clocks when this attempt started */
    struct emu_mark boot_mark;    /* ... when the peer last powered on */
    int64_t first_emu_ns;         /* the emulator's delay from power-on to first online */
    uint16_t handshakes;          /* TLS handshakes done since power-on */
    uint16_t resumed;             /* ... of which resumed (in what was padding) */
    uint32_t id;
    uint32_t ip;
    uint32_t attempts; /* login attempts over the whole run */
    uint32_t ka_seq;
    uint16_t sn_slot; /* cache entry of the current SN */
    uint8_t state;
    bool has_ticket;
    bool ticket_refused; /* a ticket was refused since the last REGISTER_OK or boot */
    bool at_front_door;  /* central: this REGISTER attempt is still at the front door */
};

/* The role's operations (node/role_table.h): create, destroy, and the
 * event actions. Power-on only affects a peer that is off; reboot and crash
 * only one that is up (booting or later). A crashed peer stays off until a
 * later boot event. */
extern const struct role_ops peer_role;

/* architecture: dht: the node's join attempt ended (node/dht_node.h):
 * online, or failed for `why` (a reg_* counter) and backing off per
 * peer.register. */
void peer_dht_joined(struct peer *p, bool ok, enum metric_counter why);

/* architecture: settop: the box's fetch ended: the image is complete (and
 * checked, if the box verifies), or the download attempt failed for `why`
 * (a dl_* counter) with the server's retry-after hint, and the peer backs
 * off per settop.download. */
void peer_settop_fetched(struct peer *p, bool ok, enum metric_counter why, int64_t hint_ns);

/* architecture: target (node/target.h): the login attempt worked; it
 * failed for `why` (a login_* counter) with the server's retry-after hint;
 * an online peer's connection or presence failed. */
void peer_target_online(struct peer *p);
void peer_target_failed(struct peer *p, enum metric_counter why, int64_t hint_ns);
void peer_target_lost(struct peer *p);

#endif
