/* fuzz_scenario_set - the --set parser: the overrides argument of
 * scenario_load_string (common/scenario.h), grafted onto a YAML text.
 *
 * Feeds: the input split at NUL bytes: the first part is the scenario text,
 * each further part one KEY=VALUE override (at most 16), as
 * `bootstorm run FILE --set A --set B` passes them.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan: a refusal
 * names the file or the override; an accepted scenario's resolved JSON loads
 * back to the same JSON (scenario_check.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_check.h"

#define MAX_SETS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    const char *ov[MAX_SETS];
    size_t n = 0;
    char *p = text + strlen(text);
    while (p < text + size && n < MAX_SETS) {
        ov[n++] = ++p; /* past the NUL: the next part */
        p += strlen(p);
    }
    scn_fuzz_load(text, ov, n);
    free(text);
    return 0;
}
