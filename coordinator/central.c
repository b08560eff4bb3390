/* central.c - the coordinator's part of the central architecture (see
 * central.h). */
#include "central.h"

#include <stdlib.h>
#include <string.h>

enum { PREV_REFUSALS, PREV_SPILLS, PREV_REGISTERED, PREV_BUSY };

void central_init(struct central *c, const struct scenario *s)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    if (s->architecture == ARCH_CENTRAL)
        autoscale_init(&c->as, s);
}

void central_free(struct central *c)
{
    free(c->rec);
    c->rec = NULL;
    c->n_rec = c->cap_rec = 0;
}

static uint64_t delta(uint64_t *prev, uint64_t now)
{
    uint64_t d = now >= *prev ? now - *prev : 0;
    *prev = now;
    return d;
}

/* Busy worker time over available worker time; 0 without workers. */
static double busy_share(uint64_t busy_us, int64_t workers, double interval_s)
{
    return workers > 0 ? (double)busy_us / ((double)workers * interval_s * 1e6) : 0.0;
}

void central_row(struct central *c, const struct dc_metrics *dc, uint64_t reg_busy_us,
                 double interval_s, struct ts_row *r)
{
    const struct scenario *s = c->s;
    /* Workers that went down during the interval served part of it: divide
     * by the larger of the two ends' counts, so a tier that loses servers
     * does not read as several times saturated. */
    int64_t w =
        r->g[G_REG_WORKERS] > c->prev_reg_workers ? r->g[G_REG_WORKERS] : c->prev_reg_workers;
    c->prev_reg_workers = r->g[G_REG_WORKERS];
    r->server_load = busy_share(delta(&c->prev_reg_busy_us, reg_busy_us), w, interval_s);
    r->n_dc = s->architecture == ARCH_CENTRAL ? s->central.n_dc : 0;
    uint32_t max = s->central.presence.max_clients;
    for (uint32_t d = 0; d < r->n_dc; d++) {
        struct dc_row *x = &r->dc[d];
        uint64_t *p = c->prev[d];
        x->servers = dc[d].servers_up;
        x->clients = dc[d].clients;
        x->workers = dc[d].workers_up;
        x->fd_up = dc[d].fd_up;
        x->refusals = delta(&p[PREV_REFUSALS], dc[d].refusals);
        x->spills = delta(&p[PREV_SPILLS], dc[d].spills);
        x->registered = delta(&p[PREV_REGISTERED], dc[d].registered);
        x->busy_us = delta(&p[PREV_BUSY], dc[d].busy_us);
        int64_t dw = x->workers > c->prev_workers[d] ? x->workers : c->prev_workers[d];
        c->prev_workers[d] = x->workers;
        x->load = busy_share(x->busy_us, dw, interval_s);
        if (max && x->servers > 0) {
            double taken = (double)x->clients / ((double)x->servers * max);
            if (taken > x->load)
                x->load = taken;
        }
    }
}

void central_status(const struct central *c, const struct ts_row *r, struct dc_status *out)
{
    (void)c;
    memset(out, 0, sizeof *out * SCN_MAX_DCS);
    for (uint32_t d = 0; d < r->n_dc && d < SCN_MAX_DCS; d++) {
        const struct dc_row *x = &r->dc[d];
        out[d] = (struct dc_status){.fd_up = x->fd_up > 0,
                                    .servers_up = x->servers > 0 ? (uint32_t)x->servers : 0,
                                    .load = x->load,
                                    .refusing = x->refusals > x->registered};
    }
}

static int record(struct central *c, const struct autoscale_action *a, double load)
{
    if (c->n_rec == c->cap_rec) {
        uint32_t cap = c->cap_rec ? 2 * c->cap_rec : 16;
        struct scale_record *n = realloc(c->rec, cap * sizeof *n);
        if (!n)
            return -1;
        c->rec = n;
        c->cap_rec = cap;
    }
    c->rec[c->n_rec++] = (struct scale_record){*a, autoscale_servers(&c->as, a->dc), load, -1};
    return 0;
}

uint32_t central_autoscale(struct central *c, const struct ts_row *r, int64_t now_ns,
                           int64_t lead_ns, struct autoscale_action *out, uint32_t *first_k)
{
    double load[SCN_MAX_DCS] = {0};
    uint32_t up[SCN_MAX_DCS] = {0};
    *first_k = c->n_rec;
    if (r->n_dc == 0 || !(c->s->central.autoscale.target > 0))
        return 0;
    for (uint32_t d = 0; d < r->n_dc; d++) {
        load[d] = r->dc[d].load;
        up[d] = r->dc[d].servers > 0 ? (uint32_t)r->dc[d].servers : 0;
    }
    uint32_t n = autoscale_row(&c->as, now_ns, load, up, out), kept = 0;
    for (uint32_t i = 0; i < n; i++) {
        /* Every rank must have the message before it is due. */
        if (out[i].at_ns < now_ns + lead_ns)
            out[i].at_ns = now_ns + lead_ns;
        if (record(c, &out[i], load[out[i].dc]) == 0)
            out[kept++] = out[i];
    }
    return kept;
}

void central_scale_fired(struct central *c, uint32_t k, int64_t t_ns)
{
    if (k < c->n_rec && (c->rec[k].fired_ns < 0 || t_ns < c->rec[k].fired_ns))
        c->rec[k].fired_ns = t_ns;
}

const char *central_scale_kind(const struct central *c, uint32_t k)
{
    return k < c->n_rec ? (c->rec[k].a.up ? "scale_up" : "scale_down") : NULL;
}

json_t *central_scale_json(const struct central *c)
{
    json_t *arr = json_array();
    for (uint32_t k = 0; arr && k < c->n_rec; k++) {
        const struct scale_record *x = &c->rec[k];
        json_t *o = json_pack("{s:f, s:f, s:o, s:s, s:s, s:i, s:i, s:f}", "decided_s",
                              x->a.decided_ns / 1e9, "at_s", x->a.at_ns / 1e9, "fired_s",
                              x->fired_ns >= 0 ? json_real(x->fired_ns / 1e9) : json_null(),
                              "datacenter", c->s->central.dc[x->a.dc].name, "action",
                              x->a.up ? "scale_up" : "scale_down", "count", (json_int_t)x->a.count,
                              "servers", (json_int_t)x->servers, "load", x->load);
        if (!o || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
