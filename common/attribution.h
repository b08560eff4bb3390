/* attribution.h - how much of a measured time was the emulator's own delay.
 *
 * On real hardware every client has its own CPU; in bootstorm the clients of
 * a rank share one core and one event loop. When that loop is busy (a herd's
 * handshakes, thousands of callbacks), every socket and timer of the rank
 * waits, and the wait shows up in the latencies as if the system under test
 * had caused it. The node host keeps a cumulative "stall clock" per rank:
 * the lateness of its 10 ms lag probe beyond ATTR_STALL_MIN_NS, summed (see
 * docs/results.md, "Emulator share"). A span [t0, t1] then owes
 *   stall(t1) - stall(t0)  + the client-side CPU it spent in TLS handshakes
 * to the emulator, capped at the span itself. A figure whose share exceeds
 * control.max_emulator_share is "emulator-bound".
 *
 * Pure arithmetic on recorded timestamps, no I/O: used by the node host
 * (per attempt) and the coordinator (per figure), and unit-tested. */
#ifndef BS_ATTRIBUTION_H
#define BS_ATTRIBUTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A point on a rank's two clocks: the stall clock (how late its timers
 * ran) and the busy clock (CPU its thread used). Between two marks, the
 * emulator delayed what was in flight by at most the stall, and of that
 * stall only what its own work explains: the smaller of the two. */
struct emu_mark {
    int64_t stall_ns, busy_ns;
};

/* Lag probe lateness below this is timer noise, not a stall. */
#define ATTR_STALL_MIN_NS 1000000LL

/* The emulator's delay in a span of `span_ns` during which the stall clock
 * advanced by stall_ns and the client spent cpu_ns: their sum, clamped to
 * [0, span_ns]. */
int64_t attr_delay(int64_t span_ns, int64_t stall_ns, int64_t cpu_ns);

/* A cumulative stall series sampled at increasing times t[0..n-1] (run
 * time, ns; stall[i] is the stall clock at t[i]). The stall accrued in
 * [a, b], with linear interpolation between samples and constant
 * extrapolation outside them. */
int64_t attr_stall_between(const int64_t *t, const int64_t *stall, size_t n, int64_t a, int64_t b);

/* The emulator's share of a percentile of time-to-online. t_online[i] is
 * peer i's time to online (ns, < 0: never) and emu[i] the emulator's delay
 * within it. The figure tP is decided by the peers ranked just below P, so
 * the share is sum(emu) / sum(t_online) over the peers ranked in
 * (P - band, P] of all peers (at least one) among those online. Returns -1 when
 * fewer than P of the peers came online. The arrays are not modified. */
double attr_percentile_share(const int64_t *t_online, const int64_t *emu, size_t n, double p,
                             double band);

enum attr_verdict { ATTR_FAITHFUL = 0, ATTR_EMULATOR_BOUND, ATTR_UNKNOWN };

/* share < 0 (unknown) gives ATTR_UNKNOWN; share > max_share gives
 * ATTR_EMULATOR_BOUND. */
enum attr_verdict attr_judge(double share, double max_share);
const char *attr_verdict_name(enum attr_verdict v); /* "faithful", "emulator-bound", "unknown" */

#endif
