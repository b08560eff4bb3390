/* scenario_check.h - what the two scenario targets assert about one load
 * (fuzz_scenario.c, fuzz_scenario_set.c). Header-only: each target is one
 * translation unit. */
#ifndef BS_FUZZ_SCENARIO_CHECK_H
#define BS_FUZZ_SCENARIO_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"

#define SCN_CHECK(cond, err)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: invariant failed: %s (message: %s)\n", #cond, err);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Load yaml with the overrides and check the outcome:
 *   - the result is 0 or -1; a refusal has a message located in the file
 *     ("fuzz:") or in an override ("--set "), NUL-terminated in the buffer;
 *   - an accepted scenario's JSON (scenario_to_json) loads back, and its JSON
 *     is then the same text (docs/scenarios.md: the resolved output is itself
 *     a scenario). */
static void scn_fuzz_load(const char *yaml, const char *const *ov, size_t n_ov)
{
    static struct scenario s, back; /* large: off the stack */
    static char err[SCN_ERR_MAX], err2[SCN_ERR_MAX];

    memset(err, 0x7f, sizeof err);
    int rc = scenario_load_string(yaml, "fuzz", ov, n_ov, &s, err, sizeof err);
    SCN_CHECK(rc == 0 || rc == -1, "");
    if (rc < 0) {
        SCN_CHECK(memchr(err, '\0', sizeof err) != NULL, "(not terminated)");
        SCN_CHECK(!strncmp(err, "fuzz:", 5) || !strncmp(err, "--set ", 6), err);
        return;
    }
    char *json = scenario_to_json(&s);
    SCN_CHECK(json != NULL, "scenario_to_json returned NULL");
    err2[0] = '\0';
    int rc2 = scenario_load_string(json, "json", NULL, 0, &back, err2, sizeof err2);
    if (rc2 != 0) {
        fprintf(stderr, "fuzz: the resolved scenario does not load back:\n%s\n", json);
        SCN_CHECK(rc2 == 0, err2);
    }
    char *json2 = scenario_to_json(&back);
    SCN_CHECK(json2 != NULL, "scenario_to_json returned NULL");
    if (strcmp(json, json2)) {
        fprintf(stderr, "fuzz: JSON changed on reload:\n%s\n---\n%s\n", json, json2);
        SCN_CHECK(!strcmp(json, json2), "");
    }
    free(json);
    free(json2);
}

#endif
