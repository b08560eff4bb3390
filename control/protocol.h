/* protocol.h - the control plane's messages: what rank 0 (the coordinator)
 * and the node-host ranks say to each other over MPI. Both ends include
 * this file; it holds plain data only (no MPI, no libevent).
 *
 * Polled messages (control/ctrl.c carries them, from a 2 ms timer, during
 * the run; all plain structs, the same binary on every rank):
 *
 *   tag        direction           payload
 *   SCHEDULE   coordinator -> host struct ctrl_schedule {event, run time}
 *   STOP       coordinator -> host 1 byte: stop the timers, answer BYE
 *   SNAPSHOT   host -> coordinator struct metrics_snapshot (common/metrics.h)
 *   FIRED      host -> coordinator struct ctrl_fired {event, rank, times, selected}
 *   BYE        host -> coordinator 1 byte, the host's last message
 *   GLOBAL     coordinator -> host struct ctrl_global: the last row's online and
 *                                  SN counts, for supernode promotion
 *   PING       coordinator -> host struct ctrl_ping {t0}: a clock probe
 *   PONG       host -> coordinator struct ctrl_ping {t0, tr}: answered at once
 *   OFFSET     coordinator -> host int64_t: the rank's new clock offset (ns)
 *   INTERRUPT  host -> coordinator int32_t: a signal (SIGINT, SIGTERM) reached
 *                                  the host; the coordinator ends the run early
 *   DC_STATUS  coordinator -> host struct ctrl_dc_status: the data centres as the
 *                                  last row saw them (central), for the global
 *                                  policy
 *   SCALE      coordinator -> host struct ctrl_scale: an autoscaler action; the
 *                                  host answers FIRED with event
 *                                  CTRL_SCALE_EVENT + action
 *
 * BYE is a host's last message: MPI keeps order per sender, so once the
 * coordinator has every BYE, nothing is left in flight.
 *
 * Start-up clock sync (control/clocksync_mpi.c) is the one exchange that
 * blocks: before t0, rank 0 sends SYNC_PING (an int64_t, ignored) to each
 * rank in turn and the rank answers SYNC_PONG with its CLOCK_MONOTONIC
 * (int64_t). Its tags lie below the polled ones so that a late start-up
 * message could never be taken for a polled one. */
#ifndef BS_PROTOCOL_H
#define BS_PROTOCOL_H

#include <stdint.h>

#include "node/gslb.h"

/* Blocking start-up clock sync (MPI tags). */
#define TAG_SYNC_PING 90
#define TAG_SYNC_PONG 91

/* Polled messages (MPI tags). The values are what ran before this header
 * existed; keep them, and append new tags before TAG_MAX. */
enum ctrl_tag {
    TAG_SCHEDULE = 100,
    TAG_STOP,
    TAG_SNAPSHOT,
    TAG_FIRED,
    TAG_BYE,
    TAG_GLOBAL,
    TAG_PING,
    TAG_PONG,
    TAG_OFFSET,
    TAG_INTERRUPT,
    TAG_DC_STATUS,
    TAG_SCALE,
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

struct ctrl_dc_status {
    int64_t t_ns; /* the row's end, run time */
    struct dc_status dc[SCN_MAX_DCS];
};

/* FIRED of scale action k carries event CTRL_SCALE_EVENT + k. */
#define CTRL_SCALE_EVENT 1000000u

struct ctrl_scale {
    uint32_t action; /* the coordinator's number for it, from 0 */
    uint32_t dc;
    uint32_t first, count; /* servers within the DC */
    uint32_t up;           /* 1: come up; 0: back to dormant */
    int64_t at_ns;         /* run time */
};

struct ctrl_global {
    int64_t online;
    int64_t sn_count;
};

#endif
