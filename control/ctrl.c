/* ctrl.c - MPI control messages polled from libevent (see ctrl.h). */
#include "ctrl.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "common/clock.h"

#define POLL_FAST_NS (2 * NS_PER_MS)
/* After a message arrives, poll fast this long: messages come in bursts (a
 * clock re-estimation sends 8 probes 25 ms apart). */
#define FAST_HOLD_NS (60 * NS_PER_MS)

struct pending {
    struct pending *next;
    MPI_Request req;
    char buf[];
};

struct ctrl {
    MPI_Comm comm;
    struct event *poll;
    struct pending *sends;
    int64_t idle_ns;    /* the poll interval while nothing is going on */
    int64_t fast_until; /* poll fast until this clock_mono_ns() */
    bool armed_idle;    /* the poll is armed at idle_ns */
    ctrl_fn fn[TAG_MAX - TAG_SCHEDULE];
    void *arg[TAG_MAX - TAG_SCHEDULE];
};

static void reap_sends(struct ctrl *c)
{
    struct pending **pp = &c->sends;
    while (*pp) {
        int done = 0;
        MPI_Test(&(*pp)->req, &done, MPI_STATUS_IGNORE);
        if (done) {
            struct pending *d = *pp;
            *pp = d->next;
            free(d);
        } else {
            pp = &(*pp)->next;
        }
    }
}

/* The next poll after_ns from now: from the clock, not from the loop's
 * cached time, which is as old as this loop turn. A poll that takes longer
 * than the fast period in wall time (Open MPI yields the core inside
 * MPI_Test and MPI_Improbe when the machine is oversubscribed) would
 * otherwise be due again at once, every turn, and at the loop's first
 * priority it would keep the nodes from ever running. */
static void arm_poll(struct ctrl *c, int64_t after_ns)
{
    struct timeval tv = clock_tv_from_ns(after_ns);
    c->armed_idle = after_ns > POLL_FAST_NS;
    event_base_update_cache_time(event_get_base(c->poll));
    event_add(c->poll, &tv);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    struct ctrl *c = arg;
    reap_sends(c);
    for (;;) {
        int flag = 0, len = 0;
        MPI_Message msg;
        MPI_Status st;
        MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->comm, &flag, &msg, &st);
        if (!flag)
            break;
        MPI_Get_count(&st, MPI_BYTE, &len);
        char *buf = malloc(len > 0 ? (size_t)len : 1);
        if (!buf) {
            fprintf(stderr, "bootstorm: out of memory receiving a control message\n");
            MPI_Abort(c->comm, 1);
        }
        MPI_Mrecv(buf, len, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
        int t = st.MPI_TAG - TAG_SCHEDULE;
        if (t >= 0 && t < TAG_MAX - TAG_SCHEDULE && c->fn[t])
            c->fn[t](c->arg[t], st.MPI_SOURCE, buf, len);
        else
            fprintf(stderr, "bootstorm: dropped control message with tag %d from rank %d\n",
                    st.MPI_TAG, st.MPI_SOURCE);
        free(buf);
        c->fast_until = clock_mono_ns() + FAST_HOLD_NS;
    }
    bool fast = c->sends || clock_mono_ns() < c->fast_until;
    arm_poll(c, fast ? POLL_FAST_NS : c->idle_ns);
}

struct ctrl *ctrl_new(struct event_base *base, MPI_Comm comm)
{
    struct ctrl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->comm = comm;
    c->idle_ns = POLL_FAST_NS;
    c->poll = event_new(base, -1, 0, poll_cb, c);
    /* The loop's first priority (coordinator/main.c new_event_loop): a rank
     * whose nodes are far behind (an overloaded storm) still answers clock
     * probes, sends its snapshots and hears STOP, so the run ends with its
     * verdict instead of the coordinator's "ranks stopped reporting". */
    if (!c->poll || event_priority_set(c->poll, 0) < 0) {
        if (c->poll)
            event_free(c->poll);
        free(c);
        return NULL;
    }
    arm_poll(c, POLL_FAST_NS);
    return c;
}

void ctrl_set_idle_poll(struct ctrl *c, int64_t idle_ns)
{
    c->idle_ns = idle_ns > POLL_FAST_NS ? idle_ns : POLL_FAST_NS;
}

void ctrl_on(struct ctrl *c, enum ctrl_tag tag, ctrl_fn fn, void *arg)
{
    c->fn[tag - TAG_SCHEDULE] = fn;
    c->arg[tag - TAG_SCHEDULE] = arg;
}

int ctrl_send(struct ctrl *c, int dest, enum ctrl_tag tag, const void *buf, int len)
{
    struct pending *p = malloc(sizeof *p + (size_t)len);
    if (!p)
        return -1;
    memcpy(p->buf, buf, (size_t)len);
    if (MPI_Isend(p->buf, len, MPI_BYTE, dest, tag, c->comm, &p->req) != MPI_SUCCESS) {
        free(p);
        return -1;
    }
    p->next = c->sends;
    c->sends = p;
    if (c->armed_idle) /* progress the send (and a reply to it) soon */
        arm_poll(c, POLL_FAST_NS);
    return 0;
}

void ctrl_free(struct ctrl *c)
{
    if (!c)
        return;
    while (c->sends) {
        struct pending *d = c->sends;
        MPI_Wait(&d->req, MPI_STATUS_IGNORE);
        c->sends = d->next;
        free(d);
    }
    event_free(c->poll);
    free(c);
}
