/* scenario.c - load, validate and print scenarios (docs/scenarios.md).
 *
 * Loading has three stages, so that overrides and the file get the same
 * checks and the same kind of messages:
 *   1. libyaml's event parser builds a small generic tree (mapping, sequence,
 *      scalar); every node remembers where it came from (file + line/col, or
 *      the --set override that made it);
 *   2. each --set KEY=VALUE parses VALUE as its own YAML document and grafts
 *      it into the tree;
 *   3. a walk over a static schema table (key, type, offset, default, bounds)
 *      checks the tree and fills struct scenario, then the cross-field rules
 *      run.
 * The same schema table gives scenario_defaults() and scenario_to_json(), so
 * names, defaults and units cannot drift apart. Keys shared by several
 * sections (the capacity keys of login_server, service and supernode) are one
 * sub-table, walked inline at each section's level with per-section defaults.
 *
 * All tree memory comes from one arena that is freed in one go, which keeps
 * the error paths (and there are many) free of cleanup code.
 *
 * Stages 1 and 2 (arena, tree, overrides) are in scenario_tree.c; the scalar
 * parsers and formatters are in scenario_values.c. */
#include "scenario.h"

#include "scenario_tree.h"
#include "scenario_values.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Limit against hostile input: file size (nesting and node count are limited
 * in scenario_tree.c). */
#define FILE_MAX_BYTES (16u << 20)

#define MAX_COUNT 10000000u /* each node count, and all injected supernodes together */

_Static_assert(sizeof(enum retry_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum retry_jitter) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_arch) == sizeof(int), "enums are stored as int");

/* ---- schema ---- */

enum ftype {
    F_MAP,           /* nested mapping: sub */
    F_INLINE,        /* sub's keys at this same mapping level (key unused), at off */
    F_NAME,          /* char[SCN_NAME_MAX] */
    F_U64,           /* uint64_t */
    F_U32,           /* uint32_t in [min, max] */
    F_U16,           /* uint16_t in [min, max] */
    F_DURATION,      /* int64_t ns in [min, max] */
    F_DURATION_MS,   /* double ms, written as a duration */
    F_DIST,          /* struct dist */
    F_ENUM,          /* int, index into names */
    F_IPV4,          /* uint32_t, host order */
    F_NETS,          /* struct scn_net[SCN_MAX_NETS] + uint32_t count at off_count */
    F_FRACTION,      /* double in [0, 1] */
    F_NUMBER,        /* double >= min */
    F_RATE,          /* double per second, written "500/s" */
    F_BOOL,          /* bool */
    F_COND,          /* struct scn_cond + bool at off_count, set when present */
    F_EVENTS,        /* struct scn_event[SCN_MAX_EVENTS] + uint32_t count at off_count */
    F_ACTION,        /* event action mapping: sub, sets the event kind */
    F_BANDWIDTH,     /* uint64_t bytes per second, written in bit units ("8mbit") */
    F_GROUPS,        /* partition groups: uint8_t[SCN_MAX_RANKS], group of each rank */
    F_IMPAIR_GROUPS, /* network.impair_groups: struct scn_impair[SCN_MAX_GROUPS] + uint32_t
                      * count at off_count; the group of each rank in
                      * network.impair_group_of_rank (see walk_impair_groups) */
    F_RANKS,         /* an impair group's ranks: stored by walk_impair_groups */
};

struct fdef {
    const char *key;
    const char *def;
};

struct field {
    const char *key;
    enum ftype type;
    size_t off;       /* from the enclosing mapping's base */
    size_t off_count; /* F_NETS, F_EVENTS: the count; F_COND: the "present" flag */
    const char *def;  /* default, in file syntax; NULL: none or computed */
    bool req;
    bool nullable;    /* a null value means "not set": the default stays */
    bool below_one;   /* F_FRACTION: must be < 1 */
    int64_t min, max; /* max 0: the type's own maximum */
    const struct field *sub;
    const char *const *names;
    int kind;                /* F_ACTION */
    const struct fdef *defs; /* F_INLINE: defaults that replace the sub-table's */
    /* NULL: the key always matters. Else whether it matters given the rest of
     * the enclosing struct: setting it when it does not is an error (see
     * check_capacity), and scenario_to_json leaves it out. */
    bool (*used)(const char *base);
};

static const char *const arch_names[] = {"supernode", NULL};
static const char *const retry_kind_names[] = {"none", "fixed", "exponential", NULL};
static const char *const jitter_names[] = {"none", "full", "equal", "decorrelated", NULL};
static const char *const admission_names[] = {"bounded-queue", "accept-all", "token-bucket",
                                              "shed",          "pace",       NULL};
static const char *const discipline_names[] = {"fifo", "lifo", NULL};
static const char *const overload_names[] = {"none", "shutdown", "demote", NULL};
static const char *const net_mode_names[] = {"loopback", "host", NULL};

_Static_assert(sizeof(enum scn_admission) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_discipline) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_overload_action) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum role) == sizeof(int), "enums are stored as int");
_Static_assert(ADMIT_PACE == 4 && QUEUE_LIFO == 1 && OVERLOAD_DEMOTE == 2 && ROLE_SERVICE == 3,
               "name tables follow the enums");

#define MS 1000000LL
#define SEC 1000000000LL
#define OFF(m) offsetof(struct scenario, m)
#define CAP(m) offsetof(struct scn_capacity, m)
#define RP(m) offsetof(struct retry_policy, m)
#define EV(m) offsetof(struct scn_event, m)
#define IMP(m) offsetof(struct scn_impair, m)

static const struct field budget_fields[] = {
    {"tokens", F_NUMBER, RP(budget_tokens), .def = "0"},
    {"ratio", F_FRACTION, RP(budget_ratio), .def = "0.1"},
    {NULL},
};

static const struct field throttle_fields[] = {
    /* 0 (off) or >= 1 (see check_retry) */
    {"k", F_NUMBER, RP(throttle_k), .def = "0"},
    {"window", F_DURATION, RP(throttle_window_ns), .def = "60s", .min = 1},
    {NULL},
};

static const struct field retry_fields[] = {
    {"policy", F_ENUM, RP(kind), .def = "exponential", .names = retry_kind_names},
    {"base", F_DURATION, RP(base_ns), .def = "500ms", .min = 1},
    {"cap", F_DURATION, RP(cap_ns), .def = "30s"},
    /* default "full" only with exponential, else "none" (see check_retry) */
    {"jitter", F_ENUM, RP(jitter), .def = "full", .names = jitter_names},
    {"max_attempts", F_U32, RP(max_attempts), .def = "0", .max = UINT32_MAX},
    {"budget", F_MAP, 0, .sub = budget_fields},
    {"throttle", F_MAP, 0, .sub = throttle_fields},
    {"obey_retry_after", F_BOOL, RP(obey_retry_after), .def = "false"},
    {NULL},
};

static const struct field retry_cfg_fields[] = {
    {"timeout", F_DURATION, offsetof(struct scn_retry_cfg, timeout_ns), .def = "5s", .min = 1},
    {"retry", F_MAP, offsetof(struct scn_retry_cfg, retry), .sub = retry_fields},
    {NULL},
};

static bool cap_uses_rate(const char *base)
{
    const struct scn_capacity *k = (const struct scn_capacity *)base;
    return k->admission == ADMIT_TOKEN_BUCKET || k->admission == ADMIT_PACE;
}

static bool cap_uses_burst(const char *base)
{
    return ((const struct scn_capacity *)base)->admission == ADMIT_TOKEN_BUCKET;
}

static bool cap_uses_max_wait(const char *base)
{
    return ((const struct scn_capacity *)base)->admission == ADMIT_SHED;
}

/* One table for the capacity keys of login_server, service and supernode; the
 * defaults here are the login server's, the others replace some (fdef). */
static const struct field capacity_fields[] = {
    {"workers", F_U32, CAP(workers), .def = "4", .min = 1, .max = UINT32_MAX},
    {"service_time", F_DIST, CAP(service_time), .def = "5ms"},
    {"queue", F_U32, CAP(queue), .def = "128", .max = UINT32_MAX},
    {"admission", F_ENUM, CAP(admission), .def = "bounded-queue", .names = admission_names},
    {"discipline", F_ENUM, CAP(discipline), .def = "fifo", .names = discipline_names},
    {"rate", F_RATE, CAP(rate), .def = "0/s", .nullable = true, .used = cap_uses_rate},
    {"burst", F_U32, CAP(burst), .def = "10", .nullable = true, .used = cap_uses_burst},
    {"max_wait", F_DURATION, CAP(max_wait_ns), .def = "0s", .nullable = true,
     .used = cap_uses_max_wait},
    {"drop_abandoned", F_BOOL, CAP(drop_abandoned), .def = "false"},
    {NULL},
};

static const struct fdef supernode_cap_defaults[] = {
    {"workers", "1"}, {"service_time", "0ms"}, {"queue", "100000"}, {"admission", "accept-all"},
    {NULL, NULL},
};

static const struct field nodes_fields[] = {
    {"peers", F_U32, OFF(nodes.peers), .req = true, .min = 1, .max = MAX_COUNT},
    {"login_servers", F_U32, OFF(nodes.login_servers), .def = "1", .min = 1, .max = MAX_COUNT},
    {"services", F_U32, OFF(nodes.services), .def = "0", .max = MAX_COUNT},
    {"supernodes", F_U32, OFF(nodes.supernodes), .def = "8", .min = 1, .max = MAX_COUNT},
    /* default min(4, supernodes) (see check_rules) */
    {"bootstrap", F_U32, OFF(nodes.bootstrap), .def = "4", .min = 1, .max = MAX_COUNT},
    {NULL},
};

static const struct field login_server_fields[] = {
    {"(capacity)", F_INLINE, OFF(login_server.cap), .sub = capacity_fields},
    {"backlog", F_U32, OFF(login_server.backlog), .def = "1024", .min = 1, .max = 65535},
    {"ticket_ttl", F_DURATION, OFF(login_server.ticket_ttl_ns), .def = "1h", .min = 1},
    {"port", F_U16, OFF(login_server.port), .def = "4430", .min = 1, .max = 65535},
    {NULL},
};

static const struct field service_fields[] = {
    {"(capacity)", F_INLINE, OFF(service.cap), .sub = capacity_fields},
    {"port", F_U16, OFF(service.port), .def = "4432", .min = 1, .max = 65535},
    {NULL},
};

static const struct field overload_fields[] = {
    {"action", F_ENUM, OFF(supernode.overload.action), .def = "none", .names = overload_names},
    {"load", F_FRACTION, OFF(supernode.overload.load), .def = "0"},
    {"lag", F_DURATION, OFF(supernode.overload.lag_ns), .def = "0s"},
    {"for", F_DURATION, OFF(supernode.overload.for_ns), .def = "5s"},
    {NULL},
};

static const struct field promote_fields[] = {
    {"target_ratio", F_FRACTION, OFF(supernode.promote.target_ratio), .def = "0"},
    {"min_uptime", F_DURATION, OFF(supernode.promote.min_uptime_ns), .def = "30s"},
    {"capable", F_FRACTION, OFF(supernode.promote.capable), .def = "0.2"},
    {"max_clients", F_U32, OFF(supernode.promote.max_clients), .def = "100", .min = 1,
     .max = UINT32_MAX},
    {"check", F_DURATION, OFF(supernode.promote.check_ns), .def = "5s", .min = 1},
    {"demote_below", F_FRACTION, OFF(supernode.promote.demote_below), .def = "0.05"},
    {"demote_for", F_DURATION, OFF(supernode.promote.demote_for_ns), .def = "0s"},
    {NULL},
};

static const struct field gossip_fields[] = {
    {"interval", F_DURATION, OFF(supernode.gossip.interval_ns), .def = "0s"},
    {"fanout", F_U32, OFF(supernode.gossip.fanout), .def = "1", .min = 1, .max = 32},
    {NULL},
};

static const struct field supernode_fields[] = {
    {"port", F_U16, OFF(supernode.port), .def = "4431", .min = 1, .max = 65535},
    {"list_size", F_U32, OFF(supernode.list_size), .def = "8", .max = 32},
    {"max_clients", F_U32, OFF(supernode.max_clients), .def = "0", .max = UINT32_MAX},
    {"(capacity)", F_INLINE, OFF(supernode.cap), .sub = capacity_fields,
     .defs = supernode_cap_defaults},
    {"overload", F_MAP, 0, .sub = overload_fields},
    {"promote", F_MAP, 0, .sub = promote_fields},
    {"gossip", F_MAP, 0, .sub = gossip_fields},
    {NULL},
};

static const struct field peer_fields[] = {
    {"boot_delay", F_DIST, OFF(peer.boot_delay), .def = "lognormal(2s, 0.5)"},
    {"login", F_MAP, OFF(peer.login), .sub = retry_cfg_fields},
    {"register", F_MAP, OFF(peer.reg), .sub = retry_cfg_fields},
    {"host_cache", F_U32, OFF(peer.host_cache), .def = "16", .min = 1, .max = 256},
    {NULL},
};

static const struct field workload_fields[] = {
    {"keepalive", F_DURATION, OFF(workload.keepalive_ns), .def = "10s", .min = 1},
    /* > 0 needs nodes.services >= 1 (see check_rules) */
    {"request_rate", F_RATE, OFF(workload.request_rate), .def = "0/s"},
    {"request", F_MAP, OFF(workload.request), .sub = retry_cfg_fields},
    {NULL},
};

/* network.impair.<class>: what every node of the class does to the messages
 * it sends (latency, jitter, loss) and to each socket's throughput. */
static const struct field impair_class_fields[] = {
    {"latency", F_DURATION, IMP(latency_ns), .def = "0s", .max = 3600 * SEC},
    /* added as U(0, jitter); need not be <= latency */
    {"jitter", F_DURATION, IMP(jitter_ns), .def = "0s", .max = 3600 * SEC},
    {"loss", F_FRACTION, IMP(loss), .def = "0", .below_one = true},
    {"uplink", F_BANDWIDTH, IMP(uplink_Bps), .def = "0bit"},
    {"downlink", F_BANDWIDTH, IMP(downlink_Bps), .def = "0bit"},
    {NULL},
};

/* Indexed by enum role, as role_names. */
static const struct field impair_fields[] = {
    {"peer", F_MAP, OFF(network.impair[ROLE_PEER]), .sub = impair_class_fields},
    {"supernode", F_MAP, OFF(network.impair[ROLE_SUPERNODE]), .sub = impair_class_fields},
    {"login_server", F_MAP, OFF(network.impair[ROLE_LOGIN_SERVER]), .sub = impair_class_fields},
    {"service", F_MAP, OFF(network.impair[ROLE_SERVICE]), .sub = impair_class_fields},
    {NULL},
};

/* network.impair_groups.N: the ranks of a host group, and the class keys. */
static const struct field impair_group_fields[] = {
    {"ranks", F_RANKS, 0, .req = true},
    {"(impair)", F_INLINE, 0, .sub = impair_class_fields},
    {NULL},
};

static const struct field network_fields[] = {
    {"mode", F_ENUM, OFF(network.mode), .def = "loopback", .names = net_mode_names},
    {"port_base", F_U16, OFF(network.port_base), .def = "20000", .min = 1024, .max = 65535},
    {"base", F_IPV4, OFF(network.base), .def = "127.1.0.1"},
    {"allowed", F_NETS, OFF(network.allowed), .off_count = OFF(network.n_allowed),
     .def = "127.0.0.0/8", .min = 1, .max = SCN_MAX_NETS},
    {"impair", F_MAP, 0, .sub = impair_fields},
    /* 0 to SCN_MAX_GROUPS host groups; every rank in at most one */
    {"impair_groups", F_IMPAIR_GROUPS, OFF(network.impair_group),
     .off_count = OFF(network.n_impair_groups), .max = SCN_MAX_GROUPS},
    {NULL},
};

static const struct field metrics_fields[] = {
    {"interval", F_DURATION, OFF(metrics.interval_ns), .def = "1s", .min = 10 * MS,
     .max = 3600 * SEC},
    {NULL},
};

static const struct field control_fields[] = {
    {"lead", F_DURATION, OFF(control.lead_ns), .def = "250ms", .min = 10 * MS},
    /* 0 (off) or >= 100ms (see check_rules) */
    {"resync", F_DURATION, OFF(control.resync_ns), .def = "10s"},
    {"max_lag_p99", F_DURATION_MS, OFF(control.max_lag_p99_ms), .def = "50ms", .min = 1},
    {"max_skew_p99", F_DURATION_MS, OFF(control.max_skew_p99_ms), .def = "10ms", .min = 1},
    {NULL},
};

/* Event actions. An action's table is walked with the event as its base; its
 * defaults are applied to the event first (see walk_field). */
static const struct field frac_over_fields[] = {
    {"fraction", F_FRACTION, EV(fraction), .req = true},
    {"over", F_DURATION, EV(over_ns), .def = "0s"},
    {NULL},
};

static const struct field crash_fields[] = {
    {"role", F_ENUM, EV(role), .req = true, .names = role_names},
    {"fraction", F_FRACTION, EV(fraction), .req = true},
    {"over", F_DURATION, EV(over_ns), .def = "0s"},
    {NULL},
};

static const struct field outage_fields[] = {
    /* login_server or service (see walk_events) */
    {"role", F_ENUM, EV(role), .req = true, .names = role_names},
    {"for", F_DURATION, EV(for_ns), .req = true, .min = 1},
    {NULL},
};

static bool ev_workers_set(const char *base)
{
    return ((const struct scn_event *)base)->workers != 0;
}

static bool ev_service_time_set(const char *base)
{
    return ((const struct scn_event *)base)->service_time.kind != DIST_KEEP;
}

static bool ev_queue_set(const char *base)
{
    return ((const struct scn_event *)base)->queue_set;
}

static const struct field capacity_event_fields[] = {
    /* login_server, service or supernode; at least one of the others (see
     * walk_events, which also sets DIST_KEEP and queue_set) */
    {"role", F_ENUM, EV(role), .req = true, .names = role_names},
    {"workers", F_U32, EV(workers), .min = 1, .max = UINT32_MAX, .used = ev_workers_set},
    {"service_time", F_DIST, EV(service_time), .used = ev_service_time_set},
    {"queue", F_U32, EV(queue), .max = UINT32_MAX, .used = ev_queue_set},
    {NULL},
};

static const struct field inject_fields[] = {
    {"count", F_U32, EV(count), .req = true, .min = 1, .max = MAX_COUNT},
    {"max_clients", F_U32, EV(max_clients), .def = "1000", .max = UINT32_MAX},
    {NULL},
};

static const struct field partition_fields[] = {
    /* 2 to SCN_MAX_GROUPS groups of ranks 0 to SCN_MAX_RANKS - 1 (see walk_groups) */
    {"groups", F_GROUPS, EV(group_of_rank), .req = true, .min = 2, .max = SCN_MAX_GROUPS},
    {"for", F_DURATION, EV(for_ns), .req = true, .min = 1},
    {NULL},
};

static const struct field event_fields[] = {
    /* exactly one of at and when (see walk_events) */
    {"at", F_DURATION, EV(at_ns), .min = 0},
    {"when", F_COND, EV(when), .off_count = EV(conditional)},
    {"boot", F_ACTION, 0, .sub = frac_over_fields, .kind = EV_BOOT},
    {"reboot", F_ACTION, 0, .sub = frac_over_fields, .kind = EV_REBOOT},
    {"crash", F_ACTION, 0, .sub = crash_fields, .kind = EV_CRASH},
    {"outage", F_ACTION, 0, .sub = outage_fields, .kind = EV_OUTAGE},
    {"capacity", F_ACTION, 0, .sub = capacity_event_fields, .kind = EV_CAPACITY},
    {"inject_supernodes", F_ACTION, 0, .sub = inject_fields, .kind = EV_INJECT_SN},
    {"partition", F_ACTION, 0, .sub = partition_fields, .kind = EV_PARTITION},
    {NULL},
};

static const struct field scenario_fields[] = {
    {"name", F_NAME, OFF(name), .req = true},
    {"seed", F_U64, OFF(seed), .def = "1"},
    {"duration", F_DURATION, OFF(duration_ns), .req = true, .min = 1},
    {"stop_when", F_COND, OFF(stop_when), .off_count = OFF(has_stop_when), .nullable = true},
    {"architecture", F_ENUM, OFF(architecture), .def = "supernode", .names = arch_names},
    {"nodes", F_MAP, 0, .sub = nodes_fields},
    {"login_server", F_MAP, 0, .sub = login_server_fields},
    {"service", F_MAP, 0, .sub = service_fields},
    {"supernode", F_MAP, 0, .sub = supernode_fields},
    {"peer", F_MAP, 0, .sub = peer_fields},
    {"workload", F_MAP, 0, .sub = workload_fields},
    {"network", F_MAP, 0, .sub = network_fields},
    {"metrics", F_MAP, 0, .sub = metrics_fields},
    {"control", F_MAP, 0, .sub = control_fields},
    {"events", F_EVENTS, OFF(events), .off_count = OFF(n_events), .max = SCN_MAX_EVENTS},
    {NULL},
};

/* The action table of an event kind, and its YAML key. */
static const struct field *action_field(enum scn_event_kind kind)
{
    for (const struct field *f = event_fields; f->key; f++)
        if (f->type == F_ACTION && f->kind == (int)kind)
            return f;
    return NULL;
}

static int64_t field_max(const struct field *f)
{
    if (f->max)
        return f->max;
    switch (f->type) {
    case F_U16:
        return UINT16_MAX;
    case F_U32:
        return UINT32_MAX;
    default:
        return INT64_MAX;
    }
}

static void list_names(const char *const *names, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i]; i++) {
        int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0 || (size_t)n >= len - used)
            return;
        used += (size_t)n;
    }
}

/* The field for a YAML key, looking through F_INLINE sub-tables. *off gets
 * the offset of its base from the table's base. */
static const struct field *find_key(const struct field *table, const char *key, size_t *off)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            size_t sub = 0;
            const struct field *g = find_key(f->sub, key, &sub);
            if (g) {
                *off = f->off + sub;
                return g;
            }
        } else if (!strcmp(f->key, key)) {
            *off = 0;
            return f;
        }
    }
    return NULL;
}

/* "a, b, c": every YAML key of a table, inline ones included. */
static void list_keys(const struct field *table, char *buf, size_t len, size_t *used)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            list_keys(f->sub, buf, len, used);
            continue;
        }
        int n = snprintf(buf + *used, len - *used, "%s%s", *used ? ", " : "", f->key);
        if (n < 0 || (size_t)n >= len - *used)
            return;
        *used += (size_t)n;
    }
}

/* Convert the text of a scalar field into *dst. Used for file values,
 * override values and the defaults alike. */
static bool set_from_text(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    uint64_t u;
    int64_t ns;
    double d;
    char b1[32], b2[32];

    switch (f->type) {
    case F_NAME: {
        size_t n = strlen(t);
        bool ok = n >= 1 && n < SCN_NAME_MAX;
        for (size_t i = 0; ok && i < n; i++) {
            char c = t[i];
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || scn_is_digit(c) || c == '.' ||
                 c == '_' || c == '-';
        }
        if (!ok) {
            snprintf(why, wl, "must be 1 to %d characters from A-Z a-z 0-9 . _ -, got '%.64s'",
                     SCN_NAME_MAX - 1, t);
            return false;
        }
        memcpy(dst, t, n + 1);
        return true;
    }
    case F_U64:
        if (!parse_uint_why(t, 0, UINT64_MAX, &u, why, wl))
            return false;
        *(uint64_t *)dst = u;
        return true;
    case F_U32:
    case F_U16:
        if (!parse_uint_why(t, (uint64_t)f->min, (uint64_t)field_max(f), &u, why, wl))
            return false;
        if (f->type == F_U32)
            *(uint32_t *)dst = (uint32_t)u;
        else
            *(uint16_t *)dst = (uint16_t)u;
        return true;
    case F_DURATION:
    case F_DURATION_MS:
        if (!parse_duration_why(t, &ns, why, wl))
            return false;
        if (ns < f->min) {
            if (f->min == 1) {
                snprintf(why, wl, "must be > 0, got %s", t);
            } else {
                scenario_format_duration(f->min, b1, sizeof b1);
                snprintf(why, wl, "must be >= %s, got %s", b1, t);
            }
            return false;
        }
        if (ns > field_max(f)) {
            scenario_format_duration(field_max(f), b2, sizeof b2);
            snprintf(why, wl, "must be <= %s, got %s", b2, t);
            return false;
        }
        if (f->type == F_DURATION)
            *(int64_t *)dst = ns;
        else
            *(double *)dst = (double)ns / 1e6;
        return true;
    case F_DIST:
        return parse_dist_why(t, dst, why, wl);
    case F_ENUM:
        for (int i = 0; f->names[i]; i++) {
            if (!strcmp(t, f->names[i])) {
                *(int *)dst = i;
                return true;
            }
        }
        {
            char names[96];
            list_names(f->names, names, sizeof names);
            snprintf(why, wl, "expected one of %s, got '%.64s'", names, t);
        }
        return false;
    case F_IPV4: {
        const char *end;
        uint32_t a;
        if (!parse_ipv4(t, &end, &a) || *end != '\0') {
            snprintf(why, wl, "expected an IPv4 address like 127.1.0.1, got '%.64s'", t);
            return false;
        }
        *(uint32_t *)dst = a;
        return true;
    }
    case F_FRACTION:
        if (!parse_fraction_why(t, &d, why, wl))
            return false;
        if (f->below_one && d >= 1.0) {
            snprintf(why, wl, "must be < 1 (100%%), got %.64s", t);
            return false;
        }
        *(double *)dst = d;
        return true;
    case F_BANDWIDTH:
        return parse_bandwidth_why(t, dst, why, wl);
    case F_NUMBER:
        if (!parse_number(t, strlen(t), &d)) {
            snprintf(why, wl, "expected a number like 10 or 0.5, got '%.64s'", t);
            return false;
        }
        if (d < (double)f->min) {
            snprintf(why, wl, "must be >= %lld, got %.64s", (long long)f->min, t);
            return false;
        }
        *(double *)dst = d == 0.0 ? 0.0 : d;
        return true;
    case F_RATE:
        return parse_rate_why(t, dst, why, wl);
    case F_BOOL:
        return parse_bool_why(t, dst, why, wl);
    case F_COND:
        if (!parse_cond_why(t, dst, why, wl))
            return false;
        *(bool *)((char *)dst - f->off + f->off_count) = true;
        return true;
    case F_NETS: /* only for the default: one network */
        if (!parse_cidr_why(t, dst, why, wl))
            return false;
        *(uint32_t *)((char *)dst - f->off + f->off_count) = 1;
        return true;
    default:
        snprintf(why, wl, "internal error: not a scalar field");
        return false;
    }
}

static void apply_defaults(const struct field *table, char *base)
{
    char why[200];
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_MAP || f->type == F_INLINE) {
            apply_defaults(f->sub, base + f->off);
            for (const struct fdef *d = f->defs; d && d->key; d++) {
                size_t off = 0;
                const struct field *g = find_key(f->sub, d->key, &off);
                assert(g && "bad default override in the schema table");
                bool ok = set_from_text(g, d->def, base + f->off + off + g->off, why, sizeof why);
                assert(ok && "bad default override in the schema table");
                (void)ok;
            }
        } else if (f->def && f->type != F_ACTION) {
            bool ok = set_from_text(f, f->def, base + f->off, why, sizeof why);
            assert(ok && "bad default in the schema table");
            (void)ok;
        }
    }
}

void scenario_defaults(struct scenario *s)
{
    memset(s, 0, sizeof *s);
    apply_defaults(scenario_fields, (char *)s);
}

/* ---- validation walk ---- */

/* Enough for every scalar key of the schema, 64 full events included. */
#define SEEN_MAX 2048

struct ctx {
    struct scenario *s;
    const struct tnode *root;
    char *err;
    size_t errlen;
    struct {
        size_t off; /* from the start of struct scenario */
        const struct tnode *node;
    } seen[SEEN_MAX];
    size_t n_seen;
    /* the impair group being walked (see walk_impair_groups) */
    const char *group_list_path;
    size_t group_index;
};

static int fail(struct ctx *c, const struct tnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ctx *c, const struct tnode *n, const char *fmt, ...)
{
    char msg[SCN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    scn_report(c->err, c->errlen, n->origin, n->line, n->col, "%s", msg);
    return -1;
}

/* The node a scalar field was set from, or NULL if it kept its default.
 * Containers (mappings, sequences of events) are not recorded, so that an
 * offset names one field. */
static const struct tnode *seen_node(const struct ctx *c, size_t off)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (c->seen[i].off == off)
            return c->seen[i].node;
    return NULL;
}

static const char *type_desc(const struct field *f, char *buf, size_t len)
{
    switch (f->type) {
    case F_MAP:
    case F_INLINE:
    case F_ACTION:
        return "a mapping";
    case F_NETS:
    case F_EVENTS:
    case F_GROUPS:
    case F_IMPAIR_GROUPS:
    case F_RANKS:
        return "a sequence";
    case F_BANDWIDTH:
        return "a bandwidth like 1mbit or 125kB/s";
    case F_NAME:
        return "a name";
    case F_U64:
    case F_U32:
    case F_U16:
        return "an unsigned integer";
    case F_DURATION:
    case F_DURATION_MS:
        return "a duration like 250ms";
    case F_DIST:
        return "a duration or a distribution";
    case F_IPV4:
        return "an IPv4 address";
    case F_FRACTION:
        return "a fraction";
    case F_NUMBER:
        return "a number";
    case F_RATE:
        return "a rate like 500/s";
    case F_BOOL:
        return "true or false";
    case F_COND:
        return "a condition like 'online >= 0.9'";
    case F_ENUM:
        snprintf(buf, len, "one of ");
        list_names(f->names, buf + 7, len - 7);
        return buf;
    }
    return "a value";
}

static int walk_field(struct ctx *c, const struct field *f, const struct tnode *v, char *base,
                      size_t base_off, const char *path);

/* Fill the fields of `table` (F_INLINE ones included) from the mapping m. */
static int walk_fields(struct ctx *c, const struct tnode *m, const struct field *table, char *base,
                       size_t base_off, const char *path)
{
    char child[256];
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            if (walk_fields(c, m, f->sub, base + f->off, base_off + f->off, path) < 0)
                return -1;
            continue;
        }
        const struct tnode *v = scn_map_get(m, f->key, NULL);
        scn_join_path(child, sizeof child, path, f->key);
        if (!v) {
            if (f->req)
                return fail(c, m, "%s%smissing required key '%s'", path, *path ? ": " : "", child);
            continue;
        }
        if (walk_field(c, f, v, base, base_off, child) < 0)
            return -1;
    }
    return 0;
}

static int walk_map(struct ctx *c, const struct tnode *m, const struct field *table, char *base,
                    size_t base_off, const char *path)
{
    char desc[64], child[256];

    if (m->kind != TN_MAP && !tn_is_null(m)) {
        scn_describe(m, desc, sizeof desc);
        return fail(c, m, "%s: expected a mapping, got %s", *path ? path : "scenario", desc);
    }
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const struct tnode *k = m->items[i];
        size_t off;
        if (k->kind != TN_SCALAR) {
            scn_describe(k, desc, sizeof desc);
            return fail(c, k, "%s: expected a key, got %s", *path ? path : "scenario", desc);
        }
        scn_join_path(child, sizeof child, path, k->text);
        if (!find_key(table, k->text, &off)) {
            char keys[384];
            size_t used = 0;
            keys[0] = '\0';
            list_keys(table, keys, sizeof keys, &used);
            return fail(c, k, "%s: unknown key (expected one of: %s)", child, keys);
        }
        for (size_t j = 0; j < i; j += 2) {
            const struct tnode *prev = m->items[j];
            if (prev->kind == TN_SCALAR && !strcmp(prev->text, k->text)) {
                if (prev->origin->is_override || prev->origin != k->origin)
                    return fail(c, k, "%s: duplicate key", child);
                return fail(c, k, "%s: duplicate key (first at line %u)", child, prev->line);
            }
        }
    }
    return walk_fields(c, m, table, base, base_off, path);
}

static int walk_nets(struct ctx *c, const struct field *f, const struct tnode *v, char *base,
                     const char *path)
{
    char desc[64], why[200];
    struct scn_net *nets = (struct scn_net *)(base + f->off);
    uint32_t *count = (uint32_t *)(base + f->off_count);

    if (v->kind != TN_SEQ) {
        scn_describe(v, desc, sizeof desc);
        return fail(c, v, "%s: expected a sequence of networks like [127.0.0.0/8], got %s", path,
                    desc);
    }
    if (v->n < (size_t)f->min || v->n > (size_t)f->max)
        return fail(c, v, "%s: expected %lld to %lld networks, got %zu", path, (long long)f->min,
                    (long long)f->max, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        if (it->kind != TN_SCALAR) {
            scn_describe(it, desc, sizeof desc);
            return fail(c, it, "%s.%zu: expected an IPv4 network like 127.0.0.0/8, got %s", path, i,
                        desc);
        }
        if (!parse_cidr_why(it->text, &nets[i], why, sizeof why))
            return fail(c, it, "%s.%zu: %s", path, i, why);
    }
    *count = (uint32_t)v->n;
    return 0;
}

/* The ranks g of group i (0-based) of the group list at list_path, g itself
 * at rpath: each rank 0 to SCN_MAX_RANKS - 1, in no other group; group[rank]
 * gets i + 1. */
static int walk_rank_list(struct ctx *c, const struct tnode *g, const char *list_path, size_t i,
                          const char *rpath, uint8_t *group)
{
    char desc[64], why[200];

    if (g->kind != TN_SEQ) {
        scn_describe(g, desc, sizeof desc);
        return fail(c, g, "%s: expected a list of ranks like [1, 2], got %s", rpath, desc);
    }
    if (g->n == 0)
        return fail(c, g, "%s: a group needs at least one rank", rpath);
    for (size_t j = 0; j < g->n; j++) {
        const struct tnode *r = g->items[j];
        uint64_t rank;
        if (r->kind != TN_SCALAR || tn_is_null(r)) {
            scn_describe(r, desc, sizeof desc);
            return fail(c, r, "%s.%zu: expected a rank number, got %s", rpath, j, desc);
        }
        if (!parse_uint_why(r->text, 0, SCN_MAX_RANKS - 1, &rank, why, sizeof why))
            return fail(c, r, "%s.%zu: expected a rank 0 to %d, got '%.32s'", rpath, j,
                        SCN_MAX_RANKS - 1, r->text);
        if (group[rank])
            return fail(c, r, "%s.%zu: rank %u is in two groups (%s.%u and %s.%zu)", rpath, j,
                        (unsigned)rank, list_path, group[rank] - 1u, list_path, i);
        group[rank] = (uint8_t)(i + 1);
    }
    return 0;
}

/* partition.groups: [[1, 2], [3]]. Every rank in at most one group; stored
 * as the group (1-based) of each rank, 0 for the ranks in none. */
static int walk_groups(struct ctx *c, const struct field *f, const struct tnode *v, char *base,
                       const char *path)
{
    char desc[64], gpath[192];
    uint8_t *group = (uint8_t *)(base + f->off);

    if (v->kind != TN_SEQ) {
        scn_describe(v, desc, sizeof desc);
        return fail(c, v, "%s: expected a list of groups of ranks like [[1, 2], [3]], got %s", path,
                    desc);
    }
    if (v->n < (size_t)f->min || v->n > (size_t)f->max)
        return fail(c, v, "%s: expected %lld to %lld groups, got %zu", path, (long long)f->min,
                    (long long)f->max, v->n);
    memset(group, 0, SCN_MAX_RANKS);
    for (size_t i = 0; i < v->n; i++) {
        snprintf(gpath, sizeof gpath, "%.150s.%zu", path, i);
        if (walk_rank_list(c, v->items[i], path, i, gpath, group) < 0)
            return -1;
    }
    return 0;
}

/* network.impair_groups: [{ranks: [2, 3], latency: 50ms}]. Each entry takes
 * the keys of a network.impair.<class> entry (same defaults and limits) and
 * the ranks of its hosts, every rank in at most one group. */
static int walk_impair_groups(struct ctx *c, const struct field *f, const struct tnode *v,
                              char *base, size_t base_off, const char *path)
{
    char desc[64], ipath[192];
    struct scn_impair *groups = (struct scn_impair *)(base + f->off);
    uint32_t *count = (uint32_t *)(base + f->off_count);

    memset(c->s->network.impair_group_of_rank, 0, sizeof c->s->network.impair_group_of_rank);
    *count = 0;
    if (tn_is_null(v))
        return 0;
    if (v->kind != TN_SEQ) {
        scn_describe(v, desc, sizeof desc);
        return fail(c, v,
                    "%s: expected a list of host groups like [{ranks: [2, 3], latency: 50ms}], "
                    "got %s",
                    path, desc);
    }
    if (v->n > (size_t)f->max)
        return fail(c, v, "%s: at most %lld groups, got %zu", path, (long long)f->max, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        struct scn_impair *g = &groups[i];
        snprintf(ipath, sizeof ipath, "%.150s.%zu", path, i);
        memset(g, 0, sizeof *g);
        apply_defaults(impair_class_fields, (char *)g);
        c->group_list_path = path;
        c->group_index = i;
        if (walk_map(c, it, impair_group_fields, (char *)g, base_off + f->off + i * sizeof *g,
                     ipath) < 0)
            return -1;
    }
    *count = (uint32_t)v->n;
    return 0;
}

/* The key node of `key` in mapping m, or NULL. */
static const struct tnode *key_node(const struct tnode *m, const char *key)
{
    struct tnode *k = NULL;
    return scn_map_get(m, key, &k) ? k : NULL;
}

/* Checks that need the whole event: one of at/when, one action, per-kind
 * rules. `it` has been walked already. */
static int check_event(struct ctx *c, const struct tnode *it, struct scn_event *e,
                       const char *ipath, uint64_t *injected)
{
    struct scenario *s = c->s;
    char b1[32], b2[32], kinds[160];
    const struct tnode *kat = key_node(it, "at"), *kwhen = key_node(it, "when");

    if (!kat && !kwhen)
        return fail(c, it, "%s: missing required key '%s.at' (or a '%s.when' condition)", ipath,
                    ipath, ipath);
    if (kat && kwhen) {
        const struct tnode *second =
            kat->line > kwhen->line || (kat->line == kwhen->line && kat->col > kwhen->col) ? kat
                                                                                           : kwhen;
        return fail(c, second, "%s: expected exactly one of at and when, got both", ipath);
    }

    /* Exactly one action: the first two action keys in file order. */
    const struct tnode *first = NULL, *second = NULL;
    const struct field *fa = NULL;
    for (size_t i = 0; i + 1 < it->n; i += 2) {
        const struct tnode *k = it->items[i];
        for (const struct field *f = event_fields; f->key; f++) {
            if (f->type != F_ACTION || strcmp(f->key, k->text))
                continue;
            if (!first) {
                first = k;
                fa = f;
            } else if (!second) {
                second = k;
            }
        }
    }
    if (!first) {
        size_t used = 0;
        kinds[0] = '\0';
        for (const struct field *f = event_fields; f->key; f++) {
            if (f->type != F_ACTION)
                continue;
            int n = snprintf(kinds + used, sizeof kinds - used, "%s%s", used ? ", " : "", f->key);
            if (n > 0 && (size_t)n < sizeof kinds - used)
                used += (size_t)n;
        }
        return fail(c, it, "%s: missing action (expected exactly one of: %s)", ipath, kinds);
    }
    if (second)
        return fail(c, second, "%s: expected exactly one action, got both %s and %s", ipath,
                    first->text, second->text);
    e->kind = (enum scn_event_kind)fa->kind;

    const struct tnode *act = scn_map_get(it, fa->key, NULL);
    const struct tnode *role = scn_map_get(act, "role", NULL);
    switch (e->kind) {
    case EV_BOOT:
    case EV_REBOOT:
        e->role = ROLE_PEER;
        break;
    case EV_CRASH:
        break;
    case EV_OUTAGE:
        if (e->role != ROLE_LOGIN_SERVER && e->role != ROLE_SERVICE)
            return fail(c, role ? role : act,
                        "%s.outage.role: must be login_server or service, got %s", ipath,
                        role_names[e->role]);
        break;
    case EV_CAPACITY: {
        bool w = scn_map_get(act, "workers", NULL), st = scn_map_get(act, "service_time", NULL),
             q = scn_map_get(act, "queue", NULL);
        if (!st)
            e->service_time = (struct dist){.kind = DIST_KEEP};
        e->queue_set = q;
        if (!w)
            e->workers = 0;
        if (e->role == ROLE_PEER)
            return fail(c, role ? role : act,
                        "%s.capacity.role: must be login_server, service or supernode, got peer",
                        ipath);
        if (!w && !st && !q)
            return fail(c, act,
                        "%s.capacity: expected at least one of workers, service_time, queue",
                        ipath);
        break;
    }
    case EV_INJECT_SN:
        *injected += e->count;
        if (*injected > MAX_COUNT) {
            const struct tnode *n = scn_map_get(act, "count", NULL);
            return fail(c, n ? n : act,
                        "%s.inject_supernodes.count: the injected supernodes add up to %llu, more "
                        "than %u",
                        ipath, (unsigned long long)*injected, MAX_COUNT);
        }
        break;
    default:
        break;
    }
    if (e->kind != EV_BOOT && e->kind != EV_REBOOT && e->kind != EV_INJECT_SN &&
        e->role == ROLE_SERVICE && s->nodes.services == 0)
        return fail(c, role ? role : act, "%s.%s.role: service, but nodes.services is 0", ipath,
                    fa->key);

    if (!e->conditional && e->at_ns >= s->duration_ns) {
        const struct tnode *at = scn_map_get(it, "at", NULL);
        scenario_format_duration(s->duration_ns, b1, sizeof b1);
        scenario_format_duration(e->at_ns, b2, sizeof b2);
        return fail(c, at ? at : it, "%s.at: must be < duration (%s), got %s", ipath, b1, b2);
    }
    return 0;
}

static int walk_events(struct ctx *c, const struct field *f, const struct tnode *v,
                       const char *path)
{
    char desc[64], ipath[192];
    struct scenario *s = c->s;
    uint64_t injected = 0;

    if (tn_is_null(v)) {
        s->n_events = 0;
        return 0;
    }
    if (v->kind != TN_SEQ) {
        scn_describe(v, desc, sizeof desc);
        return fail(c, v, "%s: expected a sequence of events, got %s", path, desc);
    }
    if (v->n > SCN_MAX_EVENTS)
        return fail(c, v, "%s: at most %d events, got %zu", path, SCN_MAX_EVENTS, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        struct scn_event *e = &s->events[i];
        size_t off = f->off + i * sizeof *e;
        snprintf(ipath, sizeof ipath, "%.150s.%zu", path, i);
        memset(e, 0, sizeof *e);
        if (walk_map(c, it, event_fields, (char *)e, off, ipath) < 0 ||
            check_event(c, it, e, ipath, &injected) < 0)
            return -1;
    }
    s->n_events = (uint32_t)v->n;
    return 0;
}

static int walk_field(struct ctx *c, const struct field *f, const struct tnode *v, char *base,
                      size_t base_off, const char *path)
{
    char desc[64], tbuf[96], why[512];

    switch (f->type) {
    case F_MAP:
        return walk_map(c, v, f->sub, base + f->off, base_off + f->off, path);
    case F_INLINE: /* reached only through walk_fields */
        return walk_fields(c, v, f->sub, base + f->off, base_off + f->off, path);
    case F_ACTION:
        apply_defaults(f->sub, base + f->off);
        return walk_map(c, v, f->sub, base + f->off, base_off + f->off, path);
    case F_EVENTS:
        return walk_events(c, f, v, path);
    case F_NETS:
        if (walk_nets(c, f, v, base, path) < 0)
            return -1;
        break;
    case F_GROUPS:
        if (walk_groups(c, f, v, base, path) < 0)
            return -1;
        break;
    case F_IMPAIR_GROUPS:
        return walk_impair_groups(c, f, v, base, base_off, path);
    case F_RANKS: /* not recorded: its offset is the group's first key's */
        return walk_rank_list(c, v, c->group_list_path, c->group_index, path,
                              c->s->network.impair_group_of_rank);
    default:
        if (f->nullable && tn_is_null(v)) {
            /* "not set": keep the default, and record nothing */
            if (f->type == F_COND) {
                memset(base + f->off, 0, sizeof(struct scn_cond));
                *(bool *)(base + f->off_count) = false;
            }
            return 0;
        }
        if (v->kind != TN_SCALAR || (f->type == F_COND && tn_is_null(v))) {
            scn_describe(v, desc, sizeof desc);
            return fail(c, v, "%s: expected %s, got %s", path, type_desc(f, tbuf, sizeof tbuf),
                        desc);
        }
        if (!set_from_text(f, v->text, base + f->off, why, sizeof why))
            return fail(c, v, "%s: %s", path, why);
        break;
    }
    if (c->n_seen < SEEN_MAX) {
        c->seen[c->n_seen].off = base_off + f->off;
        c->seen[c->n_seen].node = v;
        c->n_seen++;
    }
    return 0;
}

/* ---- cross-field rules ---- */

static const struct tnode *first_of(const struct ctx *c, size_t off_a, size_t off_b)
{
    const struct tnode *n = seen_node(c, off_a);
    if (!n)
        n = seen_node(c, off_b);
    return n ? n : c->root;
}

static int check_retry(struct ctx *c, size_t off, const char *path)
{
    struct retry_policy *p =
        (struct retry_policy *)((char *)c->s + off + offsetof(struct scn_retry_cfg, retry));
    size_t roff = off + offsetof(struct scn_retry_cfg, retry);
    size_t o_base = roff + RP(base_ns);
    size_t o_cap = roff + RP(cap_ns);
    size_t o_jit = roff + RP(jitter);
    char b1[32], b2[32];

    if (p->cap_ns < p->base_ns) {
        scenario_format_duration(p->base_ns, b1, sizeof b1);
        scenario_format_duration(p->cap_ns, b2, sizeof b2);
        if (seen_node(c, o_cap))
            return fail(c, seen_node(c, o_cap),
                        "%s.retry.cap: must be >= %s.retry.base (%s), got %s", path, path, b1, b2);
        return fail(c, first_of(c, o_base, o_cap),
                    "%s.retry.base: must be <= %s.retry.cap (%s), got %s", path, path, b2, b1);
    }
    const struct tnode *jn = seen_node(c, o_jit);
    if (!jn) {
        p->jitter = p->kind == RETRY_EXPONENTIAL ? JITTER_FULL : JITTER_NONE;
    } else if (p->kind != RETRY_EXPONENTIAL && p->jitter != JITTER_NONE) {
        return fail(c, jn,
                    "%s.retry.jitter: must be none unless policy is exponential "
                    "(policy is %s), got %s",
                    path, retry_kind_names[p->kind], jitter_names[p->jitter]);
    }
    if (p->throttle_k != 0 && p->throttle_k < 1) {
        char k[40];
        format_number(p->throttle_k, k, sizeof k);
        return fail(c, first_of(c, roff + RP(throttle_k), roff + RP(throttle_k)),
                    "%s.retry.throttle.k: must be 0 (off) or >= 1, got %s", path, k);
    }
    return 0;
}

/* Admission rules of one capacity block. A key that the admission policy
 * does not use is an error when it is set explicitly, never by default. */
static int check_capacity(struct ctx *c, size_t off, const char *path)
{
    const struct scn_capacity *k = (const struct scn_capacity *)((const char *)c->s + off);
    const char *adm = admission_names[k->admission];
    const struct tnode *nadm = seen_node(c, off + CAP(admission));
    const struct tnode *nrate = seen_node(c, off + CAP(rate));
    const struct tnode *nburst = seen_node(c, off + CAP(burst));
    const struct tnode *nwait = seen_node(c, off + CAP(max_wait_ns));

    if (nrate && !cap_uses_rate((const char *)k))
        return fail(c, nrate,
                    "%s.rate: only used by token-bucket and pace admission (admission is %s)", path,
                    adm);
    if (nburst && !cap_uses_burst((const char *)k))
        return fail(c, nburst, "%s.burst: only used by token-bucket admission (admission is %s)",
                    path, adm);
    if (nwait && !cap_uses_max_wait((const char *)k))
        return fail(c, nwait, "%s.max_wait: only used by shed admission (admission is %s)", path,
                    adm);
    if (cap_uses_rate((const char *)k) && !(k->rate > 0))
        return fail(c,
                    nrate  ? nrate
                    : nadm ? nadm
                           : c->root,
                    "%s.rate: %s admission needs a rate > 0/s", path, adm);
    if (cap_uses_burst((const char *)k) && k->burst < 1)
        return fail(c,
                    nburst ? nburst
                    : nadm ? nadm
                           : c->root,
                    "%s.burst: token-bucket admission needs a burst >= 1", path);
    return 0;
}

/* Every node: login servers, services, supernodes, peers, then the
 * supernodes that inject_supernodes events bring up. */
static uint64_t total_nodes(const struct scenario *s)
{
    uint64_t total =
        (uint64_t)s->nodes.login_servers + s->nodes.services + s->nodes.supernodes + s->nodes.peers;
    for (uint32_t i = 0; i < s->n_events && i < SCN_MAX_EVENTS; i++)
        if (s->events[i].kind == EV_INJECT_SN)
            total += s->events[i].count;
    return total;
}

/* Node addresses count up from network.base over last octets 1..254. Every
 * one of them must lie inside network.allowed: this is the safety interlock,
 * so it is checked here, before anything starts. */
static int check_addresses(struct ctx *c)
{
    struct scenario *s = c->s;
    uint32_t base = s->network.base;
    uint32_t o = base & 0xff;
    const struct tnode *loc = first_of(c, OFF(network.base), OFF(network.allowed));
    if (loc == c->root) /* neither set: blame the node counts that outgrew the default */
        loc = first_of(c, OFF(nodes.peers), OFF(nodes.supernodes));
    char a1[16], a2[16], nets[SCN_MAX_NETS * 20];
    size_t used = 0;

    nets[0] = '\0';
    for (uint32_t i = 0; i < s->network.n_allowed && i < SCN_MAX_NETS; i++) {
        char cidr[20];
        format_cidr(&s->network.allowed[i], cidr, sizeof cidr);
        int n = snprintf(nets + used, sizeof nets - used, "%s%s", i ? ", " : "", cidr);
        if (n > 0 && (size_t)n < sizeof nets - used)
            used += (size_t)n;
    }
    format_ipv4(base, a1, sizeof a1);
    if (o == 0 || o == 255)
        return fail(c, loc,
                    "network.base: last octet must be 1 to 254 (.0 and .255 are "
                    "skipped), got %s",
                    a1);

    uint64_t total = total_nodes(s);
    uint64_t idx = (o - 1) + total - 1;
    uint64_t block = (uint64_t)(base >> 8) + idx / 254;
    if (block > 0xffffff)
        return fail(c, loc,
                    "network.base: %llu nodes counting up from %s run past "
                    "255.255.255.254",
                    (unsigned long long)total, a1);
    uint32_t last = (uint32_t)(block << 8 | (idx % 254 + 1));

    uint32_t cur = base;
    for (;;) {
        const struct scn_net *in = NULL;
        for (uint32_t i = 0; i < s->network.n_allowed && i < SCN_MAX_NETS; i++) {
            const struct scn_net *n = &s->network.allowed[i];
            if ((cur & prefix_mask(n->prefix)) == n->addr) {
                in = n;
                break;
            }
        }
        if (!in) {
            format_ipv4(cur, a2, sizeof a2);
            if (cur == base)
                return fail(c, loc, "network.base: %s is outside network.allowed [%s]", a1, nets);
            uint64_t id = ((uint64_t)(cur >> 8) - (base >> 8)) * 254 + (cur & 0xff) - o;
            return fail(c, loc,
                        "network.base: node %llu would get %s (counting up from %s), "
                        "outside network.allowed [%s]",
                        (unsigned long long)id, a2, a1, nets);
        }
        uint32_t net_last = in->addr | ~prefix_mask(in->prefix);
        if (net_last >= last)
            return 0;
        cur = net_last + 1;
        if ((cur & 0xff) == 255)
            cur += 2;
        else if ((cur & 0xff) == 0)
            cur += 1;
        if (cur > last)
            return 0;
    }
}

static int check_rules(struct ctx *c)
{
    struct scenario *s = c->s;

    const struct tnode *bn = seen_node(c, OFF(nodes.bootstrap));
    if (!bn)
        s->nodes.bootstrap = s->nodes.supernodes < 4 ? s->nodes.supernodes : 4;
    else if (s->nodes.bootstrap > s->nodes.supernodes)
        return fail(c, bn, "nodes.bootstrap: must be <= nodes.supernodes (%u), got %u",
                    s->nodes.supernodes, s->nodes.bootstrap);

    if (s->login_server.port == s->supernode.port)
        return fail(c, first_of(c, OFF(supernode.port), OFF(login_server.port)),
                    "supernode.port: must differ from login_server.port (both are %u)",
                    (unsigned)s->supernode.port);
    if (s->nodes.services > 0 && s->service.port == s->login_server.port)
        return fail(c, first_of(c, OFF(service.port), OFF(login_server.port)),
                    "service.port: must differ from login_server.port (both are %u)",
                    (unsigned)s->service.port);
    if (s->nodes.services > 0 && s->service.port == s->supernode.port)
        return fail(c, first_of(c, OFF(service.port), OFF(supernode.port)),
                    "service.port: must differ from supernode.port (both are %u)",
                    (unsigned)s->service.port);

    if (check_capacity(c, OFF(login_server.cap), "login_server") < 0 ||
        check_capacity(c, OFF(service.cap), "service") < 0 ||
        check_capacity(c, OFF(supernode.cap), "supernode") < 0)
        return -1;

    if (s->supernode.overload.action != OVERLOAD_NONE && !(s->supernode.overload.load > 0) &&
        s->supernode.overload.lag_ns == 0)
        return fail(c, first_of(c, OFF(supernode.overload.action), OFF(supernode.overload.action)),
                    "supernode.overload.action: %s needs overload.load > 0 or overload.lag > 0",
                    overload_names[s->supernode.overload.action]);
    if (s->supernode.overload.load > 0 && s->supernode.max_clients == 0)
        return fail(c, first_of(c, OFF(supernode.overload.load), OFF(supernode.max_clients)),
                    "supernode.overload.load: needs supernode.max_clients > 0 (the load is "
                    "clients / max_clients)");

    if (check_retry(c, OFF(peer.login), "peer.login") < 0 ||
        check_retry(c, OFF(peer.reg), "peer.register") < 0 ||
        check_retry(c, OFF(workload.request), "workload.request") < 0)
        return -1;

    if (s->control.resync_ns != 0 && s->control.resync_ns < 100 * MS) {
        char b[32];
        scenario_format_duration(s->control.resync_ns, b, sizeof b);
        return fail(c, first_of(c, OFF(control.resync_ns), OFF(control.resync_ns)),
                    "control.resync: must be 0s (off) or >= 100ms, got %s", b);
    }

    if (s->workload.request_rate > 0 && s->nodes.services == 0)
        return fail(c, first_of(c, OFF(workload.request_rate), OFF(nodes.services)),
                    "workload.request_rate: needs nodes.services >= 1 (the requests go to the "
                    "central service)");

    /* In host mode the addresses are the hosts' own, known only when the
     * ranks start; bootstorm checks them against network.allowed then. */
    return s->network.mode == NET_HOST ? 0 : check_addresses(c);
}

/* ---- loading ---- */

static int load_buffer(const char *text, size_t len, const char *label,
                       const char *const *overrides, size_t n_overrides, struct scenario *out,
                       char *err, size_t errlen)
{
    struct arena arena = {0};
    struct origin file = {label ? label : "<scenario>", false};
    struct scenario *s = NULL;
    struct ctx *c = NULL;
    char desc[64];
    int rc = -1;

    if (err && errlen)
        err[0] = '\0';
    struct tnode *root = yaml_to_tree(&arena, &file, text, len, err, errlen);
    if (!root)
        goto out;
    if (tn_is_null(root)) {
        scn_report(err, errlen, &file, root->line, root->col,
                   "empty scenario (expected a mapping with at least name, duration and "
                   "nodes.peers)");
        goto out;
    }
    if (root->kind != TN_MAP) {
        scn_describe(root, desc, sizeof desc);
        scn_report(err, errlen, &file, root->line, root->col,
                   "expected a mapping at the top level, got %s", desc);
        goto out;
    }
    for (size_t i = 0; i < n_overrides; i++)
        if (apply_override(&arena, root, overrides[i] ? overrides[i] : "", err, errlen) < 0)
            goto out;

    /* Heap, not stack: struct ctx holds the seen[] table. */
    s = malloc(sizeof *s);
    c = calloc(1, sizeof *c);
    if (!s || !c) {
        scn_report(err, errlen, &file, 0, 0, "out of memory");
        goto out;
    }
    scenario_defaults(s);
    c->s = s;
    c->root = root;
    c->err = err;
    c->errlen = errlen;
    if (walk_map(c, root, scenario_fields, (char *)s, 0, "") < 0 || check_rules(c) < 0)
        goto out;
    *out = *s;
    rc = 0;
out:
    free(c);
    free(s);
    arena_free(&arena);
    return rc;
}

int scenario_load_string(const char *yaml, const char *label, const char *const *overrides,
                         size_t n_overrides, struct scenario *out, char *err, size_t errlen)
{
    if (!yaml || !out) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no scenario text", label ? label : "<scenario>");
        return -1;
    }
    return load_buffer(yaml, strlen(yaml), label, overrides, n_overrides, out, err, errlen);
}

/* Read a whole file, at most FILE_MAX_BYTES. Returns a malloc'd buffer. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = ncap <= 2 * (size_t)FILE_MAX_BYTES ? realloc(buf, ncap) : NULL;
            if (!nb) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > FILE_MAX_BYTES) {
            if (err && errlen)
                snprintf(err, errlen, "%s: file too large (max %u bytes)", path, FILE_MAX_BYTES);
            goto fail;
        }
        if (got == 0) {
            if (ferror(f)) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

int scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                  struct scenario *out, char *err, size_t errlen)
{
    if (!path || !out) {
        if (err && errlen)
            snprintf(err, errlen, "no scenario file given");
        return -1;
    }
    size_t len;
    char *buf = read_file(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = load_buffer(buf, len, path, overrides, n_overrides, out, err, errlen);
    free(buf);
    return rc;
}

/* ---- JSON ---- */

struct jctx {
    const struct scenario *s;
    int prec; /* digits that every real written so far needs */
};

static json_t *real_json(struct jctx *j, double v)
{
    int p = number_precision(v);
    if (p > j->prec)
        j->prec = p;
    return json_real(v);
}

static int fields_into(json_t *obj, const struct field *table, const char *base, struct jctx *j);

static json_t *event_to_json(const struct scn_event *e, struct jctx *j)
{
    char buf[160];
    const struct field *fa = action_field(e->kind);
    json_t *ev = json_object();
    json_t *act = json_object();

    if (!ev || !act || !fa)
        goto fail;
    if (e->conditional) {
        format_cond(&e->when, buf, sizeof buf);
    } else {
        scenario_format_duration(e->at_ns, buf, sizeof buf);
    }
    if (json_object_set_new(ev, e->conditional ? "when" : "at", json_string(buf)) < 0 ||
        fields_into(act, fa->sub, (const char *)e, j) < 0)
        goto fail;
    if (json_object_set_new(ev, fa->key, act) < 0) {
        act = NULL; /* stolen even on failure */
        goto fail;
    }
    return ev;
fail:
    json_decref(ev);
    json_decref(act);
    return NULL;
}

static json_t *field_to_json(const struct field *f, const char *base, struct jctx *j)
{
    const char *p = base + f->off;
    const struct scenario *s = j->s;
    char buf[160];

    switch (f->type) {
    case F_MAP: {
        json_t *obj = json_object();
        if (obj && fields_into(obj, f->sub, p, j) < 0) {
            json_decref(obj);
            return NULL;
        }
        return obj;
    }
    case F_NAME: {
        json_t *v = json_stringn(p, strnlen(p, SCN_NAME_MAX));
        return v ? v : json_string(""); /* not UTF-8: only if set by hand */
    }
    case F_U64: {
        uint64_t v = *(const uint64_t *)p;
        if (v <= INT64_MAX)
            return json_integer((json_int_t)v);
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        return json_string(buf);
    }
    case F_U32:
        return json_integer(*(const uint32_t *)p);
    case F_U16:
        return json_integer(*(const uint16_t *)p);
    case F_DURATION:
        scenario_format_duration(*(const int64_t *)p, buf, sizeof buf);
        return json_string(buf);
    case F_DURATION_MS: {
        double ms = *(const double *)p;
        scenario_format_duration(ns_of_double(ms * 1e6), buf, sizeof buf);
        return json_string(buf);
    }
    case F_DIST:
        format_dist((const struct dist *)p, buf, sizeof buf);
        return json_string(buf);
    case F_ENUM: {
        int v = *(const int *)p, n = 0;
        while (f->names[n])
            n++;
        return json_string(v >= 0 && v < n ? f->names[v] : f->names[0]);
    }
    case F_IPV4:
        format_ipv4(*(const uint32_t *)p, buf, sizeof buf);
        return json_string(buf);
    case F_FRACTION:
    case F_NUMBER:
        return real_json(j, *(const double *)p);
    case F_RATE:
        format_rate(*(const double *)p, buf, sizeof buf);
        return json_string(buf);
    case F_BOOL:
        return json_boolean(*(const bool *)p);
    case F_COND:
        if (!*(const bool *)(base + f->off_count))
            return json_null();
        format_cond((const struct scn_cond *)p, buf, sizeof buf);
        return json_string(buf);
    case F_NETS: {
        json_t *arr = json_array();
        uint32_t n = *(const uint32_t *)(base + f->off_count);
        const struct scn_net *nets = (const struct scn_net *)p;
        for (uint32_t i = 0; arr && i < n && i < SCN_MAX_NETS; i++) {
            format_cidr(&nets[i], buf, sizeof buf);
            json_array_append_new(arr, json_string(buf));
        }
        return arr;
    }
    case F_EVENTS: {
        json_t *arr = json_array();
        for (uint32_t i = 0; arr && i < s->n_events && i < SCN_MAX_EVENTS; i++) {
            json_t *ev = event_to_json(&s->events[i], j);
            if (!ev || json_array_append_new(arr, ev) < 0) {
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case F_BANDWIDTH:
        format_bandwidth(*(const uint64_t *)p, buf, sizeof buf);
        return json_string(buf);
    case F_GROUPS: {
        const uint8_t *group = (const uint8_t *)p;
        unsigned n = 0;
        for (size_t r = 0; r < SCN_MAX_RANKS; r++)
            if (group[r] > n)
                n = group[r];
        json_t *arr = json_array();
        for (unsigned g = 1; arr && g <= n; g++) {
            json_t *ranks = json_array();
            for (size_t r = 0; ranks && r < SCN_MAX_RANKS; r++) {
                if (group[r] == g &&
                    json_array_append_new(ranks, json_integer((json_int_t)r)) < 0) {
                    json_decref(ranks);
                    ranks = NULL;
                }
            }
            if (!ranks || json_array_append_new(arr, ranks) < 0) { /* ranks: stolen */
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case F_IMPAIR_GROUPS: {
        const struct scn_impair *groups = (const struct scn_impair *)p;
        uint32_t n = *(const uint32_t *)(base + f->off_count);
        json_t *arr = json_array();
        for (uint32_t g = 0; arr && g < n && g < SCN_MAX_GROUPS; g++) {
            json_t *obj = json_object(), *ranks = json_array();
            bool ok = obj && ranks;
            for (size_t r = 0; ok && r < SCN_MAX_RANKS; r++)
                if (s->network.impair_group_of_rank[r] == g + 1)
                    ok = json_array_append_new(ranks, json_integer((json_int_t)r)) == 0;
            if (ok) {
                ok = json_object_set_new(obj, "ranks", ranks) == 0;
                ranks = NULL; /* stolen even on failure */
            }
            if (ok)
                ok = fields_into(obj, impair_class_fields, (const char *)&groups[g], j) == 0;
            if (ok) {
                ok = json_array_append_new(arr, obj) == 0;
                obj = NULL; /* stolen even on failure */
            }
            if (!ok) {
                json_decref(obj);
                json_decref(ranks);
                json_decref(arr);
                return NULL;
            }
        }
        return arr;
    }
    case F_RANKS:
    case F_INLINE:
    case F_ACTION:
        break;
    }
    return json_null();
}

/* Add the keys of `table` to obj: inline tables at the same level, keys that
 * do not matter (f->used) left out. */
static int fields_into(json_t *obj, const struct field *table, const char *base, struct jctx *j)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            if (fields_into(obj, f->sub, base + f->off, j) < 0)
                return -1;
            continue;
        }
        if (f->used && !f->used(base))
            continue;
        json_t *v = field_to_json(f, base, j);
        if (!v || json_object_set_new(obj, f->key, v) < 0)
            return -1;
    }
    return 0;
}

char *scenario_to_json(const struct scenario *s)
{
    if (!s)
        return NULL;
    struct jctx j = {.s = s, .prec = 1};
    json_t *root = json_object();
    if (!root || fields_into(root, scenario_fields, (const char *)s, &j) < 0) {
        json_decref(root);
        return NULL;
    }
    /* Fractions and numbers are the only JSON reals: print them as short as
     * the one that needs the most digits allows, so each reads back the same. */
    char *text =
        json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(j.prec));
    json_decref(root);
    return text;
}
