/* hist.h - log-linear latency histogram with fixed buckets.
 *
 * Values are non-negative integers (the callers use microseconds). Values
 * below 16 get a bucket each; above, each power of two is split into 8
 * sub-buckets, so the relative error of a reported quantile is below 12.5%.
 * The struct is plain data: it is sent over MPI as bytes and merged by adding
 * bucket counts. */
#ifndef BS_HIST_H
#define BS_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 3
#define HIST_BUCKETS (16 + (64 - 4) * 8)

struct hist {
    uint64_t count;
    uint64_t sum;
    uint64_t max;
    uint32_t buckets[HIST_BUCKETS];
};

void hist_reset(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *into, const struct hist *from);
/* Value at quantile q in [0, 1]: the upper bound of the bucket holding it,
 * clamped to the max seen. 0 for an empty histogram. */
uint64_t hist_quantile(const struct hist *h, double q);
double hist_mean(const struct hist *h);

/* Bucket index of a value and the inclusive upper bound of a bucket. */
unsigned hist_bucket_of(uint64_t v);
uint64_t hist_bucket_upper(unsigned b);

#endif
