/* trace.h - a debug trace of state transitions, off unless asked for.
 *
 * BOOTSTORM_TRACE=1 (or =peer,supernode,... to pick roles and connection
 * kinds by name) prints every transition of the chosen state machines to
 * stderr as
 *   trace 12.345678 rank 1 peer 1042: LOGIN -> LOGIN_WAIT
 * The check is one load and branch when off, so the calls stay in release
 * builds. It is a debugging aid: a storm of thousands of nodes prints a lot. */
#ifndef BS_TRACE_H
#define BS_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct host;

/* Which machines to trace; set once from the environment by trace_init. */
extern unsigned trace_mask;

enum trace_kind {
    TRACE_PEER = 1u << 0,
    TRACE_SUPERNODE = 1u << 1,
    TRACE_SN_CONN = 1u << 2,
    TRACE_LOGIN_SERVER = 1u << 3,
    TRACE_LS_CONN = 1u << 4,
    TRACE_SERVICE = 1u << 5,
    TRACE_PRESENCE = 1u << 6,
    TRACE_PRES_CONN = 1u << 7,
    TRACE_FRONT_DOOR = 1u << 8,
};

/* Read BOOTSTORM_TRACE (idempotent). */
void trace_init(void);

void trace_print(const struct host *h, const char *kind, uint32_t id, const char *from,
                 const char *to);

static inline void trace_state(const struct host *h, enum trace_kind k, const char *kind,
                               uint32_t id, const char *from, const char *to)
{
    if (trace_mask & k)
        trace_print(h, kind, id, from, to);
}

#endif
