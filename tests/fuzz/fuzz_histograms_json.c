/* fuzz_histograms_json - the results tool's histograms.json loader
 * (results/run_load.c, load_histograms; no buffer entry point: it is static
 * and reads a path).
 *
 * Feeds: the input as the histograms.json of a results directory whose
 * run.json and timeseries.csv are valid (results_fixture.h): one tmpfs write
 * per execution, then run_load, the accessors and the summary printer.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan: a refusal
 * has a message; a loaded run has its histograms as a JSON object with an
 * integer format_version, and every top-level histogram but "windows" has a
 * "buckets" array of [upper, count] pairs with increasing upper bounds and
 * counts of at least 0 (what docs/results.md promises the charts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "results_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fix_init("histograms_json");
    return 0;
}

static void check_hists(const struct run *r)
{
    const json_t *h = r->hist;
    const char *key;
    json_t *v;
    FIX_CHECK(json_is_object(h) && json_is_integer(json_object_get(h, "format_version")));
    json_object_foreach((json_t *)h, key, v)
    {
        if (!strcmp(key, "format_version") || !strcmp(key, "windows"))
            continue;
        json_t *b = json_object_get(v, "buckets");
        FIX_CHECK(json_is_array(b));
        for (size_t i = 0; i < json_array_size(b); i++) {
            json_t *p = json_array_get(b, i);
            FIX_CHECK(json_array_size(p) == 2 && json_integer_value(json_array_get(p, 1)) >= 0);
            if (i > 0)
                FIX_CHECK(json_integer_value(json_array_get(p, 0)) >
                          json_integer_value(json_array_get(json_array_get(b, i - 1), 0)));
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fix_write("histograms.json", data, size);
    (void)fix_load(check_hists);
    return 0;
}
