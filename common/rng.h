/* rng.h - small deterministic PRNG (xoshiro128++ seeded by splitmix64).
 *
 * Every random draw in a run comes from an rng seeded from (run seed, node id,
 * stream), so a run is reproducible given its seed, up to real network timing.
 * State is 16 bytes so that it fits in every node. */
#ifndef BS_RNG_H
#define BS_RNG_H

#include <stdint.h>

struct rng {
    uint32_t s[4];
};

/* Stream ids keep independent uses of the same (seed, node) apart. */
enum rng_stream {
    RNG_STREAM_NODE = 1,  /* the node's own behaviour: delays, choices */
    RNG_STREAM_EVENT = 2, /* event expansion: who is selected, when */
    RNG_STREAM_LINK = 3,  /* a node's own link: settop's per-box downstream loss */
};

void rng_seed(struct rng *r, uint64_t run_seed, uint64_t node_id, uint64_t stream);
uint32_t rng_u32(struct rng *r);
/* Uniform double in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, n); n > 0. */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Standard normal draw (Box-Muller, one value per call). */
double rng_normal(struct rng *r);

/* Stateless hash to [0, 1): the same (seed, a, b, c) always gives the same
 * value. Used to expand events per node without any per-node MPI traffic. */
double rng_hash_unit(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/* splitmix64 step, exposed for seeding derived values. */
uint64_t rng_splitmix64(uint64_t *state);

#endif
