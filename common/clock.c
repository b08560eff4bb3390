/* clock.c - monotonic time and conversions. */
#include "clock.h"

#include <time.h>

int64_t clock_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

struct timeval clock_tv_from_ns(int64_t ns)
{
    struct timeval tv = {0, 0};

    if (ns <= 0)
        return tv;
    /* Round up to the next microsecond: a timer must not fire before its
     * deadline, or the caller wakes up early and re-arms a zero timeout. */
    int64_t us = ns / 1000 + (ns % 1000 != 0);
    tv.tv_sec = (time_t)(us / 1000000);
    tv.tv_usec = (suseconds_t)(us % 1000000);
    return tv;
}
