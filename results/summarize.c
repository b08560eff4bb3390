/* summarize.c - the summary subcommand. */
#include "summarize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "figures.h"
#include "fmt.h"
#include "sparkline.h"

#define LABEL_W 17

double *summarize_online_fraction(const struct run *r)
{
    double peers;
    const double *online = run_col(r, "online");
    if (!online || r->n_rows == 0 || run_number(r, "peers", &peers) != 1 || peers <= 0)
        return NULL;
    double *f = xcalloc(r->n_rows, sizeof *f);
    for (size_t i = 0; i < r->n_rows; i++)
        f[i] = online[i] / peers;
    return f;
}

static int by_time(const void *a, const void *b)
{
    const struct event_mark *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    return strcmp(x->kind, y->kind);
}

static void add_mark(struct event_mark **m, size_t *n, double t, const char *kind)
{
    for (size_t i = 0; i < *n; i++)
        if ((*m)[i].t_s == t && !strcmp((*m)[i].kind, kind))
            return;
    *m = xrealloc(*m, (*n + 1) * sizeof **m);
    (*m)[*n].t_s = t;
    snprintf((*m)[*n].kind, sizeof(*m)[*n].kind, "%s", kind);
    (*n)++;
}

size_t summarize_event_marks(const struct run *r, struct event_mark **out)
{
    struct event_mark *m = NULL;
    size_t n = 0;
    if (r->has_events) {
        for (size_t i = 0; i < r->n_events; i++)
            add_mark(&m, &n, r->events[i].scheduled_s, r->events[i].kind);
    } else {
        /* Scenario form: [{"at": "12s", "reboot": {...}}, ...] */
        json_t *evs = run_scenario_get(r, "events");
        for (size_t i = 0; i < json_array_size(evs); i++) {
            json_t *e = json_array_get(evs, i), *at = json_object_get(e, "at");
            int64_t ns;
            if (!json_is_string(at) || scenario_parse_duration(json_string_value(at), &ns) != 0)
                continue;
            const char *k;
            json_t *v;
            json_object_foreach(e, k, v)
            {
                if (json_is_object(v)) {
                    add_mark(&m, &n, (double)ns / 1e9, k);
                    break;
                }
            }
        }
    }
    if (n)
        qsort(m, n, sizeof *m, by_time);
    *out = m;
    return n;
}

static void line_label(struct sbuf *out, const char *label)
{
    sbuf_add(out, label);
    sbuf_pad(out, LABEL_W - utf8_width(label));
}

static enum fig_state fig(const struct run *r, enum fig_id id, char *buf, size_t len, double *v)
{
    double x = NAN;
    enum fig_state s = figure_value(r, id, &x);
    if (s == FV_VALUE)
        fmt_value(figure_defs[id].unit, x, buf, len);
    else
        snprintf(buf, len, "%s", s == FV_NULL ? figure_defs[id].null_word : "n/a");
    if (v)
        *v = x;
    return s;
}

static double num_or(const struct run *r, const char *key, double dflt)
{
    double v;
    return run_number(r, key, &v) == 1 ? v : dflt;
}

/* Event markers under the sparkline: '^' and the kind where it fits. */
static void event_line(const struct run *r, size_t cols, struct sbuf *out)
{
    struct event_mark *m;
    size_t n = summarize_event_marks(r, &m);
    const double *t = run_col(r, "t_s");
    if (!n || !cols) {
        free(m);
        return;
    }
    char *line = xmalloc(cols + 1);
    memset(line, ' ', cols);
    line[cols] = '\0';
    size_t *pos = xcalloc(n, sizeof *pos);
    for (size_t e = 0; e < n; e++) {
        size_t row = 0;
        while (row + 1 < r->n_rows && t[row] < m[e].t_s)
            row++;
        size_t col = 0;
        while (col + 1 < cols && (col + 1) * r->n_rows / cols <= row)
            col++;
        pos[e] = col;
        line[col] = '^';
    }
    for (size_t e = 0; e < n; e++) {
        size_t end = e + 1 < n ? pos[e + 1] : cols, len = strlen(m[e].kind);
        if (pos[e] + 1 + len < end || (e + 1 == n && pos[e] + 1 + len <= cols))
            memcpy(line + pos[e] + 1, m[e].kind, len);
    }
    size_t used = cols;
    while (used && line[used - 1] == ' ')
        used--;
    line[used] = '\0';
    line_label(out, "events");
    sbuf_add(out, line);
    sbuf_addc(out, '\n');
    free(line);
    free(pos);
    free(m);
}

void summarize(const struct run *r, const struct summarize_opts *o, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN], d[FMT_LEN];
    double v;
    sbuf_printf(out, "== %s (seed %s)%s ==  %s\n", r->name, r->seed,
                r->complete ? "" : " INCOMPLETE", r->path);

    fig(r, FIG_NODES, a, sizeof a, NULL);
    line_label(out, "nodes");
    json_t *ls = run_scenario_get(r, "nodes.login_servers");
    json_t *sn = run_scenario_get(r, "nodes.supernodes");
    fig(r, FIG_PEERS, b, sizeof b, NULL);
    sbuf_printf(out, "%s (%s peers", a, b);
    if (json_is_integer(ls))
        sbuf_printf(out, ", %lld login servers", (long long)json_integer_value(ls));
    if (json_is_integer(sn))
        sbuf_printf(out, ", %lld supernodes", (long long)json_integer_value(sn));
    sbuf_add(out, ")\n");

    fig(r, FIG_ONLINE_END, a, sizeof a, NULL);
    fig(r, FIG_PEERS, b, sizeof b, NULL);
    fig(r, FIG_ONLINE_PCT, c, sizeof c, NULL);
    line_label(out, "online at end");
    sbuf_printf(out, "%s / %s (%s)\n", a, b, c);

    fig(r, FIG_T50, a, sizeof a, NULL);
    fig(r, FIG_T95, b, sizeof b, NULL);
    fig(r, FIG_T99, c, sizeof c, NULL);
    line_label(out, "time to online");
    sbuf_printf(out, "t50 %s   t95 %s   t99 %s\n", a, b, c);

    fig(r, FIG_LOGIN_ATTEMPTS, a, sizeof a, NULL);
    line_label(out, "login attempts");
    sbuf_printf(out, "%s (ok %s", a, (fig(r, FIG_LOGIN_OK, b, sizeof b, NULL), b));
    static const char *const outcomes[] = {"busy", "timeout", "error", "fail", "aborted"};
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "login_%s", outcomes[i]);
        if (run_number(r, key, &v) == 1 && (v > 0 || i < 3)) {
            fmt_value(UNIT_COUNT, v, b, sizeof b);
            sbuf_printf(out, ", %s %s", outcomes[i], b);
        }
    }
    sbuf_add(out, ")");
    if (figure_value(r, FIG_ATTEMPTS_MAX, &v) == FV_VALUE)
        sbuf_printf(out, ", max %.0f per peer", v);
    sbuf_addc(out, '\n');

    fig(r, FIG_AMPLIFICATION, a, sizeof a, NULL);
    line_label(out, "amplification");
    sbuf_printf(out, "%s", a);
    if (figure_value(r, FIG_AMP_PEAK, &v) == FV_VALUE) {
        fmt_value(UNIT_RATIO, v, b, sizeof b);
        sbuf_printf(out, " overall, %s peak", b);
    }
    sbuf_add(out, " (login attempts per successful login)\n");

    fig(r, FIG_PEAK_RPS, a, sizeof a, NULL);
    line_label(out, "peak login rate");
    sbuf_printf(out, "%s attempts", a);
    if (figure_value(r, FIG_PEAK_OK_RPS, &v) == FV_VALUE) {
        fmt_value(UNIT_RATE, v, b, sizeof b);
        sbuf_printf(out, ", %s ok", b);
    }
    if (figure_value(r, FIG_CAPACITY, &v) == FV_VALUE) {
        fmt_value(UNIT_RATE, v, b, sizeof b);
        sbuf_printf(out, "; login capacity %s", b);
    }
    sbuf_addc(out, '\n');

    if (run_number(r, "msgs_sent", &v) == 1) {
        fmt_value(UNIT_COUNT, v, a, sizeof a);
        fmt_value(UNIT_BYTES, num_or(r, "bytes_sent", NAN), b, sizeof b);
        line_label(out, "traffic");
        sbuf_printf(out, "%s messages, %s sent\n", a, b);
    }

    /* Recovery verdicts (issue 3), when the run has them. */
    enum fig_state rs = figure_value(r, FIG_RECOVERED, &v);
    if (rs != FV_ABSENT) {
        line_label(out, "recovered");
        if (rs == FV_NULL)
            sbuf_add(out, "n/a");
        else
            sbuf_add(out, v != 0 ? "yes" : "NO");
        double rv, end;
        if (figure_value(r, FIG_RECOVERY_S, &rv) == FV_VALUE) {
            fmt_value(UNIT_SECONDS, rv, a, sizeof a);
            sbuf_printf(out, ", in %s", a);
        }
        if (run_number(r, "trigger.end_s", &end) == 1) {
            fmt_value(UNIT_SECONDS, end, a, sizeof a);
            sbuf_printf(out, " (the trigger ended at %s)", a);
        }
        sbuf_addc(out, '\n');
    }
    if ((rs = figure_value(r, FIG_METASTABLE, &v)) != FV_ABSENT) {
        line_label(out, "metastable");
        sbuf_add(out, rs == FV_NULL ? "n/a\n" : v != 0 ? "YES\n" : "no\n");
    }

    line_label(out, "fidelity");
    json_t *fid = json_object_get(r->summary, "fidelity");
    bool valid = json_is_true(json_object_get(fid, "valid"));
    fig(r, FIG_LAG_P99, a, sizeof a, NULL);
    fig(r, FIG_SKEW_P99, b, sizeof b, NULL);
    sbuf_printf(out, "%s (timer lag p99 %s", valid ? "valid" : "NOT VALID", a);
    if (run_number(r, "fidelity.lag_interval_max_ms", &v) == 1) {
        fmt_value(UNIT_MS, v, d, sizeof d);
        sbuf_printf(out, ", worst interval %s", d);
    }
    sbuf_printf(out, ", event skew p99 %s)\n", b);
    json_t *why = json_object_get(fid, "reason");
    if (!valid || json_is_string(why)) {
        line_label(out, "");
        sbuf_printf(out, "%s\n", json_is_string(why) ? json_string_value(why) : "no reason given");
    }

    double *frac = summarize_online_fraction(r);
    if (frac) {
        size_t cols = sparkline_columns(r->n_rows, o->width);
        line_label(out, "online");
        sparkline(frac, r->n_rows, 0, 1, o->width, o->ascii, out);
        fmt_value(UNIT_SECONDS, run_col(r, "t_s")[r->n_rows - 1], a, sizeof a);
        sbuf_printf(out, "  0 %s %s (%s = all online)\n", o->ascii ? "..." : "…", a,
                    o->ascii ? "#" : "█");
        event_line(r, cols, out);
        free(frac);
    }
}
