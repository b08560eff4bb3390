/* loop_turn.h - how long one turn of a rank's event loop runs callbacks.
 *
 * Each turn, libevent polls the kernel (epoll_wait), then runs the active
 * callbacks. The poll costs time in proportion to the sockets that are
 * ready: level-triggered, a socket whose callback has not run yet is
 * reported again at every poll. A turn cut short after a fixed 0.5 ms (so
 * that an event's timer is never late) made a rank with thousands of ready
 * sockets spend 98% of its time polling them: it fell further behind the
 * more it had to do, and never recovered (docs/architecture.md, "Turn
 * budget").
 *
 * So a turn's budget follows what the poll before it cost: 16 times as
 * long, between 0.5 ms and LOOP_TURN_MAX_US, and 0.5 ms again shortly
 * before a scenario event's instant. The callbacks that do a rank's work
 * (the start of a TLS handshake, a frame read, an accept, a node's timer) call
 * loop_turn_check(), which ends the turn once its budget is spent. One
 * event loop per process: the state is the module's. */
#ifndef BS_LOOP_TURN_H
#define BS_LOOP_TURN_H

#include <stdint.h>

struct event_base;

/* The longest a turn runs callbacks, also for callbacks that never call
 * loop_turn_check() (the loop's own check, new_event_loop). */
#define LOOP_TURN_MAX_US 50000

/* Turns of `base` get budgets; NULL: no base (before freeing it). */
void loop_turn_init(struct event_base *base);

/* Runs the loop of loop_turn_init's base (event_base_dispatch) with
 * budgets: checks outside it (set-up, tear-down) do nothing. */
int loop_turn_dispatch(void);

/* From a callback doing a node's work: end the loop's turn after this
 * callback when the turn's budget is spent. Cheap: one clock read. */
void loop_turn_check(void);

/* The next instant (CLOCK_MONOTONIC ns) that needs short turns before it,
 * so that its timer runs on time; INT64_MAX: none. */
void loop_turn_precise_at(int64_t mono_ns);

#endif
