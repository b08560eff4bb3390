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
    FIG_TGT_REFUSED,     /* target: refused by the server (HTTP 429/503, CONNACK 3); login_busy */
    FIG_TGT_RETRY_AFTER, /* target https: refusals that carried Retry-After */
    FIG_LOGIN_TIMEOUT,
    FIG_TGT_REQUESTS,      /* target: login requests sent to the real server */
    FIG_TGT_PRESENCE_FAIL, /* target: presence requests or PINGREQs failed */
    FIG_AMPLIFICATION,
    FIG_AMP_PEAK,
    FIG_ATTEMPTS_MAX,
    FIG_PEAK_RPS,
    FIG_PEAK_OK_RPS,
    FIG_CAPACITY,         /* login servers: time-weighted mean of the capacity timeline */
    FIG_SVC_CAPACITY,     /* the central service, likewise */
    FIG_PEAK_SERVER_LOAD, /* the registration tier's busiest interval (server_load), % */
    FIG_LOOKUP_FOUND_PCT, /* dht: found / lookups that ended, % */
    FIG_BOOT_REFUSED,     /* dht: bootstrap requests refused */
    FIG_IMAGE_T95,        /* settop: first fetch -> image complete, 95% of the boxes */
    FIG_ONLINE_T95,       /* settop: first boot event -> online, 95% of the boxes (restated t95) */
    FIG_EGRESS_PEAK,      /* settop: the head-end's busiest interval on the channel, Mbit/s */
    FIG_CYCLES_MEAN,      /* settop carousel/fountain: channel cycles a box heard, mean */
    FIG_FEC_OVERHEAD,     /* settop fountain: symbols beyond K of the real decodes, mean */
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

/* Why a figure is null (FV_NULL) in r when that needs saying: the login
 * capacity of a target run is not known (a real server: bootstorm sees
 * only its answers). NULL otherwise. */
const char *figure_null_reason(const struct run *r, enum fig_id id);

/* The login figures (attempts, outcomes, amplification, login rates, login
 * capacity) are FV_ABSENT for a run whose peers do not log in
 * (run_uses_login): a trackerless DHT has nothing to count there. Under
 * architecture target the login capacity is FV_NULL (not known), logins
 * busy FV_ABSENT (they are the FIG_TGT_REFUSED figure), and the peak
 * server load FV_ABSENT (there is no emulated server). */
bool figure_is_login(enum fig_id id);

/* A central run's data centres from its resolved scenario
 * (central.datacenters[]): the presence servers up at the start, the
 * autoscaling ceiling (max_servers, at least servers: dormant spares
 * included) and the number of data centres, each with one front door.
 * false for a run of another architecture, or without the list. */
bool figure_central_servers(const struct run *r, double *servers, double *max_servers,
                            size_t *n_dc);

/* The emulator's verdict on a timing figure (run.json summary.figures,
 * docs/results.md "Emulator share"). FVD_NONE: the run has no verdict for
 * it (written before bootstorm judged figures, or not a timing figure). */
enum fig_verdict { FVD_NONE = 0, FVD_FAITHFUL, FVD_BOUND, FVD_UNKNOWN };

/* The timing figures with a verdict, by their summary.figures key. */
#define EMU_FIGURES 10
extern const char *const emu_figure_keys[EMU_FIGURES];  /* "t50_s", ..., "register_p99_ms" */
extern const char *const emu_figure_names[EMU_FIGURES]; /* "t50", ..., "register p99" */

/* The verdict on summary.figures[key], and its emulator share (NaN when
 * unknown). */
enum fig_verdict figure_emu_verdict(const struct run *r, const char *key, double *share);
/* The summary.figures key of a key figure (t50..t99, recovery time), or
 * NULL. */
const char *figure_emu_key(enum fig_id id);
/* Whether the run says figure id was emulator-bound. */
bool figure_emulator_bound(const struct run *r, enum fig_id id);
/* The limit the run judged against (fidelity.max_emulator_share), NaN if none. */
double figure_emu_limit(const struct run *r);

#endif
