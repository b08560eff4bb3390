/* hostaddr.h - the address a rank's nodes bind in host mode: the first IPv4
 * address of this host (in this network namespace) inside the scenario's
 * allowed networks. Non-loopback addresses win over loopback ones. */
#ifndef BS_HOSTADDR_H
#define BS_HOSTADDR_H

#include <stdint.h>

#include "common/scenario.h"

/* 0 when no local address is allowed. */
uint32_t hostaddr_find(const struct scenario *s);

#endif
