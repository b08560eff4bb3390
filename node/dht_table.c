/* dht_table.c - a Kademlia routing table; see dht_table.h.
 *
 * One array, sorted by bucket (ascending) and, within a bucket, least
 * recently seen first. A bucket's range is found by binary search on the
 * bucket index (the array is sorted by it); everything else is linear. */
#include "dht_table.h"

#include <stdlib.h>
#include <string.h>

#define DHT_TABLE_CAP0 8
#define DHT_TABLE_CAP_MAX UINT16_MAX

void dht_table_init(struct dht_table *t, const struct dht_id *self, unsigned k)
{
    if (k < 1)
        k = 1;
    if (k > 64)
        k = 64;
    *t = (struct dht_table){.self = *self, .k = (uint8_t)k};
}

void dht_table_free(struct dht_table *t)
{
    free(t->c);
    t->c = NULL;
    t->n = t->cap = 0;
}

void dht_table_clear(struct dht_table *t)
{
    dht_table_free(t);
}

void dht_table_unverify(struct dht_table *t)
{
    for (unsigned i = 0; i < t->n; i++)
        t->c[i].verified = 0;
}

static int bucket_of(const struct dht_table *t, unsigned i)
{
    return dht_id_bucket(&t->self, &t->c[i].id);
}

/* The first index whose bucket is >= b. */
static unsigned lower_bound(const struct dht_table *t, int b)
{
    unsigned lo = 0, hi = t->n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (bucket_of(t, mid) < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Bucket b occupies [*start, *end). */
static void bucket_range(const struct dht_table *t, int b, unsigned *start, unsigned *end)
{
    *start = lower_bound(t, b);
    *end = lower_bound(t, b + 1);
}

/* The index of id within [start, end), or -1. */
static int index_in(const struct dht_table *t, const struct dht_id *id, unsigned start,
                    unsigned end)
{
    for (unsigned i = start; i < end; i++)
        if (dht_id_eq(&t->c[i].id, id))
            return (int)i;
    return -1;
}

static int index_of(const struct dht_table *t, const struct dht_id *id)
{
    int b = dht_id_bucket(&t->self, id);
    if (b < 0)
        return -1;
    unsigned start, end;
    bucket_range(t, b, &start, &end);
    return index_in(t, id, start, end);
}

/* Make room for one more contact; false when the array cannot grow. */
static bool reserve_one(struct dht_table *t)
{
    if (t->n < t->cap)
        return true;
    if (t->cap == DHT_TABLE_CAP_MAX)
        return false;
    /* Doubling up to 64 contacts, then 32 at a time: a table of N nodes' DHT
     * holds about k log2(N / k) contacts, just above 64 for k = 8 and tens of
     * thousands of nodes, so doubling there would leave a third unused. */
    unsigned cap = !t->cap ? DHT_TABLE_CAP0 : t->cap < 64 ? 2u * t->cap : t->cap + 32u;
    if (cap > DHT_TABLE_CAP_MAX)
        cap = DHT_TABLE_CAP_MAX;
    struct dht_contact *c = realloc(t->c, cap * sizeof *c);
    if (!c)
        return false;
    t->c = c;
    t->cap = (uint16_t)cap;
    return true;
}

/* Move the contact at i to position last (> i or == i), shifting the ones
 * between down by one: the contact becomes the most recently seen of its
 * bucket when last is the bucket's end - 1. */
static void move_to(struct dht_table *t, unsigned i, unsigned last)
{
    struct dht_contact keep = t->c[i];
    memmove(&t->c[i], &t->c[i + 1], (last - i) * sizeof *t->c);
    t->c[last] = keep;
}

static struct dht_contact fresh(const struct dht_id *id, uint32_t ip, uint16_t port,
                                uint32_t now_ms)
{
    return (struct dht_contact){
        .id = *id, .ip = ip, .port = port, .fails = 0, .verified = 1, .seen_ms = now_ms};
}

enum dht_seen dht_table_seen(struct dht_table *t, const struct dht_id *id, uint32_t ip,
                             uint16_t port, uint32_t now_ms, enum dht_full_policy policy,
                             struct dht_contact *lru)
{
    int b = dht_id_bucket(&t->self, id);
    if (b < 0)
        return DHT_SEEN_SELF;
    unsigned start, end;
    bucket_range(t, b, &start, &end);

    int at = index_in(t, id, start, end);
    if (at >= 0) {
        struct dht_contact *c = &t->c[at];
        if (c->ip != ip || c->port != port)
            return DHT_SEEN_CONFLICT;
        c->fails = 0;
        c->verified = 1;
        c->seen_ms = now_ms;
        move_to(t, (unsigned)at, end - 1);
        return DHT_SEEN_UPDATED;
    }

    if (end - start < t->k) {
        if (!reserve_one(t))
            return DHT_SEEN_NOMEM;
        memmove(&t->c[end + 1], &t->c[end], (t->n - end) * sizeof *t->c);
        t->c[end] = fresh(id, ip, port, now_ms);
        t->n++;
        return DHT_SEEN_ADDED;
    }

    /* Full: the contact with the most unanswered queries goes, the least
     * recently seen (first) among equals. */
    unsigned victim = start;
    for (unsigned i = start + 1; i < end; i++)
        if (t->c[i].fails > t->c[victim].fails)
            victim = i;
    if (t->c[victim].fails == 0 && policy != DHT_REPLACE_LRU) {
        if (lru)
            *lru = t->c[start];
        return DHT_SEEN_FULL;
    }
    /* With none failing, victim is start: the least recently seen. */
    move_to(t, victim, end - 1);
    t->c[end - 1] = fresh(id, ip, port, now_ms);
    return DHT_SEEN_REPLACED;
}

bool dht_table_failed(struct dht_table *t, const struct dht_id *id, uint32_t ip, uint16_t port,
                      unsigned stale_after)
{
    int at = index_of(t, id);
    if (at < 0)
        return false;
    struct dht_contact *c = &t->c[at];
    if (c->ip != ip || c->port != port)
        return false;
    if (c->fails < UINT8_MAX)
        c->fails++;
    if (stale_after < 1)
        stale_after = 1;
    if (c->fails < stale_after)
        return false;
    memmove(&t->c[at], &t->c[at + 1], (t->n - (unsigned)at - 1) * sizeof *t->c);
    t->n--;
    return true;
}

unsigned dht_table_closest(const struct dht_table *t, const struct dht_id *target, unsigned n,
                           bool skip_failing, struct dht_contact *out)
{
    /* Insertion into out, kept sorted: n is small (k). */
    unsigned m = 0;
    for (unsigned i = 0; i < t->n && n > 0; i++) {
        const struct dht_contact *c = &t->c[i];
        if (skip_failing && c->fails > 0)
            continue;
        if (m == n && dht_id_closer(target, &c->id, &out[m - 1].id) >= 0)
            continue;
        unsigned j = m < n ? m++ : m - 1;
        while (j > 0 && dht_id_closer(target, &c->id, &out[j - 1].id) < 0) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = *c;
    }
    return m;
}

const struct dht_contact *dht_table_find(const struct dht_table *t, const struct dht_id *id)
{
    int at = index_of(t, id);
    return at < 0 ? NULL : &t->c[at];
}

void dht_table_health(const struct dht_table *t, struct dht_health *h)
{
    *h = (struct dht_health){.entries = t->n};
    for (unsigned i = 0; i < t->n; i++) {
        if (t->c[i].fails > 0)
            h->failing++;
        else if (t->c[i].verified)
            h->live++;
    }
}

int dht_table_nearest_bucket(const struct dht_table *t)
{
    return t->n ? bucket_of(t, 0) : -1;
}

unsigned dht_table_bucket_count(const struct dht_table *t, int b)
{
    if (b < 0 || b >= DHT_ID_BITS)
        return 0;
    unsigned start, end;
    bucket_range(t, b, &start, &end);
    return end - start;
}
