/* sparkline.h - a one-line chart for the terminal.
 *
 * Values in [lo, hi] map to the eight block characters U+2581..U+2588. The
 * full block is kept for v >= hi, so "everyone online" is visible at a
 * glance; the other seven share [lo, hi). More values than columns are
 * resampled: each column shows the mean of its values. NaN shows as a blank. */
#ifndef BSR_SPARKLINE_H
#define BSR_SPARKLINE_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* Number of columns sparkline() draws for n values. */
size_t sparkline_columns(size_t n, size_t width);
/* ascii: "_.:-=+*#" instead of blocks, for terminals without UTF-8. */
void sparkline(const double *v, size_t n, double lo, double hi, size_t width, bool ascii,
               struct sbuf *out);

#endif
