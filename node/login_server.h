/* login_server.h - the central login service (design 4.1, 4.3).
 *
 * TLS 1.3 over TCP. A LOGIN_REQ takes one of `workers` for a service time
 * drawn from login_server.service_time (on top of the real TLS and signing
 * CPU it costs); when all workers are busy it waits in a FIFO queue of
 * `queue` places; when that is full the client gets BUSY with a retry hint. */
#ifndef BS_LOGIN_SERVER_H
#define BS_LOGIN_SERVER_H

#include <stddef.h>
#include <stdint.h>

struct host;
struct login_server;

struct login_server *ls_create(struct host *h, uint32_t id, char *err, size_t errlen);
void ls_free(struct login_server *ls);

#endif
