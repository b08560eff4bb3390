/* group.h - runs of the same scenario that differ only in seed form a group.
 *
 * Two runs are in one group when their resolved scenarios (run.json
 * "scenario") are equal once the keys that do not change what is emulated are
 * removed: seed, network.base, network.allowed and every "port" key
 * (run_scenario_key). Groups are named A, B, ... in order of
 * their first run, and described by the scenario keys in which they differ. */
#ifndef BSR_GROUP_H
#define BSR_GROUP_H

#include <stddef.h>

#include "run_load.h"

struct group {
    char id[8];      /* "A", "B", ..., "Z", "AA", ... */
    size_t *members; /* run indexes, in argument order */
    size_t n;
    char *desc;  /* "login_server.workers=4, peer.login.retry.policy=none", or the name */
    json_t *key; /* the scenario key */
};

/* Group runs. Never fails (a group per run at worst). */
void groups_build(const struct run *runs, size_t n_runs, struct group **out, size_t *n_out);
void groups_free(struct group *g, size_t n);
/* Index of the group holding run i. */
size_t group_of(const struct group *g, size_t n_groups, size_t run);
/* "key=value" list of where groups a and b differ (at most max keys). */
char *group_diff(const struct group *a, const struct group *b, size_t max);

#endif
