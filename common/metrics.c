/* metrics.c - metric names (see metrics.h). */
#include "metrics.h"

#define X_NAME(id, name) name,
static const char *const counter_names[] = {METRIC_COUNTERS(X_NAME)};
static const char *const gauge_names[] = {METRIC_GAUGES(X_NAME)};
#undef X_NAME

const char *metrics_counter_name(enum metric_counter c)
{
    return (unsigned)c < C_COUNT ? counter_names[c] : "?";
}

const char *metrics_gauge_name(enum metric_gauge g)
{
    return (unsigned)g < G_COUNT ? gauge_names[g] : "?";
}
