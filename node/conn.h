/* conn.h - sockets and framed messages for node roles.
 *
 * Every socket a node opens goes through here, so the safety interlock
 * (design 4.6) is enforced in one place: an address outside the scenario's
 * allowed networks is refused with EPERM before any syscall touches it. */
#ifndef BS_CONN_H
#define BS_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "common/scenario.h"
#include "wire.h"

struct host;

void conn_sockaddr(uint32_t ip, uint16_t port, struct sockaddr_in *sa);

/* A non-blocking UDP socket bound to ip:port (port 0: any), after the
 * interlock (network.allowed). Returns the fd, or -1 with errno set (EPERM:
 * outside the allowed networks). */
int conn_udp_socket(struct host *h, uint32_t ip, uint16_t port);
/* Send one message as a UDP datagram from fd to ip:port, with role's
 * impairment (loss, partitions) and the interlock. Returns 0 when it left,
 * -1 when it was refused, lost or could not be sent. */
int conn_send_datagram(struct host *h, enum role role, int fd, uint32_t ip, uint16_t port,
                       const struct wire_msg *m);

/* Send one broadcast slot (settop) to a rank's receiver: the interlock and
 * partitions apply, the sender's class loss does not, because each box
 * behind the receiver draws its own (settop.downstream.loss). */
int conn_send_broadcast(struct host *h, int fd, uint32_t ip, uint16_t port,
                        const struct wire_msg *m);

/* Take one datagram off a non-blocking UDP socket and decode it, for the
 * datagram roles' read loops: counts bytes_recv, and malformed for one that
 * is larger than any message (WIRE_MAX_DATAGRAM) or does not decode; the
 * sender's address in *ip, *port (host order). */
#define WIRE_MAX_DATAGRAM 1472 /* the largest UDP payload in a 1500-byte packet */
enum conn_dgram { CONN_DGRAM_NONE = -1, CONN_DGRAM_OK = 0, CONN_DGRAM_BAD = 1 };
enum conn_dgram conn_recv_datagram(struct host *h, int fd, struct wire_msg *m, uint32_t *ip,
                                   uint16_t *port);

/* A listener on ip:port that survives fd exhaustion: on EMFILE/ENFILE it
 * pauses accepting for 100 ms instead of spinning (libevent keeps failing
 * otherwise), counts accept_errors, then resumes. on_accept gets each new
 * connection's fd, which it owns, and the client's IPv4 address (host byte
 * order). */
typedef void (*listener_accept_fn)(void *arg, evutil_socket_t fd, uint32_t peer_ip);
struct listener;
struct listener *listener_new(struct host *h, uint32_t ip, uint16_t port, int backlog,
                              listener_accept_fn on_accept, void *arg, char *err, size_t errlen);
void listener_free(struct listener *l);

/* Why an outgoing connection could not be started. */
enum conn_start {
    CONN_STARTED = 0,
    CONN_ERR_SOCKET,  /* no socket: errno says why (EPERM: outside network.allowed,
                       * EHOSTUNREACH: across a partition, EMFILE, ...) */
    CONN_ERR_NOMEM,   /* no SSL object or bufferevent */
    CONN_ERR_CONNECT, /* connect() failed at once */
};

/* The one client-side connect: a socket from src_ip to dst_ip:port (through
 * the interlock and partitions), TLS when tls_ctx is set (the server's
 * certificate is checked against dst_ip), impairment for a node of `role`,
 * the input cap, callbacks, and the connect itself. On CONN_STARTED *out is
 * the connection (count in open_conns; close it with conn_close); on any
 * error nothing is left open. */
enum conn_start conn_connect(struct host *h, enum role role, SSL_CTX *tls_ctx, uint32_t src_ip,
                             uint32_t dst_ip, uint16_t port, bufferevent_data_cb read_cb,
                             bufferevent_data_cb write_cb, bufferevent_event_cb event_cb, void *arg,
                             struct bufferevent **out);

/* The same with a TLS session the caller made (tls_target_ssl: a real
 * server's name and trust), which the connection owns from here on, even on
 * an error; ssl NULL: plain TCP. */
enum conn_start conn_connect_ssl(struct host *h, enum role role, SSL *ssl, uint32_t src_ip,
                                 uint32_t dst_ip, uint16_t port, bufferevent_data_cb read_cb,
                                 bufferevent_data_cb write_cb, bufferevent_event_cb event_cb,
                                 void *arg, struct bufferevent **out);

/* The one server-side wrap of an accepted fd: a bufferevent (TLS accepting
 * when tls_ctx is set), impairment, the input cap, callbacks; counted in
 * open_conns. Returns NULL (fd closed) when out of memory. */
struct bufferevent *conn_accepted(struct host *h, enum role role, SSL_CTX *tls_ctx,
                                  evutil_socket_t fd, bufferevent_data_cb read_cb,
                                  bufferevent_data_cb write_cb, bufferevent_event_cb event_cb,
                                  void *arg);

/* Close a connection made by conn_connect or conn_accepted: its delayed
 * messages are discarded, the fd (and SSL) freed, open_conns decremented. */
void conn_close(struct host *h, struct bufferevent *bev);

/* Parking. An open plain-TCP connection that will idle for long (a
 * registered client between keepalives, and its server's end) can give up
 * its bufferevent, which with its two buffers is about 1 KB, and keep only
 * the fd, which its owner watches for readability with an event of its own.
 * The first byte, the EOF, or a send of the owner's makes a bufferevent
 * again (conn_unpark) with the same role, callbacks and input cap. A parked
 * fd stays counted in open_conns and in h->conns_parked.
 *
 * conn_can_park: plain TCP with nothing buffered either way and nothing
 * delayed by impairment. conn_park frees bev (callable from its own
 * callbacks) and returns the parked connection: an event on its fd that
 * calls on_readable while it has something to read (EV_PERSIST); NULL when
 * out of memory, and bev is untouched. */
bool conn_can_park(struct host *h, struct bufferevent *bev);
struct event *conn_park(struct host *h, struct bufferevent *bev, event_callback_fn on_readable,
                        void *arg);
/* A bufferevent again, and *parked freed and NULL; NULL when out of memory,
 * and the connection is still parked. */
struct bufferevent *conn_unpark(struct host *h, enum role role, struct event **parked,
                                bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                                bufferevent_event_cb event_cb, void *arg);
/* Close a parked connection (*parked NULL afterwards). */
void conn_close_parked(struct host *h, struct event **parked);

/* Encode and send one message from a node of `role`, through the
 * impairment layer (node/impair.h); counts msgs/bytes sent. Returns 0 or -1. */
int conn_send(struct host *h, enum role role, struct bufferevent *bev, const struct wire_msg *m);

/* Send bytes of another protocol (architecture: target: HTTP, MQTT) from a
 * node of `role`, through the impairment layer, as one message; counts
 * msgs/bytes sent. Returns 0 or -1. */
int conn_send_raw(struct host *h, enum role role, struct bufferevent *bev, const void *data,
                  size_t len);

/* Called once per decoded message. Return 0 to go on reading, or 1 to stop:
 * fn has then taken over the connection (it may have freed bev). */
typedef int (*conn_msg_fn)(void *arg, const struct wire_msg *m);

/* Decode every complete frame in bev's input and hand each to fn. Malformed
 * frames are counted and dropped. Returns 0 when the input is used up, 1 when
 * fn stopped (bev must not be touched), -1 when the stream is broken (an
 * oversize frame) and the caller must close it. */
int conn_read(struct host *h, struct bufferevent *bev, conn_msg_fn fn, void *arg);

/* A parked connection's routine exchange without a bufferevent: a client's
 * keepalive out and its acknowledgement in, each one small frame, at both
 * ends (the peer, and the supernode or presence server: server.c).
 *
 * conn_send_parked writes m's frame straight to the fd, counted as
 * conn_send counts, when impairment leaves the role's messages untouched
 * (impair_passthrough). Returns 1 when it went out whole; 0 when nothing
 * was sent and the caller must unpark and conn_send (impairment on the
 * role, or a socket buffer with no room); -1 on a socket error or a frame
 * only partly taken, which leaves the stream cut: the connection is lost.
 *
 * conn_read_parked looks at what the fd holds (MSG_PEEK). When that is
 * only whole frames of type `only`, it takes them off the socket, counts
 * them as conn_read does and passes each to fn: returns 1, and the
 * connection is still parked unless fn closed it (fn returns 1: the frames
 * after that one are dropped with it). Otherwise (another type, part of a frame, the
 * EOF, an error) it takes nothing and returns 0: the caller unparks, and
 * the bufferevent reads it all as usual. */
int conn_send_parked(struct host *h, enum role role, struct event *parked,
                     const struct wire_msg *m);
int conn_read_parked(struct host *h, struct event *parked, enum wire_type only, conn_msg_fn fn,
                     void *arg);

#endif
