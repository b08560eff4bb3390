/* sparkline.c - block-character sparklines. */
#include "sparkline.h"

#include <math.h>

static const char *const blocks[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
static const char ascii_levels[8] = {'_', '.', ':', '-', '=', '+', '*', '#'};

size_t sparkline_columns(size_t n, size_t width)
{
    return n < width ? n : width;
}

void sparkline(const double *v, size_t n, double lo, double hi, size_t width, bool ascii,
               struct sbuf *out)
{
    size_t cols = sparkline_columns(n, width);
    for (size_t j = 0; j < cols; j++) {
        size_t a = j * n / cols, b = (j + 1) * n / cols;
        double sum = 0;
        size_t k = 0;
        for (size_t i = a; i < b; i++)
            if (!isnan(v[i])) {
                sum += v[i];
                k++;
            }
        if (k == 0 || !(hi > lo)) {
            sbuf_addc(out, ' ');
            continue;
        }
        double m = sum / (double)k;
        int level;
        if (m >= hi)
            level = 7;
        else {
            /* Clamped before the conversion: with values near DBL_MAX the
             * mean can land far outside [lo, hi] (rounding) or be NaN
             * (inf - inf), and such a double does not fit an int. */
            double x = floor((m - lo) / (hi - lo) * 7);
            level = !(x > 0) ? 0 : x > 6 ? 6 : (int)x;
        }
        if (ascii)
            sbuf_addc(out, ascii_levels[level]);
        else
            sbuf_add(out, blocks[level]);
    }
}
