/* login_server.h - the central login service (design 4.1, 4.3).
 *
 * TLS 1.3 over TCP. A LOGIN_REQ goes through the server's capacity model
 * (node/capacity.h: workers, queue, admission policy); when served, a valid
 * credential gets a LOGIN_OK with a signed ticket. A refused request gets
 * BUSY (with a retry-after hint under `shed` and `token-bucket`); under
 * `pace` an admitted request gets WAIT at once. Outages and crashes take the
 * server down: its listener closes and every connection drops.
 *
 * The server:                    Each connection (node/server.h owns it):
 *
 *   UP <--crash / restore--> DOWN    HANDSHAKE -> WAIT_REQ -> IN_CAP -> DONE
 *                                         (any state: the client may leave;
 *                                          a request IN_CAP is still served)
 * ls_set_state alone moves the ls_up gauge. */
#ifndef BS_LOGIN_SERVER_H
#define BS_LOGIN_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "role_table.h"

struct host;
struct login_server;
struct scn_event;

extern const struct role_ops login_server_role;

#endif
