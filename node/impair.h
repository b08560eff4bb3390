/* impair.h - user-space network impairment (kernel netem is not available).
 *
 * Applied where nodes send, per node class (network.impair.<class>):
 *   latency + U(0, jitter)  each message a node sends is held that long
 *                           (FIFO per connection, so TCP order holds)
 *   loss                    a sent message is dropped whole
 *   uplink / downlink       token buckets on each of the node's sockets
 *                           (libevent rate limiting)
 * and per rank group (partition events): while a partition holds, messages
 * between groups are dropped and new connections between them refused.
 * What it does not touch: TCP and TLS handshakes, which the kernel and
 * OpenSSL run below the message layer. Timer resolution is ~1 ms. */
#ifndef BS_IMPAIR_H
#define BS_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/scenario.h"

struct host;
struct bufferevent;

int impair_init(struct host *h);
void impair_free(struct host *h);

/* Queue `len` bytes (one framed message) on bev for a node of `role`, after
 * loss, partition and latency. Returns 0 (sent, delayed or dropped). */
int impair_write(struct host *h, enum role role, struct bufferevent *bev, const void *data,
                 size_t len);
/* Whether a node of `role` sends untouched: no latency, jitter, loss or
 * bandwidth limit on it and no partition in force, so a message may go
 * straight to its socket (conn_send_parked). */
bool impair_passthrough(const struct host *h, enum role role);
/* Whether bev has messages waiting out their latency. */
bool impair_pending(struct host *h, struct bufferevent *bev);
/* Call before freeing bev: its delayed messages are discarded. */
void impair_forget(struct host *h, struct bufferevent *bev);
/* Bandwidth limits for a new socket of a node of `role`. */
void impair_setup(struct host *h, enum role role, struct bufferevent *bev);
/* UDP: whether to drop a datagram from a node of `role` to dst_ip. */
bool impair_drop_datagram(struct host *h, enum role role, uint32_t dst_ip);
/* Whether dst_ip is across an active partition from this rank. */
bool impair_cut(const struct host *h, uint32_t dst_ip);
/* Start (group_of_rank != NULL) or end a partition. */
void impair_partition(struct host *h, const uint8_t *group_of_rank);

#endif
