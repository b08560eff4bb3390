/* promotion.h - peers becoming supernodes, and back (issue 3, design 4.1).
 *
 * Every supernode.promote.check, each rank looks at the network-wide counts
 * the coordinator shares (online peers, running SNs). While SNs are short
 * of target_ratio x online, each eligible local peer (online for at least
 * min_uptime, and among the `capable` share of peers that have the spare
 * capacity, a fixed draw per peer) becomes a supernode with probability
 * deficit / eligible, listening on its own address. A promoted SN that stays
 * below demote_below of its max_clients for demote_for while SNs exceed 2x
 * the target leaves SN mode: its clients re-home. Promoted SNs are found
 * through SN gossip, so promotion needs supernode.gossip. */
#ifndef BS_PROMOTION_H
#define BS_PROMOTION_H

#include <stddef.h>

struct host;
struct peer;
struct promotion;

struct promotion *promotion_new(struct host *h, char *err, size_t errlen);
void promotion_free(struct promotion *pr);
/* The peer went down (reboot, crash): its supernode goes with it. */
void promotion_peer_down(struct host *h, struct peer *p);

#endif
