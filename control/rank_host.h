/* rank_host.h - the node side's rank loop: connects a node host
 * (node/host.h) to the coordinator over the control plane (protocol.h).
 *
 * It arms scenario events when SCHEDULE arrives and reports FIRED with the
 * measured time, sends a SNAPSHOT at every metrics interval boundary (run
 * time k * interval, so all ranks sample the same instant; at run time 0 a
 * baseline, interval 0, that carries only the stall clock), and on STOP
 * sends BYE and stops its timers. On a rank of its own (break_on_stop), its
 * control plane polls at most every control.lead / 8 while idle. A signal that reaches the rank is
 * passed on to the coordinator (INTERRUPT), which ends the run through STOP. */
#ifndef BS_RANK_HOST_H
#define BS_RANK_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event_struct.h>

#include "common/scenario.h"

struct host;
struct ctrl;

struct rank_fire {
    struct rank_host *rh;
    uint32_t idx;
    bool armed;
    int64_t at_ns;
    struct event timer;
};

/* A scale action waiting for its time (a list: actions are few). */
struct rank_scale {
    struct rank_scale *next;
    struct rank_host *rh;
    struct ctrl_scale_args {
        uint32_t action, dc, first, count, up;
        int64_t at_ns;
    } a;
    struct event timer;
};

struct rank_host {
    struct host *h;
    struct ctrl *ctrl;
    struct event interval;
    uint32_t next_interval; /* 0: the baseline is next */
    struct rank_fire fire[SCN_MAX_EVENTS];
    struct rank_scale *scales; /* armed, not yet fired */
    bool stopped;
    bool break_on_stop; /* false on rank 0, whose coordinator ends the loop */
};

void rank_host_start(struct rank_host *rh, struct host *h, struct ctrl *c, bool break_on_stop);
/* A signal reached this rank: tell the coordinator, and keep running until
 * its STOP. */
void rank_host_interrupt(struct rank_host *rh, int sig);
/* Remove the timers (idempotent). */
void rank_host_stop(struct rank_host *rh);

#endif
