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
#include "role.h"

#define SCN_NAME_MAX 64
#define SCN_MAX_EVENTS 64
#define SCN_MAX_NETS 8
#define SCN_ERR_MAX 512
#define SCN_MAX_RANKS 256
#define SCN_MAX_GROUPS 8
#define SCN_MAX_DCS 8
#define SCN_DC_NAME_MAX 24

/* architecture: supernode (Skype's P2P design, the default), central
 * (presence servers in data centres behind front doors), dht (every peer a
 * Kademlia node, with bootstrap nodes for fresh ones), settop (every peer
 * a set-top box that fetches its boot image from a cable head-end, then
 * registers with it) or target (no emulated server: the peers log in to a
 * real one, target.*, docs/targets.md). */
enum scn_arch { ARCH_SUPERNODE = 0, ARCH_CENTRAL, ARCH_DHT, ARCH_SETTOP, ARCH_TARGET };

/* target.protocol: what the real server speaks. */
enum scn_target_protocol {
    TARGET_HTTPS = 0, /* HTTP/1.1 over TLS: a login request, optional presence requests */
    TARGET_MQTT,      /* MQTT 3.1.1, optionally over TLS: CONNECT, PINGREQ, SUBSCRIBE, PUBLISH */
};
/* target.https.success: which status codes mean the login worked. */
enum scn_status_class { STATUS_2XX = 0, STATUS_2XX_3XX };

#define SCN_TEXT_MAX 256 /* a host name, path, topic, header value, file name */
#define SCN_SHORT_MAX 64 /* a method, header name, user name */
#define SCN_BODY_MAX 1024
#define SCN_MAX_HEADERS 8

/* One HTTP request of the https target; "{user}" in path, header values and
 * body becomes the peer's id. */
struct scn_http_request {
    char method[SCN_SHORT_MAX];
    char path[SCN_TEXT_MAX];
    char header_name[SCN_MAX_HEADERS][SCN_SHORT_MAX];
    char header_value[SCN_MAX_HEADERS][SCN_TEXT_MAX];
    uint32_t n_headers;
    char body[SCN_BODY_MAX];
    int64_t interval_ns; /* presence: how often, on the login's connection; 0 = never */
};

/* settop.method: how a box gets its boot image. */
enum scn_settop_method {
    SETTOP_UNICAST = 0, /* its own TCP download from the head-end */
    SETTOP_CAROUSEL,    /* the image's blocks cycled over UDP; a missed block waits a cycle */
    SETTOP_FOUNTAIN,    /* an endless stream of RaptorQ symbols; any K + a few decode */
};

/* dht.saved_table: what a reboot leaves of a node's routing table. */
enum scn_saved_table { SAVED_KEEP = 0, SAVED_LOSE };

enum scn_event_kind {
    EV_BOOT = 0,  /* boot: {fraction, over} */
    EV_REBOOT,    /* reboot: {fraction, over} */
    EV_CRASH,     /* crash: {role, fraction, over}: the nodes stop and stay down */
    EV_OUTAGE,    /* outage: {role, for}: every node of the role down, then back */
    EV_CAPACITY,  /* capacity: {role, workers, service_time, queue}: change a server's capacity */
    EV_INJECT_SN, /* inject_supernodes: {count, max_clients}: dedicated SNs come up */
    EV_PARTITION, /* partition: {groups: [[rank...], ...], for}: no traffic between groups */
    EV_STALL,     /* stall: {role, for, datacenter}: servers queue requests but start none */
    EV_KIND_COUNT
};

/* "METRIC OP VALUE", evaluated by the coordinator on each aggregated row.
 * METRIC is a timeseries column; the peer-state gauges (off, booting,
 * logging_in, registering, online, gave_up) are fractions of nodes.peers,
 * every other column is its per-interval value. */
enum scn_cmp { CMP_GE = 0, CMP_GT, CMP_LE, CMP_LT };
struct scn_cond {
    char metric[32];
    enum scn_cmp op;
    double value;
};

struct scn_event {
    int64_t at_ns;    /* relative to the run's start; unused when conditional */
    bool conditional; /* `when:` instead of `at:` */
    struct scn_cond when;
    enum scn_event_kind kind;
    enum role role;  /* crash, outage, capacity */
    double fraction; /* boot, reboot, crash: share of the role, in [0, 1] */
    int64_t over_ns; /* boot, reboot, crash: window the selection is spread over */
    int64_t for_ns;  /* outage, stall, partition: how long */
    /* capacity: new values; 0 / DIST_KEEP = unchanged */
    uint32_t workers;
    struct dist service_time; /* kind == DIST_KEEP: unchanged */
    uint32_t queue;
    bool queue_set;
    /* inject_supernodes */
    uint32_t count;
    uint32_t max_clients;
    /* crash, outage, stall: the data centre whose nodes (presence servers
     * and front door, or those of `role` only) it hits: its name, and
     * 1 + its index in central.datacenters; 0 = by role only. role is
     * ROLE_COUNT when the event hits every role of the data centre. */
    char dc_name[SCN_DC_NAME_MAX];
    uint32_t dc;
    /* partition: group of each rank (1..SCN_MAX_GROUPS), 0 = in no group
     * (unaffected); ranks in different groups cannot reach each other */
    uint8_t group_of_rank[SCN_MAX_RANKS];
};

struct scn_net {   /* an allowed network, IPv4 CIDR */
    uint32_t addr; /* host byte order */
    uint8_t prefix;
};

struct scn_retry_cfg {
    int64_t timeout_ns; /* per attempt */
    struct retry_policy retry;
};

/* Admission control of a server (design 4.3). */
enum scn_admission {
    ADMIT_BOUNDED_QUEUE = 0, /* BUSY when `queue` requests already wait */
    ADMIT_ACCEPT_ALL,        /* never refuse: the queue is unbounded */
    ADMIT_TOKEN_BUCKET,      /* admit at `rate` with `burst`, else BUSY; then queue as bounded */
    ADMIT_SHED,              /* BUSY with retry_after when full or the expected wait > max_wait */
    ADMIT_PACE,              /* admit all, answer WAIT(expected wait) at once, serve at `rate` */
};
enum scn_discipline { QUEUE_FIFO = 0, QUEUE_LIFO };

/* The capacity model shared by login servers, the central service and
 * supernodes: `workers` each hold a request for a service_time draw. */
struct scn_capacity {
    uint32_t workers;
    struct dist service_time;
    uint32_t queue;
    enum scn_admission admission;
    enum scn_discipline discipline;
    double rate;         /* token-bucket and pace: requests per second */
    uint32_t burst;      /* token-bucket */
    int64_t max_wait_ns; /* shed: 0 = shed only when the queue is full */
    bool drop_abandoned; /* notice a client that left while queued (default: no,
                          * like a server that reads no more until it replies) */
};

enum scn_overload_action { OVERLOAD_NONE = 0, OVERLOAD_SHUTDOWN, OVERLOAD_DEMOTE };

/* How nodes get addresses. loopback: every node its own address counting up
 * from network.base (one machine). host: every rank finds its host's address
 * inside network.allowed and its nodes share it, each on its own port (many
 * machines, or network namespaces). */
enum scn_net_mode { NET_LOOPBACK = 0, NET_HOST };

/* Which ranks host the server roles (login servers, services, supernodes
 * other than promoted peers): all ranks with the peers (mixed), or ranks of
 * their own (dedicated), so that the clients' CPU never delays a server. */
enum scn_servers { SERVERS_MIXED = 0, SERVERS_DEDICATED };

/* peer.login.resume: whether a peer offers a TLS 1.3 session ticket from its
 * last login (and login servers issue them). */
enum scn_resume { RESUME_NONE = 0, RESUME_TICKET };
/* peer.login.session_on_reboot: whether that ticket survives a reboot (a
 * client that stores it on disk) or not. */
enum scn_session_on_reboot { SESSION_LOSE = 0, SESSION_KEEP };

/* Within a data centre: how the front door spreads new registrations over
 * the DC's healthy presence servers. */
enum scn_balance { BALANCE_ROUND_ROBIN = 0, BALANCE_LEAST_CONN, BALANCE_P2C };
/* Between data centres: peers always go to their home DC, or spill to the
 * least-loaded other DC while the home DC (as last seen, `staleness` ago)
 * is down, refusing or above the threshold. */
enum scn_global_policy { GLOBAL_HOME_ONLY = 0, GLOBAL_SPILL };

/* One data centre of the central architecture (central.datacenters). */
struct scn_datacenter {
    char name[SCN_DC_NAME_MAX];
    uint32_t servers;     /* presence servers up at the start */
    uint32_t max_servers; /* autoscaling ceiling (>= servers); the rest are dormant spares */
    double share;         /* share of the peers whose home it is */
};

/* User-space impairment of one node class's traffic (network.impair.<class>).
 * latency/jitter delay each message a node sends; loss drops a sent message
 * (a TCP frame or a UDP datagram); uplink/downlink are token buckets on each
 * of the node's sockets, in bytes per second. 0 = none. */
struct scn_impair {
    int64_t latency_ns;
    int64_t jitter_ns;
    double loss;
    uint64_t uplink_Bps;
    uint64_t downlink_Bps;
};

/* What a TCP server allows one client connection (node/server.h). */
struct scn_conn_limits {
    uint32_t max_conns;          /* open accepted connections per listener; 0 = no cap */
    int64_t request_deadline_ns; /* accept to a complete first request, own queue excluded */
    int64_t linger_ns;           /* final answer sent to the server's close */
};

struct scenario {
    char name[SCN_NAME_MAX];
    uint64_t seed;
    int64_t duration_ns;
    enum scn_arch architecture;

    struct scn_nodes {
        uint32_t peers;
        uint32_t login_servers;
        uint32_t services;   /* central service nodes (steady-state requests) */
        uint32_t supernodes; /* initial SNs (dedicated nodes) */
        uint32_t bootstrap;  /* how many of them are bootstrap SNs */
    } nodes;

    struct scn_placement {
        enum scn_servers servers;
        uint32_t server_ranks; /* dedicated: how many ranks the servers get */
    } placement;

    struct scn_login_server {
        struct scn_capacity cap;      /* YAML: workers, service_time, queue, admission, ... */
        struct scn_conn_limits conns; /* YAML: max_conns, request_deadline, linger */
        uint32_t backlog;             /* TCP listen backlog */
        int64_t ticket_ttl_ns;
        uint16_t port;
    } login_server;

    struct scn_service {
        struct scn_capacity cap; /* YAML: the same capacity keys as login_server */
        uint16_t port;           /* UDP */
    } service;

    struct scn_supernode {
        uint16_t port;
        uint32_t list_size;           /* SNs handed out per REGISTER_OK / REDIRECT */
        uint32_t max_clients;         /* 0 = unlimited; when full: REDIRECT */
        struct scn_capacity cap;      /* per REGISTER and KEEPALIVE; default 0 service time */
        struct scn_conn_limits conns; /* the same keys as login_server's */
        struct scn_overload {
            enum scn_overload_action action;
            double load;    /* clients / max_clients above which it is loaded; 0 = off */
            int64_t lag_ns; /* request queue wait above which it is lagging; 0 = off */
            int64_t for_ns; /* sustained this long before acting */
        } overload;
        struct scn_promote {
            double target_ratio; /* wanted SNs per online peer; 0 = no promotion */
            int64_t min_uptime_ns;
            double capable;        /* share of peers able to be SNs */
            uint32_t max_clients;  /* capacity of a promoted SN */
            int64_t check_ns;      /* how often a peer considers promotion */
            double demote_below;   /* demote when clients/max_clients stays below... */
            int64_t demote_for_ns; /* ...this long while SNs exceed 2 x target; 0 = never */
        } promote;
        struct scn_gossip {
            int64_t interval_ns; /* SN-to-SN gossip; 0 = off */
            uint32_t fanout;
        } gossip;
    } supernode;

    /* architecture: central (ignored, and refused when set, otherwise). */
    struct scn_central {
        struct scn_datacenter dc[SCN_MAX_DCS];
        uint32_t n_dc;
        struct scn_presence {
            uint16_t port;
            uint32_t max_clients;         /* 0 = unlimited; when full: REDIRECT */
            struct scn_capacity cap;      /* per REGISTER and KEEPALIVE */
            struct scn_conn_limits conns; /* as login_server's */
            struct scn_overload overload; /* as supernode.overload (shutdown only) */
            int64_t report_interval_ns;   /* LOAD report to the DC's front door */
        } presence;
        struct scn_front_door {
            uint16_t port; /* TCP for LOCATE, UDP for LOAD reports */
            enum scn_balance balance;
            struct scn_capacity cap; /* per LOCATE */
            struct scn_conn_limits conns;
        } front_door;
        struct scn_global {
            enum scn_global_policy policy;
            double threshold;     /* spill when the home DC's load is at or above it */
            int64_t staleness_ns; /* age of the DC view the global policy acts on */
        } global;
        struct scn_autoscale {
            double target;           /* utilisation to hold; 0 = no autoscaling */
            int64_t window_ns;       /* above target this long before adding servers */
            int64_t provisioning_ns; /* decision to a new server taking clients */
            int64_t cooldown_ns;     /* below scale_in_below this long before removing one */
            double scale_in_below;
        } autoscale;
    } central;

    /* architecture: dht (ignored, and refused when set, otherwise). */
    struct scn_dht {
        uint32_t k;               /* bucket size, and how many nodes store a record */
        uint32_t alpha;           /* queries in flight per lookup */
        uint16_t port;            /* every node's UDP port (loopback mode) */
        uint32_t online_contacts; /* live contacts a node needs to be online */
        bool login;               /* log in (TLS) before joining */
        int64_t rpc_timeout_ns;   /* a query unanswered this long has failed */
        uint32_t stale_after;     /* unanswered queries in a row before eviction */
        enum scn_saved_table saved_table;
        int64_t refresh_ns;   /* bucket refresh period while online; 0 = never */
        int64_t republish_ns; /* record republish period while online; 0 = never */
        int64_t record_ttl_ns;
        uint32_t max_records; /* records a node stores for others */
        struct scn_dht_bootstrap {
            uint32_t nodes;
            uint16_t port;
            struct scn_capacity cap; /* per FIND_NODE or PING */
        } bootstrap;
    } dht;

    /* architecture: settop (ignored, and refused when set, otherwise). One
     * head-end serves every box (the peers) of one neighbourhood. */
    struct scn_settop {
        enum scn_settop_method method;
        uint64_t image_bytes;   /* settop.image.size */
        uint32_t block_bytes;   /* settop.image.block: carousel block, fountain symbol */
        uint64_t channel_Bps;   /* settop.channel.bitrate: the shared downstream, bytes/s */
        uint64_t carousel_Bps;  /* settop.carousel.bitrate: the carousel's share of it */
        uint16_t carousel_port; /* settop.carousel.port: each rank's receiver (UDP, loopback) */
        double downstream_loss; /* settop.downstream.loss: per box, independent */
        int64_t retransmit_ns;  /* settop.downstream.retransmit: a lost unicast segment's cost */
        double verify;          /* settop.verify: share of boxes that keep the bytes and
                                 * check the SHA-256 (the others count blocks) */
        uint32_t fountain_overhead;    /* settop.fountain.overhead: symbols beyond K to decode */
        struct scn_retry_cfg download; /* settop.download.{timeout, retry}: unicast */
        struct scn_settop_headend {
            uint16_t port;           /* TCP: downloads and registrations */
            uint32_t max_downloads;  /* unicast sessions at once; 0 = no cap; beyond: BUSY */
            struct scn_capacity cap; /* per registration (settop.headend.register.*) */
            struct scn_conn_limits conns;
        } headend;
    } settop;

    /* architecture: target (ignored, and refused when set, otherwise): the
     * real server every peer logs in to (docs/targets.md). */
    struct scn_target {
        enum scn_target_protocol protocol;
        char host[SCN_TEXT_MAX];    /* SNI, Host header, certificate name; or an IPv4 literal */
        uint32_t address;           /* where to connect, host order; 0 = resolve target.host */
        uint16_t port;              /* 0: the protocol's (443; mqtt 1883, 8883 with TLS) */
        bool tls;                   /* target.tls.enabled: always with https */
        char ca_file[SCN_TEXT_MAX]; /* target.tls.ca_file: "" = the system's trust store */
        bool verify;                /* target.tls.verify: chain and host name */
        struct scn_target_https {
            struct scn_http_request login;
            enum scn_status_class success;
            struct scn_http_request presence; /* interval 0: online once logged in */
        } https;
        struct scn_target_mqtt {
            char client_id[SCN_TEXT_MAX]; /* "{user}" becomes the peer's id */
            bool clean_session;
            int64_t keepalive_ns;         /* CONNECT's keepalive; a PINGREQ that often; 0 = none */
            char username[SCN_SHORT_MAX]; /* "" = none */
            char password[SCN_SHORT_MAX]; /* "" = none; needs username */
            char subscribe_topic[SCN_TEXT_MAX]; /* "" = no SUBSCRIBE */
            uint32_t subscribe_qos;
            char publish_topic[SCN_TEXT_MAX]; /* "" = no PUBLISH */
            int64_t publish_interval_ns;
            uint32_t publish_size; /* payload bytes */
            uint32_t publish_qos;
        } mqtt;
    } target;

    struct scn_peer {
        struct dist boot_delay;
        struct scn_retry_cfg login;
        struct scn_retry_cfg reg;                     /* YAML key: peer.register */
        uint32_t host_cache;                          /* entries kept across reboots */
        enum scn_resume resume;                       /* YAML: peer.login.resume */
        enum scn_session_on_reboot session_on_reboot; /* YAML: peer.login.session_on_reboot */
    } peer;

    struct scn_workload {
        int64_t keepalive_ns;
        double request_rate;          /* open-loop requests per online peer per s; 0 = off */
        struct scn_retry_cfg request; /* YAML: workload.request.{timeout, retry} */
    } workload;

    struct scn_network {
        enum scn_net_mode mode; /* loopback: an address per node; host: host IP + port */
        uint16_t port_base;     /* host mode: node k of a rank listens on port_base + k */
        uint32_t base;          /* loopback mode: first node address, host order */
        struct scn_net allowed[SCN_MAX_NETS];
        uint32_t n_allowed;
        struct scn_impair impair[ROLE_COUNT]; /* by enum role */
        /* network.impair_groups: impairment of every node on some ranks (a
         * host group), added to its class's: group index + 1 per rank, 0 =
         * none. Combined: latencies and jitters add, losses compound, the
         * tighter bandwidth wins. */
        struct scn_impair impair_group[SCN_MAX_GROUPS];
        uint32_t n_impair_groups;
        uint8_t impair_group_of_rank[SCN_MAX_RANKS];
    } network;

    struct scn_metrics {
        int64_t interval_ns;
    } metrics;

    struct scn_control {
        int64_t lead_ns;       /* min time between scheduling and firing */
        int64_t resync_ns;     /* clock re-estimation period; 0 = only at start */
        double max_lag_p99_ms; /* fidelity thresholds */
        double max_skew_p99_ms;
        double max_emulator_share; /* above it a timing figure is emulator-bound */
        bool park_idle;            /* park quiet connections (node/conn.h) */
        int64_t keepalive_grid_ns; /* keepalives due on a grid of this step; 0 = off */
    } control;

    struct scn_event events[SCN_MAX_EVENTS];
    uint32_t n_events;

    bool has_stop_when; /* stop_when: "online >= 0.99" ends the run early */
    struct scn_cond stop_when;
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
int scenario_parse_duration(const char *text, int64_t *ns); /* "250ms", "1.5s", "2m" */
void scenario_format_duration(int64_t ns, char *buf, size_t len);

/* Whether peers log in first: always, except with architecture dht and
 * dht.login false, and with settop (no login servers then). With target the
 * login is to the real server (there are no login servers either). */
static inline bool scenario_uses_login(const struct scenario *s)
{
    return s->architecture == ARCH_DHT ? s->dht.login : s->architecture != ARCH_SETTOP;
}

/* Total number of nodes: login servers, services, supernodes, peers, the
 * supernodes injected by events, with architecture: central the front doors
 * and presence servers, with dht the bootstrap nodes, with settop the
 * head-end
 * (common/placement.h has the id layout). */
static inline uint32_t scenario_total_nodes(const struct scenario *s)
{
    uint32_t n = s->nodes.login_servers + s->nodes.services + s->nodes.supernodes + s->nodes.peers;
    for (uint32_t i = 0; i < s->n_events; i++)
        if (s->events[i].kind == EV_INJECT_SN)
            n += s->events[i].count;
    if (s->architecture == ARCH_CENTRAL)
        for (uint32_t i = 0; i < s->central.n_dc && i < SCN_MAX_DCS; i++)
            n += 1 + s->central.dc[i].max_servers;
    if (s->architecture == ARCH_DHT)
        n += s->dht.bootstrap.nodes;
    if (s->architecture == ARCH_SETTOP)
        n += 1; /* the head-end */
    return n;
}

#endif
