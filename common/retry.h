/* retry.h - client retry policies (design 4.4).
 *
 * delay(attempt n, n >= 1 is the number of failures so far):
 *   none          0 (retry at once: the aggressive client with no backoff)
 *   fixed         base
 *   exponential   t = min(cap, base * 2^(n-1)), then jitter:
 *     jitter none          t
 *     jitter full          U(0, t)
 *     jitter equal         t/2 + U(0, t/2)
 *     jitter decorrelated  min(cap, U(base, 3 * prev)), prev starting at base
 * max_attempts bounds the total attempts (first try included); 0 = unbounded.
 */
#ifndef BS_RETRY_H
#define BS_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

enum retry_kind { RETRY_NONE = 0, RETRY_FIXED, RETRY_EXPONENTIAL };
enum retry_jitter { JITTER_NONE = 0, JITTER_FULL, JITTER_EQUAL, JITTER_DECORRELATED };

struct retry_policy {
    enum retry_kind kind;
    enum retry_jitter jitter;
    int64_t base_ns;
    int64_t cap_ns;
    uint32_t max_attempts;
    /* Layered options, each off at 0 / false (see struct retry_guard). */
    double budget_tokens; /* retry budget: bucket size; 0 = no budget */
    double budget_ratio;  /* tokens a success earns back */
    double throttle_k;    /* adaptive throttling K; 0 = off */
    int64_t throttle_window_ns;
    bool obey_retry_after; /* wait at least a server's retry_after hint */
    int64_t max_hint_ns;   /* a server's retry_after or WAIT hint is capped here */
};

/* A server's hint (retry-after, WAIT), capped at the policy's max_hint: a
 * hostile or broken server must not park a client for 49 days. */
static inline int64_t retry_cap_hint(const struct retry_policy *p, int64_t hint_ns)
{
    if (hint_ns < 0)
        return 0;
    return p->max_hint_ns > 0 && hint_ns > p->max_hint_ns ? p->max_hint_ns : hint_ns;
}

/* Per-client retry state; reset on success. */
struct retry_state {
    uint32_t failures;     /* consecutive failures */
    int64_t prev_delay_ns; /* for decorrelated jitter */
};

/* Per-client state of the layered options. Unlike retry_state it survives
 * successes: a budget and a throttle remember how the server has been doing.
 *   budget    a bucket of budget_tokens; a failed attempt costs 1, a success
 *             earns budget_ratio back; a retry may go out at normal pace only
 *             while the bucket holds more than half; otherwise it waits cap.
 *   throttle  (Google SRE client-side throttling) before each attempt, drop it
 *             locally with p = max(0, (requests - K*accepts) / (requests + 1))
 *             over a sliding window of two halves. */
struct retry_guard {
    float tokens;
    uint16_t req[2], acc[2]; /* current and previous half window */
    int64_t half_start_ns;
};

void retry_guard_init(const struct retry_policy *p, struct retry_guard *g);
/* Before an attempt. Counts it, and returns false when the throttle drops it
 * locally: the caller then treats it as a failure that sent nothing. */
bool retry_guard_admit(const struct retry_policy *p, struct retry_guard *g, struct rng *r,
                       int64_t now_ns);
/* The server took the request (any answer but a BUSY or a timeout). */
void retry_guard_accepted(const struct retry_policy *p, struct retry_guard *g, int64_t now_ns);
/* The operation succeeded: the budget earns budget_ratio back. */
void retry_guard_success(const struct retry_policy *p, struct retry_guard *g);
/* The throttle's current drop probability (for tests and metrics). */
double retry_guard_drop_p(const struct retry_policy *p, const struct retry_guard *g,
                          int64_t now_ns);

/* Why a retry waits longer than its backoff. */
enum retry_slowdown { SLOW_NONE = 0, SLOW_BUDGET = 1, SLOW_RETRY_AFTER = 2 };

/* After a failed attempt: the backoff of retry_next, then the layers: a
 * budget below half waits cap instead, and an obeyed retry_after hint is a
 * floor. Returns false to give up (max_attempts). *why gets the slowdowns. */
bool retry_after_failure(const struct retry_policy *p, struct retry_state *s, struct retry_guard *g,
                         struct rng *r, int64_t retry_after_ns, int64_t *delay_ns, unsigned *why);

void retry_reset(struct retry_state *s);
/* Record a failure. Returns false if the policy allows no further attempt,
 * else true with *delay_ns set to the wait before the next attempt. */
bool retry_next(const struct retry_policy *p, struct retry_state *s, struct rng *r,
                int64_t *delay_ns);

const char *retry_kind_name(enum retry_kind k);
const char *retry_jitter_name(enum retry_jitter j);

#endif
