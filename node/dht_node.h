/* dht_node.h - a peer's Kademlia node (architecture: dht).
 *
 * Each peer owns one: a UDP socket at the peer's own address and dht.port,
 * its routing table (node/dht_table.h), the records it stores for others,
 * and the lookups in flight (node/dht_lookup.h), each query with its own
 * transaction id and timeout (dht.rpc_timeout).
 *
 * The peer's REGISTER phase is the node's join (docs/architecture.md, "The
 * DHT"): a self-lookup from the saved routing table, falling back to one
 * bootstrap node when the table is empty or nobody in it answers; then a
 * refresh of the buckets nobody was heard from lately, and the user's
 * presence record stored on the k nodes closest to its key. The join
 * succeeds when a majority of those stores are acknowledged and the table
 * holds dht.online_contacts live contacts; it ends through peer_dht_joined.
 *
 * While online the node refreshes stale buckets every dht.refresh and
 * republishes its record every dht.republish; the workload's requests are
 * user lookups (dht_node_find_user). Every message heard updates the
 * routing table at the datagram's source address; a query that times out
 * counts against its contact (evicted after dht.stale_after in a row). */
#ifndef BS_DHT_NODE_H
#define BS_DHT_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "dht_table.h"

struct host;
struct peer;
struct dht_node;
struct dht_op;

/* A node for peer p, down (no socket), with an empty table. NULL when out
 * of memory. */
struct dht_node *dht_node_new(struct host *h, struct peer *p);
void dht_node_free(struct dht_node *d);

/* Start a join attempt: open the socket if it is closed, then the
 * self-lookup. Returns 0, or -1 when the socket cannot be opened (errno
 * set); the attempt then never reports. */
int dht_node_join(struct dht_node *d);
/* Stop the join attempt in flight, if any (the peer gave up on it); the
 * socket stays open and the node keeps answering. */
void dht_node_join_abort(struct dht_node *d);
/* The machine goes down: socket closed, every lookup and query dropped,
 * the stored records lost (memory). The routing table is kept, unverified,
 * or with lose_table cleared. */
void dht_node_down(struct dht_node *d, bool lose_table);

/* The outcome of a user lookup: the record found, the lookup converged on
 * the k closest nodes without it (the user is not online, or its record was
 * lost), no contact answered at all, or the node went down meanwhile. */
enum dht_find_result {
    DHT_FIND_FOUND = 0,
    DHT_FIND_NOT_FOUND,
    DHT_FIND_FAILED,
    DHT_FIND_ABORTED, /* the node went down */
};
typedef void (*dht_find_fn)(void *arg, enum dht_find_result r, unsigned hops);

/* Look up user's presence record. fn is called once, later, unless the
 * lookup is cancelled first; the handle is invalid after either. NULL, and
 * no callback, when the lookup cannot start: the node is down, out of
 * memory, or knows no contact to ask. */
struct dht_op *dht_node_find_user(struct dht_node *d, uint64_t user, dht_find_fn fn, void *arg);
void dht_node_cancel(struct dht_op *op);

/* Whether the socket is open, and the routing table's health. */
bool dht_node_up(const struct dht_node *d);
void dht_node_health(const struct dht_node *d, struct dht_health *out);
/* The node's id and UDP port (tests). */
const struct dht_id *dht_node_id(const struct dht_node *d);
const struct dht_table *dht_node_table(const struct dht_node *d);

#endif
