/* loop_turn.c - a budget for each turn of the event loop (see loop_turn.h). */
#include "loop_turn.h"

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "common/clock.h"

/* The shortest budget: what the loop used for every turn before, short
 * enough that an event's timer, due during a turn, waits at most about one
 * callback (FIRE_LEAD_NS in control/rank_host.c is 2 ms). */
#define MIN_NS (500 * 1000LL)
#define MAX_NS (LOOP_TURN_MAX_US * 1000LL)
/* A turn's callbacks run 16 times as long as the poll before them: at
 * least 94% of a busy loop's time goes to the nodes, however many sockets
 * are ready (against a 6,000-peer herd, a factor of 4 took twice as long
 * to bring it online; docs/architecture.md, "Turn budget"). */
#define OVERHEAD_FACTOR 16
/* Short turns from this long before an event's instant: covers the poll
 * and the callback that a turn cut short still finishes, so that the
 * event's timer (armed FIRE_LEAD_NS ahead) is seen in time. */
#define PRECISE_AHEAD_NS (MAX_NS)

static struct {
    struct event_base *base;
    bool dispatching;             /* inside loop_turn_dispatch */
    const struct event *ended_in; /* the callback during which a check ended the turn */
    int64_t started;              /* this turn's first check; 0: none yet */
    int64_t ended;                /* when a check last ended a turn; 0: never */
    int64_t budget;               /* this turn's budget, from the poll before it */
    int64_t precise_at;           /* the next instant needing short turns */
} turn = {.precise_at = INT64_MAX};

void loop_turn_init(struct event_base *base)
{
    turn.base = base;
    turn.dispatching = false;
    turn.ended_in = NULL;
    turn.started = turn.ended = 0;
    turn.budget = MIN_NS;
    turn.precise_at = INT64_MAX;
}

void loop_turn_precise_at(int64_t mono_ns)
{
    turn.precise_at = mono_ns;
}

static int64_t budget_at(int64_t now)
{
    if (turn.precise_at != INT64_MAX && now >= turn.precise_at - PRECISE_AHEAD_NS)
        return MIN_NS;
    return turn.budget;
}

int loop_turn_dispatch(void)
{
    turn.dispatching = true;
    int rc = event_base_dispatch(turn.base);
    turn.dispatching = false;
    return rc;
}

void loop_turn_check(void)
{
    if (!turn.dispatching)
        return;
    /* Only inside a callback of the loop (a check comes from one) does
     * libevent know the running event. A callback may check more than
     * once (a handshake, then the frame it carried): after one of its
     * checks ended the turn, the others belong to the same turn. */
    if (turn.started == 0 && turn.ended_in &&
        event_base_get_running_event(turn.base) == turn.ended_in)
        return;
    int64_t now = clock_mono_ns();
    if (turn.started == 0) {
        /* The turn's first work. Since the check that ended the last turn,
         * the loop polled the kernel, ran its due timers and the run's own
         * machinery: the cost of a turn, which this one's work pays for. A
         * turn that ended by itself (nothing left to run) leaves `started`
         * set, and the next check ends the next turn at once: one short
         * turn measures the poll again. A loop that sat idle between a
         * turn ended here and the next check counts the wait as the poll's:
         * one turn gets the longest budget, which an idle loop's short
         * queue never uses up. */
        int64_t overhead = turn.ended ? now - turn.ended : 0;
        int64_t b = OVERHEAD_FACTOR * overhead;
        turn.budget = b < MIN_NS ? MIN_NS : b > MAX_NS ? MAX_NS : b;
        turn.started = now;
    }
    if (now - turn.started < budget_at(now))
        return;
    event_base_loopcontinue(turn.base);
    turn.started = 0;
    turn.ended = now;
    turn.ended_in = event_base_get_running_event(turn.base);
}
