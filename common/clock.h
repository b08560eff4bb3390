/* clock.h - time helpers. All run times are int64 nanoseconds.
 *
 * Reference time is the coordinator's CLOCK_MONOTONIC. A rank converts with
 * its estimated offset: local = coord + offset. */
#ifndef BS_CLOCK_H
#define BS_CLOCK_H

#include <stdint.h>
#include <sys/time.h>

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL

int64_t clock_mono_ns(void);
struct timeval clock_tv_from_ns(int64_t ns);

#endif
