/* svg.h - inline SVG charts: scales, "nice" ticks, paths, line and bar charts.
 *
 * The output is plain SVG 1.1 markup for embedding in HTML (no scripts, no
 * external fonts or images). Coordinates have one decimal: enough for a
 * screen or a printer, and small. */
#ifndef BSR_SVG_H
#define BSR_SVG_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* ---- building blocks (exposed for tests) ---- */

/* Linear map from [d0, d1] to [r0, r1]. */
struct scale {
    double d0, d1, r0, r1;
};
double scale_map(const struct scale *s, double v);

/* Heckbert's nice numbers: the closest of 1, 2, 5 x 10^k (round) or the
 * smallest one >= x (!round). */
double svg_nice_num(double x, bool round);

/* About `target` ticks covering [min, max]: lo = first tick <= min,
 * hi = last tick >= max, step = a nice number. A degenerate range
 * (min == max) is widened; non-finite input gives 0..1. */
struct ticks {
    double lo, hi, step;
    int n; /* ticks from lo to hi inclusive */
};
void svg_ticks(double min, double max, int target, struct ticks *t);
/* A tick label with just the decimals the step needs ("2.5", "100",
 * "1.5k" from 10,000 on). */
void svg_tick_label(double v, double step, char *buf, size_t len);

/* Path data through the finite points: "M x,y L x,y ...". A NaN in x or y
 * breaks the line and the next point starts a new "M". Empty when no point
 * is finite. */
void svg_path(const double *x, const double *y, size_t n, const struct scale *sx,
              const struct scale *sy, struct sbuf *out);

/* ---- charts ---- */

struct svg_series {
    const char *label; /* for the <title> tooltip */
    const double *x, *y;
    size_t n;
    const char *color;
    const char *dash; /* stroke-dasharray, NULL = solid */
    double width;     /* stroke width, 0 = 1.8 */
    double opacity;   /* 0 = 1 */
};

struct svg_vline { /* event markers */
    double x;
    const char *label;
};

struct svg_hline { /* reference levels: capacity, limits */
    double y;
    const char *label;
    const char *color; /* NULL = dark grey */
    const char *dash;  /* NULL = "7 4" */
};

struct svg_mark { /* short ticks up from the x axis: the autoscaler's actions */
    double x;
    const char *label; /* "+2 eu" */
    const char *color; /* NULL = dark grey */
    const char *title; /* tooltip, NULL = the label */
};

struct svg_bars {        /* grouped bars over common bins */
    const double *edges; /* n_bins + 1 increasing */
    size_t n_bins;
    const double *const *counts; /* [series][bin] */
    const char *const *colors;
    const char *const *labels;
    size_t n_series;
};

struct svg_chart {
    const char *id;              /* unique in the page (clip path ids) */
    const char *title;           /* the <title> for screen readers */
    const char *xlabel, *ylabel; /* with units */
    double x_min, x_max;         /* NaN = from the data */
    double y_max;                /* NaN = from the data; y starts at 0 unless data < 0 */
    bool y_integer;              /* counts: no tick steps below 1 */
    const struct svg_series *series;
    size_t n_series;
    const struct svg_vline *vlines;
    size_t n_vlines;
    const struct svg_hline *hlines;
    size_t n_hlines;
    const struct svg_mark *marks; /* in increasing x (close labels are staggered) */
    size_t n_marks;
    const struct svg_bars *bars;
    const char *empty_text; /* shown when there is nothing to draw */
};

#define SVG_W 640
#define SVG_H 300

void svg_chart(const struct svg_chart *c, struct sbuf *out);

#endif
