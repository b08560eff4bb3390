/* service.h - a central service for the steady-state workload (issue 3).
 *
 * One UDP socket per service node. Each REQUEST datagram goes through the
 * service's capacity model (node/capacity.h); a served request gets a
 * RESPONSE, a refused one REQ_BUSY with the retry-after hint. Over UDP the
 * server never learns that a client gave up, so it serves stale requests
 * too: the clients count such late answers (svc_wasted).
 *
 * States: UP <--crash / restore--> DOWN (svc_set_state moves svc_up). */
#ifndef BS_SERVICE_H
#define BS_SERVICE_H

#include <stddef.h>
#include <stdint.h>

#include "role_table.h"

struct host;
struct service;
struct scn_event;

extern const struct role_ops service_role;

#endif
