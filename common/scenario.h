/* scenario.h - the scenario: what to emulate, loaded from YAML.
 *
 * struct scenario is plain data with fixed-size arrays, so the coordinator can
 * send it to every rank with one MPI_Bcast of its bytes (all ranks run the
 * same binary). Every key of the YAML format maps to one field below; the
 * full reference with defaults is docs/scenarios.md.
 *
 * Loading is all-or-nothing: on any error nothing is returned but a message
 * of the form "FILE:LINE:COL: what is wrong" (or "--set KEY=VALUE: what is
 * wrong" for an override). */
#ifndef BS_SCENARIO_H
#define BS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dist.h"
#include "retry.h"

#define SCN_NAME_MAX 64
#define SCN_MAX_EVENTS 64
#define SCN_MAX_NETS 8
#define SCN_ERR_MAX 512

enum scn_arch { ARCH_SUPERNODE = 0 };

enum scn_event_kind { EV_BOOT = 0, EV_REBOOT };

struct scn_event {
    int64_t at_ns;        /* relative to the run's start */
    enum scn_event_kind kind;
    double fraction;      /* of the peers, in [0, 1] */
    int64_t over_ns;      /* window the selected peers are spread over */
};

struct scn_net {          /* an allowed network, IPv4 CIDR */
    uint32_t addr;        /* host byte order */
    uint8_t prefix;
};

struct scn_retry_cfg {
    int64_t timeout_ns;   /* per attempt */
    struct retry_policy retry;
};

struct scenario {
    char name[SCN_NAME_MAX];
    uint64_t seed;
    int64_t duration_ns;
    enum scn_arch architecture;

    struct {
        uint32_t peers;
        uint32_t login_servers;
        uint32_t supernodes;          /* initial SNs (dedicated nodes) */
        uint32_t bootstrap;           /* how many of them are bootstrap SNs */
    } nodes;

    struct {
        uint32_t workers;
        struct dist service_time;
        uint32_t queue;               /* waiting logins beyond the workers */
        uint32_t backlog;             /* TCP listen backlog */
        int64_t ticket_ttl_ns;
        uint16_t port;
    } login_server;

    struct {
        uint16_t port;
        uint32_t list_size;           /* SNs handed out per REGISTER_OK */
    } supernode;

    struct {
        struct dist boot_delay;
        struct scn_retry_cfg login;
        struct scn_retry_cfg reg;     /* YAML key: peer.register */
        uint32_t host_cache;          /* entries kept across reboots */
    } peer;

    struct {
        int64_t keepalive_ns;
    } workload;

    struct {
        uint32_t base;                /* first node address, host order */
        struct scn_net allowed[SCN_MAX_NETS];
        uint32_t n_allowed;
    } network;

    struct {
        int64_t interval_ns;
    } metrics;

    struct {
        int64_t lead_ns;              /* min time between scheduling and firing */
        double max_lag_p99_ms;        /* fidelity thresholds */
        double max_skew_p99_ms;
    } control;

    struct scn_event events[SCN_MAX_EVENTS];
    uint32_t n_events;
};

/* Fill *s with every default. */
void scenario_defaults(struct scenario *s);

/* Load a YAML file and apply overrides ("key.path=value", value parsed as a
 * YAML scalar or flow collection). Returns 0, or -1 with err set. */
int scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                  struct scenario *out, char *err, size_t errlen);

/* Same, from an in-memory YAML text; `label` names it in messages. */
int scenario_load_string(const char *yaml, const char *label, const char *const *overrides,
                         size_t n_overrides, struct scenario *out, char *err, size_t errlen);

/* Write the resolved scenario as YAML-compatible JSON text (every key, using the
 * same names and units as the file format, durations as strings like "250ms").
 * Returns a malloc'd NUL-terminated string. */
char *scenario_to_json(const struct scenario *s);

/* Helpers shared with the CLI. */
int scenario_parse_duration(const char *text, int64_t *ns);  /* "250ms", "1.5s", "2m" */
void scenario_format_duration(int64_t ns, char *buf, size_t len);

/* Total number of nodes and the id layout: login servers first, then
 * supernodes, then peers. */
static inline uint32_t scenario_total_nodes(const struct scenario *s)
{
    return s->nodes.login_servers + s->nodes.supernodes + s->nodes.peers;
}

#endif
