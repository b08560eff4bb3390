/* scenario_schema.c - the scenario format as data: one table of fields per
 * YAML mapping (key, type, offset, default, bounds), and one row of
 * operations per field type (scn_types), through which the loader, the
 * defaults and scenario_to_json handle every field. This file also holds the
 * operations that only need the schema: parsing a scalar's text (bounds
 * included), describing what a value should look like, and the defaults.
 *
 * Keys shared by several sections (the capacity keys of login_server,
 * service and supernode) are one sub-table, walked inline at each section's
 * level with per-section defaults (struct fdef). */
#include "scenario_internal.h"

#include "scenario_values.h"
#include "units.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

_Static_assert(sizeof(enum retry_kind) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum retry_jitter) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_arch) == sizeof(int), "enums are stored as int");

/* ---- field tables ---- */

static const char *const arch_names[] = {"supernode", "central", "dht", "settop", "target", NULL};
static const char *const target_protocol_names[] = {"https", "mqtt", NULL};
static const char *const status_class_names[] = {"2xx", "2xx-3xx", NULL};
static const char *const saved_table_names[] = {"keep", "lose", NULL};
static const char *const settop_method_names[] = {"unicast", "carousel", "fountain", NULL};
const char *const scn_balance_names[] = {"round-robin", "least-connections", "power-of-two", NULL};
const char *const scn_global_names[] = {"home-only", "spill", NULL};
_Static_assert(ARCH_CENTRAL == 1 && ARCH_DHT == 2 && ARCH_SETTOP == 3 && ARCH_TARGET == 4 &&
                   TARGET_MQTT == 1 && STATUS_2XX_3XX == 1 && BALANCE_P2C == 2 &&
                   GLOBAL_SPILL == 1 && SAVED_LOSE == 1 && SETTOP_CAROUSEL == 1 &&
                   SETTOP_FOUNTAIN == 2,
               "name tables follow the enums");
_Static_assert(sizeof(enum scn_balance) == sizeof(int) &&
                   sizeof(enum scn_saved_table) == sizeof(int) &&
                   sizeof(enum scn_settop_method) == sizeof(int) &&
                   sizeof(enum scn_global_policy) == sizeof(int) &&
                   sizeof(enum scn_target_protocol) == sizeof(int) &&
                   sizeof(enum scn_status_class) == sizeof(int),
               "enums are stored as int");

bool scn_arch_supernode(const char *base)
{
    return ((const struct scenario *)base)->architecture == ARCH_SUPERNODE;
}

bool scn_arch_central(const char *base)
{
    return ((const struct scenario *)base)->architecture == ARCH_CENTRAL;
}

bool scn_arch_dht(const char *base)
{
    return ((const struct scenario *)base)->architecture == ARCH_DHT;
}

bool scn_arch_settop(const char *base)
{
    return ((const struct scenario *)base)->architecture == ARCH_SETTOP;
}

bool scn_arch_target(const char *base)
{
    return ((const struct scenario *)base)->architecture == ARCH_TARGET;
}

bool scn_target_https(const char *base)
{
    return ((const struct scenario *)base)->target.protocol == TARGET_HTTPS;
}

bool scn_target_mqtt(const char *base)
{
    return ((const struct scenario *)base)->target.protocol == TARGET_MQTT;
}

bool scn_has_login_servers(const char *base)
{
    return scn_uses_login(base) && !scn_arch_target(base);
}

bool scn_uses_register(const char *base)
{
    return !scn_arch_target(base);
}

bool scn_uses_requests(const char *base)
{
    enum scn_arch a = ((const struct scenario *)base)->architecture;
    return a != ARCH_SETTOP && a != ARCH_TARGET;
}

/* A target's own keys say how often its peers talk (presence, ping). */
bool scn_uses_keepalive(const char *base)
{
    enum scn_arch a = ((const struct scenario *)base)->architecture;
    return a != ARCH_DHT && a != ARCH_TARGET;
}

bool scn_uses_services(const char *base)
{
    enum scn_arch a = ((const struct scenario *)base)->architecture;
    return a == ARCH_SUPERNODE || a == ARCH_CENTRAL;
}

bool scn_uses_login(const char *base)
{
    return scenario_uses_login((const struct scenario *)base);
}
const char *const scn_retry_kind_names[] = {"none", "fixed", "exponential", NULL};
const char *const scn_jitter_names[] = {"none", "full", "equal", "decorrelated", NULL};
const char *const scn_admission_names[] = {"bounded-queue", "accept-all", "token-bucket",
                                           "shed",          "pace",       NULL};
static const char *const discipline_names[] = {"fifo", "lifo", NULL};
const char *const scn_overload_names[] = {"none", "shutdown", "demote", NULL};
static const char *const net_mode_names[] = {"loopback", "host", NULL};
static const char *const servers_names[] = {"mixed", "dedicated", NULL};
_Static_assert(sizeof(enum scn_servers) == sizeof(int) && SERVERS_DEDICATED == 1,
               "enums are stored as int; the name table follows the enum");

_Static_assert(sizeof(enum scn_admission) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_discipline) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum scn_overload_action) == sizeof(int), "enums are stored as int");
_Static_assert(sizeof(enum role) == sizeof(int), "enums are stored as int");
_Static_assert(ADMIT_PACE == 4 && QUEUE_LIFO == 1 && OVERLOAD_DEMOTE == 2 && ROLE_SERVICE == 3,
               "name tables follow the enums");

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
    {"policy", F_ENUM, RP(kind), .def = "exponential", .names = scn_retry_kind_names},
    {"base", F_DURATION, RP(base_ns), .def = "500ms", .min = 1},
    {"cap", F_DURATION, RP(cap_ns), .def = "30s"},
    /* default "full" only with exponential, else "none" (see check_retry) */
    {"jitter", F_ENUM, RP(jitter), .def = "full", .names = scn_jitter_names},
    {"max_attempts", F_U32, RP(max_attempts), .def = "0", .max = UINT32_MAX},
    {"budget", F_MAP, 0, .sub = budget_fields},
    {"throttle", F_MAP, 0, .sub = throttle_fields},
    {"obey_retry_after", F_BOOL, RP(obey_retry_after), .def = "false"},
    {"max_hint", F_DURATION, RP(max_hint_ns), .def = "60s", .min = MS},
    {NULL},
};

static const struct field retry_cfg_fields[] = {
    {"timeout", F_DURATION, offsetof(struct scn_retry_cfg, timeout_ns), .def = "5s", .min = 1},
    {"retry", F_MAP, offsetof(struct scn_retry_cfg, retry), .sub = retry_fields},
    {NULL},
};

bool scn_cap_uses_rate(const char *base)
{
    const struct scn_capacity *k = (const struct scn_capacity *)base;
    return k->admission == ADMIT_TOKEN_BUCKET || k->admission == ADMIT_PACE;
}

bool scn_cap_uses_burst(const char *base)
{
    return ((const struct scn_capacity *)base)->admission == ADMIT_TOKEN_BUCKET;
}

bool scn_cap_uses_max_wait(const char *base)
{
    return ((const struct scn_capacity *)base)->admission == ADMIT_SHED;
}

/* One table for the capacity keys of login_server, service and supernode; the
 * defaults here are the login server's, the others replace some (fdef). */
static const struct field capacity_fields[] = {
    {"workers", F_U32, CAP(workers), .def = "4", .min = 1, .max = UINT32_MAX},
    {"service_time", F_DIST, CAP(service_time), .def = "5ms"},
    {"queue", F_U32, CAP(queue), .def = "128", .max = UINT32_MAX},
    {"admission", F_ENUM, CAP(admission), .def = "bounded-queue", .names = scn_admission_names},
    {"discipline", F_ENUM, CAP(discipline), .def = "fifo", .names = discipline_names},
    {"rate", F_RATE, CAP(rate), .def = "0/s", .nullable = true, .used = scn_cap_uses_rate},
    {"burst", F_U32, CAP(burst), .def = "10", .nullable = true, .used = scn_cap_uses_burst},
    {"max_wait", F_DURATION, CAP(max_wait_ns), .def = "0s", .nullable = true,
     .used = scn_cap_uses_max_wait},
    {"drop_abandoned", F_BOOL, CAP(drop_abandoned), .def = "false"},
    {NULL},
};

#define CONNS(f) offsetof(struct scn_conn_limits, f)
/* The connection limits of login_server and supernode (node/server.h). */
static const struct field conn_limit_fields[] = {
    {"max_conns", F_U32, CONNS(max_conns), .def = "0", .max = UINT32_MAX},
    {"request_deadline", F_DURATION, CONNS(request_deadline_ns), .def = "20s", .min = MS},
    {"linger", F_DURATION, CONNS(linger_ns), .def = "10s", .min = MS},
    {NULL},
};

static const struct fdef supernode_cap_defaults[] = {
    {"workers", "1"}, {"service_time", "0ms"}, {"queue", "100000"}, {"admission", "accept-all"},
    {NULL, NULL},
};

static const struct field nodes_fields[] = {
    {"peers", F_U32, OFF(nodes.peers), .req = true, .min = 1, .max = MAX_COUNT},
    /* 0 with dht.login false, and with settop (see scn_check_rules) */
    {"login_servers", F_U32, OFF(nodes.login_servers), .def = "1", .min = 1, .max = MAX_COUNT,
     .used = scn_has_login_servers},
    /* 0 with architecture: dht or settop (see scn_check_rules) */
    {"services", F_U32, OFF(nodes.services), .def = "0", .max = MAX_COUNT,
     .used = scn_uses_services},
    /* supernodes and bootstrap: architecture supernode only (0 with central,
     * see scn_check_rules) */
    {"supernodes", F_U32, OFF(nodes.supernodes), .def = "8", .min = 1, .max = MAX_COUNT,
     .used = scn_arch_supernode},
    /* default min(4, supernodes) (see scn_check_rules) */
    {"bootstrap", F_U32, OFF(nodes.bootstrap), .def = "4", .min = 1, .max = MAX_COUNT,
     .used = scn_arch_supernode},
    {NULL},
};

static const struct field login_server_fields[] = {
    {"(capacity)", F_INLINE, OFF(login_server.cap), .sub = capacity_fields},
    {"(connections)", F_INLINE, OFF(login_server.conns), .sub = conn_limit_fields},
    {"backlog", F_U32, OFF(login_server.backlog), .def = "1024", .min = 1, .max = 65535},
    {"ticket_ttl", F_DURATION, OFF(login_server.ticket_ttl_ns), .def = "1h", .min = MS},
    {"port", F_U16, OFF(login_server.port), .def = "4430", .min = 1, .max = 65535},
    {NULL},
};

static const struct field service_fields[] = {
    {"(capacity)", F_INLINE, OFF(service.cap), .sub = capacity_fields},
    {"port", F_U16, OFF(service.port), .def = "4432", .min = 1, .max = 65535},
    {NULL},
};

#define OVL(m) offsetof(struct scn_overload, m)
/* supernode.overload and central.presence.overload */
static const struct field overload_fields[] = {
    {"action", F_ENUM, OVL(action), .def = "none", .names = scn_overload_names},
    {"load", F_FRACTION, OVL(load), .def = "0"},
    {"lag", F_DURATION, OVL(lag_ns), .def = "0s"},
    {"for", F_DURATION, OVL(for_ns), .def = "5s"},
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
    {"(connections)", F_INLINE, OFF(supernode.conns), .sub = conn_limit_fields},
    {"overload", F_MAP, OFF(supernode.overload), .sub = overload_fields},
    {"promote", F_MAP, 0, .sub = promote_fields},
    {"gossip", F_MAP, 0, .sub = gossip_fields},
    {NULL},
};

/* ---- central architecture ---- */

/* central.datacenters.N (max_servers 0: the same as servers, see
 * scn_check_rules) */
const struct field scn_datacenter_fields[] = {
    {"name", F_DCNAME, DC(name), .req = true},
    {"servers", F_U32, DC(servers), .req = true, .min = 1, .max = MAX_COUNT},
    {"max_servers", F_U32, DC(max_servers), .def = "0", .max = MAX_COUNT},
    {"share", F_FRACTION, DC(share), .req = true},
    {NULL},
};

static const struct fdef front_door_cap_defaults[] = {
    {"workers", "8"},
    {"service_time", "100us"},
    {"queue", "1024"},
    {NULL, NULL},
};

static const struct field presence_fields[] = {
    {"port", F_U16, OFF(central.presence.port), .def = "4433", .min = 1, .max = 65535},
    {"max_clients", F_U32, OFF(central.presence.max_clients), .def = "0", .max = UINT32_MAX},
    {"(capacity)", F_INLINE, OFF(central.presence.cap), .sub = capacity_fields,
     .defs = supernode_cap_defaults},
    {"(connections)", F_INLINE, OFF(central.presence.conns), .sub = conn_limit_fields},
    {"overload", F_MAP, OFF(central.presence.overload), .sub = overload_fields},
    {"report_interval", F_DURATION, OFF(central.presence.report_interval_ns), .def = "1s",
     .min = 10 * MS},
    {NULL},
};

static const struct field front_door_fields[] = {
    {"port", F_U16, OFF(central.front_door.port), .def = "4434", .min = 1, .max = 65535},
    {"balance", F_ENUM, OFF(central.front_door.balance), .def = "least-connections",
     .names = scn_balance_names},
    {"(capacity)", F_INLINE, OFF(central.front_door.cap), .sub = capacity_fields,
     .defs = front_door_cap_defaults},
    {"(connections)", F_INLINE, OFF(central.front_door.conns), .sub = conn_limit_fields},
    {NULL},
};

static const struct field global_fields[] = {
    {"policy", F_ENUM, OFF(central.global.policy), .def = "home-only", .names = scn_global_names},
    {"threshold", F_FRACTION, OFF(central.global.threshold), .def = "0.9"},
    {"staleness", F_DURATION, OFF(central.global.staleness_ns), .def = "5s"},
    {NULL},
};

static const struct field autoscale_fields[] = {
    /* 0: off; else (0, 1] (see scn_check_rules) */
    {"target", F_FRACTION, OFF(central.autoscale.target), .def = "0"},
    {"window", F_DURATION, OFF(central.autoscale.window_ns), .def = "10s"},
    {"provisioning", F_DURATION, OFF(central.autoscale.provisioning_ns), .def = "60s"},
    {"cooldown", F_DURATION, OFF(central.autoscale.cooldown_ns), .def = "120s"},
    {"scale_in_below", F_FRACTION, OFF(central.autoscale.scale_in_below), .def = "0.3"},
    {NULL},
};

/* Offsets are from the scenario (the map's offset is 0). */
/* ---- DHT architecture ---- */

static const struct fdef dht_bootstrap_cap_defaults[] = {
    {"workers", "1"},
    {"service_time", "1ms"},
    {"queue", "1000"},
    {NULL, NULL},
};

static const struct field dht_bootstrap_fields[] = {
    {"nodes", F_U32, OFF(dht.bootstrap.nodes), .def = "2", .min = 1, .max = 64},
    {"port", F_U16, OFF(dht.bootstrap.port), .def = "4436", .min = 1, .max = 65535},
    {"(capacity)", F_INLINE, OFF(dht.bootstrap.cap), .sub = capacity_fields,
     .defs = dht_bootstrap_cap_defaults},
    {NULL},
};

static const struct field dht_fields[] = {
    {"k", F_U32, OFF(dht.k), .def = "8", .min = 1, .max = 32},
    /* <= k (see scn_check_rules) */
    {"alpha", F_U32, OFF(dht.alpha), .def = "3", .min = 1, .max = 32},
    {"port", F_U16, OFF(dht.port), .def = "4435", .min = 1, .max = 65535},
    /* < nodes.peers (see scn_check_rules) */
    {"online_contacts", F_U32, OFF(dht.online_contacts), .def = "8", .min = 1, .max = 4096},
    {"login", F_BOOL, OFF(dht.login), .def = "false"},
    {"rpc_timeout", F_DURATION, OFF(dht.rpc_timeout_ns), .def = "1s", .min = MS, .max = 3600 * SEC},
    {"stale_after", F_U32, OFF(dht.stale_after), .def = "3", .min = 1, .max = 255},
    {"saved_table", F_ENUM, OFF(dht.saved_table), .def = "keep", .names = saved_table_names},
    {"refresh", F_DURATION, OFF(dht.refresh_ns), .def = "60s"},
    {"republish", F_DURATION, OFF(dht.republish_ns), .def = "120s"},
    /* >= republish (see scn_check_rules) */
    {"record_ttl", F_DURATION, OFF(dht.record_ttl_ns), .def = "300s", .min = SEC},
    {"max_records", F_U32, OFF(dht.max_records), .def = "256", .min = 1, .max = 65535},
    {"bootstrap", F_MAP, 0, .sub = dht_bootstrap_fields},
    {NULL},
};

/* ---- settop architecture ---- */

static const struct field settop_image_fields[] = {
    {"size", F_BYTES, OFF(settop.image_bytes), .def = "256KiB", .min = 1024, .max = 64 << 20},
    /* a multiple of 4, <= size, and at most SCN_SETTOP_MAX_BLOCKS blocks
     * (see check_settop) */
    {"block", F_U32, OFF(settop.block_bytes), .def = "1024", .min = 64, .max = 1400},
    {NULL},
};

static const struct field settop_channel_fields[] = {
    {"bitrate", F_BANDWIDTH, OFF(settop.channel_Bps), .def = "38mbit", .min = 1},
    {NULL},
};

static const struct field settop_carousel_fields[] = {
    /* not set (or null): the channel's; <= the channel's (see check_settop) */
    {"bitrate", F_BANDWIDTH, OFF(settop.carousel_Bps), .def = "38mbit", .min = 1, .nullable = true},
    /* != settop.headend.port in loopback mode (see check_settop) */
    {"port", F_U16, OFF(settop.carousel_port), .def = "4437", .min = 1, .max = 65535},
    {NULL},
};

static const struct field settop_downstream_fields[] = {
    {"loss", F_FRACTION, OFF(settop.downstream_loss), .def = "0", .below_one = true},
    {"retransmit", F_DURATION, OFF(settop.retransmit_ns), .def = "200ms", .min = 1,
     .max = 3600 * SEC},
    {NULL},
};

static const struct field settop_fountain_fields[] = {
    {"overhead", F_U32, OFF(settop.fountain_overhead), .def = "2", .max = 64},
    {NULL},
};

/* The head-end's registration server: the capacity keys, with their own
 * defaults. */
static const struct fdef headend_cap_defaults[] = {
    {"workers", "4"},
    {"service_time", "2ms"},
    {"queue", "1000"},
    {NULL, NULL},
};

static const struct field settop_register_fields[] = {
    {"(capacity)", F_INLINE, OFF(settop.headend.cap), .sub = capacity_fields,
     .defs = headend_cap_defaults},
    {NULL},
};

static const struct field settop_headend_fields[] = {
    {"port", F_U16, OFF(settop.headend.port), .def = "4438", .min = 1, .max = 65535},
    {"max_downloads", F_U32, OFF(settop.headend.max_downloads), .def = "0", .max = UINT32_MAX},
    {"register", F_MAP, 0, .sub = settop_register_fields},
    {"(connections)", F_INLINE, OFF(settop.headend.conns), .sub = conn_limit_fields},
    {NULL},
};

static const struct field settop_fields[] = {
    {"method", F_ENUM, OFF(settop.method), .def = "carousel", .names = settop_method_names},
    {"image", F_MAP, 0, .sub = settop_image_fields},
    {"channel", F_MAP, 0, .sub = settop_channel_fields},
    {"carousel", F_MAP, 0, .sub = settop_carousel_fields},
    {"downstream", F_MAP, 0, .sub = settop_downstream_fields},
    {"verify", F_FRACTION, OFF(settop.verify), .def = "1"},
    {"fountain", F_MAP, 0, .sub = settop_fountain_fields},
    /* the same keys and defaults as peer.register */
    {"download", F_MAP, OFF(settop.download), .sub = retry_cfg_fields},
    {"headend", F_MAP, 0, .sub = settop_headend_fields},
    {NULL},
};

static const struct field central_fields[] = {
    /* one or more with architecture: central (see scn_check_rules) */
    {"datacenters", F_DATACENTERS, OFF(central.dc), .off_count = OFF(central.n_dc),
     .max = SCN_MAX_DCS},
    {"presence", F_MAP, 0, .sub = presence_fields},
    {"front_door", F_MAP, 0, .sub = front_door_fields},
    {"global", F_MAP, 0, .sub = global_fields},
    {"autoscale", F_MAP, 0, .sub = autoscale_fields},
    {NULL},
};

static const char *const resume_names[] = {"none", "ticket", NULL};
static const char *const session_on_reboot_names[] = {"lose", "keep", NULL};
_Static_assert(sizeof(enum scn_resume) == sizeof(int) && RESUME_TICKET == 1,
               "enums are stored as int; the name table follows the enum");
_Static_assert(sizeof(enum scn_session_on_reboot) == sizeof(int) && SESSION_KEEP == 1,
               "enums are stored as int; the name table follows the enum");

bool scn_login_uses_session(const char *base)
{
    return ((const struct scenario *)base)->peer.resume == RESUME_TICKET;
}

/* peer.login: the retry keys every channel has, and the TLS resumption keys
 * only logins have. Offsets are from the scenario (the map's offset is 0). */
static const struct field peer_login_fields[] = {
    {"(retry)", F_INLINE, OFF(peer.login), .sub = retry_cfg_fields},
    {"resume", F_ENUM, OFF(peer.resume), .def = "none", .names = resume_names},
    {"session_on_reboot", F_ENUM, OFF(peer.session_on_reboot), .def = "lose",
     .names = session_on_reboot_names, .used = scn_login_uses_session},
    {NULL},
};

static const struct field peer_fields[] = {
    {"boot_delay", F_DIST, OFF(peer.boot_delay), .def = "lognormal(2s, 0.5)"},
    {"login", F_MAP, 0, .sub = peer_login_fields, .used = scn_uses_login},
    {"register", F_MAP, OFF(peer.reg), .sub = retry_cfg_fields, .used = scn_uses_register},
    {"host_cache", F_U32, OFF(peer.host_cache), .def = "16", .min = 1, .max = 256,
     .used = scn_arch_supernode},
    {NULL},
};

static const struct field workload_fields[] = {
    {"keepalive", F_DURATION, OFF(workload.keepalive_ns), .def = "10s", .min = 1,
     .used = scn_uses_keepalive},
    /* > 0 needs nodes.services >= 1, except with dht; 0 with settop (see
     * scn_check_rules) */
    {"request_rate", F_RATE, OFF(workload.request_rate), .def = "0/s", .used = scn_uses_requests},
    {"request", F_MAP, OFF(workload.request), .sub = retry_cfg_fields, .used = scn_uses_requests},
    {NULL},
};

/* network.impair.<class>: what every node of the class does to the messages
 * it sends (latency, jitter, loss) and to each socket's throughput. */
const struct field scn_impair_class_fields[] = {
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
    {"peer", F_MAP, OFF(network.impair[ROLE_PEER]), .sub = scn_impair_class_fields},
    {"supernode", F_MAP, OFF(network.impair[ROLE_SUPERNODE]), .sub = scn_impair_class_fields,
     .used = scn_arch_supernode},
    {"login_server", F_MAP, OFF(network.impair[ROLE_LOGIN_SERVER]), .sub = scn_impair_class_fields,
     .used = scn_has_login_servers},
    {"service", F_MAP, OFF(network.impair[ROLE_SERVICE]), .sub = scn_impair_class_fields,
     .used = scn_uses_services},
    {"front_door", F_MAP, OFF(network.impair[ROLE_FRONT_DOOR]), .sub = scn_impair_class_fields,
     .used = scn_arch_central},
    {"presence", F_MAP, OFF(network.impair[ROLE_PRESENCE]), .sub = scn_impair_class_fields,
     .used = scn_arch_central},
    {"dht_bootstrap", F_MAP, OFF(network.impair[ROLE_DHT_BOOTSTRAP]),
     .sub = scn_impair_class_fields, .used = scn_arch_dht},
    {"headend", F_MAP, OFF(network.impair[ROLE_HEADEND]), .sub = scn_impair_class_fields,
     .used = scn_arch_settop},
    {NULL},
};

/* network.impair_groups.N: the ranks of a host group, and the class keys. */
const struct field scn_impair_group_fields[] = {
    {"ranks", F_RANKS, 0, .req = true},
    {"(impair)", F_INLINE, 0, .sub = scn_impair_class_fields},
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
    /* 0 (off) or >= 100ms (see scn_check_rules) */
    {"resync", F_DURATION, OFF(control.resync_ns), .def = "10s"},
    {"max_lag_p99", F_DURATION_MS, OFF(control.max_lag_p99_ms), .def = "50ms", .min = 1},
    {"max_skew_p99", F_DURATION_MS, OFF(control.max_skew_p99_ms), .def = "10ms", .min = 1},
    {"max_emulator_share", F_FRACTION, OFF(control.max_emulator_share), .def = "10%"},
    {"park_idle", F_BOOL, OFF(control.park_idle), .def = "false"},
    {"keepalive_grid", F_DURATION, OFF(control.keepalive_grid_ns), .def = "0s", .max = SEC},
    {NULL},
};

static const struct field placement_fields[] = {
    {"servers", F_ENUM, OFF(placement.servers), .def = "mixed", .names = servers_names},
    {"server_ranks", F_U32, OFF(placement.server_ranks), .def = "1", .min = 1,
     .max = SCN_MAX_RANKS - 1},
    {NULL},
};

/* Event actions. An action's table is walked with the event as its base; its
 * defaults are applied to the event first (see scn_walk_action). */
static const struct field frac_over_fields[] = {
    {"fraction", F_FRACTION, EV(fraction), .req = true},
    {"over", F_DURATION, EV(over_ns), .def = "0s"},
    {NULL},
};

static bool ev_role_set(const char *base)
{
    return ((const struct scn_event *)base)->role != ROLE_COUNT;
}

static bool ev_dc_set(const char *base)
{
    return ((const struct scn_event *)base)->dc != 0;
}

/* role, datacenter or both; fraction required with a role alone, default 1
 * for a data centre (see scn_check_event) */
static const struct field crash_fields[] = {
    {"role", F_ENUM, EV(role), .names = role_names, .used = ev_role_set},
    {"datacenter", F_DCNAME, EV(dc_name), .used = ev_dc_set},
    {"fraction", F_FRACTION, EV(fraction)},
    {"over", F_DURATION, EV(over_ns), .def = "0s"},
    {NULL},
};

static const struct field outage_fields[] = {
    /* login_server, service, front_door or presence, and/or a data centre
     * (see scn_check_event) */
    {"role", F_ENUM, EV(role), .names = role_names, .used = ev_role_set},
    {"datacenter", F_DCNAME, EV(dc_name), .used = ev_dc_set},
    {"for", F_DURATION, EV(for_ns), .req = true, .min = 1},
    {NULL},
};

/* A server role and/or a data centre, as outage (see scn_check_event). */
static const struct field stall_fields[] = {
    {"role", F_ENUM, EV(role), .names = role_names, .used = ev_role_set},
    {"datacenter", F_DCNAME, EV(dc_name), .used = ev_dc_set},
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
     * scn_check_event, which also sets DIST_KEEP and queue_set) */
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
    /* 2 to SCN_MAX_GROUPS groups of ranks 0 to SCN_MAX_RANKS - 1 (see scn_walk_groups) */
    {"groups", F_GROUPS, EV(group_of_rank), .req = true, .min = 2, .max = SCN_MAX_GROUPS},
    {"for", F_DURATION, EV(for_ns), .req = true, .min = 1},
    {NULL},
};

const struct field scn_event_fields[] = {
    /* exactly one of at and when (see scn_check_event) */
    {"at", F_DURATION, EV(at_ns), .min = 0},
    {"when", F_COND, EV(when), .off_count = EV(conditional)},
    {"boot", F_ACTION, 0, .sub = frac_over_fields, .kind = EV_BOOT},
    {"reboot", F_ACTION, 0, .sub = frac_over_fields, .kind = EV_REBOOT},
    {"crash", F_ACTION, 0, .sub = crash_fields, .kind = EV_CRASH},
    {"outage", F_ACTION, 0, .sub = outage_fields, .kind = EV_OUTAGE},
    {"capacity", F_ACTION, 0, .sub = capacity_event_fields, .kind = EV_CAPACITY},
    {"inject_supernodes", F_ACTION, 0, .sub = inject_fields, .kind = EV_INJECT_SN},
    {"partition", F_ACTION, 0, .sub = partition_fields, .kind = EV_PARTITION},
    {"stall", F_ACTION, 0, .sub = stall_fields, .kind = EV_STALL},
    {NULL},
};

/* ---- target architecture ---- */

#define HREQ(m) offsetof(struct scn_http_request, m)
/* What the login and presence requests share (offsets from the request). */
static const struct field http_request_common_fields[] = {
    {"headers", F_HEADERS, 0, .max = SCN_MAX_HEADERS},
    {"body", F_TEXT, HREQ(body), .def = "", .max = SCN_BODY_MAX},
    {NULL},
};

/* method: an HTTP token; path: starts with / (see check_target) */
static const struct field http_login_fields[] = {
    {"method", F_TEXT, HREQ(method), .def = "POST", .max = SCN_SHORT_MAX},
    {"path", F_TEXT, HREQ(path), .def = "/login", .max = SCN_TEXT_MAX},
    {"(request)", F_INLINE, 0, .sub = http_request_common_fields},
    {NULL},
};

static const struct field http_presence_fields[] = {
    {"interval", F_DURATION, HREQ(interval_ns), .def = "0s"},
    {"method", F_TEXT, HREQ(method), .def = "GET", .max = SCN_SHORT_MAX},
    {"path", F_TEXT, HREQ(path), .def = "/presence", .max = SCN_TEXT_MAX},
    {"(request)", F_INLINE, 0, .sub = http_request_common_fields},
    {NULL},
};

static const struct field target_https_fields[] = {
    {"login", F_MAP, OFF(target.https.login), .sub = http_login_fields},
    {"success", F_ENUM, OFF(target.https.success), .def = "2xx", .names = status_class_names},
    {"presence", F_MAP, OFF(target.https.presence), .sub = http_presence_fields},
    {NULL},
};

static const struct field mqtt_subscribe_fields[] = {
    {"topic", F_TEXT, OFF(target.mqtt.subscribe_topic), .def = "", .max = SCN_TEXT_MAX},
    {"qos", F_U32, OFF(target.mqtt.subscribe_qos), .def = "0", .max = 1},
    {NULL},
};

static const struct field mqtt_publish_fields[] = {
    {"topic", F_TEXT, OFF(target.mqtt.publish_topic), .def = "", .max = SCN_TEXT_MAX},
    /* > 0 when topic is set (see check_target) */
    {"interval", F_DURATION, OFF(target.mqtt.publish_interval_ns), .def = "60s", .min = MS},
    {"size", F_U32, OFF(target.mqtt.publish_size), .def = "64", .max = 65536},
    {"qos", F_U32, OFF(target.mqtt.publish_qos), .def = "0", .max = 1},
    {NULL},
};

static const struct field target_mqtt_fields[] = {
    {"client_id", F_TEXT, OFF(target.mqtt.client_id), .def = "bootstorm-{user}",
     .max = SCN_TEXT_MAX},
    {"clean_session", F_BOOL, OFF(target.mqtt.clean_session), .def = "true"},
    /* whole seconds, <= 65535 s (see check_target) */
    {"keepalive", F_DURATION, OFF(target.mqtt.keepalive_ns), .def = "60s"},
    {"username", F_TEXT, OFF(target.mqtt.username), .def = "", .max = SCN_SHORT_MAX},
    {"password", F_TEXT, OFF(target.mqtt.password), .def = "", .max = SCN_SHORT_MAX},
    {"subscribe", F_MAP, 0, .sub = mqtt_subscribe_fields},
    {"publish", F_MAP, 0, .sub = mqtt_publish_fields},
    {NULL},
};

static const struct field target_tls_fields[] = {
    /* always true with https (see check_target) */
    {"enabled", F_BOOL, OFF(target.tls), .def = "false"},
    {"ca_file", F_TEXT, OFF(target.ca_file), .def = "", .max = SCN_TEXT_MAX},
    {"verify", F_BOOL, OFF(target.verify), .def = "true"},
    {NULL},
};

static const struct field target_fields[] = {
    /* protocol and host: required with architecture: target (see
     * scn_check_target; .req would require them of every scenario) */
    {"protocol", F_ENUM, OFF(target.protocol), .names = target_protocol_names},
    /* a host name or an IPv4 literal (see scn_check_target) */
    {"host", F_TEXT, OFF(target.host), .def = "", .max = SCN_TEXT_MAX},
    /* not set: target.host resolved when the scenario loads (see check_target) */
    {"address", F_IPV4, OFF(target.address), .nullable = true},
    /* not set: the protocol's (see check_target) */
    {"port", F_U16, OFF(target.port), .nullable = true, .min = 1, .max = 65535},
    {"tls", F_MAP, 0, .sub = target_tls_fields},
    {"https", F_MAP, 0, .sub = target_https_fields, .used = scn_target_https},
    {"mqtt", F_MAP, 0, .sub = target_mqtt_fields, .used = scn_target_mqtt},
    {NULL},
};

const struct field scn_scenario_fields[] = {
    {"name", F_NAME, OFF(name), .req = true},
    {"seed", F_U64, OFF(seed), .def = "1"},
    {"duration", F_DURATION, OFF(duration_ns), .req = true, .min = 1},
    {"stop_when", F_COND, OFF(stop_when), .off_count = OFF(has_stop_when), .nullable = true},
    {"architecture", F_ENUM, OFF(architecture), .def = "supernode", .names = arch_names},
    {"nodes", F_MAP, 0, .sub = nodes_fields},
    {"placement", F_MAP, 0, .sub = placement_fields},
    {"login_server", F_MAP, 0, .sub = login_server_fields, .used = scn_has_login_servers},
    {"service", F_MAP, 0, .sub = service_fields, .used = scn_uses_services},
    {"supernode", F_MAP, 0, .sub = supernode_fields, .used = scn_arch_supernode},
    /* before events, whose datacenter keys name its data centres */
    {"central", F_MAP, 0, .sub = central_fields, .used = scn_arch_central},
    /* before events, whose role keys depend on dht.login */
    {"dht", F_MAP, 0, .sub = dht_fields, .used = scn_arch_dht},
    {"settop", F_MAP, 0, .sub = settop_fields, .used = scn_arch_settop},
    {"target", F_MAP, 0, .sub = target_fields, .used = scn_arch_target},
    {"peer", F_MAP, 0, .sub = peer_fields},
    {"workload", F_MAP, 0, .sub = workload_fields},
    {"network", F_MAP, 0, .sub = network_fields},
    {"metrics", F_MAP, 0, .sub = metrics_fields},
    {"control", F_MAP, 0, .sub = control_fields},
    {"events", F_EVENTS, OFF(events), .off_count = OFF(n_events), .max = SCN_MAX_EVENTS},
    {NULL},
};

/* ---- lookups ---- */

const struct field *scn_action_field(enum scn_event_kind kind)
{
    for (const struct field *f = scn_event_fields; f->key; f++)
        if (f->type == F_ACTION && f->kind == (int)kind)
            return f;
    return NULL;
}

const struct field *scn_find_key(const struct field *table, const char *key, size_t *off)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            size_t sub = 0;
            const struct field *g = scn_find_key(f->sub, key, &sub);
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

void scn_list_keys(const struct field *table, char *buf, size_t len, size_t *used)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            scn_list_keys(f->sub, buf, len, used);
            continue;
        }
        int n = snprintf(buf + *used, len - *used, "%s%s", *used ? ", " : "", f->key);
        if (n < 0 || (size_t)n >= len - *used)
            return;
        *used += (size_t)n;
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

/* ---- parse: a scalar's text into its value, bounds included ---- */

static int64_t field_max(const struct field *f)
{
    if (f->max)
        return f->max;
    return scn_types[f->type].max ? scn_types[f->type].max : INT64_MAX;
}

static bool parse_name(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    size_t n = strlen(t);
    bool ok = n >= 1 && n < SCN_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = t[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || scnv_is_digit(c) || c == '.' ||
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

static bool parse_dcname(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    size_t n = strlen(t);
    bool ok = n >= 1 && n < SCN_DC_NAME_MAX;
    for (size_t i = 0; ok && i < n; i++) {
        char c = t[i];
        ok = (c >= 'a' && c <= 'z') || scnv_is_digit(c) || c == '_' || c == '-';
    }
    if (!ok) {
        snprintf(why, wl, "must be 1 to %d characters from a-z 0-9 _ -, got '%.64s'",
                 SCN_DC_NAME_MAX - 1, t);
        return false;
    }
    memcpy(dst, t, n + 1);
    return true;
}

/* Text for a char[f->max]: printable, any UTF-8, no control characters
 * (they would end up in HTTP and MQTT fields). */
static bool parse_text(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    size_t n = strlen(t);
    if (n >= (size_t)f->max) {
        snprintf(why, wl, "at most %lld characters, got %zu", (long long)f->max - 1, n);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)t[i];
        if (ch < 0x20 || ch == 0x7f) {
            snprintf(why, wl, "no control characters (character %zu is 0x%02x)", i + 1, ch);
            return false;
        }
    }
    memcpy(dst, t, n + 1);
    return true;
}

static bool parse_u64(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    uint64_t u;
    if (!scnv_parse_uint_why(t, 0, UINT64_MAX, &u, why, wl))
        return false;
    *(uint64_t *)dst = u;
    return true;
}

static bool parse_u32(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    uint64_t u;
    if (!scnv_parse_uint_why(t, (uint64_t)f->min, (uint64_t)field_max(f), &u, why, wl))
        return false;
    *(uint32_t *)dst = (uint32_t)u;
    return true;
}

static bool parse_u16(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    uint64_t u;
    if (!scnv_parse_uint_why(t, (uint64_t)f->min, (uint64_t)field_max(f), &u, why, wl))
        return false;
    *(uint16_t *)dst = (uint16_t)u;
    return true;
}

/* A duration in [f->min, field_max(f)]; both duration types store it. */
static bool duration_in_bounds(const struct field *f, const char *t, int64_t *ns, char *why,
                               size_t wl)
{
    char b[32];

    if (!units_parse_duration(t, ns, why, wl))
        return false;
    if (*ns < f->min) {
        if (f->min == 1) {
            snprintf(why, wl, "must be > 0, got %s", t);
        } else {
            units_format_duration(f->min, b, sizeof b);
            snprintf(why, wl, "must be >= %s, got %s", b, t);
        }
        return false;
    }
    if (*ns > field_max(f)) {
        units_format_duration(field_max(f), b, sizeof b);
        snprintf(why, wl, "must be <= %s, got %s", b, t);
        return false;
    }
    return true;
}

static bool parse_duration(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    int64_t ns;
    if (!duration_in_bounds(f, t, &ns, why, wl))
        return false;
    *(int64_t *)dst = ns;
    return true;
}

static bool parse_duration_ms(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    int64_t ns;
    if (!duration_in_bounds(f, t, &ns, why, wl))
        return false;
    *(double *)dst = (double)ns / 1e6;
    return true;
}

static bool parse_dist(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    return dist_parse(t, dst, why, wl);
}

static bool parse_enum(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    char names[96];

    for (int i = 0; f->names[i]; i++) {
        if (!strcmp(t, f->names[i])) {
            *(int *)dst = i;
            return true;
        }
    }
    list_names(f->names, names, sizeof names);
    snprintf(why, wl, "expected one of %s, got '%.64s'", names, t);
    return false;
}

static bool parse_ipv4(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    const char *end;
    uint32_t a;
    if (!scnv_parse_ipv4(t, &end, &a) || *end != '\0') {
        snprintf(why, wl, "expected an IPv4 address like 127.1.0.1, got '%.64s'", t);
        return false;
    }
    *(uint32_t *)dst = a;
    return true;
}

/* Only the default is text: one network. A file gives a sequence
 * (scn_walk_nets). */
static bool parse_nets(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    if (!scnv_parse_cidr_why(t, dst, why, wl))
        return false;
    *(uint32_t *)((char *)dst - f->off + f->off_count) = 1;
    return true;
}

static bool parse_fraction(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    double d;
    if (!scnv_parse_fraction_why(t, &d, why, wl))
        return false;
    if (f->below_one && d >= 1.0) {
        snprintf(why, wl, "must be < 1 (100%%), got %.64s", t);
        return false;
    }
    *(double *)dst = d;
    return true;
}

static bool parse_number(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    double d;
    if (!units_parse_number(t, strlen(t), &d)) {
        snprintf(why, wl, "expected a number like 10 or 0.5, got '%.64s'", t);
        return false;
    }
    if (d < (double)f->min) {
        snprintf(why, wl, "must be >= %lld, got %.64s", (long long)f->min, t);
        return false;
    }
    *(double *)dst = d == 0.0 ? 0.0 : d;
    return true;
}

/* A rate is 0 (off) or within [1e-6/s, 1e9/s]: 1e9 / rate must stay a
 * finite number of nanoseconds. */
static bool parse_rate(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    double v;
    if (!scnv_parse_rate_why(t, &v, why, wl))
        return false;
    if (v != 0 && (v < 1e-6 || v > 1e9)) {
        snprintf(why, wl, "must be 0/s (off) or between 0.000001/s and 1000000000/s, got %.64s", t);
        return false;
    }
    *(double *)dst = v;
    return true;
}

static bool parse_bool(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    (void)f;
    return scnv_parse_bool_why(t, dst, why, wl);
}

/* Also sets the "present" flag at off_count. */
static bool parse_cond(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    if (!scnv_parse_cond_why(t, dst, why, wl))
        return false;
    *(bool *)((char *)dst - f->off + f->off_count) = true;
    return true;
}

/* 0 means "unlimited" to the impairment keys; a field with min 1 (a
 * channel's bitrate) must be > 0. */
static bool parse_bandwidth(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    uint64_t v;
    if (!scnv_parse_bandwidth_why(t, &v, why, wl))
        return false;
    if (f->min > 0 && v < (uint64_t)f->min) {
        snprintf(why, wl, "must be > 0, got %.64s", t);
        return false;
    }
    *(uint64_t *)dst = v;
    return true;
}

static bool parse_bytes(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    char b[32];
    uint64_t v;

    if (!units_parse_bytes(t, &v, why, wl))
        return false;
    if (v < (uint64_t)f->min) {
        units_format_bytes((uint64_t)f->min, b, sizeof b);
        snprintf(why, wl, "must be >= %s, got %.64s", b, t);
        return false;
    }
    if (v > (uint64_t)field_max(f)) {
        units_format_bytes((uint64_t)field_max(f), b, sizeof b);
        snprintf(why, wl, "must be <= %s, got %.64s", b, t);
        return false;
    }
    *(uint64_t *)dst = v;
    return true;
}

bool scn_parse_text(const struct field *f, const char *t, void *dst, char *why, size_t wl)
{
    if (!scn_types[f->type].parse) {
        snprintf(why, wl, "internal error: not a scalar field");
        return false;
    }
    return scn_types[f->type].parse(f, t, dst, why, wl);
}

/* ---- describe ---- */

static const char *describe_enum(const struct field *f, char *buf, size_t len)
{
    snprintf(buf, len, "one of ");
    list_names(f->names, buf + 7, len - 7);
    return buf;
}

const char *scn_field_what(const struct field *f, char *buf, size_t len)
{
    const struct scn_type_ops *t = &scn_types[f->type];
    if (t->describe)
        return t->describe(f, buf, len);
    return t->what ? t->what : "a value";
}

/* ---- defaults ---- */

/* A nested or inline table: its own defaults, then the section's
 * replacements (struct fdef). */
static void defaults_sub(const struct field *f, char *base)
{
    char why[200];

    scn_apply_defaults(f->sub, base + f->off);
    for (const struct fdef *d = f->defs; d && d->key; d++) {
        size_t off = 0;
        const struct field *g = scn_find_key(f->sub, d->key, &off);
        assert(g && "bad default override in the schema table");
        bool ok = scn_parse_text(g, d->def, base + f->off + off + g->off, why, sizeof why);
        assert(ok && "bad default override in the schema table");
        (void)ok;
    }
}

static void defaults_text(const struct field *f, char *base)
{
    char why[200];

    if (!f->def)
        return;
    bool ok = scn_parse_text(f, f->def, base + f->off, why, sizeof why);
    assert(ok && "bad default in the schema table");
    (void)ok;
}

void scn_apply_defaults(const struct field *table, char *base)
{
    for (const struct field *f = table; f->key; f++)
        if (scn_types[f->type].defaults)
            scn_types[f->type].defaults(f, base);
}

/* ---- the type table ---- */

/* A scalar type: parsed from text, walked as a scalar, default from text. */
#define SCALAR(what_, parse_, json_)                                                               \
    {                                                                                              \
        .what = (what_), .parse = (parse_), .walk = scn_walk_scalar, .defaults = defaults_text,    \
        .to_json = (json_)                                                                         \
    }
#define SCALAR_MAX(what_, parse_, json_, max_)                                                     \
    {                                                                                              \
        .what = (what_), .max = (max_), .parse = (parse_), .walk = scn_walk_scalar,                \
        .defaults = defaults_text, .to_json = (json_)                                              \
    }

const struct scn_type_ops scn_types[F_TYPE_COUNT] = {
    [F_MAP] = {.what = "a mapping",
               .walk = scn_walk_submap,
               .defaults = defaults_sub,
               .to_json = scn_json_map},
    /* written by the JSON walker at the enclosing level */
    [F_INLINE] = {.what = "a mapping", .walk = scn_walk_inline, .defaults = defaults_sub},
    [F_NAME] = SCALAR("a name", parse_name, scn_json_name),
    [F_U64] = SCALAR("an unsigned integer", parse_u64, scn_json_u64),
    [F_U32] = {.what = "an unsigned integer",
               .max = UINT32_MAX,
               .parse = parse_u32,
               .walk = scn_walk_scalar,
               .defaults = defaults_text,
               .to_json = scn_json_u32},
    [F_U16] = {.what = "an unsigned integer",
               .max = UINT16_MAX,
               .parse = parse_u16,
               .walk = scn_walk_scalar,
               .defaults = defaults_text,
               .to_json = scn_json_u16},
    /* Every duration is bounded at a year: sums and doublings of durations
     * (the run's end, 2 x timeout, an outage's end) must not overflow. */
    [F_DURATION] = SCALAR_MAX("a duration like 250ms", parse_duration, scn_json_duration,
                              365 * 24 * 3600 * SEC),
    [F_DURATION_MS] = SCALAR_MAX("a duration like 250ms", parse_duration_ms, scn_json_duration_ms,
                                 365 * 24 * 3600 * SEC),
    [F_DIST] = SCALAR("a duration or a distribution", parse_dist, scn_json_dist),
    [F_ENUM] = {.describe = describe_enum,
                .parse = parse_enum,
                .walk = scn_walk_scalar,
                .defaults = defaults_text,
                .to_json = scn_json_enum},
    [F_IPV4] = SCALAR("an IPv4 address", parse_ipv4, scn_json_ipv4),
    /* a sequence in a file; the default is one network as text */
    [F_NETS] = {.what = "a sequence",
                .parse = parse_nets,
                .walk = scn_walk_nets,
                .defaults = defaults_text,
                .to_json = scn_json_nets},
    [F_FRACTION] = SCALAR("a fraction", parse_fraction, scn_json_real),
    [F_NUMBER] = SCALAR("a number", parse_number, scn_json_real),
    [F_RATE] = SCALAR("a rate like 500/s", parse_rate, scn_json_rate),
    [F_BOOL] = SCALAR("true or false", parse_bool, scn_json_bool),
    /* a scalar, but null means "none" (when nullable) rather than bad text */
    [F_COND] = {.what = "a condition like 'online >= 0.9'",
                .parse = parse_cond,
                .walk = scn_walk_cond,
                .defaults = defaults_text,
                .to_json = scn_json_cond},
    [F_EVENTS] = {.what = "a sequence", .walk = scn_walk_events, .to_json = scn_json_events},
    /* an event's action: defaults applied when walked, written by event_to_json */
    [F_ACTION] = {.what = "a mapping", .walk = scn_walk_action},
    [F_BANDWIDTH] =
        SCALAR("a bandwidth like 1mbit or 125kB/s", parse_bandwidth, scn_json_bandwidth),
    [F_GROUPS] = {.what = "a sequence", .walk = scn_walk_groups, .to_json = scn_json_groups},
    [F_IMPAIR_GROUPS] = {.what = "a sequence",
                         .walk = scn_walk_impair_groups,
                         .to_json = scn_json_impair_groups},
    /* written by scn_json_impair_groups */
    [F_RANKS] = {.what = "a sequence", .walk = scn_walk_ranks},
    [F_DCNAME] = SCALAR("a data centre name", parse_dcname, scn_json_name),
    [F_DATACENTERS] = {.what = "a sequence",
                       .walk = scn_walk_datacenters,
                       .to_json = scn_json_datacenters},
    [F_BYTES] = SCALAR("a size like 256KiB or 1024 (bytes)", parse_bytes, scn_json_bytes),
    [F_TEXT] = SCALAR("text", parse_text, scn_json_text),
    [F_HEADERS] = {.what = "a mapping of header names to values",
                   .walk = scn_walk_headers,
                   .to_json = scn_json_headers},
};
