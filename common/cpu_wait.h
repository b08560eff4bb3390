/* cpu_wait.h - how long this thread has waited, runnable, for a CPU.
 *
 * A rank's lag probe (node/host.c) tells how late its timers ran, not why.
 * Either the rank was running its own callbacks (too much work per rank), or
 * it was ready to run and waited for a core that other processes held (more
 * ranks than cores). Linux keeps the second per thread: the run-queue wait,
 * the second field of /proc/thread-self/schedstat, in ns. At 100,000 peers
 * on 23 ranks and 2 cores, nearly all of the probe's lateness was that wait
 * (docs/performance.md, "Why a rank's timers run late").
 *
 * The file is opened once and read with pread: one system call a read. */
#ifndef BS_CPU_WAIT_H
#define BS_CPU_WAIT_H

#include <stdint.h>

/* The calling thread's schedstat file, or -1 when the kernel has none
 * (built without CONFIG_SCHED_INFO, or no /proc). Close it with close(). */
int cpu_wait_open(void);

/* The thread's run-queue wait since it started, ns; -1 when fd < 0 or the
 * file cannot be read or parsed. Only the thread that opened fd is meant. */
int64_t cpu_wait_ns(int fd);

/* The wait in a schedstat line ("<on-cpu ns> <wait ns> <slices>"); -1 when
 * it is not three non-negative integers. */
int64_t cpu_wait_parse(const char *text);

#endif
