/* report.c - the HTML report. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/hist.h"
#include "common/scenario.h"
#include "compare.h"
#include "fmt.h"
#include "summarize.h"
#include "svg.h"

const char *const report_chart_ids[] = {"online",  "logins", "ls_queue",       "sn_count",
                                        "retries", "lag",    "time_to_online", "skew"};
const size_t report_n_charts = sizeof report_chart_ids / sizeof report_chart_ids[0];

/* Colour-blind-safe and distinct in print (after Okabe-Ito and Tableau). */
static const char *const palette[] = {"#2563c9", "#e0592a", "#13966b", "#8e44c4",
                                      "#d4a017", "#0a9bb5", "#d23f8a", "#5d6b7a"};
#define N_PALETTE (sizeof palette / sizeof palette[0])

/* ---- memory for chart data, freed after each chart ---- */

struct pool {
    void **p;
    size_t n;
};

static double *pool_doubles(struct pool *pl, size_t n)
{
    pl->p = xrealloc(pl->p, (pl->n + 1) * sizeof *pl->p);
    return pl->p[pl->n++] = xcalloc(n ? n : 1, sizeof(double));
}

/* Take ownership of a malloc'd block. */
static void *pool_keep(struct pool *pl, void *block)
{
    pl->p = xrealloc(pl->p, (pl->n + 1) * sizeof *pl->p);
    return pl->p[pl->n++] = block;
}

static char *pool_str(struct pool *pl, char *s)
{
    return pool_keep(pl, s);
}

static void pool_free(struct pool *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->p[i]);
    free(pl->p);
    pl->p = NULL;
    pl->n = 0;
}

/* ---- the page model ---- */

struct page {
    const struct run *runs;
    size_t n;
    struct cmp cmp;
    bool by_group;    /* colours and legends by group instead of by run */
    size_t n_keys;    /* legend entries: groups or runs */
    char **key_label; /* per key */
    double x_max;     /* longest run, s */
    struct event_mark *marks;
    size_t n_marks;
    struct svg_vline *vl;
    /* The autoscaler's actions of every run, in each run's colour, for the
     * time charts (sorted by time). */
    struct svg_mark *sm;
    size_t n_sm;
    char **sm_text; /* labels and titles, 2 per mark */
    /* Distinct architectures, in run order. */
    const char **arch;
    size_t n_arch;
};

static size_t arch_of(const struct page *p, size_t run)
{
    for (size_t k = 0; k < p->n_arch; k++)
        if (!strcmp(p->arch[k], run_architecture(&p->runs[run])))
            return k;
    return 0;
}

/* "+2 eu" and its tooltip, in two malloc'd strings. */
static void scale_texts(const struct run *r, const struct scale_action *s, char **label,
                        char **title)
{
    char d[FMT_LEN], a[FMT_LEN];
    struct sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, "%c%d %s", s->up ? '+' : '-', s->count, s->datacenter);
    *label = b.s;
    sbuf_init(&b);
    fmt_value(UNIT_SECONDS, s->decided_s, d, sizeof d);
    fmt_value(UNIT_SECONDS, s->at_s, a, sizeof a);
    sbuf_printf(&b, "%s: %s %d in %s (%d server%s after it), decided at %s", r->label,
                s->up ? "scale_up" : "scale_down", s->count, s->datacenter, s->servers,
                s->servers == 1 ? "" : "s", d);
    if (isfinite(s->load))
        sbuf_printf(&b, " (load %.0f%%)", 100 * s->load);
    sbuf_printf(&b, ", in effect at %s", a);
    *title = b.s;
}

static int by_mark_x(const void *a, const void *b)
{
    const struct svg_mark *x = a, *y = b;
    if (x->x != y->x)
        return (x->x > y->x) - (x->x < y->x);
    int c = strcmp(x->label, y->label);
    return c ? c : strcmp(x->title, y->title);
}

/* The scale marks of the runs selected by want (NULL: all), coloured by
 * color(p, run, action). Labels are kept in *text (2 per mark). */
static size_t build_scale_marks(
    const struct page *p, bool (*want)(const struct page *, size_t, const void *), const void *arg,
    const char *(*color)(const struct page *, size_t, const struct scale_action *, const void *),
    struct svg_mark **out, char ***text)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        if (!want || want(p, i, arg))
            n += p->runs[i].n_scale;
    *out = xcalloc(n ? n : 1, sizeof **out);
    *text = xcalloc(2 * n + 1, sizeof **text);
    size_t k = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        if (want && !want(p, i, arg))
            continue;
        for (size_t j = 0; j < r->n_scale; j++, k++) {
            const struct scale_action *s = &r->scale[j];
            scale_texts(r, s, &(*text)[2 * k], &(*text)[2 * k + 1]);
            (*out)[k] = (struct svg_mark){.x = s->at_s,
                                          .label = (*text)[2 * k],
                                          .title = (*text)[2 * k + 1],
                                          .color = color(p, i, s, arg)};
        }
    }
    if (n)
        qsort(*out, n, sizeof **out, by_mark_x);
    return n;
}

static void free_texts(char **text)
{
    for (size_t k = 0; text && text[k]; k++)
        free(text[k]);
    free(text);
}

static size_t key_of(const struct page *p, size_t run)
{
    return p->by_group ? group_of(p->cmp.groups, p->cmp.n_groups, run) : run;
}

static const char *color_of(const struct page *p, size_t run)
{
    return palette[key_of(p, run) % N_PALETTE];
}

static const char *run_color(const struct page *p, size_t run, const struct scale_action *s,
                             const void *arg)
{
    return color_of(p, run);
}

static void page_init(struct page *p, const struct run *runs, size_t n)
{
    memset(p, 0, sizeof *p);
    p->runs = runs;
    p->n = n;
    cmp_build(runs, n, &p->cmp);
    p->by_group = cmp_has_groups(&p->cmp);
    p->n_keys = p->by_group ? p->cmp.n_groups : n;
    p->key_label = xcalloc(p->n_keys, sizeof *p->key_label);
    for (size_t k = 0; k < p->n_keys; k++) {
        struct sbuf b;
        sbuf_init(&b);
        if (p->by_group) {
            const struct group *g = &p->cmp.groups[k];
            sbuf_printf(&b, "%s: %s (%zu run%s)", g->id, g->desc, g->n, g->n == 1 ? "" : "s");
        } else {
            sbuf_printf(&b, "#%zu %s", k + 1, runs[k].label);
        }
        p->key_label[k] = b.s;
    }
    for (size_t i = 0; i < n; i++) {
        double d = run_duration_s(&runs[i]);
        if (d > p->x_max)
            p->x_max = d;
        struct event_mark *m;
        size_t nm = summarize_event_marks(&runs[i], &m);
        for (size_t j = 0; j < nm; j++) {
            bool dup = false;
            for (size_t k = 0; k < p->n_marks; k++)
                dup |= p->marks[k].t_s == m[j].t_s && !strcmp(p->marks[k].kind, m[j].kind);
            if (dup)
                continue;
            p->marks = xrealloc(p->marks, (p->n_marks + 1) * sizeof *p->marks);
            p->marks[p->n_marks++] = m[j];
        }
        free(m);
    }
    p->vl = xcalloc(p->n_marks ? p->n_marks : 1, sizeof *p->vl);
    for (size_t k = 0; k < p->n_marks; k++)
        p->vl[k] = (struct svg_vline){p->marks[k].t_s, p->marks[k].kind};
    p->arch = xcalloc(n ? n : 1, sizeof *p->arch);
    for (size_t i = 0; i < n; i++) {
        const char *a = run_architecture(&runs[i]);
        size_t k = 0;
        while (k < p->n_arch && strcmp(p->arch[k], a))
            k++;
        if (k == p->n_arch)
            p->arch[p->n_arch++] = a;
    }
    p->n_sm = build_scale_marks(p, NULL, NULL, run_color, &p->sm, &p->sm_text);
}

static void page_free(struct page *p)
{
    for (size_t k = 0; k < p->n_keys; k++)
        free(p->key_label[k]);
    free(p->key_label);
    free(p->marks);
    free(p->vl);
    free(p->sm);
    free_texts(p->sm_text);
    free(p->arch);
    cmp_free(&p->cmp);
}

/* ---- series helpers ---- */

/* Per-interval counter as a rate, drawn as steps over each interval. */
static size_t rate_steps(struct pool *pl, const struct run *r, const char *const *cols,
                         size_t n_cols, double **xs, double **ys)
{
    const double *t = run_col(r, "t_s");
    const double *c[4] = {0};
    for (size_t k = 0; k < n_cols; k++)
        if (!(c[k] = run_col(r, cols[k])))
            return 0;
    size_t n = r->n_rows;
    *xs = pool_doubles(pl, 2 * n);
    *ys = pool_doubles(pl, 2 * n);
    for (size_t i = 0; i < n; i++) {
        double sum = 0, dt = run_interval_at(r, i);
        for (size_t k = 0; k < n_cols; k++)
            sum += c[k][i];
        (*xs)[2 * i] = i ? t[i - 1] : 0;
        (*xs)[2 * i + 1] = t[i];
        (*ys)[2 * i] = (*ys)[2 * i + 1] = dt > 0 ? sum / dt : NAN;
    }
    return 2 * n;
}

static void legend_keys(const struct page *p, struct sbuf *o)
{
    if (p->n_keys < 2)
        return; /* one run: nothing to tell apart */
    sbuf_add(o, "<div class=\"legend\">");
    for (size_t k = 0; k < p->n_keys; k++) {
        sbuf_printf(o, "<span class=\"key\"><i style=\"border-color:%s\"></i>",
                    palette[k % N_PALETTE]);
        sbuf_add_html(o, p->key_label[k]);
        sbuf_add(o, "</span>");
    }
    sbuf_add(o, "</div>");
}

/* A line-style key: "— attempts", "··· ok". */
static void legend_style(struct sbuf *o, const char *style, const char *label)
{
    sbuf_printf(o, "<span class=\"key style\"><i class=\"%s\"></i>", style);
    sbuf_add_html(o, label);
    sbuf_add(o, "</span>");
}

/* Under a time chart that has scale marks: what the ticks are. */
static void scale_legend(bool any, struct sbuf *o)
{
    if (!any)
        return;
    sbuf_add(o, "<div class=\"legend\"><span class=\"key style\"><i class=\"tick\"></i>"
                "autoscaler: servers added (+) or removed (&minus;) in a data centre, when it "
                "took effect</span></div>");
}

static void figure_open(struct sbuf *o, const char *id, const char *title, const char *sub)
{
    sbuf_printf(o, "<figure class=\"card\" id=\"fig-%s\"><h3>", id);
    sbuf_add_html(o, title);
    sbuf_add(o, "</h3><p class=\"sub\">");
    sbuf_add(o, sub); /* our own text, may hold markup */
    sbuf_add(o, "</p>");
}

static struct svg_chart chart_base(const struct page *p, const char *id, const char *title)
{
    return (struct svg_chart){.id = id,
                              .title = title,
                              .x_min = 0,
                              .x_max = p->x_max,
                              .y_max = NAN,
                              .vlines = p->vl,
                              .n_vlines = p->n_marks,
                              .marks = p->sm,
                              .n_marks = p->n_sm};
}

/* ---- charts ---- */

/* How a gauge column is drawn: as it is (queue lengths, node counts), as a
 * share of the peers, or a fraction as a percentage (a utilisation, with
 * its 100% line). */
enum gauge_scale { G_RAW, G_PEERS_PCT, G_FRACTION_PCT };

/* Whether a run has emulated servers (login servers, supernodes, a
 * registration tier): all but architecture target, whose peers log in to a
 * real server. Its ls_queue, sn_count and server_load columns are 0 and
 * describe nothing. */
static bool has_emulated_servers(const struct run *r)
{
    return !run_is_target(r);
}

/* want: which runs get a series (NULL: every run with the column). */
static void chart_gauge_of(const struct page *p, struct sbuf *o, const char *id, const char *title,
                           const char *sub, const char *col, const char *ylabel,
                           enum gauge_scale gs, bool (*want)(const struct run *))
{
    struct pool pl = {0};
    struct svg_series *s = xcalloc(p->n, sizeof *s);
    size_t ns = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        const double *v = run_col(r, col), *t = run_col(r, "t_s");
        double peers = 0;
        if (!v || (want && !want(r)) ||
            (gs == G_PEERS_PCT && (run_number(r, "peers", &peers) != 1 || peers <= 0)))
            continue;
        double *y = pool_doubles(&pl, r->n_rows);
        for (size_t k = 0; k < r->n_rows; k++)
            y[k] = gs == G_PEERS_PCT      ? 100 * v[k] / peers
                   : gs == G_FRACTION_PCT ? 100 * v[k]
                                          : v[k];
        s[ns++] = (struct svg_series){.label = r->label,
                                      .x = t,
                                      .y = y,
                                      .n = r->n_rows,
                                      .color = color_of(p, i),
                                      .opacity = p->by_group ? 0.85 : 1};
    }
    struct svg_hline full = {.y = 100, .label = "saturated", .dash = "2 3"};
    struct svg_chart c = chart_base(p, id, title);
    c.xlabel = "time since start (s)";
    c.ylabel = ylabel;
    c.series = s;
    c.n_series = ns;
    if (gs == G_PEERS_PCT) {
        c.y_max = 100;
    } else if (gs == G_FRACTION_PCT) {
        c.hlines = &full;
        c.n_hlines = 1;
    } else {
        c.y_integer = true; /* queue lengths and node counts */
    }
    c.empty_text = "no data: the runs have no such column";
    figure_open(o, id, title, sub);
    svg_chart(&c, o);
    legend_keys(p, o);
    scale_legend(p->n_sm > 0, o);
    sbuf_add(o, "</figure>\n");
    free(s);
    pool_free(&pl);
}

static void chart_gauge(const struct page *p, struct sbuf *o, const char *id, const char *title,
                        const char *sub, const char *col, const char *ylabel, enum gauge_scale gs)
{
    chart_gauge_of(p, o, id, title, sub, col, ylabel, gs, NULL);
}

/* "50.0 ms" -> "50 ms": a configured limit reads better without them. */
static void trim_zeros(char *s)
{
    char *dot = strchr(s, '.');
    if (!dot)
        return;
    char *end = dot + 1;
    while (*end >= '0' && *end <= '9')
        end++;
    char *z = end;
    while (z > dot + 1 && z[-1] == '0')
        z--;
    if (z == dot + 1)
        z = dot;
    memmove(z, end, strlen(end) + 1);
}

/* Distinct reference levels, one per legend key: drawn once in grey when
 * every run has the same, else in each key's colour. */
static size_t ref_lines(const struct page *p, double (*get)(const struct run *), const char *what,
                        enum unit u, struct pool *pl, struct svg_hline **out)
{
    struct svg_hline *h = xcalloc(p->n_keys, sizeof *h);
    size_t n = 0;
    for (size_t k = 0; k < p->n_keys; k++) {
        size_t run = p->by_group ? p->cmp.groups[k].members[0] : k;
        double v = get(&p->runs[run]);
        if (!isfinite(v))
            continue;
        bool dup = false;
        for (size_t j = 0; j < n; j++)
            dup |= h[j].y == v;
        if (dup)
            continue;
        h[n++] = (struct svg_hline){.y = v, .color = palette[k % N_PALETTE]};
    }
    for (size_t j = 0; j < n; j++) {
        char val[FMT_LEN];
        struct sbuf b;
        sbuf_init(&b);
        fmt_value(u, h[j].y, val, sizeof val);
        trim_zeros(val);
        sbuf_printf(&b, "%s %s", what, val);
        h[j].label = pool_str(pl, b.s);
        if (n == 1)
            h[j].color = NULL;
    }
    *out = h;
    return n;
}

static double lag_limit(const struct run *r)
{
    json_t *j = run_scenario_get(r, "control.max_lag_p99");
    int64_t ns;
    if (json_is_string(j) && scenario_parse_duration(json_string_value(j), &ns) == 0)
        return (double)ns / 1e6;
    return NAN;
}

/* The login capacity of each run, from its capacity timeline: a flat
 * reference line (one per distinct level) when it never changed, else a
 * dashed step line that follows the capacity events and outages. Returns
 * the number of step lines added to *s. */
static size_t capacity_lines(const struct page *p, struct pool *pl, struct svg_series **s,
                             size_t *ns, struct svg_hline **h, size_t *nh)
{
    size_t steps = 0;
    *h = xcalloc(p->n ? p->n : 1, sizeof **h);
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        if (!run_uses_login(r))
            continue; /* a trackerless DHT: no login servers */
        double flat = run_capacity_const(r, RUN_SRV_LOGIN), low;
        if (isfinite(flat) && !run_capacity_outage(r, RUN_SRV_LOGIN, &low)) {
            bool dup = false;
            for (size_t j = 0; j < *nh; j++)
                dup |= (*h)[j].y == flat;
            if (!dup)
                (*h)[(*nh)++] = (struct svg_hline){.y = flat, .color = color_of(p, i)};
            continue;
        }
        double *x, *y;
        size_t n = run_capacity_line(r, RUN_SRV_LOGIN, &x, &y);
        if (!n)
            continue;
        pool_keep(pl, x);
        pool_keep(pl, y);
        struct sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b, "login capacity of %s", r->label);
        *s = xrealloc(*s, (*ns + 1) * sizeof **s);
        (*s)[(*ns)++] = (struct svg_series){.label = pool_str(pl, b.s),
                                            .x = x,
                                            .y = y,
                                            .n = n,
                                            .color = p->n_keys > 1 ? color_of(p, i) : "#2f3542",
                                            .dash = "7 4",
                                            .width = 1.3};
        steps++;
    }
    for (size_t j = 0; j < *nh; j++) {
        char val[FMT_LEN];
        struct sbuf b;
        sbuf_init(&b);
        fmt_value(UNIT_RATE, (*h)[j].y, val, sizeof val);
        trim_zeros(val);
        sbuf_printf(&b, "capacity %s", val);
        (*h)[j].label = pool_str(pl, b.s);
        if (*nh == 1 && !steps)
            (*h)[j].color = NULL; /* one level for everyone: grey */
    }
    return steps;
}

/* Where the capacity line comes from, naming the runs whose run.json has
 * no capacity timeline (written before it had one). */
static void capacity_caption(const struct page *p, struct sbuf *o)
{
    size_t n_est = 0, n_target = 0, n_login = 0;
    for (size_t i = 0; i < p->n; i++) {
        n_est += p->runs[i].cap_estimated;
        n_target += run_is_target(&p->runs[i]);
        n_login += run_uses_login(&p->runs[i]);
    }
    if (n_target && n_target == n_login) {
        /* Only real servers: no capacity to draw. */
        sbuf_add(o, "Login attempts started and logins completed per second. No capacity "
                    "line: the peers log in to a real server (architecture target), whose "
                    "capacity is unknown: bootstorm sees only its answers.");
        return;
    }
    sbuf_add(o, "Login attempts started and logins completed per second, against the login "
                "servers' capacity");
    if (n_target) {
        sbuf_add(o, " (none for ");
        for (size_t i = 0, k = 0; i < p->n; i++)
            if (run_is_target(&p->runs[i]))
                sbuf_printf(o, "%s#%zu", k++ ? ", " : "", i + 1);
        sbuf_add(o, ": a real server of unknown capacity, architecture target)");
    }
    if (n_est < p->n)
        sbuf_add(o, " from run.json: per server (workers / mean service time, or the admission "
                    "rate when lower) &times; login servers up, following capacity events and "
                    "outages.");
    if (n_est == 0)
        return;
    if (n_est == p->n) {
        sbuf_add(o, ", ");
    } else {
        sbuf_add(o, " For ");
        for (size_t i = 0, k = 0; i < p->n; i++)
            if (p->runs[i].cap_estimated)
                sbuf_printf(o, "%s#%zu", k++ ? ", " : "", i + 1);
        sbuf_add(o, ": ");
    }
    sbuf_add(o, "estimated from the scenario (run.json has no capacity timeline): login servers "
                "&times; workers / mean service time, lowered while login servers were down; "
                "capacity events and admission rates are not applied.");
}

static void chart_rates(const struct page *p, struct sbuf *o, bool retries)
{
    static const char *const att[] = {"login_attempts"};
    static const char *const ok[] = {"login_ok"};
    static const char *const fail[] = {"login_busy", "login_timeout"};
    const char *id = retries ? "retries" : "logins";
    /* Runs whose peers log in to a real server: its refusals are their
     * BUSY answers, and there is no capacity to draw. */
    size_t n_target = 0, n_login = 0;
    for (size_t i = 0; i < p->n; i++) {
        n_target += run_is_target(&p->runs[i]);
        n_login += run_uses_login(&p->runs[i]);
    }
    bool only_target = n_target && n_target == n_login;
    const char *title = retries       ? "Retry pressure"
                        : only_target ? "Login rate"
                                      : "Login rate against capacity";
    struct pool pl = {0};
    struct svg_series *s = xcalloc(2 * p->n, sizeof *s);
    size_t ns = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        double *x, *y;
        if (!run_uses_login(r))
            continue;
        /* The second series is a wide translucent band under the thin
         * attempts line: two readings of one run, told apart at a glance. */
        size_t n =
            retries ? rate_steps(&pl, r, fail, 2, &x, &y) : rate_steps(&pl, r, ok, 1, &x, &y);
        if (n)
            s[ns++] = (struct svg_series){.label = r->label,
                                          .x = x,
                                          .y = y,
                                          .n = n,
                                          .color = color_of(p, i),
                                          .width = 5,
                                          .opacity = 0.32};
        n = rate_steps(&pl, r, att, 1, &x, &y);
        if (n)
            s[ns++] = (struct svg_series){.label = r->label,
                                          .x = x,
                                          .y = y,
                                          .n = n,
                                          .color = color_of(p, i),
                                          .width = 1.5,
                                          .opacity = p->by_group ? 0.85 : 1};
    }
    struct svg_hline *h = NULL;
    size_t nh = 0, steps = 0;
    if (!retries)
        steps = capacity_lines(p, &pl, &s, &ns, &h, &nh);
    struct svg_chart c = chart_base(p, id, title);
    c.xlabel = "time since start (s)";
    c.ylabel = retries ? "attempts per second (1/s)" : "logins per second (1/s)";
    c.series = s;
    c.n_series = ns;
    c.hlines = h;
    c.n_hlines = nh;
    if (retries) {
        figure_open(o, id, title,
                    only_target ? "Login attempts started per second, and attempts the server "
                                  "refused (HTTP 429/503, CONNACK 3) or that timed out per "
                                  "second: what the retry policy adds to the storm."
                    : n_target  ? "Login attempts started per second, and attempts answered BUSY "
                                  "(by a real server: refused, HTTP 429/503 or CONNACK 3) or "
                                  "timed out per second: what the retry policy adds to the storm."
                                : "Login attempts started per second, and attempts answered BUSY "
                                  "or timed out per second: what the retry policy adds to the "
                                  "storm.");
    } else {
        struct sbuf sub;
        sbuf_init(&sub);
        capacity_caption(p, &sub);
        figure_open(o, id, title, sbuf_str(&sub));
        sbuf_free(&sub);
    }
    svg_chart(&c, o);
    legend_keys(p, o);
    sbuf_add(o, "<div class=\"legend\">");
    legend_style(o, "solid", "attempts/s");
    legend_style(o, "band",
                 !retries      ? "ok/s"
                 : only_target ? "refused + timeout/s"
                 : n_target    ? "busy or refused + timeout/s"
                               : "busy + timeout/s");
    if (nh || steps)
        legend_style(o, "dashed", "login capacity");
    sbuf_add(o, "</div>");
    scale_legend(p->n_sm > 0, o);
    sbuf_add(o, "</figure>\n");
    free(s);
    free(h);
    pool_free(&pl);
}

static void chart_lag(const struct page *p, struct sbuf *o)
{
    struct pool pl = {0};
    struct svg_series *s = xcalloc(p->n, sizeof *s);
    size_t ns = 0;
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        const double *v = run_col(r, "lag_p99_ms"), *t = run_col(r, "t_s");
        if (!v)
            continue;
        double *x = pool_doubles(&pl, 2 * r->n_rows), *y = pool_doubles(&pl, 2 * r->n_rows);
        for (size_t k = 0; k < r->n_rows; k++) {
            x[2 * k] = k ? t[k - 1] : 0;
            x[2 * k + 1] = t[k];
            y[2 * k] = y[2 * k + 1] = v[k];
        }
        s[ns++] = (struct svg_series){.label = r->label,
                                      .x = x,
                                      .y = y,
                                      .n = 2 * r->n_rows,
                                      .color = color_of(p, i),
                                      .opacity = p->by_group ? 0.85 : 1};
    }
    struct svg_chart c = chart_base(p, "lag", "Emulator timer lag");
    c.xlabel = "time since start (s)";
    c.ylabel = "timer lag p99 (ms)";
    c.series = s;
    c.n_series = ns;
    struct svg_hline *h;
    c.n_hlines = ref_lines(p, lag_limit, "fidelity limit", UNIT_MS, &pl, &h);
    c.hlines = h;
    c.empty_text = "no data: the runs have no lag_p99_ms column";
    figure_open(o, "lag", "Emulator timer lag",
                "The worst rank's p99 timer lateness in each interval. Above the limit the "
                "emulator, not the system under test, was the bottleneck.");
    svg_chart(&c, o);
    legend_keys(p, o);
    scale_legend(p->n_sm > 0, o);
    sbuf_add(o, "</figure>\n");
    free(s);
    free(h);
    pool_free(&pl);
}

/* Cumulative share of peers online at least once, from histograms.json
 * (exact counts at bucket bounds), or a lower bound from timeseries.csv. */
static size_t tto_curve(struct pool *pl, const struct run *r, double **xs, double **ys,
                        bool *estimated)
{
    double peers;
    *estimated = false;
    if (run_number(r, "peers", &peers) != 1 || peers <= 0)
        return 0;
    json_t *b = json_object_get(json_object_get(r->hist, "time_to_online"), "buckets");
    if (r->hist && json_is_array(b)) {
        size_t n = json_array_size(b);
        if (!n)
            return 0;
        *xs = pool_doubles(pl, n + 1);
        *ys = pool_doubles(pl, n + 1);
        uint64_t ub0 = (uint64_t)json_integer_value(json_array_get(json_array_get(b, 0), 0));
        unsigned bi = hist_bucket_of(ub0);
        (*xs)[0] = bi ? (double)(hist_bucket_upper(bi - 1) + 1) / 1e6 : 0;
        (*ys)[0] = 0;
        double cum = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *e = json_array_get(b, i);
            cum += (double)json_integer_value(json_array_get(e, 1));
            (*xs)[i + 1] = (double)json_integer_value(json_array_get(e, 0)) / 1e6;
            (*ys)[i + 1] = 100 * cum / peers;
        }
        return n + 1;
    }
    const double *online = run_col(r, "online"), *t = run_col(r, "t_s");
    if (!online || !r->n_rows)
        return 0;
    *estimated = true;
    *xs = pool_doubles(pl, r->n_rows + 1);
    *ys = pool_doubles(pl, r->n_rows + 1);
    double best = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        best = fmax(best, online[i]);
        (*xs)[i + 1] = t[i];
        (*ys)[i + 1] = 100 * best / peers;
    }
    return r->n_rows + 1;
}

static void chart_tto(const struct page *p, struct sbuf *o)
{
    struct pool pl = {0};
    struct svg_series *s = xcalloc(p->n, sizeof *s);
    size_t ns = 0;
    bool any_est = false;
    for (size_t i = 0; i < p->n; i++) {
        double *x, *y;
        bool est;
        size_t n = tto_curve(&pl, &p->runs[i], &x, &y, &est);
        if (!n)
            continue;
        any_est |= est;
        s[ns++] = (struct svg_series){.label = p->runs[i].label,
                                      .x = x,
                                      .y = y,
                                      .n = n,
                                      .color = color_of(p, i),
                                      .dash = est ? "5 3" : NULL,
                                      .opacity = p->by_group ? 0.85 : 1};
    }
    struct svg_hline h[] = {{50, "50%", "#9aa1ab", "2 3"}, {95, "95%", "#9aa1ab", "2 3"}};
    struct svg_chart c = {.id = "time_to_online",
                          .title = "Time to online",
                          .xlabel = "time since the first boot event (s)",
                          .ylabel = "peers online at least once (%)",
                          .x_min = 0,
                          .x_max = NAN,
                          .y_max = 100,
                          .series = s,
                          .n_series = ns,
                          .hlines = h,
                          .n_hlines = 2,
                          .empty_text = "no data"};
    figure_open(o, "time_to_online", "Time to online",
                any_est ? "Cumulative share of peers that had been online at least once. "
                          "Dashed: histograms.json is missing, so this is a lower bound from "
                          "the online column."
                        : "Cumulative share of peers that had been online at least once, from "
                          "histograms.json (exact at bucket bounds, buckets &le; 12.5% wide).");
    svg_chart(&c, o);
    legend_keys(p, o);
    sbuf_add(o, "</figure>\n");
    free(s);
    pool_free(&pl);
}

static void chart_skew(const struct page *p, struct sbuf *o)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++)
        for (size_t e = 0; e < p->runs[i].n_events; e++) {
            lo = fmin(lo, p->runs[i].events[e].skew_ms);
            hi = fmax(hi, p->runs[i].events[e].skew_ms);
            total++;
        }
    struct ticks t;
    svg_ticks(total ? lo : 0, total ? hi : 1, 12, &t);
    size_t n_bins = (size_t)(t.n > 1 ? t.n - 1 : 1);
    double *edges = xcalloc(n_bins + 1, sizeof *edges);
    for (size_t b = 0; b <= n_bins; b++)
        edges[b] = t.lo + (double)b * t.step;
    double **counts = xcalloc(p->n_keys, sizeof *counts);
    const char **colors = xcalloc(p->n_keys, sizeof *colors);
    for (size_t k = 0; k < p->n_keys; k++) {
        counts[k] = xcalloc(n_bins, sizeof **counts);
        colors[k] = palette[k % N_PALETTE];
    }
    for (size_t i = 0; i < p->n; i++)
        for (size_t e = 0; e < p->runs[i].n_events; e++) {
            double v = p->runs[i].events[e].skew_ms;
            size_t b = (size_t)fmax(0, floor((v - t.lo) / t.step));
            if (b >= n_bins)
                b = n_bins - 1;
            counts[key_of(p, i)][b]++;
        }
    struct svg_bars bars = {
        edges,    n_bins, (const double *const *)counts, colors, (const char *const *)p->key_label,
        p->n_keys};
    struct svg_chart c = {.id = "skew",
                          .title = "Event skew",
                          .xlabel = "skew: actual − scheduled fire time (ms)",
                          .ylabel = "firings (events × ranks)",
                          .x_min = NAN,
                          .x_max = NAN,
                          .y_max = NAN,
                          .y_integer = true,
                          .bars = total ? &bars : NULL,
                          .empty_text = "no data: no events.csv"};
    figure_open(o, "skew", "Event skew",
                "How far from its scheduled time each event fired on each rank. The "
                "fidelity check looks at the p99 of |skew|.");
    svg_chart(&c, o);
    legend_keys(p, o);
    sbuf_add(o, "</figure>\n");
    for (size_t k = 0; k < p->n_keys; k++)
        free(counts[k]);
    free(counts);
    free(colors);
    free(edges);
}

/* ---- architectures and data centres ---- */

/* Runs of one architecture share its colour and are told apart by dash. */
static const char *const arch_dash[] = {NULL, "7 4", "2 3", "10 3 2 3"};
static const char *const arch_dash_css[] = {"solid", "dashed", "dotted", "dashed"};
#define N_ARCH_DASH (sizeof arch_dash / sizeof arch_dash[0])

static const char *arch_color(const struct page *p, size_t run, const struct scale_action *s,
                              const void *arg)
{
    return palette[arch_of(p, run) % N_PALETTE];
}

/* Peers online over time, one line per run coloured by its architecture:
 * the comparison the page is for when it holds more than one. */
static void chart_arch(const struct page *p, struct sbuf *o)
{
    struct pool pl = {0};
    struct svg_series *s = xcalloc(p->n, sizeof *s);
    size_t ns = 0, *seen = xcalloc(p->n_arch, sizeof *seen),
           *count = xcalloc(p->n_arch, sizeof *count);
    for (size_t i = 0; i < p->n; i++)
        count[arch_of(p, i)]++;
    struct sbuf leg;
    sbuf_init(&leg);
    sbuf_add(&leg, "<div class=\"legend\">");
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        const double *v = run_col(r, "online"), *t = run_col(r, "t_s");
        double peers;
        size_t a = arch_of(p, i), nth = seen[a]++;
        if (!v || run_number(r, "peers", &peers) != 1 || peers <= 0)
            continue;
        double *y = pool_doubles(&pl, r->n_rows);
        for (size_t k = 0; k < r->n_rows; k++)
            y[k] = 100 * v[k] / peers;
        struct sbuf b;
        sbuf_init(&b);
        if (count[a] > 1)
            sbuf_printf(&b, "%s: #%zu %s", p->arch[a], i + 1, r->label);
        else
            sbuf_add(&b, p->arch[a]);
        const char *color = palette[a % N_PALETTE];
        s[ns++] = (struct svg_series){.label = pool_str(&pl, b.s),
                                      .x = t,
                                      .y = y,
                                      .n = r->n_rows,
                                      .color = color,
                                      .dash = arch_dash[nth % N_ARCH_DASH]};
        sbuf_printf(&leg,
                    "<span class=\"key\"><i style=\"border-color:%s;border-top-style:%s\"></i>",
                    color, arch_dash_css[nth % N_ARCH_DASH]);
        sbuf_add_html(&leg, s[ns - 1].label);
        sbuf_add(&leg, "</span>");
    }
    sbuf_add(&leg, "</div>");
    struct svg_mark *m;
    char **text;
    size_t nm = build_scale_marks(p, NULL, NULL, arch_color, &m, &text);
    struct svg_chart c = chart_base(p, "online_arch", "Peers online by architecture");
    c.xlabel = "time since start (s)";
    c.ylabel = "peers online (%)";
    c.y_max = 100;
    c.series = s;
    c.n_series = ns;
    c.marks = m;
    c.n_marks = nm;
    c.empty_text = "no data: the runs have no online column";
    bool any_target = false;
    for (size_t i = 0; i < p->n; i++)
        any_target |= run_is_target(&p->runs[i]);
    figure_open(o, "online_arch", "Peers online by architecture",
                any_target
                    ? "Share of all peers online (registered with a supernode or a presence "
                      "server, joined the DHT, set-top boxes registered with their head-end, or "
                      "logged in to the real server of a target run), one line per run in its "
                      "architecture's colour. Dashed verticals: scheduled events."
                    : "Share of all peers online (registered with a supernode or a presence "
                      "server, joined the DHT, or set-top boxes registered with their head-end), "
                      "one line per run in its architecture's colour. Dashed verticals: "
                      "scheduled events.");
    svg_chart(&c, o);
    sbuf_add(o, sbuf_str(&leg));
    scale_legend(nm > 0, o);
    sbuf_add(o, "</figure>\n");
    sbuf_free(&leg);
    free(m);
    free_texts(text);
    free(seen);
    free(count);
    free(s);
    pool_free(&pl);
}

/* Which run the DC card is for (build_scale_marks' filter). */
static bool is_run(const struct page *p, size_t run, const void *arg)
{
    return run == *(const size_t *)arg;
}

/* A scale action's colour on a DC card: its data centre's. */
static const char *dc_color(const struct page *p, size_t run, const struct scale_action *s,
                            const void *arg)
{
    const struct run *r = &p->runs[run];
    for (size_t k = 0; k < r->n_dcs; k++)
        if (!strcmp(r->dcs[k].name, s->datacenter))
            return palette[k % N_PALETTE];
    return NULL;
}

enum dc_panel { DCP_SERVERS, DCP_LOAD, DCP_FLOWS };

/* One panel of a run's DC card: every data centre's servers up, load, or
 * refusals (solid) and spills (dashed) per second. */
static void dc_panel(const struct page *p, size_t run, enum dc_panel what, const struct svg_mark *m,
                     size_t nm, struct sbuf *o)
{
    static const char *const heads[] = {"Presence servers up",
                                        "Load (busy / available worker time)",
                                        "Refusals and spills per second"};
    static const char *const suffix[] = {"servers", "load", "flows"};
    static const char *const ylabels[] = {"presence servers up", "load (%)", "per second (1/s)"};
    const struct run *r = &p->runs[run];
    const double *t = run_col(r, "t_s");
    struct pool pl = {0};
    struct svg_series *s = xcalloc(2 * r->n_dcs + 1, sizeof *s);
    size_t ns = 0;
    for (size_t k = 0; k < r->n_dcs; k++) {
        const struct run_dc *d = &r->dcs[k];
        const char *color = palette[k % N_PALETTE];
        const double *cols[2] = {what == DCP_SERVERS ? d->servers
                                 : what == DCP_LOAD  ? d->load
                                                     : d->refusals,
                                 what == DCP_FLOWS ? d->spills : NULL};
        for (int c = 0; c < 2; c++) {
            if (!cols[c])
                continue;
            double *x = pool_doubles(&pl, 2 * r->n_rows), *y = pool_doubles(&pl, 2 * r->n_rows);
            size_t n = 0;
            for (size_t i = 0; i < r->n_rows; i++) {
                double dt = run_interval_at(r, i), v = cols[c][i];
                if (what == DCP_LOAD)
                    v *= 100;
                else if (what == DCP_FLOWS)
                    v = dt > 0 ? v / dt : NAN;
                if (what == DCP_LOAD) { /* a gauge at the row's end */
                    x[n] = t[i];
                    y[n++] = v;
                } else { /* servers and counts hold over the interval: steps */
                    x[n] = i ? t[i - 1] : 0;
                    y[n++] = v;
                    x[n] = t[i];
                    y[n++] = v;
                }
            }
            struct sbuf b;
            sbuf_init(&b);
            sbuf_printf(&b, "%s%s", d->name,
                        what != DCP_FLOWS ? ""
                        : c == 0          ? " refusals/s"
                                          : " spills/s");
            s[ns++] = (struct svg_series){.label = pool_str(&pl, b.s),
                                          .x = x,
                                          .y = y,
                                          .n = n,
                                          .color = color,
                                          .dash = c == 1 ? "5 3" : NULL};
        }
    }
    char id[48];
    snprintf(id, sizeof id, "dc%zu_%s", run + 1, suffix[what]);
    struct svg_hline full = {.y = 100, .label = "saturated", .dash = "2 3"};
    struct svg_chart c = chart_base(p, id, heads[what]);
    c.xlabel = "time since start (s)";
    c.ylabel = ylabels[what];
    c.series = s;
    c.n_series = ns;
    c.marks = m;
    c.n_marks = nm;
    c.y_integer = what == DCP_SERVERS;
    if (what == DCP_LOAD) {
        c.hlines = &full;
        c.n_hlines = 1;
    }
    c.empty_text = "no data: the run has no such column";
    sbuf_add(o, "<div class=\"panel\"><h4>");
    sbuf_add_html(o, heads[what]);
    sbuf_add(o, "</h4>");
    svg_chart(&c, o);
    sbuf_add(o, "</div>");
    free(s);
    pool_free(&pl);
}

/* A central run's data centres, from its dc_ columns: a card with a panel
 * each for the servers up, their load, and the refusals and spills. */
static void chart_dc(const struct page *p, size_t run, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    bool flows = false;
    for (size_t k = 0; k < r->n_dcs; k++)
        flows |= r->dcs[k].refusals || r->dcs[k].spills;
    struct svg_mark *m;
    char **text;
    size_t nm = build_scale_marks(p, is_run, &run, dc_color, &m, &text);
    char id[32];
    snprintf(id, sizeof id, "dc%zu", run + 1);
    struct sbuf title;
    sbuf_init(&title);
    sbuf_printf(&title, "Data centres of run #%zu %s", run + 1, r->label);
    sbuf_printf(o, "<figure class=\"card wide\" id=\"fig-%s\"><h3>", id);
    sbuf_add_html(o, sbuf_str(&title));
    sbuf_add(o, "</h3><p class=\"sub\">Each data centre's presence servers up, their load "
                "(100% = every worker busy), and the registrations its front door refused "
                "(BUSY) or its presence servers redirected, and the peers spilled in from "
                "another home data centre, per interval.");
    if (nm)
        sbuf_add(o, " Ticks at the bottom: the autoscaler's actions, in the data centre's "
                    "colour, when they took effect.");
    sbuf_add(o, "</p><div class=\"panels\">");
    dc_panel(p, run, DCP_SERVERS, m, nm, o);
    dc_panel(p, run, DCP_LOAD, m, nm, o);
    if (flows)
        dc_panel(p, run, DCP_FLOWS, m, nm, o);
    sbuf_add(o, "</div><div class=\"legend\">");
    for (size_t k = 0; k < r->n_dcs; k++) {
        sbuf_printf(o, "<span class=\"key\"><i style=\"border-color:%s\"></i>",
                    palette[k % N_PALETTE]);
        sbuf_add_html(o, r->dcs[k].name);
        sbuf_add(o, "</span>");
    }
    if (flows) {
        legend_style(o, "solid", "refusals/s");
        legend_style(o, "dashed", "spills/s");
    }
    sbuf_add(o, "</div>");
    scale_legend(nm > 0, o);
    sbuf_add(o, "</figure>\n");
    sbuf_free(&title);
    free(m);
    free_texts(text);
}

/* ---- dht ---- */

/* How a dht panel's series is drawn: a counter (or two summed) per second
 * as steps; the found share of the lookups that ended, as steps (no point
 * where none ended); a gauge at the row's end, as it is or as a %. */
enum dht_how { DH_RATE, DH_FOUND_PCT, DH_GAUGE, DH_GAUGE_PCT };

/* The chart of one panel of a run's card (DHT, set-top boxes) over time:
 * its id "<card><run>_<suffix>" (written into id), heading, axis labels and
 * series; no autoscaler marks (those are central's). */
static struct svg_chart card_chart(const struct page *p, char *id, size_t idlen, const char *card,
                                   size_t run, const char *suffix, const char *head,
                                   const char *ylabel, const struct svg_series *s, size_t ns)
{
    snprintf(id, idlen, "%s%zu_%s", card, run + 1, suffix);
    struct svg_chart c = chart_base(p, id, head);
    c.xlabel = "time since start (s)";
    c.ylabel = ylabel;
    c.series = s;
    c.n_series = ns;
    c.marks = NULL;
    c.n_marks = 0;
    c.empty_text = "no data: the run has no such column";
    return c;
}

/* One panel of a run's card (DHT, set-top boxes): its heading, the chart,
 * and a legend of the series' labels when there are several. */
static void card_panel(struct sbuf *o, const struct svg_chart *c, const char *head,
                       const char *const *labels, size_t n)
{
    sbuf_add(o, "<div class=\"panel\"><h4>");
    sbuf_add_html(o, head);
    sbuf_add(o, "</h4>");
    svg_chart(c, o);
    if (n > 1) {
        sbuf_add(o, "<div class=\"legend\">");
        for (size_t k = 0; k < n; k++) {
            sbuf_printf(o, "<span class=\"key\"><i style=\"border-color:%s\"></i>",
                        palette[k % N_PALETTE]);
            sbuf_add_html(o, labels[k]);
            sbuf_add(o, "</span>");
        }
        sbuf_add(o, "</div>");
    }
    sbuf_add(o, "</div>");
}

struct dht_series {
    const char *cols[2]; /* the second only for DH_RATE, summed */
    enum dht_how how;
    const char *label;
};

struct dht_panel {
    const char *suffix, *head, *ylabel;
    struct dht_series s[3];
    size_t n;
    double y_max; /* NaN: from the data */
};

static const struct dht_panel dht_panels[] = {
    {"lookups",
     "Lookups per second",
     "lookups per second (1/s)",
     {{{"req_ok", NULL}, DH_RATE, "found/s"},
      {{"dht_not_found", NULL}, DH_RATE, "not found/s"},
      {{"dht_lookup_failed", "req_timeout"}, DH_RATE, "failed + timed out/s"}},
     3,
     NAN},
    {"found",
     "Lookups found (% of those that ended)",
     "found (%)",
     {{{NULL, NULL}, DH_FOUND_PCT, "found"}},
     1,
     100},
    {"contacts",
     "Live contacts per node",
     "live contacts per node",
     {{{"dht_live_contacts", NULL}, DH_GAUGE, "live contacts per node"}},
     1,
     NAN},
    {"dead",
     "Dead share of routing-table entries",
     "dead share (%)",
     {{{"dht_dead_share", NULL}, DH_GAUGE_PCT, "dead share"}},
     1,
     NAN},
};
#define N_DHT_PANELS (sizeof dht_panels / sizeof dht_panels[0])

/* One series of a dht panel: its points, or 0 when the run lacks a column. */
static size_t dht_points(struct pool *pl, const struct run *r, const struct dht_series *d,
                         double **xs, double **ys)
{
    static const char *const ended[] = {"req_ok", "dht_not_found", "dht_lookup_failed",
                                        "req_timeout"};
    const double *t = run_col(r, "t_s"), *c[4] = {0};
    size_t n_c = d->how == DH_FOUND_PCT ? 4 : d->cols[1] ? 2 : 1;
    for (size_t k = 0; k < n_c; k++)
        if (!(c[k] = run_col(r, d->how == DH_FOUND_PCT ? ended[k] : d->cols[k])))
            return 0;
    double *x = pool_doubles(pl, 2 * r->n_rows), *y = pool_doubles(pl, 2 * r->n_rows);
    size_t n = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        double dt = run_interval_at(r, i), v = c[0][i];
        if (d->how == DH_GAUGE || d->how == DH_GAUGE_PCT) { /* a level at the row's end */
            x[n] = t[i];
            y[n++] = d->how == DH_GAUGE_PCT ? 100 * v : v;
            continue;
        }
        if (d->how == DH_RATE) {
            v = dt > 0 ? (v + (c[1] ? c[1][i] : 0)) / dt : NAN;
        } else {
            double sum = 0;
            for (size_t k = 0; k < 4; k++)
                sum += c[k] ? c[k][i] : 0; /* all four are there (checked above) */
            v = sum > 0 ? 100 * v / sum : NAN;
        }
        x[n] = i ? t[i - 1] : 0;
        y[n++] = v;
        x[n] = t[i];
        y[n++] = v;
    }
    *xs = x;
    *ys = y;
    return n;
}

static void dht_panel(const struct page *p, size_t run, const struct dht_panel *d, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    struct pool pl = {0};
    struct svg_series s[3];
    size_t ns = 0;
    for (size_t k = 0; k < d->n; k++) {
        double *x, *y;
        size_t n = dht_points(&pl, r, &d->s[k], &x, &y);
        if (n)
            s[ns++] = (struct svg_series){
                .label = d->s[k].label, .x = x, .y = y, .n = n, .color = palette[k % N_PALETTE]};
    }
    char id[48];
    struct svg_chart c =
        card_chart(p, id, sizeof id, "dht", run, d->suffix, d->head, d->ylabel, s, ns);
    c.y_max = d->y_max;
    const char *labels[sizeof d->s / sizeof d->s[0]];
    for (size_t k = 0; k < d->n; k++)
        labels[k] = d->s[k].label;
    card_panel(o, &c, d->head, labels, d->n);
    pool_free(&pl);
}

/* Whether run i is a dht run with the dht columns (rundir.c writes them
 * after the others). */
static bool has_dht_card(const struct run *r)
{
    return run_is_dht(r) && r->n_rows && run_col(r, "dht_dead_share");
}

/* A dht run's lookups and routing tables: a card with a panel each for
 * the lookups per second by outcome, the found share, the live contacts
 * per node and the dead share of the routing-table entries. */
static void chart_dht(const struct page *p, size_t run, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    struct sbuf title;
    sbuf_init(&title);
    sbuf_printf(&title, "DHT of run #%zu %s", run + 1, r->label);
    sbuf_printf(o, "<figure class=\"card wide\" id=\"fig-dht%zu\"><h3>", run + 1);
    sbuf_add_html(o, sbuf_str(&title));
    sbuf_add(o, "</h3><p class=\"sub\">The users' lookups per second by outcome (found; not "
                "found: the lookup converged without the record; failed: nobody answered; timed "
                "out), retries included, and the share found of those that ended in each "
                "interval; the routing tables' live contacts per node (verified, no unanswered "
                "query) and the share of their entries with an unanswered query, at the end of "
                "each interval.</p><div class=\"panels\">");
    for (size_t k = 0; k < N_DHT_PANELS; k++)
        dht_panel(p, run, &dht_panels[k], o);
    sbuf_add(o, "</div></figure>\n");
    sbuf_free(&title);
}

/* ---- settop ---- */

/* How a settop panel's series is drawn: a per-interval value as steps over
 * the interval (0 = none in the interval: a gap, for the time to image); a
 * gauge at the row's end. */
enum st_how { SH_STEPS, SH_STEPS_GAP0, SH_GAUGE };

struct st_series {
    const char *col, *label;
    enum st_how how;
    double scale; /* multiplies the column: ms to s */
};

struct st_panel {
    const char *suffix, *head, *ylabel;
    struct st_series s[2];
    size_t n;
    bool y_integer;
};

static const struct st_panel st_panels[] = {
    {"egress",
     "Head-end egress",
     "channel rate (Mbit/s)",
     {{"egress_mbps", "egress Mbit/s", SH_STEPS, 1}},
     1,
     false},
    {"boxes",
     "Boxes fetching and online",
     "boxes",
     {{"fetching", "fetching", SH_GAUGE, 1}, {"online", "online", SH_GAUGE, 1}},
     2,
     true},
    {"image",
     "Time to image (boxes complete in the interval, from their first fetch)",
     "time to image (s)",
     {{"image_p50_ms", "p50", SH_STEPS_GAP0, 1e-3}, {"image_p99_ms", "p99", SH_STEPS_GAP0, 1e-3}},
     2,
     false},
};
#define N_ST_PANELS (sizeof st_panels / sizeof st_panels[0])

/* One series of a settop panel: its points, or 0 when the run lacks the
 * column. */
static size_t st_points(struct pool *pl, const struct run *r, const struct st_series *d,
                        double **xs, double **ys)
{
    const double *t = run_col(r, "t_s"), *c = run_col(r, d->col);
    if (!c)
        return 0;
    double *x = pool_doubles(pl, 2 * r->n_rows), *y = pool_doubles(pl, 2 * r->n_rows);
    size_t n = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        double v = c[i] * d->scale;
        if (d->how == SH_GAUGE) {
            x[n] = t[i];
            y[n++] = v;
            continue;
        }
        if (d->how == SH_STEPS_GAP0 && c[i] == 0)
            v = NAN; /* no box completed its image in the interval */
        x[n] = i ? t[i - 1] : 0;
        y[n++] = v;
        x[n] = t[i];
        y[n++] = v;
    }
    *xs = x;
    *ys = y;
    return n;
}

/* The egress panel's reference levels: the channel, and the carousel's
 * share of it when that is less (broadcast methods). */
static size_t st_levels(const struct run *r, struct pool *pl, struct svg_hline *h)
{
    static const char *const keys[] = {"channel_mbps", "carousel_mbps"};
    static const char *const what[] = {"channel", "carousel"};
    const char *m = json_string_value(json_object_get(run_settop(r), "method"));
    size_t n = 0;
    for (size_t k = 0; k < 2; k++) {
        double v;
        if (run_settop_number(r, keys[k], &v) != 1 || v <= 0)
            continue;
        if (k == 1 && ((m && !strcmp(m, "unicast")) || (n && v >= h[0].y)))
            continue;
        char val[FMT_LEN];
        struct sbuf b;
        sbuf_init(&b);
        fmt_value(UNIT_MBPS, v, val, sizeof val);
        trim_zeros(val);
        sbuf_printf(&b, "%s %s", what[k], val);
        h[n++] = (struct svg_hline){.y = v, .label = pool_str(pl, b.s), .dash = k ? "2 3" : NULL};
    }
    return n;
}

static void st_panel(const struct page *p, size_t run, const struct st_panel *d, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    struct pool pl = {0};
    struct svg_series s[2];
    struct svg_hline h[2];
    size_t ns = 0;
    for (size_t k = 0; k < d->n; k++) {
        double *x, *y;
        size_t n = st_points(&pl, r, &d->s[k], &x, &y);
        if (n)
            s[ns++] = (struct svg_series){
                .label = d->s[k].label, .x = x, .y = y, .n = n, .color = palette[k % N_PALETTE]};
    }
    char id[48];
    struct svg_chart c =
        card_chart(p, id, sizeof id, "settop", run, d->suffix, d->head, d->ylabel, s, ns);
    c.y_integer = d->y_integer;
    if (!strcmp(d->suffix, "egress")) {
        c.hlines = h;
        c.n_hlines = st_levels(r, &pl, h);
    }
    const char *labels[sizeof d->s / sizeof d->s[0]];
    for (size_t k = 0; k < d->n; k++)
        labels[k] = d->s[k].label;
    card_panel(o, &c, d->head, labels, d->n);
    pool_free(&pl);
}

/* Whether a run gets a settop card: a settop run with rows and some of
 * the settop columns (coordinator/rundir.c writes them in every run). */
static bool has_settop_card(const struct run *r)
{
    return run_is_settop(r) && r->n_rows &&
           (run_col(r, "egress_mbps") || run_col(r, "fetching") || run_col(r, "image_p50_ms"));
}

/* " Verified: 25 of the 100 boxes that completed their image stitched it
 * and checked its SHA-256; the other 75 completed by counting blocks, with
 * nothing stitched or checked (settop.verify 25.0%)." A counted box is never
 * called verified. */
static void st_verify_text(const struct run *r, struct sbuf *o)
{
    double verified, counted, share;
    if (run_settop_number(r, "boxes_verified", &verified) != 1 ||
        run_settop_number(r, "boxes_counted", &counted) != 1)
        return;
    const char *m = json_string_value(json_object_get(run_settop(r), "method"));
    bool fountain = m && !strcmp(m, "fountain"), unicast = m && !strcmp(m, "unicast");
    const char *verb = fountain ? "decoded" : unicast ? "downloaded" : "stitched";
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    fmt_value(UNIT_COUNT, verified, a, sizeof a);
    fmt_value(UNIT_COUNT, verified + counted, b, sizeof b);
    fmt_value(UNIT_COUNT, counted, c, sizeof c);
    const char *unit = fountain ? "symbols" : "blocks";
    if (verified > 0)
        sbuf_printf(o,
                    " Verified: %s of the %s boxes that completed their image %s it and "
                    "checked its SHA-256",
                    a, b, verb);
    else
        sbuf_printf(o,
                    " Verified: none; the %s boxes that completed their image did so by "
                    "counting %s, with nothing %s or checked",
                    b, unit, verb);
    if (verified > 0 && counted > 0)
        sbuf_printf(o, "; the other %s completed by counting %s, with nothing %s or checked", c,
                    unit, verb);
    /* Unicast boxes all verify: settop.verify is the broadcast methods'. */
    if (!unicast && run_settop_number(r, "verify_share", &share) == 1) {
        fmt_value(UNIT_PERCENT, 100 * share, a, sizeof a);
        sbuf_printf(o, " (settop.verify %s)", a);
    }
    sbuf_add(o, ".");
}

/* A settop run's channel and boxes: a card with a panel each for the
 * head-end's egress against the channel, the boxes fetching and online, and
 * the time to image of the boxes that completed it in each interval. */
static void chart_settop(const struct page *p, size_t run, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    const char *m = json_string_value(json_object_get(run_settop(r), "method"));
    struct sbuf title;
    sbuf_init(&title);
    sbuf_printf(&title, "Set-top boxes of run #%zu %s", run + 1, r->label);
    if (m)
        sbuf_printf(&title, " (%s)", m);
    sbuf_printf(o, "<figure class=\"card wide\" id=\"fig-settop%zu\"><h3>", run + 1);
    sbuf_add_html(o, sbuf_str(&title));
    sbuf_add(o, "</h3><p class=\"sub\">The head-end's rate on the shared downstream channel in "
                "each interval (he_egress_bytes &times; 8 / interval), against the channel's "
                "bitrate; the boxes fetching their image (receiving it, or waiting to retry a "
                "download) and the boxes online, at the end of each interval; the p50 and p99 "
                "time to image of the boxes that completed theirs in the interval, each from "
                "its first fetch after the boot delay (a gap where none did).");
    st_verify_text(r, o);
    sbuf_add(o, "</p><div class=\"panels\">");
    for (size_t k = 0; k < N_ST_PANELS; k++)
        st_panel(p, run, &st_panels[k], o);
    sbuf_add(o, "</div></figure>\n");
    sbuf_free(&title);
}

/* ---- target ---- */

/* How a target panel's series is drawn: counters (up to three, summed) per
 * second as steps; a gauge at the row's end; or one gauge minus another. */
enum tg_how { TG_RATE, TG_GAUGE, TG_GAUGE_MINUS };

struct tg_series {
    const char *cols[3];
    enum tg_how how;
    const char *label;
};

struct tg_panel {
    const char *suffix, *head, *ylabel;
    struct tg_series s[4];
    size_t n;
    bool y_integer;
    bool mqtt; /* only for an mqtt target */
};

/* The words that differ between the protocols are in the second table. */
static const struct tg_panel tg_panels[2][4] = {
    {{"answers",
      "Login requests per second by answer",
      "login requests per second (1/s)",
      {{{"login_ok"}, TG_RATE, "accepted/s"},
       {{"login_busy"}, TG_RATE, "refused (HTTP 429/503)/s"},
       {{"login_timeout"}, TG_RATE, "timed out/s"},
       {{"login_error", "login_fail"}, TG_RATE, "errors + other statuses/s"}},
      4,
      false,
      false},
     {"waiting",
      "Peers logging in",
      "peers",
      {{{"login_in_flight"}, TG_GAUGE, "in flight (connecting or awaiting the answer)"},
       {{"logging_in", "login_in_flight"}, TG_GAUGE_MINUS, "waiting to retry"}},
      2,
      true,
      false},
     {"presence",
      "Presence requests per second",
      "per second (1/s)",
      {{{"keepalives"}, TG_RATE, "presence requests/s"},
       {{"tgt_presence_fail"}, TG_RATE, "failed/s"},
       {{"online_lost"}, TG_RATE, "sessions lost/s"}},
      3,
      false,
      false},
     {"retry_after",
      "Refusals and Retry-After per second",
      "per second (1/s)",
      {{{"login_busy"}, TG_RATE, "refused/s"},
       {{"tgt_retry_after"}, TG_RATE, "with Retry-After/s"},
       {{"retry_slowed_hint"}, TG_RATE, "retries held back to it/s"}},
      3,
      false,
      false}},
    {{"answers",
      "CONNECTs per second by answer",
      "CONNECTs per second (1/s)",
      {{{"login_ok"}, TG_RATE, "accepted (CONNACK 0)/s"},
       {{"login_busy"}, TG_RATE, "refused (CONNACK 3)/s"},
       {{"login_timeout"}, TG_RATE, "timed out/s"},
       {{"login_error", "login_fail"}, TG_RATE, "errors + other CONNACKs/s"}},
      4,
      false,
      false},
     {"waiting",
      "Peers logging in",
      "peers",
      {{{"login_in_flight"}, TG_GAUGE, "in flight (connecting or awaiting CONNACK)"},
       {{"logging_in", "login_in_flight"}, TG_GAUGE_MINUS, "waiting to retry"}},
      2,
      true,
      false},
     {"presence",
      "PINGREQs per second",
      "per second (1/s)",
      {{{"keepalives"}, TG_RATE, "PINGREQs/s"},
       {{"tgt_presence_fail"}, TG_RATE, "no PINGRESP in time/s"},
       {{"online_lost"}, TG_RATE, "sessions lost/s"}},
      3,
      false,
      false},
     {"messages",
      "Messages per second",
      "messages per second (1/s)",
      {{{"mqtt_published"}, TG_RATE, "published/s"},
       {{"mqtt_pubacks"}, TG_RATE, "PUBACKs/s"},
       {{"mqtt_received"}, TG_RATE, "received/s"}},
      3,
      false,
      true}},
};

/* One series of a target panel: its points, or 0 when the run lacks a
 * column. */
static size_t tg_points(struct pool *pl, const struct run *r, const struct tg_series *d,
                        double **xs, double **ys)
{
    const double *t = run_col(r, "t_s"), *c[3] = {0};
    size_t n_c = 0;
    while (n_c < 3 && d->cols[n_c]) {
        if (!(c[n_c] = run_col(r, d->cols[n_c])))
            return 0;
        n_c++;
    }
    if (!t || !c[0] || (d->how == TG_GAUGE_MINUS && !c[1]))
        return 0; /* no time column, or a series without its columns */
    double *x = pool_doubles(pl, 2 * r->n_rows), *y = pool_doubles(pl, 2 * r->n_rows);
    size_t n = 0;
    for (size_t i = 0; i < r->n_rows; i++) {
        if (d->how != TG_RATE) { /* a level at the row's end */
            x[n] = t[i];
            double v = c[0][i];
            if (d->how == TG_GAUGE_MINUS && c[1])
                v -= c[1][i];
            y[n++] = v;
            continue;
        }
        double sum = 0, dt = run_interval_at(r, i);
        for (size_t k = 0; k < n_c; k++)
            sum += c[k][i];
        x[n] = i ? t[i - 1] : 0;
        y[n++] = dt > 0 ? sum / dt : NAN;
        x[n] = t[i];
        y[n++] = dt > 0 ? sum / dt : NAN;
    }
    *xs = x;
    *ys = y;
    return n;
}

static void tg_panel(const struct page *p, size_t run, const struct tg_panel *d, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    struct pool pl = {0};
    struct svg_series s[4];
    size_t ns = 0;
    for (size_t k = 0; k < d->n; k++) {
        double *x, *y;
        size_t n = tg_points(&pl, r, &d->s[k], &x, &y);
        if (n)
            s[ns++] = (struct svg_series){
                .label = d->s[k].label, .x = x, .y = y, .n = n, .color = palette[k % N_PALETTE]};
    }
    char id[48];
    struct svg_chart c =
        card_chart(p, id, sizeof id, "target", run, d->suffix, d->head, d->ylabel, s, ns);
    c.y_integer = d->y_integer;
    const char *labels[sizeof d->s / sizeof d->s[0]];
    for (size_t k = 0; k < d->n; k++)
        labels[k] = d->s[k].label;
    card_panel(o, &c, d->head, labels, d->n);
    pool_free(&pl);
}

/* Whether a run gets a target card: a target run with rows and the target
 * columns (coordinator/rundir.c writes them in every run it makes since). */
static bool has_target_card(const struct run *r)
{
    return run_is_target(r) && r->n_rows && run_col(r, "tgt_requests");
}

/* A target run's real server: a card with a panel each for the login
 * requests by answer, the peers logging in (in flight, waiting to retry),
 * the presence requests or PINGREQs, and an mqtt run's messages. */
static void chart_target(const struct page *p, size_t run, struct sbuf *o)
{
    const struct run *r = &p->runs[run];
    struct run_target_server srv;
    run_target_server(r, &srv);
    bool mqtt = srv.protocol && !strcmp(srv.protocol, "mqtt");
    struct sbuf title;
    sbuf_init(&title);
    sbuf_printf(&title, "Target of run #%zu %s (%s", run + 1, r->label,
                mqtt           ? (srv.tls == 1 ? "mqtts" : "mqtt")
                : srv.tls == 0 ? "http"
                               : "https");
    sbuf_printf(&title, "://%s", srv.host ? srv.host : srv.address ? srv.address : "?");
    if (srv.port >= 0)
        sbuf_printf(&title, ":%ld", srv.port);
    sbuf_add(&title, ")");
    sbuf_printf(o, "<figure class=\"card wide\" id=\"fig-target%zu\"><h3>", run + 1);
    sbuf_add_html(o, sbuf_str(&title));
    sbuf_add(o, "</h3><p class=\"sub\">");
    sbuf_add(o, mqtt ? "A real MQTT broker, not an emulated server: its capacity is unknown "
                       "(bootstorm sees only its answers). Per interval: the CONNECTs by the "
                       "broker's answer (CONNACK 0 accepted, CONNACK 3 refused; timed out; "
                       "errors: no connection or a broken one, and other CONNACK codes); the "
                       "peers logging in, in flight or waiting to retry, at the interval's end; "
                       "the online peers' PINGREQs, those without a PINGRESP in time and the "
                       "sessions lost; the messages published, acknowledged (PUBACK) and "
                       "received."
                     : "A real HTTPS login API, not an emulated server: its capacity is unknown "
                       "(bootstorm sees only its answers). Per interval: the login requests by "
                       "the server's answer (a success status accepted, 429 or 503 refused; "
                       "timed out; errors: no connection or a broken one, and other statuses); "
                       "the peers logging in, in flight or waiting to retry, at the interval's "
                       "end; the online peers' presence requests, those that failed and the "
                       "sessions lost.");
    double ra, busy;
    if (!mqtt && run_target_number(r, "refused_with_retry_after", &ra) == 1 &&
        run_target_number(r, "refused", &busy) == 1) {
        char a[FMT_LEN], b[FMT_LEN];
        fmt_value(UNIT_COUNT, ra, a, sizeof a);
        fmt_value(UNIT_COUNT, busy, b, sizeof b);
        sbuf_printf(o, " Retry-After: on %s of the %s refusals.", a, b);
    }
    sbuf_add(o, "</p><div class=\"panels\">");
    const struct tg_panel *set = tg_panels[mqtt ? 1 : 0];
    for (size_t k = 0; k < 4; k++)
        if (set[k].suffix && (!set[k].mqtt || mqtt))
            tg_panel(p, run, &set[k], o);
    sbuf_add(o, "</div></figure>\n");
    sbuf_free(&title);
}

/* Every run's scale actions, in the order they took effect. */
static void scale_table(const struct page *p, struct sbuf *o)
{
    sbuf_add(o, "<div class=\"scroll\"><table class=\"runs\"><thead><tr><th>#</th><th>run</th>"
                "<th>decided (s)</th><th>in effect (s)</th><th>data centre</th><th>action</th>"
                "<th>servers after</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        size_t *order = run_scale_order(r);
        for (size_t k = 0; k < r->n_scale; k++) {
            const struct scale_action *s = &r->scale[order[k]];
            sbuf_printf(o, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%zu</td><td>",
                        color_of(p, i), i + 1);
            sbuf_add_html(o, r->label);
            sbuf_printf(o, "</td><td>%.1f</td><td>%.1f</td><td>", s->decided_s, s->at_s);
            sbuf_add_html(o, s->datacenter);
            sbuf_printf(o, "</td><td>%c%d</td><td>%d</td></tr>\n", s->up ? '+' : '-', s->count,
                        s->servers);
        }
        free(order);
    }
    sbuf_add(o, "</tbody></table></div>\n");
}

/* ---- tables ---- */

static bool run_valid(const struct run *r)
{
    return json_is_true(json_object_get(json_object_get(r->summary, "fidelity"), "valid"));
}

static size_t emu_bound_count(const struct run *r)
{
    size_t n = 0;
    for (int k = 0; k < EMU_FIGURES; k++)
        n += figure_emu_verdict(r, emu_figure_keys[k], NULL) == FVD_BOUND;
    return n;
}

/* " Emulator-bound (share of the figure that was the emulator's own
 * delay, limit 10%): t99 62%, login p99 40%." */
static void emu_bound_list(const struct run *r, struct sbuf *o)
{
    if (!emu_bound_count(r))
        return;
    double limit = figure_emu_limit(r);
    sbuf_add(o, " Emulator-bound (the emulator's own delay as a share of the figure");
    if (isfinite(limit))
        sbuf_printf(o, ", limit %.0f%%", 100 * limit);
    sbuf_add(o, "):");
    size_t n = 0;
    for (int k = 0; k < EMU_FIGURES; k++) {
        double share;
        if (figure_emu_verdict(r, emu_figure_keys[k], &share) != FVD_BOUND)
            continue;
        sbuf_printf(o, "%s %s", n++ ? "," : "", emu_figure_names[k]);
        if (isfinite(share))
            sbuf_printf(o, " %.0f%%", 100 * share);
    }
    sbuf_add(o, ".");
}

static void banners(const struct page *p, struct sbuf *o)
{
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        if (!run_valid(r)) {
            json_t *why = json_object_get(json_object_get(r->summary, "fidelity"), "reason");
            sbuf_add(o, "<div class=\"banner fidelity\" role=\"alert\"><strong>Fidelity "
                        "warning: run ");
            sbuf_printf(o, "#%zu ", i + 1);
            sbuf_add_html(o, r->label);
            sbuf_add(o, "</strong> is not a valid measurement: ");
            sbuf_add_html(o, json_is_string(why) ? json_string_value(why) : "no reason given");
            sbuf_add(o, ". Its figures may show the emulator's limits rather than the system's.");
            emu_bound_list(r, o);
            sbuf_add(o, "</div>\n");
        } else if (emu_bound_count(r)) {
            sbuf_add(o, "<div class=\"banner emulator\"><strong>Emulator-bound figures in run ");
            sbuf_printf(o, "#%zu ", i + 1);
            sbuf_add_html(o, r->label);
            sbuf_add(o, "</strong>: the run is valid, but these figures owe more than the limit "
                        "to the emulator's own delay, not to the system.");
            emu_bound_list(r, o);
            sbuf_add(o, "</div>\n");
        }
        if (!r->complete) {
            sbuf_add(o, "<div class=\"banner incomplete\"><strong>Incomplete run ");
            sbuf_printf(o, "#%zu ", i + 1);
            sbuf_add_html(o, r->label);
            sbuf_add(o, "</strong>: ");
            sbuf_add_html(o, run_incomplete_reason(r));
            sbuf_add(o, ". Its figures cover only the intervals every rank reported");
            if (r->rows_only)
                sbuf_add(o, ", and there are no per-peer figures (time to online, latency "
                            "percentiles): the run ended before its final gathers");
            sbuf_add(o, ".</div>\n");
        }
    }
}

static bool any_estimated(const struct page *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->runs[i].cap_estimated && p->runs[i].n_cap[RUN_SRV_LOGIN])
            return true;
    return false;
}

static void stat_cards(const struct page *p, struct sbuf *o)
{
    /* One scenario: its headline figures (group means over seeds). */
    static const enum fig_id cards[] = {FIG_ONLINE_PCT,       FIG_T95,       FIG_AMPLIFICATION,
                                        FIG_PEAK_RPS,         FIG_CAPACITY,  FIG_TGT_REFUSED,
                                        FIG_LOOKUP_FOUND_PCT, FIG_IMAGE_T95, FIG_EGRESS_PEAK,
                                        FIG_LAG_P99};
    static const char *const what[] = {"online at end",        "t95: 95% online",
                                       "amplification",        "peak attempts/s",
                                       "mean login capacity",  "refused by the server",
                                       "dht lookups found",    "t95: 95% have the image",
                                       "peak head-end egress", "timer lag p99"};
    if (p->cmp.n_groups != 1)
        return;
    sbuf_add(o, "<div class=\"cards\">");
    for (size_t k = 0; k < sizeof cards / sizeof cards[0]; k++) {
        /* Not for runs that have no such figure (no login in a trackerless
         * DHT or under settop, no lookups or images elsewhere). */
        if (!p->cmp.shown[cards[k]] || p->cmp.grp[0][cards[k]].n_absent == p->cmp.groups[0].n)
            continue;
        char v[128];
        cmp_group_cell(&p->cmp, 0, cards[k], v, sizeof v);
        /* A real server's capacity: unknown, not a number (architecture
         * target). */
        bool unknown = cards[k] == FIG_CAPACITY && p->cmp.grp[0][cards[k]].n_null &&
                       figure_null_reason(&p->runs[p->cmp.groups[0].members[0]], cards[k]);
        if (unknown) {
            sbuf_add(o, "<div class=\"stat\"><div class=\"v\">unknown</div><div class=\"k\">"
                        "login capacity (a real server)</div></div>");
            continue;
        }
        sbuf_add(o, "<div class=\"stat\"><div class=\"v\">");
        char *pm = strstr(v, " ± ");
        if (pm) { /* "1.68 ± 0.02 s": the interval in smaller type */
            *pm = '\0';
            sbuf_add_html(o, v);
            sbuf_add(o, "<small> &plusmn; ");
            sbuf_add_html(o, pm + strlen(" ± "));
            sbuf_add(o, "</small>");
        } else {
            sbuf_add_html(o, v);
        }
        sbuf_add(o, "</div><div class=\"k\">");
        sbuf_add_html(o, what[k]);
        if (cards[k] == FIG_CAPACITY && any_estimated(p))
            sbuf_add(o, " (estimated from the scenario)");
        sbuf_add(o, "</div></div>");
    }
    /* The recovery verdict, when the runs have one. */
    const struct cmp_group_value *rec = &p->cmp.grp[0][FIG_RECOVERED];
    size_t known = p->cmp.groups[0].n - rec->n_null - rec->n_absent;
    if (known) {
        char v[96], t[FMT_LEN];
        bool all = rec->n_true == known;
        if (p->n == 1 && all && p->cmp.run[0][FIG_RECOVERY_S].state == FV_VALUE) {
            fmt_value(UNIT_SECONDS, p->cmp.run[0][FIG_RECOVERY_S].v, t, sizeof t);
            snprintf(v, sizeof v, "yes <small>in %s</small>", t);
        } else if (p->n == 1) {
            snprintf(v, sizeof v, "%s", all ? "yes" : "NO");
        } else {
            snprintf(v, sizeof v, "%zu/%zu", rec->n_true, known);
        }
        sbuf_printf(o,
                    "<div class=\"stat %s\"><div class=\"v\">%s</div><div class=\"k\">"
                    "recovered</div></div>",
                    all ? "ok" : "bad", v);
    }
    bool all_valid = true;
    for (size_t i = 0; i < p->n; i++)
        all_valid &= run_valid(&p->runs[i]);
    sbuf_printf(o,
                "<div class=\"stat %s\"><div class=\"v\">%s</div><div class=\"k\">fidelity"
                "</div></div></div>\n",
                all_valid ? "ok" : "bad", all_valid ? "valid" : "NOT valid");
}

static void th_run(const struct page *p, size_t i, struct sbuf *o)
{
    sbuf_printf(o, "<th scope=\"col\"><span class=\"sw\" style=\"background:%s\"></span>#%zu ",
                color_of(p, i), i + 1);
    sbuf_add_html(o, p->runs[i].label);
    sbuf_add(o, "<br><small>seed ");
    sbuf_add_html(o, p->runs[i].seed);
    if (p->n_arch > 1) {
        sbuf_add(o, " · ");
        sbuf_add_html(o, run_architecture(&p->runs[i]));
    }
    if (p->by_group) {
        sbuf_add(o, " · group ");
        sbuf_add(o, p->cmp.groups[key_of(p, i)].id);
    }
    sbuf_add(o, "</small></th>");
}

static bool is_bad(enum fig_id f, const struct cmp_value *cv)
{
    return cv->state == FV_VALUE &&
           ((f == FIG_FIDELITY_VALID && cv->v == 0) || (f == FIG_METASTABLE && cv->v != 0) ||
            (f == FIG_RECOVERED && cv->v == 0));
}

/* One scenario: its figures (means ± CI over the seeds) as a compact grid
 * of label/value pairs. */
static void group_grid(const struct page *p, struct sbuf *o)
{
    sbuf_add(o, "<div class=\"kv\">");
    for (int f = 0; f < FIG_COUNT; f++) {
        if (!p->cmp.shown[f])
            continue;
        char v[128];
        cmp_group_cell(&p->cmp, 0, (enum fig_id)f, v, sizeof v);
        bool bad = false;
        for (size_t i = 0; i < p->n; i++)
            bad |= is_bad((enum fig_id)f, &p->cmp.run[i][f]);
        sbuf_printf(o, "<div><span>%s</span><b%s>", figure_defs[f].label,
                    bad ? " class=\"bad\"" : "");
        sbuf_add_html(o, v);
        sbuf_add(o, "</b></div>");
    }
    sbuf_add(o, "</div>\n");
    if (p->n > 1)
        sbuf_add(o, "<p class=\"note\">Mean &plusmn; 95% confidence interval over the seeds "
                    "(Student t, n&minus;1 degrees of freedom); no interval where every run had "
                    "the same value.</p>\n");
}

/* A table cell: the value, and under it the change (delta) in small print;
 * both escaped. cls and delta_cls are CSS classes (cls may be NULL). */
static void value_cell(struct sbuf *o, const char *cls, const char *v, const char *delta_cls,
                       const char *d)
{
    if (cls)
        sbuf_printf(o, "<td class=\"%s\">", cls);
    else
        sbuf_add(o, "<td>");
    sbuf_add_html(o, v);
    if (*d) {
        sbuf_printf(o, "<span class=\"%s\">", delta_cls);
        sbuf_add_html(o, d);
        sbuf_add(o, "</span>");
    }
    sbuf_add(o, "</td>");
}

static void run_table(const struct page *p, struct sbuf *o)
{
    const struct cmp *c = &p->cmp;
    sbuf_add(o, "<div class=\"scroll\"><table class=\"figs\"><thead><tr><th "
                "scope=\"col\">figure</th>");
    for (size_t i = 0; i < p->n; i++)
        th_run(p, i, o);
    sbuf_add(o, "</tr></thead><tbody>\n");
    for (int f = 0; f < FIG_COUNT; f++) {
        if (!c->shown[f])
            continue;
        sbuf_printf(o, "<tr><th scope=\"row\">%s</th>", figure_defs[f].label);
        for (size_t i = 0; i < p->n; i++) {
            char v[96], d[96];
            cmp_run_cell(c, i, (enum fig_id)f, v, sizeof v);
            cmp_run_delta(c, i, (enum fig_id)f, d, sizeof d);
            value_cell(o, is_bad((enum fig_id)f, &c->run[i][f]) ? "bad" : NULL, v, "delta", d);
        }
        sbuf_add(o, "</tr>\n");
    }
    sbuf_add(o, "</tbody></table></div>\n");
    if (p->n > 1)
        sbuf_add(o, "<p class=\"note\">Small print under a value: change from run #1.</p>\n");
}

static void group_table(const struct page *p, struct sbuf *o)
{
    const struct cmp *c = &p->cmp;
    sbuf_add(o, "<div class=\"scroll\"><table class=\"figs\"><thead><tr><th "
                "scope=\"col\">figure</th>");
    for (size_t g = 0; g < c->n_groups; g++) {
        sbuf_printf(o,
                    "<th scope=\"col\"><span class=\"sw\" style=\"background:%s\"></span>group "
                    "%s <small>(n=%zu)</small><br><small>",
                    palette[g % N_PALETTE], c->groups[g].id, c->groups[g].n);
        sbuf_add_html(o, c->groups[g].desc);
        sbuf_add(o, "</small></th>");
    }
    sbuf_add(o, "</tr></thead><tbody>\n");
    for (int f = 0; f < FIG_COUNT; f++) {
        if (!c->shown[f])
            continue;
        sbuf_printf(o, "<tr><th scope=\"row\">%s</th>", figure_defs[f].label);
        for (size_t g = 0; g < c->n_groups; g++) {
            char v[128], d[128];
            cmp_group_cell(c, g, (enum fig_id)f, v, sizeof v);
            cmp_group_delta(c, g, (enum fig_id)f, d, sizeof d);
            value_cell(o, NULL, v, c->grp[g][f].sig == SIG_YES ? "delta sig" : "delta", d);
        }
        sbuf_add(o, "</tr>\n");
    }
    sbuf_add(o, "</tbody></table></div>\n<p class=\"note\">Mean &plusmn; 95% confidence "
                "interval over the seeds of each group (Student t, n&minus;1 degrees of "
                "freedom). Small print: change of the mean from group A; <b>*</b> marks a "
                "significant difference, meaning the two intervals do not overlap (a "
                "conservative rule), <b>ns</b> one where they overlap. Groups of one run have "
                "no interval.</p>\n");
}

static void runs_table(const struct page *p, struct sbuf *o)
{
    sbuf_add(o, "<div class=\"scroll wide\"><table class=\"runs\"><thead><tr><th>#</th><th>run"
                "</th><th>scenario</th><th>seed</th><th>started (UTC)</th><th>ranks</th>"
                "<th>hosts</th><th>bootstorm</th><th>overrides</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct run *r = &p->runs[i];
        json_t *root = r->root;
        sbuf_printf(o, "<tr><td><span class=\"sw\" style=\"background:%s\"></span>%zu</td><td>",
                    color_of(p, i), i + 1);
        sbuf_add_html(o, r->label);
        sbuf_add(o, "<br><small>");
        sbuf_add_html(o, r->path);
        sbuf_add(o, "</small></td><td>");
        sbuf_add_html(o, r->name);
        json_t *file = json_object_get(root, "scenario_file");
        if (json_is_string(file)) {
            sbuf_add(o, "<br><small>");
            sbuf_add_html(o, json_string_value(file));
            sbuf_add(o, "</small>");
        }
        sbuf_add(o, "</td><td>");
        sbuf_add_html(o, r->seed);
        sbuf_add(o, "</td><td>");
        json_t *st = json_object_get(root, "started_at");
        sbuf_add_html(o, json_is_string(st) ? json_string_value(st) : "");
        sbuf_add(o, "</td><td>");
        json_t *ws = json_object_get(root, "world_size");
        if (json_is_integer(ws))
            sbuf_printf(o, "%lld", (long long)json_integer_value(ws));
        sbuf_add(o, "</td><td>");
        json_t *hosts = json_object_get(root, "hosts");
        for (size_t h = 0; h < json_array_size(hosts); h++)
            if (json_is_string(json_array_get(hosts, h))) {
                if (h)
                    sbuf_add(o, ", ");
                sbuf_add_html(o, json_string_value(json_array_get(hosts, h)));
            }
        sbuf_add(o, "</td><td>");
        json_t *ver = json_object_get(root, "version"), *com = json_object_get(root, "commit");
        sbuf_add_html(o, json_is_string(ver) ? json_string_value(ver) : "");
        if (json_is_string(com)) {
            sbuf_add(o, " <small>");
            sbuf_add_html(o, json_string_value(com));
            sbuf_add(o, "</small>");
        }
        sbuf_add(o, "</td><td class=\"ov\">");
        json_t *ov = json_object_get(root, "overrides");
        for (size_t k = 0; k < json_array_size(ov); k++)
            if (json_is_string(json_array_get(ov, k))) {
                sbuf_add(o, "<code>");
                sbuf_add_html(o, json_string_value(json_array_get(ov, k)));
                sbuf_add(o, "</code> ");
            }
        sbuf_add(o, "</td></tr>\n");
    }
    sbuf_add(o, "</tbody></table></div>\n");
    /* The resolved scenario of each group, collapsed. */
    for (size_t g = 0; g < p->cmp.n_groups; g++) {
        const struct run *r = &p->runs[p->cmp.groups[g].members[0]];
        char *js = json_dumps(r->scenario, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        sbuf_add(o, "<details><summary>Resolved scenario");
        if (p->cmp.n_groups > 1)
            sbuf_printf(o, " of group %s", p->cmp.groups[g].id);
        sbuf_add(o, " (");
        sbuf_add_html(o, r->label);
        sbuf_add(o, ")</summary><pre>");
        sbuf_add_html(o, js ? js : "");
        sbuf_add(o, "</pre></details>\n");
        free(js);
    }
}

/* ---- page ---- */

static const char css[] =
    ":root{--fg:#1d232d;--muted:#5f6775;--line:#e3e6eb;--bg:#f5f6f8;--card:#fff;"
    "--bad:#b42318;--badbg:#fef1f0;--warnbg:#fff7e6;--ok:#127a4a}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1320px;margin:0 auto;padding:24px 28px 40px}\n"
    "header h1{font-size:24px;margin:0 0 2px;letter-spacing:-.01em}\n"
    "header p{margin:0;color:var(--muted)}\n"
    "h2{font-size:17px;margin:30px 0 10px}\n"
    "h3{font-size:15px;margin:0}\n"
    ".sub{margin:2px 0 6px;color:var(--muted);font-size:12.5px;line-height:1.35}\n"
    ".banner{border-radius:8px;padding:10px 14px;margin:14px 0;border:1px solid}\n"
    ".banner.fidelity{background:var(--badbg);border-color:#f4b4ad;color:#7a1a12}\n"
    ".banner.incomplete,.banner.emulator{background:var(--warnbg);border-color:#f5cf83;"
    "color:#6b4a00}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0 6px}\n"
    ".stat{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:10px 16px;min-width:128px;flex:1}\n"
    ".stat .v{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}.stat .v small{font-size:14px;font-weight:500}\n"
    ".stat .k{color:var(--muted);font-size:12.5px}\n"
    ".stat.ok .v{color:var(--ok)} .stat.bad .v{color:var(--bad)}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:14px 16px 10px;margin:0;break-inside:avoid;page-break-inside:avoid}\n"
    "svg.chart{display:block;width:100%;height:auto}\n"
    "svg .tick{font-size:11px;fill:#4b5260;font-variant-numeric:tabular-nums}\n"
    "svg .axis{font-size:12px;fill:#2f3542}\n"
    "svg .event{font-size:10.5px;fill:#4b5260;paint-order:stroke;stroke:#fff;"
    "stroke-width:3px;stroke-linejoin:round}\n"
    "svg text.ref{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;"
    "stroke-width:3px;stroke-linejoin:round}\n"
    "svg .empty{font-size:13px;fill:#8a919c}\n"
    "svg text.mark{font-size:10.5px;font-weight:600;paint-order:stroke;stroke:#fff;"
    "stroke-width:3px;stroke-linejoin:round}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:4px 0 2px;font-size:12.5px;"
    "color:var(--muted)}\n"
    ".key i{display:inline-block;width:22px;height:0;border-top:3px solid #333;"
    "vertical-align:middle;margin-right:6px}\n"
    ".key.style i.band{border-top:6px solid rgba(60,70,85,.32)}.key.style i.dashed{"
    "border-top:2px dashed #2f3542}\n"
    ".key.style i.tick{width:2px;height:12px;border-top:0;background:#2f3542;"
    "vertical-align:-1px;margin:0 8px 0 10px}\n"
    ".card.wide{grid-column:1/-1}\n"
    ".panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:4px 14px}\n"
    ".panels h4{font-size:13px;font-weight:600;margin:6px 0 0;color:var(--muted)}\n"
    ".scroll{display:inline-block;max-width:100%;overflow-x:auto;background:var(--card);"
    "border:1px solid var(--line);border-radius:10px;vertical-align:top}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
    "table.runs{min-width:100%}.scroll.wide{display:block}\n"
    "th,td{padding:6px 12px;text-align:right;border-bottom:1px solid var(--line);"
    "vertical-align:top;white-space:nowrap}\n"
    "thead th{background:#fafbfc;font-weight:600;vertical-align:bottom}\n"
    "tbody th,table.runs td,table.runs th,thead th:first-child{text-align:left;"
    "font-weight:500}\n"
    "td{min-width:90px}\n"
    "tbody tr:last-child>*{border-bottom:0}\n"
    "td.bad{color:var(--bad);font-weight:600}\n"
    ".delta{display:block;font-size:11.5px;color:var(--muted)}\n"
    ".delta.sig{color:#1d232d;font-weight:600}\n"
    "small{color:var(--muted);font-weight:400}\n"
    ".sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}\n"
    "table.runs td{white-space:normal}\n"
    "td.ov code{font-size:12px;background:#f1f3f6;padding:1px 4px;border-radius:4px;"
    "margin-right:2px;display:inline-block}\n"
    ".note{color:var(--muted);font-size:12.5px;margin:6px 2px}\n"
    ".kv{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:0 28px;"
    "background:var(--card);border:1px solid var(--line);border-radius:10px;padding:6px 16px}\n"
    ".kv div{display:flex;justify-content:space-between;padding:5px 0;"
    "border-bottom:1px solid var(--line)}\n"
    ".kv b{font-weight:600;font-variant-numeric:tabular-nums}.kv b.bad{color:var(--bad)}\n"
    "details{margin:10px 0}summary{cursor:pointer;color:var(--muted)}\n"
    "pre{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px;"
    "overflow:auto;font-size:12px}\n"
    "footer{margin-top:28px;color:var(--muted);font-size:12px}\n"
    "@media (max-width:620px){.charts{grid-template-columns:1fr}main{padding:16px}}\n"
    "@page{size:A4;margin:12mm}\n"
    "@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}"
    ".charts{display:block}.card{margin:0 0 6mm;border-color:#ccc}"
    ".stat,.scroll{border-color:#ccc}.scroll{overflow:visible}"
    ".banner,.sw,.stat{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "h2{break-after:avoid;page-break-after:avoid}table{page-break-inside:auto}"
    "tr{break-inside:avoid}details{display:none}}\n";

static char *default_title(const struct page *p)
{
    struct sbuf b;
    sbuf_init(&b);
    sbuf_add(&b, "bootstorm report: ");
    for (size_t i = 0; i < p->n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= !strcmp(p->runs[i].name, p->runs[j].name);
        if (seen)
            continue;
        if (i)
            sbuf_add(&b, ", ");
        sbuf_add(&b, p->runs[i].name);
    }
    return b.s;
}

void report_html(const struct run *runs, size_t n, const struct report_opts *o, struct sbuf *out)
{
    struct page p;
    page_init(&p, runs, n);
    char *title = o->title ? xstrdup(o->title) : default_title(&p);

    sbuf_add(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<meta name=\"generator\" content=\"bootstorm-results\">\n<title>");
    sbuf_add_html(out, title);
    sbuf_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<header><h1>", css);
    sbuf_add_html(out, title);
    sbuf_printf(out, "</h1><p>%zu run%s", n, n == 1 ? "" : "s");
    if (p.cmp.n_groups > 1 || p.by_group)
        sbuf_printf(out, " in %zu group%s (same scenario, different seeds)", p.cmp.n_groups,
                    p.cmp.n_groups == 1 ? "" : "s");
    if (n == 1) {
        sbuf_add(out, " · seed ");
        sbuf_add_html(out, runs[0].seed);
        sbuf_add(out, " · ");
        sbuf_add_html(out, runs[0].path);
    }
    sbuf_add(out, "</p></header>\n");

    banners(&p, out);
    stat_cards(&p, out);

    /* The headline table first; the per-run one after the charts when the
     * headline shows groups. */
    sbuf_add(out, "<h2>Summary</h2>\n");
    if (p.cmp.n_groups == 1)
        group_grid(&p, out);
    else if (p.by_group)
        group_table(&p, out);
    else
        run_table(&p, out);

    struct sbuf note;
    sbuf_init(&note);
    if (cmp_any_bound(&p.cmp)) {
        cmp_bound_note(&p.cmp, p.by_group || p.cmp.n_groups == 1, &note);
        sbuf_add(out, "<p class=\"note\">");
        sbuf_add_html(out, sbuf_str(&note));
        sbuf_add(out, ".</p>\n");
        sbuf_reset(&note);
    }
    if (cmp_estimated_note(&p.cmp, &note)) {
        sbuf_add(out, "<p class=\"note\">");
        sbuf_add_html(out, sbuf_str(&note));
        sbuf_add(out, ".</p>\n");
        sbuf_reset(&note);
    }
    if (cmp_null_note(&p.cmp, &note)) {
        sbuf_add(out, "<p class=\"note\">");
        sbuf_add_html(out, sbuf_str(&note));
        sbuf_add(out, ".</p>\n");
    }
    sbuf_free(&note);

    sbuf_add(out, "<h2>Charts</h2>\n<div class=\"charts\">\n");
    if (p.n_arch > 1)
        chart_arch(&p, out);
    /* A trackerless DHT and the set-top boxes have no login servers, nor
     * supernodes: their charts only when some run has them. */
    bool any_login = false, no_supernodes = true, any_login_servers = false, any_load = false;
    for (size_t i = 0; i < n; i++) {
        any_login |= run_uses_login(&runs[i]);
        /* A target run's peers log in, but to a real server: no login
         * servers, supernodes nor registration tier of its own. */
        any_login_servers |= run_uses_login(&runs[i]) && has_emulated_servers(&runs[i]);
        no_supernodes &= run_is_dht(&runs[i]) || run_is_settop(&runs[i]) || run_is_target(&runs[i]);
        any_load |= has_emulated_servers(&runs[i]) && run_col(&runs[i], "server_load");
    }
    bool any_target = false;
    for (size_t i = 0; i < n; i++)
        any_target |= run_is_target(&runs[i]);
    chart_gauge(&p, out, "online", "Peers online",
                any_target ? "Share of all peers online (registered with a supernode or a presence "
                             "server, joined the DHT, set-top boxes registered with their "
                             "head-end, or logged in to the real server of a target run) at the "
                             "end of each interval. Dashed verticals: scheduled events."
                           : "Share of all peers online (registered with a supernode or a presence "
                             "server, joined the DHT, or set-top boxes registered with their "
                             "head-end) at the end of each interval. Dashed verticals: scheduled "
                             "events.",
                "online", "peers online (%)", G_PEERS_PCT);
    if (any_login)
        chart_rates(&p, out, false);
    if (any_login_servers)
        chart_gauge_of(&p, out, "ls_queue", "Login-server queue",
                       "Login requests waiting for a worker, summed over all login servers, at "
                       "the end of each interval.",
                       "ls_queue", "queued login requests", G_RAW, has_emulated_servers);
    if (!no_supernodes)
        chart_gauge_of(&p, out, "sn_count", "Supernodes",
                       "Supernodes running at the end of each interval.", "sn_count",
                       "supernodes running", G_RAW, has_emulated_servers);
    if (any_load)
        chart_gauge_of(&p, out, "server_load", "Registration-tier load",
                       "Busy worker time / available worker time of the supernodes, the presence "
                       "servers, the DHT's bootstrap nodes or the head-end's registration server "
                       "in each interval (100% = saturated; it can pass 100% slightly at "
                       "interval edges).",
                       "server_load", "server load (%)", G_FRACTION_PCT, has_emulated_servers);
    if (any_login)
        chart_rates(&p, out, true);
    chart_lag(&p, out);
    chart_tto(&p, out);
    chart_skew(&p, out);
    for (size_t i = 0; i < n; i++)
        if (runs[i].n_dcs && runs[i].n_rows)
            chart_dc(&p, i, out);
    for (size_t i = 0; i < n; i++)
        if (has_dht_card(&runs[i]))
            chart_dht(&p, i, out);
    for (size_t i = 0; i < n; i++)
        if (has_settop_card(&runs[i]))
            chart_settop(&p, i, out);
    for (size_t i = 0; i < n; i++)
        if (has_target_card(&runs[i]))
            chart_target(&p, i, out);
    sbuf_add(out, "</div>\n");
    bool any_scale = false;
    for (size_t i = 0; i < n; i++)
        any_scale |= runs[i].n_scale > 0;
    if (any_scale) {
        sbuf_add(out, "<h2>Scale actions</h2>\n");
        scale_table(&p, out);
    }
    if (p.n > 1 && (p.by_group || p.cmp.n_groups == 1)) {
        sbuf_add(out, "<h2>Runs</h2>\n");
        run_table(&p, out);
    }
    sbuf_add(out, "<h2>Run details</h2>\n");
    runs_table(&p, out);
    sbuf_add(out, "<footer>Generated by bootstorm-results ");
    sbuf_add_html(out, o->version ? o->version : "");
    if (o->generated) {
        sbuf_add(out, " on ");
        sbuf_add_html(out, o->generated);
    }
    sbuf_add(out, ". Times are seconds from the run's start. Rates are per-interval counts "
                  "divided by the interval. See docs/results-tool.md.</footer>\n</main>\n"
                  "</body>\n</html>\n");
    free(title);
    page_free(&p);
}
