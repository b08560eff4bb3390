/* balance.c - choice of a presence server by a front door; see balance.h. */
#include "balance.h"

#include <stdlib.h>

int balancer_init(struct balancer *bl, const uint32_t *node_ids, uint32_t n,
                  enum scn_balance policy, int64_t stale_after_ns)
{
    *bl = (struct balancer){.policy = policy, .stale_after_ns = stale_after_ns};
    if (n == 0)
        return 0;
    bl->b = calloc(n, sizeof *bl->b);
    if (!bl->b)
        return -1;
    bl->n = n;
    for (uint32_t i = 0; i < n; i++) {
        bl->b[i].node_id = node_ids[i];
        bl->b[i].reported_ns = -1;
    }
    return 0;
}

void balancer_free(struct balancer *bl)
{
    free(bl->b);
    *bl = (struct balancer){0};
}

int balancer_find(const struct balancer *bl, uint32_t node_id)
{
    for (uint32_t i = 0; i < bl->n; i++)
        if (bl->b[i].node_id == node_id)
            return (int)i;
    return -1;
}

static void set_report(struct backend *be, bool up, uint32_t clients, uint32_t max_clients,
                       uint32_t queue, double load, int64_t now_ns)
{
    be->reported_ns = now_ns;
    be->up = up;
    be->clients = clients;
    be->max_clients = max_clients;
    be->queue = queue;
    be->load = load;
    be->assigned = 0;
}

void balancer_set_initial_up(struct balancer *bl, uint32_t i, int64_t now_ns)
{
    if (i < bl->n)
        set_report(&bl->b[i], true, 0, 0, 0, 0.0, now_ns);
}

bool balancer_report(struct balancer *bl, uint32_t node_id, bool up, uint32_t clients,
                     uint32_t max_clients, uint32_t queue, double load, int64_t now_ns)
{
    int i = balancer_find(bl, node_id);
    if (i < 0)
        return false;
    set_report(&bl->b[i], up, clients, max_clients, queue, load, now_ns);
    return true;
}

/* The front door's estimate of the backend's current connections: its
 * registered clients, the requests waiting in its queue (each holds a
 * client's connection, as a proxy's connection count would show), and the
 * clients sent there since the report. */
static uint64_t estimate(const struct backend *be)
{
    return (uint64_t)be->clients + be->queue + be->assigned;
}

bool balancer_healthy(const struct balancer *bl, uint32_t i, int64_t now_ns)
{
    if (i >= bl->n)
        return false;
    const struct backend *be = &bl->b[i];
    if (be->reported_ns < 0 || !be->up || now_ns - be->reported_ns > bl->stale_after_ns)
        return false;
    return be->max_clients == 0 || estimate(be) < be->max_clients;
}

uint32_t balancer_n_healthy(const struct balancer *bl, int64_t now_ns)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < bl->n; i++)
        k += balancer_healthy(bl, i, now_ns);
    return k;
}

static int pick_round_robin(struct balancer *bl, int64_t now_ns)
{
    for (uint32_t step = 0; step < bl->n; step++) {
        uint32_t i = (bl->rr_next + step) % bl->n;
        if (balancer_healthy(bl, i, now_ns)) {
            bl->rr_next = (i + 1) % bl->n;
            return (int)i;
        }
    }
    return -1;
}

/* Fewest clients + assigned; ties uniformly at random by reservoir sampling
 * (the k-th tie seen replaces the choice with probability 1/k), or to the
 * lowest index without rng. */
static int pick_least_conn(const struct balancer *bl, int64_t now_ns, struct rng *rng)
{
    int best = -1;
    uint64_t best_est = 0;
    uint32_t ties = 0;
    for (uint32_t i = 0; i < bl->n; i++) {
        if (!balancer_healthy(bl, i, now_ns))
            continue;
        uint64_t est = estimate(&bl->b[i]);
        if (best < 0 || est < best_est) {
            best = (int)i;
            best_est = est;
            ties = 1;
        } else if (est == best_est) {
            ties++;
            if (rng && rng_below(rng, ties) == 0)
                best = (int)i;
        }
    }
    return best;
}

/* The index of the k-th (from 0) healthy backend. */
static int nth_healthy(const struct balancer *bl, uint32_t k, int64_t now_ns)
{
    for (uint32_t i = 0; i < bl->n; i++)
        if (balancer_healthy(bl, i, now_ns) && k-- == 0)
            return (int)i;
    return -1;
}

static int pick_two_choices(const struct balancer *bl, int64_t now_ns, struct rng *rng)
{
    uint32_t h = balancer_n_healthy(bl, now_ns);
    if (h == 0)
        return -1;
    if (h == 1)
        return nth_healthy(bl, 0, now_ns);
    uint32_t ka = rng_below(rng, h);
    uint32_t kb = rng_below(rng, h - 1);
    if (kb >= ka)
        kb++; /* distinct from ka, uniform over the others */
    int a = nth_healthy(bl, ka, now_ns);
    int b = nth_healthy(bl, kb, now_ns);
    return estimate(&bl->b[b]) < estimate(&bl->b[a]) ? b : a;
}

int balancer_pick(struct balancer *bl, int64_t now_ns, struct rng *rng)
{
    int i;
    switch (bl->policy) {
    case BALANCE_ROUND_ROBIN:
        i = pick_round_robin(bl, now_ns);
        break;
    case BALANCE_P2C:
        i = rng ? pick_two_choices(bl, now_ns, rng) : pick_least_conn(bl, now_ns, NULL);
        break;
    case BALANCE_LEAST_CONN:
    default:
        i = pick_least_conn(bl, now_ns, rng);
        break;
    }
    if (i >= 0)
        bl->b[i].assigned++;
    return i;
}
