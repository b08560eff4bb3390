/* dht_lookup.c - Kademlia's iterative lookup; see dht_lookup.h.
 *
 * The shortlist is sorted nearest first. "The k closest" are always the k
 * first entries not in FAILED state: a contact that did not answer gives
 * its place to the next one, which is then asked in turn. */
#include "dht_lookup.h"

#include <string.h>

void dht_lookup_init(struct dht_lookup *l, const struct dht_id *target, unsigned k, unsigned alpha)
{
    if (k < 1)
        k = 1;
    if (k > 32)
        k = 32;
    if (alpha < 1)
        alpha = 1;
    if (alpha > k)
        alpha = k;
    memset(l, 0, sizeof *l);
    l->target = *target;
    l->k = (uint8_t)k;
    l->alpha = (uint8_t)alpha;
}

static int index_of(const struct dht_lookup *l, const struct dht_id *id)
{
    for (int i = 0; i < l->n; i++)
        if (dht_id_eq(&l->c[i].id, id))
            return i;
    return -1;
}

/* The entry to drop from a full shortlist for a newcomer that would go at
 * pos: the farthest entry beyond pos that is neither in flight (ASKED) nor
 * one of the k nearest that answered (the result). So NEW and FAILED entries
 * can go, as the header says, and so can answered ones beyond the k-th
 * answered: they are in no result, and with k answered contacts nearer they
 * would never be asked again even if offered again (a dropped FAILED one
 * could be: one more timeout). Were they kept, a long lookup would drop
 * nearer NEW candidates for them. -1: none, the newcomer is not added. */
static int victim(const struct dht_lookup *l, int pos)
{
    int kth = l->n; /* the index of the k-th ANSWERED entry, if there are k */
    unsigned answered = 0;
    for (int i = 0; i < l->n; i++)
        if (l->c[i].state == DHT_CAND_ANSWERED && ++answered == l->k) {
            kth = i;
            break;
        }
    for (int i = l->n - 1; i >= pos; i--) {
        uint8_t s = l->c[i].state;
        if (s == DHT_CAND_NEW || s == DHT_CAND_FAILED || (s == DHT_CAND_ANSWERED && i > kth))
            return i;
    }
    return -1;
}

bool dht_lookup_add(struct dht_lookup *l, const struct dht_id *self, const struct dht_id *id,
                    uint32_t ip, uint16_t port, unsigned hop)
{
    if (self && dht_id_eq(self, id))
        return false;
    if (index_of(l, id) >= 0)
        return false;
    int pos = l->n;
    while (pos > 0 && dht_id_closer(&l->target, id, &l->c[pos - 1].id) < 0)
        pos--;
    int end; /* the slot freed: the list's end, or the entry dropped */
    if (l->n < DHT_LOOKUP_MAX) {
        end = l->n++;
    } else {
        end = victim(l, pos);
        if (end < 0)
            return false;
    }
    memmove(&l->c[pos + 1], &l->c[pos], (size_t)(end - pos) * sizeof *l->c);
    if (hop < 1)
        hop = 1;
    l->c[pos] = (struct dht_cand){.id = *id,
                                  .ip = ip,
                                  .port = port,
                                  .state = DHT_CAND_NEW,
                                  .hop = (uint8_t)(hop < UINT8_MAX ? hop : UINT8_MAX)};
    return true;
}

/* The first NEW entry among the k closest not FAILED, or -1. */
static int next_new(const struct dht_lookup *l)
{
    unsigned live = 0;
    for (int i = 0; i < l->n && live < l->k; i++) {
        if (l->c[i].state == DHT_CAND_FAILED)
            continue;
        if (l->c[i].state == DHT_CAND_NEW)
            return i;
        live++;
    }
    return -1;
}

const struct dht_cand *dht_lookup_next(struct dht_lookup *l)
{
    if (l->found || l->in_flight >= l->alpha)
        return NULL;
    int i = next_new(l);
    if (i < 0)
        return NULL;
    l->c[i].state = DHT_CAND_ASKED;
    l->in_flight++;
    return &l->c[i];
}

static bool settle(struct dht_lookup *l, const struct dht_id *id, enum dht_cand_state state)
{
    int i = index_of(l, id);
    if (i < 0 || l->c[i].state != DHT_CAND_ASKED)
        return false;
    l->c[i].state = (uint8_t)state;
    l->in_flight--;
    return true;
}

bool dht_lookup_answered(struct dht_lookup *l, const struct dht_id *id)
{
    return settle(l, id, DHT_CAND_ANSWERED);
}

bool dht_lookup_failed(struct dht_lookup *l, const struct dht_id *id)
{
    return settle(l, id, DHT_CAND_FAILED);
}

unsigned dht_lookup_hop_of(const struct dht_lookup *l, const struct dht_id *id)
{
    int i = index_of(l, id);
    return i < 0 ? 0 : l->c[i].hop;
}

/* Only marks the lookup done: the contact's state is left alone, so the
 * caller may report its answer with dht_lookup_answered before or after. */
void dht_lookup_found(struct dht_lookup *l, const struct dht_id *id)
{
    if (l->found)
        return;
    l->found = true;
    l->found_hop = (uint8_t)dht_lookup_hop_of(l, id);
}

bool dht_lookup_done(const struct dht_lookup *l)
{
    return l->found || (l->in_flight == 0 && next_new(l) < 0);
}

unsigned dht_lookup_result(const struct dht_lookup *l, struct dht_cand *out, unsigned n)
{
    if (n > l->k)
        n = l->k;
    unsigned m = 0;
    for (int i = 0; i < l->n && m < n; i++)
        if (l->c[i].state == DHT_CAND_ANSWERED)
            out[m++] = l->c[i];
    return m;
}

unsigned dht_lookup_answered_count(const struct dht_lookup *l)
{
    unsigned m = 0;
    for (int i = 0; i < l->n; i++)
        m += l->c[i].state == DHT_CAND_ANSWERED;
    return m;
}

unsigned dht_lookup_hops(const struct dht_lookup *l)
{
    if (l->found)
        return l->found_hop;
    for (int i = 0; i < l->n; i++)
        if (l->c[i].state == DHT_CAND_ANSWERED)
            return l->c[i].hop;
    return 0;
}
