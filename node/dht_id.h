/* dht_id.h - 160-bit DHT identifiers and the XOR metric (architecture: dht).
 *
 * Node ids and record keys share one space. distance(a, b) = a XOR b, read
 * as a 160-bit big-endian number; a contact's bucket, seen from `self`, is
 * the index of the highest bit in which the two ids differ: 159 for the far
 * half of the space, 0 for the nearest pair. Pure functions: no sockets, no
 * clock. */
#ifndef BS_DHT_ID_H
#define BS_DHT_ID_H

#include <stdbool.h>
#include <stdint.h>

#include "common/rng.h"

#define DHT_ID_LEN 20
#define DHT_ID_BITS (8 * DHT_ID_LEN)

struct dht_id {
    uint8_t b[DHT_ID_LEN]; /* big-endian: b[0] holds the most significant bits */
};

static inline bool dht_id_eq(const struct dht_id *a, const struct dht_id *b)
{
    for (int i = 0; i < DHT_ID_LEN; i++)
        if (a->b[i] != b->b[i])
            return false;
    return true;
}

/* out = a XOR b (out may alias either). */
void dht_id_xor(const struct dht_id *a, const struct dht_id *b, struct dht_id *out);

/* <0 when a is closer to target than b, >0 when farther, 0 when a == b. */
int dht_id_closer(const struct dht_id *target, const struct dht_id *a, const struct dht_id *b);

/* The bucket of `other` seen from `self`: the index (0..159) of the highest
 * differing bit, bit 159 being the most significant; -1 when equal. */
int dht_id_bucket(const struct dht_id *self, const struct dht_id *other);

/* A node's id: the first 160 bits of SHA-256("bootstorm-dht-node" || be64(seed)
 * || be32(node)). Stable across reboots, as a client keeps it on disk. */
void dht_id_of_node(uint64_t seed, uint32_t node, struct dht_id *out);

/* The key of a user's presence record: the first 160 bits of
 * SHA-256("bootstorm-dht-user" || be64(user_id)). Anyone can compute it. */
void dht_id_of_user(uint64_t user_id, struct dht_id *out);

/* A random id in `self`'s bucket b (0..159): equal to self above bit b,
 * different at bit b, random below. For bucket refreshes. */
void dht_id_random_in_bucket(const struct dht_id *self, int b, struct rng *r, struct dht_id *out);

/* Lower-case hex of the first n bytes (n <= 20), for traces and tests;
 * buf needs 2n+1 bytes. */
void dht_id_hex(const struct dht_id *id, int n, char *buf);

#endif
