/* metrics.h - per-rank counters, gauges and histograms, and the snapshot a
 * rank sends to the coordinator every interval.
 *
 * Counters are cumulative since the run's start (the coordinator takes
 * differences), so a lost or late snapshot never corrupts a total. Gauges are
 * current levels. The snapshot is plain data sent over MPI as bytes: every
 * rank runs the same binary. */
#ifndef BS_METRICS_H
#define BS_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "hist.h"

#define METRIC_COUNTERS(X)                                                                         \
    X(BOOTS, "boots")                                                                              \
    X(REBOOTS, "reboots")                                                                          \
    X(LOGIN_ATTEMPTS, "login_attempts")                                                            \
    X(LOGIN_OK, "login_ok")                                                                        \
    X(LOGIN_BUSY, "login_busy")                                                                    \
    X(LOGIN_TIMEOUT, "login_timeout")                                                              \
    X(LOGIN_ERROR, "login_error")                                                                  \
    X(LOGIN_FAIL, "login_fail")                                                                    \
    X(LOGIN_ABORTED, "login_aborted")                                                              \
    X(LOGIN_GIVEUP, "login_giveup")                                                                \
    X(REG_ATTEMPTS, "reg_attempts")                                                                \
    X(REG_OK, "reg_ok")                                                                            \
    X(REG_FAIL, "reg_fail")                                                                        \
    X(REG_TIMEOUT, "reg_timeout")                                                                  \
    X(REG_ERROR, "reg_error")                                                                      \
    X(REG_ABORTED, "reg_aborted")                                                                  \
    X(REG_GIVEUP, "reg_giveup")                                                                    \
    X(REG_REDIRECTED, "reg_redirected")                                                            \
    X(ONLINE_LOST, "online_lost")                                                                  \
    X(KEEPALIVES, "keepalives")                                                                    \
    X(LS_ACCEPTED, "ls_accepted")                                                                  \
    X(LS_SERVED, "ls_served")                                                                      \
    X(LS_REJECTED, "ls_rejected")                                                                  \
    X(LS_WASTED, "ls_wasted")                                                                      \
    X(LOGIN_WAITS, "login_waits")                                                                  \
    X(RETRY_SLOWED_BUDGET, "retry_slowed_budget")                                                  \
    X(RETRY_SLOWED_HINT, "retry_slowed_hint")                                                      \
    X(THROTTLED, "throttled")                                                                      \
    X(REQ_SENT, "req_sent")                                                                        \
    X(REQ_OK, "req_ok")                                                                            \
    X(REQ_BUSY, "req_busy")                                                                        \
    X(REQ_TIMEOUT, "req_timeout")                                                                  \
    X(REQ_GIVEUP, "req_giveup")                                                                    \
    X(REQ_DROPPED, "req_dropped")                                                                  \
    X(SVC_SERVED, "svc_served")                                                                    \
    X(SVC_REJECTED, "svc_rejected")                                                                \
    X(SVC_WASTED, "svc_wasted")                                                                    \
    X(SN_REDIRECTS, "sn_redirects")                                                                \
    X(SN_SERVED, "sn_served")                                                                      \
    X(SN_OVERLOAD_ACTIONS, "sn_overload_actions")                                                  \
    X(SN_PROMOTIONS, "sn_promotions")                                                              \
    X(SN_DEMOTIONS, "sn_demotions")                                                                \
    X(SN_CRASHES, "sn_crashes")                                                                    \
    X(SN_INJECTED, "sn_injected")                                                                  \
    X(GOSSIP_EXCHANGES, "gossip_exchanges")                                                        \
    X(PEER_CRASHES, "peer_crashes")                                                                \
    X(SN_REGISTERED, "sn_registered")                                                              \
    X(SN_REFUSED_FORGED, "sn_refused_forged")                                                      \
    X(SN_REFUSED_EXPIRED, "sn_refused_expired")                                                    \
    X(MSGS_SENT, "msgs_sent")                                                                      \
    X(MSGS_RECV, "msgs_recv")                                                                      \
    X(BYTES_SENT, "bytes_sent")                                                                    \
    X(BYTES_RECV, "bytes_recv")                                                                    \
    X(MALFORMED, "malformed")                                                                      \
    X(SOCKET_ERRORS, "socket_errors")                                                              \
    X(ACCEPT_ERRORS, "accept_errors")                                                              \
    X(GOSSIP_REFUSED, "gossip_refused")                                                            \
    X(CONN_CAPPED, "conn_capped")                                                                  \
    X(CONN_DEADLINE, "conn_deadline")                                                              \
    X(CONN_IDLE, "conn_idle")                                                                      \
    X(CONN_OVERFLOW, "conn_overflow")                                                              \
    X(SN_REPLACED, "sn_replaced")                                                                  \
    X(SN_REFUSED_REPLAY, "sn_refused_replay")                                                      \
    X(LOGIN_FULL, "login_full")                                                                    \
    X(LOGIN_RESUMED, "login_resumed")                                                              \
    X(REG_BUSY_US, "reg_busy_us")                                                                  \
    X(FD_BUSY, "fd_busy")                                                                          \
    X(FD_ASSIGNED, "fd_assigned")                                                                  \
    X(DC_SPILLS, "dc_spills")                                                                      \
    X(FD_SERVED, "fd_served")                                                                      \
    X(FD_REJECTED, "fd_rejected")                                                                  \
    X(FD_NO_SERVER, "fd_no_server")                                                                \
    X(LOAD_REPORTS, "load_reports")                                                                \
    X(PRES_REGISTERED, "pres_registered")                                                          \
    X(PRES_REDIRECTS, "pres_redirects")                                                            \
    X(PRES_CRASHES, "pres_crashes")                                                                \
    X(PRES_OVERLOAD_ACTIONS, "pres_overload_actions")                                              \
    X(SCALED_UP, "scaled_up")                                                                      \
    X(SCALED_DOWN, "scaled_down")                                                                  \
    X(FD_CRASHES, "fd_crashes")                                                                    \
    X(DHT_QUERIES, "dht_queries")                                                                  \
    X(DHT_QUERY_TIMEOUTS, "dht_query_timeouts")                                                    \
    X(DHT_SERVED, "dht_served")                                                                    \
    X(DHT_UNEXPECTED, "dht_unexpected")                                                            \
    X(DHT_EVICTED, "dht_evicted")                                                                  \
    X(DHT_STORED, "dht_stored")                                                                    \
    X(DHT_STORE_REFUSED, "dht_store_refused")                                                      \
    X(DHT_JOIN_BOOTSTRAP, "dht_join_bootstrap")                                                    \
    X(DHT_NOT_FOUND, "dht_not_found")                                                              \
    X(DHT_LOOKUP_FAILED, "dht_lookup_failed")                                                      \
    X(DHT_REFRESHES, "dht_refreshes")                                                              \
    X(BOOT_REQUESTS, "boot_requests")                                                              \
    X(BOOT_SERVED, "boot_served")                                                                  \
    X(BOOT_REFUSED, "boot_refused")                                                                \
    X(BOOT_WASTED, "boot_wasted")                                                                  \
    X(DHT_LATE, "dht_late")                                                                        \
    X(DHT_BOOT_OK, "dht_boot_ok")                                                                  \
    X(HE_BLOCKS, "he_blocks")                                                                      \
    X(HE_EGRESS_BYTES, "he_egress_bytes")                                                          \
    X(HE_DATAGRAMS, "he_datagrams")                                                                \
    X(HE_CYCLES, "he_cycles")                                                                      \
    X(HE_RETRANSMITS, "he_retransmits")                                                            \
    X(HE_DL_REFUSED, "he_dl_refused")                                                              \
    X(HE_REG_SERVED, "he_reg_served")                                                              \
    X(HE_REG_REFUSED, "he_reg_refused")                                                            \
    X(HE_REG_WASTED, "he_reg_wasted")                                                              \
    X(HE_CRASHES, "he_crashes")                                                                    \
    X(IMG_DELIVERED, "img_delivered")                                                              \
    X(IMG_LOST, "img_lost")                                                                        \
    X(IMG_DUP, "img_dup")                                                                          \
    X(IMG_BAD, "img_bad")                                                                          \
    X(IMG_OK, "img_ok")                                                                            \
    X(IMG_VERIFIED, "img_verified")                                                                \
    X(IMG_CORRUPT, "img_corrupt")                                                                  \
    X(FEC_DECODES, "fec_decodes")                                                                  \
    X(FEC_DECODE_FAILED, "fec_decode_failed")                                                      \
    X(DL_ATTEMPTS, "dl_attempts")                                                                  \
    X(DL_OK, "dl_ok")                                                                              \
    X(DL_BUSY, "dl_busy")                                                                          \
    X(DL_TIMEOUT, "dl_timeout")                                                                    \
    X(DL_ERROR, "dl_error")                                                                        \
    X(DL_ABORTED, "dl_aborted")                                                                    \
    X(DL_GIVEUP, "dl_giveup")                                                                      \
    X(REG_BUSY, "reg_busy")                                                                        \
    X(DL_THROTTLED, "dl_throttled")                                                                \
    X(RX_GAPS, "rx_gaps")                                                                          \
    X(TGT_REQUESTS, "tgt_requests")                                                                \
    X(TGT_RETRY_AFTER, "tgt_retry_after")                                                          \
    X(TGT_PRESENCE_FAIL, "tgt_presence_fail")                                                      \
    X(MQTT_SUBSCRIBED, "mqtt_subscribed")                                                          \
    X(MQTT_SUB_REFUSED, "mqtt_sub_refused")                                                        \
    X(MQTT_PUBLISHED, "mqtt_published")                                                            \
    X(MQTT_PUBACKS, "mqtt_pubacks")                                                                \
    X(MQTT_RECEIVED, "mqtt_received")

#define METRIC_GAUGES(X)                                                                           \
    X(OFF, "off")                                                                                  \
    X(BOOTING, "booting")                                                                          \
    X(LOGGING_IN, "logging_in")                                                                    \
    X(REGISTERING, "registering")                                                                  \
    X(ONLINE, "online")                                                                            \
    X(GAVE_UP, "gave_up")                                                                          \
    X(LOGIN_IN_FLIGHT, "login_in_flight")                                                          \
    X(REG_IN_FLIGHT, "reg_in_flight")                                                              \
    X(LS_QUEUE, "ls_queue")                                                                        \
    X(LS_BUSY, "ls_busy")                                                                          \
    X(LS_UP, "ls_up")                                                                              \
    X(SVC_QUEUE, "svc_queue")                                                                      \
    X(SVC_BUSY, "svc_busy")                                                                        \
    X(SVC_UP, "svc_up")                                                                            \
    X(REQ_OUTSTANDING, "req_outstanding")                                                          \
    X(SN_QUEUE, "sn_queue")                                                                        \
    X(SN_COUNT, "sn_count")                                                                        \
    X(SN_CLIENTS, "sn_clients")                                                                    \
    X(OPEN_CONNS, "open_conns")                                                                    \
    X(REG_WORKERS, "reg_workers")                                                                  \
    X(FD_UP, "fd_up")                                                                              \
    X(PRES_UP, "pres_up")                                                                          \
    X(PRES_CLIENTS, "pres_clients")                                                                \
    X(PRES_QUEUE, "pres_queue")                                                                    \
    X(DHT_UP, "dht_up")                                                                            \
    X(DHT_ENTRIES, "dht_entries")                                                                  \
    X(DHT_LIVE, "dht_live")                                                                        \
    X(DHT_FAILING, "dht_failing")                                                                  \
    X(BOOT_UP, "boot_up")                                                                          \
    X(BOOT_QUEUE, "boot_queue")                                                                    \
    X(BOOT_BUSY, "boot_busy")                                                                      \
    X(FETCHING, "fetching")                                                                        \
    X(DL_IN_FLIGHT, "dl_in_flight")                                                                \
    X(HE_UP, "he_up")                                                                              \
    X(HE_QUEUE, "he_queue")                                                                        \
    X(HE_BUSY, "he_busy")                                                                          \
    X(HE_SESSIONS, "he_sessions")                                                                  \
    X(BOX_IMAGE_BYTES, "box_image_bytes")                                                          \
    X(BOX_IMAGE_PEAK, "box_image_peak")

#define X_ENUM(id, name) C_##id,
enum metric_counter { METRIC_COUNTERS(X_ENUM) C_COUNT };
#undef X_ENUM
#define X_ENUM(id, name) G_##id,
enum metric_gauge { METRIC_GAUGES(X_ENUM) G_COUNT };
#undef X_ENUM

#define METRICS_MAX_DCS 8 /* SCN_MAX_DCS */

/* One data centre of the central architecture, on one rank: gauges are
 * levels, counters cumulative, as above. */
struct dc_metrics {
    int64_t servers_up; /* presence servers up */
    int64_t clients;    /* peers registered with them */
    int64_t workers_up; /* workers of the servers up */
    int64_t fd_up;      /* its front door, if on this rank and up */
    uint64_t busy_us;   /* worker time its presence servers spent serving */
    uint64_t refusals;  /* front door BUSY + presence REDIRECT */
    uint64_t spills;    /* peers of another home DC sent here by the global policy */
    uint64_t registered;
};

/* The histograms of one interval, sent with each snapshot and reset. */
struct metrics_interval {
    struct hist login_us;        /* login attempt start -> LOGIN_OK */
    struct hist login_emu_us;    /* the emulator's delay within each of those */
    struct hist register_us;     /* register attempt start -> REGISTER_OK */
    struct hist register_emu_us; /* the emulator's delay within each of those */
    struct hist lookup_us;       /* dht: a user lookup's start -> its answer (found or not) */
    struct hist lookup_hops;     /* dht: the hops of each answered lookup */
    struct hist image_us;        /* settop: a box's first fetch after power-on -> image complete */
};

/* Live metrics of one rank. The *_emu_us histograms hold, per completed
 * attempt or request, how much of its time was the emulator's own delay
 * (common/attribution.h), beside the histogram of the time itself. */
struct metrics {
    uint64_t c[C_COUNT];
    int64_t g[G_COUNT];
    struct dc_metrics dc[METRICS_MAX_DCS];
    struct hist lag_us;         /* timer lateness, this interval only */
    struct metrics_interval iv; /* this interval only */
    struct hist lag_total_us;   /* timer lateness, whole run */
    struct hist login_us;       /* login attempt start -> LOGIN_OK */
    struct hist login_emu_us;
    struct hist register_us; /* register attempt start -> REGISTER_OK */
    struct hist register_emu_us;
    struct hist req_us; /* workload request sent -> RESPONSE */
    struct hist req_emu_us;
    struct hist start_late_us;  /* an attempt's start timer: due -> run (the rank was busy) */
    struct hist ls_queue_us;    /* time a login waited for a worker */
    struct hist ls_service_us;  /* time a login held a worker */
    struct hist ls_emu_us;      /* emulator delay in a login's queue + service time */
    struct hist svc_queue_us;   /* central service: time a request waited */
    struct hist svc_service_us; /* central service: time a request held a worker */
    struct hist svc_emu_us;
    struct hist dht_hops;      /* dht: hops of each answered user lookup, whole run */
    struct hist boot_queue_us; /* dht: time a bootstrap request waited for a worker */
    struct hist boot_service_us;
    /* settop, whole run, one entry per box that got its image: */
    struct hist image_us;        /* first fetch after power-on (OS booted) -> image complete */
    struct hist img_cycles_pct;  /* carousel/fountain: channel cycles heard, in hundredths */
    struct hist fec_overhead;    /* fountain, real decodes only: symbols received beyond K */
    struct hist he_reg_queue_us; /* registration: time a request waited for a worker */
    struct hist he_reg_service_us;
};

/* What a rank sends each interval. */
struct metrics_snapshot {
    uint32_t interval; /* 1-based: covers (interval-1, interval] * period */
    int32_t rank;
    double cpu_s; /* process CPU time (user+sys) since start */
    int64_t maxrss_kb;
    uint64_t c[C_COUNT];
    int64_t g[G_COUNT];
    struct dc_metrics dc[METRICS_MAX_DCS];
    int64_t stall_ns;    /* the rank's stall clock (common/attribution.h), cumulative */
    int64_t cpu_wait_ns; /* its run-queue wait (common/cpu_wait.h), cumulative; -1: unknown */
    bool hosts_peers;    /* its stall counts as the emulator's (clients share its CPU) */
    struct hist lag_us;
    struct metrics_interval iv;
};

/* dht: the user lookup attempts that ended (found, not found, failed or
 * timed out) among counters c, the denominator of the found share. */
static inline uint64_t metrics_lookups_ended(const uint64_t *c)
{
    return c[C_REQ_OK] + c[C_DHT_NOT_FOUND] + c[C_DHT_LOOKUP_FAILED] + c[C_REQ_TIMEOUT];
}

const char *metrics_counter_name(enum metric_counter c);
const char *metrics_gauge_name(enum metric_gauge g);

#endif
