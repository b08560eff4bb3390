/* clocksync.c - MPI ping-pong clock offsets (see clocksync.h). */
#include "clocksync.h"

#include <stdlib.h>

#include "common/clock.h"

#define TAG_PING 90
#define TAG_PONG 91

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
        if (!s || !est)
            MPI_Abort(comm, 1);
        est[0] = (struct clock_estimate){0, 0};
        for (int r = 1; r < size; r++) {
            for (int i = 0; i < rounds; i++) {
                int64_t go = 1;
                s[i].t0 = clock_mono_ns();
                MPI_Send(&go, 1, MPI_INT64_T, r, TAG_PING, comm);
                MPI_Recv(&s[i].tr, 1, MPI_INT64_T, r, TAG_PONG, comm, MPI_STATUS_IGNORE);
                s[i].t1 = clock_mono_ns();
            }
            est[r] = clocksync_estimate(s, (size_t)rounds);
        }
        free(s);
    } else {
        for (int i = 0; i < rounds; i++) {
            int64_t go, now;
            MPI_Recv(&go, 1, MPI_INT64_T, 0, TAG_PING, comm, MPI_STATUS_IGNORE);
            now = clock_mono_ns();
            MPI_Send(&now, 1, MPI_INT64_T, 0, TAG_PONG, comm);
        }
    }
    MPI_Scatter(est, (int)sizeof *est, MPI_BYTE, mine, (int)sizeof *mine, MPI_BYTE, 0, comm);
    if (rank == 0 && est != all)
        free(est);
    return 0;
}
