/* rank_host.c - the host side of the control plane (see rank_host.h). */
#include "rank_host.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"
#include "ctrl.h"
#include "node/host.h"
#include "node/loop_turn.h"
#include "node/presence.h"

static void send_snapshot(struct rank_host *rh, uint32_t interval)
{
    struct metrics_snapshot s;
    host_snapshot(rh->h, interval, &s);
    ctrl_send(rh->ctrl, 0, TAG_SNAPSHOT, &s, (int)sizeof s);
}

/* Interval 0, at run time 0: only the stall clock's reading, the baseline
 * of the emulator's share (common/attribution.h). Whatever the rank stalled
 * before the run (start-up, clock sync) is not the run's. The counters,
 * gauges and histograms stay untouched until interval 1. */
static void send_baseline(struct rank_host *rh)
{
    struct metrics_snapshot s;
    memset(&s, 0, sizeof s);
    s.interval = 0;
    host_snapshot_clocks(rh->h, &s);
    ctrl_send(rh->ctrl, 0, TAG_SNAPSHOT, &s, (int)sizeof s);
}

static int64_t next_boundary_ns(const struct rank_host *rh)
{
    return (int64_t)rh->next_interval * rh->h->scn->metrics.interval_ns;
}

static void interval_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rank_host *rh = arg;
    if (rh->next_interval == 0)
        send_baseline(rh);
    else
        send_snapshot(rh, rh->next_interval);
    rh->next_interval++;
    host_arm_at(rh->h, &rh->interval, next_boundary_ns(rh));
}

/* A row at t is the state at t, before anything due at or after t: an event
 * at a boundary acts in the interval that starts there. Its timer wakes
 * ahead of the snapshot's (FIRE_LEAD_NS), and a late rank applies the first
 * part of a sweep within the event's own callback, so the snapshots due by
 * the instant go out first. */
static void send_snapshots_due_by(struct rank_host *rh, int64_t at_ns)
{
    while (next_boundary_ns(rh) <= at_ns)
        interval_cb(-1, 0, rh);
}

/* Event timers wake this long before the instant, at the loop's first
 * priority, and wait out the rest precisely (host_wait_until): a timer due
 * while the loop runs other callbacks is only noticed when they return. */
#define FIRE_LEAD_NS (2 * NS_PER_MS)

/* At the instant: record the time, then give the core to the ranks that
 * share it and woke for the same instant, so that each records its own
 * time before any of them does the event's work. */
static int64_t fire_instant(struct rank_host *rh, int64_t at_ns)
{
    int64_t actual = host_wait_until(rh->h, at_ns);
    sched_yield();
    return actual;
}

static void arm_fire(struct rank_host *rh, struct event *timer, int64_t at_ns)
{
    event_priority_set(timer, 0);
    host_arm_at(rh->h, timer, at_ns - FIRE_LEAD_NS);
}

/* The loop keeps its turns short before the next armed event's instant
 * (node/loop_turn.h), so that the event's timer is seen within its lead. */
static void keep_turns_short_before_next(const struct rank_host *rh)
{
    int64_t next = INT64_MAX;
    for (uint32_t i = 0; i < rh->h->scn->n_events; i++)
        if (rh->fire[i].armed && rh->fire[i].at_ns < next)
            next = rh->fire[i].at_ns;
    loop_turn_precise_at(next == INT64_MAX ? next : host_local_of(rh->h, next - FIRE_LEAD_NS));
}

static void fire_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rank_fire *f = arg;
    struct rank_host *rh = f->rh;
    struct ctrl_fired r = {.event = f->idx, .rank = rh->h->rank, .scheduled_ns = f->at_ns};
    r.actual_ns = fire_instant(rh, f->at_ns); /* before the (O(peers)) expansion */
    send_snapshots_due_by(rh, f->at_ns);
    r.selected = host_fire_event(rh->h, f->idx, &rh->h->scn->events[f->idx], f->at_ns);
    f->armed = false;
    keep_turns_short_before_next(rh);
    ctrl_send(rh->ctrl, 0, TAG_FIRED, &r, (int)sizeof r);
}

static void on_schedule(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    struct ctrl_schedule s;
    if (len != (int)sizeof s || rh->stopped)
        return;
    memcpy(&s, buf, sizeof s);
    if (s.event >= rh->h->scn->n_events || rh->fire[s.event].armed)
        return;
    struct rank_fire *f = &rh->fire[s.event];
    f->at_ns = s.at_ns;
    f->armed = true;
    arm_fire(rh, &f->timer, s.at_ns);
    keep_turns_short_before_next(rh);
}

static void on_global(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    struct ctrl_global g;
    if (len != (int)sizeof g)
        return;
    memcpy(&g, buf, sizeof g);
    rh->h->global_online = g.online;
    rh->h->global_sn = g.sn_count;
}

/* central: the data centres as the coordinator's last row saw them. */
static void on_dc_status(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    struct ctrl_dc_status d;
    if (len != (int)sizeof d)
        return;
    memcpy(&d, buf, sizeof d);
    host_dc_status(rh->h, d.t_ns, d.dc);
}

static void scale_unlink(struct rank_scale *sc)
{
    struct rank_scale **pp = &sc->rh->scales;
    while (*pp != sc)
        pp = &(*pp)->next;
    *pp = sc->next;
    event_del(&sc->timer);
    free(sc);
}

static void scale_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rank_scale *sc = arg;
    struct rank_host *rh = sc->rh;
    struct ctrl_fired r = {
        .event = CTRL_SCALE_EVENT + sc->a.action, .rank = rh->h->rank, .scheduled_ns = sc->a.at_ns};
    r.actual_ns = fire_instant(rh, sc->a.at_ns);
    int64_t n = presence_scale(rh->h, sc->a.dc, sc->a.first, sc->a.count, sc->a.up != 0);
    r.selected = n > 0 ? (uint32_t)n : 0;
    scale_unlink(sc);
    ctrl_send(rh->ctrl, 0, TAG_FIRED, &r, (int)sizeof r);
}

static void on_scale(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    struct ctrl_scale s;
    if (len != (int)sizeof s || rh->stopped)
        return;
    memcpy(&s, buf, sizeof s);
    const struct placement *pl = &rh->h->pl;
    if (s.dc >= pl->n_dc || s.first > pl->dc_max[s.dc] || s.count > pl->dc_max[s.dc] - s.first)
        return;
    struct rank_scale *sc = calloc(1, sizeof *sc);
    if (!sc)
        return;
    sc->rh = rh;
    sc->a = (struct ctrl_scale_args){s.action, s.dc, s.first, s.count, s.up, s.at_ns};
    evtimer_assign(&sc->timer, rh->h->base, scale_cb, sc);
    sc->next = rh->scales;
    rh->scales = sc;
    arm_fire(rh, &sc->timer, s.at_ns);
}

/* Clock probes: answer at once with our own clock. */
static void on_ping(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    struct ctrl_ping p;
    if (len != (int)sizeof p || rh->stopped)
        return;
    memcpy(&p, buf, sizeof p);
    p.tr = clock_mono_ns();
    ctrl_send(rh->ctrl, 0, TAG_PONG, &p, (int)sizeof p);
}

static void on_offset(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    int64_t off;
    if (len != (int)sizeof off)
        return;
    memcpy(&off, buf, sizeof off);
    rh->h->offset_ns = off; /* timers armed from now on use it */
}

static void on_stop(void *arg, int src, const void *buf, int len)
{
    struct rank_host *rh = arg;
    if (rh->stopped)
        return;
    rank_host_stop(rh);
    char bye = 1;
    ctrl_send(rh->ctrl, 0, TAG_BYE, &bye, 1);
    if (rh->break_on_stop)
        event_base_loopbreak(rh->h->base);
}

void rank_host_interrupt(struct rank_host *rh, int sig)
{
    int32_t s = sig;
    if (!rh->stopped)
        ctrl_send(rh->ctrl, 0, TAG_INTERRUPT, &s, (int)sizeof s);
}

/* A host rank's control plane, when idle, polls every control.lead / 8, at
 * most every 20 ms: a SCHEDULE or SCALE, sent a lead ahead, is then seen
 * with most of the lead to spare, and an idle rank wakes 50 times a second
 * instead of 500 (ctrl.h). */
#define IDLE_POLL_MAX_NS (20 * NS_PER_MS)

static int64_t idle_poll_ns(int64_t lead_ns)
{
    return lead_ns / 8 < IDLE_POLL_MAX_NS ? lead_ns / 8 : IDLE_POLL_MAX_NS;
}

void rank_host_start(struct rank_host *rh, struct host *h, struct ctrl *c, bool break_on_stop)
{
    memset(rh, 0, sizeof *rh);
    rh->h = h;
    rh->ctrl = c;
    rh->break_on_stop = break_on_stop;
    for (uint32_t i = 0; i < SCN_MAX_EVENTS; i++) {
        rh->fire[i].rh = rh;
        rh->fire[i].idx = i;
        evtimer_assign(&rh->fire[i].timer, h->base, fire_cb, &rh->fire[i]);
    }
    evtimer_assign(&rh->interval, h->base, interval_cb, rh);
    event_priority_set(&rh->interval, 0); /* snapshots flow while the nodes are behind */
    rh->next_interval = 0;
    host_arm_at(h, &rh->interval, 0);
    ctrl_on(c, TAG_SCHEDULE, on_schedule, rh);
    ctrl_on(c, TAG_STOP, on_stop, rh);
    ctrl_on(c, TAG_GLOBAL, on_global, rh);
    ctrl_on(c, TAG_PING, on_ping, rh);
    ctrl_on(c, TAG_OFFSET, on_offset, rh);
    ctrl_on(c, TAG_DC_STATUS, on_dc_status, rh);
    ctrl_on(c, TAG_SCALE, on_scale, rh);
    if (break_on_stop) /* the control plane is ours alone: rank 0's coordinator polls fast */
        ctrl_set_idle_poll(c, idle_poll_ns(h->scn->control.lead_ns));
}

void rank_host_stop(struct rank_host *rh)
{
    if (rh->stopped)
        return;
    rh->stopped = true;
    event_del(&rh->interval);
    for (uint32_t i = 0; i < SCN_MAX_EVENTS; i++)
        event_del(&rh->fire[i].timer);
    loop_turn_precise_at(INT64_MAX);
    while (rh->scales)
        scale_unlink(rh->scales); // NOLINT(clang-analyzer-unix.Malloc): scale_unlink unlinks it
}
