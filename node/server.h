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
 * client left only when it replies, as a real one does. */
#ifndef BS_SERVER_H
#define BS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <openssl/ssl.h>

#include "capacity.h"
#include "common/role.h"
#include "conn.h"
#include "wire.h"

struct host;
struct server;
struct listener;

struct srv_conn {
    LIST_ENTRY(srv_conn) link;
    struct server *srv;
    struct bufferevent *bev; /* NULL once the socket is closed */
    struct cap_item item;    /* the request; item.state != CAP_IDLE while inside
                              * the capacity model */
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
    int64_t idle_ns;      /* read timeout of accepted connections */
    struct listener *lst; /* NULL while not listening */
    struct capacity cap;
    LIST_HEAD(, srv_conn) conns;
};

/* Set up (not listening yet). cap_cfg and m as for cap_init. */
void server_init(struct server *s, struct host *h, enum role role, uint32_t id, SSL_CTX *tls,
                 const struct server_ops *ops, size_t conn_size, int64_t idle_ns,
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

/* Send one message; nothing happens once the socket is closed. */
void srv_conn_send(struct srv_conn *c, const struct wire_msg *m);
/* Put c's request into the capacity model. */
enum cap_verdict srv_conn_submit(struct srv_conn *c, uint32_t *hint_ms);
/* The client is gone or must go: close the socket; free c unless its
 * request is inside the capacity model. Do not touch c afterwards. */
void srv_conn_close(struct srv_conn *c);

#endif
