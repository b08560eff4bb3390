/* fuzz_scenario - the scenario loader on YAML text, scenario_load_string
 * (common/scenario.h) without overrides.
 *
 * Feeds: the input as the scenario text (inputs holding a NUL byte are
 * skipped: the loader takes a C string).
 * Asserts, besides no crash, leak or timeout under ASan and UBSan: a refusal
 * says where (FILE:LINE:COL); an accepted scenario's resolved JSON loads
 * back to the same JSON (scenario_check.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (memchr(data, '\0', size))
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    scn_fuzz_load(text, NULL, 0);
    free(text);
    return 0;
}
