/* dht_table.h - a Kademlia routing table: k-buckets of contacts.
 *
 * Contacts live in one array, grouped by bucket (ascending bucket index,
 * dht_id.h) and, within a bucket, least recently seen first. A node's table
 * holds about k * log2(N) contacts, so linear scans are cheap and the memory
 * is 32 bytes a contact, allocated as the table grows.
 *
 * The rules (docs/architecture.md, "The DHT"):
 *   - only a message heard directly from a contact puts it in the table or
 *     refreshes it (dht_table_seen), at the datagram's source address; an id
 *     already known at another address is a conflict and changes nothing;
 *   - a bucket holds at most k contacts. When it is full, a newcomer takes
 *     the place of the contact with the most unanswered queries (the least
 *     recently seen among equals); with none failing, the newcomer is turned
 *     away and the least recently seen contact returned, for the caller to
 *     ping (or, with DHT_REPLACE_LRU, as a bootstrap node does, the least
 *     recently seen contact is replaced at once);
 *   - a query that times out counts against its contact, which is evicted
 *     after `stale_after` unanswered queries in a row (dht_table_failed).
 * Pure: no sockets, no clock (times are passed in). */
#ifndef BS_DHT_TABLE_H
#define BS_DHT_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "dht_id.h"

struct dht_contact {
    struct dht_id id;
    uint32_t ip; /* the source address it was heard from, host order */
    uint16_t port;
    uint8_t fails;    /* queries to it unanswered in a row */
    uint8_t verified; /* 1: heard from directly since this node last booted */
    uint32_t seen_ms; /* run time of the last message heard from it, ms */
};

struct dht_table {
    struct dht_id self;
    struct dht_contact *c; /* n used of cap */
    uint16_t n, cap;
    uint8_t k;
};

/* An empty table around `self` with buckets of k (1..64). Allocates
 * nothing yet. */
void dht_table_init(struct dht_table *t, const struct dht_id *self, unsigned k);
void dht_table_free(struct dht_table *t);
/* Forget every contact (a client that lost its saved table); frees memory. */
void dht_table_clear(struct dht_table *t);
/* After a reboot with the saved table: every contact is unverified again
 * (nothing heard since this boot), its unanswered count kept. */
void dht_table_unverify(struct dht_table *t);

enum dht_seen {
    DHT_SEEN_SELF = 0, /* the id is our own: ignored */
    DHT_SEEN_UPDATED,  /* known: now most recently seen, verified, fails = 0 */
    DHT_SEEN_ADDED,    /* new, and its bucket had room */
    DHT_SEEN_REPLACED, /* new, and it took a failing (or, REPLACE_LRU, the LRU) contact's place */
    DHT_SEEN_FULL,     /* new, bucket full of good contacts: not added; *lru is set */
    DHT_SEEN_CONFLICT, /* the id is known at another address: nothing changed */
    DHT_SEEN_NOMEM,    /* could not grow the array: nothing changed */
};

enum dht_full_policy {
    DHT_KEEP_OLD = 0, /* Kademlia: a full bucket keeps its live contacts */
    DHT_REPLACE_LRU,  /* a full bucket drops its least recently seen contact */
};

/* A message from id at ip:port arrived at now_ms (see the rules above).
 * lru may be NULL. */
enum dht_seen dht_table_seen(struct dht_table *t, const struct dht_id *id, uint32_t ip,
                             uint16_t port, uint32_t now_ms, enum dht_full_policy policy,
                             struct dht_contact *lru);

/* A query to id at ip:port went unanswered. Returns true when that evicted
 * the contact (fails reached stale_after, >= 1); false when it is kept or
 * was not in the table (or is there at another address). */
bool dht_table_failed(struct dht_table *t, const struct dht_id *id, uint32_t ip, uint16_t port,
                      unsigned stale_after);

/* Up to n contacts closest to target, nearest first, into out. With
 * skip_failing, contacts with fails > 0 are left out. Returns how many. */
unsigned dht_table_closest(const struct dht_table *t, const struct dht_id *target, unsigned n,
                           bool skip_failing, struct dht_contact *out);

/* The contact with this id, or NULL. */
const struct dht_contact *dht_table_find(const struct dht_table *t, const struct dht_id *id);

/* Routing-table health: entries; live = verified and no unanswered query;
 * failing = at least one unanswered query. The rest are unverified. */
struct dht_health {
    uint32_t entries, live, failing;
};
void dht_table_health(const struct dht_table *t, struct dht_health *h);

/* The lowest non-empty bucket index, or -1 for an empty table. Buckets from
 * it up to 159 are the ones a bucket refresh looks into. */
int dht_table_nearest_bucket(const struct dht_table *t);
/* Contacts in bucket b. */
unsigned dht_table_bucket_count(const struct dht_table *t, int b);

#endif
