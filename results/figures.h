/* figures.h - the key figures of a run, shared by summary, compare, export
 * of the comparison and the report's tables: one definition, one extraction. */
#ifndef BSR_FIGURES_H
#define BSR_FIGURES_H

#include <stdbool.h>

#include "fmt.h"
#include "run_load.h"

enum fig_id {
    FIG_NODES,
    FIG_PEERS,
    FIG_ONLINE_END,
    FIG_ONLINE_PCT,
    FIG_T50,
    FIG_T95,
    FIG_T99,
    FIG_LOGIN_ATTEMPTS,
    FIG_LOGIN_OK,
    FIG_LOGIN_BUSY,
    FIG_LOGIN_TIMEOUT,
    FIG_AMPLIFICATION,
    FIG_AMP_PEAK,
    FIG_ATTEMPTS_MAX,
    FIG_PEAK_RPS,
    FIG_PEAK_OK_RPS,
    FIG_CAPACITY,     /* login servers: time-weighted mean of the capacity timeline */
    FIG_SVC_CAPACITY, /* the central service, likewise */
    FIG_RECOVERED,
    FIG_RECOVERY_S,
    FIG_METASTABLE,
    FIG_FIDELITY_VALID,
    FIG_LAG_P99,
    FIG_SKEW_P99,
    FIG_COUNT
};

struct figure_def {
    const char *key;   /* JSON name */
    const char *label; /* table row label */
    enum unit unit;
    bool optional;         /* a row only when some run has it */
    const char *null_word; /* how a null reads: "never" for times to reach a level */
};

extern const struct figure_def figure_defs[FIG_COUNT];

enum fig_state { FV_ABSENT = -1, FV_NULL = 0, FV_VALUE = 1 };

/* The figure's value in r: FV_VALUE with *v set, FV_NULL (known to be
 * undefined, e.g. t99 never reached) or FV_ABSENT (not in this run). */
enum fig_state figure_value(const struct run *r, enum fig_id id, double *v);

#endif
