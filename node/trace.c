/* trace.c - state transition trace (see trace.h). */
#include "trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

unsigned trace_mask;

static const struct {
    const char *name;
    unsigned mask;
} kinds[] = {
    {"peer", TRACE_PEER},
    {"supernode", TRACE_SUPERNODE},
    {"sn_conn", TRACE_SN_CONN},
    {"login_server", TRACE_LOGIN_SERVER},
    {"ls_conn", TRACE_LS_CONN},
    {"service", TRACE_SERVICE},
    {"presence", TRACE_PRESENCE},
    {"pres_conn", TRACE_PRES_CONN},
    {"front_door", TRACE_FRONT_DOOR},
};

void trace_init(void)
{
    const char *v = getenv("BOOTSTORM_TRACE");
    trace_mask = 0;
    if (!v || !*v || !strcmp(v, "0"))
        return;
    if (!strcmp(v, "1") || !strcmp(v, "all")) {
        trace_mask = ~0u;
        return;
    }
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *at = strstr(v, kinds[i].name);
        size_t n = strlen(kinds[i].name);
        /* a whole item of the comma-separated list */
        while (at && !((at == v || at[-1] == ',') && (at[n] == '\0' || at[n] == ',')))
            at = strstr(at + 1, kinds[i].name);
        if (at)
            trace_mask |= kinds[i].mask;
    }
}

void trace_print(const struct host *h, const char *kind, uint32_t id, const char *from,
                 const char *to)
{
    fprintf(stderr, "trace %.6f rank %d %s %u: %s -> %s\n", (double)host_now(h) / 1e9, h->rank,
            kind, id, from, to);
}
