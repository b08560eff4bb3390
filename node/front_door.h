/* front_door.h - a data centre's front door (central architecture).
 *
 * One per data centre: a real TCP server that answers each LOCATE with the
 * presence server a peer should register with (ASSIGN, redirect style), or
 * BUSY when its own capacity model (central.front_door.*) refuses or no
 * server of its DC is healthy. It learns its servers' load and health from
 * their LOAD reports (UDP, same port) and spreads new registrations by
 * round-robin, least-connections or power-of-two-choices (node/balance.h).
 *
 * States: UP --crash / outage--> DOWN (--outage end--> UP) */
#ifndef BS_FRONT_DOOR_H
#define BS_FRONT_DOOR_H

#include "role_table.h"

extern const struct role_ops front_door_role;

#endif
