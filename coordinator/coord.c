/* coord.c - rank 0's run control (see coord.h). */
#include "coord.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "common/clock.h"
#include "ctrl.h"

#define TICK_US 20000
#define STOP_GRACE_NS (5 * NS_PER_S)  /* wait for late snapshots after duration */
#define BYE_TIMEOUT_NS (20 * NS_PER_S)

struct agg {
    int got;
    uint64_t c[C_COUNT];
    int64_t g[G_COUNT];
    double lag_p99_ms, lag_max_ms, cpu_max;
};

struct fired {
    uint32_t event;
    int rank;
    int64_t scheduled_ns, actual_ns;
    uint32_t selected;
};

struct coord {
    struct event_base *base;
    struct ctrl *ctrl;
    const struct scenario *scn;
    struct placement pl;
    struct results *res;
    struct coord_meta meta;
    int world;
    bool tty;

    int64_t start_mono_ns; /* local monotonic of run time 0 */
    uint32_t n_intervals;
    struct agg *agg;       /* [1..n_intervals] */
    uint32_t next_row;
    uint64_t prev_c[C_COUNT];
    double *prev_cpu;      /* per rank */
    struct ts_row *rows;
    uint32_t n_rows;

    struct fired *fired;
    uint32_t n_fired, cap_fired;

    struct event *tick;
    bool stop_sent;
    int64_t stop_sent_ns;
    int byes;
    bool incomplete;
    char incomplete_why[128];
};

static int64_t run_now(const struct coord *c)
{
    return clock_mono_ns() - c->start_mono_ns;
}

static const char *kind_name(enum scn_event_kind k)
{
    return k == EV_BOOT ? "boot" : "reboot";
}

/* ---- progress ---- */

static void progress(struct coord *c, const struct ts_row *r)
{
    if (c->meta.quiet)
        return;
    double iv = c->scn->metrics.interval_ns / 1e9;
    double pct = c->pl.n_peers ? 100.0 * r->g[G_ONLINE] / c->pl.n_peers : 0;
    fprintf(stderr,
            "%s[%6.1fs] online %5.1f%% (%lld/%u)  booting %lld  logging in %lld  "
            "logins/s %.0f (ok %.0f, busy %.0f)  LS queue %lld  SN %lld  lag p99 %.1f ms%s%s",
            c->tty ? "\r" : "", r->t_s, pct, (long long)r->g[G_ONLINE], c->pl.n_peers,
            (long long)r->g[G_BOOTING], (long long)r->g[G_LOGGING_IN],
            r->d[C_LOGIN_ATTEMPTS] / iv, r->d[C_LOGIN_OK] / iv, r->d[C_LOGIN_BUSY] / iv,
            (long long)r->g[G_LS_QUEUE], (long long)r->g[G_SN_COUNT], r->lag_p99_ms,
            r->lag_p99_ms > c->scn->control.max_lag_p99_ms ? "  [EMULATOR OVERLOADED]" : "",
            c->tty ? "\033[K" : "\n");
    fflush(stderr);
}

/* ---- snapshots -> rows ---- */

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
        results_append_row(c->res, r);
        progress(c, r);
        c->next_row++;
    }
}

static void on_snapshot(void *arg, int src, const void *buf, int len)
{
    struct coord *c = arg;
    struct metrics_snapshot s;
    if (len != (int)sizeof s)
        return;
    memcpy(&s, buf, sizeof s);
    if (s.interval < 1 || s.interval > c->n_intervals)
        return; /* a host's clock ran past the end: nothing to aggregate */
    struct agg *a = &c->agg[s.interval];
    a->got++;
    for (int i = 0; i < C_COUNT; i++)
        a->c[i] += s.c[i];
    for (int i = 0; i < G_COUNT; i++)
        a->g[i] += s.g[i];
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
    if (f.event >= c->scn->n_events)
        return;
    if (c->n_fired == c->cap_fired) {
        uint32_t cap = c->cap_fired ? 2 * c->cap_fired : 64;
        struct fired *n = realloc(c->fired, cap * sizeof *n);
        if (!n)
            return;
        c->fired = n;
        c->cap_fired = cap;
    }
    c->fired[c->n_fired++] =
        (struct fired){f.event, f.rank, f.scheduled_ns, f.actual_ns, f.selected};
    results_append_event(c->res, f.event, kind_name(c->scn->events[f.event].kind), f.rank,
                         f.scheduled_ns, f.actual_ns, f.selected);
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
                        int world, struct results *res, const struct coord_meta *meta)
{
    struct coord *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->ctrl = ctrl;
    c->scn = scn;
    c->world = world;
    c->res = res;
    c->meta = *meta;
    c->tty = !meta->quiet && isatty(STDERR_FILENO);
    placement_init(&c->pl, scn, world);
    c->n_intervals =
        (uint32_t)((scn->duration_ns + scn->metrics.interval_ns - 1) / scn->metrics.interval_ns);
    c->agg = calloc(c->n_intervals + 1, sizeof *c->agg);
    c->rows = calloc(c->n_intervals + 1, sizeof *c->rows);
    c->prev_cpu = calloc((size_t)world, sizeof *c->prev_cpu);
    c->tick = event_new(base, -1, EV_PERSIST, tick, c);
    c->next_row = 1;
    if (!c->agg || !c->rows || !c->prev_cpu || !c->tick) {
        coord_free(c);
        return NULL;
    }
    ctrl_on(ctrl, TAG_SNAPSHOT, on_snapshot, c);
    ctrl_on(ctrl, TAG_FIRED, on_fired, c);
    ctrl_on(ctrl, TAG_BYE, on_bye, c);
    return c;
}

void coord_start(struct coord *c, int64_t start_mono_ns)
{
    c->start_mono_ns = start_mono_ns;
    /* Timed events are all known now, and run time is still negative (the
     * start lies `lead` ahead), so each goes out at least `lead` before it
     * fires. Conditional events will take the same path when they trigger. */
    for (uint32_t i = 0; i < c->scn->n_events; i++) {
        struct ctrl_schedule s = {i, c->scn->events[i].at_ns};
        for (int r = c->pl.first_host_rank; r < c->pl.first_host_rank + c->pl.n_host_ranks; r++)
            ctrl_send(c->ctrl, r, TAG_SCHEDULE, &s, (int)sizeof s);
    }
    struct timeval tv = {0, TICK_US};
    event_add(c->tick, &tv);
}

void coord_free(struct coord *c)
{
    if (!c)
        return;
    if (c->tick)
        event_free(c->tick);
    free(c->agg);
    free(c->rows);
    free(c->prev_cpu);
    free(c->fired);
    free(c);
}

/* ---- summary ---- */

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
    return json_real((sorted[need - 1] - storm_ns) / 1e9);
}

static double quantile_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    size_t k = (size_t)ceil(q * n);
    return v[k ? k - 1 : 0];
}

static json_t *hist_json(const struct hist *h)
{
    json_t *o = json_object();
    json_object_set_new(o, "unit", json_string("us"));
    json_object_set_new(o, "count", json_integer((json_int_t)h->count));
    json_object_set_new(o, "mean", json_real(hist_mean(h)));
    json_object_set_new(o, "p50", json_integer((json_int_t)hist_quantile(h, 0.50)));
    json_object_set_new(o, "p95", json_integer((json_int_t)hist_quantile(h, 0.95)));
    json_object_set_new(o, "p99", json_integer((json_int_t)hist_quantile(h, 0.99)));
    json_object_set_new(o, "max", json_integer((json_int_t)h->max));
    json_t *b = json_array();
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        if (h->buckets[i])
            json_array_append_new(b, json_pack("[I,I]", (json_int_t)hist_bucket_upper(i),
                                               (json_int_t)h->buckets[i]));
    json_object_set_new(o, "buckets", b); /* [upper bound, count], non-empty only */
    return o;
}

static void fmt_t(char *buf, size_t len, json_t *v)
{
    if (json_is_null(v))
        snprintf(buf, len, "never");
    else
        snprintf(buf, len, "%.2f s", json_real_value(v));
}

int coord_finish(struct coord *c, const struct run_final *f)
{
    const struct scenario *s = c->scn;
    uint32_t peers = c->pl.n_peers;

    /* online times, sorted */
    int64_t *on = malloc(sizeof *on * (f->n_peers ? f->n_peers : 1));
    uint32_t n_on = 0, max_attempts = 0;
    for (uint32_t i = 0; i < f->n_peers; i++) {
        if (f->first_online_ns[i] >= 0)
            on[n_on++] = f->first_online_ns[i];
        if (f->attempts[i] > max_attempts)
            max_attempts = f->attempts[i];
    }
    qsort(on, n_on, sizeof *on, cmp_i64);
    int64_t storm = 0;
    bool have_storm = false;
    for (uint32_t i = 0; i < s->n_events; i++)
        if (s->events[i].kind == EV_BOOT && (!have_storm || s->events[i].at_ns < storm)) {
            storm = s->events[i].at_ns;
            have_storm = true;
        }

    /* totals and peaks from the rows */
    double iv = s->metrics.interval_ns / 1e9, peak = 0, peak_ok = 0;
    uint64_t tot[C_COUNT] = {0};
    for (uint32_t i = 0; i < c->n_rows; i++) {
        for (int k = 0; k < C_COUNT; k++)
            tot[k] += c->rows[i].d[k];
        if (c->rows[i].d[C_LOGIN_ATTEMPTS] / iv > peak)
            peak = c->rows[i].d[C_LOGIN_ATTEMPTS] / iv;
        if (c->rows[i].d[C_LOGIN_OK] / iv > peak_ok)
            peak_ok = c->rows[i].d[C_LOGIN_OK] / iv;
    }
    int64_t online_final = c->n_rows ? c->rows[c->n_rows - 1].g[G_ONLINE] : 0;

    /* fidelity: worst rank's timer lag, and |skew| over every (event, rank) */
    double lag_p99 = 0;
    for (int r = 0; r < c->world; r++)
        if (f->ranks[r].lag_p99_us / 1e3 > lag_p99)
            lag_p99 = f->ranks[r].lag_p99_us / 1e3;
    double *skew = malloc(sizeof *skew * (c->n_fired ? c->n_fired : 1));
    for (uint32_t i = 0; i < c->n_fired; i++)
        skew[i] = fabs((c->fired[i].actual_ns - c->fired[i].scheduled_ns) / 1e6);
    qsort(skew, c->n_fired, sizeof *skew, cmp_double);
    double skew_p50 = quantile_sorted(skew, c->n_fired, 0.5);
    double skew_p99 = quantile_sorted(skew, c->n_fired, 0.99);
    double skew_max = c->n_fired ? skew[c->n_fired - 1] : 0;
    uint32_t expected_fired = s->n_events * (uint32_t)c->pl.n_host_ranks;
    char reason[256] = "";
    if (lag_p99 > s->control.max_lag_p99_ms)
        snprintf(reason, sizeof reason, "timer lag p99 %.1f ms > %.1f ms: the emulator was short of CPU",
                 lag_p99, s->control.max_lag_p99_ms);
    else if (skew_p99 > s->control.max_skew_p99_ms)
        snprintf(reason, sizeof reason, "event skew p99 %.2f ms > %.2f ms", skew_p99,
                 s->control.max_skew_p99_ms);
    else if (c->n_fired < expected_fired)
        snprintf(reason, sizeof reason, "only %u of %u event firings were reported", c->n_fired,
                 expected_fired);
    else if (c->incomplete)
        snprintf(reason, sizeof reason, "%s", c->incomplete_why);
    bool valid = reason[0] == '\0';

    json_t *fid = json_object();
    json_object_set_new(fid, "valid", json_boolean(valid));
    json_object_set_new(fid, "lag_p99_ms", json_real(lag_p99));
    json_object_set_new(fid, "skew_p50_ms", json_real(skew_p50));
    json_object_set_new(fid, "skew_p99_ms", json_real(skew_p99));
    json_object_set_new(fid, "skew_max_ms", json_real(skew_max));
    json_object_set_new(fid, "reason", valid ? json_null() : json_string(reason));

    json_t *t50 = t_quantile(on, n_on, peers, 0.50, storm);
    json_t *t95 = t_quantile(on, n_on, peers, 0.95, storm);
    json_t *t99 = t_quantile(on, n_on, peers, 0.99, storm);
    json_t *sum = json_object();
    json_object_set_new(sum, "peers", json_integer(peers));
    json_object_set_new(sum, "online_final", json_integer(online_final));
    json_object_set_new(sum, "ever_online", json_integer(n_on));
    json_object_set_new(sum, "t50_s", json_incref(t50));
    json_object_set_new(sum, "t95_s", json_incref(t95));
    json_object_set_new(sum, "t99_s", json_incref(t99));
    for (int k = 0; k < C_COUNT; k++)
        json_object_set_new(sum, metrics_counter_name(k), json_integer((json_int_t)tot[k]));
    json_object_set_new(sum, "login_attempts_per_node_max", json_integer(max_attempts));
    json_object_set_new(sum, "peak_login_rps", json_real(peak));
    json_object_set_new(sum, "peak_login_ok_rps", json_real(peak_ok));
    json_object_set_new(sum, "fidelity", fid);

    json_t *ranks = json_array(), *hosts = json_array();
    for (int r = 0; r < c->world; r++) {
        const struct rank_info *ri = &f->ranks[r];
        json_t *o = json_object();
        json_object_set_new(o, "rank", json_integer(r));
        json_object_set_new(o, "role", json_string(r == 0 ? (c->world == 1 ? "coordinator+host" : "coordinator") : "host"));
        json_object_set_new(o, "host", json_string(ri->host));
        json_object_set_new(o, "nodes", json_integer(ri->nodes));
        json_object_set_new(o, "peers", json_integer(ri->peers));
        json_object_set_new(o, "clock_offset_ns", json_integer(ri->clock_offset_ns));
        json_object_set_new(o, "clock_rtt_ns", json_integer(ri->clock_rtt_ns));
        json_object_set_new(o, "cpu_s", json_real(ri->cpu_s));
        json_object_set_new(o, "maxrss_kb", json_integer(ri->maxrss_kb));
        json_object_set_new(o, "lag_p99_ms", json_real(ri->lag_p99_us / 1e3));
        json_array_append_new(ranks, o);
        bool seen = false;
        for (size_t i = 0; i < json_array_size(hosts) && !seen; i++)
            seen = !strcmp(json_string_value(json_array_get(hosts, i)), ri->host);
        if (!seen)
            json_array_append_new(hosts, json_string(ri->host));
    }

    char finished[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(finished, sizeof finished, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char *scn_json = scenario_to_json(s);
    json_t *root = json_object();
    json_object_set_new(root, "format_version", json_integer(RESULTS_FORMAT_VERSION));
    json_object_set_new(root, "tool", json_string("bootstorm"));
    json_object_set_new(root, "version", json_string(BS_VERSION));
    json_object_set_new(root, "commit", json_string(BS_GIT_COMMIT));
    json_object_set_new(root, "name", json_string(s->name));
    json_object_set_new(root, "seed", json_integer((json_int_t)s->seed));
    json_object_set_new(root, "started_at", json_string(c->meta.started_at));
    json_object_set_new(root, "finished_at", json_string(finished));
    json_object_set_new(root, "complete", json_boolean(!c->incomplete));
    json_object_set_new(root, "scenario_file", json_string(c->meta.scenario_path));
    json_t *ov = json_array();
    for (int i = 0; i < c->meta.n_overrides; i++)
        json_array_append_new(ov, json_string(c->meta.overrides[i]));
    json_object_set_new(root, "overrides", ov);
    json_object_set_new(root, "scenario", scn_json ? json_loads(scn_json, 0, NULL) : json_null());
    free(scn_json);
    json_object_set_new(root, "world_size", json_integer(c->world));
    json_object_set_new(root, "hosts", hosts);
    json_object_set_new(root, "ranks", ranks);
    json_object_set_new(root, "summary", sum);

    int rc = 0;
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text || results_write_file(c->res, "run.json", text) < 0) {
        fprintf(stderr, "bootstorm: cannot write %s/run.json\n", results_dir(c->res));
        rc = -1;
    }
    free(text);

    json_t *hj = json_object();
    json_object_set_new(hj, "format_version", json_integer(RESULTS_FORMAT_VERSION));
    json_object_set_new(hj, "login", hist_json(&f->login_us));
    json_object_set_new(hj, "register", hist_json(&f->register_us));
    json_object_set_new(hj, "ls_queue", hist_json(&f->ls_queue_us));
    json_object_set_new(hj, "ls_service", hist_json(&f->ls_service_us));
    json_object_set_new(hj, "timer_lag", hist_json(&f->lag_us));
    struct hist tto;
    hist_reset(&tto);
    for (uint32_t i = 0; i < n_on; i++)
        if (on[i] >= storm)
            hist_add(&tto, (uint64_t)((on[i] - storm) / 1000));
    json_object_set_new(hj, "time_to_online", hist_json(&tto));
    text = json_dumps(hj, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text || results_write_file(c->res, "histograms.json", text) < 0)
        rc = -1;
    free(text);
    json_decref(hj);

    /* the human summary */
    char a[32], b[32], d[32];
    fmt_t(a, sizeof a, t50);
    fmt_t(b, sizeof b, t95);
    fmt_t(d, sizeof d, t99);
    if (c->tty)
        fputc('\n', stderr);
    printf("\n== bootstorm: %s (seed %llu, %d ranks) ==\n", s->name, (unsigned long long)s->seed,
           c->world);
    printf("peers online at end   %lld / %u (%.1f%%)\n", (long long)online_final, peers,
           peers ? 100.0 * online_final / peers : 0);
    printf("time to online        t50 %s   t95 %s   t99 %s\n", a, b, d);
    printf("login attempts        %llu (ok %llu, busy %llu, timeout %llu, error %llu), max %u per peer\n",
           (unsigned long long)tot[C_LOGIN_ATTEMPTS], (unsigned long long)tot[C_LOGIN_OK],
           (unsigned long long)tot[C_LOGIN_BUSY], (unsigned long long)tot[C_LOGIN_TIMEOUT],
           (unsigned long long)tot[C_LOGIN_ERROR], max_attempts);
    printf("peak login rate       %.0f attempts/s, %.0f ok/s\n", peak, peak_ok);
    printf("fidelity              %s (timer lag p99 %.2f ms, event skew p99 %.3f ms)%s%s\n",
           valid ? "valid" : "NOT VALID", lag_p99, skew_p99, valid ? "" : ": ", reason);
    printf("results               %s\n", results_dir(c->res));
    fflush(stdout);

    json_decref(t50);
    json_decref(t95);
    json_decref(t99);
    json_decref(root);
    free(on);
    free(skew);
    return rc == 0 && !c->incomplete ? 0 : -1;
}
