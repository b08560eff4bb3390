/* gslb.h - the global policy between data centres (central architecture):
 * which DC a peer goes to, as a DNS-based global server load balancer
 * ("GSLB") decides from health checks of each site.
 *
 * Pure: no libevent, no host; times are run times in ns. One per rank, fed
 * by the coordinator's per-DC status table after each metrics row.
 *
 * Staleness is the age of the view: the policy acts on the newest row whose
 * time is at most now - staleness_ns, i.e. on what the DCs looked like
 * staleness_ns ago, as a DNS answer cached for its TTL would. A change first
 * shown by the row stamped T is acted on from T + staleness_ns. Rows come
 * once per metrics.interval, so the view in use is between staleness_ns and
 * staleness_ns + one interval old: the effective staleness is rounded to
 * whole rows (staleness 0 acts on the newest row). Only the last
 * GSLB_HISTORY rows are kept: when the row that staleness asks for has been
 * overwritten (staleness beyond GSLB_HISTORY rows), the oldest row kept is
 * used instead, a view fresher than asked for; when no row that old was ever
 * received, there is no view.
 *
 * The rules (gslb_choose):
 *   home-only  always home
 *   spill      no view yet: home. A DC is "fine" when its front door is up,
 *              it has a server up, it is not refusing, and its load is below
 *              threshold. Home fine: home. Otherwise the least-loaded fine
 *              other DC (ties: lowest index). None fine: the least-loaded
 *              other DC that is at least reachable (front door up, a server
 *              up), if its load is below home's or home is unreachable;
 *              else home. */
#ifndef BS_GSLB_H
#define BS_GSLB_H

#include <stdbool.h>
#include <stdint.h>

#include "common/scenario.h"

struct dc_status {
    bool fd_up;          /* the DC's front door is up */
    uint32_t servers_up; /* presence servers up */
    double load;         /* utilisation, 0..1+ */
    bool refusing;       /* its front door answers BUSY to everyone */
};

#define GSLB_HISTORY 256

/* About 50 kB with SCN_MAX_DCS 8: embed it or allocate it, not on the stack. */
struct gslb {
    uint32_t n_dc;
    enum scn_global_policy policy;
    double threshold;
    int64_t staleness_ns;
    /* ring of the last GSLB_HISTORY rows, in time order */
    struct {
        int64_t t_ns;
        struct dc_status dc[SCN_MAX_DCS];
    } hist[GSLB_HISTORY];
    uint32_t head;      /* the slot the next row goes to */
    uint32_t count;     /* rows kept, up to GSLB_HISTORY */
    int64_t first_t_ns; /* time of the first row ever received */
};

/* n_dc is clamped to SCN_MAX_DCS. */
void gslb_init(struct gslb *g, uint32_t n_dc, enum scn_global_policy policy, double threshold,
               int64_t staleness_ns);
/* The status of every DC (dc[0..n_dc-1]) at run time t_ns, the end of a
 * metrics row; rows arrive in time order. */
void gslb_update(struct gslb *g, int64_t t_ns, const struct dc_status *dc);
/* The view the policy acts on at now_ns: the newest row with
 * t <= now - staleness (see above); NULL when none is that old yet. */
const struct dc_status *gslb_view(const struct gslb *g, int64_t now_ns);
/* Which DC a peer whose home is `home` should go to now; *spilled (when not
 * NULL) is set to whether that is not home. A home >= n_dc is returned as is. */
uint32_t gslb_choose(const struct gslb *g, uint32_t home, int64_t now_ns, bool *spilled);

#endif
