/* openmetrics.c - bootstorm's metrics in the OpenMetrics and Prometheus
 * text formats (see openmetrics.h, docs/metrics.md). */
#include "openmetrics.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const double om_quantile[OM_QUANTILES] = {0.5, 0.95, 0.99};
/* Canonical renderings (OpenMetrics, "Canonical Numbers"). */
static const char *const quantile_text[OM_QUANTILES] = {"0.5", "0.95", "0.99"};

enum om_type { T_COUNTER, T_GAUGE, T_SUMMARY };

/* ---- the buffer ---- */

void om_buf_free(struct om_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

static void add_n(struct om_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void add(struct om_buf *b, const char *s)
{
    add_n(b, s, strlen(s));
}

static void addf(struct om_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct om_buf *b, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    add_n(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* ---- text ---- */

/* The length of the valid UTF-8 sequence at s (1-4), or 0 when it is not
 * one (a stray byte, an overlong form, a surrogate, past U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (n == 0 || s[0] > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] >= 0xA0) ||
        (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* Escaped text: backslash and line feed always, the double quote when
 * quote (label values; HELP in OpenMetrics). A byte that is not valid
 * UTF-8 becomes U+FFFD: the formats are UTF-8. */
static void add_escaped(struct om_buf *b, const char *text, bool quote)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    while (*s) {
        size_t n = utf8_len(s);
        if (n == 0) {
            add(b, "\xEF\xBF\xBD");
            s++;
        } else if (*s == '\\') {
            add(b, "\\\\");
            s++;
        } else if (*s == '\n') {
            add(b, "\\n");
            s++;
        } else if (*s == '"' && quote) {
            add(b, "\\\"");
            s++;
        } else {
            add_n(b, (const char *)s, n);
            s += n;
        }
    }
}

/* A float in the fewest digits that read back as the same double; NaN and
 * the infinities as the formats spell them. */
static void add_double(struct om_buf *b, double v)
{
    if (isnan(v)) {
        add(b, "NaN");
        return;
    }
    if (isinf(v)) {
        add(b, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    add(b, buf);
}

/* ---- names ---- */

int om_family_name(const char *table_name, char *out, size_t len, double *scale, const char **unit)
{
    static const struct {
        const char *suffix;
        double scale;
    } small[] = {{"_us", 1e-6}, {"_ms", 1e-3}, {"_ns", 1e-9}};
    /* last parts the formats give other types' samples */
    static const char *const reserved[] = {"_count",   "_sum",  "_bucket", "_total",
                                           "_created", "_info", "_gcount", "_gsum"};
    size_t n = strlen(table_name);
    *scale = 1;
    *unit = NULL;
    int w = -1;
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0] && w < 0; i++) {
        size_t k = strlen(reserved[i]);
        if (n > k && !strcmp(table_name + n - k, reserved[i]))
            w = snprintf(out, len, "bootstorm_%s_value", table_name);
    }
    for (size_t i = 0; i < sizeof small / sizeof small[0] && w < 0; i++) {
        size_t k = strlen(small[i].suffix);
        if (n > k && !strcmp(table_name + n - k, small[i].suffix)) {
            w = snprintf(out, len, "bootstorm_%.*s_seconds", (int)(n - k), table_name);
            *scale = small[i].scale;
        }
    }
    if (w < 0)
        w = snprintf(out, len, "bootstorm_%s", table_name);
    if (w < 0 || (size_t)w >= len)
        return -1;
    size_t m = (size_t)w;
    if (m > 8 && !strcmp(out + m - 8, "_seconds"))
        *unit = "seconds";
    else if (m > 6 && !strcmp(out + m - 6, "_bytes"))
        *unit = "bytes";
    return 0;
}

/* ---- families and samples ---- */

struct writer {
    struct om_buf *b;
    enum om_format f;
};

static const char *type_name(enum om_type t, enum om_format f)
{
    switch (t) {
    case T_COUNTER:
        return "counter";
    case T_SUMMARY:
        return "summary";
    default:
        return "gauge";
    }
}

/* The metadata of a family. In OpenMetrics it names the family (a
 * counter's samples add _total); in the classic format a counter is named
 * by its sample, as there. */
static void family(struct writer *w, const char *name, enum om_type t, const char *unit,
                   const char *help)
{
    const char *suffix = w->f == OM_PROMETHEUS && t == T_COUNTER ? "_total" : "";
    if (w->f == OM_OPENMETRICS) {
        addf(w->b, "# TYPE %s %s\n", name, type_name(t, w->f));
        if (unit)
            addf(w->b, "# UNIT %s %s\n", name, unit);
        addf(w->b, "# HELP %s ", name);
        add_escaped(w->b, help, true);
        add(w->b, "\n");
    } else {
        addf(w->b, "# HELP %s%s ", name, suffix);
        add_escaped(w->b, help, false);
        addf(w->b, "\n# TYPE %s%s %s\n", name, suffix, type_name(t, w->f));
    }
}

/* name+suffix{run="...",scenario="..."[,extra]} and a space. */
static void sample_start(struct writer *w, const char *name, const char *suffix,
                         const struct om_run *r, const char *extra)
{
    addf(w->b, "%s%s{run=\"", name, suffix);
    add_escaped(w->b, r->run, true);
    add(w->b, "\",scenario=\"");
    add_escaped(w->b, r->scenario, true);
    add(w->b, "\"");
    if (extra) {
        add(w->b, ",");
        add(w->b, extra);
    }
    add(w->b, "} ");
}

static void sample_double(struct writer *w, const char *name, const char *suffix,
                          const struct om_run *r, const char *extra, double v)
{
    sample_start(w, name, suffix, r, extra);
    add_double(w->b, v);
    add(w->b, "\n");
}

/* A gauge of struct om_run, by its offset: written for the runs where it
 * is known (not NaN); the family only when some run has it. */
static void run_gauge(struct writer *w, const struct om_run *runs, size_t n, const char *name,
                      const char *unit, const char *help, size_t offset)
{
    bool any = false;
    for (size_t i = 0; i < n && !any; i++)
        any = !isnan(*(const double *)((const char *)&runs[i] + offset));
    if (!any)
        return;
    family(w, name, T_GAUGE, unit, help);
    for (size_t i = 0; i < n; i++) {
        double v = *(const double *)((const char *)&runs[i] + offset);
        if (!isnan(v))
            sample_double(w, name, "", &runs[i], NULL, v);
    }
}

/* An info metric as a gauge of value 1 named *_info, in both formats:
 * promtool (2.42) does not parse OpenMetrics' info type. */
static void info(struct writer *w, const struct om_run *runs, size_t n)
{
    family(w, "bootstorm_run_info", T_GAUGE, NULL,
           "The run: its directory name (run), scenario name, architecture, bootstorm version "
           "and seed");
    for (size_t i = 0; i < n; i++) {
        const struct om_run *r = &runs[i];
        const char *keys[] = {"architecture", "version", "seed"};
        const char *vals[] = {r->architecture, r->version, r->seed};
        struct om_buf extra = {0};
        for (int k = 0; k < 3; k++) {
            addf(&extra, "%s%s=\"", k ? "," : "", keys[k]);
            add_escaped(&extra, vals[k], true);
            add(&extra, "\"");
        }
        if (extra.failed)
            w->b->failed = true;
        else
            sample_double(w, "bootstorm_run_info", "", r, extra.s, 1);
        om_buf_free(&extra);
    }
}

static void progress(struct writer *w, const struct om_run *runs, size_t n)
{
#define G(name, unit, help, field)                                                                 \
    run_gauge(w, runs, n, name, unit, help, offsetof(struct om_run, field))
    G("bootstorm_run_seconds", "seconds",
      "Run time at the end of the latest complete interval (timeseries.csv t_s of the last row)",
      run_s);
    G("bootstorm_run_elapsed_seconds", "seconds",
      "Live only: the run clock when the metrics were asked for (negative before run time 0)",
      elapsed_s);
    G("bootstorm_run_duration_seconds", "seconds", "The scenario's duration", duration_s);
    G("bootstorm_run_interval_seconds", "seconds", "The metrics interval (metrics.interval)",
      interval_s);
    G("bootstorm_run_interval", NULL,
      "Index of the latest complete interval, from 1 (timeseries.csv rows written); 0 before "
      "the first",
      interval);
    G("bootstorm_run_intervals_planned", NULL,
      "Intervals the run has at its full duration: ceil(duration / interval)", intervals);
    G("bootstorm_run_ranks", NULL, "Host ranks that reported the latest complete interval", ranks);
    G("bootstorm_run_peers", NULL, "Peers in the scenario (nodes.peers)", peers);
    G("bootstorm_timer_lag_p99_seconds", "seconds",
      "The worst rank's p99 timer lag in the latest complete interval (lag_p99_ms)", lag_p99_s);
    G("bootstorm_timer_lag_max_seconds", "seconds",
      "The worst rank's largest timer lag in the latest complete interval (lag_max_ms)", lag_max_s);
    G("bootstorm_cpu_max_ratio", "ratio",
      "The busiest rank's CPU use in the latest complete interval, 1 = one core (cpu_max)",
      cpu_max);
#undef G
    family(w, "bootstorm_run_complete", T_GAUGE, NULL,
           "1 when the run finished complete (run.json complete); 0 while it runs");
    for (size_t i = 0; i < n; i++)
        sample_double(w, "bootstorm_run_complete", "", &runs[i], NULL, runs[i].complete);
}

static void counters(struct writer *w, const struct om_run *runs, size_t n)
{
    for (int c = 0; c < C_COUNT; c++) {
        const char *raw = metrics_counter_name((enum metric_counter)c);
        char name[160], help[320];
        double scale;
        const char *unit;
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = runs[i].has_counter[c];
        if (!any || om_family_name(raw, name, sizeof name, &scale, &unit) < 0)
            continue;
        snprintf(help, sizeof help,
                 "Counter %s of timeseries.csv%s, summed over the ranks and the intervals up "
                 "to the latest complete one",
                 raw, scale != 1 ? ", in seconds" : "");
        family(w, name, T_COUNTER, unit, help);
        for (size_t i = 0; i < n; i++) {
            if (!runs[i].has_counter[c])
                continue;
            sample_start(w, name, "_total", &runs[i], NULL);
            if (scale == 1)
                addf(w->b, "%llu\n", (unsigned long long)runs[i].counter[c]);
            else {
                add_double(w->b, (double)runs[i].counter[c] * scale);
                add(w->b, "\n");
            }
        }
    }
}

static void gauges(struct writer *w, const struct om_run *runs, size_t n)
{
    for (int g = 0; g < G_COUNT; g++) {
        const char *raw = metrics_gauge_name((enum metric_gauge)g);
        char name[160], help[320];
        double scale;
        const char *unit;
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = runs[i].has_gauge[g];
        if (!any || om_family_name(raw, name, sizeof name, &scale, &unit) < 0)
            continue;
        snprintf(help, sizeof help,
                 "Gauge %s of timeseries.csv%s, summed over the ranks, at the end of the latest "
                 "complete interval",
                 raw, scale != 1 ? ", in seconds" : "");
        family(w, name, T_GAUGE, unit, help);
        for (size_t i = 0; i < n; i++) {
            if (!runs[i].has_gauge[g])
                continue;
            sample_start(w, name, "", &runs[i], NULL);
            if (scale == 1)
                addf(w->b, "%lld\n", (long long)runs[i].gauge[g]);
            else {
                add_double(w->b, (double)runs[i].gauge[g] * scale);
                add(w->b, "\n");
            }
        }
    }
}

static void summaries(struct writer *w, const struct om_run *runs, size_t n)
{
    static const struct {
        const char *name, *help;
    } lat[OM_LAT_COUNT] = {
        [OM_LAT_LOGIN] = {"bootstorm_login_latency_seconds",
                          "Successful login attempts, start to LOGIN_OK: quantiles over the "
                          "latest complete interval (live) or the whole run (export); count and "
                          "sum since the start"},
        [OM_LAT_REGISTER] = {"bootstorm_register_latency_seconds",
                             "Successful registrations, attempt start to REGISTER_OK: quantiles "
                             "over the latest complete interval (live) or the whole run (export); "
                             "count and sum since the start"},
        [OM_LAT_IMAGE] = {"bootstorm_image_time_seconds",
                          "settop: images completed, a box's first fetch to its image complete: "
                          "quantiles over the latest complete interval (live) or the whole run "
                          "(export); count and sum since the start"},
    };
    for (int k = 0; k < OM_LAT_COUNT; k++) {
        bool any = false;
        for (size_t i = 0; i < n && !any; i++)
            any = runs[i].lat[k].known;
        if (!any)
            continue;
        family(w, lat[k].name, T_SUMMARY, "seconds", lat[k].help);
        for (size_t i = 0; i < n; i++) {
            const struct om_latency_data *d = &runs[i].lat[k];
            if (!d->known)
                continue;
            for (int q = 0; q < OM_QUANTILES; q++) {
                char extra[32];
                snprintf(extra, sizeof extra, "quantile=\"%s\"", quantile_text[q]);
                sample_double(w, lat[k].name, "", &runs[i], extra, d->q_s[q]);
            }
            sample_double(w, lat[k].name, "_sum", &runs[i], NULL, d->sum_s);
            sample_start(w, lat[k].name, "_count", &runs[i], NULL);
            addf(w->b, "%llu\n", (unsigned long long)d->count);
        }
    }
}

void om_run_init(struct om_run *r)
{
    memset(r, 0, sizeof *r);
    r->run_s = r->elapsed_s = r->duration_s = r->interval_s = r->interval = r->intervals = NAN;
    r->ranks = r->peers = r->lag_p99_s = r->lag_max_s = r->cpu_max = NAN;
}

int om_write(struct om_buf *b, enum om_format f, const struct om_run *runs, size_t n)
{
    struct writer w = {b, f};
    if (n > 0) {
        info(&w, runs, n);
        progress(&w, runs, n);
        counters(&w, runs, n);
        gauges(&w, runs, n);
        summaries(&w, runs, n);
    }
    if (f == OM_OPENMETRICS)
        add(b, "# EOF\n");
    return b->failed ? -1 : 0;
}

/* ---- content negotiation ---- */

/* The q of one media range's parameters (";q=0.5"); 1 without one, 0 for
 * a malformed one (RFC 9110: a weight is 0 to 1, three decimals). */
static double range_q(const char *params, size_t len)
{
    double q = 1;
    size_t i = 0;
    while (i < len) {
        while (i < len && (params[i] == ';' || params[i] == ' ' || params[i] == '\t'))
            i++;
        size_t start = i;
        while (i < len && params[i] != ';')
            i++;
        const char *p = params + start;
        size_t plen = i - start;
        if (plen >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[16];
            size_t k = plen - 2 < sizeof num - 1 ? plen - 2 : sizeof num - 1;
            memcpy(num, p + 2, k);
            num[k] = '\0';
            while (k > 0 && (num[k - 1] == ' ' || num[k - 1] == '\t'))
                num[--k] = '\0';
            char *end;
            q = strtod(num, &end);
            if (end == num || *end || q < 0 || q > 1)
                q = 0;
        }
    }
    return q;
}

/* Whether the media type at type (len bytes) is lit, ignoring case. */
static bool is_type(const char *type, size_t len, const char *lit)
{
    return len == strlen(lit) && !strncasecmp(type, lit, len);
}

bool om_accepts_openmetrics(const char *accept)
{
    double q_om = 0, q_text = 0;
    const char *s = accept;
    while (s && *s) {
        const char *end = strchr(s, ',');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        size_t i = 0;
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        size_t t0 = i;
        while (i < len && s[i] != ';' && s[i] != ' ' && s[i] != '\t')
            i++;
        const char *type = s + t0;
        size_t tlen = i - t0;
        double q = range_q(s + i, len - i);
        if (is_type(type, tlen, "application/openmetrics-text") && q > q_om)
            q_om = q;
        else if ((is_type(type, tlen, "text/plain") || is_type(type, tlen, "text/*") ||
                  is_type(type, tlen, "*/*")) &&
                 q > q_text)
            q_text = q;
        s = end ? end + 1 : NULL;
    }
    return q_om > 0 && q_om >= q_text;
}
