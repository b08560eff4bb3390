/* slow_mpi_probe.c - a preload for integration.test_slow_control: every
 * MPI_Improbe takes SLOW_PROBE_US microseconds (default 5000) longer, and
 * on rank 0 SLOW_PROBE_RANK0_US if set, as one does on a machine with more
 * ranks than cores, where Open MPI yields the core inside the call and the
 * rank waits for its turn. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include <mpi.h>

int MPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message,
                MPI_Status *status)
{
    int rc = PMPI_Improbe(source, tag, comm, flag, message, status);
    const char *rank = getenv("OMPI_COMM_WORLD_RANK");
    const char *v = getenv(rank && rank[0] == '0' && !rank[1] ? "SLOW_PROBE_RANK0_US" : "");
    if (!v)
        v = getenv("SLOW_PROBE_US");
    long us = v ? strtol(v, NULL, 10) : 5000;
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return rc;
}
