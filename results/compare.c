/* compare.c - comparison model, terminal table and JSON. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

/* ---- model ---- */

void cmp_build(const struct run *runs, size_t n_runs, struct cmp *c)
{
    memset(c, 0, sizeof *c);
    c->runs = runs;
    c->n_runs = n_runs;
    groups_build(runs, n_runs, &c->groups, &c->n_groups);
    c->run = xcalloc(n_runs ? n_runs : 1, sizeof *c->run);
    c->grp = xcalloc(c->n_groups ? c->n_groups : 1, sizeof *c->grp);

    for (size_t i = 0; i < n_runs; i++)
        for (int f = 0; f < FIG_COUNT; f++) {
            struct cmp_value *cv = &c->run[i][f];
            cv->state = figure_value(&runs[i], (enum fig_id)f, &cv->v);
            cv->delta = cv->pct = NAN;
            if (cv->state != FV_VALUE)
                cv->v = NAN;
            else
                c->shown[f] = true;
            if (cv->state == FV_NULL)
                c->shown[f] = true;
        }
    for (int f = 0; f < FIG_COUNT; f++)
        if (!figure_defs[f].optional)
            c->shown[f] = true;
    /* Deltas to the first run. */
    for (size_t i = 1; i < n_runs; i++)
        for (int f = 0; f < FIG_COUNT; f++) {
            struct cmp_value *cv = &c->run[i][f], *b = &c->run[0][f];
            if (cv->state != FV_VALUE || b->state != FV_VALUE)
                continue;
            cv->delta = cv->v - b->v;
            cv->pct = b->v != 0 ? 100 * cv->delta / fabs(b->v) : NAN;
        }

    double *vals = xcalloc(n_runs ? n_runs : 1, sizeof *vals);
    for (size_t g = 0; g < c->n_groups; g++)
        for (int f = 0; f < FIG_COUNT; f++) {
            struct cmp_group_value *gv = &c->grp[g][f];
            size_t n = 0;
            for (size_t m = 0; m < c->groups[g].n; m++) {
                const struct cmp_value *cv = &c->run[c->groups[g].members[m]][f];
                if (cv->state == FV_VALUE) {
                    vals[n++] = cv->v;
                    gv->n_true += cv->v != 0;
                } else if (cv->state == FV_NULL) {
                    gv->n_null++;
                } else {
                    gv->n_absent++;
                }
            }
            stats_describe(vals, n, &gv->st);
            if (gv->n_null)
                gv->st.mean = gv->st.sd = gv->st.ci = gv->st.lo = gv->st.hi = NAN;
            gv->delta = gv->pct = NAN;
            gv->sig = SIG_UNKNOWN;
        }
    free(vals);
    for (size_t g = 1; g < c->n_groups; g++)
        for (int f = 0; f < FIG_COUNT; f++) {
            struct cmp_group_value *gv = &c->grp[g][f], *b = &c->grp[0][f];
            if (isnan(gv->st.mean) || isnan(b->st.mean))
                continue;
            gv->delta = gv->st.mean - b->st.mean;
            gv->pct = b->st.mean != 0 ? 100 * gv->delta / fabs(b->st.mean) : NAN;
            if (figure_defs[f].unit != UNIT_BOOL)
                gv->sig = stats_significant(&b->st, &gv->st);
        }
}

void cmp_free(struct cmp *c)
{
    groups_free(c->groups, c->n_groups);
    free(c->run);
    free(c->grp);
    memset(c, 0, sizeof *c);
}

bool cmp_has_groups(const struct cmp *c)
{
    for (size_t g = 0; g < c->n_groups; g++)
        if (c->groups[g].n > 1)
            return true;
    return false;
}

/* ---- cells ---- */

/* Append the emulator-bound mark to a cell. */
static void mark_cell(char *buf, size_t len)
{
    size_t n = strlen(buf);
    snprintf(buf + n, len - n, " %s", CMP_EMU_MARK);
}

void cmp_run_cell(const struct cmp *c, size_t run, enum fig_id f, char *buf, size_t len)
{
    const struct cmp_value *cv = &c->run[run][f];
    if (cv->state == FV_VALUE)
        fmt_value(figure_defs[f].unit, cv->v, buf, len);
    else
        snprintf(buf, len, "%s", cv->state == FV_NULL ? figure_defs[f].null_word : "-");
    if (cv->state == FV_VALUE && figure_emulator_bound(&c->runs[run], f))
        mark_cell(buf, len);
}

bool cmp_group_bound(const struct cmp *c, size_t g, enum fig_id f)
{
    for (size_t m = 0; m < c->groups[g].n; m++)
        if (figure_emulator_bound(&c->runs[c->groups[g].members[m]], f))
            return true;
    return false;
}

bool cmp_any_bound(const struct cmp *c)
{
    for (size_t i = 0; i < c->n_runs; i++)
        for (int f = 0; f < FIG_COUNT; f++)
            if (c->shown[f] && c->run[i][f].state == FV_VALUE &&
                figure_emulator_bound(&c->runs[i], (enum fig_id)f))
                return true;
    return false;
}

void cmp_bound_note(const struct cmp *c, bool groups, struct sbuf *out)
{
    double limit = NAN;
    for (size_t i = 0; i < c->n_runs && isnan(limit); i++)
        limit = figure_emu_limit(&c->runs[i]);
    sbuf_printf(out, "%s emulator-bound: more than ", CMP_EMU_MARK);
    if (isfinite(limit))
        sbuf_printf(out, "%.0f%%", 100 * limit);
    else
        sbuf_add(out, "control.max_emulator_share");
    sbuf_add(out, " of the figure was the emulator's own delay, not the system's");
    if (groups)
        sbuf_add(out, " (in at least one run of the group)");
}

static void delta_text(enum unit u, double d, double pct, char *buf, size_t len)
{
    /* No change, no line: identical figures stay quiet. */
    if (isnan(d) || d == 0) {
        snprintf(buf, len, "%s", "");
        return;
    }
    char a[FMT_LEN], p[FMT_LEN];
    fmt_delta(u, d, a, sizeof a);
    fmt_pct_change(pct, p, sizeof p);
    if (*p && u != UNIT_PERCENT && u != UNIT_BOOL)
        snprintf(buf, len, "%s (%s)", a, p);
    else
        snprintf(buf, len, "%s", a);
}

void cmp_run_delta(const struct cmp *c, size_t run, enum fig_id f, char *buf, size_t len)
{
    const struct cmp_value *cv = &c->run[run][f];
    if (run == 0 || figure_defs[f].unit == UNIT_BOOL) {
        snprintf(buf, len, "%s", "");
        return;
    }
    delta_text(figure_defs[f].unit, cv->delta, cv->pct, buf, len);
}

void cmp_group_cell(const struct cmp *c, size_t g, enum fig_id f, char *buf, size_t len)
{
    const struct cmp_group_value *gv = &c->grp[g][f];
    const struct group *gr = &c->groups[g];
    enum unit u = figure_defs[f].unit;
    if (gv->n_absent == gr->n) {
        snprintf(buf, len, "-");
        return;
    }
    if (u == UNIT_BOOL) {
        size_t known = gr->n - gv->n_null - gv->n_absent;
        if (known == 0)
            snprintf(buf, len, "%s", figure_defs[f].null_word);
        else if (gr->n == 1)
            snprintf(buf, len, "%s", known ? (gv->n_true ? "yes" : "no") : "n/a");
        else if (gv->n_true == known || gv->n_true == 0)
            snprintf(buf, len, "%s (%zu/%zu)", gv->n_true ? "yes" : "no", gv->n_true, known);
        else
            snprintf(buf, len, "%zu/%zu yes", gv->n_true, known);
        return;
    }
    if (gv->n_null) {
        if (gr->n == 1)
            snprintf(buf, len, "%s", figure_defs[f].null_word);
        else
            snprintf(buf, len, "%s (%zu of %zu)", figure_defs[f].null_word, gv->n_null, gr->n);
        return;
    }
    /* No "± 0" for a figure that did not vary (peers, capacity). */
    fmt_pm(u, gv->st.mean, gv->st.n < 2 || gv->st.sd == 0 ? NAN : gv->st.ci, buf, len);
    if (cmp_group_bound(c, g, f))
        mark_cell(buf, len);
}

void cmp_group_delta(const struct cmp *c, size_t g, enum fig_id f, char *buf, size_t len)
{
    const struct cmp_group_value *gv = &c->grp[g][f];
    if (g == 0 || figure_defs[f].unit == UNIT_BOOL) {
        snprintf(buf, len, "%s", "");
        return;
    }
    char d[128];
    delta_text(figure_defs[f].unit, gv->delta, gv->pct, d, sizeof d);
    if (!*d) {
        snprintf(buf, len, "%s", "");
        return;
    }
    snprintf(buf, len, "%s%s", d, gv->sig == SIG_YES ? " *" : gv->sig == SIG_NO ? " ns" : "");
}

bool cmp_estimated_note(const struct cmp *c, struct sbuf *out)
{
    struct sbuf list;
    sbuf_init(&list);
    size_t k = 0;
    for (size_t i = 0; i < c->n_runs; i++)
        if (c->runs[i].cap_estimated && c->run[i][FIG_CAPACITY].state == FV_VALUE)
            sbuf_printf(&list, "%s#%zu", k++ ? ", " : "", i + 1);
    if (k)
        sbuf_printf(out,
                    "run%s %s: capacity estimated from the scenario (no capacity "
                    "timeline in run.json)",
                    k > 1 ? "s" : "", sbuf_str(&list));
    sbuf_free(&list);
    return k > 0;
}

bool cmp_null_note(const struct cmp *c, struct sbuf *out)
{
    size_t lines = 0;
    bool *done = xcalloc(c->n_runs ? c->n_runs : 1, sizeof *done);
    for (int f = 0; f < FIG_COUNT; f++) {
        if (!c->shown[f])
            continue;
        memset(done, 0, c->n_runs * sizeof *done);
        for (size_t i = 0; i < c->n_runs; i++) {
            const char *why = figure_null_reason(&c->runs[i], (enum fig_id)f);
            if (done[i] || c->run[i][f].state != FV_NULL || !why)
                continue;
            /* Every run with the same reason on one line. */
            sbuf_printf(out, "%s%s n/a for ", lines++ ? "\n" : "", figure_defs[f].label);
            for (size_t j = i, k = 0; j < c->n_runs; j++) {
                const char *w = figure_null_reason(&c->runs[j], (enum fig_id)f);
                if (c->run[j][f].state != FV_NULL || !w || strcmp(w, why))
                    continue;
                done[j] = true;
                sbuf_printf(out, "%s#%zu %s", k++ ? ", " : "", j + 1, c->runs[j].label);
            }
            sbuf_printf(out, ": %s", why);
        }
    }
    free(done);
    return lines > 0;
}

/* ---- text table ---- */

struct table {
    size_t rows, cols;
    char **cell; /* rows * cols, owned */
};

static void table_init(struct table *t, size_t cols)
{
    t->rows = 0;
    t->cols = cols;
    t->cell = NULL;
}

static void table_row(struct table *t)
{
    t->cell = xrealloc(t->cell, (t->rows + 1) * t->cols * sizeof *t->cell);
    for (size_t j = 0; j < t->cols; j++)
        t->cell[t->rows * t->cols + j] = xstrdup("");
    t->rows++;
}

static void table_set(struct table *t, size_t col, const char *s)
{
    char **p = &t->cell[(t->rows - 1) * t->cols + col];
    free(*p);
    *p = xstrdup(s);
}

static void table_print(struct table *t, struct sbuf *out)
{
    size_t *w = xcalloc(t->cols, sizeof *w);
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            size_t cw = utf8_width(t->cell[i * t->cols + j]);
            if (cw > w[j])
                w[j] = cw;
        }
    for (size_t i = 0; i < t->rows; i++) {
        size_t last = 0; /* no trailing blanks */
        for (size_t j = 0; j < t->cols; j++)
            if (*t->cell[i * t->cols + j])
                last = j;
        for (size_t j = 0; j <= last; j++) {
            const char *s = t->cell[i * t->cols + j];
            sbuf_add(out, s);
            if (j < last)
                sbuf_pad(out, w[j] - utf8_width(s) + 3);
        }
        sbuf_addc(out, '\n');
    }
    for (size_t i = 0; i < t->rows * t->cols; i++)
        free(t->cell[i]);
    free(t->cell);
    free(w);
}

static void print_runs(const struct cmp *c, struct sbuf *out)
{
    struct table t;
    table_init(&t, 7);
    sbuf_add(out, "runs\n");
    for (size_t i = 0; i < c->n_runs; i++) {
        const struct run *r = &c->runs[i];
        char b[64];
        table_row(&t);
        snprintf(b, sizeof b, "  #%zu", i + 1);
        table_set(&t, 0, b);
        table_set(&t, 1, r->label);
        table_set(&t, 2, r->name);
        snprintf(b, sizeof b, "seed %s", r->seed);
        table_set(&t, 3, b);
        table_set(&t, 4, run_architecture(r));
        snprintf(b, sizeof b, "group %s", c->groups[group_of(c->groups, c->n_groups, i)].id);
        table_set(&t, 5, b);
        double valid = 1;
        run_number(r, "fidelity.valid", &valid);
        table_set(&t, 6, !r->complete ? "INCOMPLETE" : valid == 0 ? "FIDELITY NOT VALID" : "");
    }
    table_print(&t, out);
    sbuf_add(out, "groups (runs whose scenarios differ only in seed)\n");
    table_init(&t, 4);
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct group *gr = &c->groups[g];
        char b[64];
        struct sbuf m;
        sbuf_init(&m);
        table_row(&t);
        snprintf(b, sizeof b, "  %s", gr->id);
        table_set(&t, 0, b);
        snprintf(b, sizeof b, "n=%zu", gr->n);
        table_set(&t, 1, b);
        for (size_t k = 0; k < gr->n; k++)
            sbuf_printf(&m, "%s#%zu", k ? " " : "runs ", gr->members[k] + 1);
        table_set(&t, 2, sbuf_str(&m));
        table_set(&t, 3, gr->desc);
        sbuf_free(&m);
    }
    table_print(&t, out);
}

void cmp_print_text(const struct cmp *c, enum cmp_by by, struct sbuf *out)
{
    if (by == CMP_AUTO)
        by = cmp_has_groups(c) ? CMP_BY_GROUP : CMP_BY_RUN;
    print_runs(c, out);
    sbuf_addc(out, '\n');
    size_t ncol = by == CMP_BY_GROUP ? c->n_groups : c->n_runs;
    struct table t;
    table_init(&t, ncol + 1);
    table_row(&t);
    char b[160], d[160];
    for (size_t j = 0; j < ncol; j++) {
        if (by == CMP_BY_GROUP)
            snprintf(b, sizeof b, "%s (n=%zu)", c->groups[j].id, c->groups[j].n);
        else
            snprintf(b, sizeof b, "#%zu %s", j + 1, c->runs[j].label);
        table_set(&t, j + 1, b);
    }
    for (int f = 0; f < FIG_COUNT; f++) {
        if (!c->shown[f])
            continue;
        table_row(&t);
        table_set(&t, 0, figure_defs[f].label);
        bool any_delta = false;
        for (size_t j = 0; j < ncol; j++) {
            if (by == CMP_BY_GROUP)
                cmp_group_cell(c, j, (enum fig_id)f, b, sizeof b);
            else
                cmp_run_cell(c, j, (enum fig_id)f, b, sizeof b);
            table_set(&t, j + 1, b);
            if (by == CMP_BY_GROUP)
                cmp_group_delta(c, j, (enum fig_id)f, d, sizeof d);
            else
                cmp_run_delta(c, j, (enum fig_id)f, d, sizeof d);
            any_delta |= *d != '\0';
        }
        if (!any_delta)
            continue;
        table_row(&t);
        for (size_t j = 0; j < ncol; j++) {
            if (by == CMP_BY_GROUP)
                cmp_group_delta(c, j, (enum fig_id)f, d, sizeof d);
            else
                cmp_run_delta(c, j, (enum fig_id)f, d, sizeof d);
            table_set(&t, j + 1, d);
        }
    }
    table_print(&t, out);
    sbuf_addc(out, '\n');
    if (by == CMP_BY_GROUP)
        sbuf_add(out, "mean ± 95% confidence interval (Student t, n-1 degrees of freedom). Second "
                      "lines: change of the mean\nfrom group A. * significant: the two intervals "
                      "do not overlap; ns: they overlap.\n");
    else
        sbuf_add(out, "Second lines: change from run #1.\n");
    if (cmp_any_bound(c)) {
        cmp_bound_note(c, by == CMP_BY_GROUP, out);
        sbuf_addc(out, '\n');
    }
    if (cmp_estimated_note(c, out))
        sbuf_addc(out, '\n');
    if (cmp_null_note(c, out))
        sbuf_addc(out, '\n');
    for (size_t i = 0; i < c->n_runs; i++) {
        const struct run *r = &c->runs[i];
        double valid = 1;
        run_number(r, "fidelity.valid", &valid);
        if (valid != 0)
            continue;
        json_t *why = json_object_get(json_object_get(r->summary, "fidelity"), "reason");
        sbuf_printf(out, "WARNING: #%zu %s: fidelity not valid: %s\n", i + 1, r->label,
                    json_is_string(why) ? json_string_value(why) : "no reason given");
    }
}

/* ---- JSON ---- */

/* Whole numbers as JSON integers (counts read as 767, not 767.0). */
static json_t *num(double v)
{
    if (!isfinite(v))
        return json_null();
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

json_t *cmp_json(const struct cmp *c)
{
    json_t *root = json_object();
    json_object_set_new(root, "tool", json_string("bootstorm-results"));
    json_object_set_new(root, "confidence", json_real(0.95));
    json_object_set_new(root, "interval", json_string("Student t, two-sided, df = n - 1"));
    json_object_set_new(root, "significance_rule",
                        json_string("significant when the two 95% intervals do not overlap"));
    json_t *figs = json_array();
    for (int f = 0; f < FIG_COUNT; f++)
        if (c->shown[f]) {
            json_t *o = json_object();
            json_object_set_new(o, "key", json_string(figure_defs[f].key));
            json_object_set_new(o, "label", json_string(figure_defs[f].label));
            json_object_set_new(o, "unit",
                                json_string(figure_defs[f].unit == UNIT_BOOL    ? "bool"
                                            : figure_defs[f].unit == UNIT_COUNT ? "count"
                                            : figure_defs[f].unit == UNIT_NUMBER
                                                ? "number"
                                                : unit_suffix(figure_defs[f].unit)));
            json_array_append_new(figs, o);
        }
    json_object_set_new(root, "figures", figs);

    json_t *runs = json_array();
    for (size_t i = 0; i < c->n_runs; i++) {
        const struct run *r = &c->runs[i];
        json_t *o = json_object(), *fo = json_object();
        json_object_set_new(o, "index", json_integer((json_int_t)i + 1));
        json_object_set_new(o, "label", json_string(r->label));
        json_object_set_new(o, "path", json_string(r->path));
        json_object_set_new(o, "name", json_string(r->name));
        json_object_set(o, "seed", json_object_get(r->root, "seed"));
        json_object_set_new(o, "architecture", json_string(run_architecture(r)));
        json_object_set_new(o, "group",
                            json_string(c->groups[group_of(c->groups, c->n_groups, i)].id));
        json_object_set_new(o, "complete", json_boolean(r->complete));
        json_object_set_new(o, "reason",
                            r->complete ? json_null() : json_string(run_incomplete_reason(r)));
        json_object_set_new(o, "capacity_estimated", json_boolean(r->cap_estimated));
        json_t *sa = json_object_get(r->root, "scale_actions");
        json_object_set_new(o, "scale_actions", json_is_array(sa) ? json_incref(sa) : json_array());
        json_t *fid = json_object_get(r->summary, "fidelity");
        json_object_set(o, "fidelity_valid", json_object_get(fid, "valid"));
        json_t *why = json_object_get(fid, "reason");
        json_object_set(o, "fidelity_reason", why ? why : json_null());
        for (int f = 0; f < FIG_COUNT; f++) {
            const struct cmp_value *cv = &c->run[i][f];
            if (cv->state == FV_ABSENT)
                continue;
            json_t *v = json_object();
            const char *null_why = figure_null_reason(r, (enum fig_id)f);
            if (cv->state == FV_NULL)
                json_object_set_new(v, "value", json_null());
            else if (figure_defs[f].unit == UNIT_BOOL)
                json_object_set_new(v, "value", json_boolean(cv->v != 0));
            else
                json_object_set_new(v, "value", num(cv->v));
            if (i > 0 && figure_defs[f].unit != UNIT_BOOL) {
                json_object_set_new(v, "delta", num(cv->delta));
                json_object_set_new(v, "pct", num(cv->pct));
            }
            if (cv->state == FV_NULL && null_why)
                json_object_set_new(v, "reason", json_string(null_why));
            const char *ek = figure_emu_key((enum fig_id)f);
            double share;
            enum fig_verdict vd = ek ? figure_emu_verdict(r, ek, &share) : FVD_NONE;
            if (vd != FVD_NONE) {
                json_object_set_new(v, "emulator_share", num(share));
                json_object_set_new(v, "verdict",
                                    json_string(vd == FVD_FAITHFUL ? "faithful"
                                                : vd == FVD_BOUND  ? "emulator-bound"
                                                                   : "unknown"));
            }
            json_object_set_new(fo, figure_defs[f].key, v);
        }
        json_object_set_new(o, "figures", fo);
        json_array_append_new(runs, o);
    }
    json_object_set_new(root, "runs", runs);

    json_t *groups = json_array();
    for (size_t g = 0; g < c->n_groups; g++) {
        const struct group *gr = &c->groups[g];
        json_t *o = json_object(), *members = json_array(), *fo = json_object();
        json_object_set_new(o, "id", json_string(gr->id));
        json_object_set_new(o, "description", json_string(gr->desc));
        json_object_set_new(o, "architecture",
                            json_string(run_architecture(&c->runs[gr->members[0]])));
        json_object_set_new(o, "n", json_integer((json_int_t)gr->n));
        for (size_t k = 0; k < gr->n; k++)
            json_array_append_new(members, json_string(c->runs[gr->members[k]].label));
        json_object_set_new(o, "runs", members);
        for (int f = 0; f < FIG_COUNT; f++) {
            const struct cmp_group_value *gv = &c->grp[g][f];
            if (gv->n_absent == gr->n)
                continue;
            json_t *v = json_object();
            json_object_set_new(v, "n", json_integer((json_int_t)gv->st.n));
            json_object_set_new(v, "n_null", json_integer((json_int_t)gv->n_null));
            /* The reason a member's null figure has, when one does. */
            for (size_t k = 0; k < gr->n; k++) {
                size_t m = gr->members[k];
                const char *w = figure_null_reason(&c->runs[m], (enum fig_id)f);
                if (c->run[m][f].state == FV_NULL && w) {
                    json_object_set_new(v, "reason", json_string(w));
                    break;
                }
            }
            if (figure_defs[f].unit == UNIT_BOOL) {
                json_object_set_new(v, "n_true", json_integer((json_int_t)gv->n_true));
            } else {
                json_object_set_new(v, "mean", num(gv->st.mean));
                json_object_set_new(v, "sd", num(gv->st.sd));
                json_object_set_new(v, "ci95", num(gv->st.ci));
                json_object_set_new(v, "lo", num(gv->st.lo));
                json_object_set_new(v, "hi", num(gv->st.hi));
                if (g > 0) {
                    json_object_set_new(v, "delta", num(gv->delta));
                    json_object_set_new(v, "pct", num(gv->pct));
                    json_object_set_new(v, "significant",
                                        gv->sig == SIG_UNKNOWN ? json_null()
                                                               : json_boolean(gv->sig == SIG_YES));
                }
            }
            json_object_set_new(fo, figure_defs[f].key, v);
        }
        json_object_set_new(o, "figures", fo);
        json_array_append_new(groups, o);
    }
    json_object_set_new(root, "groups", groups);
    return root;
}
