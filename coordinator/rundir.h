/* rundir.h - writing a run's results directory, the run directory (design 7,
 * docs/results.md). Not to be confused with results/, the tool that reads them.
 *
 *   run.json         metadata + summary, written atomically (tmp + rename)
 *   timeseries.csv   one row per metrics interval, appended and flushed
 *   events.csv       one row per (event, rank) with scheduled/actual/skew
 *   histograms.json  latency distributions at the end
 *   placement.csv    node id -> role, rank, host, address
 *   ca.pem           the run's CA certificate
 * Files are flushed as they grow, so a run that dies keeps what it wrote. */
#ifndef BS_RUNDIR_H
#define BS_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#include "common/metrics.h"

#define RUNDIR_FORMAT_VERSION 1

struct rundir;

/* One data centre in a row (architecture: central): its presence servers
 * up, their clients and workers, whether its front door is up (gauges);
 * refusals, spills into it, registrations and busy worker time in the
 * interval (counters); and its utilisation: the busy share of its workers,
 * or the share of max_clients taken when higher. */
struct dc_row {
    int64_t servers, clients, workers, fd_up;
    uint64_t refusals, spills, registered, busy_us;
    double load;
};

/* One timeseries row: counters are per-interval deltas, gauges are levels. */
struct ts_row {
    double t_s;
    int64_t g[G_COUNT];
    uint64_t d[C_COUNT];
    double lag_p99_ms; /* worst rank's p99 timer lateness in the interval */
    double lag_max_ms;
    double cpu_max; /* busiest rank's CPU use in the interval, 1.0 = a core */
    int ranks;      /* ranks that reported */
    /* After ranks, appended (readers find columns by name): the largest
     * stall accrued in the interval on a rank that hosts peers, and the p99
     * of the emulator's delay in the logins completed in it (0: none). */
    double emu_stall_ms;
    double login_emu_p99_ms;
    /* Appended: the registration tier's utilisation (supernodes or
     * presence servers): busy worker time / available worker time. */
    double server_load;
    uint32_t n_dc; /* central: the data centres, in central.datacenters order */
    struct dc_row dc[METRICS_MAX_DCS];
    /* dht: the user lookups answered in the interval (latency in ms and
     * hops, p50 and p99; 0 with none), the share of lookups that found
     * their record among those that ended, and the routing tables' health
     * over the nodes up: live contacts per node, and the share of entries
     * whose last query went unanswered. */
    bool dht;
    double lookup_p50_ms, lookup_p99_ms, hops_p50, hops_p99, lookup_success;
    double dht_live_contacts, dht_dead_share;
    /* In every run, appended last (0 unless settop): the head-end's channel
     * rate over the interval in Mbit/s (he_egress_bytes x 8 / interval),
     * and p50 and p99 in ms of the images boxes completed in it, each from
     * the box's first fetch after its boot delay (0 with none). */
    double egress_mbps, image_p50_ms, image_p99_ms;
    /* Appended: the longest any rank waited, ready to run, for a core in
     * the interval (common/cpu_wait.h), ms; < 0: unknown (an empty cell). */
    double cpu_wait_ms;
};

/* Make the directory (and parents) and open the CSV files. With a central
 * scenario (s may be NULL), timeseries.csv gets its data centres' columns;
 * with a dht one, the lookup and routing-table columns; the settop columns
 * close every header. */
struct scenario;
struct rundir *rundir_open(const char *dir, const struct scenario *s, char *err, size_t errlen);
void rundir_close(struct rundir *r);
const char *rundir_path(const struct rundir *r);

/* Replace NAME atomically (a temporary file, fsync, rename): a reader never
 * sees half a file. Returns 0 or -1 (errno set). */
int rundir_write_file(struct rundir *r, const char *name, const char *text);
/* The same without the fsync, for files rewritten often (the interim
 * run.json): they survive the process, not necessarily the machine. */
int rundir_update_file(struct rundir *r, const char *name, const char *text);
void rundir_append_row(struct rundir *r, const struct ts_row *row);
void rundir_append_event(struct rundir *r, uint32_t event, const char *kind, int rank,
                         int64_t scheduled_ns, int64_t actual_ns, uint32_t selected);

/* placement.csv: node_id,role,rank,host,address (ip:port), one row per node;
 * hosts[] gives each rank's host name. Returns 0 or -1. */
struct placement;
int rundir_write_placement(struct rundir *r, const struct placement *p, char (*hosts)[64]);

/* Default location: runs/<UTC timestamp>-<name>, relative to the current
 * directory. */
void rundir_default_dir(const char *name, char *buf, size_t len);

#endif
