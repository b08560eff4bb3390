/* supernode.h - supernodes: registration with a ticket, keepalives, and
 * handing out other supernodes for the peers' host caches (design 4.1).
 *
 * Plain TCP; a REGISTER is accepted only with a ticket whose Ed25519
 * signature verifies and that has not expired. Refusals are counted by kind
 * (sn_refused_forged, sn_refused_expired) and the connection is closed. */
#ifndef BS_SUPERNODE_H
#define BS_SUPERNODE_H

#include <stddef.h>
#include <stdint.h>

struct host;
struct supernode;

struct supernode *sn_create(struct host *h, uint32_t id, char *err, size_t errlen);
void sn_free(struct supernode *sn);
uint32_t sn_clients(const struct supernode *sn);

#endif
