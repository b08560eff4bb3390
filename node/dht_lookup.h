/* dht_lookup.h - Kademlia's iterative lookup as a pure state machine.
 *
 * The caller owns the sockets and the timers: it seeds the shortlist with
 * contacts (its routing table's closest, or what a bootstrap node answered),
 * asks dht_lookup_next for the next contact to query (at most alpha in
 * flight), and reports each answer (dht_lookup_answered, with the contacts
 * it returned) or timeout (dht_lookup_failed). Unanswered contacts are routed
 * around: the next closest takes their place.
 *
 * Termination: the lookup is done when nothing is in flight and each of the
 * k closest contacts not known to have failed has answered (so no closer
 * contact is left to ask), or, for a value lookup, when dht_lookup_found is
 * called. The shortlist keeps the DHT_LOOKUP_MAX closest contacts seen; a
 * contact is queried at most once.
 *
 * Hops: a seed is at hop 1, a contact learned from a hop-h answer at hop
 * h + 1. The lookup's hops are the hop of the contact that returned the
 * value (value lookups) or of the closest contact that answered (node
 * lookups): how many round trips deep the answer was.
 *
 * Pure: no sockets, no clock, no allocation (the struct holds the list). */
#ifndef BS_DHT_LOOKUP_H
#define BS_DHT_LOOKUP_H

#include <stdbool.h>
#include <stdint.h>

#include "dht_id.h"

#define DHT_LOOKUP_MAX 64 /* shortlist entries; k <= 32 */

enum dht_cand_state { DHT_CAND_NEW = 0, DHT_CAND_ASKED, DHT_CAND_ANSWERED, DHT_CAND_FAILED };

struct dht_cand {
    struct dht_id id;
    uint32_t ip;
    uint16_t port;
    uint8_t state; /* enum dht_cand_state */
    uint8_t hop;
};

struct dht_lookup {
    struct dht_id target;
    struct dht_cand c[DHT_LOOKUP_MAX]; /* sorted nearest first */
    uint8_t n;
    uint8_t k, alpha;
    uint8_t in_flight;
    uint8_t found_hop; /* 0: no value found */
    bool found;
};

/* A fresh lookup for target. k (1..32) and alpha (1..k). */
void dht_lookup_init(struct dht_lookup *l, const struct dht_id *target, unsigned k, unsigned alpha);

/* Offer a contact at hop `hop` (a seed: 1). Ignored when already listed,
 * equal to `self` (may be NULL), or farther than every entry of a full
 * shortlist (the farthest entry not asked yet is dropped to make room).
 * Returns true when it was added. */
bool dht_lookup_add(struct dht_lookup *l, const struct dht_id *self, const struct dht_id *id,
                    uint32_t ip, uint16_t port, unsigned hop);

/* The next contact to query, marked ASKED (in flight), or NULL when alpha
 * queries are in flight, the lookup is done, or no candidate among the k
 * closest non-failed is left to ask. The pointer is valid until the next
 * call that changes the shortlist (add, answered, failed). */
const struct dht_cand *dht_lookup_next(struct dht_lookup *l);

/* The contact id (asked) answered / did not answer. Return false when id
 * was not in flight (a late or unexpected answer: ignore it). The answer's
 * contacts are then offered with dht_lookup_add at the answer's hop + 1
 * (dht_lookup_hop_of gives the hop). */
bool dht_lookup_answered(struct dht_lookup *l, const struct dht_id *id);
bool dht_lookup_failed(struct dht_lookup *l, const struct dht_id *id);
/* The hop of a listed contact, 0 when not listed. */
unsigned dht_lookup_hop_of(const struct dht_lookup *l, const struct dht_id *id);

/* A value lookup: the contact id returned the value. The lookup is done. */
void dht_lookup_found(struct dht_lookup *l, const struct dht_id *id);

bool dht_lookup_done(const struct dht_lookup *l);

/* Up to n (<= k) of the closest contacts that answered, nearest first.
 * Returns how many. */
unsigned dht_lookup_result(const struct dht_lookup *l, struct dht_cand *out, unsigned n);
/* How many contacts answered so far. */
unsigned dht_lookup_answered_count(const struct dht_lookup *l);
/* The lookup's hops (see above); 0 when no contact answered. */
unsigned dht_lookup_hops(const struct dht_lookup *l);

#endif
