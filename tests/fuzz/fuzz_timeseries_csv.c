/* fuzz_timeseries_csv - the results tool's CSV reader and timeseries loader
 * (results/csv.h, results/run_load.h).
 *
 * Feeds: the input as timeseries.csv: first to csv_parse (the buffer entry
 * point: the CSV syntax), then, when that parses, as the timeseries.csv of a
 * results directory whose run.json and histograms.json are valid
 * (results_fixture.h), through run_load (the columns, numbers and time
 * order), the accessors and the summary printer.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - csv_parse: a refusal has a "LABEL:LINE: " message; on success every
 *     cell is a string, header names are non-empty and distinct, and row
 *     line numbers increase;
 *   - csv_number accepts only finite numbers;
 *   - run_load fails whenever csv_parse does; on success the t_s column
 *     strictly increases and every value is finite. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "results_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fix_init("timeseries_csv");
    return 0;
}

static void check_csv(const struct csv *c)
{
    for (size_t j = 0; j < c->n_cols; j++) {
        FIX_CHECK(c->header[j] != NULL && c->header[j][0] != '\0');
        for (size_t k = 0; k < j; k++)
            FIX_CHECK(strcmp(c->header[j], c->header[k]) != 0);
        FIX_CHECK(csv_col(c, c->header[j]) == (int)j);
    }
    for (size_t i = 0; i < c->n_rows; i++) {
        FIX_CHECK(c->lines[i] >= 2 && (i == 0 || c->lines[i] > c->lines[i - 1]));
        for (size_t j = 0; j < c->n_cols; j++) {
            const char *s = csv_cell(c, i, j);
            double v;
            char err[256];
            FIX_CHECK(s != NULL);
            if (csv_number(c, i, j, &v, err, sizeof err) == 0)
                FIX_CHECK(isfinite(v));
        }
    }
}

static void check_columns(const struct run *r)
{
    const double *t = run_col(r, "t_s");
    for (size_t i = 0; i < r->n_rows; i++) {
        FIX_CHECK(i == 0 || t[i] > t[i - 1]);
        for (size_t j = 0; j < r->n_cols; j++)
            FIX_CHECK(isfinite(r->data[j][i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csv c;
    char err[512] = "";
    int rc = csv_parse((const char *)data, size, "timeseries.csv", &c, err, sizeof err);
    FIX_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FIX_CHECK(strncmp(err, "timeseries.csv:", 15) == 0);
        csv_free(&c);
        return 0;
    }
    check_csv(&c);
    csv_free(&c);

    fix_write("timeseries.csv", data, size);
    (void)fix_load(check_columns);
    return 0;
}
