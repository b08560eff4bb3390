/* cap_timeline.h - a server class's capacity over the run: the scenario's
 * capacity at t = 0, then the capacity after each capacity event, at the
 * run time it was scheduled for.
 *
 * It is run.json's "capacity" (docs/results.md) and the capacity the
 * metastability verdict judges against (summary.c): one computation for
 * both, so the results tool draws the same line the verdict used. */
#ifndef BS_CAP_TIMELINE_H
#define BS_CAP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/scenario.h"

/* The scenario's capacity, then at most one point per event. */
#define CAP_TIMELINE_MAX (1 + SCN_MAX_EVENTS)

struct cap_point {
    double t_s;            /* run time the capacity took effect */
    double per_server_rps; /* workers / mean service time, capped by `rate`
                            * under pace or token-bucket admission */
    uint32_t servers;      /* configured servers of the class (outages not
                            * counted: they are in the timeseries) */
};

/* One server's requests/s under a capacity configuration. A zero mean
 * service time reads as 1e12/s: no limit worth the name. */
double cap_timeline_rate(const struct scn_capacity *cap);

/* The timeline of role (ROLE_LOGIN_SERVER, ROLE_SERVICE, ROLE_SUPERNODE,
 * ROLE_DHT_BOOTSTRAP or ROLE_HEADEND) into out[CAP_TIMELINE_MAX]; returns
 * the number of points, at least 1. sched_at[i] is the run time (ns) event
 * i was scheduled for, < 0 if it never was; events are taken in that order,
 * ties in scenario order. NULL sched_at: no event counts. */
size_t cap_timeline(const struct scenario *s, const int64_t *sched_at, enum role role,
                    struct cap_point *out);

/* The last point's per-server rate: the capacity at the end of the run. */
double cap_timeline_final_rate(const struct scenario *s, const int64_t *sched_at, enum role role);

/* run.json's "capacity": {"login_server": [...], "service": [...]}, the
 * service list empty when the scenario has no service; with settop also
 * "headend": [...], its registration server. NULL when out of memory. */
json_t *cap_timeline_json(const struct scenario *s, const int64_t *sched_at);

#endif
