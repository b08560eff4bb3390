/* gslb.c - the global policy between data centres; see gslb.h. */
#include "gslb.h"

#include <string.h>

void gslb_init(struct gslb *g, uint32_t n_dc, enum scn_global_policy policy, double threshold,
               int64_t staleness_ns)
{
    memset(g, 0, sizeof *g);
    g->n_dc = n_dc < SCN_MAX_DCS ? n_dc : SCN_MAX_DCS;
    g->policy = policy;
    g->threshold = threshold;
    g->staleness_ns = staleness_ns;
    g->first_t_ns = INT64_MAX;
}

void gslb_update(struct gslb *g, int64_t t_ns, const struct dc_status *dc)
{
    if (g->count == 0)
        g->first_t_ns = t_ns;
    if (g->count < GSLB_HISTORY)
        g->count++;
    g->hist[g->head].t_ns = t_ns;
    memset(g->hist[g->head].dc, 0, sizeof g->hist[g->head].dc);
    if (g->n_dc > 0)
        memcpy(g->hist[g->head].dc, dc, g->n_dc * sizeof *dc);
    g->head = (g->head + 1) % GSLB_HISTORY;
}

const struct dc_status *gslb_view(const struct gslb *g, int64_t now_ns)
{
    int64_t cutoff = now_ns - g->staleness_ns;
    uint32_t slot = g->head;
    for (uint32_t k = 0; k < g->count; k++) { /* newest first */
        slot = (slot + GSLB_HISTORY - 1) % GSLB_HISTORY;
        if (g->hist[slot].t_ns <= cutoff)
            return g->hist[slot].dc;
    }
    /* The row wanted was overwritten when an older one was ever received:
     * slot is now the oldest row kept, which stands in for it. */
    if (g->count > 0 && g->first_t_ns <= cutoff)
        return g->hist[slot].dc;
    return NULL;
}

static bool reachable(const struct dc_status *d)
{
    return d->fd_up && d->servers_up > 0;
}

static bool fine(const struct gslb *g, const struct dc_status *d)
{
    return reachable(d) && !d->refusing && d->load < g->threshold;
}

/* The least-loaded DC other than home that is fine (want_fine) or merely
 * reachable; ties to the lowest index. -1 when there is none. */
static int least_loaded_other(const struct gslb *g, const struct dc_status *view, uint32_t home,
                              bool want_fine)
{
    int best = -1;
    for (uint32_t d = 0; d < g->n_dc; d++) {
        if (d == home || !(want_fine ? fine(g, &view[d]) : reachable(&view[d])))
            continue;
        if (best < 0 || view[d].load < view[best].load)
            best = (int)d;
    }
    return best;
}

static uint32_t choose_spill(const struct gslb *g, const struct dc_status *view, uint32_t home)
{
    if (fine(g, &view[home]))
        return home;
    int d = least_loaded_other(g, view, home, true);
    if (d >= 0)
        return (uint32_t)d;
    d = least_loaded_other(g, view, home, false);
    if (d >= 0 && (!reachable(&view[home]) || view[d].load < view[home].load))
        return (uint32_t)d;
    return home;
}

uint32_t gslb_choose(const struct gslb *g, uint32_t home, int64_t now_ns, bool *spilled)
{
    uint32_t to = home;
    if (g->policy == GLOBAL_SPILL && home < g->n_dc) {
        const struct dc_status *view = gslb_view(g, now_ns);
        if (view)
            to = choose_spill(g, view, home);
    }
    if (spilled)
        *spilled = to != home;
    return to;
}
