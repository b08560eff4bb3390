/* condition.h - evaluating "METRIC OP VALUE" conditions on timeseries rows,
 * for conditional events (`when:`) and `stop_when`.
 *
 * The peer-state gauges (off, booting, logging_in, registering, online,
 * gave_up) read as fractions of nodes.peers; every other column reads as its
 * value in the row (counters: per interval). */
#ifndef BS_CONDITION_H
#define BS_CONDITION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/scenario.h"
#include "rundir.h"

/* The metric's value in a row; *known = false for an unknown name. */
double cond_metric(const struct ts_row *r, const char *name, uint32_t peers, bool *known);
bool cond_holds(const struct scn_cond *c, const struct ts_row *r, uint32_t peers);
/* "online >= 0.9" */
void cond_format(const struct scn_cond *c, char *buf, size_t len);

#endif
