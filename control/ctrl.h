/* ctrl.h - the control plane's transport: small MPI messages polled from
 * the event loop. The messages themselves are in protocol.h.
 *
 * Open MPI makes progress only inside MPI calls, and a rank must never block
 * in MPI while its nodes are live, so a libevent timer tests pending sends
 * and receives whatever has arrived (MPI_Improbe + MPI_Mrecv, which cannot
 * race with another receive). Messages to self work the same way, so a
 * single-process run uses the very same path.
 *
 * The timer fires every 2 ms while a send is pending and for 60 ms after a
 * message arrived; otherwise every idle interval (2 ms unless
 * ctrl_set_idle_poll says more), since each wake-up costs CPU that the
 * rank's nodes would otherwise have (docs/architecture.md, Control plane). */
#ifndef BS_CTRL_H
#define BS_CTRL_H

#include <stdint.h>

#include <mpi.h>

#include "protocol.h"

struct event_base;

typedef void (*ctrl_fn)(void *arg, int src, const void *buf, int len);

struct ctrl;

struct ctrl *ctrl_new(struct event_base *base, MPI_Comm comm);
void ctrl_on(struct ctrl *c, enum ctrl_tag tag, ctrl_fn fn, void *arg);
/* Poll every idle_ns (at least 2 ms) while nothing is going on. A message
 * can then wait that long before it is seen. */
void ctrl_set_idle_poll(struct ctrl *c, int64_t idle_ns);
/* Copy buf and start sending it. Returns 0 or -1. */
int ctrl_send(struct ctrl *c, int dest, enum ctrl_tag tag, const void *buf, int len);
/* Complete every pending send (blocking) and free. */
void ctrl_free(struct ctrl *c);

#endif
