/* test_capacity.c - the server capacity model (node/capacity.c): workers,
 * FIFO/LIFO queue, admission policies, abandoned requests, clear and
 * reconfigure, driven directly on a minimal host and a real event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "common/scenario.h"
#include "node/capacity.h"
#include "node/host.h"

#define MS 1000000LL
#define MAX_REQ 128

/* A request of the test: the model only sees the embedded cap_item. */
struct req {
    struct cap_item ci;
    int id;
    int n_done, n_drop; /* how many times each callback saw it */
    bool abandoned;     /* as reported by done() */
    int64_t done_ns;    /* run time of done() */
};

struct fx {
    struct scenario scn;
    struct host h;
    struct capacity c;
    bool cap_ready;
    struct req r[MAX_REQ];
    int done_order[MAX_REQ], n_done;
    int drop_order[MAX_REQ], n_drop;
    int want_done; /* run_until_done's target */
};

static void on_done(struct cap_item *it, bool abandoned, void *arg)
{
    struct fx *f = arg;
    struct req *r = container_of(it, struct req, ci);
    assert_true(it->owner == &f->c);
    r->n_done++;
    r->abandoned = abandoned;
    r->done_ns = host_now(&f->h);
    assert_true(f->n_done < MAX_REQ);
    f->done_order[f->n_done++] = r->id;
}

static void on_drop(struct cap_item *it, void *arg)
{
    struct fx *f = arg;
    struct req *r = container_of(it, struct req, ci);
    r->n_drop++;
    assert_true(f->n_drop < MAX_REQ);
    f->drop_order[f->n_drop++] = r->id;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    scenario_defaults(&f->scn);
    f->scn.seed = 0x5eedULL;
    memset(&f->h, 0, sizeof f->h);
    f->h.base = event_base_new();
    if (!f->h.base) {
        free(f);
        return -1;
    }
    f->h.scn = &f->scn;
    for (int i = 0; i < MAX_REQ; i++)
        f->r[i].id = i;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->cap_ready)
        cap_clear(&f->c); /* disarms any timer left by a failed test */
    event_base_free(f->h.base);
    free(f);
    return 0;
}

static struct scn_capacity base_cfg(uint32_t workers, int64_t service_ns, uint32_t queue,
                                    enum scn_admission adm)
{
    struct scn_capacity k;
    memset(&k, 0, sizeof k);
    k.workers = workers;
    k.service_time = (struct dist){.kind = DIST_CONST, .a = (double)service_ns};
    k.queue = queue;
    k.admission = adm;
    k.discipline = QUEUE_FIFO;
    return k;
}

/* Start the model with the login server's metrics; run time 0 is now. */
static void start(struct fx *f, const struct scn_capacity *k)
{
    struct cap_metrics m = {
        .g_queue = G_LS_QUEUE,
        .g_busy = G_LS_BUSY,
        .c_served = C_LS_SERVED,
        .c_rejected = C_LS_REJECTED,
        .c_wasted = C_LS_WASTED,
        .queue_us = &f->h.m.ls_queue_us,
        .service_us = &f->h.m.ls_service_us,
        .c_busy_us = -1,
    };
    f->h.start_coord_ns = clock_mono_ns();
    cap_init(&f->c, &f->h, k, 7, &m, on_done, on_drop, f);
    f->cap_ready = true;
}

static enum cap_verdict submit(struct fx *f, int i, uint32_t *hint)
{
    *hint = 0xdeadbeef;
    return cap_submit(&f->c, &f->r[i].ci, hint);
}

/* ---- running the loop ---- */

struct waiter {
    struct fx *f;
    int64_t deadline;
    bool ok;
};

static bool enough_done(const struct fx *f)
{
    return f->n_done >= f->want_done;
}

static void poll_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct waiter *w = arg;
    if (enough_done(w->f)) {
        w->ok = true;
        event_base_loopbreak(w->f->h.base);
    } else if (clock_mono_ns() > w->deadline) {
        event_base_loopbreak(w->f->h.base);
    }
}

/* Run the loop until `n` done() calls in all, or timeout_ms. */
static bool run_until_done(struct fx *f, int n, int timeout_ms)
{
    struct waiter w = {f, clock_mono_ns() + timeout_ms * MS, false};
    f->want_done = n;
    if (enough_done(f))
        return true;
    struct event *ev = event_new(f->h.base, -1, EV_PERSIST, poll_cb, &w);
    struct timeval tv = {0, 1000};
    event_add(ev, &tv);
    event_base_dispatch(f->h.base);
    event_free(ev);
    return w.ok;
}

/* Run the loop for ms milliseconds. */
static void run_for(struct fx *f, int ms)
{
    struct timeval tv = clock_tv_from_ns(ms * MS);
    event_base_loopexit(f->h.base, &tv);
    event_base_dispatch(f->h.base);
}

static int64_t g(struct fx *f, int gauge)
{
    return f->h.m.g[gauge];
}

static uint64_t ctr(struct fx *f, int c)
{
    return f->h.m.c[c];
}

/* ---- bounded queue and discipline ---- */

static void test_bounded_queue_starts_queues_then_rejects(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 2, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(hint, 0);
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    assert_int_equal(hint, 0);
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED);
    assert_int_equal(hint, 0);
    assert_int_equal(ctr(f, C_LS_REJECTED), 1);
    assert_int_equal(g(f, G_LS_BUSY), 1);
    assert_int_equal(g(f, G_LS_QUEUE), 2);
    assert_int_equal(f->c.busy, 1);
    assert_int_equal(f->c.qlen, 2);
    assert_int_equal(f->r[0].ci.state, CAP_SERVING);
    assert_int_equal(f->r[1].ci.state, CAP_QUEUED);
}

static void test_bounded_queue_serves_fifo(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 2, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 4; i++)
        submit(f, i, &hint);
    assert_true(run_until_done(f, 3, 500));
    run_for(f, 10); /* nothing else comes */
    assert_int_equal(f->n_done, 3);
    assert_int_equal(f->done_order[0], 0);
    assert_int_equal(f->done_order[1], 1);
    assert_int_equal(f->done_order[2], 2);
    assert_int_equal(f->r[3].n_done, 0);
    assert_int_equal(f->r[3].n_drop, 0);
    assert_int_equal(ctr(f, C_LS_SERVED), 3);
    assert_int_equal(ctr(f, C_LS_REJECTED), 1);
    assert_int_equal(g(f, G_LS_BUSY), 0);
    assert_int_equal(g(f, G_LS_QUEUE), 0);
}

static void test_lifo_serves_queued_newest_first(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 2, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    k.discipline = QUEUE_LIFO;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED);
    assert_true(run_until_done(f, 3, 500));
    assert_int_equal(f->done_order[0], 0);
    assert_int_equal(f->done_order[1], 2);
    assert_int_equal(f->done_order[2], 1);
}

/* ---- accept-all ---- */

static void test_accept_all_never_rejects_and_drains(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(4, 1 * MS, 0, ADMIT_ACCEPT_ALL);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 100; i++) {
        enum cap_verdict v = submit(f, i, &hint);
        assert_int_not_equal(v, CAP_V_REJECTED);
        assert_int_equal(v, i < 4 ? CAP_V_STARTED : CAP_V_QUEUED);
        assert_int_equal(hint, 0);
    }
    assert_int_equal(g(f, G_LS_QUEUE), 96);
    assert_int_equal(g(f, G_LS_BUSY), 4);
    assert_true(run_until_done(f, 100, 900));
    assert_int_equal(ctr(f, C_LS_SERVED), 100);
    assert_int_equal(ctr(f, C_LS_REJECTED), 0);
    assert_int_equal(g(f, G_LS_QUEUE), 0);
    assert_int_equal(g(f, G_LS_BUSY), 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(f->r[i].n_done, 1);
}

/* ---- token bucket ---- */

static void test_token_bucket_burst_then_hint(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(100, 2 * MS, 0, ADMIT_TOKEN_BUCKET);
    uint32_t hint;

    k.rate = 10;
    k.burst = 3;
    start(f, &k);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(submit(f, i, &hint), CAP_V_STARTED);
        assert_int_equal(hint, 0);
    }
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED);
    /* 1 token at 10/s: 100 ms, plus the 1 ms of rounding up. */
    assert_in_range(hint, 95, 101);
    assert_int_equal(ctr(f, C_LS_REJECTED), 1);
}

static void test_token_bucket_refills_after_wait(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(100, 2 * MS, 0, ADMIT_TOKEN_BUCKET);
    uint32_t hint;

    k.rate = 10;
    k.burst = 3;
    start(f, &k);
    for (int i = 0; i < 3; i++)
        assert_int_equal(submit(f, i, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED);
    run_for(f, 110);
    assert_int_equal(submit(f, 4, &hint), CAP_V_STARTED);
    /* The one refilled token is spent again; the next is about 90 ms away. */
    assert_int_equal(submit(f, 5, &hint), CAP_V_REJECTED);
    assert_in_range(hint, 1, 100);
    assert_int_equal(ctr(f, C_LS_REJECTED), 2);
    assert_true(run_until_done(f, 4, 500));
}

/* ---- shed ---- */

static void test_shed_rejects_when_expected_wait_exceeds_max_wait(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 10 * MS, 10, ADMIT_SHED);
    uint32_t hint;

    /* expected wait = (queued + 0.5) * mean / workers once no worker is free */
    k.max_wait_ns = 20 * MS;
    start(f, &k);
    assert_int_equal(cap_expected_wait_ms(&f->c), 0); /* a worker is free */
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(cap_expected_wait_ms(&f->c), 5); /* (0 + 0.5) * 10 */
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    assert_int_equal(cap_expected_wait_ms(&f->c), 15);
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);
    assert_int_equal(cap_expected_wait_ms(&f->c), 25); /* > 20 ms */
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED);
    assert_int_equal(hint, 25);
    assert_int_equal(ctr(f, C_LS_REJECTED), 1);
    assert_int_equal(f->c.qlen, 2); /* far from the queue bound of 10 */
}

static void test_shed_expected_wait_divides_by_workers(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(2, 10 * MS, 10, ADMIT_SHED);
    uint32_t hint;

    k.max_wait_ns = 6 * MS;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);  /* a worker free: 0 */
    assert_int_equal(submit(f, 1, &hint), CAP_V_STARTED);  /* still one free: 0 */
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);   /* 0.5 * 10 / 2 = 2.5 */
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED); /* 1.5 * 10 / 2 = 7.5 > 6 */
    assert_int_equal(hint, 7);
}

static void test_shed_admits_at_once_while_a_worker_is_idle(void **state)
{
    /* 4 workers, 1 busy, max_wait far below the service time: the next
     * request starts at once instead of being refused */
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(4, 20 * MS, 10, ADMIT_SHED);
    uint32_t hint;

    k.max_wait_ns = 4 * MS;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_STARTED);
    assert_int_equal(ctr(f, C_LS_REJECTED), 0);
}

static void test_shed_rejects_when_queue_full_under_max_wait(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 10 * MS, 2, ADMIT_SHED);
    uint32_t hint;

    k.max_wait_ns = 1000 * MS;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 3, &hint), CAP_V_REJECTED); /* 25 ms < 1 s, but full */
    assert_int_equal(hint, 25);
    assert_int_equal(ctr(f, C_LS_REJECTED), 1);
}

static void test_shed_without_max_wait_rejects_only_when_full(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 20 * MS, 5, ADMIT_SHED);
    uint32_t hint;

    k.max_wait_ns = 0;
    start(f, &k);
    for (int i = 0; i < 6; i++)
        assert_int_not_equal(submit(f, i, &hint), CAP_V_REJECTED);
    assert_int_equal(submit(f, 6, &hint), CAP_V_REJECTED);
    assert_int_equal(hint, 110); /* (5 + 0.5) * 20 ms */
}

/* ---- pace ---- */

static void test_pace_admits_all_with_growing_wait_hint(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(10, 5 * MS, 0, ADMIT_PACE);
    uint32_t hint, prev = 0;

    k.rate = 50;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(hint, 0);
    for (int i = 1; i < 5; i++) {
        assert_int_equal(submit(f, i, &hint), CAP_V_QUEUED);
        /* qlen / rate + mean service: 25, 45, 65, 85 ms (+-1 for rounding) */
        assert_in_range(hint, 20 * i + 5 - 1, 20 * i + 5);
        assert_true(hint > prev);
        prev = hint;
    }
    assert_int_equal(ctr(f, C_LS_REJECTED), 0);
    assert_int_equal(f->c.busy, 1); /* idle workers, but paced */
}

static void test_pace_spaces_service_starts(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(10, 5 * MS, 0, ADMIT_PACE);
    uint32_t hint;

    k.rate = 50;
    start(f, &k);
    for (int i = 0; i < 5; i++)
        submit(f, i, &hint);
    assert_true(run_until_done(f, 5, 900));
    /* Pacing spaces the starts: each at least 1/rate = 20 ms after the one
     * before, however late the timers fire on a loaded machine (a late start
     * pushes the next one back too). Completion times are not checked: a late
     * completion timer would shrink their gaps without any pacing fault. */
    for (int i = 1; i < 5; i++) {
        assert_int_equal(f->done_order[i], i);
        int64_t gap = f->r[i].ci.start_ns - f->r[i - 1].ci.start_ns;
        assert_true(gap >= 20 * MS);
    }
    assert_int_equal(ctr(f, C_LS_SERVED), 5);
}

/* ---- abandoned requests ---- */

static void test_abandoned_queued_is_served_and_wasted(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 5, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    k.drop_abandoned = false;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    cap_abandon(&f->c, &f->r[1].ci);
    assert_int_equal(f->n_drop, 0);
    assert_int_equal(f->r[1].ci.state, CAP_QUEUED);
    assert_int_equal(g(f, G_LS_QUEUE), 1);
    assert_true(run_until_done(f, 2, 500));
    assert_int_equal(f->done_order[0], 0);
    assert_int_equal(f->done_order[1], 1);
    assert_false(f->r[0].abandoned);
    assert_true(f->r[1].abandoned);
    assert_int_equal(f->n_drop, 0);
    assert_int_equal(ctr(f, C_LS_SERVED), 1);
    assert_int_equal(ctr(f, C_LS_WASTED), 1);
}

static void test_drop_abandoned_drops_queued_at_once(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 5, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    k.drop_abandoned = true;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_QUEUED);
    assert_int_equal(submit(f, 2, &hint), CAP_V_QUEUED);
    assert_int_equal(g(f, G_LS_QUEUE), 2);
    cap_abandon(&f->c, &f->r[1].ci);
    assert_int_equal(f->n_drop, 1); /* at once, without running the loop */
    assert_int_equal(f->drop_order[0], 1);
    assert_int_equal(f->r[1].ci.state, CAP_IDLE);
    assert_int_equal(g(f, G_LS_QUEUE), 1);
    assert_int_equal(f->c.qlen, 1);
    assert_true(run_until_done(f, 2, 500));
    run_for(f, 10);
    assert_int_equal(f->n_done, 2);
    assert_int_equal(f->done_order[0], 0);
    assert_int_equal(f->done_order[1], 2);
    assert_int_equal(f->r[1].n_done, 0);
    assert_int_equal(ctr(f, C_LS_SERVED), 2);
    assert_int_equal(ctr(f, C_LS_WASTED), 0);
}

static void test_drop_abandoned_still_serves_item_in_service(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 5 * MS, 5, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    k.drop_abandoned = true;
    start(f, &k);
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    cap_abandon(&f->c, &f->r[0].ci);
    assert_int_equal(f->n_drop, 0);
    assert_int_equal(f->r[0].ci.state, CAP_SERVING);
    assert_true(run_until_done(f, 1, 500));
    assert_true(f->r[0].abandoned);
    assert_int_equal(f->n_drop, 0);
    assert_int_equal(ctr(f, C_LS_WASTED), 1);
    assert_int_equal(ctr(f, C_LS_SERVED), 0);
    assert_int_equal(g(f, G_LS_BUSY), 0);
}

/* ---- clear ---- */

static void test_clear_drops_queued_and_in_service(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(2, 20 * MS, 5, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 5; i++)
        submit(f, i, &hint);
    assert_int_equal(g(f, G_LS_BUSY), 2);
    assert_int_equal(g(f, G_LS_QUEUE), 3);
    cap_clear(&f->c);
    assert_int_equal(f->n_drop, 5);
    /* The queue first, in queue order, then the ones in service. */
    assert_int_equal(f->drop_order[0], 2);
    assert_int_equal(f->drop_order[1], 3);
    assert_int_equal(f->drop_order[2], 4);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(f->r[i].n_drop, 1);
        assert_int_equal(f->r[i].ci.state, CAP_IDLE);
    }
    assert_int_equal(g(f, G_LS_BUSY), 0);
    assert_int_equal(g(f, G_LS_QUEUE), 0);
    assert_int_equal(f->c.busy, 0);
    assert_int_equal(f->c.qlen, 0);
    run_for(f, 40); /* past the service time: no timer is left */
    assert_int_equal(f->n_done, 0);
    assert_int_equal(ctr(f, C_LS_SERVED), 0);
}

static void test_clear_in_pace_mode_disarms_pace_timer(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(10, 1 * MS, 0, ADMIT_PACE);
    uint32_t hint;

    k.rate = 50;
    start(f, &k);
    for (int i = 0; i < 3; i++)
        submit(f, i, &hint);
    cap_clear(&f->c);
    assert_int_equal(f->n_drop, 3);
    assert_false(evtimer_pending(&f->c.pace_timer, NULL));
    run_for(f, 50);
    assert_int_equal(f->n_done, 0);
}

/* ---- reconfigure ---- */

static struct scn_event cap_event(uint32_t workers, struct dist st)
{
    struct scn_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EV_CAPACITY;
    ev.role = ROLE_LOGIN_SERVER;
    ev.workers = workers;
    ev.service_time = st;
    return ev;
}

static const struct dist keep = {.kind = DIST_KEEP};

static void test_reconfigure_more_workers_start_queued_at_once(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 20 * MS, 10, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 4; i++)
        submit(f, i, &hint);
    assert_int_equal(f->c.busy, 1);
    assert_int_equal(f->c.qlen, 3);
    struct scn_event ev = cap_event(3, keep);
    cap_reconfigure(&f->c, &ev);
    assert_int_equal(f->c.cfg.workers, 3);
    assert_int_equal(f->c.busy, 3);
    assert_int_equal(f->c.qlen, 1);
    assert_int_equal(g(f, G_LS_BUSY), 3);
    assert_int_equal(g(f, G_LS_QUEUE), 1);
    assert_int_equal(f->r[1].ci.state, CAP_SERVING);
    assert_int_equal(f->r[2].ci.state, CAP_SERVING);
    assert_int_equal(f->r[3].ci.state, CAP_QUEUED);
    assert_true(run_until_done(f, 4, 500));
}

static void test_reconfigure_service_time_applies_to_later_items(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 20 * MS, 10, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    submit(f, 0, &hint);
    submit(f, 1, &hint);
    struct scn_event ev = cap_event(0, (struct dist){.kind = DIST_CONST, .a = 2.0 * MS});
    cap_reconfigure(&f->c, &ev);
    assert_int_equal(f->c.cfg.workers, 1); /* 0: unchanged */
    assert_int_equal(f->c.busy, 1);
    assert_true(run_until_done(f, 2, 500));
    /* Item 0 kept its 20 ms draw, item 1 got 2 ms. */
    assert_true(f->r[0].done_ns >= 15 * MS);
    assert_true(f->r[1].done_ns - f->r[0].done_ns < 15 * MS);
    assert_int_equal(f->h.m.ls_service_us.count, 2);
    assert_int_equal(f->h.m.ls_service_us.sum, 20000 + 2000);
}

static void test_reconfigure_keep_leaves_service_time_and_queue(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 3 * MS, 2, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    struct scn_event ev = cap_event(2, keep);
    cap_reconfigure(&f->c, &ev);
    assert_int_equal(f->c.cfg.service_time.kind, DIST_CONST);
    assert_true(f->c.cfg.service_time.a == 3.0 * MS);
    assert_int_equal(f->c.cfg.queue, 2); /* queue_set false */
    assert_int_equal(f->c.cfg.workers, 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(submit(f, i, &hint), CAP_V_STARTED);
    assert_true(run_until_done(f, 2, 500));
    assert_int_equal(f->h.m.ls_service_us.sum, 2 * 3000);

    /* queue_set changes the bound, even to 0. */
    ev = cap_event(0, keep);
    ev.queue = 0;
    ev.queue_set = true;
    cap_reconfigure(&f->c, &ev);
    assert_int_equal(f->c.cfg.queue, 0);
    assert_int_equal(f->c.cfg.workers, 2);
    assert_int_equal(submit(f, 2, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 3, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 4, &hint), CAP_V_REJECTED);
    assert_true(run_until_done(f, 4, 500));
}

static void test_reconfigure_fewer_workers_drains_without_preemption(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(3, 10 * MS, 10, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 5; i++)
        submit(f, i, &hint);
    assert_int_equal(f->c.busy, 3);
    struct scn_event ev = cap_event(1, keep);
    cap_reconfigure(&f->c, &ev);
    assert_int_equal(f->c.busy, 3); /* nothing is preempted */
    assert_true(run_until_done(f, 3, 500));
    /* The three in service are done; only one queued item may now run. */
    assert_true(f->c.busy <= 1);
    assert_true(run_until_done(f, 5, 500));
    assert_int_equal(g(f, G_LS_BUSY), 0);
}

/* ---- metrics ---- */

static void test_histograms_get_one_sample_per_served_item(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 2 * MS, 10, ADMIT_BOUNDED_QUEUE);
    uint32_t hint;

    start(f, &k);
    for (int i = 0; i < 5; i++)
        submit(f, i, &hint);
    assert_true(run_until_done(f, 5, 500));
    assert_int_equal(f->h.m.ls_queue_us.count, 5);
    assert_int_equal(f->h.m.ls_service_us.count, 5);
    assert_int_equal(f->h.m.ls_service_us.sum, 5 * 2000);
    /* The last one waited for four services of 2 ms (timers may fire a
     * little early: the loop's cached time lags). */
    assert_true(f->h.m.ls_queue_us.max >= 5000);
    assert_int_equal(ctr(f, C_LS_SERVED), 5);
}

static void test_no_metrics_when_indices_negative(void **state)
{
    struct fx *f = *state;
    struct scn_capacity k = base_cfg(1, 1 * MS, 0, ADMIT_BOUNDED_QUEUE);
    struct cap_metrics none = {-1, -1, -1, -1, -1, NULL, NULL, NULL, -1, NULL};
    struct metrics zero;
    uint32_t hint;

    f->h.start_coord_ns = clock_mono_ns();
    cap_init(&f->c, &f->h, &k, 7, &none, on_done, on_drop, f);
    f->cap_ready = true;
    assert_int_equal(submit(f, 0, &hint), CAP_V_STARTED);
    assert_int_equal(submit(f, 1, &hint), CAP_V_REJECTED);
    assert_true(run_until_done(f, 1, 500));
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&f->h.m, &zero, sizeof zero);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_bounded_queue_starts_queues_then_rejects),
        T(test_bounded_queue_serves_fifo),
        T(test_lifo_serves_queued_newest_first),
        T(test_accept_all_never_rejects_and_drains),
        T(test_token_bucket_burst_then_hint),
        T(test_token_bucket_refills_after_wait),
        T(test_shed_rejects_when_expected_wait_exceeds_max_wait),
        T(test_shed_expected_wait_divides_by_workers),
        T(test_shed_admits_at_once_while_a_worker_is_idle),
        T(test_shed_rejects_when_queue_full_under_max_wait),
        T(test_shed_without_max_wait_rejects_only_when_full),
        T(test_pace_admits_all_with_growing_wait_hint),
        T(test_pace_spaces_service_starts),
        T(test_abandoned_queued_is_served_and_wasted),
        T(test_drop_abandoned_drops_queued_at_once),
        T(test_drop_abandoned_still_serves_item_in_service),
        T(test_clear_drops_queued_and_in_service),
        T(test_clear_in_pace_mode_disarms_pace_timer),
        T(test_reconfigure_more_workers_start_queued_at_once),
        T(test_reconfigure_service_time_applies_to_later_items),
        T(test_reconfigure_keep_leaves_service_time_and_queue),
        T(test_reconfigure_fewer_workers_drains_without_preemption),
        T(test_histograms_get_one_sample_per_served_item),
        T(test_no_metrics_when_indices_negative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
