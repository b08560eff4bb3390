/* summarize.c - the one summary printer: `bootstorm-results summary` and
 * the end of `bootstorm run` (through summarize_print_dir). */
#include "summarize.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"
#include "figures.h"
#include "fmt.h"
#include "sparkline.h"

#define LABEL_W 17 /* label column, values start here */
#define TERM_W 80  /* wrap values to fit an 80-column terminal */

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
        /* The autoscaler's actions have rows too; they are shown from
         * run.json's scale_actions, with their data centres. */
        for (size_t i = 0; i < r->n_events; i++)
            if (strcmp(r->events[i].kind, "scale_up") && strcmp(r->events[i].kind, "scale_down"))
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

/* ---- layout ---- */

/* Words of a value: split at spaces. A phrase runs from one break to the
 * next: after a word ending in , ; or :, or before one starting with (. */
struct words {
    char **w;
    size_t n;
};

static void words_split(const char *text, struct words *ws)
{
    ws->w = NULL;
    ws->n = 0;
    for (const char *p = text; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, " ");
        ws->w = xrealloc(ws->w, (ws->n + 1) * sizeof *ws->w);
        ws->w[ws->n] = xmalloc(n + 1);
        memcpy(ws->w[ws->n], p, n);
        ws->w[ws->n++][n] = '\0';
        p += n;
    }
}

static bool phrase_ends(const struct words *ws, size_t i)
{
    size_t n = strlen(ws->w[i]);
    /* "[emulator-bound: 62%]" is one phrase */
    bool colon_in_mark = ws->w[i][0] == '[' && ws->w[i][n - 1] == ':';
    return i + 1 == ws->n || (strchr(",;:", ws->w[i][n - 1]) && !colon_in_mark) ||
           ws->w[i + 1][0] == '(';
}

/* Append text wrapped to TERM_W columns, continuation lines indented by
 * `indent`; `col` is the column the text starts at. Lines break between
 * phrases when they can, so "max 9 per peer" stays together; a phrase too
 * long for a line breaks between words, and a word too long (a path) is
 * kept whole. */
static void add_wrapped(struct sbuf *out, size_t col, size_t indent, const char *text)
{
    struct words ws;
    words_split(text, &ws);
    size_t i = 0;
    while (i < ws.n) {
        size_t end = i, width = utf8_width(ws.w[i]);
        while (!phrase_ends(&ws, end)) {
            end++;
            width += 1 + utf8_width(ws.w[end]);
        }
        size_t lead = i ? 1 : 0;
        if (i && col + lead + width > TERM_W && indent + width <= TERM_W) {
            sbuf_addc(out, '\n'); /* the whole phrase on the next line */
            sbuf_pad(out, indent);
            col = indent;
            lead = 0;
        }
        for (size_t k = i; k <= end; k++, lead = 1) {
            size_t w = utf8_width(ws.w[k]);
            if (lead && col + 1 + w > TERM_W) {
                sbuf_addc(out, '\n');
                sbuf_pad(out, indent);
                col = indent;
                lead = 0;
            }
            if (lead) {
                sbuf_addc(out, ' ');
                col++;
            }
            sbuf_add(out, ws.w[k]);
            col += w;
        }
        i = end + 1;
    }
    for (size_t k = 0; k < ws.n; k++)
        free(ws.w[k]);
    free(ws.w);
    sbuf_addc(out, '\n');
}

/* "label            value...", the value wrapped under itself. */
static void field(struct sbuf *out, const char *label, const char *value)
{
    sbuf_add(out, label);
    sbuf_pad(out, LABEL_W - utf8_width(label));
    add_wrapped(out, LABEL_W, LABEL_W, value);
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

/* ---- the lines ---- */

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

/* A capacity: unlimited (a zero service time) or unknown (null) too. */
static void rate_text(double v, char *buf, size_t len)
{
    if (isinf(v))
        snprintf(buf, len, "unlimited");
    else if (isnan(v))
        snprintf(buf, len, "unknown");
    else
        fmt_value(UNIT_RATE, v, buf, len);
}

/* "400/s, 800/s from 30.0 s; as low as 0/s while login servers were
 * down": the capacity with all servers up at each change, then the lowest
 * level an outage took it to. */
static void capacity_text(const struct run *r, enum run_srv c, struct sbuf *out)
{
    enum { MAX_CHANGES = 3 };
    char a[FMT_LEN], b[FMT_LEN];
    const struct cap_step *st = r->cap[c];
    double prev = st[0].per_server_rps * st[0].servers;
    rate_text(prev, a, sizeof a);
    sbuf_add(out, a);
    size_t changes = 0;
    for (size_t k = 1; k < r->n_cap[c]; k++) {
        double v = st[k].per_server_rps * st[k].servers;
        if (v == prev || (isnan(v) && isnan(prev)))
            continue;
        prev = v;
        if (++changes > MAX_CHANGES)
            continue;
        rate_text(v, a, sizeof a);
        fmt_value(UNIT_SECONDS, st[k].t_s, b, sizeof b);
        sbuf_printf(out, ", %s from %s", a, b);
    }
    if (changes > MAX_CHANGES)
        sbuf_printf(out, " (and %zu more changes)", changes - MAX_CHANGES);
    double low;
    if (run_capacity_outage(r, c, &low) && isfinite(low)) {
        fmt_value(UNIT_RATE, low, a, sizeof a);
        sbuf_printf(out, "; as low as %s while %s were down", a,
                    c == RUN_SRV_LOGIN ? "login servers" : "service nodes");
    }
    if (r->cap_estimated)
        sbuf_add(out, " (estimated from the scenario)");
}

static void header(const struct run *r, struct sbuf *out)
{
    json_t *ws = json_object_get(r->root, "world_size");
    sbuf_printf(out, "== %s (seed %s", r->name, r->seed);
    if (json_is_integer(ws))
        sbuf_printf(out, ", %lld rank%s", (long long)json_integer_value(ws),
                    json_integer_value(ws) == 1 ? "" : "s");
    sbuf_printf(out, ")%s ==\n", r->complete ? "" : " INCOMPLETE");
}

/* "https://localhost:18443 (127.0.0.1, TLS)": where a target run's peers
 * logged in; the address only when the host is a name. */
static void target_server_text(const struct run *r, struct sbuf *t)
{
    struct run_target_server s;
    run_target_server(r, &s);
    bool mqtt = s.protocol && !strcmp(s.protocol, "mqtt");
    const char *scheme = !s.protocol ? "target"
                         : mqtt      ? (s.tls == 1 ? "mqtts" : "mqtt")
                                     : (s.tls == 0 ? "http" : "https");
    sbuf_printf(t, "%s://%s", scheme, s.host ? s.host : s.address ? s.address : "?");
    if (s.port >= 0)
        sbuf_printf(t, ":%ld", s.port);
    bool addr = s.address && (!s.host || strcmp(s.address, s.host));
    if (addr || s.tls >= 0) {
        sbuf_printf(t, " (%s%s%s)", addr ? s.address : "", addr && s.tls >= 0 ? ", " : "",
                    s.tls == 1   ? "TLS"
                    : s.tls == 0 ? "no TLS"
                                 : "");
    }
}

static void nodes_line(const struct run *r, struct sbuf *out)
{
    static const struct {
        const char *key, *one, *many;
    } kinds[] = {{"nodes.login_servers", "login server", "login servers"},
                 {"nodes.services", "service node", "service nodes"},
                 {"nodes.supernodes", "supernode", "supernodes"}};
    char a[FMT_LEN], b[FMT_LEN];
    double up, ceiling;
    size_t n_dc;
    bool central = figure_central_servers(r, &up, &ceiling, &n_dc);
    bool supernode = !strcmp(run_architecture(r), "supernode");
    struct sbuf v;
    sbuf_init(&v);
    fig(r, FIG_NODES, a, sizeof a, NULL);
    fig(r, FIG_PEERS, b, sizeof b, NULL);
    if (run_is_target(r)) {
        /* No emulated server: the peers, and the real server they log in to. */
        sbuf_printf(&v, "%s peers -> ", b);
        target_server_text(r, &v);
        field(out, "nodes", sbuf_str(&v));
        sbuf_free(&v);
        return;
    }
    /* Under settop the peers are the set-top boxes. */
    sbuf_printf(&v, "%s (%s %s", a, b, run_is_settop(r) ? "set-top boxes" : "peers");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        json_t *j = run_scenario_get(r, kinds[k].key);
        /* No "0 service nodes" for the scenarios that have none, nor "0
         * supernodes" for a central or dht run. */
        if (json_is_integer(j) && (json_integer_value(j) > 0 || (k == 0 || (k == 2 && supernode))))
            sbuf_printf(&v, ", %lld %s", (long long)json_integer_value(j),
                        json_integer_value(j) == 1 ? kinds[k].one : kinds[k].many);
    }
    if (central) {
        sbuf_printf(&v, ", %.0f presence server%s", up, up == 1 ? "" : "s");
        if (ceiling > up)
            sbuf_printf(&v, " (up to %.0f)", ceiling);
        sbuf_printf(&v, " and %zu front door%s in %zu data centre%s", n_dc, n_dc == 1 ? "" : "s",
                    n_dc, n_dc == 1 ? "" : "s");
    }
    json_t *boot = run_scenario_get(r, "dht.bootstrap.nodes");
    if (run_is_dht(r) && json_is_integer(boot))
        sbuf_printf(&v, ", %lld bootstrap node%s", (long long)json_integer_value(boot),
                    json_integer_value(boot) == 1 ? "" : "s");
    if (run_is_settop(r))
        sbuf_add(&v, ", 1 head-end");
    sbuf_add(&v, ")");
    field(out, "nodes", sbuf_str(&v));
    sbuf_free(&v);
}

static void logins_lines(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN];
    double v;
    struct sbuf t;
    if (!run_uses_login(r)) {
        /* The login_* counters are all 0 and there are no login servers:
         * one line instead of four of zeros. The service, if any, stays. */
        field(out, "login",
              run_is_settop(r) ? "none (set-top boxes register with the head-end)"
                               : "none (trackerless DHT: dht.login is false)");
        if (r->n_cap[RUN_SRV_SERVICE]) {
            sbuf_init(&t);
            capacity_text(r, RUN_SRV_SERVICE, &t);
            field(out, "service capacity", sbuf_str(&t));
            sbuf_free(&t);
        }
        return;
    }
    sbuf_init(&t);
    fig(r, FIG_LOGIN_ATTEMPTS, a, sizeof a, NULL);
    fig(r, FIG_LOGIN_OK, b, sizeof b, NULL);
    sbuf_printf(&t, "%s (ok %s", a, b);
    static const char *const outcomes[] = {"busy", "timeout", "error", "fail", "aborted"};
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "login_%s", outcomes[i]);
        if (run_number(r, key, &v) == 1 && (v > 0 || i < 3)) {
            fmt_value(UNIT_COUNT, v, b, sizeof b);
            /* A real server's BUSY is its refusal (HTTP 429/503, CONNACK 3). */
            sbuf_printf(&t, ", %s %s", i == 0 && run_is_target(r) ? "refused" : outcomes[i], b);
        }
    }
    sbuf_add(&t, ")");
    if (figure_value(r, FIG_ATTEMPTS_MAX, &v) == FV_VALUE)
        sbuf_printf(&t, ", max %.0f per peer", v);
    field(out, "login attempts", sbuf_str(&t));

    sbuf_reset(&t);
    fig(r, FIG_AMPLIFICATION, a, sizeof a, NULL);
    sbuf_add(&t, a);
    if (figure_value(r, FIG_AMP_PEAK, &v) == FV_VALUE) {
        fmt_value(UNIT_RATIO, v, b, sizeof b);
        sbuf_printf(&t, " overall, %s peak", b);
    }
    sbuf_add(&t, " (login attempts per successful login)");
    field(out, "amplification", sbuf_str(&t));

    sbuf_reset(&t);
    fig(r, FIG_PEAK_RPS, a, sizeof a, NULL);
    sbuf_printf(&t, "%s attempts", a);
    if (figure_value(r, FIG_PEAK_OK_RPS, &v) == FV_VALUE) {
        fmt_value(UNIT_RATE, v, b, sizeof b);
        sbuf_printf(&t, ", %s ok", b);
    }
    field(out, "peak login rate", sbuf_str(&t));

    if (run_is_target(r))
        field(out, "login capacity",
              "unknown (an external server: bootstorm sees only its answers)");
    static const char *const cap_label[RUN_SRV_COUNT] = {"login capacity", "service capacity"};
    for (int c = 0; c < RUN_SRV_COUNT; c++) {
        if (!r->n_cap[c])
            continue;
        sbuf_reset(&t);
        capacity_text(r, (enum run_srv)c, &t);
        field(out, cap_label[c], sbuf_str(&t));
    }
    sbuf_free(&t);
}

/* ---- the registration tier (docs/results-tool.md, "summary") ---- */

/* "87.3% (supernodes; 100% = saturated)": the busiest interval's
 * server_load. Nothing for a run from before the column. */
static void server_load_line(const struct run *r, struct sbuf *out)
{
    double v;
    char a[FMT_LEN], t[FMT_LEN + 80];
    if (figure_value(r, FIG_PEAK_SERVER_LOAD, &v) != FV_VALUE)
        return;
    fmt_value(UNIT_PERCENT, v, a, sizeof a);
    snprintf(t, sizeof t, "%s (%s, busiest interval; 100%% = saturated)", a,
             !strcmp(run_architecture(r), "central") ? "presence servers"
             : run_is_dht(r)                         ? "bootstrap nodes"
             : run_is_settop(r)                      ? "head-end registration"
                                                     : "supernodes");
    field(out, "peak server load", t);
}

static double col_sum(const double *c, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += c[i];
    return s;
}

/* ---- dht (docs/results-tool.md, "summary") ---- */

struct weighted {
    double v, w;
};

static int by_value(const void *a, const void *b)
{
    const struct weighted *x = a, *y = b;
    return (x->v > y->v) - (x->v < y->v);
}

/* The median of v over the rows, each row weighted by w (rows with w 0 or
 * a value that is not a number left out); NaN without any. */
static double weighted_median(const double *v, const double *w, size_t n)
{
    struct weighted *p = xcalloc(n ? n : 1, sizeof *p);
    size_t m = 0;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] > 0 && isfinite(v[i])) {
            p[m++] = (struct weighted){v[i], w[i]};
            total += w[i];
        }
    qsort(p, m, sizeof *p, by_value);
    double med = NAN, cum = 0;
    for (size_t k = 0; k < m; k++) {
        cum += p[k].w;
        if (cum >= total / 2) {
            med = p[k].v;
            break;
        }
    }
    free(p);
    return med;
}

/* The largest v of the rows with w > 0: 1 with *v and *row set, else 0. */
static int weighted_max(const double *v, const double *w, size_t n, double *max, size_t *row)
{
    int found = 0;
    for (size_t i = 0; i < n; i++)
        if (w[i] > 0 && isfinite(v[i]) && (!found || v[i] > *max)) {
            *max = v[i];
            *row = i;
            found = 1;
        }
    return found;
}

/* "4,211 sent (retries included): 3,227 found, 547 not found, 24 failed,
 * 145 timed out, 2 gave up; 82.0% found (...); latency p50 447 µs, p99
 * 4.13 ms, hops p50 2, p99 4 (...)": the user lookups, from run.json's
 * counters, and their latency and hops from the per-interval columns. */
static void lookups_line(const struct run *r, struct sbuf *out)
{
    static const struct {
        const char *key, *word;
    } outcomes[] = {{"req_ok", "found"},
                    {"dht_not_found", "not found"},
                    {"dht_lookup_failed", "failed (nobody answered)"},
                    {"req_timeout", "timed out"},
                    {"req_giveup", "gave up"}};
    char a[FMT_LEN], b[FMT_LEN];
    double v;
    if (!run_is_dht(r) || run_number(r, "req_sent", &v) != 1)
        return;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, v, a, sizeof a);
    sbuf_printf(&t, "%s sent (retries included):", a);
    for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++) {
        fmt_value(UNIT_COUNT, num_or(r, outcomes[k].key, 0), a, sizeof a);
        sbuf_printf(&t, "%s %s %s", k ? "," : "", a, outcomes[k].word);
    }
    if (figure_value(r, FIG_LOOKUP_FOUND_PCT, &v) == FV_VALUE) {
        fmt_value(UNIT_PERCENT, v, a, sizeof a);
        sbuf_printf(&t, "; %s found (of those that ended)", a);
    }
    /* Each row has its interval's percentiles; a row's weight is its
     * answered lookups (found or not: those the histograms hold). */
    const double *p50 = run_col(r, "lookup_p50_ms"), *p99 = run_col(r, "lookup_p99_ms"),
                 *h50 = run_col(r, "hops_p50"), *h99 = run_col(r, "hops_p99"),
                 *ok = run_col(r, "req_ok"), *nf = run_col(r, "dht_not_found");
    if (p50 && p99 && h50 && h99 && ok && nf && r->n_rows) {
        double *w = xcalloc(r->n_rows, sizeof *w), worst = NAN, hops_worst = NAN;
        for (size_t i = 0; i < r->n_rows; i++)
            w[i] = ok[i] + nf[i];
        size_t row;
        double med = weighted_median(p50, w, r->n_rows);
        if (isfinite(med) && weighted_max(p99, w, r->n_rows, &worst, &row) &&
            weighted_max(h99, w, r->n_rows, &hops_worst, &row)) {
            fmt_value(UNIT_MS, med, a, sizeof a);
            fmt_value(UNIT_MS, worst, b, sizeof b);
            sbuf_printf(&t, "; latency p50 %s, p99 %s, hops p50 %.0f, p99 %.0f", a, b,
                        weighted_median(h50, w, r->n_rows), hops_worst);
            sbuf_add(&t, " (p50: the median of the intervals' p50s weighted by their answered "
                         "lookups; p99: the worst interval's)");
        }
        free(w);
    }
    field(out, "lookups", sbuf_str(&t));
    sbuf_free(&t);
}

/* The busiest interval of a counter, per second: 1 with *rate and *t_s
 * (the interval's end) set, 0 when the column is absent or never moved. */
static int peak_rate(const struct run *r, const char *col, double *rate, double *t_s)
{
    const double *c = run_col(r, col), *t = run_col(r, "t_s");
    int found = 0;
    for (size_t i = 0; c && i < r->n_rows; i++) {
        double dt = run_interval_at(r, i);
        if (c[i] > 0 && dt > 0 && (!found || c[i] / dt > *rate)) {
            *rate = c[i] / dt;
            *t_s = t[i];
            found = 1;
        }
    }
    return found;
}

/* "301 requests, 301 served, 12 refused (peak 8.00/s at 3.00 s)": what
 * the bootstrap nodes were asked by joining nodes whose saved table was
 * empty or silent. */
static void bootstrap_line(const struct run *r, struct sbuf *out)
{
    static const char *const keys[] = {"boot_requests", "boot_served", "boot_refused"};
    static const char *const words[] = {"requests", "served", "refused"};
    char a[FMT_LEN], b[FMT_LEN];
    double v, t = 0;
    if (!run_is_dht(r) || run_number(r, "boot_requests", &v) != 1)
        return;
    struct sbuf s;
    sbuf_init(&s);
    for (size_t k = 0; k < 3; k++) {
        fmt_value(UNIT_COUNT, num_or(r, keys[k], 0), a, sizeof a);
        sbuf_printf(&s, "%s%s %s", k ? ", " : "", a, words[k]);
    }
    if (peak_rate(r, "boot_refused", &v, &t)) {
        fmt_value(UNIT_RATE, v, a, sizeof a);
        fmt_value(UNIT_SECONDS, t, b, sizeof b);
        sbuf_printf(&s, " (peak %s in the interval ending at %s)", a, b);
    }
    field(out, "bootstrap", sbuf_str(&s));
    sbuf_free(&s);
}

/* "55.3 live contacts per node at the end; dead share 3.5% at the end,
 * peak 12.0% at 10.0 s (...)": the routing tables' health from the
 * dht_live_contacts and dht_dead_share columns. */
static void routing_line(const struct run *r, struct sbuf *out)
{
    const double *live = run_col(r, "dht_live_contacts"), *dead = run_col(r, "dht_dead_share"),
                 *t = run_col(r, "t_s");
    if (!run_is_dht(r) || !live || !dead || !r->n_rows)
        return;
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    size_t last = r->n_rows - 1, peak = 0;
    for (size_t i = 1; i < r->n_rows; i++)
        if (dead[i] > dead[peak])
            peak = i;
    struct sbuf s;
    sbuf_init(&s);
    fmt_value(UNIT_PERCENT, 100 * dead[last], a, sizeof a);
    fmt_value(UNIT_PERCENT, 100 * dead[peak], b, sizeof b);
    fmt_value(UNIT_SECONDS, t[peak], c, sizeof c);
    sbuf_printf(&s,
                "%.1f live contacts per node at the end; dead share %s at the end, peak %s "
                "at %s (entries with an unanswered query)",
                live[last], a, b, c);
    field(out, "routing tables", sbuf_str(&s));
    sbuf_free(&s);
}

/* ---- settop (docs/results-tool.md, "summary") ---- */

/* A number of run.json's settop object, or dflt when it is not one. */
static double st_num(const struct run *r, const char *key, double dflt)
{
    double v;
    return run_settop_number(r, key, &v) == 1 ? v : dflt;
}

/* Whether the settop object has key as a number, with *v set. */
static bool st_has(const struct run *r, const char *key, double *v)
{
    return run_settop_number(r, key, v) == 1;
}

/* The method's words: what a box receives and what it does with it. */
struct st_words {
    const char *method;  /* "carousel" */
    const char *unit;    /* "blocks", "symbols" */
    const char *rebuilt; /* how a verifying box gets the bytes back */
};

static struct st_words st_words(const struct run *r)
{
    const char *m = json_string_value(json_object_get(run_settop(r), "method"));
    struct st_words w = {m ? m : "unknown method", "blocks", "stitched"};
    if (m && !strcmp(m, "fountain")) {
        w.unit = "symbols";
        w.rebuilt = "decoded";
    } else if (m && !strcmp(m, "unicast")) {
        w.rebuilt = "downloaded"; /* hashed as it arrived */
    }
    return w;
}

static bool st_method_is(const struct run *r, const char *m)
{
    return !strcmp(st_words(r).method, m);
}

/* "carousel: 300 boxes; image 256 KiB in 256 blocks of 1,024 B; channel
 * 38.0 Mbit/s, carousel 38.0 Mbit/s; downstream loss 5.0%". */
static void settop_line(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    double v, k, blk;
    if (!run_settop(r))
        return;
    struct st_words w = st_words(r);
    bool fountain = st_method_is(r, "fountain");
    struct sbuf t;
    sbuf_init(&t);
    sbuf_add(&t, w.method);
    if (st_has(r, "boxes", &v)) {
        fmt_value(UNIT_COUNT, v, a, sizeof a);
        sbuf_printf(&t, ": %s box%s", a, v == 1 ? "" : "es");
    }
    if (st_has(r, "image_bytes", &v)) {
        fmt_value(UNIT_BYTES, v, a, sizeof a);
        sbuf_printf(&t, "; image %s", a);
        if (st_has(r, "blocks", &k) && st_has(r, "block_bytes", &blk)) {
            fmt_value(UNIT_COUNT, k, b, sizeof b);
            fmt_value(UNIT_COUNT, blk, c, sizeof c);
            if (fountain)
                sbuf_printf(&t, ", K = %s source symbols of %s B", b, c);
            else
                sbuf_printf(&t, " in %s blocks of %s B", b, c);
        }
    }
    if (st_has(r, "channel_mbps", &v)) {
        fmt_value(UNIT_MBPS, v, a, sizeof a);
        sbuf_printf(&t, "; channel %s", a);
        /* Unicast downloads have the channel; the carousel's share is
         * only the broadcast methods'. */
        if (!st_method_is(r, "unicast") && st_has(r, "carousel_mbps", &v)) {
            fmt_value(UNIT_MBPS, v, a, sizeof a);
            sbuf_printf(&t, ", carousel %s", a);
        }
    }
    if (st_has(r, "downstream_loss", &v)) {
        fmt_value(UNIT_PERCENT, 100 * v, a, sizeof a);
        sbuf_printf(&t, "; downstream loss %s", a);
    }
    field(out, "settop", sbuf_str(&t));
    sbuf_free(&t);
}

/* Why a rows-only summary's per-box settop figures are null. */
static const char st_rows_only[] = "the run ended before its final gathers";

/* "t50 812 ms   t95 1.90 s   t99 2.30 s   (300/300 boxes)": run.json's
 * image_s (each box from its first fetch after the boot delay), laid out
 * as the time to online line; never: that share of the boxes did not
 * complete the image. */
static void time_to_image_line(const struct run *r, struct sbuf *out)
{
    static const char *const keys[] = {"image_s.t50", "image_s.t95", "image_s.t99"};
    static const char *const names[] = {"t50", "t95", "t99"};
    if (!json_is_object(json_object_get(run_settop(r), "image_s")))
        return;
    if (r->rows_only) { /* null there: not known, not never */
        char t[96];
        snprintf(t, sizeof t, "n/a (%s)", st_rows_only);
        field(out, "time to image", t);
        return;
    }
    char seg[4][2 * FMT_LEN + 16], a[FMT_LEN], b[FMT_LEN];
    size_t n_seg = 0;
    for (size_t k = 0; k < 3; k++) {
        double v;
        int rc = run_settop_number(r, keys[k], &v);
        if (rc == 1)
            fmt_value(UNIT_SECONDS, v, a, sizeof a);
        snprintf(seg[n_seg++], sizeof seg[0], "%s %s", names[k],
                 rc == 1   ? a
                 : rc == 0 ? "never"
                           : "n/a");
    }
    double n, boxes;
    if (st_has(r, "image_s.n", &n)) {
        fmt_value(UNIT_COUNT, n, a, sizeof a);
        if (st_has(r, "boxes", &boxes)) {
            fmt_value(UNIT_COUNT, boxes, b, sizeof b);
            snprintf(seg[n_seg++], sizeof seg[0], "(%s/%s boxes)", a, b);
        } else {
            snprintf(seg[n_seg++], sizeof seg[0], "(%s boxes)", a);
        }
    }
    size_t width = LABEL_W;
    for (size_t k = 0; k < n_seg; k++)
        width += utf8_width(seg[k]) + (k ? 3 : 0);
    line_label(out, "time to image");
    for (size_t k = 0; k < n_seg; k++) {
        /* One line when it fits, else the count under the figures. */
        if (k == 3 && width > TERM_W) {
            sbuf_addc(out, '\n');
            sbuf_pad(out, LABEL_W);
        } else if (k) {
            sbuf_add(out, "   ");
        }
        sbuf_add(out, seg[k]);
    }
    sbuf_addc(out, '\n');
}

/* "36.2 MiB, peak 36.5 of the channel's 38.0 Mbit/s, mean 30.3 Mbit/s;
 * 111k datagrams, 10 cycles": what the head-end put on the shared
 * downstream channel (unicast: the lost segments it sent again). */
static void egress_line(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN];
    double v, ch;
    if (!run_settop(r) || !st_has(r, "egress_bytes", &v))
        return;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_BYTES, v, a, sizeof a);
    sbuf_add(&t, a);
    if (st_has(r, "egress_peak_mbps", &v)) {
        fmt_value(UNIT_MBPS, v, a, sizeof a);
        if (st_has(r, "channel_mbps", &ch)) {
            fmt_value(UNIT_MBPS, ch, b, sizeof b);
            /* "36.5 Mbit/s" -> "36.5" before "of the channel's 38.0 Mbit/s"
             * when both have the unit */
            char *sp = strchr(a, ' ');
            const char *unit_b = strchr(b, ' ');
            if (sp && unit_b && !strcmp(sp, unit_b))
                *sp = '\0';
            sbuf_printf(&t, ", peak %s of the channel's %s", a, b);
        } else {
            sbuf_printf(&t, ", peak %s", a);
        }
    }
    if (st_has(r, "egress_mean_mbps", &v)) {
        fmt_value(UNIT_MBPS, v, a, sizeof a);
        sbuf_printf(&t, ", mean %s", a);
    }
    if (st_method_is(r, "unicast")) {
        fmt_value(UNIT_COUNT, st_num(r, "retransmits", 0), a, sizeof a);
        sbuf_printf(&t, "; %s lost segments sent again", a);
    } else {
        fmt_value(UNIT_COUNT, st_num(r, "datagrams", 0), a, sizeof a);
        fmt_value(UNIT_COUNT, st_num(r, "cycles_sent", 0), b, sizeof b);
        sbuf_printf(&t, "; %s datagrams, %s cycles", a, b);
    }
    field(out, "head-end egress", sbuf_str(&t));
    sbuf_free(&t);
}

/* "mean 1.40, p50 1.20, p95 2.90, max 4.10 (...)": the channel cycles each
 * box of a carousel or fountain run listened to. */
static void cycles_line(const struct run *r, struct sbuf *out)
{
    static const char *const keys[] = {"mean", "p50", "p95", "max"};
    if (!json_is_object(json_object_get(run_settop(r), "cycles_per_box")))
        return;
    struct sbuf t;
    sbuf_init(&t);
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char key[40], a[FMT_LEN];
        double v;
        snprintf(key, sizeof key, "cycles_per_box.%s", keys[k]);
        if (!st_has(r, key, &v))
            continue;
        fmt_value(UNIT_NUMBER, v, a, sizeof a);
        sbuf_printf(&t, "%s%s %s", t.len ? ", " : "", keys[k], a);
    }
    if (!t.len && r->rows_only)
        sbuf_printf(&t, "n/a (%s)", st_rows_only);
    else if (!t.len)
        sbuf_add(&t, "n/a (no box completed its image from the channel)");
    else
        sbuf_add(&t, " (channel cycles a box heard until its image was complete)");
    field(out, "cycles per box", sbuf_str(&t));
    sbuf_free(&t);
}

/* "75 decodes, 1 failed; overhead mean 1.20, p95 3, max 5 symbols beyond
 * K (real decodes only)". */
static void fountain_line(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    double mean, p95, max;
    if (!json_is_object(json_object_get(run_settop(r), "fountain")))
        return;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, st_num(r, "fountain.decodes", 0), a, sizeof a);
    fmt_value(UNIT_COUNT, st_num(r, "fountain.decode_failed", 0), b, sizeof b);
    sbuf_printf(&t, "%s decodes, %s failed", a, b);
    if (st_has(r, "fountain.overhead_mean", &mean)) {
        fmt_value(UNIT_NUMBER, mean, a, sizeof a);
        sbuf_printf(&t, "; overhead mean %s", a);
        if (st_has(r, "fountain.overhead_p95", &p95) && st_has(r, "fountain.overhead_max", &max)) {
            fmt_value(UNIT_COUNT, p95, b, sizeof b); /* whole symbols */
            fmt_value(UNIT_COUNT, max, c, sizeof c);
            sbuf_printf(&t, ", p95 %s, max %s", b, c);
        }
        sbuf_add(&t, " symbols beyond K (real decodes only)");
    } else {
        sbuf_printf(&t, "; overhead n/a (%s)", r->rows_only ? st_rows_only : "no real decode");
    }
    field(out, "fountain", sbuf_str(&t));
    sbuf_free(&t);
}

/* "312 attempts: 300 ok, 12 busy, ...": a unicast run's download attempts
 * by outcome, from the dl_ counters. */
static void downloads_line(const struct run *r, struct sbuf *out)
{
    static const struct {
        const char *key, *word;
    } outcomes[] = {{"dl_ok", "ok"},        {"dl_busy", "busy"},       {"dl_timeout", "timed out"},
                    {"dl_error", "failed"}, {"dl_aborted", "aborted"}, {"dl_giveup", "gave up"}};
    char a[FMT_LEN];
    double v;
    if (!run_settop(r) || !st_method_is(r, "unicast") || run_number(r, "dl_attempts", &v) != 1)
        return;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, v, a, sizeof a);
    sbuf_printf(&t, "%s attempts:", a);
    for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++) {
        fmt_value(UNIT_COUNT, num_or(r, outcomes[k].key, 0), a, sizeof a);
        sbuf_printf(&t, "%s %s %s", k ? "," : "", a, outcomes[k].word);
    }
    field(out, "downloads", sbuf_str(&t));
    sbuf_free(&t);
}

/* "76,800 delivered, 3,840 lost, 12 duplicates, 0 bad (...)": the blocks or
 * symbols the boxes received, and those their own loss dropped. */
static void received_line(const struct run *r, struct sbuf *out)
{
    static const struct {
        const char *key, *word;
    } kinds[] = {{"img.delivered", "delivered"},
                 {"img.lost", "lost (the box's downstream loss)"},
                 {"img.dup", "duplicates"},
                 {"img.bad", "bad (wrong image, index or size)"}};
    if (!json_is_object(json_object_get(run_settop(r), "img")))
        return;
    struct sbuf t;
    sbuf_init(&t);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char a[FMT_LEN];
        fmt_value(UNIT_COUNT, st_num(r, kinds[k].key, 0), a, sizeof a);
        sbuf_printf(&t, "%s%s %s", k ? ", " : "", a, kinds[k].word);
    }
    char label[32];
    snprintf(label, sizeof label, "%s at boxes", st_words(r).unit);
    field(out, label, sbuf_str(&t));
    sbuf_free(&t);
}

/* "75 verified (...), 225 counted only (...)": which boxes really rebuilt
 * the image and checked its SHA-256, and which completed by counting
 * (settop.verify < 1). A counted box is never called verified. */
static void image_check_line(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN];
    double verified, counted, share, v;
    if (!run_settop(r) || !st_has(r, "boxes_verified", &verified) ||
        !st_has(r, "boxes_counted", &counted))
        return;
    struct st_words w = st_words(r);
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, verified, a, sizeof a);
    if (verified > 0)
        sbuf_printf(&t, "%s verified (%s and SHA-256 checked)", a, w.rebuilt);
    else
        sbuf_add(&t, "none verified");
    if (counted > 0) {
        fmt_value(UNIT_COUNT, counted, a, sizeof a);
        sbuf_printf(&t, "%s %s counted only (complete by the count of %s: not %s, not checked)",
                    verified > 0 ? "," : ":", a, w.unit, w.rebuilt);
    }
    /* Unicast boxes all verify: settop.verify is the broadcast methods'. */
    if (!st_method_is(r, "unicast") && st_has(r, "verify_share", &share)) {
        fmt_value(UNIT_PERCENT, 100 * share, a, sizeof a);
        sbuf_printf(&t, "; settop.verify %s", a);
    }
    if (st_has(r, "img.corrupt", &v) && v > 0) {
        fmt_value(UNIT_COUNT, v, a, sizeof a);
        sbuf_printf(&t, "; %s corrupt (SHA-256 mismatch)", a);
    }
    if (st_has(r, "box_image_bytes_peak", &v)) {
        fmt_value(UNIT_BYTES, v, b, sizeof b);
        sbuf_printf(&t, "; boxes held at most %s of image bytes at once", b);
    }
    field(out, "image check", sbuf_str(&t));
    sbuf_free(&t);
}

/* "300 served, 12 refused (BUSY), 0 wasted (...)": the head-end's
 * registration server. */
static void registration_line(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    if (!json_is_object(json_object_get(run_settop(r), "registration")))
        return;
    fmt_value(UNIT_COUNT, st_num(r, "registration.served", 0), a, sizeof a);
    fmt_value(UNIT_COUNT, st_num(r, "registration.refused", 0), b, sizeof b);
    fmt_value(UNIT_COUNT, st_num(r, "registration.wasted", 0), c, sizeof c);
    struct sbuf t;
    sbuf_init(&t);
    sbuf_printf(&t, "%s served, %s refused (BUSY), %s wasted (served after the box's timeout)", a,
                b, c);
    field(out, "registration", sbuf_str(&t));
    sbuf_free(&t);
}

/* ---- target (docs/results-tool.md, "summary") ---- */

/* A count of summary.target, else of the counter it comes from. */
static double tgt_num(const struct run *r, const char *key, const char *counter)
{
    double v;
    if (run_target_number(r, key, &v) == 1)
        return v;
    return num_or(r, counter, 0);
}

static bool target_is_mqtt(const struct run *r)
{
    struct run_target_server s;
    return run_target_server(r, &s) && s.protocol && !strcmp(s.protocol, "mqtt");
}

/* "HTTPS login API: 4,861 login requests: 2,000 accepted, 1,429 refused
 * (HTTP 429/503; 1,429 with Retry-After, 1,234 retries held back to it),
 * 1,432 timed out, 0 errors (...), 0 failed (...)": what the real server
 * answered. */
static void target_line(const struct run *r, struct sbuf *out)
{
    if (!run_is_target(r))
        return;
    bool mqtt = target_is_mqtt(r);
    char a[FMT_LEN], b[FMT_LEN];
    double v;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, tgt_num(r, "requests", "tgt_requests"), a, sizeof a);
    sbuf_printf(&t, "%s: %s %s:", mqtt ? "MQTT broker" : "HTTPS login API", a,
                mqtt ? "CONNECTs" : "login requests");
    fmt_value(UNIT_COUNT, tgt_num(r, "accepted", "login_ok"), a, sizeof a);
    fmt_value(UNIT_COUNT, tgt_num(r, "refused", "login_busy"), b, sizeof b);
    sbuf_printf(&t, " %s accepted, %s refused (%s", a, b, mqtt ? "CONNACK 3" : "HTTP 429/503");
    if (!mqtt) {
        fmt_value(UNIT_COUNT, tgt_num(r, "refused_with_retry_after", "tgt_retry_after"), a,
                  sizeof a);
        sbuf_printf(&t, "; %s with Retry-After", a);
        if (run_number(r, "retry_slowed_hint", &v) == 1 && v > 0) {
            fmt_value(UNIT_COUNT, v, a, sizeof a);
            sbuf_printf(&t, ", %s retr%s held back to it", a, v == 1 ? "y" : "ies");
        }
    }
    sbuf_add(&t, "),");
    fmt_value(UNIT_COUNT, tgt_num(r, "timeouts", "login_timeout"), a, sizeof a);
    sbuf_printf(&t, " %s timed out,", a);
    fmt_value(UNIT_COUNT, tgt_num(r, "errors", "login_error"), a, sizeof a);
    sbuf_printf(&t, " %s errors (no connection, or a broken one),", a);
    fmt_value(UNIT_COUNT, tgt_num(r, "failed", "login_fail"), a, sizeof a);
    sbuf_printf(&t, " %s failed (%s)", a, mqtt ? "another CONNACK code" : "another status");
    field(out, "target", sbuf_str(&t));
    sbuf_free(&t);
}

/* "4,808 presence requests (every 5.00 s): 0 failed (...), 0 sessions
 * lost": what the online peers sent to stay online (https presence
 * requests, mqtt PINGREQs), and the sessions that ended. */
static void presence_line(const struct run *r, struct sbuf *out)
{
    if (!run_is_target(r))
        return;
    bool mqtt = target_is_mqtt(r);
    char a[FMT_LEN];
    int64_t ns = -1;
    json_t *iv =
        run_scenario_get(r, mqtt ? "target.mqtt.keepalive" : "target.https.presence.interval");
    if (json_is_string(iv) && scenario_parse_duration(json_string_value(iv), &ns) != 0)
        ns = -1;
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, tgt_num(r, "keepalives", "keepalives"), a, sizeof a);
    sbuf_printf(&t, "%s %s", a, mqtt ? "PINGREQs" : "presence requests");
    if (ns > 0) {
        fmt_value(UNIT_SECONDS, (double)ns / 1e9, a, sizeof a);
        sbuf_printf(&t, " (every %s)", a);
    } else if (ns == 0) {
        sbuf_printf(&t, " (none: %s is 0)",
                    mqtt ? "target.mqtt.keepalive" : "target.https.presence.interval");
    }
    fmt_value(UNIT_COUNT, tgt_num(r, "presence_failed", "tgt_presence_fail"), a, sizeof a);
    sbuf_printf(&t, ": %s failed (%s),", a,
                mqtt ? "no PINGRESP in time" : "another status, or no answer in time");
    fmt_value(UNIT_COUNT, tgt_num(r, "online_lost", "online_lost"), a, sizeof a);
    sbuf_printf(&t, " %s sessions lost", a);
    field(out, mqtt ? "keepalive" : "presence", sbuf_str(&t));
    sbuf_free(&t);
}

/* "2,000 subscribed, 0 refused (SUBACK 0x80); 6,938 published, 6,938
 * acknowledged (PUBACK); 0 received": an mqtt run's messages. */
static void mqtt_line(const struct run *r, struct sbuf *out)
{
    if (!run_is_target(r) || !target_is_mqtt(r))
        return;
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    struct sbuf t;
    sbuf_init(&t);
    fmt_value(UNIT_COUNT, num_or(r, "mqtt_subscribed", 0), a, sizeof a);
    fmt_value(UNIT_COUNT, num_or(r, "mqtt_sub_refused", 0), b, sizeof b);
    sbuf_printf(&t, "%s subscribed, %s refused (SUBACK 0x80);", a, b);
    fmt_value(UNIT_COUNT, num_or(r, "mqtt_published", 0), a, sizeof a);
    fmt_value(UNIT_COUNT, num_or(r, "mqtt_pubacks", 0), b, sizeof b);
    fmt_value(UNIT_COUNT, num_or(r, "mqtt_received", 0), c, sizeof c);
    sbuf_printf(&t, " %s published, %s acknowledged (PUBACK); %s received", a, b, c);
    field(out, "mqtt", sbuf_str(&t));
    sbuf_free(&t);
}

/* "eu: 4-6 servers, peak load 98.0%, 12 refusals, 3 spilled in; us: ...":
 * each data centre of a central run, from its dc_ columns. */
static void datacenters_line(const struct run *r, struct sbuf *out)
{
    if (!r->n_dcs || !r->n_rows)
        return;
    struct sbuf t;
    sbuf_init(&t);
    char a[FMT_LEN];
    for (size_t k = 0; k < r->n_dcs; k++) {
        const struct run_dc *d = &r->dcs[k];
        size_t parts = 0;
        sbuf_printf(&t, "%s%s:", k ? "; " : "", d->name);
        if (d->servers) {
            double lo = d->servers[0], hi = d->servers[0];
            for (size_t i = 1; i < r->n_rows; i++) {
                lo = fmin(lo, d->servers[i]);
                hi = fmax(hi, d->servers[i]);
            }
            if (lo == hi)
                sbuf_printf(&t, " %.0f server%s", hi, hi == 1 ? "" : "s");
            else
                sbuf_printf(&t, " %.0f-%.0f servers", lo, hi);
            parts++;
        }
        if (d->load) {
            double hi = d->load[0];
            for (size_t i = 1; i < r->n_rows; i++)
                hi = fmax(hi, d->load[i]);
            fmt_value(UNIT_PERCENT, 100 * hi, a, sizeof a);
            sbuf_printf(&t, "%s peak load %s", parts++ ? "," : "", a);
        }
        if (d->refusals) {
            fmt_value(UNIT_COUNT, col_sum(d->refusals, r->n_rows), a, sizeof a);
            sbuf_printf(&t, "%s %s refusals", parts++ ? "," : "", a);
        }
        if (d->spills) {
            fmt_value(UNIT_COUNT, col_sum(d->spills, r->n_rows), a, sizeof a);
            sbuf_printf(&t, "%s %s spilled in", parts++ ? "," : "", a);
        }
    }
    field(out, "data centres", sbuf_str(&t));
    sbuf_free(&t);
}

/* "+2 eu at 42.0 s (6 servers), -1 eu at 90.0 s (5 servers)": the
 * autoscaler's actions in the order they took effect. */
static void scale_line(const struct run *r, struct sbuf *out)
{
    enum { MAX_SHOWN = 6 };
    if (!r->n_scale)
        return;
    size_t *order = run_scale_order(r);
    struct sbuf t;
    sbuf_init(&t);
    char a[FMT_LEN];
    for (size_t k = 0; k < r->n_scale && k < MAX_SHOWN; k++) {
        const struct scale_action *s = &r->scale[order[k]];
        fmt_value(UNIT_SECONDS, s->at_s, a, sizeof a);
        sbuf_printf(&t, "%s%c%d %s at %s (%d server%s)", k ? ", " : "", s->up ? '+' : '-', s->count,
                    s->datacenter, a, s->servers, s->servers == 1 ? "" : "s");
    }
    if (r->n_scale > MAX_SHOWN)
        sbuf_printf(&t, " (and %zu more)", r->n_scale - MAX_SHOWN);
    field(out, "scale actions", sbuf_str(&t));
    sbuf_free(&t);
    free(order);
}

/* The online sparkline, its time range and the event marks under it. */
static void online_lines(const struct run *r, const struct summarize_opts *o, struct sbuf *out)
{
    double *frac = summarize_online_fraction(r);
    if (!frac)
        return;
    char a[FMT_LEN], range[FMT_LEN + 40];
    size_t cols = sparkline_columns(r->n_rows, o->width);
    fmt_value(UNIT_SECONDS, run_col(r, "t_s")[r->n_rows - 1], a, sizeof a);
    snprintf(range, sizeof range, "0 %s %s (%s = all online)", o->ascii ? "..." : "…", a,
             o->ascii ? "#" : "█");
    line_label(out, "online");
    sparkline(frac, r->n_rows, 0, 1, o->width, o->ascii, out);
    /* The range after the sparkline when it fits, else under the events. */
    bool inline_range = LABEL_W + cols + 2 + utf8_width(range) <= TERM_W;
    if (inline_range)
        sbuf_printf(out, "  %s", range);
    sbuf_addc(out, '\n');
    event_line(r, cols, out);
    if (!inline_range) {
        sbuf_pad(out, LABEL_W);
        sbuf_printf(out, "%s\n", range);
    }
    free(frac);
}

/* ---- the emulator's share (docs/results.md, "Emulator share") ---- */

/* " [emulator-bound: 62%]" after a figure the emulator shaped, else "". */
static void emu_mark(const struct run *r, const char *key, char *buf, size_t len)
{
    double share;
    if (figure_emu_verdict(r, key, &share) == FVD_BOUND && isfinite(share))
        snprintf(buf, len, " [emulator-bound: %.0f%%]", 100 * share);
    else if (figure_emu_verdict(r, key, NULL) == FVD_BOUND)
        snprintf(buf, len, " [emulator-bound]");
    else
        buf[0] = '\0';
}

/* "t50 1.06 s   t95 1.71 s   t99 1.89 s" on one line, or one figure a
 * line when the marks make it too long. */
static void time_to_online_line(const struct run *r, struct sbuf *out)
{
    static const enum fig_id ids[] = {FIG_T50, FIG_T95, FIG_T99};
    static const char *const names[] = {"t50", "t95", "t99"};
    char seg[3][FMT_LEN + 64], v[FMT_LEN], m[48];
    size_t width = LABEL_W;
    if (r->rows_only) {
        field(out, "time to online",
              "n/a (the run ended before its final gathers: only the timeseries rows are known)");
        return;
    }
    for (int k = 0; k < 3; k++) {
        fig(r, ids[k], v, sizeof v, NULL);
        emu_mark(r, figure_emu_key(ids[k]), m, sizeof m);
        snprintf(seg[k], sizeof seg[k], "%s %s%s", names[k], v, m);
        width += utf8_width(seg[k]) + (k ? 3 : 0);
    }
    line_label(out, "time to online");
    for (int k = 0; k < 3; k++) {
        if (k && width > TERM_W) {
            sbuf_addc(out, '\n');
            sbuf_pad(out, LABEL_W);
        } else if (k) {
            sbuf_add(out, "   ");
        }
        sbuf_add(out, seg[k]);
    }
    sbuf_addc(out, '\n');
}

/* "p50 8.19 ms, p95 18.4 ms, p99 24.6 ms [emulator-bound: 40%]" from
 * summary.figures; nothing for a run without them, or without a sample. */
static void latency_line(const struct run *r, const char *what, const char *label, struct sbuf *out)
{
    static const char *const ps[] = {"p50", "p95", "p99"};
    json_t *figs = json_object_get(r->summary, "figures");
    struct sbuf t;
    sbuf_init(&t);
    for (int k = 0; k < 3; k++) {
        char key[32], v[FMT_LEN], m[48];
        snprintf(key, sizeof key, "%s_%s_ms", what, ps[k]);
        json_t *val = json_object_get(json_object_get(figs, key), "value");
        if (!json_is_number(val))
            continue;
        fmt_value(UNIT_MS, json_number_value(val), v, sizeof v);
        emu_mark(r, key, m, sizeof m);
        sbuf_printf(&t, "%s%s %s%s", t.len ? ", " : "", ps[k], v, m);
    }
    if (t.len)
        field(out, label, sbuf_str(&t));
    sbuf_free(&t);
}

/* The shares of the headline figures and of the latency tails, against
 * the limit; then the figures the emulator shaped, if any. */
static void emulator_lines(const struct run *r, struct sbuf *out)
{
    static const int shown[] = {0, 1, 2, 3, 6, 9}; /* t50..recovery, login p99, register p99 */
    double limit = figure_emu_limit(r);
    struct sbuf t, b;
    sbuf_init(&t);
    sbuf_init(&b);
    size_t n_bound = 0;
    for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
        double share;
        enum fig_verdict vd = figure_emu_verdict(r, emu_figure_keys[shown[k]], &share);
        if ((vd == FVD_FAITHFUL || vd == FVD_BOUND) && isfinite(share))
            sbuf_printf(&t, "%s%s %.0f%%", t.len ? ", " : "", emu_figure_names[shown[k]],
                        100 * share);
    }
    for (int k = 0; k < EMU_FIGURES; k++)
        if (figure_emu_verdict(r, emu_figure_keys[k], NULL) == FVD_BOUND)
            sbuf_printf(&b, "%s%s", n_bound++ ? ", " : "", emu_figure_names[k]);
    if (t.len) {
        if (isfinite(limit))
            sbuf_printf(&t, " (limit %.0f%%)", 100 * limit);
        field(out, "emulator share", sbuf_str(&t));
    }
    if (n_bound) {
        if (isfinite(limit))
            sbuf_printf(&b, ": more than %.0f%% of %s was the emulator's own delay", 100 * limit,
                        n_bound > 1 ? "each" : "it");
        field(out, "emulator-bound", sbuf_str(&b));
    }
    sbuf_free(&t);
    sbuf_free(&b);
}

static void recovered_line(const struct run *r, struct sbuf *out)
{
    double v, before, end, level = 0.95, rec, online;
    enum fig_state rs = figure_value(r, FIG_RECOVERED, &v);
    if (rs == FV_ABSENT)
        return; /* a run from before the verdicts */
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    struct sbuf t;
    sbuf_init(&t);
    bool has_before = run_number(r, "trigger.online_before", &before) == 1;
    run_number(r, "trigger.recovered_level", &level);
    if (rs == FV_NULL) {
        sbuf_add(&t, run_number(r, "trigger.start_s", &v) == 1
                         ? "n/a (nobody was online before the trigger)"
                         : "n/a (no reboot, crash, outage or capacity event to recover from)");
    } else if (v != 0) {
        sbuf_add(&t, "yes");
        if (figure_value(r, FIG_RECOVERY_S, &rec) == FV_VALUE) {
            char m[48];
            fmt_value(UNIT_SECONDS, rec, a, sizeof a);
            sbuf_printf(&t, ", %s after the trigger", a);
            if (run_number(r, "trigger.end_s", &end) == 1) {
                fmt_value(UNIT_SECONDS, end, b, sizeof b);
                sbuf_printf(&t, " ended at %s", b);
            }
            emu_mark(r, "recovery_s", m, sizeof m);
            sbuf_add(&t, m);
        }
        if (has_before) {
            fmt_value(UNIT_COUNT, before, c, sizeof c);
            sbuf_printf(&t, " (online back to %.0f%% of %s)", 100 * level, c);
        }
    } else {
        sbuf_add(&t, "NOT RECOVERED");
        if (run_number(r, "online_final", &online) == 1 && has_before) {
            fmt_value(UNIT_COUNT, online, a, sizeof a);
            fmt_value(UNIT_COUNT, before, b, sizeof b);
            sbuf_printf(&t, ": %s online at the end, %s before the trigger", a, b);
        }
    }
    field(out, "recovered", sbuf_str(&t));
    sbuf_free(&t);
}

static void metastable_line(const struct run *r, struct sbuf *out)
{
    static const char *const cls[] = {"login_server", "service", "dht_bootstrap", "headend",
                                      "target"};
    static const char *const name[] = {"login servers", "service", "bootstrap nodes",
                                       "head-end registration", "target"};
    double v;
    enum fig_state ms = figure_value(r, FIG_METASTABLE, &v);
    if (ms == FV_ABSENT)
        return;
    struct sbuf t;
    sbuf_init(&t);
    if (ms == FV_NULL)
        sbuf_add(&t, run_number(r, "trigger.start_s", &v) == 1
                         ? "n/a (too little of the run after the trigger to judge)"
                         : "n/a (no trigger)");
    else
        sbuf_add(&t, v != 0 ? "YES" : "no");
    /* The load figures behind the verdict, one class after the other. */
    json_t *detail = json_object_get(r->summary, "metastable_detail");
    size_t shown = 0;
    for (size_t k = 0; k < sizeof cls / sizeof cls[0]; k++) {
        json_t *l = json_object_get(detail, cls[k]);
        if (!json_is_object(l))
            continue;
        char o[FMT_LEN], g[FMT_LEN], c[FMT_LEN];
        json_t *cap = json_object_get(l, "capacity_rps");
        fmt_value(UNIT_RATE, json_number_value(json_object_get(l, "offered_rps")), o, sizeof o);
        fmt_value(UNIT_RATE, json_number_value(json_object_get(l, "goodput_rps")), g, sizeof g);
        /* null: a real server's, not known (architecture target) */
        if (json_is_number(cap))
            fmt_value(UNIT_RATE, json_number_value(cap), c, sizeof c);
        else
            snprintf(c, sizeof c, "unknown");
        sbuf_printf(&t, "%s%s offered %s, goodput %s, capacity %s", shown++ ? "; " : ": ", name[k],
                    o, g, c);
        if (!json_is_number(cap) && !strcmp(cls[k], "target"))
            sbuf_add(&t, " (judged on the attempts alone: metastable when most failed in both "
                         "halves of the window after the trigger)");
    }
    field(out, "metastable", sbuf_str(&t));
    sbuf_free(&t);
}

static void fidelity_lines(const struct run *r, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN];
    double v;
    json_t *fid = json_object_get(r->summary, "fidelity");
    bool valid = json_is_true(json_object_get(fid, "valid"));
    struct sbuf t;
    sbuf_init(&t);
    fig(r, FIG_LAG_P99, a, sizeof a, NULL);
    sbuf_printf(&t, "%s (timer lag p99 %s", valid ? "valid" : "NOT VALID", a);
    if (run_number(r, "fidelity.lag_interval_max_ms", &v) == 1) {
        fmt_value(UNIT_MS, v, b, sizeof b);
        sbuf_printf(&t, ", worst interval %s", b);
    }
    fig(r, FIG_SKEW_P99, b, sizeof b, NULL);
    sbuf_printf(&t, ", event skew p99 %s)", b);
    field(out, "fidelity", sbuf_str(&t));
    sbuf_free(&t);
    /* Not valid: the reason where nobody can miss it. */
    json_t *why = json_object_get(fid, "reason");
    if (!valid) {
        sbuf_add(out, "  !! ");
        add_wrapped(out, 5, 5, json_is_string(why) ? json_string_value(why) : "no reason given");
        sbuf_add(out, "  !! these results describe the emulator's limits, not the system's\n");
    } else if (json_is_string(why)) {
        sbuf_pad(out, LABEL_W);
        add_wrapped(out, LABEL_W, LABEL_W, json_string_value(why));
    }
}

/* Under the header, where nobody can miss it: why the run is incomplete. */
static void incomplete_line(const struct run *r, struct sbuf *out)
{
    static const char label[] = "INCOMPLETE: ";
    if (r->complete)
        return;
    sbuf_add(out, label);
    add_wrapped(out, sizeof label - 1, sizeof label - 1, run_incomplete_reason(r));
}

void summarize(const struct run *r, const struct summarize_opts *o, struct sbuf *out)
{
    char a[FMT_LEN], b[FMT_LEN], c[FMT_LEN];
    double v;
    header(r, out);
    incomplete_line(r, out);
    nodes_line(r, out);

    fig(r, FIG_ONLINE_END, a, sizeof a, NULL);
    fig(r, FIG_PEERS, b, sizeof b, NULL);
    fig(r, FIG_ONLINE_PCT, c, sizeof c, NULL);
    line_label(out, "online at end");
    sbuf_printf(out, "%s / %s (%s)\n", a, b, c);

    time_to_online_line(r, out);

    latency_line(r, "login", "login latency", out);
    /* Under dht the registration phase is the DHT join. */
    latency_line(r, "register", run_is_dht(r) ? "join latency" : "register latency", out);
    logins_lines(r, out);
    target_line(r, out);
    presence_line(r, out);
    mqtt_line(r, out);
    server_load_line(r, out);
    lookups_line(r, out);
    bootstrap_line(r, out);
    routing_line(r, out);
    settop_line(r, out);
    time_to_image_line(r, out);
    egress_line(r, out);
    cycles_line(r, out);
    fountain_line(r, out);
    downloads_line(r, out);
    received_line(r, out);
    image_check_line(r, out);
    registration_line(r, out);
    datacenters_line(r, out);
    scale_line(r, out);

    if (run_number(r, "msgs_sent", &v) == 1) {
        fmt_value(UNIT_COUNT, v, a, sizeof a);
        fmt_value(UNIT_BYTES, num_or(r, "bytes_sent", NAN), b, sizeof b);
        line_label(out, "traffic");
        sbuf_printf(out, "%s messages, %s sent\n", a, b);
    }
    online_lines(r, o, out);

    /* The verdicts last, next to each other, where the eye lands at the
     * end of a run. */
    recovered_line(r, out);
    metastable_line(r, out);
    emulator_lines(r, out);
    fidelity_lines(r, out);
    field(out, "results", r->path);
}

int summarize_print_dir(FILE *out, const char *run_dir, char *err, size_t errlen)
{
    struct run r;
    if (run_load(run_dir, &r, err, errlen) < 0)
        return -1;
    struct sbuf b;
    sbuf_init(&b);
    struct summarize_opts o = {.width = SUMMARIZE_WIDTH, .ascii = false};
    summarize(&r, &o, &b);
    int rc = 0;
    errno = 0;
    if (fwrite(sbuf_str(&b), 1, b.len, out) != b.len || fflush(out) != 0) {
        snprintf(err, errlen, "cannot write the summary: %s",
                 errno ? strerror(errno) : "write error");
        rc = -1;
    }
    sbuf_free(&b);
    run_free(&r);
    return rc;
}
