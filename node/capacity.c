/* capacity.c - workers, queue and admission control (see capacity.h). */
#include "capacity.h"

#include <event2/event.h>

#include "common/attribution.h"
#include "host.h"
#include "loop_turn.h"

static void gauge(struct capacity *c, int g, int delta)
{
    if (g >= 0)
        c->h->m.g[g] += delta;
}

static void count(struct capacity *c, int ctr)
{
    if (ctr >= 0)
        c->h->m.c[ctr]++;
}

static double mean_service_ns(const struct capacity *c)
{
    return dist_mean(&c->cfg.service_time);
}

uint32_t cap_expected_wait_ms(const struct capacity *c)
{
    double ns;
    if (c->cfg.admission == ADMIT_PACE && c->cfg.rate > 0)
        ns = c->qlen / c->cfg.rate * 1e9 + mean_service_ns(c);
    else if (c->busy < c->cfg.workers && c->qlen == 0)
        ns = 0; /* a free worker takes it at once */
    else        /* everyone queued ahead, and on average half a service to free a worker */
        ns = ((double)c->qlen + 0.5) * mean_service_ns(c) / c->cfg.workers;
    double ms = ns / 1e6;
    return ms < 0 ? 0 : ms > 3600e3 ? 3600000u : (uint32_t)ms;
}

static void kick(struct capacity *c);

static void service_done(evutil_socket_t fd, short what, void *arg)
{
    struct cap_item *it = arg;
    struct capacity *c = it->owner;
    loop_turn_check();
    TAILQ_REMOVE(&c->serving, it, q);
    it->state = CAP_IDLE;
    c->busy--;
    int64_t held = host_now(c->h) - it->start_ns;
    uint64_t us = held > 0 ? (uint64_t)held / 1000 : 0;
    c->busy_us += us;
    if (c->m.c_busy_us >= 0)
        c->h->m.c[c->m.c_busy_us] += us;
    if (c->m.busy_us)
        *c->m.busy_us += us;
    gauge(c, c->m.g_busy, -1);
    count(c, it->abandoned ? c->m.c_wasted : c->m.c_served);
    if (c->m.emu_us) {
        struct host *h = c->h;
        int64_t emu = host_emulates_clients(h)
                          ? attr_delay(host_now(h) - it->enq_ns, host_emu_since(h, it->enq_mark), 0)
                          : 0;
        hist_add(c->m.emu_us, (uint64_t)(emu / 1000));
    }
    c->done(it, it->abandoned, c->arg); /* may free it */
    kick(c);
}

/* `now` is the caller's clock reading, the one pacing decided on. */
static void start_service(struct capacity *c, struct cap_item *it, int64_t now)
{
    if (c->m.queue_us)
        hist_add(c->m.queue_us, (uint64_t)(now > it->enq_ns ? (now - it->enq_ns) / 1000 : 0));
    int64_t st = dist_draw(&c->cfg.service_time, &c->rng);
    if (c->m.service_us)
        hist_add(c->m.service_us, (uint64_t)(st / 1000));
    c->busy++;
    gauge(c, c->m.g_busy, +1);
    it->start_ns = now;
    it->state = CAP_SERVING;
    TAILQ_INSERT_TAIL(&c->serving, it, q);
    evtimer_assign(&it->timer, c->h->base, service_done, it);
    host_arm_in(&it->timer, st);
}

static struct cap_item *dequeue(struct capacity *c)
{
    struct cap_item *it =
        c->cfg.discipline == QUEUE_LIFO ? TAILQ_LAST(&c->queue, cap_list) : TAILQ_FIRST(&c->queue);
    TAILQ_REMOVE(&c->queue, it, q);
    c->qlen--;
    gauge(c, c->m.g_queue, -1);
    return it;
}

static void pace_cb(evutil_socket_t fd, short what, void *arg)
{
    kick(arg);
}

/* Start as many waiting requests as workers (and pacing) allow; none while
 * stalled. */
static void kick(struct capacity *c)
{
    while (c->busy < c->cfg.workers && c->qlen > 0) {
        int64_t now = host_now(c->h);
        if (now < c->stalled_until_ns) {
            if (!evtimer_pending(&c->stall_timer, NULL))
                host_arm_at(c->h, &c->stall_timer, c->stalled_until_ns);
            return;
        }
        if (c->cfg.admission == ADMIT_PACE && c->cfg.rate > 0) {
            if (now < c->pace_next_ns) {
                if (!evtimer_pending(&c->pace_timer, NULL))
                    host_arm_in(&c->pace_timer, c->pace_next_ns - now);
                return;
            }
            int64_t gap = (int64_t)(1e9 / c->cfg.rate);
            c->pace_next_ns = (c->pace_next_ns > now ? c->pace_next_ns : now) + gap;
        }
        start_service(c, dequeue(c), now);
    }
}

void cap_init(struct capacity *c, struct host *h, const struct scn_capacity *cfg, uint32_t node_id,
              const struct cap_metrics *m, cap_done_fn done, cap_drop_fn drop, void *arg)
{
    c->h = h;
    c->cfg = *cfg;
    rng_seed(&c->rng, h->scn->seed, node_id, RNG_STREAM_NODE + 16);
    TAILQ_INIT(&c->queue);
    TAILQ_INIT(&c->serving);
    c->qlen = c->busy = 0;
    c->tokens = cfg->burst;
    c->tokens_ns = 0;
    c->pace_next_ns = 0;
    evtimer_assign(&c->pace_timer, h->base, pace_cb, c);
    c->busy_us = 0;
    c->stalled_until_ns = 0;
    evtimer_assign(&c->stall_timer, h->base, pace_cb, c);
    c->m = *m;
    c->done = done;
    c->drop = drop;
    c->arg = arg;
}

static bool take_token(struct capacity *c, uint32_t *hint_ms)
{
    int64_t now = host_now(c->h);
    c->tokens += (double)(now - c->tokens_ns) / 1e9 * c->cfg.rate;
    if (c->tokens > c->cfg.burst)
        c->tokens = c->cfg.burst;
    c->tokens_ns = now;
    if (c->tokens >= 1) {
        c->tokens -= 1;
        return true;
    }
    *hint_ms = (uint32_t)((1 - c->tokens) / c->cfg.rate * 1e3) + 1;
    return false;
}

enum cap_verdict cap_submit(struct capacity *c, struct cap_item *it, uint32_t *hint_ms)
{
    *hint_ms = 0;
    it->owner = c;
    it->abandoned = false;
    it->enq_ns = host_now(c->h);
    it->enq_mark = host_emu_mark(c->h);
    bool all_busy = c->busy >= c->cfg.workers;
    switch (c->cfg.admission) {
    case ADMIT_ACCEPT_ALL:
    case ADMIT_PACE:
        break;
    case ADMIT_TOKEN_BUCKET:
        /* Queue first: a request refused for a full queue must not spend a
         * token it never used. */
        if (all_busy && c->qlen >= c->cfg.queue)
            goto reject;
        if (!take_token(c, hint_ms))
            goto reject;
        break;
    case ADMIT_SHED: {
        uint32_t wait = cap_expected_wait_ms(c);
        bool too_long = c->cfg.max_wait_ns > 0 && (int64_t)wait * 1000000 > c->cfg.max_wait_ns;
        if (too_long || (all_busy && c->qlen >= c->cfg.queue)) {
            *hint_ms = wait > 0 ? wait : 1;
            goto reject;
        }
        break;
    }
    case ADMIT_BOUNDED_QUEUE:
    default:
        if (all_busy && c->qlen >= c->cfg.queue)
            goto reject;
        break;
    }
    /* Everything goes through the queue, so discipline and pacing apply
     * the same way whether or not a worker happens to be free. */
    it->state = CAP_QUEUED;
    TAILQ_INSERT_TAIL(&c->queue, it, q);
    c->qlen++;
    gauge(c, c->m.g_queue, +1);
    kick(c);
    if (it->state == CAP_SERVING)
        return CAP_V_STARTED;
    if (c->cfg.admission == ADMIT_PACE)
        *hint_ms = cap_expected_wait_ms(c);
    return CAP_V_QUEUED;
reject:
    count(c, c->m.c_rejected);
    return CAP_V_REJECTED;
}

void cap_abandon(struct capacity *c, struct cap_item *it)
{
    if (it->state == CAP_QUEUED && c->cfg.drop_abandoned) {
        TAILQ_REMOVE(&c->queue, it, q);
        c->qlen--;
        gauge(c, c->m.g_queue, -1);
        it->state = CAP_IDLE;
        c->drop(it, c->arg);
        return;
    }
    it->abandoned = true;
}

void cap_reconfigure(struct capacity *c, const struct scn_event *ev)
{
    if (ev->workers)
        c->cfg.workers = ev->workers;
    if (ev->service_time.kind != DIST_KEEP)
        c->cfg.service_time = ev->service_time;
    if (ev->queue_set)
        c->cfg.queue = ev->queue;
    kick(c); /* more workers may start waiting requests at once */
}

void cap_stall(struct capacity *c, int64_t for_ns)
{
    int64_t until = host_now(c->h) + for_ns;
    if (until <= c->stalled_until_ns)
        return;
    c->stalled_until_ns = until;
    if (evtimer_pending(&c->stall_timer, NULL))
        event_del(&c->stall_timer);
    kick(c); /* arms the timer if anything waits */
}

void cap_clear(struct capacity *c)
{
    while (c->qlen > 0) {
        struct cap_item *it = dequeue(c);
        it->state = CAP_IDLE;
        c->drop(it, c->arg);
    }
    struct cap_item *it;
    while ((it = TAILQ_FIRST(&c->serving))) {
        TAILQ_REMOVE(&c->serving, it, q);
        event_del(&it->timer);
        it->state = CAP_IDLE;
        c->busy--;
        gauge(c, c->m.g_busy, -1);
        c->drop(it, c->arg);
    }
    event_del(&c->pace_timer);
    event_del(&c->stall_timer);
}
