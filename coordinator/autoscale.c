/* autoscale.c - the central architecture's autoscaler (see autoscale.h). */
#include "autoscale.h"

#include <math.h>
#include <string.h>

/* Slack on the target-tracking quotient, so that 6 x 0.9 / 0.6, which is
 * 9.000000000000002 in doubles, asks for 9 servers and not 10. */
#define DESIRED_SLACK 1e-9

void autoscale_init(struct autoscaler *a, const struct scenario *s)
{
    memset(a, 0, sizeof *a);
    a->cfg = s->central.autoscale;
    a->n_dc = s->central.n_dc < SCN_MAX_DCS ? s->central.n_dc : SCN_MAX_DCS;
    for (uint32_t i = 0; i < a->n_dc; i++) {
        struct autoscale_dc *d = &a->dc[i];
        const struct scn_datacenter *c = &s->central.dc[i];
        d->initial = c->servers;
        d->max = c->max_servers > c->servers ? c->max_servers : c->servers;
        d->active = c->servers;
        d->above_since_ns = -1;
        d->below_since_ns = -1;
        d->last_action_ns = -1;
    }
}

/* Batches whose ready time has come are up. */
static void mature(struct autoscale_dc *d, int64_t now_ns)
{
    uint32_t done = 0;
    while (done < d->n_batch && d->batch[done].ready_ns <= now_ns) {
        d->pending -= d->batch[done].count;
        done++;
    }
    if (done == 0)
        return;
    d->n_batch -= done;
    memmove(d->batch, d->batch + done, d->n_batch * sizeof d->batch[0]);
}

/* Open the window at now if cond holds and it is not open; close it if not. */
static void track(int64_t *since_ns, bool cond, int64_t now_ns)
{
    if (!cond)
        *since_ns = -1;
    else if (*since_ns < 0)
        *since_ns = now_ns;
}

static bool held_for(int64_t since_ns, int64_t now_ns, int64_t span_ns)
{
    return since_ns >= 0 && now_ns - since_ns >= span_ns;
}

/* Servers to add: target tracking, capped by max. 0 when nothing to add. */
static uint32_t to_add(const struct autoscale_dc *d, double target, double load, uint32_t up)
{
    if (d->n_batch >= AUTOSCALE_MAX_BATCHES || d->active >= d->max)
        return 0;
    double want = ceil((double)up * load / target - DESIRED_SLACK);
    uint32_t desired = want >= (double)d->max ? d->max : (uint32_t)want;
    return desired > d->active ? desired - d->active : 0;
}

static bool scale_up(struct autoscaler *a, uint32_t i, int64_t now_ns, double load, uint32_t up,
                     struct autoscale_action *out)
{
    struct autoscale_dc *d = &a->dc[i];
    if (!held_for(d->above_since_ns, now_ns, a->cfg.window_ns))
        return false;
    uint32_t n = to_add(d, a->cfg.target, load, up);
    if (n == 0)
        return false;
    int64_t ready = now_ns + a->cfg.provisioning_ns;
    *out = (struct autoscale_action){
        .dc = i, .up = true, .first = d->active, .count = n, .decided_ns = now_ns, .at_ns = ready};
    d->batch[d->n_batch++] = (struct autoscale_batch){.ready_ns = ready, .count = n};
    d->active += n;
    d->pending += n;
    d->above_since_ns = now_ns;
    d->last_action_ns = now_ns;
    return true;
}

static bool scale_in(struct autoscaler *a, uint32_t i, int64_t now_ns, struct autoscale_action *out)
{
    struct autoscale_dc *d = &a->dc[i];
    int64_t cool = a->cfg.cooldown_ns;
    if (!held_for(d->below_since_ns, now_ns, cool) || d->pending > 0 || d->active <= d->initial)
        return false;
    if (d->last_action_ns >= 0 && now_ns - d->last_action_ns < cool)
        return false;
    d->active--;
    *out = (struct autoscale_action){.dc = i,
                                     .up = false,
                                     .first = d->active,
                                     .count = 1,
                                     .decided_ns = now_ns,
                                     .at_ns = now_ns};
    d->below_since_ns = now_ns;
    d->last_action_ns = now_ns;
    return true;
}

uint32_t autoscale_row(struct autoscaler *a, int64_t now_ns, const double *load,
                       const uint32_t *servers_up, struct autoscale_action *out)
{
    if (!(a->cfg.target > 0))
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->n_dc; i++) {
        struct autoscale_dc *d = &a->dc[i];
        mature(d, now_ns);
        if (servers_up[i] == 0) { /* outage: nothing measured */
            d->above_since_ns = -1;
            d->below_since_ns = -1;
            continue;
        }
        track(&d->above_since_ns, load[i] >= a->cfg.target, now_ns);
        track(&d->below_since_ns, load[i] < a->cfg.scale_in_below, now_ns);
        if (scale_up(a, i, now_ns, load[i], servers_up[i], &out[n]) ||
            scale_in(a, i, now_ns, &out[n]))
            n++;
    }
    return n;
}

uint32_t autoscale_servers(const struct autoscaler *a, uint32_t dc)
{
    return dc < a->n_dc ? a->dc[dc].active : 0;
}
