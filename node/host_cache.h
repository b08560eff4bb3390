/* host_cache.h - a peer's host cache: the supernodes it knows.
 *
 * A peer starts from a random sample of the initial supernodes (as if from
 * a previous life), learns more from REGISTER_OK and REDIRECT lists, forgets
 * an entry that failed, and when nothing is left falls back to the bootstrap
 * supernodes first, then a random sample of the dedicated supernodes that
 * inject_supernodes events may bring up (hard-coded hosts the operator can
 * point at new machines). The bootstrap ones always have their place: a
 * fallback made only of dormant injected supernodes would never reach a
 * live one. */
#ifndef BS_HOST_CACHE_H
#define BS_HOST_CACHE_H

#include <stdint.h>

#include "common/placement.h"
#include "common/rng.h"
#include "common/scenario.h"
#include "wire.h"

struct host_cache {
    struct wire_sn *sn; /* cap entries */
    uint16_t n;
    uint16_t cap;
};

/* Returns 0, or -1 out of memory. */
int host_cache_init(struct host_cache *c, uint16_t cap);
void host_cache_free(struct host_cache *c);

/* Replace the contents with a random sample of the initial supernodes. */
void host_cache_seed(struct host_cache *c, const struct placement *pl, struct rng *rng);
/* Replace the contents with the fallback: every bootstrap supernode that
 * fits, then a random sample of the injected ones in the room left. */
void host_cache_fallback(struct host_cache *c, const struct placement *pl, struct rng *rng);
/* Forget entry `slot` (the last entry takes its place). */
void host_cache_remove(struct host_cache *c, uint16_t slot);
/* Add the listed supernodes not known yet (those inside network.allowed),
 * replacing random entries once full, but never entry `keep`. */
void host_cache_learn(struct host_cache *c, const struct scenario *s, const struct wire_sn_list *l,
                      struct rng *rng, uint16_t keep);

#endif
