/* capacity.h - the capacity model of a server (design 4.3), shared by login
 * servers, the central service and supernodes.
 *
 * `workers` each hold one request for a service-time draw (a timer, on top
 * of the real CPU the request costs). Requests that find every worker busy
 * wait in a queue, FIFO or LIFO. Admission decides who may wait:
 *   bounded-queue  BUSY when `queue` requests already wait
 *   accept-all     never BUSY: the queue is unbounded
 *   token-bucket   BUSY without a token (bucket of `burst`, refilled at
 *                  `rate`), then as bounded-queue
 *   shed           BUSY with a retry-after hint (the expected drain time)
 *                  when full or when the expected wait exceeds max_wait
 *   pace           admit all, tell the client the expected wait (WAIT), and
 *                  start at most `rate` requests per second
 * A client that leaves while its request waits is noticed only with
 * drop_abandoned; otherwise the request is served anyway and counted as
 * wasted: a server that reads nothing more until it replies cannot tell, and
 * that wasted work is what sustains a metastable overload.
 *
 * The caller owns the requests' memory: the model hands each one back
 * through `done` (served) or `drop` (removed unserved), where the caller
 * replies and frees it. */
#ifndef BS_CAPACITY_H
#define BS_CAPACITY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event_struct.h>

#include "common/attribution.h"
#include "common/hist.h"
#include "common/rng.h"
#include "common/scenario.h"

struct host;

enum cap_state { CAP_IDLE = 0, CAP_QUEUED, CAP_SERVING };

struct cap_item {
    TAILQ_ENTRY(cap_item) q; /* on the queue while QUEUED, the serving list while SERVING */
    struct capacity *owner;
    struct event timer;
    int64_t enq_ns;
    struct emu_mark enq_mark; /* the rank's emulator clocks at enq_ns */
    int64_t start_ns;         /* run time a worker took it */
    uint8_t state;
    bool abandoned;
};

/* Which of the host's metrics this server feeds (-1: none). */
struct cap_metrics {
    int g_queue, g_busy;
    int c_served, c_rejected, c_wasted;
    struct hist *queue_us, *service_us;
    /* The emulator's delay within each served request's queue + service
     * time: the rank's stall while it was inside, when the rank also hosts
     * clients; 0 on a rank of servers only, whose stall is their own. */
    struct hist *emu_us;
    /* Worker time spent serving, in µs: a counter of the host (-1: none),
     * and optionally one more (a data centre's busy_us). */
    int c_busy_us;
    uint64_t *busy_us;
};

typedef void (*cap_done_fn)(struct cap_item *it, bool abandoned, void *arg);
typedef void (*cap_drop_fn)(struct cap_item *it, void *arg);

struct capacity {
    struct host *h;
    struct scn_capacity cfg; /* current; capacity events change it */
    struct rng rng;
    TAILQ_HEAD(cap_list, cap_item) queue, serving;
    uint32_t qlen, busy;
    double tokens;
    int64_t tokens_ns;
    int64_t pace_next_ns;
    struct event pace_timer;
    uint64_t busy_us;         /* worker time spent serving since start, µs */
    int64_t stalled_until_ns; /* a stall event: no request starts before this run time */
    struct event stall_timer;
    struct cap_metrics m;
    cap_done_fn done;
    cap_drop_fn drop;
    void *arg;
};

enum cap_verdict { CAP_V_STARTED, CAP_V_QUEUED, CAP_V_REJECTED };

void cap_init(struct capacity *c, struct host *h, const struct scn_capacity *cfg, uint32_t node_id,
              const struct cap_metrics *m, cap_done_fn done, cap_drop_fn drop, void *arg);

/* Admit or refuse a request. On CAP_V_REJECTED *hint_ms is the retry-after
 * hint (0: none). With pace admission, CAP_V_QUEUED sets *hint_ms to the
 * expected wait, for a WAIT message. */
enum cap_verdict cap_submit(struct capacity *c, struct cap_item *it, uint32_t *hint_ms);

/* The client of `it` went away (its connection closed). */
void cap_abandon(struct capacity *c, struct cap_item *it);

/* Apply a capacity event: new workers / service time / queue. */
void cap_reconfigure(struct capacity *c, const struct scn_event *ev);

/* A stall (a lock, a GC pause, a hung disk): for for_ns from now the server
 * still admits and queues requests but starts none; requests already in
 * service finish. Then the workers take the queue again. A second stall
 * extends the first. */
void cap_stall(struct capacity *c, int64_t for_ns);

/* Remove every request, queued or in service, through `drop` (the server
 * crashed, goes down, or is freed). */
void cap_clear(struct capacity *c);

/* How long a request admitted now is expected to wait, in ms. */
uint32_t cap_expected_wait_ms(const struct capacity *c);

#endif
