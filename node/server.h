/* server.h - the server side of a TCP role: listener, connections, capacity.
 *
 * Login servers and supernodes share one connection lifecycle, kept here:
 *
 *   accept -> open -(message)-> role's on_msg ... -> close -> freed
 *                                 |                   ^
 *                                 +-> request in the capacity model: the
 *                                     connection outlives its socket until
 *                                     the request is served or dropped
 *
 * A role embeds `struct srv_conn` at the start of its own connection struct
 * (conn_size) and supplies a struct server_ops. The server owns the
 * connections: it frees them when they close with no request inside the
 * capacity model, when a served or dropped request finds its client gone,
 * and when the server stops. Closing a connection whose request is queued
 * leaves the request to be served (and counted as wasted) unless the
 * capacity model drops abandoned requests: the server learns that its
 * client left only when it replies, as a real one does.
 *
 * A server closes a client that overstays (design: no slowloris). Each
 * accepted connection has one timer, set by the role as its state moves:
 *   - a deadline (srv_conn_deadline): absolute; bytes and frames do not move
 *     it. From accept, the role's request_deadline runs until the first
 *     request is complete; after the final answer, its linger.
 *   - an idle timeout (srv_conn_idle): restarted by each complete frame only,
 *     so a client trickling bytes cannot keep it alive.
 *   - none (srv_conn_no_timer): while the request waits in the server's own
 *     queue, the wait is the server's, not the client's.
 * Each listener also caps its open accepted connections (max_conns: one
 * beyond it is accepted and closed at once, counted conn_capped), and a
 * client that does not read its answers is dropped once SRV_OUTPUT_MAX bytes
 * wait for it beyond the kernel's SRV_SNDBUF (conn_overflow). */
#ifndef BS_SERVER_H
#define BS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>
#include <openssl/ssl.h>

#include "capacity.h"
#include "common/role.h"
#include "conn.h"
#include "wire.h"

struct host;
struct server;
struct listener;

/* Output waiting for a client beyond which the server drops it. A node's
 * answers are a few hundred bytes each: only a client that stopped reading
 * gets here. */
#define SRV_OUTPUT_MAX (16 * 1024)
/* The kernel send buffer of an accepted connection (SO_SNDBUF; Linux
 * doubles it), so that the kernel does not hide a client that stopped
 * reading behind megabytes of autotuned buffer. */
#define SRV_SNDBUF (64 * 1024)

enum srv_timer { SRV_TIMER_OFF = 0, SRV_TIMER_DEADLINE, SRV_TIMER_IDLE, SRV_TIMER_OVERFLOW };

struct srv_conn {
    LIST_ENTRY(srv_conn) link;
    struct server *srv;
    struct bufferevent *bev; /* NULL once the socket is closed, or while parked */
    struct cap_item item;    /* the request; item.state != CAP_IDLE while inside
                              * the capacity model */
    struct event timer;      /* deadline or idle timeout (accepted only) */
    struct event *parked;    /* while parked (bev NULL): its fd's readability */
    int64_t idle_ns;         /* SRV_TIMER_IDLE: the timeout each frame restarts */
    uint32_t peer_ip;        /* accepted: the client's IPv4 address; 0 otherwise */
    uint8_t timer_kind;      /* enum srv_timer */
    bool accepted;
    bool unparked; /* unparked, and no frame read since: do not park again yet */
};

struct server_ops {
    /* A decoded message. Return 0 to go on reading, 1 when the connection
     * may be gone (closed or freed). */
    int (*on_msg)(struct srv_conn *c, const struct wire_msg *m);
    /* The capacity model served c's request and c is still open. */
    void (*on_served)(struct srv_conn *c);
    /* Optional. A new accepted connection, before any message. */
    void (*on_accept)(struct srv_conn *c);
    /* Optional. TLS handshake done (accepted), or connect done (outgoing). */
    void (*on_connected)(struct srv_conn *c);
    /* Optional. The output buffer drained. */
    void (*on_flushed)(struct srv_conn *c);
    /* Optional. EOF, error or timeout (bufferevent flags), just before the
     * connection closes. */
    void (*on_error)(struct srv_conn *c, short what);
    /* Optional. The socket is about to close, for whatever reason. */
    void (*on_close)(struct srv_conn *c);
};

struct server {
    struct host *h;
    enum role role;
    uint32_t id;
    SSL_CTX *tls; /* NULL: plain TCP */
    const struct server_ops *ops;
    size_t conn_size;
    const struct scn_conn_limits *lim;
    uint32_t n_accepted;  /* accepted connections whose socket is open */
    struct listener *lst; /* NULL while not listening */
    struct capacity cap;
    LIST_HEAD(, srv_conn) conns;
};

/* Set up (not listening yet). lim: connection cap, deadline and linger;
 * cap_cfg and m as for cap_init. */
void server_init(struct server *s, struct host *h, enum role role, uint32_t id, SSL_CTX *tls,
                 const struct server_ops *ops, size_t conn_size, const struct scn_conn_limits *lim,
                 const struct scn_capacity *cap_cfg, const struct cap_metrics *m);
/* Listen on ip:port. Returns 0, or -1 with err set. */
int server_listen(struct server *s, uint32_t ip, uint16_t port, int backlog, char *err,
                  size_t errlen);
/* Stop: close the listener, drop every queued request and connection. */
void server_stop(struct server *s);

/* An outgoing connection that lives in the server's list (supernode
 * gossip): src_ip to dst_ip:port, read and write timeout timeout_ns.
 * Returns the connection, or NULL with *why saying what failed. */
struct srv_conn *server_connect(struct server *s, uint32_t src_ip, uint32_t dst_ip, uint16_t port,
                                int64_t timeout_ns, enum conn_start *why);

/* c's timer (accepted connections; see the top of this file): close c ns
 * from now whatever it sends; close it after ns without a complete frame;
 * or no timer. The first two count conn_deadline and conn_idle when they
 * fire. None of them overrides a pending overflow drop. */
void srv_conn_deadline(struct srv_conn *c, int64_t ns);
void srv_conn_idle(struct srv_conn *c, int64_t ns);
void srv_conn_no_timer(struct srv_conn *c);

/* Send one message; nothing happens once the socket is closed. If the
 * client's unread output passes SRV_OUTPUT_MAX, c is closed from the event
 * loop shortly after (never inside this call: c stays valid). */
void srv_conn_send(struct srv_conn *c, const struct wire_msg *m);
/* Park c if it can be (conn.h): an accepted plain-TCP connection with no
 * request inside the capacity model, nothing buffered or delayed and no
 * overflow drop pending keeps only its fd, about 1 KB less; its timer keeps
 * running. Its first byte or EOF, or a send, unparks it, transparently to
 * the role. Roles call it where a connection goes quiet for long (a
 * registered client's reply has been flushed). */
void srv_conn_park(struct srv_conn *c);
/* Put c's request into the capacity model. */
enum cap_verdict srv_conn_submit(struct srv_conn *c, uint32_t *hint_ms);
/* The client is gone or must go: close the socket; free c unless its
 * request is inside the capacity model. Do not touch c afterwards. */
void srv_conn_close(struct srv_conn *c);

#endif
