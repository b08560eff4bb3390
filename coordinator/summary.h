/* summary.h - turning what the coordinator collected into run.json's
 * summary and histograms.json.
 *
 * Pure functions of the collected data (no MPI, no I/O), so the rules,
 * above all the fidelity verdict, are unit-tested directly. The summary
 * printed at the end of a run is the results tool's (results/summarize.h),
 * read back from the run directory. */
#ifndef BS_SUMMARY_H
#define BS_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/attribution.h"
#include "common/hist.h"
#include "common/scenario.h"
#include "rundir.h"

struct fired_event {
    uint32_t event;
    int rank;
    int64_t scheduled_ns, actual_ns;
    uint32_t selected;
};

/* Per-rank facts gathered at the end (index = rank). */
struct rank_info {
    char host[64];
    int64_t clock_offset_ns, clock_rtt_ns;
    uint32_t nodes, peers;
    double cpu_s;
    int64_t maxrss_kb;
    uint64_t lag_p99_us;      /* whole run */
    int64_t client_hs_cpu_ns; /* one client TLS handshake's CPU (0: hosts no peers) */
};

/* "boot", "reboot", ...: the kind as the scenario and the results name it. */
const char *event_kind_name(enum scn_event_kind k);

/* What main gathers from every rank after the loop. */
struct run_final {
    struct rank_info *ranks;  /* world entries */
    int64_t *first_online_ns; /* every peer, -1 = never online */
    uint32_t *attempts;       /* every peer's login attempts */
    int64_t *first_emu_ns;    /* every peer: the emulator's delay from power-on to first online */
    uint32_t n_peers;
    struct hist login_us, register_us, ls_queue_us, ls_service_us, svc_queue_us, svc_service_us,
        lag_us;
    struct hist login_emu_us, register_emu_us, req_us, req_emu_us, start_late_us, ls_emu_us,
        svc_emu_us;
    struct hist dht_hops; /* dht: hops of each answered user lookup */
    /* settop (common/metrics.h): per image a box completed, per real
     * fountain decode, per registration that got a worker */
    struct hist image_us, img_cycles_pct, fec_overhead, he_reg_queue_us, he_reg_service_us;
    int64_t client_hs_cpu_ns; /* the largest over the ranks */
};

/* One rank's stall clock (common/attribution.h) over the run: cumulative
 * stall_ns[i] at run time t_ns[i], increasing. Only ranks that host peers
 * have one: a rank of servers alone stalls the system under test, not the
 * emulated clients. */
struct stall_series {
    const int64_t *t_ns, *stall_ns;
    size_t n;
};

/* An event window of histograms.json: the per-interval login and
 * registration histograms merged over the intervals from one fired event
 * to the next. */
struct event_window {
    uint32_t event;
    double from_s, to_s;
    struct metrics_interval h;
};

/* What the coordinator recorded during the run. */
struct run_record {
    const struct scenario *scn;
    int world;
    int n_host_ranks;
    const struct ts_row *rows;
    uint32_t n_rows;
    const struct fired_event *fired;
    uint32_t n_fired;
    const char *incomplete_why;       /* NULL when the run completed */
    const int64_t *sched_at;          /* per event: run time scheduled for, -1 never */
    const struct stall_series *stall; /* one per rank that hosts peers */
    int n_stall;
    const struct event_window *windows; /* in time order */
    uint32_t n_windows;
};

/* The fidelity verdict (docs/results.md, "Fidelity"). */
struct fidelity {
    bool valid;
    double lag_p99_ms;          /* whole run, worst rank */
    double lag_interval_max_ms; /* worst interval's worst-rank p99 */
    double overloaded_s;        /* longest stretch of intervals over the lag limit */
    /* In the intervals over the lag limit, the mean of the longest wait of
     * a rank, ready to run, for a core (ts_row.cpu_wait_ms), in ms per
     * second: a late timer the rank did not cause by its own callbacks, but
     * by sharing the cores (docs/results.md, "Fidelity"). < 0: unknown or
     * no interval over the limit. */
    double lag_cpu_wait_ms_per_s;
    double cpu_saturated_s;                       /* longest stretch with a rank at >= 95% CPU */
    double skew_p50_ms, skew_p99_ms, skew_max_ms; /* |actual - scheduled| */
    char reason[384];
};

/* Lag above the limit for this long is "sustained". */
#define FIDELITY_SUSTAIN_LAG_S 2.0
#define FIDELITY_SUSTAIN_CPU_S 5.0
#define FIDELITY_CPU_SATURATED 0.95

void fidelity_assess(const struct run_record *r, double whole_run_lag_p99_ms, struct fidelity *out);

/* The recovery verdicts (docs/results.md, "Verdicts"). A trigger is a
 * scheduled reboot, crash, outage or capacity event; it ends at its time
 * plus its window (`over`) or duration (`for`). */
#define VERDICT_RECOVERED_LEVEL 0.95 /* of the online level before the trigger */
#define VERDICT_SETTLE_S 10.0        /* after the last trigger, before judging metastability */
#define VERDICT_LOW_GOODPUT 0.5      /* goodput below this share of capacity is "low" */

struct server_load {
    bool known;            /* the server class exists and was offered load */
    double offered_rps;    /* mean attempts/s over the judged rows (after the settle time) */
    double goodput_rps;    /* mean successes/s */
    double capacity_rps;   /* servers up x workers / mean service time, at the end */
    bool capacity_unknown; /* architecture: target: an external server's is not known */
    bool metastable;
};

struct verdict {
    bool has_trigger;
    double trigger_start_s, trigger_end_s;
    bool has_level;
    double level_before; /* peers online in the last row before the first trigger */
    bool recovered;
    double recovery_s;     /* from the end of the last trigger; < 0 when not recovered */
    bool metastable_known; /* enough rows after the trigger to judge */
    bool metastable;
    struct server_load ls, svc, boot;     /* boot: dht's bootstrap nodes */
    struct server_load he;                /* settop: the head-end's registration */
    struct server_load target;            /* target: the real server's logins */
    double amp_overall, amp_peak;         /* login attempts per successful login */
    double req_amp_overall, req_amp_peak; /* requests sent per success */
};

void verdicts_assess(const struct run_record *r, struct verdict *v);

/* The emulator's share of each timing figure (docs/results.md, "Emulator
 * share"), in run.json's order. */
enum fig_timing {
    FIGT_T50,
    FIGT_T95,
    FIGT_T99,
    FIGT_RECOVERY,
    FIGT_LOGIN_P50,
    FIGT_LOGIN_P95,
    FIGT_LOGIN_P99,
    FIGT_REGISTER_P50,
    FIGT_REGISTER_P95,
    FIGT_REGISTER_P99,
    FIGT_COUNT
};

struct timing_figure {
    bool has_value;
    double value; /* s for t50..recovery, ms for the latencies */
    double share; /* < 0: unknown */
    enum attr_verdict verdict;
};

struct timing_figures {
    struct timing_figure f[FIGT_COUNT];
    double max_share; /* control.max_emulator_share */
};

/* run.json's key ("t99_s") and the short name used in messages ("t99"). */
const char *figures_key(enum fig_timing id);
const char *figures_name(enum fig_timing id);
/* The headline figures: one of them emulator-bound makes the run invalid. */
bool figures_headline(enum fig_timing id);

/* Every timing figure, its emulator share and verdict. v gives recovery_s. */
void figures_assess(const struct run_record *r, const struct run_final *f, const struct verdict *v,
                    struct timing_figures *out);
/* The run is not valid when a headline figure is emulator-bound; the lag,
 * skew and completeness reasons come first. */
void fidelity_judge_figures(struct fidelity *fid, const struct timing_figures *tf);

/* run.json's "summary" object (new reference). */
json_t *summary_build(const struct run_record *r, const struct run_final *f,
                      const struct fidelity *fid, const struct verdict *v,
                      const struct timing_figures *tf);
/* The summary of a run that has not reached its final gathers (the
 * interim run.json): everything the timeseries rows give, judged as above,
 * with "rows_only": true. Left out: ever_online and
 * login_attempts_per_node_max; null: t50_s..t99_s, the latency figures and
 * the handshake CPU. fidelity.lag_p99_ms is the worst row's. New ref. */
json_t *summary_build_rows(const struct run_record *r);
/* histograms.json (new reference). */
json_t *summary_histograms(const struct run_record *r, const struct run_final *f);

#endif
