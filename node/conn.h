/* conn.h - sockets and framed messages for node roles.
 *
 * Every socket a node opens goes through here, so the safety interlock
 * (design 4.6) is enforced in one place: an address outside the scenario's
 * allowed networks is refused with EPERM before any syscall touches it. */
#ifndef BS_CONN_H
#define BS_CONN_H

#include <stdint.h>

#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "common/scenario.h"
#include "wire.h"

struct host;

/* A non-blocking TCP socket bound to src_ip (any port), ready to connect to
 * dst_ip. Returns the fd, or -1 with errno set (EPERM: outside the allowed
 * networks). */
int conn_socket(struct host *h, uint32_t src_ip, uint32_t dst_ip);
void conn_sockaddr(uint32_t ip, uint16_t port, struct sockaddr_in *sa);

/* A listener on ip:port that survives fd exhaustion: on EMFILE/ENFILE it
 * pauses accepting for a moment instead of spinning (libevent keeps failing
 * otherwise). */
struct listener;
struct listener *listener_new(struct host *h, uint32_t ip, uint16_t port, int backlog,
                              evconnlistener_cb cb, void *arg, char *err, size_t errlen);
void listener_free(struct listener *l);

/* Encode and send one message from a node of `role`, through the
 * impairment layer (node/impair.h); counts msgs/bytes sent. Returns 0 or -1. */
int conn_send(struct host *h, enum role role, struct bufferevent *bev,
              const struct wire_msg *m);

/* Free a connection's bufferevent (and the delayed messages it still has). */
void conn_free_bev(struct host *h, struct bufferevent *bev);

/* Called once per decoded message. Return 0 to go on reading, or 1 to stop:
 * fn has then taken over the connection (it may have freed bev). */
typedef int (*conn_msg_fn)(void *arg, const struct wire_msg *m);

/* Decode every complete frame in bev's input and hand each to fn. Malformed
 * frames are counted and dropped. Returns 0 when the input is used up, 1 when
 * fn stopped (bev must not be touched), -1 when the stream is broken (an
 * oversize frame) and the caller must close it. */
int conn_read(struct host *h, struct bufferevent *bev, conn_msg_fn fn, void *arg);

/* Common bufferevent setup: input capped at two max frames so a flood cannot
 * grow memory without bound. */
void conn_limit_input(struct bufferevent *bev);

#endif
