/* central.h - the coordinator's part of the central architecture, pure
 * (no MPI): per-DC row figures from the aggregated snapshots, the data
 * centres' status for the global policy, and the autoscaler's actions with
 * their record for run.json.
 *
 * After each row coord.c sends the status to every host rank (DC_STATUS)
 * and each action (SCALE), at least control.lead ahead, so every rank acts
 * at the same instant; the host hosting a spare brings it up. */
#ifndef BS_CENTRAL_H
#define BS_CENTRAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "autoscale.h"
#include "common/metrics.h"
#include "node/gslb.h"
#include "rundir.h"

/* One scale action as run.json records it. */
struct scale_record {
    struct autoscale_action a;
    uint32_t servers; /* the DC's servers running or provisioning after it */
    double load;      /* the DC's load on the row that decided it */
    int64_t fired_ns; /* run time it took effect (first rank's report); -1: not yet */
};

struct central {
    const struct scenario *s;
    struct autoscaler as;
    uint64_t prev[METRICS_MAX_DCS][4]; /* cumulative counters at the last row */
    uint64_t prev_reg_busy_us;
    int64_t prev_reg_workers; /* at the last row: a tier that lost servers in the
                               * interval had them for part of it */
    int64_t prev_workers[METRICS_MAX_DCS];
    struct scale_record *rec;
    uint32_t n_rec, cap_rec;
};

void central_init(struct central *c, const struct scenario *s);
void central_free(struct central *c);

/* Fill r's data-centre figures and server_load from the interval's sums
 * over the ranks (dc: per DC; reg_busy_us: the reg_busy_us counter,
 * cumulative; r->g already holds the gauges). interval_s > 0. */
void central_row(struct central *c, const struct dc_metrics *dc, uint64_t reg_busy_us,
                 double interval_s, struct ts_row *r);

/* The status of each data centre in row r, for the global policy: its
 * front door up, its servers up, its load, and whether it refused more
 * clients than it registered in the row. */
void central_status(const struct central *c, const struct ts_row *r, struct dc_status *out);

/* The autoscaler's decisions on row r (decided at run time now_ns; a
 * removal takes effect lead_ns later), recorded; out has room for
 * SCN_MAX_DCS. Returns how many, numbered from *first_k on (the record's
 * index). */
uint32_t central_autoscale(struct central *c, const struct ts_row *r, int64_t now_ns,
                           int64_t lead_ns, struct autoscale_action *out, uint32_t *first_k);

/* A rank reported action k done at run time t_ns. */
void central_scale_fired(struct central *c, uint32_t k, int64_t t_ns);
/* "scale_up" or "scale_down" for action k, NULL if there is no such one. */
const char *central_scale_kind(const struct central *c, uint32_t k);

/* run.json's scale_actions: [{decided_s, at_s, fired_s, datacenter,
 * action, count, servers, load}]. */
json_t *central_scale_json(const struct central *c);

#endif
