/* supernode.h - supernodes (design 4.1): registration with a ticket,
 * keepalives, host-cache lists, capacity and overload self-protection.
 *
 * Plain TCP. Every REGISTER and KEEPALIVE goes through the SN's capacity
 * model (supernode.workers/service_time, default instant). A REGISTER is
 * accepted only with a ticket whose Ed25519 signature verifies and that has
 * not expired (refusals counted as sn_refused_forged / _expired); a full SN
 * (max_clients) answers REDIRECT with other SNs. When its load
 * (clients / max_clients) or lag (age of the oldest waiting request) stays
 * above supernode.overload's thresholds for `for`, it acts: it shuts down
 * (or leaves SN mode), dropping every client, who must re-home: the 2010
 * cascade. SNs gossip the SNs they know, so host caches refresh.
 *
 * States (the full diagrams, with the connections', are in supernode.c):
 *   DORMANT --inject--> UP --crash / overload / demotion--> DOWN */
#ifndef BS_SUPERNODE_H
#define BS_SUPERNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "role_table.h"

struct host;
struct supernode;
struct scn_event;

extern const struct role_ops supernode_role;

/* active=false: a dedicated SN of an inject_supernodes event, dormant until
 * sn_activate. promoted: a peer acting as SN (it may demote). */
struct supernode *sn_create(struct host *h, uint32_t id, bool active, bool promoted,
                            uint32_t max_clients, char *err, size_t errlen);
void sn_free(struct supernode *sn);

/* Crash or leave SN mode: listener closed, every client dropped. */
void sn_set_down(struct supernode *sn);
/* A promoted SN's demotion check: true (and the SN is down) when its load
 * stayed below `below` of max_clients for for_ns while `surplus`. */
bool sn_check_demote(struct supernode *sn, double below, int64_t for_ns, bool surplus);

#endif
