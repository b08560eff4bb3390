/* clocksync.c - the least-round-trip clock offset estimate (see clocksync.h). */
#include "clocksync.h"

struct clock_estimate clocksync_estimate(const struct clock_sample *s, size_t n)
{
    struct clock_estimate best = {0, -1};
    for (size_t i = 0; i < n; i++) {
        int64_t rtt = s[i].t1 - s[i].t0;
        if (rtt < 0)
            continue;
        if (best.rtt_ns < 0 || rtt < best.rtt_ns) {
            best.rtt_ns = rtt;
            /* (t0 + t1) / 2 without overflow */
            best.offset_ns = s[i].tr - (s[i].t0 + rtt / 2);
        }
    }
    return best;
}

bool clocksync_should_update(int64_t current_offset_ns, struct clock_estimate e)
{
    if (e.rtt_ns < 0)
        return false;
    int64_t d = current_offset_ns - e.offset_ns;
    return (d < 0 ? -d : d) > e.rtt_ns / 2;
}
