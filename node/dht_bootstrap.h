/* dht_bootstrap.h - the DHT's bootstrap nodes (architecture: dht).
 *
 * A few well-known nodes (dht.bootstrap.nodes) that a node with nothing to
 * go on asks first, as BitTorrent clients ask router.bittorrent.com. Each is
 * a UDP socket at its own address and dht.bootstrap.port, with the capacity
 * model (node/capacity.h) in front of its answers: a FIND_NODE or PING that
 * finds no room is dropped, as an overloaded UDP server drops datagrams, and
 * the asker's query times out. A served FIND_NODE is answered with the k
 * contacts closest to its target from the node's own table, which holds the
 * nodes that asked it lately (a full bucket drops its least recently seen
 * contact). Bootstrap nodes never enter a routing table, store nothing and
 * look nothing up.
 *
 * States: UP <--crash / restore--> DOWN; a crashed one forgets its table
 * and its queue. */
#ifndef BS_DHT_BOOTSTRAP_H
#define BS_DHT_BOOTSTRAP_H

#include "role_table.h"

extern const struct role_ops dht_bootstrap_role;

#endif
