/* hist.c - log-linear histogram: 16 exact buckets, then 8 per power of two. */
#include "hist.h"

#include <math.h>
#include <string.h>

#define SUB_COUNT (1u << HIST_SUB_BITS)

/* The header's bucket count must cover bucket_of(UINT64_MAX). */
_Static_assert(HIST_BUCKETS == 16 + (63 - 4) * SUB_COUNT + (SUB_COUNT - 1) + 1,
               "HIST_BUCKETS does not match the bucket layout");

static uint32_t sat_add32(uint32_t a, uint32_t b)
{
    return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

static uint64_t sat_add64(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

unsigned hist_bucket_of(uint64_t v)
{
    if (v < 16)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* floor(log2 v), >= 4 */
    unsigned sub = (unsigned)(v >> (e - HIST_SUB_BITS)) & (SUB_COUNT - 1);
    return 16 + (e - 4) * SUB_COUNT + sub;
}

uint64_t hist_bucket_upper(unsigned b)
{
    if (b < 16)
        return b;
    if (b >= HIST_BUCKETS)
        return UINT64_MAX;
    unsigned e = 4 + (b - 16) / SUB_COUNT;
    unsigned sub = (b - 16) % SUB_COUNT;
    unsigned shift = e - HIST_SUB_BITS;
    /* The bucket covers [(8 + sub) << shift, (9 + sub) << shift); written as
     * lower + width - 1 so the last bucket ends at UINT64_MAX without wrap. */
    uint64_t lower = (uint64_t)(SUB_COUNT + sub) << shift;
    return lower + ((1ULL << shift) - 1);
}

void hist_reset(struct hist *h)
{
    memset(h, 0, sizeof(*h));
}

void hist_add(struct hist *h, uint64_t v)
{
    unsigned b = hist_bucket_of(v);

    h->count++;
    h->sum = sat_add64(h->sum, v);
    if (v > h->max)
        h->max = v;
    h->buckets[b] = sat_add32(h->buckets[b], 1);
}

void hist_merge(struct hist *into, const struct hist *from)
{
    into->count += from->count;
    into->sum = sat_add64(into->sum, from->sum);
    if (from->max > into->max)
        into->max = from->max;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] = sat_add32(into->buckets[i], from->buckets[i]);
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (!(q > 0.0))
        q = 0.0;
    if (q > 1.0)
        q = 1.0;

    double r = ceil(q * (double)h->count);
    uint64_t rank = r < 1.0 ? 1 : (r >= (double)h->count ? h->count : (uint64_t)r);
    uint64_t seen = 0;

    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t upper = hist_bucket_upper(b);
            return upper < h->max ? upper : h->max;
        }
    }
    /* Only reachable if saturated bucket counts fell short of count. */
    return h->max;
}

double hist_mean(const struct hist *h)
{
    return h->count ? (double)h->sum / (double)h->count : 0.0;
}
