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
};

/* Per-client retry state; reset on success. */
struct retry_state {
    uint32_t failures;    /* consecutive failures */
    int64_t prev_delay_ns; /* for decorrelated jitter */
};

void retry_reset(struct retry_state *s);
/* Record a failure. Returns false if the policy allows no further attempt,
 * else true with *delay_ns set to the wait before the next attempt. */
bool retry_next(const struct retry_policy *p, struct retry_state *s, struct rng *r,
                int64_t *delay_ns);

const char *retry_kind_name(enum retry_kind k);
const char *retry_jitter_name(enum retry_jitter j);

#endif
