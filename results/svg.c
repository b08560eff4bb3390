/* svg.c - SVG chart generation. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"

/* Plot margins inside the viewBox. */
#define ML 62.0
#define MR 18.0
#define MT 22.0
#define MB 46.0

#define C_GRID "#e6e8ec"
#define C_AXIS "#9aa1ab"
#define C_TEXT "#4b5260"
#define C_LABEL "#2f3542"
#define C_REF "#2f3542"

/* ---- building blocks ---- */

double scale_map(const struct scale *s, double v)
{
    if (s->d1 == s->d0)
        return (s->r0 + s->r1) / 2;
    return s->r0 + (v - s->d0) / (s->d1 - s->d0) * (s->r1 - s->r0);
}

double svg_nice_num(double x, bool round)
{
    if (!(x > 0) || !isfinite(x))
        return 1;
    double e = floor(log10(x)), f = x / pow(10, e), nf;
    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

void svg_ticks(double min, double max, int target, struct ticks *t)
{
    /* Hostile input (1e308 in a CSV) must not make a million ticks. */
    if (!isfinite(min) || !isfinite(max) || !isfinite(max - min)) {
        min = 0;
        max = 1;
    }
    if (max < min) {
        double tmp = min;
        min = max;
        max = tmp;
    }
    if (max == min) {
        double pad = min == 0 ? 1 : fabs(min) * 0.1;
        max += pad;
        if (min != 0)
            min -= pad;
    }
    if (target < 2)
        target = 2;
    t->step = svg_nice_num((max - min) / (target - 1), true);
    t->lo = floor(min / t->step + 1e-9) * t->step;
    t->hi = ceil(max / t->step - 1e-9) * t->step;
    double n = (t->hi - t->lo) / t->step + 1;
    if (!(n >= 2 && n <= 1000) || !isfinite(t->hi) || !isfinite(t->lo)) {
        t->lo = min;
        t->hi = max;
        t->step = max - min;
        n = 2;
    }
    t->n = (int)llround(n);
}

void svg_tick_label(double v, double step, char *buf, size_t len)
{
    if (fabs(v) < step * 1e-9)
        v = 0;
    if (step >= 1000 && fabs(v) >= 10000) {
        double k = v / 1000, ks = step / 1000;
        const char *suf = "k";
        if (step >= 1e6 && fabs(v) >= 1e7) {
            k = v / 1e6;
            ks = step / 1e6;
            suf = "M";
        }
        int dec = ks >= 1 ? 0 : (int)ceil(-log10(ks) - 1e-9);
        snprintf(buf, len, "%.*f%s", dec, k, suf);
        return;
    }
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, len, "%.*f", dec, v);
}

void svg_path(const double *x, const double *y, size_t n, const struct scale *sx,
              const struct scale *sy, struct sbuf *out)
{
    bool pen = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) {
            pen = false;
            continue;
        }
        sbuf_printf(out, "%c%.1f,%.1f", pen ? 'L' : 'M', scale_map(sx, x[i]), scale_map(sy, y[i]));
        pen = true;
    }
}

/* ---- charts ---- */

static void text(struct sbuf *o, double x, double y, const char *anchor, const char *cls,
                 const char *s)
{
    sbuf_printf(o, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor,
                cls);
    sbuf_add_html(o, s);
    sbuf_add(o, "</text>");
}

static void data_range(const struct svg_chart *c, double *x0, double *x1, double *y0, double *y1)
{
    *x0 = INFINITY;
    *x1 = -INFINITY;
    *y0 = 0;
    *y1 = -INFINITY;
    for (size_t s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->series[s].n; i++) {
            double x = c->series[s].x[i], y = c->series[s].y[i];
            if (!isfinite(x) || !isfinite(y))
                continue;
            *x0 = fmin(*x0, x);
            *x1 = fmax(*x1, x);
            *y0 = fmin(*y0, y);
            *y1 = fmax(*y1, y);
        }
    if (c->bars) {
        *x0 = fmin(*x0, c->bars->edges[0]);
        *x1 = fmax(*x1, c->bars->edges[c->bars->n_bins]);
        for (size_t s = 0; s < c->bars->n_series; s++)
            for (size_t b = 0; b < c->bars->n_bins; b++)
                *y1 = fmax(*y1, c->bars->counts[s][b]);
    }
    for (size_t h = 0; h < c->n_hlines; h++)
        if (isfinite(c->hlines[h].y))
            *y1 = fmax(*y1, c->hlines[h].y);
}

static bool has_data(const struct svg_chart *c)
{
    for (size_t s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->series[s].n; i++)
            if (isfinite(c->series[s].x[i]) && isfinite(c->series[s].y[i]))
                return true;
    return c->bars && c->bars->n_bins > 0 && c->bars->n_series > 0;
}

static void axes(const struct svg_chart *c, const struct ticks *tx, const struct ticks *ty,
                 const struct scale *sx, const struct scale *sy, struct sbuf *o)
{
    char lab[32];
    double px0 = ML, px1 = SVG_W - MR, py0 = SVG_H - MB, py1 = MT;
    sbuf_add(o, "<g class=\"grid\">");
    for (int i = 0; i < ty->n; i++) {
        double v = ty->lo + i * ty->step, y = scale_map(sy, v);
        sbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", px0,
                    y, px1, y, C_GRID);
    }
    for (int i = 0; i < tx->n; i++) {
        double v = tx->lo + i * tx->step, x = scale_map(sx, v);
        if (v < sx->d0 - 1e-9 || v > sx->d1 + 1e-9)
            continue;
        sbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x,
                    py0, x, py1, C_GRID);
    }
    sbuf_add(o, "</g>");
    sbuf_printf(o,
                "<path d=\"M%.1f,%.1fV%.1fH%.1f\" fill=\"none\" stroke=\"%s\" "
                "stroke-width=\"1\"/>",
                px0, py1, py0, px1, C_AXIS);
    for (int i = 0; i < ty->n; i++) {
        double v = ty->lo + i * ty->step;
        svg_tick_label(v, ty->step, lab, sizeof lab);
        text(o, px0 - 6, scale_map(sy, v) + 3.8, "end", "tick", lab);
    }
    for (int i = 0; i < tx->n; i++) {
        double v = tx->lo + i * tx->step;
        if (v < sx->d0 - 1e-9 || v > sx->d1 + 1e-9)
            continue;
        double x = scale_map(sx, v);
        sbuf_printf(o, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", x,
                    py0, x, py0 + 4, C_AXIS);
        svg_tick_label(v, tx->step, lab, sizeof lab);
        text(o, x, py0 + 16, "middle", "tick", lab);
    }
    if (c->xlabel)
        text(o, (px0 + px1) / 2, SVG_H - 8, "middle", "axis", c->xlabel);
    if (c->ylabel) {
        sbuf_printf(o, "<g transform=\"translate(14 %.1f) rotate(-90)\">", (py0 + py1) / 2);
        text(o, 0, 0, "middle", "axis", c->ylabel);
        sbuf_add(o, "</g>");
    }
}

static void bars(const struct svg_bars *b, const struct scale *sx, const struct scale *sy,
                 struct sbuf *o)
{
    for (size_t bin = 0; bin < b->n_bins; bin++) {
        double x0 = scale_map(sx, b->edges[bin]), x1 = scale_map(sx, b->edges[bin + 1]);
        double gap = (x1 - x0) * 0.08, w = (x1 - x0 - 2 * gap) / (double)b->n_series;
        for (size_t s = 0; s < b->n_series; s++) {
            double v = b->counts[s][bin];
            if (!(v > 0))
                continue;
            double y = scale_map(sy, v), y0 = scale_map(sy, 0);
            sbuf_printf(o,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "fill=\"%s\"><title>",
                        x0 + gap + (double)s * w, y, w > 0.6 ? w - 0.3 : w, y0 - y, b->colors[s]);
            sbuf_add_html(o, b->labels[s]);
            sbuf_printf(o, ": %g in [%g, %g)</title></rect>", v, b->edges[bin], b->edges[bin + 1]);
        }
    }
}

static void vlines(const struct svg_chart *c, const struct scale *sx, struct sbuf *o)
{
    double last_x = -1e9;
    int row = 0;
    for (size_t i = 0; i < c->n_vlines; i++) {
        double v = c->vlines[i].x;
        if (!isfinite(v) || v < sx->d0 || v > sx->d1)
            continue;
        double x = scale_map(sx, v);
        sbuf_printf(o,
                    "<line class=\"event\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#7a808b\" stroke-dasharray=\"3 3\"/>",
                    x, MT - 4, x, SVG_H - MB);
        /* Labels of close events go on separate rows. */
        row = x - last_x < 56 ? (row + 1) % 3 : 0;
        last_x = x;
        bool right = x > SVG_W - MR - 60;
        text(o, right ? x - 3 : x + 3, MT + 6 + row * 11, right ? "end" : "start", "event",
             c->vlines[i].label);
    }
}

/* A tick up from the x axis with its label above it; labels of close
 * marks go on separate rows. */
static void marks(const struct svg_chart *c, const struct scale *sx, struct sbuf *o)
{
    double last_x = -1e9, base = SVG_H - MB;
    int row = 0;
    for (size_t i = 0; i < c->n_marks; i++) {
        const struct svg_mark *m = &c->marks[i];
        if (!isfinite(m->x) || m->x < sx->d0 || m->x > sx->d1)
            continue;
        double x = scale_map(sx, m->x);
        row = x - last_x < 40 ? (row + 1) % 3 : 0;
        last_x = x;
        double top = base - 12 - row * 12;
        const char *color = m->color ? m->color : C_REF;
        bool right = x > SVG_W - MR - 40;
        sbuf_add(o, "<g class=\"mark\"><title>");
        sbuf_add_html(o, m->title ? m->title : m->label ? m->label : "");
        sbuf_printf(o,
                    "</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"%s\" stroke-width=\"2\"/>",
                    x, base, x, top, color);
        if (m->label) {
            sbuf_printf(o,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" class=\"mark\" "
                        "fill=\"%s\">",
                        right ? x - 2 : x + 2, top + 3, right ? "end" : "start", color);
            sbuf_add_html(o, m->label);
            sbuf_add(o, "</text>");
        }
        sbuf_add(o, "</g>");
    }
}

static void hlines(const struct svg_chart *c, const struct scale *sy, struct sbuf *o)
{
    for (size_t i = 0; i < c->n_hlines; i++) {
        const struct svg_hline *h = &c->hlines[i];
        if (!isfinite(h->y))
            continue;
        double y = scale_map(sy, h->y);
        const char *color = h->color ? h->color : C_REF;
        sbuf_printf(o,
                    "<line class=\"ref\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"%s\" stroke-width=\"1.3\" stroke-dasharray=\"%s\"/>",
                    ML, y, SVG_W - MR, y, color, h->dash ? h->dash : "7 4");
        if (h->label) {
            double ty = y - 5 < MT + 8 ? y + 13 : y - 5;
            sbuf_printf(o,
                        "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" class=\"ref\" "
                        "fill=\"%s\">",
                        SVG_W - MR - 4, ty, color);
            sbuf_add_html(o, h->label);
            sbuf_add(o, "</text>");
        }
    }
}

void svg_chart(const struct svg_chart *c, struct sbuf *o)
{
    double x0, x1, y0, y1;
    data_range(c, &x0, &x1, &y0, &y1);
    if (!isnan(c->x_min))
        x0 = c->x_min;
    if (!isnan(c->x_max))
        x1 = c->x_max;
    if (!isnan(c->y_max))
        y1 = c->y_max;
    else if (y1 > y0)
        y1 += (y1 - y0) * 0.04; /* headroom: a flat line at the max stays off the frame */
    if (!isfinite(x0) || !isfinite(x1)) {
        x0 = 0;
        x1 = 1;
    }
    if (!isfinite(y1) || y1 <= y0)
        y1 = y0 + 1;
    struct ticks tx, ty;
    svg_ticks(x0, x1, 7, &tx);
    svg_ticks(y0, y1, 5, &ty);
    if (c->y_integer && ty.step < 1) {
        ty.step = 1;
        ty.lo = floor(ty.lo);
        ty.hi = ceil(y1);
        ty.n = (int)llround(ty.hi - ty.lo) + 1;
    }
    /* The x domain keeps fixed ends (the run's duration); y ends at a tick. */
    struct scale sx = {isnan(c->x_min) ? tx.lo : x0, isnan(c->x_max) ? tx.hi : x1, ML, SVG_W - MR};
    struct scale sy = {ty.lo, ty.hi, SVG_H - MB, MT};
    if (!(sx.d1 > sx.d0))
        sx.d1 = sx.d0 + 1;

    sbuf_printf(o,
                "<svg class=\"chart\" id=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" aria-labelledby=\"%s-t\">",
                c->id, SVG_W, SVG_H, c->id);
    sbuf_printf(o, "<title id=\"%s-t\">", c->id);
    sbuf_add_html(o, c->title ? c->title : "");
    sbuf_add(o, "</title>");
    sbuf_printf(o,
                "<defs><clipPath id=\"%s-clip\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"/></clipPath></defs>",
                c->id, ML, MT - 6, SVG_W - MR - ML, SVG_H - MB - MT + 6);
    axes(c, &tx, &ty, &sx, &sy, o);
    if (!has_data(c)) {
        text(o, (ML + SVG_W - MR) / 2, (MT + SVG_H - MB) / 2, "middle", "empty",
             c->empty_text ? c->empty_text : "no data");
        sbuf_add(o, "</svg>");
        return;
    }
    vlines(c, &sx, o);
    sbuf_printf(o, "<g clip-path=\"url(#%s-clip)\">", c->id);
    if (c->bars)
        bars(c->bars, &sx, &sy, o);
    for (size_t s = 0; s < c->n_series; s++) {
        const struct svg_series *se = &c->series[s];
        struct sbuf d;
        sbuf_init(&d);
        svg_path(se->x, se->y, se->n, &sx, &sy, &d);
        if (d.len) {
            sbuf_printf(o,
                        "<path class=\"series\" d=\"%s\" fill=\"none\" stroke=\"%s\" "
                        "stroke-width=\"%.2g\" stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                        d.s, se->color, se->width > 0 ? se->width : 1.8);
            if (se->dash)
                sbuf_printf(o, " stroke-dasharray=\"%s\"", se->dash);
            if (se->opacity > 0 && se->opacity < 1)
                sbuf_printf(o, " stroke-opacity=\"%.2f\"", se->opacity);
            sbuf_add(o, "><title>");
            sbuf_add_html(o, se->label ? se->label : "");
            sbuf_add(o, "</title></path>");
        }
        sbuf_free(&d);
    }
    sbuf_add(o, "</g>");
    hlines(c, &sy, o);
    marks(c, &sx, o);
    sbuf_add(o, "</svg>");
}
