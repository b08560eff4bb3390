/* ctrl.h - the control plane: small MPI messages polled from the event loop.
 *
 * Open MPI makes progress only inside MPI calls, and a rank must never block
 * in MPI while its nodes are live, so a 2 ms libevent timer tests pending
 * sends and receives whatever has arrived (MPI_Improbe + MPI_Mrecv, which
 * cannot race with another receive). Messages to self work the same way, so
 * a single-process run uses the very same path.
 *
 * Messages (all plain structs, same binary on every rank):
 *   coordinator -> host:  SCHEDULE {event, run time}, STOP, GLOBAL (the last row's
 *                         online and SN counts, for supernode promotion)
 *   host -> coordinator:  SNAPSHOT (metrics), FIRED {event, times}, BYE
 * BYE is a host's last message: MPI keeps order per sender, so once the
 * coordinator has every BYE, nothing is left in flight. */
#ifndef BS_CTRL_H
#define BS_CTRL_H

#include <stdint.h>

#include <mpi.h>

struct event_base;

enum ctrl_tag {
    TAG_SCHEDULE = 100,
    TAG_STOP,
    TAG_SNAPSHOT,
    TAG_FIRED,
    TAG_BYE,
    TAG_GLOBAL,
    TAG_PING,   /* coordinator -> host: clock probe {t0} */
    TAG_PONG,   /* host -> coordinator: {t0, tr} */
    TAG_OFFSET, /* coordinator -> host: new clock offset */
    TAG_MAX
};

struct ctrl_schedule {
    uint32_t event;
    int64_t at_ns; /* run time, coordinator timebase */
};

struct ctrl_fired {
    uint32_t event;
    int32_t rank;
    int64_t scheduled_ns;
    int64_t actual_ns; /* run time, coordinator timebase, as the rank measured it */
    uint32_t selected; /* local peers the event touched */
};

struct ctrl_ping {
    int64_t t0; /* coordinator clock when sent */
    int64_t tr; /* host clock when answered (PONG only) */
};

struct ctrl_global {
    int64_t online;
    int64_t sn_count;
};

typedef void (*ctrl_fn)(void *arg, int src, const void *buf, int len);

struct ctrl;

struct ctrl *ctrl_new(struct event_base *base, MPI_Comm comm);
void ctrl_on(struct ctrl *c, enum ctrl_tag tag, ctrl_fn fn, void *arg);
/* Copy buf and start sending it. Returns 0 or -1. */
int ctrl_send(struct ctrl *c, int dest, enum ctrl_tag tag, const void *buf, int len);
/* Complete every pending send (blocking) and free. */
void ctrl_free(struct ctrl *c);

#endif
