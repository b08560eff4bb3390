/* summary.c - run.json summary, fidelity verdict, histograms (see summary.h). */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cap_timeline.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/placement.h"

static const char *const event_kind_names[] = {
    "boot", "reboot", "crash", "outage", "capacity", "inject_supernodes", "partition", "stall"};
_Static_assert(sizeof event_kind_names / sizeof event_kind_names[0] == EV_KIND_COUNT,
               "one name per event kind");

const char *event_kind_name(enum scn_event_kind k)
{
    return (unsigned)k < EV_KIND_COUNT ? event_kind_names[k] : "?";
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)ceil(q * (double)n);
    return v[k ? k - 1 : 0];
}

/* Longest run of consecutive rows satisfying over(), in seconds. */
static double longest_stretch(const struct ts_row *rows, uint32_t n, double interval_s,
                              bool (*over)(const struct ts_row *, double), double limit)
{
    double best = 0, cur = 0;
    for (uint32_t i = 0; i < n; i++) {
        cur = over(&rows[i], limit) ? cur + interval_s : 0;
        if (cur > best)
            best = cur;
    }
    return best;
}

static bool lag_over(const struct ts_row *r, double limit)
{
    return r->lag_p99_ms > limit;
}

static bool cpu_over(const struct ts_row *r, double limit)
{
    return r->cpu_max >= limit;
}

/* The mean of cpu_wait_ms per second over the rows whose lag is over the
 * limit and whose wait is known; -1 when there is none. */
static double cpu_wait_when_over(const struct ts_row *rows, uint32_t n, double interval_s,
                                 double limit)
{
    double sum = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (lag_over(&rows[i], limit) && rows[i].cpu_wait_ms >= 0) {
            sum += rows[i].cpu_wait_ms / interval_s;
            k++;
        }
    return k ? sum / k : -1;
}

/* Appends to a lag reason what the late ranks were doing, when known. */
static void add_cpu_wait(struct fidelity *f, double limit_ms)
{
    if (f->lag_cpu_wait_ms_per_s < 0)
        return;
    size_t len = strlen(f->reason);
    snprintf(f->reason + len, sizeof f->reason - len,
             "; in the intervals over the limit a rank waited %.0f ms a second for a core: %s",
             f->lag_cpu_wait_ms_per_s,
             f->lag_cpu_wait_ms_per_s >= limit_ms
                 ? "more ranks than the cores could run on time (docs/performance.md)"
                 : "the late ranks were mostly busy with their own work");
}

void fidelity_assess(const struct run_record *r, double whole_run_lag_p99_ms, struct fidelity *f)
{
    const struct scenario *s = r->scn;
    double iv = s->metrics.interval_ns / 1e9;
    memset(f, 0, sizeof *f);
    f->lag_p99_ms = whole_run_lag_p99_ms;
    for (uint32_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].lag_p99_ms > f->lag_interval_max_ms)
            f->lag_interval_max_ms = r->rows[i].lag_p99_ms;
    f->overloaded_s = longest_stretch(r->rows, r->n_rows, iv, lag_over, s->control.max_lag_p99_ms);
    f->lag_cpu_wait_ms_per_s =
        cpu_wait_when_over(r->rows, r->n_rows, iv, s->control.max_lag_p99_ms);
    f->cpu_saturated_s = longest_stretch(r->rows, r->n_rows, iv, cpu_over, FIDELITY_CPU_SATURATED);

    double *skew = malloc(sizeof *skew * (r->n_fired ? r->n_fired : 1));
    for (uint32_t i = 0; i < r->n_fired; i++)
        skew[i] = fabs((double)(r->fired[i].actual_ns - r->fired[i].scheduled_ns) / 1e6);
    qsort(skew, r->n_fired, sizeof *skew, cmp_double);
    f->skew_p50_ms = quantile_sorted(skew, r->n_fired, 0.5);
    f->skew_p99_ms = quantile_sorted(skew, r->n_fired, 0.99);
    f->skew_max_ms = r->n_fired ? skew[r->n_fired - 1] : 0;
    free(skew);

    /* A sustained stretch must also span two intervals: one late sample is
     * not a trend. */
    double lag_sustain = FIDELITY_SUSTAIN_LAG_S > 2 * iv ? FIDELITY_SUSTAIN_LAG_S : 2 * iv;
    /* Only events due before the run ended (stop_when may end it early). */
    uint32_t scheduled = 0;
    double end_s = r->n_rows ? r->rows[r->n_rows - 1].t_s : 0;
    for (uint32_t i = 0; i < s->n_events; i++)
        scheduled += !r->sched_at || (r->sched_at[i] >= 0 && r->sched_at[i] / 1e9 <= end_s);
    uint32_t expected = scheduled * (uint32_t)r->n_host_ranks;
    if (r->incomplete_why)
        snprintf(f->reason, sizeof f->reason, "incomplete run: %s", r->incomplete_why);
    else if (f->lag_p99_ms > s->control.max_lag_p99_ms) {
        snprintf(f->reason, sizeof f->reason,
                 "timer lag p99 %.1f ms > %.1f ms over the run: the emulator was short of CPU",
                 f->lag_p99_ms, s->control.max_lag_p99_ms);
        add_cpu_wait(f, s->control.max_lag_p99_ms);
    } else if (f->overloaded_s >= lag_sustain) {
        snprintf(f->reason, sizeof f->reason,
                 "timer lag p99 above %.1f ms for %.1f s in a row (worst %.1f ms): the emulator "
                 "was short of CPU during the storm",
                 s->control.max_lag_p99_ms, f->overloaded_s, f->lag_interval_max_ms);
        add_cpu_wait(f, s->control.max_lag_p99_ms);
    } else if (f->cpu_saturated_s >= FIDELITY_SUSTAIN_CPU_S)
        snprintf(f->reason, sizeof f->reason, "a rank used >= %.0f%% of a core for %.1f s in a row",
                 FIDELITY_CPU_SATURATED * 100, f->cpu_saturated_s);
    else if (f->skew_p99_ms > s->control.max_skew_p99_ms)
        snprintf(f->reason, sizeof f->reason, "event skew p99 %.2f ms > %.2f ms", f->skew_p99_ms,
                 s->control.max_skew_p99_ms);
    else if (r->n_fired < expected)
        snprintf(f->reason, sizeof f->reason, "only %u of %u event firings were reported",
                 r->n_fired, expected);
    f->valid = f->reason[0] == '\0';
}

/* ---- verdicts ---- */

static bool is_trigger(enum scn_event_kind k)
{
    return k == EV_REBOOT || k == EV_CRASH || k == EV_OUTAGE || k == EV_CAPACITY || k == EV_STALL;
}

/* Capacity of a server class at the end of the run, in requests/s: the
 * last point of the timeline run.json records (cap_timeline.h), times the
 * servers up in the last row. */
static double final_capacity(const struct run_record *r, enum role role, int64_t up)
{
    return cap_timeline_final_rate(r->scn, r->sched_at, role) * (double)up;
}

/* Metastable: in both halves of the judged window (so it *stays*), the
 * offered load is at or above capacity while goodput is low. Halves rather
 * than single rows because retries that time out together arrive in waves.
 * With the capacity unknown (architecture: target, capacity_known false) the
 * test is on the attempts alone: in both halves most of them fail (goodput
 * below VERDICT_LOW_GOODPUT of the offered load). */
static void judge_load(const struct ts_row *rows, uint32_t from, uint32_t n, double iv,
                       int c_offered, int c_good, bool capacity_known, double capacity,
                       struct server_load *l)
{
    uint32_t k = n - from, mid = from + k / 2;
    double off[2] = {0, 0}, good[2] = {0, 0};
    for (uint32_t i = from; i < n; i++) {
        off[i >= mid] += rows[i].d[c_offered] / iv;
        good[i >= mid] += rows[i].d[c_good] / iv;
    }
    uint32_t len[2] = {mid - from, n - mid};
    bool over = true;
    for (int h = 0; h < 2; h++) {
        double o = len[h] ? off[h] / len[h] : 0, g = len[h] ? good[h] / len[h] : 0;
        bool loaded = capacity_known ? o >= capacity : o > 0;
        double limit = capacity_known ? capacity : o; /* unknown: the offered load */
        over = over && len[h] > 0 && loaded && g < VERDICT_LOW_GOODPUT * limit;
    }
    l->known = k > 0 && off[0] + off[1] > 0;
    l->offered_rps = k ? (off[0] + off[1]) / k : 0;
    l->goodput_rps = k ? (good[0] + good[1]) / k : 0;
    l->capacity_unknown = !capacity_known;
    l->capacity_rps = capacity_known ? capacity : 0;
    l->metastable = l->known && over;
}

/* Attempts per success, overall and over the worst 5-interval window. */
static void amplification(const struct ts_row *rows, uint32_t n, int c_try, int c_ok,
                          double *overall, double *peak)
{
    uint64_t t = 0, ok = 0;
    *peak = 0;
    for (uint32_t i = 0; i < n; i++) {
        t += rows[i].d[c_try];
        ok += rows[i].d[c_ok];
        uint64_t wt = 0, wok = 0;
        for (uint32_t j = i >= 4 ? i - 4 : 0; j <= i; j++) {
            wt += rows[j].d[c_try];
            wok += rows[j].d[c_ok];
        }
        double a = wt ? (double)wt / (double)(wok ? wok : 1) : 0;
        if (a > *peak)
            *peak = a;
    }
    *overall = ok ? (double)t / (double)ok : (t ? (double)t : 0);
}

static bool fired(const struct run_record *r, uint32_t event)
{
    for (uint32_t k = 0; k < r->n_fired; k++)
        if (r->fired[k].event == event)
            return true;
    return false;
}

void verdicts_assess(const struct run_record *r, struct verdict *v)
{
    const struct scenario *s = r->scn;
    double iv = s->metrics.interval_ns / 1e9;
    memset(v, 0, sizeof *v);
    v->recovery_s = -1;
    amplification(r->rows, r->n_rows, C_LOGIN_ATTEMPTS, C_LOGIN_OK, &v->amp_overall, &v->amp_peak);
    amplification(r->rows, r->n_rows, C_REQ_SENT, C_REQ_OK, &v->req_amp_overall, &v->req_amp_peak);

    for (uint32_t i = 0; i < s->n_events; i++) {
        const struct scn_event *e = &s->events[i];
        if (!is_trigger(e->kind) || !r->sched_at || r->sched_at[i] < 0)
            continue;
        if (r->incomplete_why && !fired(r, i))
            continue; /* the run ended before it: nothing to recover from */
        double start = r->sched_at[i] / 1e9;
        double end = start + (e->kind == EV_OUTAGE || e->kind == EV_STALL ? e->for_ns / 1e9
                              : e->kind == EV_CAPACITY                    ? 0
                                                                          : e->over_ns / 1e9);
        if (!v->has_trigger || start < v->trigger_start_s)
            v->trigger_start_s = start;
        if (!v->has_trigger || end > v->trigger_end_s)
            v->trigger_end_s = end;
        v->has_trigger = true;
    }
    if (!v->has_trigger || r->n_rows == 0)
        return;

    /* strictly before: a row sampled at the trigger's instant may already
     * show its first effects on some rank */
    for (uint32_t i = 0; i < r->n_rows && r->rows[i].t_s < v->trigger_start_s - 1e-9; i++)
        v->level_before = (double)r->rows[i].g[G_ONLINE];
    v->has_level = v->level_before > 0; /* nothing online before: nothing to recover */
    if (v->has_level) {
        /* Recovered: back at the level and still there at the end. The
         * recovery time runs to the start of that final stretch, so a cascade
         * that unfolds after the trigger is not mistaken for a recovery. */
        double threshold = VERDICT_RECOVERED_LEVEL * v->level_before, stretch = -1;
        for (uint32_t i = 0; i < r->n_rows; i++) {
            if (r->rows[i].t_s + 1e-9 < v->trigger_end_s)
                continue;
            if ((double)r->rows[i].g[G_ONLINE] < threshold)
                stretch = -1;
            else if (stretch < 0)
                stretch = r->rows[i].t_s;
        }
        if (stretch >= 0) {
            v->recovered = true;
            v->recovery_s = stretch - v->trigger_end_s;
        }
    }
    double settle = VERDICT_SETTLE_S > 3 * iv ? VERDICT_SETTLE_S : 3 * iv;
    uint32_t from = 0;
    while (from < r->n_rows && r->rows[from].t_s < v->trigger_end_s + settle)
        from++;
    if (r->n_rows - from < 3)
        return; /* too little left after the trigger to judge */
    v->metastable_known = true;
    const struct ts_row *last = &r->rows[r->n_rows - 1];
    if (s->architecture == ARCH_TARGET)
        judge_load(r->rows, from, r->n_rows, iv, C_LOGIN_ATTEMPTS, C_LOGIN_OK, false, 0,
                   &v->target);
    else
        judge_load(r->rows, from, r->n_rows, iv, C_LOGIN_ATTEMPTS, C_LOGIN_OK, true,
                   final_capacity(r, ROLE_LOGIN_SERVER, last->g[G_LS_UP]), &v->ls);
    if (s->nodes.services > 0)
        judge_load(r->rows, from, r->n_rows, iv, C_REQ_SENT, C_REQ_OK, true,
                   final_capacity(r, ROLE_SERVICE, last->g[G_SVC_UP]), &v->svc);
    /* dht: the bootstrap queries sent against the answers that came back
     * in time. */
    if (s->architecture == ARCH_DHT)
        judge_load(r->rows, from, r->n_rows, iv, C_BOOT_REQUESTS, C_DHT_BOOT_OK, true,
                   final_capacity(r, ROLE_DHT_BOOTSTRAP, last->g[G_BOOT_UP]), &v->boot);
    /* settop: the boxes' registration attempts against those that got
     * REGISTER_OK, the head-end's registration server being the tier a
     * power cut sends every box to at once. */
    if (s->architecture == ARCH_SETTOP)
        judge_load(r->rows, from, r->n_rows, iv, C_REG_ATTEMPTS, C_REG_OK, true,
                   final_capacity(r, ROLE_HEADEND, last->g[G_HE_UP]), &v->he);
    v->metastable = v->ls.metastable || v->svc.metastable || v->boot.metastable ||
                    v->he.metastable || v->target.metastable;
}

/* Time from the storm's start until a fraction q of all peers were online,
 * or JSON null if that never happened. */
static json_t *t_quantile(const int64_t *sorted, uint32_t n_online, uint32_t peers, double q,
                          int64_t storm_ns)
{
    uint32_t need = (uint32_t)ceil(q * peers);
    if (need == 0)
        need = 1;
    if (need > n_online)
        return json_null();
    return json_real((double)(sorted[need - 1] - storm_ns) / 1e9);
}

/* The first boot event: the storm's start, from which t50..t99 count. */
static int64_t storm_start(const struct scenario *s)
{
    int64_t t = 0;
    bool have = false;
    for (uint32_t i = 0; i < s->n_events; i++)
        if (s->events[i].kind == EV_BOOT && (!have || s->events[i].at_ns < t)) {
            t = s->events[i].at_ns;
            have = true;
        }
    return t;
}

/* First-online times of the peers that ever came online, sorted. */
static uint32_t sorted_online(const struct run_final *f, int64_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n_peers; i++)
        if (f->first_online_ns[i] >= 0)
            out[n++] = f->first_online_ns[i];
    qsort(out, n, sizeof *out, cmp_i64);
    return n;
}

/* ---- the emulator's share of each timing figure ---- */

static const struct {
    const char *key, *name;
    double q;
} figt[FIGT_COUNT] = {
    [FIGT_T50] = {"t50_s", "t50", 0.50},
    [FIGT_T95] = {"t95_s", "t95", 0.95},
    [FIGT_T99] = {"t99_s", "t99", 0.99},
    [FIGT_RECOVERY] = {"recovery_s", "recovery", 0},
    [FIGT_LOGIN_P50] = {"login_p50_ms", "login p50", 0.50},
    [FIGT_LOGIN_P95] = {"login_p95_ms", "login p95", 0.95},
    [FIGT_LOGIN_P99] = {"login_p99_ms", "login p99", 0.99},
    [FIGT_REGISTER_P50] = {"register_p50_ms", "register p50", 0.50},
    [FIGT_REGISTER_P95] = {"register_p95_ms", "register p95", 0.95},
    [FIGT_REGISTER_P99] = {"register_p99_ms", "register p99", 0.99},
};

/* The peers ranked just below P decide tP: the share is taken over a band
 * of this width (attr_percentile_share). */
#define FIGURES_BAND 0.02

const char *figures_key(enum fig_timing id)
{
    return (unsigned)id < FIGT_COUNT ? figt[id].key : "?";
}

const char *figures_name(enum fig_timing id)
{
    return (unsigned)id < FIGT_COUNT ? figt[id].name : "?";
}

bool figures_headline(enum fig_timing id)
{
    return id <= FIGT_RECOVERY;
}

/* tP: over the peers that decide it, the emulator's delay within their
 * time to online, from power-on bookkeeping on their own rank. */
static void time_to_online_shares(const struct run_record *r, const struct run_final *f,
                                  struct timing_figures *out)
{
    size_t n = f->n_peers;
    int64_t *t = malloc(sizeof *t * (n ? n : 1)), *emu = malloc(sizeof *emu * (n ? n : 1));
    if (!t || !emu) {
        free(t);
        free(emu);
        return;
    }
    int64_t storm = storm_start(r->scn);
    for (size_t i = 0; i < n; i++) {
        int64_t fo = f->first_online_ns[i];
        t[i] = fo < 0 ? -1 : fo > storm ? fo - storm : 0;
        emu[i] = f->first_emu_ns ? f->first_emu_ns[i] : 0;
    }
    for (int id = FIGT_T50; id <= FIGT_T99; id++) {
        struct timing_figure *tf = &out->f[id];
        /* -1 exactly when t_quantile gives null: fewer than ceil(q x peers) */
        tf->share = attr_percentile_share(t, emu, n, figt[id].q, FIGURES_BAND);
    }
    free(t);
    free(emu);
}

/* recovery_s: the worst peer-hosting rank's stall over the recovery, as a
 * share of it. */
static double recovery_share(const struct run_record *r, const struct verdict *v)
{
    if (!v->recovered || v->recovery_s <= 0)
        return -1;
    int64_t a = (int64_t)llround(v->trigger_end_s * 1e9);
    int64_t b = a + (int64_t)llround(v->recovery_s * 1e9);
    int64_t worst = 0;
    for (int k = 0; k < r->n_stall; k++) {
        const struct stall_series *ss = &r->stall[k];
        int64_t d = attr_stall_between(ss->t_ns, ss->stall_ns, ss->n, a, b);
        if (d > worst)
            worst = d;
    }
    double share = (double)worst / (double)(b - a);
    return share > 1 ? 1 : share;
}

/* A latency percentile and the same percentile of its emulator-delay
 * histogram: two tails compared, not one joint distribution. */
static void latency_figure(const struct hist *lat, const struct hist *emu, double q,
                           struct timing_figure *tf)
{
    if (lat->count == 0)
        return;
    uint64_t l = hist_quantile(lat, q), e = hist_quantile(emu, q);
    tf->has_value = true;
    tf->value = (double)l / 1e3;
    tf->share = l ? (double)e / (double)l : 0;
    if (tf->share > 1)
        tf->share = 1;
}

void figures_assess(const struct run_record *r, const struct run_final *f, const struct verdict *v,
                    struct timing_figures *out)
{
    memset(out, 0, sizeof *out);
    out->max_share = r->scn->control.max_emulator_share;
    for (int id = 0; id < FIGT_COUNT; id++)
        out->f[id].share = -1;

    int64_t *on = malloc(sizeof *on * (f->n_peers ? f->n_peers : 1));
    if (on) {
        uint32_t n_on = sorted_online(f, on), peers = r->scn->nodes.peers;
        int64_t storm = storm_start(r->scn);
        for (int id = FIGT_T50; id <= FIGT_T99; id++) {
            uint32_t need = (uint32_t)ceil(figt[id].q * peers);
            need = need ? need : 1;
            if (need <= n_on) {
                out->f[id].has_value = true;
                out->f[id].value = (double)(on[need - 1] - storm) / 1e9;
            }
        }
        free(on);
        time_to_online_shares(r, f, out);
    }
    if (v->recovered) {
        out->f[FIGT_RECOVERY].has_value = true;
        out->f[FIGT_RECOVERY].value = v->recovery_s;
        out->f[FIGT_RECOVERY].share = recovery_share(r, v);
    }
    for (int k = 0; k < 3; k++) {
        latency_figure(&f->login_us, &f->login_emu_us, figt[FIGT_LOGIN_P50 + k].q,
                       &out->f[FIGT_LOGIN_P50 + k]);
        latency_figure(&f->register_us, &f->register_emu_us, figt[FIGT_REGISTER_P50 + k].q,
                       &out->f[FIGT_REGISTER_P50 + k]);
    }
    for (int id = 0; id < FIGT_COUNT; id++) {
        struct timing_figure *tf = &out->f[id];
        if (!tf->has_value)
            tf->share = -1; /* no figure, no share */
        tf->verdict = attr_judge(tf->share, out->max_share);
    }
}

void fidelity_judge_figures(struct fidelity *fid, const struct timing_figures *tf)
{
    if (!fid->valid)
        return; /* the first reason stands */
    for (int id = 0; id < FIGT_COUNT; id++) {
        const struct timing_figure *x = &tf->f[id];
        if (!figures_headline(id) || x->verdict != ATTR_EMULATOR_BOUND)
            continue;
        snprintf(fid->reason, sizeof fid->reason,
                 "%s is emulator-bound: %.0f%% of it was the emulator's own delay (limit %.0f%%)",
                 figt[id].name, 100 * x->share, 100 * tf->max_share);
        fid->valid = false;
        return;
    }
}

static json_t *num_or_null(bool have, double v)
{
    return have ? json_real(v) : json_null();
}

static json_t *load_json(const struct server_load *l)
{
    if (!l->known)
        return json_null();
    json_t *o = json_object();
    json_object_set_new(o, "offered_rps", json_real(l->offered_rps));
    json_object_set_new(o, "goodput_rps", json_real(l->goodput_rps));
    json_object_set_new(o, "capacity_rps",
                        l->capacity_unknown ? json_null() : json_real(l->capacity_rps));
    json_object_set_new(o, "metastable", json_boolean(l->metastable));
    return o;
}

static void verdict_json(json_t *sum, const struct verdict *v, enum scn_arch arch)
{
    json_object_set_new(sum, "recovered",
                        v->has_trigger && v->has_level ? json_boolean(v->recovered) : json_null());
    json_object_set_new(sum, "recovery_s", num_or_null(v->recovered, v->recovery_s));
    json_t *t = json_object();
    json_object_set_new(t, "start_s", num_or_null(v->has_trigger, v->trigger_start_s));
    json_object_set_new(t, "end_s", num_or_null(v->has_trigger, v->trigger_end_s));
    json_object_set_new(t, "online_before", num_or_null(v->has_level, v->level_before));
    json_object_set_new(t, "recovered_level", json_real(VERDICT_RECOVERED_LEVEL));
    json_object_set_new(sum, "trigger", t);
    json_object_set_new(sum, "metastable",
                        v->metastable_known ? json_boolean(v->metastable) : json_null());
    json_t *m = json_object();
    json_object_set_new(m, "login_server", load_json(&v->ls));
    json_object_set_new(m, "service", load_json(&v->svc));
    if (arch == ARCH_DHT)
        json_object_set_new(m, "dht_bootstrap", load_json(&v->boot));
    if (arch == ARCH_SETTOP)
        json_object_set_new(m, "headend", load_json(&v->he));
    if (arch == ARCH_TARGET)
        json_object_set_new(m, "target", load_json(&v->target));
    json_object_set_new(sum, "metastable_detail", m);
    json_t *a = json_object();
    json_object_set_new(a, "overall", json_real(v->amp_overall));
    json_object_set_new(a, "peak", json_real(v->amp_peak));
    json_object_set_new(a, "requests_overall", json_real(v->req_amp_overall));
    json_object_set_new(a, "requests_peak", json_real(v->req_amp_peak));
    json_object_set_new(sum, "amplification", a);
}

static json_t *figures_json(const struct timing_figures *tf)
{
    json_t *o = json_object();
    for (int id = 0; id < FIGT_COUNT; id++) {
        const struct timing_figure *x = &tf->f[id];
        json_t *e = json_object();
        json_object_set_new(e, "value", num_or_null(x->has_value, x->value));
        json_object_set_new(e, "emulator_share", num_or_null(x->share >= 0, x->share));
        json_object_set_new(e, "verdict", json_string(attr_verdict_name(x->verdict)));
        json_object_set_new(o, figt[id].key, e);
    }
    return o;
}

/* ---- settop ---- */

/* The rank-th smallest sample (from 1) of h: its bucket's upper bound,
 * clamped to the max, as hist_quantile gives. */
static uint64_t hist_at_rank(const struct hist *h, uint64_t rank)
{
    uint64_t seen = 0;
    for (unsigned b = 0; b < HIST_BUCKETS; b++) {
        seen += h->buckets[b];
        if (seen >= rank) {
            uint64_t upper = hist_bucket_upper(b);
            return upper < h->max ? upper : h->max;
        }
    }
    return h->max;
}

/* Time until a fraction q of all `boxes` had their image, in s, read like
 * t50_s..t99_s (the ceil(q x boxes)-th smallest sample), but each from the
 * box's first fetch after its boot delay, and out of the whole-run
 * histogram (a bucket's upper bound); null when fewer images were
 * completed. */
static json_t *image_quantile(const struct hist *h, uint32_t boxes, double q)
{
    uint64_t need = (uint64_t)ceil(q * boxes);
    need = need ? need : 1;
    if (need > h->count)
        return json_null();
    return json_real((double)hist_at_rank(h, need) / 1e6);
}

static double mbit_per_s(double bytes, double seconds)
{
    return seconds > 0 ? bytes * 8 / seconds / 1e6 : 0;
}

/* cycles_per_box: img_cycles_pct holds hundredths of a cycle. */
static json_t *cycles_json(const struct hist *h)
{
    json_t *o = json_object();
    bool any = h->count > 0;
    json_object_set_new(o, "mean", num_or_null(any, hist_mean(h) / 100));
    json_object_set_new(o, "p50", num_or_null(any, (double)hist_quantile(h, 0.50) / 100));
    json_object_set_new(o, "p95", num_or_null(any, (double)hist_quantile(h, 0.95) / 100));
    json_object_set_new(o, "max", num_or_null(any, (double)h->max / 100));
    return o;
}

/* The fountain's decodes and their overhead: real decodes only, so a run
 * whose boxes all counted symbols has decodes 0 and null overheads. */
static json_t *fountain_json(const struct hist *h, const uint64_t *tot)
{
    json_t *o = json_object();
    bool any = h->count > 0;
    json_object_set_new(o, "decodes", json_integer((json_int_t)tot[C_FEC_DECODES]));
    json_object_set_new(o, "decode_failed", json_integer((json_int_t)tot[C_FEC_DECODE_FAILED]));
    json_object_set_new(o, "overhead_mean", num_or_null(any, hist_mean(h)));
    json_object_set_new(o, "overhead_p95",
                        any ? json_integer((json_int_t)hist_quantile(h, 0.95)) : json_null());
    json_object_set_new(o, "overhead_max", any ? json_integer((json_int_t)h->max) : json_null());
    return o;
}

static const char *settop_method_name(enum scn_settop_method m)
{
    return m == SETTOP_UNICAST ? "unicast" : m == SETTOP_CAROUSEL ? "carousel" : "fountain";
}

/* architecture: target: the server, and what bootstorm saw of it. Its
 * capacity is not known: bootstorm does not see an external server's
 * limits, only its answers. */
static json_t *target_json(const struct scenario *s, const uint64_t *tot)
{
    const struct scn_target *t = &s->target;
    char addr[16];
    placement_format_ip(t->address, addr, sizeof addr);
    json_t *o = json_object();
    json_object_set_new(o, "protocol", json_string(t->protocol == TARGET_MQTT ? "mqtt" : "https"));
    json_object_set_new(o, "host", json_string(t->host));
    json_object_set_new(o, "address", json_string(addr));
    json_object_set_new(o, "port", json_integer(t->port));
    json_object_set_new(o, "tls", json_boolean(t->tls));
    json_object_set_new(o, "capacity", json_string("unknown"));
    json_object_set_new(o, "requests", json_integer((json_int_t)tot[C_TGT_REQUESTS]));
    json_object_set_new(o, "accepted", json_integer((json_int_t)tot[C_LOGIN_OK]));
    json_object_set_new(o, "refused", json_integer((json_int_t)tot[C_LOGIN_BUSY]));
    json_object_set_new(o, "refused_with_retry_after",
                        json_integer((json_int_t)tot[C_TGT_RETRY_AFTER]));
    json_object_set_new(o, "failed", json_integer((json_int_t)tot[C_LOGIN_FAIL]));
    json_object_set_new(o, "errors", json_integer((json_int_t)tot[C_LOGIN_ERROR]));
    json_object_set_new(o, "timeouts", json_integer((json_int_t)tot[C_LOGIN_TIMEOUT]));
    json_object_set_new(o, "keepalives", json_integer((json_int_t)tot[C_KEEPALIVES]));
    json_object_set_new(o, "presence_failed", json_integer((json_int_t)tot[C_TGT_PRESENCE_FAIL]));
    json_object_set_new(o, "online_lost", json_integer((json_int_t)tot[C_ONLINE_LOST]));
    return o;
}

/* run.json's summary.settop (docs/results.md, "A settop run"). tot: the
 * counters' totals over the rows; on[n_on]: the sorted first-online times. */
static json_t *settop_json(const struct run_record *r, const struct run_final *f,
                           const uint64_t *tot, const int64_t *on, uint32_t n_on, int64_t storm)
{
    const struct scenario *s = r->scn;
    const struct scn_settop *st = &s->settop;
    uint32_t boxes = s->nodes.peers;
    double peak = 0, span = 0;
    int64_t held = 0;
    for (uint32_t i = 0; i < r->n_rows; i++) {
        if (r->rows[i].egress_mbps > peak)
            peak = r->rows[i].egress_mbps;
        if (r->rows[i].g[G_BOX_IMAGE_PEAK] > held)
            held = r->rows[i].g[G_BOX_IMAGE_PEAK];
    }
    if (r->n_rows)
        span = r->rows[r->n_rows - 1].t_s;
    uint64_t carousel = st->carousel_Bps ? st->carousel_Bps : st->channel_Bps;
    uint64_t blocks =
        st->block_bytes ? (st->image_bytes + st->block_bytes - 1) / st->block_bytes : 0;

    json_t *o = json_object();
    json_object_set_new(o, "method", json_string(settop_method_name(st->method)));
    json_object_set_new(o, "boxes", json_integer(boxes));
    json_object_set_new(o, "image_bytes", json_integer((json_int_t)st->image_bytes));
    json_object_set_new(o, "block_bytes", json_integer(st->block_bytes));
    json_object_set_new(o, "blocks", json_integer((json_int_t)blocks));
    json_object_set_new(o, "channel_mbps", json_real((double)st->channel_Bps * 8 / 1e6));
    json_object_set_new(o, "carousel_mbps", json_real((double)carousel * 8 / 1e6));
    json_object_set_new(o, "downstream_loss", json_real(st->downstream_loss));

    json_t *img = json_object();
    json_object_set_new(img, "t50", image_quantile(&f->image_us, boxes, 0.50));
    json_object_set_new(img, "t95", image_quantile(&f->image_us, boxes, 0.95));
    json_object_set_new(img, "t99", image_quantile(&f->image_us, boxes, 0.99));
    json_object_set_new(img, "n", json_integer((json_int_t)f->image_us.count));
    json_object_set_new(o, "image_s", img);
    json_t *onl = json_object();
    json_object_set_new(onl, "t50", t_quantile(on, n_on, boxes, 0.50, storm));
    json_object_set_new(onl, "t95", t_quantile(on, n_on, boxes, 0.95, storm));
    json_object_set_new(onl, "t99", t_quantile(on, n_on, boxes, 0.99, storm));
    json_object_set_new(o, "online_s", onl);

    json_object_set_new(o, "egress_bytes", json_integer((json_int_t)tot[C_HE_EGRESS_BYTES]));
    json_object_set_new(o, "egress_peak_mbps", json_real(peak));
    json_object_set_new(o, "egress_mean_mbps",
                        json_real(mbit_per_s((double)tot[C_HE_EGRESS_BYTES], span)));
    json_object_set_new(o, "datagrams", json_integer((json_int_t)tot[C_HE_DATAGRAMS]));
    json_object_set_new(o, "cycles_sent", json_integer((json_int_t)tot[C_HE_CYCLES]));
    json_object_set_new(o, "retransmits", json_integer((json_int_t)tot[C_HE_RETRANSMITS]));
    if (st->method != SETTOP_UNICAST)
        json_object_set_new(o, "cycles_per_box", cycles_json(&f->img_cycles_pct));
    if (st->method == SETTOP_FOUNTAIN)
        json_object_set_new(o, "fountain", fountain_json(&f->fec_overhead, tot));

    /* Never a verification that did not happen: the counted boxes
     * completed by counting blocks or symbols (settop.verify < 1). */
    uint64_t ok = tot[C_IMG_OK], verified = tot[C_IMG_VERIFIED];
    json_object_set_new(o, "verify_share", json_real(st->verify));
    json_object_set_new(o, "boxes_verified", json_integer((json_int_t)verified));
    json_object_set_new(o, "boxes_counted",
                        json_integer((json_int_t)(ok > verified ? ok - verified : 0)));
    json_object_set_new(o, "box_image_bytes_peak", json_integer(held));

    json_t *reg = json_object();
    json_object_set_new(reg, "served", json_integer((json_int_t)tot[C_HE_REG_SERVED]));
    json_object_set_new(reg, "refused", json_integer((json_int_t)tot[C_HE_REG_REFUSED]));
    json_object_set_new(reg, "wasted", json_integer((json_int_t)tot[C_HE_REG_WASTED]));
    json_object_set_new(reg, "busy_answers", json_integer((json_int_t)tot[C_REG_BUSY]));
    json_object_set_new(o, "registration", reg);
    json_t *blk = json_object();
    json_object_set_new(blk, "delivered", json_integer((json_int_t)tot[C_IMG_DELIVERED]));
    json_object_set_new(blk, "lost", json_integer((json_int_t)tot[C_IMG_LOST]));
    json_object_set_new(blk, "dup", json_integer((json_int_t)tot[C_IMG_DUP]));
    json_object_set_new(blk, "bad", json_integer((json_int_t)tot[C_IMG_BAD]));
    json_object_set_new(blk, "corrupt", json_integer((json_int_t)tot[C_IMG_CORRUPT]));
    json_object_set_new(o, "img", blk);
    return o;
}

json_t *summary_build(const struct run_record *r, const struct run_final *f,
                      const struct fidelity *fid, const struct verdict *v,
                      const struct timing_figures *tf)
{
    const struct scenario *s = r->scn;
    uint32_t peers = s->nodes.peers;
    int64_t *on = malloc(sizeof *on * (f->n_peers ? f->n_peers : 1));
    uint32_t n_on = sorted_online(f, on), max_attempts = 0;
    for (uint32_t i = 0; i < f->n_peers; i++)
        if (f->attempts[i] > max_attempts)
            max_attempts = f->attempts[i];
    int64_t storm = storm_start(s);

    double iv = s->metrics.interval_ns / 1e9, peak = 0, peak_ok = 0;
    uint64_t tot[C_COUNT] = {0};
    for (uint32_t i = 0; i < r->n_rows; i++) {
        for (int k = 0; k < C_COUNT; k++)
            tot[k] += r->rows[i].d[k];
        if (r->rows[i].d[C_LOGIN_ATTEMPTS] / iv > peak)
            peak = r->rows[i].d[C_LOGIN_ATTEMPTS] / iv;
        if (r->rows[i].d[C_LOGIN_OK] / iv > peak_ok)
            peak_ok = r->rows[i].d[C_LOGIN_OK] / iv;
    }

    json_t *fj = json_object();
    json_object_set_new(fj, "valid", json_boolean(fid->valid));
    json_object_set_new(fj, "lag_p99_ms", json_real(fid->lag_p99_ms));
    json_object_set_new(fj, "lag_interval_max_ms", json_real(fid->lag_interval_max_ms));
    json_object_set_new(fj, "overloaded_s", json_real(fid->overloaded_s));
    json_object_set_new(fj, "lag_cpu_wait_ms_per_s",
                        fid->lag_cpu_wait_ms_per_s < 0 ? json_null()
                                                       : json_real(fid->lag_cpu_wait_ms_per_s));
    json_object_set_new(fj, "cpu_saturated_s", json_real(fid->cpu_saturated_s));
    json_object_set_new(fj, "skew_p50_ms", json_real(fid->skew_p50_ms));
    json_object_set_new(fj, "skew_p99_ms", json_real(fid->skew_p99_ms));
    json_object_set_new(fj, "skew_max_ms", json_real(fid->skew_max_ms));
    json_object_set_new(fj, "max_emulator_share", json_real(tf->max_share));
    json_object_set_new(fj, "client_handshake_cpu_us",
                        json_real((double)f->client_hs_cpu_ns / 1e3));
    json_t *bound = json_array();
    for (int id = 0; id < FIGT_COUNT; id++)
        if (tf->f[id].verdict == ATTR_EMULATOR_BOUND)
            json_array_append_new(bound, json_string(figt[id].key));
    json_object_set_new(fj, "emulator_bound", bound);
    json_object_set_new(fj, "reason", fid->valid ? json_null() : json_string(fid->reason));

    json_t *sum = json_object();
    json_object_set_new(sum, "peers", json_integer(peers));
    json_object_set_new(sum, "online_final",
                        json_integer(r->n_rows ? r->rows[r->n_rows - 1].g[G_ONLINE] : 0));
    json_object_set_new(sum, "ever_online", json_integer(n_on));
    json_object_set_new(sum, "t50_s", t_quantile(on, n_on, peers, 0.50, storm));
    json_object_set_new(sum, "t95_s", t_quantile(on, n_on, peers, 0.95, storm));
    json_object_set_new(sum, "t99_s", t_quantile(on, n_on, peers, 0.99, storm));
    for (int k = 0; k < C_COUNT; k++)
        json_object_set_new(sum, metrics_counter_name(k), json_integer((json_int_t)tot[k]));
    json_object_set_new(sum, "login_attempts_per_node_max", json_integer(max_attempts));
    json_object_set_new(sum, "peak_login_rps", json_real(peak));
    json_object_set_new(sum, "peak_login_ok_rps", json_real(peak_ok));
    if (r->scn->architecture == ARCH_DHT) {
        /* The user lookups that were answered (found or not): their hops;
         * and the share that found their record among those that ended. */
        const struct hist *hh = &f->dht_hops;
        uint64_t ended = metrics_lookups_ended(tot);
        json_object_set_new(sum, "lookup_hops_mean",
                            hh->count ? json_real((double)hh->sum / (double)hh->count)
                                      : json_null());
        json_object_set_new(sum, "lookup_hops_p50",
                            hh->count ? json_integer((json_int_t)hist_quantile(hh, 0.5))
                                      : json_null());
        json_object_set_new(sum, "lookup_hops_p99",
                            hh->count ? json_integer((json_int_t)hist_quantile(hh, 0.99))
                                      : json_null());
        json_object_set_new(sum, "lookup_found_share",
                            ended ? json_real((double)tot[C_REQ_OK] / (double)ended) : json_null());
    }
    if (s->architecture == ARCH_SETTOP)
        json_object_set_new(sum, "settop", settop_json(r, f, tot, on, n_on, storm));
    if (s->architecture == ARCH_TARGET)
        json_object_set_new(sum, "target", target_json(s, tot));
    verdict_json(sum, v, s->architecture);
    json_object_set_new(sum, "figures", figures_json(tf));
    json_object_set_new(sum, "fidelity", fj);
    free(on);
    return sum;
}

json_t *summary_build_rows(const struct run_record *r)
{
    static const struct run_final none; /* no peer, no histogram sample */
    double lag = 0;
    for (uint32_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].lag_p99_ms > lag)
            lag = r->rows[i].lag_p99_ms;
    struct fidelity fid;
    struct verdict v;
    struct timing_figures tf;
    fidelity_assess(r, lag, &fid);
    verdicts_assess(r, &v);
    figures_assess(r, &none, &v, &tf);
    fidelity_judge_figures(&fid, &tf);
    json_t *sum = summary_build(r, &none, &fid, &v, &tf);
    /* What only the per-peer results would tell: absent, or null. */
    json_object_del(sum, "ever_online");
    json_object_del(sum, "login_attempts_per_node_max");
    json_object_set_new(json_object_get(sum, "fidelity"), "client_handshake_cpu_us", json_null());
    json_t *st = json_object_get(sum, "settop");
    if (st) { /* the whole-run histograms and first-online times come at the end */
        json_object_del(json_object_get(st, "image_s"), "n"); /* its times are null */
        if (json_object_get(st, "cycles_per_box"))
            json_object_set_new(st, "cycles_per_box", json_null());
        json_t *fo = json_object_get(st, "fountain");
        if (fo) {
            json_object_set_new(fo, "overhead_mean", json_null());
            json_object_set_new(fo, "overhead_p95", json_null());
            json_object_set_new(fo, "overhead_max", json_null());
        }
    }
    json_object_set_new(sum, "rows_only", json_true());
    return sum;
}

static json_t *hist_json_unit(const struct hist *h, const char *unit)
{
    json_t *o = json_object();
    json_object_set_new(o, "unit", json_string(unit));
    json_object_set_new(o, "count", json_integer((json_int_t)h->count));
    json_object_set_new(o, "mean", json_real(hist_mean(h)));
    json_object_set_new(o, "p50", json_integer((json_int_t)hist_quantile(h, 0.50)));
    json_object_set_new(o, "p95", json_integer((json_int_t)hist_quantile(h, 0.95)));
    json_object_set_new(o, "p99", json_integer((json_int_t)hist_quantile(h, 0.99)));
    json_object_set_new(o, "max", json_integer((json_int_t)h->max));
    json_t *b = json_array();
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        if (h->buckets[i])
            json_array_append_new(
                b, json_pack("[I,I]", (json_int_t)hist_bucket_upper(i), (json_int_t)h->buckets[i]));
    json_object_set_new(o, "buckets", b); /* [upper bound, count], non-empty only */
    return o;
}

static json_t *hist_json(const struct hist *h)
{
    return hist_json_unit(h, "us");
}

json_t *summary_histograms(const struct run_record *r, const struct run_final *f)
{
    json_t *hj = json_object();
    json_object_set_new(hj, "format_version", json_integer(RUNDIR_FORMAT_VERSION));
    json_object_set_new(hj, "login", hist_json(&f->login_us));
    json_object_set_new(hj, "register", hist_json(&f->register_us));
    json_object_set_new(hj, "ls_queue", hist_json(&f->ls_queue_us));
    json_object_set_new(hj, "ls_service", hist_json(&f->ls_service_us));
    json_object_set_new(hj, "svc_queue", hist_json(&f->svc_queue_us));
    json_object_set_new(hj, "svc_service", hist_json(&f->svc_service_us));
    json_object_set_new(hj, "timer_lag", hist_json(&f->lag_us));
    json_object_set_new(hj, "login_emulator", hist_json(&f->login_emu_us));
    json_object_set_new(hj, "register_emulator", hist_json(&f->register_emu_us));
    json_object_set_new(hj, "request", hist_json(&f->req_us));
    json_object_set_new(hj, "request_emulator", hist_json(&f->req_emu_us));
    json_object_set_new(hj, "start_lateness", hist_json(&f->start_late_us));
    json_object_set_new(hj, "login_server_emulator", hist_json(&f->ls_emu_us));
    json_object_set_new(hj, "service_emulator", hist_json(&f->svc_emu_us));
    if (r->scn->architecture == ARCH_DHT)
        json_object_set_new(hj, "lookup_hops", hist_json(&f->dht_hops));
    if (r->scn->architecture == ARCH_SETTOP) {
        json_object_set_new(hj, "image", hist_json(&f->image_us));
        json_object_set_new(hj, "image_cycles", hist_json_unit(&f->img_cycles_pct, "cycle/100"));
        json_object_set_new(hj, "fec_overhead", hist_json_unit(&f->fec_overhead, "symbols"));
        json_object_set_new(hj, "headend_reg_queue", hist_json(&f->he_reg_queue_us));
        json_object_set_new(hj, "headend_reg_service", hist_json(&f->he_reg_service_us));
    }
    int64_t *on = malloc(sizeof *on * (f->n_peers ? f->n_peers : 1));
    uint32_t n_on = sorted_online(f, on);
    int64_t storm = storm_start(r->scn);
    struct hist tto;
    hist_reset(&tto);
    for (uint32_t i = 0; i < n_on; i++)
        if (on[i] >= storm)
            hist_add(&tto, (uint64_t)((on[i] - storm) / 1000));
    json_object_set_new(hj, "time_to_online", hist_json(&tto));
    free(on);
    json_t *w = json_array();
    for (uint32_t i = 0; i < r->n_windows; i++) {
        const struct event_window *ew = &r->windows[i];
        json_t *o = json_object();
        json_object_set_new(o, "event", json_integer(ew->event));
        json_object_set_new(o, "kind",
                            json_string(event_kind_name(r->scn->events[ew->event].kind)));
        json_object_set_new(o, "from_s", json_real(ew->from_s));
        json_object_set_new(o, "to_s", json_real(ew->to_s));
        json_object_set_new(o, "login", hist_json(&ew->h.login_us));
        json_object_set_new(o, "login_emulator", hist_json(&ew->h.login_emu_us));
        json_object_set_new(o, "register", hist_json(&ew->h.register_us));
        json_object_set_new(o, "register_emulator", hist_json(&ew->h.register_emu_us));
        json_array_append_new(w, o);
    }
    json_object_set_new(hj, "windows", w);
    return hj;
}
