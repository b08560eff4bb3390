/* condition.c - conditions on timeseries rows (see condition.h). */
#include "condition.h"

#include <stdio.h>
#include <string.h>

static bool is_peer_state(int g)
{
    return g == G_OFF || g == G_BOOTING || g == G_LOGGING_IN || g == G_REGISTERING ||
           g == G_ONLINE || g == G_GAVE_UP;
}

double cond_metric(const struct ts_row *r, const char *name, uint32_t peers, bool *known)
{
    *known = true;
    for (int g = 0; g < G_COUNT; g++)
        if (!strcmp(name, metrics_gauge_name(g)))
            return is_peer_state(g) ? (peers ? (double)r->g[g] / peers : 0) : (double)r->g[g];
    for (int c = 0; c < C_COUNT; c++)
        if (!strcmp(name, metrics_counter_name(c)))
            return (double)r->d[c];
    if (!strcmp(name, "lag_p99_ms"))
        return r->lag_p99_ms;
    if (!strcmp(name, "lag_max_ms"))
        return r->lag_max_ms;
    if (!strcmp(name, "cpu_max"))
        return r->cpu_max;
    *known = false;
    return 0;
}

bool cond_holds(const struct scn_cond *c, const struct ts_row *r, uint32_t peers)
{
    bool known;
    double v = cond_metric(r, c->metric, peers, &known);
    if (!known)
        return false;
    switch (c->op) {
    case CMP_GE:
        return v >= c->value;
    case CMP_GT:
        return v > c->value;
    case CMP_LE:
        return v <= c->value;
    case CMP_LT:
        return v < c->value;
    }
    return false;
}

void cond_format(const struct scn_cond *c, char *buf, size_t len)
{
    static const char *const ops[] = {">=", ">", "<=", "<"};
    snprintf(buf, len, "%s %s %g", c->metric, ops[c->op], c->value);
}
