/* clocksync_mpi.c - the start-up MPI ping-pong clock sync (see clocksync_mpi.h). */
#include "clocksync_mpi.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/clock.h"
#include "protocol.h"

int clocksync_run(MPI_Comm comm, int rounds, struct clock_estimate *mine,
                  struct clock_estimate *all)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    struct clock_estimate *est = NULL;
    if (rank == 0) {
        struct clock_sample *s = malloc(sizeof *s * (size_t)rounds);
        est = all ? all : malloc(sizeof *est * (size_t)size);
        if (!s || !est) {
            fprintf(stderr, "bootstorm: out of memory in the clock sync\n");
            MPI_Abort(comm, 1);
            /* not reached: MPI_Abort ends the job (mpi.h does not say so) */
            free(s);
            if (est != all)
                free(est);
            return -1;
        }
        est[0] = (struct clock_estimate){0, 0};
        for (int r = 1; r < size; r++) {
            for (int i = 0; i < rounds; i++) {
                int64_t go = 1;
                s[i].t0 = clock_mono_ns();
                MPI_Send(&go, 1, MPI_INT64_T, r, TAG_SYNC_PING, comm);
                MPI_Recv(&s[i].tr, 1, MPI_INT64_T, r, TAG_SYNC_PONG, comm, MPI_STATUS_IGNORE);
                s[i].t1 = clock_mono_ns();
            }
            est[r] = clocksync_estimate(s, (size_t)rounds);
        }
        free(s);
    } else {
        for (int i = 0; i < rounds; i++) {
            int64_t go, now;
            MPI_Recv(&go, 1, MPI_INT64_T, 0, TAG_SYNC_PING, comm, MPI_STATUS_IGNORE);
            now = clock_mono_ns();
            MPI_Send(&now, 1, MPI_INT64_T, 0, TAG_SYNC_PONG, comm);
        }
    }
    MPI_Scatter(est, (int)sizeof *est, MPI_BYTE, mine, (int)sizeof *mine, MPI_BYTE, 0, comm);
    if (rank == 0 && est != all)
        free(est);
    return 0;
}
