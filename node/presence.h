/* presence.h - presence servers of the central architecture (issue 9).
 *
 * A presence server is the central counterpart of a supernode: peers log
 * in, ask their data centre's front door which server to use, then register
 * with it over TCP with their ticket and stay connected with keepalives.
 * Every REGISTER and KEEPALIVE goes through the capacity model
 * (central.presence.*); a full server (max_clients) answers REDIRECT, which
 * sends the peer back to the front door. Every report_interval the server
 * sends a LOAD report over UDP to its front door.
 *
 * States:
 *   DORMANT --scale up--> UP --crash / outage / overload / scale down--> DOWN
 *   (spares)              ^ initial servers start here; an outage's end and a
 *                           later scale up bring a DOWN server back */
#ifndef BS_PRESENCE_H
#define BS_PRESENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "role_table.h"

struct host;

extern const struct role_ops presence_role;

/* A scale action of the autoscaler (coordinator/autoscale.h): servers
 * [first, first + count) of data centre dc (indices within the DC) that
 * live on this rank come up (from dormant or down) or go back to dormant,
 * their clients returning to the front door. Returns how many changed. */
int64_t presence_scale(struct host *h, uint32_t dc, uint32_t first, uint32_t count, bool up);

#endif
