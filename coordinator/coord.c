/* coord.c - rank 0's run control (see coord.h). */
#include "coord.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "cap_timeline.h"
#include "central.h"
#include "common/clock.h"
#include "common/openmetrics.h"
#include "condition.h"
#include "control/clocksync.h"
#include "control/ctrl.h"
#include "control/protocol.h"
#include "results/summarize.h"

#define TICK_US 20000
#define STOP_GRACE_NS (5 * NS_PER_S) /* wait for late snapshots after duration */
#define BYE_TIMEOUT_NS (20 * NS_PER_S)
#define RESYNC_PROBES 8
#define RESYNC_GAP_US 25000 /* between the probes of a burst */
#define INTERIM_EVERY_S 5.0 /* run time between two interim run.json */

struct agg {
    int got;
    uint64_t c[C_COUNT];
    int64_t g[G_COUNT];
    struct dc_metrics dc[METRICS_MAX_DCS];
    double lag_p99_ms, lag_max_ms, cpu_max;
    /* The interval's login and registration histograms, summed over the
     * ranks: allocated by its first snapshot, freed once its row is out, so
     * only the intervals still in flight hold one. */
    struct metrics_interval *iv;
};

struct coord {
    struct event_base *base;
    struct ctrl *ctrl;
    const struct scenario *scn;
    struct placement pl;
    struct rundir *rd;
    struct coord_meta meta;
    int world;
    bool tty;

    int64_t start_mono_ns; /* local monotonic of run time 0 */
    uint32_t n_intervals;
    struct agg *agg; /* [1..n_intervals] */
    uint32_t next_row;
    uint64_t prev_c[C_COUNT];
    double *prev_cpu; /* per rank */
    struct ts_row *rows;
    uint32_t n_rows;

    struct fired_event *fired;
    uint32_t n_fired, cap_fired;

    struct central central; /* architecture: central (per-DC rows, autoscaler) */

    /* The emulator's share (common/attribution.h): every rank's stall clock
     * at each interval boundary, [interval * world + rank], interval 0 being
     * the baseline at run time 0; whether the rank hosts peers; and per
     * event, the interval histograms of the rows in its window. */
    int64_t *stall;
    bool *hosts_peers;
    /* Likewise each rank's run-queue wait (common/cpu_wait.h); -1: unknown. */
    int64_t *cpu_wait;
    struct metrics_interval *win; /* SCN_MAX_EVENTS */

    int64_t sched_at[SCN_MAX_EVENTS]; /* run time each event was scheduled for; -1: never */
    bool stopped_early;
    double stopped_at_s;

    /* clock re-estimation (coordinator side of TAG_PING/PONG/OFFSET) */
    struct event *resync;
    int64_t *offset;              /* per rank: the offset the rank is using */
    int64_t *drift_max;           /* per rank: the largest correction made */
    uint32_t *resyncs;            /* per rank: corrections made */
    struct clock_sample *samples; /* per rank, RESYNC_PROBES each */
    uint32_t *n_samples;
    int probes_sent;

    struct event *tick;
    bool stop_sent;
    int64_t stop_sent_ns;
    int byes;
    bool incomplete;
    char incomplete_why[192];
    char silent[128];    /* the interim's note of ranks gone quiet (note_silent) */
    int why_src;         /* who reported a signal: -1 nobody, 0 rank 0 itself, else the host rank */
    uint32_t *last_iv;   /* per rank: the last interval it reported */
    double interim_at_s; /* last row in the interim run.json; < 0: none written yet */

    /* The live metrics (coord_live_metrics): as of the last row, with the
     * strings its labels point to, and the latency sums in us. */
    struct om_run live;
    char live_run[256], live_arch[32], live_seed[24];
    uint64_t live_sum_us[OM_LAT_COUNT];
};

static void write_provisional(struct coord *c);
static void write_interim(struct coord *c);

static int64_t run_now(const struct coord *c)
{
    return clock_mono_ns() - c->start_mono_ns;
}

static const char *kind_name(enum scn_event_kind k)
{
    return event_kind_name(k);
}

/* ---- progress ---- */

/* What matters for the architecture run: supernodes up, or each data
 * centre's load and servers up and the spills, or the DHT's lookups and
 * tables, or the head-end's channel rate and registration queue; and the
 * service's goodput whenever there is a service. */
static void progress_arch(const struct coord *c, const struct ts_row *r, double iv, char *buf,
                          size_t len)
{
    size_t used = 0;
    int n;
    buf[0] = '\0';
    if (c->scn->architecture == ARCH_SUPERNODE) {
        n = snprintf(buf, len, "  SN %lld", (long long)r->g[G_SN_COUNT]);
        used = n > 0 && (size_t)n < len ? (size_t)n : used;
    }
    for (uint32_t d = 0; d < r->n_dc && used < len; d++) {
        n = snprintf(buf + used, len - used, "%s %s %.0f%%/%lld", d ? "" : "  DC",
                     c->scn->central.dc[d].name, 100 * r->dc[d].load, (long long)r->dc[d].servers);
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (r->n_dc && used < len) {
        n = snprintf(buf + used, len - used, "  spills/s %.0f", r->d[C_DC_SPILLS] / iv);
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (r->dht && used < len) {
        n = snprintf(buf + used, len - used,
                     "  lookups/s %.0f ok %.0f%% hops %.0f p99 %.0f ms  contacts %.1f dead %.0f%%  "
                     "boot %.0f/s refused %.0f",
                     r->d[C_REQ_SENT] / iv, 100 * r->lookup_success, r->hops_p50, r->lookup_p99_ms,
                     r->dht_live_contacts, 100 * r->dht_dead_share, r->d[C_BOOT_REQUESTS] / iv,
                     r->d[C_BOOT_REFUSED] / iv);
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (c->scn->architecture == ARCH_SETTOP && used < len) {
        n = snprintf(buf + used, len - used, "  egress %.1f Mbit/s  HE queue %lld", r->egress_mbps,
                     (long long)r->g[G_HE_QUEUE]);
        used += n > 0 && (size_t)n < len - used ? (size_t)n : 0;
    }
    if (c->scn->nodes.services > 0 && used < len)
        snprintf(buf + used, len - used, "  svc ok/s %.0f (busy %.0f, timeout %.0f)",
                 r->d[C_REQ_OK] / iv, r->d[C_REQ_BUSY] / iv, r->d[C_REQ_TIMEOUT] / iv);
}

static void progress(struct coord *c, const struct ts_row *r)
{
    if (c->meta.quiet)
        return;
    char arch[480];
    double iv = c->scn->metrics.interval_ns / 1e9;
    double pct = c->pl.n_peers ? 100.0 * r->g[G_ONLINE] / c->pl.n_peers : 0;
    double emu = r->emu_stall_ms / 1e3 / iv; /* the interval's emulator share */
    progress_arch(c, r, iv, arch, sizeof arch);
    char login[160];
    if (c->scn->architecture == ARCH_TARGET) /* a real server: no queue of ours to show */
        snprintf(login, sizeof login, "logging in %lld  logins/s %.0f (ok %.0f, refused %.0f)",
                 (long long)r->g[G_LOGGING_IN], r->d[C_LOGIN_ATTEMPTS] / iv, r->d[C_LOGIN_OK] / iv,
                 r->d[C_LOGIN_BUSY] / iv);
    else if (scenario_uses_login(c->scn))
        snprintf(login, sizeof login,
                 "logging in %lld  logins/s %.0f (ok %.0f, busy %.0f)  LS queue %lld",
                 (long long)r->g[G_LOGGING_IN], r->d[C_LOGIN_ATTEMPTS] / iv, r->d[C_LOGIN_OK] / iv,
                 r->d[C_LOGIN_BUSY] / iv, (long long)r->g[G_LS_QUEUE]);
    else if (c->scn->architecture == ARCH_SETTOP) /* the image, then registration */
        snprintf(login, sizeof login,
                 "fetching %lld  images ok/s %.0f  registering %lld  regs/s %.0f (refused %.0f)",
                 (long long)r->g[G_FETCHING], r->d[C_IMG_OK] / iv, (long long)r->g[G_REGISTERING],
                 r->d[C_HE_REG_SERVED] / iv, r->d[C_HE_REG_REFUSED] / iv);
    else /* dht without login: the joins */
        snprintf(login, sizeof login, "joining %lld  joins/s %.0f (ok %.0f)",
                 (long long)r->g[G_REGISTERING], r->d[C_REG_ATTEMPTS] / iv, r->d[C_REG_OK] / iv);
    fprintf(stderr,
            "%s[%6.1fs] online %5.1f%% (%lld/%u)  booting %lld  %s%s  lag p99 %.1f ms  "
            "emu %.0f%%%s%s%s",
            c->tty ? "\r" : "", r->t_s, pct, (long long)r->g[G_ONLINE], c->pl.n_peers,
            (long long)r->g[G_BOOTING], login, arch, r->lag_p99_ms, 100 * emu,
            emu > c->scn->control.max_emulator_share ? " EMU!" : "",
            r->lag_p99_ms > c->scn->control.max_lag_p99_ms ? "  [EMULATOR OVERLOADED]" : "",
            c->tty ? "\033[K" : "\n");
    fflush(stderr);
}

/* The network-wide counts a peer needs to judge whether SNs are lacking:
 * in a real network a client would estimate them; here the coordinator
 * shares the exact last row. */
static void share_global(struct coord *c, const struct ts_row *r)
{
    if (c->stop_sent || c->scn->supernode.promote.target_ratio <= 0)
        return;
    struct ctrl_global g = {r->g[G_ONLINE], r->g[G_SN_COUNT]};
    for (int k = c->pl.first_host_rank; k < c->pl.first_host_rank + c->pl.n_host_ranks; k++)
        ctrl_send(c->ctrl, k, TAG_GLOBAL, &g, (int)sizeof g);
}

/* ---- central: the global policy's view, and the autoscaler ---- */

static void share_dc_status(struct coord *c, const struct ts_row *r)
{
    if (c->stop_sent || r->n_dc == 0)
        return;
    struct ctrl_dc_status d = {.t_ns = (int64_t)llround(r->t_s * 1e9)};
    central_status(&c->central, r, d.dc);
    for (int k = c->pl.first_host_rank; k < c->pl.first_host_rank + c->pl.n_host_ranks; k++)
        ctrl_send(c->ctrl, k, TAG_DC_STATUS, &d, (int)sizeof d);
}

static void autoscale(struct coord *c, const struct ts_row *r)
{
    struct autoscale_action a[SCN_MAX_DCS];
    uint32_t k0;
    if (c->stop_sent)
        return;
    uint32_t n = central_autoscale(&c->central, r, run_now(c), c->scn->control.lead_ns, a, &k0);
    for (uint32_t i = 0; i < n; i++) {
        struct ctrl_scale m = {k0 + i, a[i].dc, a[i].first, a[i].count, a[i].up, a[i].at_ns};
        for (int k = c->pl.first_host_rank; k < c->pl.first_host_rank + c->pl.n_host_ranks; k++)
            ctrl_send(c->ctrl, k, TAG_SCALE, &m, (int)sizeof m);
        if (!c->meta.quiet)
            fprintf(stderr, "%sbootstorm: %s: %s%u server%s at %.1f s (load %.2f)\n",
                    c->tty ? "\n" : "", c->scn->central.dc[a[i].dc].name, a[i].up ? "+" : "-",
                    a[i].count, a[i].count == 1 ? "" : "s", a[i].at_ns / 1e9, r->dc[a[i].dc].load);
    }
}

/* ---- conditional events and stop_when ---- */

static void send_stop(struct coord *c);

static void schedule(struct coord *c, uint32_t i, int64_t at_ns)
{
    struct ctrl_schedule s = {i, at_ns};
    c->sched_at[i] = at_ns;
    for (int r = c->pl.first_host_rank; r < c->pl.first_host_rank + c->pl.n_host_ranks; r++)
        ctrl_send(c->ctrl, r, TAG_SCHEDULE, &s, (int)sizeof s);
}

/* The coordinator judges conditions on aggregated rows, then schedules the
 * event like any other: at least `lead` ahead, so every rank fires it at
 * the same instant. */
static void evaluate_conditions(struct coord *c, const struct ts_row *r)
{
    const struct scenario *s = c->scn;
    if (c->stop_sent)
        return;
    int64_t at = run_now(c) + s->control.lead_ns;
    for (uint32_t i = 0; i < s->n_events; i++) {
        const struct scn_event *e = &s->events[i];
        if (!e->conditional || c->sched_at[i] >= 0 || at >= s->duration_ns)
            continue;
        if (cond_holds(&e->when, r, c->pl.n_peers)) {
            char buf[96];
            cond_format(&e->when, buf, sizeof buf);
            if (!c->meta.quiet)
                fprintf(stderr, "%sbootstorm: %s held at %.1f s: event %u fires at %.3f s\n",
                        c->tty ? "\n" : "", buf, r->t_s, i, at / 1e9);
            schedule(c, i, at);
        }
    }
    if (s->has_stop_when && cond_holds(&s->stop_when, r, c->pl.n_peers)) {
        c->stopped_early = true;
        c->stopped_at_s = r->t_s;
        send_stop(c);
    }
}

/* ---- snapshots -> rows ---- */

/* Where rank r's reading at the end of interval k sits in the per-interval
 * clocks (stall, cpu_wait). */
static size_t clock_at(const struct coord *c, uint32_t k, int r)
{
    return (size_t)k * (size_t)c->world + (size_t)r;
}

/* The largest rise of a cumulative clock (stall, cpu_wait) in interval k
 * over the ranks (those that host peers, when peers_only) whose readings
 * at both ends are known (>= 0); -1 when there is none. */
static int64_t largest_rise(const struct coord *c, const int64_t *clock, uint32_t k,
                            bool peers_only)
{
    int64_t worst = -1;
    for (int r = 0; r < c->world; r++) {
        if (peers_only && !c->hosts_peers[r])
            continue;
        int64_t a = clock[clock_at(c, k - 1, r)], b = clock[clock_at(c, k, r)];
        if (a >= 0 && b >= a && b - a > worst)
            worst = b - a;
    }
    return worst;
}

/* The event whose window holds the row ending at end_ns: the last one
 * scheduled before that end (ties: the later in the scenario). A
 * conditional event is scheduled at least `lead` ahead, so a row already
 * written never changes window. -1: before every event. */
static int window_of(const struct coord *c, int64_t end_ns)
{
    int best = -1;
    for (uint32_t i = 0; i < c->scn->n_events; i++) {
        int64_t at = c->sched_at[i];
        if (at >= 0 && at < end_ns && (best < 0 || at >= c->sched_at[best]))
            best = (int)i;
    }
    return best;
}

static void merge_interval(struct metrics_interval *into, const struct metrics_interval *from)
{
    hist_merge(&into->login_us, &from->login_us);
    hist_merge(&into->login_emu_us, &from->login_emu_us);
    hist_merge(&into->register_us, &from->register_us);
    hist_merge(&into->register_emu_us, &from->register_emu_us);
    hist_merge(&into->lookup_us, &from->lookup_us);
    hist_merge(&into->lookup_hops, &from->lookup_hops);
    hist_merge(&into->image_us, &from->image_us);
}

/* dht: the interval's lookups and the routing tables' health. */
static void dht_row(const struct metrics_interval *iv, struct ts_row *r)
{
    r->dht = true;
    if (iv && iv->lookup_us.count) {
        r->lookup_p50_ms = (double)hist_quantile(&iv->lookup_us, 0.5) / 1e3;
        r->lookup_p99_ms = (double)hist_quantile(&iv->lookup_us, 0.99) / 1e3;
        r->hops_p50 = (double)hist_quantile(&iv->lookup_hops, 0.5);
        r->hops_p99 = (double)hist_quantile(&iv->lookup_hops, 0.99);
    }
    uint64_t ended = metrics_lookups_ended(r->d);
    r->lookup_success = ended ? (double)r->d[C_REQ_OK] / (double)ended : 0;
    if (r->g[G_DHT_UP] > 0)
        r->dht_live_contacts = (double)r->g[G_DHT_LIVE] / (double)r->g[G_DHT_UP];
    if (r->g[G_DHT_ENTRIES] > 0)
        r->dht_dead_share = (double)r->g[G_DHT_FAILING] / (double)r->g[G_DHT_ENTRIES];
}

/* settop: the head-end's channel rate and the images completed. Written
 * in every run (0 then), so the three columns have one place. */
static void settop_row(const struct metrics_interval *iv, double interval_s, struct ts_row *r)
{
    r->egress_mbps = (double)r->d[C_HE_EGRESS_BYTES] * 8 / interval_s / 1e6;
    if (iv && iv->image_us.count) {
        r->image_p50_ms = (double)hist_quantile(&iv->image_us, 0.5) / 1e3;
        r->image_p99_ms = (double)hist_quantile(&iv->image_us, 0.99) / 1e3;
    }
}

/* ---- live metrics (--metrics-listen) ---- */

/* What is known before the first row: the labels, the plan, counters at 0,
 * no gauge yet, empty summaries. */
static void live_init(struct coord *c)
{
    struct om_run *l = &c->live;
    om_run_init(l);
    /* run: the run directory's name, as the results tool labels a run */
    const char *path = rundir_path(c->rd);
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && path[b - 1] != '/')
        b--;
    snprintf(c->live_run, sizeof c->live_run, "%.*s", (int)(n - b), path + b);
    /* the architecture's name as the scenario file spells it */
    char *scn_json = scenario_to_json(c->scn);
    json_t *j = scn_json ? json_loads(scn_json, 0, NULL) : NULL;
    const char *arch = json_string_value(json_object_get(j, "architecture"));
    snprintf(c->live_arch, sizeof c->live_arch, "%s", arch ? arch : "");
    json_decref(j);
    free(scn_json);
    snprintf(c->live_seed, sizeof c->live_seed, "%llu", (unsigned long long)c->scn->seed);
    l->run = c->live_run;
    l->scenario = c->scn->name;
    l->architecture = c->live_arch;
    l->version = BS_VERSION;
    l->seed = c->live_seed;
    l->run_s = 0;
    l->elapsed_s = 0;
    l->duration_s = c->scn->duration_ns / 1e9;
    l->interval_s = c->scn->metrics.interval_ns / 1e9;
    l->interval = 0;
    l->intervals = c->n_intervals;
    l->ranks = 0;
    l->peers = c->pl.n_peers;
    for (int i = 0; i < C_COUNT; i++)
        l->has_counter[i] = true;
    for (int k = 0; k < OM_LAT_COUNT; k++) {
        l->lat[k].known = true;
        for (int q = 0; q < OM_QUANTILES; q++)
            l->lat[k].q_s[q] = NAN;
    }
}

static void live_latency(struct coord *c, enum om_latency k, const struct hist *h)
{
    struct om_latency_data *d = &c->live.lat[k];
    c->live_sum_us[k] += h->sum;
    d->count += h->count;
    d->sum_s = (double)c->live_sum_us[k] / 1e6;
    for (int q = 0; q < OM_QUANTILES; q++)
        d->q_s[q] = h->count ? (double)hist_quantile(h, om_quantile[q]) / 1e6 : NAN;
}

/* Row r (interval c->next_row) is complete: its counters, now in
 * c->prev_c, are the totals so far. */
static void live_row(struct coord *c, const struct ts_row *r, const struct metrics_interval *iv)
{
    struct om_run *l = &c->live;
    l->run_s = r->t_s;
    l->interval = c->next_row;
    l->ranks = r->ranks;
    l->lag_p99_s = r->lag_p99_ms / 1e3;
    l->lag_max_s = r->lag_max_ms / 1e3;
    l->cpu_max = r->cpu_max;
    memcpy(l->counter, c->prev_c, sizeof l->counter);
    for (int i = 0; i < G_COUNT; i++) {
        l->has_gauge[i] = true;
        l->gauge[i] = r->g[i];
    }
    static const struct hist empty;
    live_latency(c, OM_LAT_LOGIN, iv ? &iv->login_us : &empty);
    live_latency(c, OM_LAT_REGISTER, iv ? &iv->register_us : &empty);
    live_latency(c, OM_LAT_IMAGE, iv ? &iv->image_us : &empty);
}

const struct om_run *coord_live_metrics(struct coord *c)
{
    c->live.elapsed_s = run_now(c) / 1e9;
    return &c->live;
}

static void emit_rows(struct coord *c)
{
    int hosts = c->pl.n_host_ranks;
    while (c->next_row <= c->n_intervals && c->agg[c->next_row].got == hosts) {
        struct agg *a = &c->agg[c->next_row];
        struct ts_row *r = &c->rows[c->n_rows++];
        memset(r, 0, sizeof *r);
        r->t_s = c->next_row * (c->scn->metrics.interval_ns / 1e9);
        memcpy(r->g, a->g, sizeof r->g);
        for (int i = 0; i < C_COUNT; i++) {
            r->d[i] = a->c[i] - c->prev_c[i];
            c->prev_c[i] = a->c[i];
        }
        r->lag_p99_ms = a->lag_p99_ms;
        r->lag_max_ms = a->lag_max_ms;
        r->cpu_max = a->cpu_max;
        r->ranks = a->got;
        /* The stall of the ranks that host peers (0 with none); the wait
         * of any rank (-1: unknown). */
        int64_t stall = largest_rise(c, c->stall, c->next_row, true);
        r->emu_stall_ms = stall < 0 ? 0 : (double)stall / 1e6;
        int64_t wait = largest_rise(c, c->cpu_wait, c->next_row, false);
        r->cpu_wait_ms = wait < 0 ? -1 : (double)wait / 1e6;
        central_row(&c->central, a->dc, a->c[C_REG_BUSY_US], c->scn->metrics.interval_ns / 1e9, r);
        if (c->scn->architecture == ARCH_DHT)
            dht_row(a->iv, r);
        settop_row(a->iv, c->scn->metrics.interval_ns / 1e9, r);
        live_row(c, r, a->iv);
        if (a->iv) {
            if (a->iv->login_us.count)
                r->login_emu_p99_ms = (double)hist_quantile(&a->iv->login_emu_us, 0.99) / 1e3;
            int w = window_of(c, (int64_t)c->next_row * c->scn->metrics.interval_ns);
            if (w >= 0)
                merge_interval(&c->win[w], a->iv);
            free(a->iv);
            a->iv = NULL;
        }
        rundir_append_row(c->rd, r);
        progress(c, r);
        c->next_row++;
        evaluate_conditions(c, r);
        share_global(c, r);
        share_dc_status(c, r);
        autoscale(c, r);
        /* The last row is followed by the final run.json at once. */
        if (c->next_row <= c->n_intervals &&
            (c->interim_at_s < 0 || r->t_s - c->interim_at_s >= INTERIM_EVERY_S - 1e-9))
            write_interim(c);
    }
}

static void on_snapshot(void *arg, int src, const void *buf, int len)
{
    struct coord *c = arg;
    struct metrics_snapshot s;
    if (len != (int)sizeof s)
        return;
    memcpy(&s, buf, sizeof s);
    if (src < 0 || src >= c->world || s.interval > c->n_intervals)
        return; /* a host's clock ran past the end: nothing to aggregate */
    c->stall[clock_at(c, s.interval, src)] = s.stall_ns;
    c->cpu_wait[clock_at(c, s.interval, src)] = s.cpu_wait_ns;
    if (s.interval > c->last_iv[src])
        c->last_iv[src] = s.interval;
    c->hosts_peers[src] = c->hosts_peers[src] || s.hosts_peers;
    if (s.interval == 0)
        return; /* the baseline: the stall clock only */
    struct agg *a = &c->agg[s.interval];
    a->got++;
    if (!a->iv)
        a->iv = calloc(1, sizeof *a->iv);
    if (a->iv)
        merge_interval(a->iv, &s.iv);
    for (int i = 0; i < C_COUNT; i++)
        a->c[i] += s.c[i];
    for (int i = 0; i < G_COUNT; i++)
        a->g[i] += s.g[i];
    for (int d = 0; d < METRICS_MAX_DCS; d++) {
        struct dc_metrics *x = &a->dc[d];
        const struct dc_metrics *y = &s.dc[d];
        x->servers_up += y->servers_up;
        x->clients += y->clients;
        x->workers_up += y->workers_up;
        x->fd_up += y->fd_up;
        x->busy_us += y->busy_us;
        x->refusals += y->refusals;
        x->spills += y->spills;
        x->registered += y->registered;
    }
    double p99 = hist_quantile(&s.lag_us, 0.99) / 1e3, mx = s.lag_us.max / 1e3;
    double cpu = (s.cpu_s - c->prev_cpu[src]) / (c->scn->metrics.interval_ns / 1e9);
    c->prev_cpu[src] = s.cpu_s;
    if (p99 > a->lag_p99_ms)
        a->lag_p99_ms = p99;
    if (mx > a->lag_max_ms)
        a->lag_max_ms = mx;
    if (cpu > a->cpu_max)
        a->cpu_max = cpu;
    emit_rows(c);
}

static void on_fired(void *arg, int src, const void *buf, int len)
{
    struct coord *c = arg;
    struct ctrl_fired f;
    if (len != (int)sizeof f)
        return;
    memcpy(&f, buf, sizeof f);
    if (f.event >= CTRL_SCALE_EVENT) { /* an autoscaler action: events.csv only */
        uint32_t k = f.event - CTRL_SCALE_EVENT;
        const char *kind = central_scale_kind(&c->central, k);
        if (!kind)
            return;
        central_scale_fired(&c->central, k, f.actual_ns);
        rundir_append_event(c->rd, c->scn->n_events + k, kind, f.rank, f.scheduled_ns, f.actual_ns,
                            f.selected);
        return;
    }
    if (f.event >= c->scn->n_events)
        return;
    if (c->n_fired == c->cap_fired) {
        uint32_t cap = c->cap_fired ? 2 * c->cap_fired : 64;
        struct fired_event *n = realloc(c->fired, cap * sizeof *n);
        if (!n)
            return;
        c->fired = n;
        c->cap_fired = cap;
    }
    c->fired[c->n_fired++] =
        (struct fired_event){f.event, f.rank, f.scheduled_ns, f.actual_ns, f.selected};
    rundir_append_event(c->rd, f.event, kind_name(c->scn->events[f.event].kind), f.rank,
                        f.scheduled_ns, f.actual_ns, f.selected);
}

/* ---- clock re-estimation ---- */

static void on_pong(void *arg, int src, const void *buf, int len)
{
    struct coord *c = arg;
    struct ctrl_ping p;
    if (len != (int)sizeof p || src <= 0 || src >= c->world)
        return;
    memcpy(&p, buf, sizeof p);
    if (c->n_samples[src] < RESYNC_PROBES)
        c->samples[src * RESYNC_PROBES + c->n_samples[src]++] =
            (struct clock_sample){p.t0, p.tr, clock_mono_ns()};
}

static void resync_tick(evutil_socket_t fd, short what, void *arg)
{
    struct coord *c = arg;
    if (c->stop_sent)
        return;
    if (c->probes_sent < RESYNC_PROBES) { /* a burst: one probe per rank per tick */
        struct ctrl_ping p = {clock_mono_ns(), 0};
        for (int r = 1; r < c->world; r++)
            ctrl_send(c->ctrl, r, TAG_PING, &p, (int)sizeof p);
        c->probes_sent++;
        struct timeval tv = {0, RESYNC_GAP_US};
        evtimer_add(c->resync, &tv);
        return;
    }
    for (int r = 1; r < c->world; r++) {
        if (c->n_samples[r] == 0)
            continue;
        struct clock_estimate e =
            clocksync_estimate(&c->samples[r * RESYNC_PROBES], c->n_samples[r]);
        if (clocksync_should_update(c->offset[r], e)) {
            int64_t d = e.offset_ns - c->offset[r];
            if ((d < 0 ? -d : d) > c->drift_max[r])
                c->drift_max[r] = d < 0 ? -d : d;
            c->offset[r] = e.offset_ns;
            c->resyncs[r]++;
            ctrl_send(c->ctrl, r, TAG_OFFSET, &e.offset_ns, (int)sizeof e.offset_ns);
        }
        c->n_samples[r] = 0;
    }
    c->probes_sent = 0;
    struct timeval tv = clock_tv_from_ns(c->scn->control.resync_ns);
    evtimer_add(c->resync, &tv);
}

static void on_bye(void *arg, int src, const void *buf, int len)
{
    struct coord *c = arg;
    if (++c->byes == c->pl.n_host_ranks)
        event_base_loopbreak(c->base);
}

static void send_stop(struct coord *c)
{
    char stop = 1;
    c->stop_sent = true;
    c->stop_sent_ns = run_now(c);
    for (int r = c->pl.first_host_rank; r < c->pl.first_host_rank + c->pl.n_host_ranks; r++)
        ctrl_send(c->ctrl, r, TAG_STOP, &stop, 1);
}

/* ---- interruption ---- */

static const char *signal_name(int sig, char *buf, size_t len)
{
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        snprintf(buf, len, "signal %d", sig);
        return buf;
    }
}

/* "; rank 2 silent since 6.0 s": under mpirun, a rank that died is the
 * usual cause of a SIGTERM, and this names it. A rank is silent when its
 * next snapshot is SILENT_AFTER_NS overdue (live ranks send theirs within
 * milliseconds of the boundary, a few hundred when overloaded). Only the
 * interim run.json says it: the final one is written after every rank's
 * BYE, so no rank died. */
#define SILENT_AFTER_NS (500 * NS_PER_MS)
static void note_silent(struct coord *c)
{
    int64_t iv = c->scn->metrics.interval_ns, now = run_now(c);
    int first = -1, n = 0;
    for (int r = c->pl.first_host_rank; r < c->pl.first_host_rank + c->pl.n_host_ranks; r++)
        if (now - (int64_t)(c->last_iv[r] + 1) * iv > SILENT_AFTER_NS && n++ == 0)
            first = r;
    c->silent[0] = '\0';
    if (first >= 0)
        snprintf(c->silent, sizeof c->silent, "; rank %d silent since %.1f s%s", first,
                 c->last_iv[first] * (iv / 1e9), n > 1 ? " (and other ranks)" : "");
}

/* A signal reached rank src (0: the coordinator's own). Its own signal's
 * account replaces a host's, which under mpirun gets the same one. */
static void interrupted(struct coord *c, int src, int sig)
{
    char name[32];
    if (c->why_src == 0 || (c->why_src > 0 && src > 0))
        return;
    if (c->stop_sent && !c->incomplete) {
        fprintf(stderr, "%sbootstorm: %s after the run's end: finishing\n", c->tty ? "\n" : "",
                signal_name(sig, name, sizeof name));
        return;
    }
    double at = run_now(c) / 1e9;
    char who[32] = "";
    if (src > 0)
        snprintf(who, sizeof who, "rank %d ", src);
    snprintf(c->incomplete_why, sizeof c->incomplete_why, "%sinterrupted by %s at %.1f s", who,
             signal_name(sig, name, sizeof name), at > 0 ? at : 0);
    note_silent(c);
    bool first = c->why_src < 0;
    c->incomplete = true;
    c->why_src = src;
    if (first)
        fprintf(stderr,
                "%sbootstorm: %s%s: ending the run early; results so far in %s (a second signal "
                "aborts)\n",
                c->tty ? "\n" : "", c->incomplete_why, c->silent, rundir_path(c->rd));
    /* First what the rows say, in case the job is killed before the end. */
    write_interim(c);
    if (!c->stop_sent)
        send_stop(c);
}

void coord_interrupt(struct coord *c, int sig)
{
    interrupted(c, 0, sig);
}

static void on_interrupt(void *arg, int src, const void *buf, int len)
{
    int32_t sig;
    if (len != (int)sizeof sig || src <= 0)
        return;
    memcpy(&sig, buf, sizeof sig);
    interrupted(arg, src, sig);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
    struct coord *c = arg;
    int64_t now = run_now(c);
    if (!c->stop_sent) {
        if (c->next_row > c->n_intervals) {
            send_stop(c);
        } else if (now > c->scn->duration_ns + STOP_GRACE_NS + 2 * c->scn->metrics.interval_ns) {
            c->incomplete = true;
            snprintf(c->incomplete_why, sizeof c->incomplete_why,
                     "ranks stopped reporting metrics at interval %u of %u", c->next_row,
                     c->n_intervals);
            fprintf(stderr, "\nbootstorm: %s\n", c->incomplete_why);
            write_interim(c);
            send_stop(c);
        }
    } else if (now - c->stop_sent_ns > BYE_TIMEOUT_NS) {
        fprintf(stderr, "\nbootstorm: %d of %d ranks did not stop within %llds; aborting\n",
                c->pl.n_host_ranks - c->byes, c->pl.n_host_ranks,
                (long long)(BYE_TIMEOUT_NS / NS_PER_S));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

/* ---- lifecycle ---- */

struct coord *coord_new(struct event_base *base, struct ctrl *ctrl, const struct scenario *scn,
                        int world, struct rundir *rd, const struct coord_meta *meta)
{
    struct coord *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->ctrl = ctrl;
    c->scn = scn;
    c->world = world;
    c->rd = rd;
    c->meta = *meta;
    c->tty = !meta->quiet && isatty(STDERR_FILENO);
    placement_init(&c->pl, scn, world);
    central_init(&c->central, scn);
    c->n_intervals =
        (uint32_t)((scn->duration_ns + scn->metrics.interval_ns - 1) / scn->metrics.interval_ns);
    c->agg = calloc(c->n_intervals + 1, sizeof *c->agg);
    c->rows = calloc(c->n_intervals + 1, sizeof *c->rows);
    c->prev_cpu = calloc((size_t)world, sizeof *c->prev_cpu);
    c->offset = calloc((size_t)world, sizeof *c->offset);
    c->drift_max = calloc((size_t)world, sizeof *c->drift_max);
    c->resyncs = calloc((size_t)world, sizeof *c->resyncs);
    c->samples = calloc((size_t)world * RESYNC_PROBES, sizeof *c->samples);
    c->n_samples = calloc((size_t)world, sizeof *c->n_samples);
    c->stall = calloc((size_t)(c->n_intervals + 1) * (size_t)world, sizeof *c->stall);
    size_t n_wait = (size_t)(c->n_intervals + 1) * (size_t)world;
    c->cpu_wait = malloc(n_wait * sizeof *c->cpu_wait);
    for (size_t i = 0; c->cpu_wait && i < n_wait; i++)
        c->cpu_wait[i] = -1;
    c->hosts_peers = calloc((size_t)world, sizeof *c->hosts_peers);
    c->last_iv = calloc((size_t)world, sizeof *c->last_iv);
    c->why_src = -1;
    c->interim_at_s = -1;
    c->win = calloc(SCN_MAX_EVENTS, sizeof *c->win);
    c->resync = evtimer_new(base, resync_tick, c);
    c->tick = event_new(base, -1, EV_PERSIST, tick, c);
    c->next_row = 1;
    /* The loop's first priority, like the control plane's poll: when rank 0
     * also hosts nodes, the rows, the clock probes and the end of the run
     * do not wait behind them. */
    if (c->tick)
        event_priority_set(c->tick, 0);
    if (c->resync)
        event_priority_set(c->resync, 0);
    if (!c->agg || !c->rows || !c->prev_cpu || !c->tick || !c->offset || !c->drift_max ||
        !c->resyncs || !c->samples || !c->n_samples || !c->resync || !c->stall || !c->cpu_wait ||
        !c->hosts_peers || !c->win || !c->last_iv) {
        coord_free(c);
        return NULL;
    }
    live_init(c);
    ctrl_on(ctrl, TAG_SNAPSHOT, on_snapshot, c);
    ctrl_on(ctrl, TAG_FIRED, on_fired, c);
    ctrl_on(ctrl, TAG_BYE, on_bye, c);
    ctrl_on(ctrl, TAG_PONG, on_pong, c);
    ctrl_on(ctrl, TAG_INTERRUPT, on_interrupt, c);
    return c;
}

void coord_start(struct coord *c, int64_t start_mono_ns, const int64_t *offsets)
{
    c->start_mono_ns = start_mono_ns;
    memcpy(c->offset, offsets, sizeof *c->offset * (size_t)c->world);
    if (c->world > 1 && c->scn->control.resync_ns > 0) {
        struct timeval tv = clock_tv_from_ns(c->scn->control.resync_ns);
        evtimer_add(c->resync, &tv);
    }
    /* Timed events are all known now, and run time is still negative (the
     * start lies `lead` ahead), so each goes out at least `lead` before it
     * fires. Conditional events will take the same path when they trigger. */
    for (uint32_t i = 0; i < c->scn->n_events; i++) {
        c->sched_at[i] = -1;
        if (!c->scn->events[i].conditional)
            schedule(c, i, c->scn->events[i].at_ns);
    }
    struct timeval tv = {0, TICK_US};
    event_add(c->tick, &tv);
    write_provisional(c);
}

void coord_free(struct coord *c)
{
    if (!c)
        return;
    if (c->tick)
        event_free(c->tick);
    if (c->resync)
        event_free(c->resync);
    free(c->offset);
    free(c->drift_max);
    free(c->resyncs);
    free(c->samples);
    free(c->n_samples);
    free(c->stall);
    free(c->cpu_wait);
    free(c->hosts_peers);
    free(c->last_iv);
    free(c->win);
    for (uint32_t i = 0; c->agg && i <= c->n_intervals; i++)
        free(c->agg[i].iv);
    free(c->agg);
    free(c->rows);
    free(c->prev_cpu);
    free(c->fired);
    central_free(&c->central);
    free(c);
}

/* ---- run.json ---- */

static json_t *seed_json(uint64_t seed)
{
    /* JSON readers lose integers past 2^53 and jansson's are signed: large
     * seeds are written as strings, as in the resolved scenario. */
    if (seed <= (1ULL << 53))
        return json_integer((json_int_t)seed);
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)seed);
    return json_string(buf);
}

static void iso_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What the run is: known at the start. */
static json_t *meta_json(const struct coord *c)
{
    const struct scenario *s = c->scn;
    json_t *root = json_object();
    json_object_set_new(root, "format_version", json_integer(RUNDIR_FORMAT_VERSION));
    json_object_set_new(root, "tool", json_string("bootstorm"));
    json_object_set_new(root, "version", json_string(BS_VERSION));
    json_object_set_new(root, "commit", json_string(BS_GIT_COMMIT));
    json_object_set_new(root, "name", json_string(s->name));
    json_object_set_new(root, "seed", seed_json(s->seed));
    json_object_set_new(root, "started_at", json_string(c->meta.started_at));
    json_object_set_new(root, "finished_at", json_null());
    json_object_set_new(root, "complete", json_false());
    json_object_set_new(root, "reason", json_null()); /* set by each writer */
    json_object_set_new(root, "scenario_file", json_string(c->meta.scenario_path));
    json_t *ov = json_array();
    for (int i = 0; i < c->meta.n_overrides; i++)
        json_array_append_new(ov, json_string(c->meta.overrides[i]));
    json_object_set_new(root, "overrides", ov);
    char *scn_json = scenario_to_json(s);
    json_object_set_new(root, "scenario", scn_json ? json_loads(scn_json, 0, NULL) : json_null());
    free(scn_json);
    json_object_set_new(root, "world_size", json_integer(c->world));
    json_object_set_new(root, "summary", json_null());
    return root;
}

/* sync: fsync before the rename (the final files), else not (the interim
 * run.json, rewritten every few seconds). */
static int write_json(struct coord *c, const char *name, json_t *j, bool sync)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    int rc = !text  ? -1
             : sync ? rundir_write_file(c->rd, name, text)
                    : rundir_update_file(c->rd, name, text);
    if (rc < 0)
        fprintf(stderr, "bootstorm: cannot write %s/%s\n", rundir_path(c->rd), name);
    free(text);
    return rc;
}

static json_t *ranks_json(const struct coord *c, const struct run_final *f, json_t *hosts)
{
    json_t *ranks = json_array();
    for (int r = 0; r < c->world; r++) {
        const struct rank_info *ri = &f->ranks[r];
        json_t *o = json_object();
        const char *role = r > 0 ? "host" : c->world == 1 ? "coordinator+host" : "coordinator";
        json_object_set_new(o, "rank", json_integer(r));
        json_object_set_new(o, "role", json_string(role));
        json_object_set_new(o, "host", json_string(ri->host));
        json_object_set_new(o, "nodes", json_integer(ri->nodes));
        json_object_set_new(o, "peers", json_integer(ri->peers));
        json_object_set_new(o, "clock_offset_ns", json_integer(ri->clock_offset_ns));
        json_object_set_new(o, "clock_rtt_ns", json_integer(ri->clock_rtt_ns));
        json_object_set_new(o, "clock_resyncs", json_integer(c->resyncs[r]));
        json_object_set_new(o, "clock_offset_final_ns", json_integer(c->offset[r]));
        json_object_set_new(o, "clock_drift_max_ns", json_integer(c->drift_max[r]));
        json_object_set_new(o, "cpu_s", json_real(ri->cpu_s));
        json_object_set_new(o, "maxrss_kb", json_integer(ri->maxrss_kb));
        json_object_set_new(o, "lag_p99_ms", json_real((double)ri->lag_p99_us / 1e3));
        json_array_append_new(ranks, o);
        bool seen = false;
        for (size_t i = 0; i < json_array_size(hosts) && !seen; i++)
            seen = !strcmp(json_string_value(json_array_get(hosts, i)), ri->host);
        if (!seen)
            json_array_append_new(hosts, json_string(ri->host));
    }
    return ranks;
}

/* Every event with the time it was scheduled for (conditional ones: when
 * their condition held; null if it never did). */
static json_t *events_json(const struct coord *c)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < c->scn->n_events; i++) {
        const struct scn_event *e = &c->scn->events[i];
        json_t *o = json_object();
        json_object_set_new(o, "event", json_integer(i));
        json_object_set_new(o, "kind", json_string(kind_name(e->kind)));
        if (e->conditional) {
            char buf[96];
            cond_format(&e->when, buf, sizeof buf);
            json_object_set_new(o, "when", json_string(buf));
        }
        json_object_set_new(o, "scheduled_s",
                            c->sched_at[i] >= 0 ? json_real(c->sched_at[i] / 1e9) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

/* Why run.json is not final yet: the run is still going, or its job was
 * ended without warning (a rank killed, a machine lost). */
static void unfinished_reason(const struct coord *c, char *buf, size_t len)
{
    snprintf(buf, len,
             "run not finished at %.1f s: still running, or the job was ended before the "
             "coordinator could write its results",
             c->n_rows ? c->rows[c->n_rows - 1].t_s : 0.0);
}

/* At the start: the metadata, no summary yet (no row). */
static void write_provisional(struct coord *c)
{
    char why[192];
    json_t *root = meta_json(c);
    unfinished_reason(c, why, sizeof why);
    json_object_set_new(root, "reason", json_string(why));
    write_json(c, "run.json", root, false);
    json_decref(root);
}

/* Each peer-hosting rank's stall clock at the row boundaries, run time 0
 * included. The arrays are malloc'd in one block (*mem); n rows. */
static int stall_series_build(const struct coord *c, struct stall_series **out, int *n_out,
                              int64_t **mem)
{
    int n = 0;
    for (int r = 0; r < c->world; r++)
        n += c->hosts_peers[r];
    size_t pts = (size_t)c->n_rows + 1;
    *out = calloc(n ? (size_t)n : 1, sizeof **out);
    *mem = malloc(sizeof **mem * 2 * pts * (n ? (size_t)n : 1));
    if (!*out || !*mem)
        return -1;
    int k = 0;
    for (int r = 0; r < c->world; r++) {
        if (!c->hosts_peers[r])
            continue;
        int64_t *t = *mem + 2 * pts * (size_t)k, *st = t + pts;
        for (size_t j = 0; j < pts; j++) {
            t[j] = (int64_t)j * c->scn->metrics.interval_ns;
            st[j] = c->stall[clock_at(c, (uint32_t)j, r)];
        }
        (*out)[k++] = (struct stall_series){t, st, pts};
    }
    *n_out = n;
    return 0;
}

static int by_schedule(const void *a, const void *b)
{
    const struct event_window *x = a, *y = b;
    if (x->from_s != y->from_s)
        return x->from_s < y->from_s ? -1 : 1;
    return x->event < y->event ? -1 : x->event > y->event;
}

/* One window per fired event, in time order, each to the next one's start
 * (the last to the last row). */
static uint32_t windows_build(const struct coord *c, struct event_window *w)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->scn->n_events; i++) {
        bool fired = false;
        for (uint32_t k = 0; k < c->n_fired && !fired; k++)
            fired = c->fired[k].event == i;
        if (!fired || c->sched_at[i] < 0)
            continue;
        w[n] = (struct event_window){.event = i, .from_s = c->sched_at[i] / 1e9};
        w[n++].h = c->win[i];
    }
    qsort(w, n, sizeof *w, by_schedule);
    double end = c->n_rows ? c->rows[c->n_rows - 1].t_s : 0;
    for (uint32_t k = 0; k < n; k++) {
        w[k].to_s = k + 1 < n ? w[k + 1].from_s : end;
        if (w[k].to_s < w[k].from_s)
            w[k].to_s = w[k].from_s;
    }
    return n;
}

/* What the coordinator recorded, for the summary; *m holds the memory
 * (record_free). */
struct record_mem {
    struct stall_series *stall;
    int64_t *stall_mem;
    struct event_window *win;
};

static void record_make(const struct coord *c, const char *why, struct run_record *rec,
                        struct record_mem *m)
{
    int n_stall = 0;
    m->win = calloc(SCN_MAX_EVENTS, sizeof *m->win);
    if (stall_series_build(c, &m->stall, &n_stall, &m->stall_mem) < 0 || !m->win) {
        fprintf(stderr, "bootstorm: out of memory for the emulator's share\n");
        n_stall = 0;
    }
    *rec = (struct run_record){
        .scn = c->scn,
        .world = c->world,
        .n_host_ranks = c->pl.n_host_ranks,
        .rows = c->rows,
        .n_rows = c->n_rows,
        .fired = c->fired,
        .n_fired = c->n_fired,
        .incomplete_why = why,
        .sched_at = c->sched_at,
        .stall = m->stall,
        .n_stall = n_stall,
        .windows = m->win,
        .n_windows = m->win ? windows_build(c, m->win) : 0,
    };
}

static void record_free(struct record_mem *m)
{
    free(m->stall);
    free(m->stall_mem);
    free(m->win);
}

/* What both the interim and the final run.json say beyond the metadata. */
static void add_run_state(const struct coord *c, json_t *root)
{
    json_object_set_new(root, "events", events_json(c));
    json_object_set_new(root, "stopped_early",
                        c->stopped_early ? json_real(c->stopped_at_s) : json_null());
    json_t *cap = cap_timeline_json(c->scn, c->sched_at);
    json_object_set_new(root, "capacity", cap ? cap : json_null());
    if (c->scn->architecture == ARCH_CENTRAL) {
        json_t *sc = central_scale_json(&c->central);
        json_object_set_new(root, "scale_actions", sc ? sc : json_array());
    }
}

/* run.json before the final gathers: complete false, the reason (the
 * interruption's, or "not finished"), and the summary of the rows so far.
 * Written after the first row, every INTERIM_EVERY_S of rows, and at once
 * when a signal arrives; not fsynced. */
static void write_interim(struct coord *c)
{
    char why[320];
    if (c->incomplete)
        snprintf(why, sizeof why, "%s%s", c->incomplete_why, c->silent);
    else
        unfinished_reason(c, why, sizeof why);
    struct run_record rec;
    struct record_mem m;
    record_make(c, why, &rec, &m);
    json_t *root = meta_json(c);
    json_object_set_new(root, "reason", json_string(why));
    add_run_state(c, root);
    json_object_set_new(root, "summary", summary_build_rows(&rec));
    write_json(c, "run.json", root, false);
    json_decref(root);
    record_free(&m);
    c->interim_at_s = c->n_rows ? c->rows[c->n_rows - 1].t_s : 0;
}

int coord_finish(struct coord *c, const struct run_final *f)
{
    struct run_record rec;
    struct record_mem m;
    record_make(c, c->incomplete ? c->incomplete_why : NULL, &rec, &m);
    double lag_p99 = 0;
    for (int r = 0; r < c->world; r++)
        if ((double)f->ranks[r].lag_p99_us / 1e3 > lag_p99)
            lag_p99 = (double)f->ranks[r].lag_p99_us / 1e3;
    struct fidelity fid;
    fidelity_assess(&rec, lag_p99, &fid);
    struct verdict verdict;
    verdicts_assess(&rec, &verdict);
    struct timing_figures figs;
    figures_assess(&rec, f, &verdict, &figs);
    fidelity_judge_figures(&fid, &figs);

    char finished[32];
    iso_now(finished, sizeof finished);
    json_t *root = meta_json(c), *hosts = json_array();
    json_object_set_new(root, "finished_at", json_string(finished));
    json_object_set_new(root, "complete", json_boolean(!c->incomplete));
    json_object_set_new(root, "reason",
                        c->incomplete ? json_string(c->incomplete_why) : json_null());
    json_t *ranks = ranks_json(c, f, hosts);
    json_object_set_new(root, "hosts", hosts);
    json_object_set_new(root, "ranks", ranks);
    add_run_state(c, root);
    json_t *sum = summary_build(&rec, f, &fid, &verdict, &figs);
    json_object_set_new(root, "summary", sum);
    int rc = write_json(c, "run.json", root, true);
    json_t *hj = summary_histograms(&rec, f);
    if (write_json(c, "histograms.json", hj, true) < 0)
        rc = -1;
    json_decref(hj);

    if (c->tty)
        fputc('\n', stderr);
    /* The one summary printer, the results tool's, reading back what was
     * just written: what the terminal shows is what the files say. */
    char err[512];
    if (summarize_print_dir(stdout, rundir_path(c->rd), err, sizeof err) < 0)
        fprintf(stderr, "bootstorm: cannot print the summary: %s\n", err);
    fflush(stdout);
    json_decref(root);
    record_free(&m);
    return rc == 0 && !c->incomplete ? 0 : -1;
}
