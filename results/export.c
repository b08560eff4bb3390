/* export.c - tidy CSV / JSON / JSON Lines. */
#include "export.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/openmetrics.h"
#include "group.h"

int export_format_parse(const char *s, enum export_format *out)
{
    if (!strcmp(s, "csv"))
        *out = EXPORT_CSV;
    else if (!strcmp(s, "json"))
        *out = EXPORT_JSON;
    else if (!strcmp(s, "jsonl") || !strcmp(s, "ndjson"))
        *out = EXPORT_JSONL;
    else if (!strcmp(s, "openmetrics"))
        *out = EXPORT_OPENMETRICS;
    else if (!strcmp(s, "prometheus"))
        *out = EXPORT_PROMETHEUS;
    else
        return -1;
    return 0;
}

/* Shortest text that reads back as the CSV's value (they have <= 15 digits). */
static void num_text(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.15g", v);
}

static json_t *num_json(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* ---- openmetrics, prometheus ---- */

/* The last row's value of a column; NaN without the column or a row. */
static double last_of(const struct run *r, const char *col)
{
    const double *d = run_col(r, col);
    return d && r->n_rows ? d[r->n_rows - 1] : NAN;
}

/* A latency summary of histograms.json (us): the whole run's count,
 * sum, and quantiles (bucket upper bounds, as the file has them). A run
 * with histograms.json but without that histogram (image outside settop)
 * has an empty one, as the live endpoint shows it. */
static void om_latency(const struct run *r, const char *key, struct om_latency_data *d)
{
    static const char *const qkey[OM_QUANTILES] = {"p50", "p95", "p99"};
    d->known = r->hist != NULL;
    json_t *h = json_object_get(r->hist, key);
    json_t *count = json_object_get(h, "count"), *mean = json_object_get(h, "mean");
    d->count = json_is_integer(count) && json_integer_value(count) > 0
                   ? (uint64_t)json_integer_value(count)
                   : 0;
    d->sum_s =
        d->count && json_is_number(mean) ? json_number_value(mean) * (double)d->count / 1e6 : 0;
    for (int q = 0; q < OM_QUANTILES; q++) {
        json_t *v = json_object_get(h, qkey[q]);
        d->q_s[q] = d->count && json_is_number(v) ? json_number_value(v) / 1e6 : NAN;
    }
}

void export_om_run(const struct run *r, struct om_run *o)
{
    om_run_init(o);
    o->run = r->label;
    o->scenario = r->name;
    o->architecture = run_architecture(r);
    o->version = json_string_value(json_object_get(r->root, "version"));
    o->seed = r->seed;
    o->run_s = r->n_rows ? last_of(r, "t_s") : 0;
    o->duration_s = run_duration_s(r);
    json_t *iv = run_scenario_get(r, "metrics.interval");
    o->interval_s = json_is_string(iv) ? dist_mean_s(json_string_value(iv)) : NAN;
    o->interval = (double)r->n_rows;
    if (o->interval_s > 0 && o->duration_s > 0)
        o->intervals = ceil(o->duration_s / o->interval_s - 1e-9);
    o->ranks = last_of(r, "ranks");
    double peers;
    if (run_number(r, "peers", &peers) == 1)
        o->peers = peers;
    o->complete = r->complete;
    o->lag_p99_s = last_of(r, "lag_p99_ms") / 1e3;
    o->lag_max_s = last_of(r, "lag_max_ms") / 1e3;
    o->cpu_max = last_of(r, "cpu_max");
    for (int c = 0; c < C_COUNT; c++) {
        const char *name = metrics_counter_name((enum metric_counter)c);
        json_t *v = json_object_get(r->summary, name);
        const double *col = run_col(r, name);
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            o->has_counter[c] = true;
            o->counter[c] = (uint64_t)json_integer_value(v);
        } else if (col) { /* a summary without it: its column's sum */
            double sum = 0;
            for (size_t i = 0; i < r->n_rows; i++)
                sum += col[i];
            o->has_counter[c] = sum >= 0;
            o->counter[c] = sum >= 0 ? (uint64_t)llround(sum) : 0;
        }
    }
    for (int g = 0; g < G_COUNT; g++) {
        double v = last_of(r, metrics_gauge_name((enum metric_gauge)g));
        o->has_gauge[g] = !isnan(v);
        o->gauge[g] = isnan(v) ? 0 : (int64_t)llround(v);
    }
    om_latency(r, "login", &o->lat[OM_LAT_LOGIN]);
    om_latency(r, "register", &o->lat[OM_LAT_REGISTER]);
    om_latency(r, "image", &o->lat[OM_LAT_IMAGE]);
}

static void export_metrics(const struct run *runs, size_t n, enum om_format f, struct sbuf *out)
{
    struct om_run *om = xcalloc(n ? n : 1, sizeof *om);
    for (size_t i = 0; i < n; i++)
        export_om_run(&runs[i], &om[i]);
    struct om_buf b = {0};
    if (om_write(&b, f, om, n) < 0) {
        fprintf(stderr, "bootstorm-results: out of memory\n");
        exit(1);
    }
    sbuf_add(out, b.s);
    om_buf_free(&b);
    free(om);
}

void export_runs(const struct run *runs, size_t n, enum export_format f, struct sbuf *out)
{
    if (f == EXPORT_OPENMETRICS || f == EXPORT_PROMETHEUS) {
        export_metrics(runs, n, f == EXPORT_OPENMETRICS ? OM_OPENMETRICS : OM_PROMETHEUS, out);
        return;
    }
    /* Union of the columns, in first-seen order. */
    const char **cols = NULL;
    size_t n_cols = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < runs[i].n_cols; j++) {
            bool seen = false;
            for (size_t k = 0; k < n_cols && !seen; k++)
                seen = !strcmp(cols[k], runs[i].cols[j]);
            if (seen)
                continue;
            cols = xrealloc(cols, (n_cols + 1) * sizeof *cols);
            cols[n_cols++] = runs[i].cols[j];
        }
    struct group *groups;
    size_t n_groups;
    groups_build(runs, n, &groups, &n_groups);

    if (f == EXPORT_CSV) {
        sbuf_add(out, "run,name,seed,group");
        for (size_t k = 0; k < n_cols; k++) {
            sbuf_addc(out, ',');
            sbuf_add_csv(out, cols[k]);
        }
        sbuf_addc(out, '\n');
    } else if (f == EXPORT_JSON) {
        sbuf_add(out, "[");
    }
    bool first = true;
    const double **data = xcalloc(n_cols ? n_cols : 1, sizeof *data);
    for (size_t i = 0; i < n; i++) {
        const struct run *r = &runs[i];
        const char *gid = groups[group_of(groups, n_groups, i)].id;
        for (size_t k = 0; k < n_cols; k++)
            data[k] = run_col(r, cols[k]);
        for (size_t row = 0; row < r->n_rows; row++) {
            char num[48];
            if (f == EXPORT_CSV) {
                sbuf_add_csv(out, r->label);
                sbuf_addc(out, ',');
                sbuf_add_csv(out, r->name);
                sbuf_printf(out, ",%s,%s", r->seed, gid);
                for (size_t k = 0; k < n_cols; k++) {
                    sbuf_addc(out, ',');
                    if (data[k]) {
                        num_text(data[k][row], num, sizeof num);
                        sbuf_add(out, num);
                    }
                }
                sbuf_addc(out, '\n');
                continue;
            }
            json_t *o = json_object();
            json_object_set_new(o, "run", json_string(r->label));
            json_object_set_new(o, "name", json_string(r->name));
            json_object_set(o, "seed", json_object_get(r->root, "seed"));
            json_object_set_new(o, "group", json_string(gid));
            for (size_t k = 0; k < n_cols; k++)
                json_object_set_new(o, cols[k], data[k] ? num_json(data[k][row]) : json_null());
            char *line =
                json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
            json_decref(o);
            if (f == EXPORT_JSON)
                sbuf_add(out, first ? "\n" : ",\n");
            sbuf_add(out, line ? line : "{}");
            if (f == EXPORT_JSONL)
                sbuf_addc(out, '\n');
            free(line);
            first = false;
        }
    }
    if (f == EXPORT_JSON)
        sbuf_add(out, "\n]\n");
    free(data);
    free(cols);
    groups_free(groups, n_groups);
}
