/* host_cache.c - a peer's host cache (see host_cache.h). */
#include "host_cache.h"

#include <stdbool.h>
#include <stdlib.h>

int host_cache_init(struct host_cache *c, uint16_t cap)
{
    c->n = 0;
    c->cap = cap;
    c->sn = calloc(cap, sizeof *c->sn);
    return c->sn ? 0 : -1;
}

void host_cache_free(struct host_cache *c)
{
    free(c->sn);
    c->sn = NULL;
    c->n = c->cap = 0;
}

static bool known(const struct host_cache *c, uint32_t id)
{
    for (uint16_t j = 0; j < c->n; j++)
        if (c->sn[j].node_id == id)
            return true;
    return false;
}

static void put(struct host_cache *c, const struct placement *pl, uint32_t id)
{
    if (c->n < c->cap && !known(c, id))
        c->sn[c->n++] = (struct wire_sn){id, placement_addr(pl, id), placement_sn_port(pl, id)};
}

/* Fill the room left with ids of first .. first + count - 1: all of them
 * if they fit, else distinct ones drawn at random (rejection sampling: at
 * most 8 x cap draws, enough since fewer than count are wanted). */
static void put_sample(struct host_cache *c, const struct placement *pl, struct rng *rng,
                       uint32_t first, uint32_t count)
{
    uint32_t room = c->cap - c->n;
    if (count <= room) {
        for (uint32_t i = 0; i < count; i++)
            put(c, pl, first + i);
        return;
    }
    for (uint32_t tries = 0; c->n < c->cap && tries < 8u * c->cap; tries++)
        put(c, pl, first + rng_below(rng, count));
}

void host_cache_seed(struct host_cache *c, const struct placement *pl, struct rng *rng)
{
    c->n = 0;
    put_sample(c, pl, rng, pl->first_sn, pl->n_sn);
}

void host_cache_fallback(struct host_cache *c, const struct placement *pl, struct rng *rng)
{
    c->n = 0;
    put_sample(c, pl, rng, pl->first_sn, pl->n_bootstrap);
    put_sample(c, pl, rng, pl->first_inj, pl->n_inj);
}

void host_cache_remove(struct host_cache *c, uint16_t slot)
{
    if (slot < c->n)
        c->sn[slot] = c->sn[--c->n];
}

void host_cache_learn(struct host_cache *c, const struct scenario *s, const struct wire_sn_list *l,
                      struct rng *rng, uint16_t keep)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const struct wire_sn *sn = &l->sns[i];
        if (!placement_ip_allowed(s, sn->ip) || known(c, sn->node_id))
            continue; /* never let a message steer us outside the run */
        if (c->n < c->cap) {
            c->sn[c->n++] = *sn;
        } else {
            uint16_t victim = (uint16_t)rng_below(rng, c->cap);
            if (victim != keep)
                c->sn[victim] = *sn;
        }
    }
}
