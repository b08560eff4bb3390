/* fuzz_run_json - the results tool's run.json loader (results/run_load.h).
 *
 * Feeds: the input as run.json text, first to run_json_parse (the buffer
 * entry point, which does all of run.json's validation), then, when it is
 * accepted, as the run.json of a results directory whose timeseries.csv and
 * histograms.json are valid (results_fixture.h), through run_load, the
 * accessors and the summary printer.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan: a refusal
 * has a message; run_load accepts exactly what run_json_parse accepts (the
 * other files being valid); the capacity step line never goes back in
 * time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "results_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fix_init("run_json");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* run_load refuses a file holding a NUL before it parses anything. */
    if (memchr(data, '\0', size))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    char err[512] = "";
    json_t *root = run_json_parse(text, "run.json", err, sizeof err);
    if (!root) {
        FIX_CHECK(err[0] != '\0');
    } else {
        json_decref(root);
        fix_write("run.json", text, size);
        FIX_CHECK(fix_load(NULL) == 0);
    }
    free(text);
    return 0;
}
