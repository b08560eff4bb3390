/* watchdog.h - a deadline on the phases that block outside the event loop.
 *
 * Outside the event loop the ranks block in MPI: start-up broadcasts, the
 * clock sync's ping-pongs, the final gathers, MPI_Finalize. A rank that
 * never arrives (stopped, livelocked, its host gone quiet without dying)
 * would hang every other rank there forever. One thread times the current
 * phase; past its limit it prints "bootstorm: rank N: PHASE did not finish
 * in S s; aborting" and calls the expiry function (the run passes one that
 * calls MPI_Abort), then _exit(1) should that return. No MPI here, so the
 * unit tests drive it with their own expiry function.
 *
 * One watchdog per process. BOOTSTORM_WATCHDOG_SCALE (> 0) multiplies every
 * limit. Without its thread (it could not start) nothing is timed. */
#ifndef BS_WATCHDOG_H
#define BS_WATCHDOG_H

/* Called on the watchdog's thread when a phase overran. */
typedef void (*watchdog_expire_fn)(const char *phase, double limit_s);

void watchdog_start(int rank, watchdog_expire_fn on_expire);
/* Time `phase` for limit_s from now; NULL stops timing. */
void watchdog_arm(const char *phase, double limit_s);
void watchdog_stop(void);

#endif
