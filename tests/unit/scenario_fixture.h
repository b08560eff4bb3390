/* scenario_fixture.h - what the scenario loader's tests share
 * (test_scenario_*.c): sample files, load helpers and assertions, all static
 * so that each test program has its own. Include it first: it includes
 * cmocka after the headers cmocka needs.
 *
 * Error tests assert the exact "label:line:col: path:" prefix, because that
 * is what a user reads first and what editors jump to. */
#ifndef BS_TEST_SCENARIO_FIXTURE_H
#define BS_TEST_SCENARIO_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/scenario.h"

#define LABEL "t.yaml"

/* The smallest valid scenario: lines 1-4. Tests append after line 4. */
#define MIN_YAML                                                                                   \
    "name: t\n"                                                                                    \
    "duration: 60s\n"                                                                              \
    "nodes:\n"                                                                                     \
    "  peers: 100\n"

static const char FULL_YAML[] = "name: full-test_1.0\n"
                                "seed: 18446744073709551615\n"
                                "duration: 2m\n"
                                "architecture: supernode\n"
                                "nodes:\n"
                                "  peers: 2000\n"
                                "  login_servers: 2\n"
                                "  supernodes: 40\n"
                                "  bootstrap: 6\n"
                                "login_server:\n"
                                "  workers: 3\n"
                                "  service_time: uniform(1ms, 3ms)\n"
                                "  queue: 0\n"
                                "  backlog: 65535\n"
                                "  ticket_ttl: 90m\n"
                                "  port: 5000\n"
                                "supernode:\n"
                                "  port: 5001\n"
                                "  list_size: 32\n"
                                "peer:\n"
                                "  boot_delay: exp(1500ms)\n"
                                "  login:\n"
                                "    timeout: 2s\n"
                                "    retry:\n"
                                "      policy: fixed\n"
                                "      base: 1s\n"
                                "      cap: 1s\n"
                                "      jitter: none\n"
                                "      max_attempts: 5\n"
                                "  register:\n"
                                "    timeout: 3s\n"
                                "    retry:\n"
                                "      policy: exponential\n"
                                "      base: 100ms\n"
                                "      cap: 10s\n"
                                "      jitter: decorrelated\n"
                                "      max_attempts: 7\n"
                                "  host_cache: 256\n"
                                "workload:\n"
                                "  keepalive: 15s\n"
                                "network:\n"
                                "  base: 10.9.0.10\n"
                                "  allowed: [10.9.0.0/16, 127.0.0.0/8]\n"
                                "metrics:\n"
                                "  interval: 500ms\n"
                                "control:\n"
                                "  lead: 100ms\n"
                                "  max_lag_p99: 20ms\n"
                                "  max_skew_p99: 1500us\n"
                                "events:\n"
                                "  - at: 0s\n"
                                "    boot: {fraction: 1.0, over: 5s}\n"
                                "  - at: 30s\n"
                                "    reboot: {fraction: 50%, over: 2s}\n"
                                "  - {at: 1m, reboot: {fraction: 0.25}}\n";

/* The preset's shape (docs/scenarios.md, Presets). */
static const char QUICKSTART_YAML[] = "name: quickstart\n"
                                      "seed: 42\n"
                                      "duration: 60s\n"
                                      "nodes: {peers: 2000, login_servers: 2, supernodes: 40}\n"
                                      "events:\n"
                                      "  - {at: 0s, boot: {fraction: 1.0, over: 5s}}\n"
                                      "  - {at: 30s, reboot: {fraction: 0.5, over: 2s}}\n";

/* Storm realism (issue 3): capacity, services, supernode dynamics, retry
 * layers, new events, conditions. Every new key set to a value other than
 * its default. Line numbers matter to the error tests that use it: keep the
 * layout. */
static const char STORM_YAML[] =
    "name: storm\n"                  /* 1 */
    "seed: 7\n"                      /* 2 */
    "duration: 10m\n"                /* 3 */
    "stop_when: \"online >= 99%\"\n" /* 4 */
    "nodes:\n"                       /* 5 */
    "  peers: 1000\n"                /* 6 */
    "  login_servers: 2\n"           /* 7 */
    "  services: 3\n"                /* 8 */
    "  supernodes: 10\n"             /* 9 */
    "  bootstrap: 2\n"               /* 10 */
    "login_server:\n"                /* 11 */
    "  workers: 8\n"                 /* 12 */
    "  service_time: exp(2ms)\n"     /* 13 */
    "  queue: 64\n"                  /* 14 */
    "  admission: token-bucket\n"    /* 15 */
    "  discipline: lifo\n"           /* 16 */
    "  rate: 30/m\n"                 /* 17 */
    "  burst: 20\n"                  /* 18 */
    "  drop_abandoned: true\n"       /* 19 */
    "  backlog: 512\n"               /* 20 */
    "  port: 5000\n"                 /* 21 */
    "service:\n"                     /* 22 */
    "  workers: 2\n"                 /* 23 */
    "  service_time: 10ms\n"         /* 24 */
    "  queue: 50\n"                  /* 25 */
    "  admission: shed\n"            /* 26 */
    "  max_wait: 250ms\n"            /* 27 */
    "  port: 5002\n"                 /* 28 */
    "supernode:\n"                   /* 29 */
    "  port: 5001\n"                 /* 30 */
    "  list_size: 4\n"               /* 31 */
    "  max_clients: 500\n"           /* 32 */
    "  workers: 2\n"                 /* 33 */
    "  service_time: 1ms\n"          /* 34 */
    "  queue: 1000\n"                /* 35 */
    "  admission: pace\n"            /* 36 */
    "  rate: 0.5/s\n"                /* 37 */
    "  overload: {action: demote, load: 0.9, lag: 200ms, for: 10s}\n"
    "  promote: {target_ratio: 0.02, min_uptime: 1m, capable: 30%, max_clients: 200,\n"
    "            check: 2s, demote_below: 0.1, demote_for: 30s}\n"
    "  gossip: {interval: 5s, fanout: 3}\n"
    "peer:\n"
    "  login:\n"
    "    timeout: 2s\n"
    "    retry:\n"
    "      jitter: equal\n"
    "      budget: {tokens: 10, ratio: 0.2}\n"
    "      throttle: {k: 2, window: 30s}\n"
    "      obey_retry_after: true\n"
    "  register:\n"
    "    retry: {policy: fixed, budget: {tokens: 5}}\n"
    "workload:\n"
    "  keepalive: 20s\n"
    "  request_rate: 0.25/s\n"
    "  request:\n"
    "    timeout: 1s\n"
    "    retry: {jitter: decorrelated, base: 100ms, cap: 5s, max_attempts: 4,\n"
    "            throttle: {k: 1.5}}\n"
    "events:\n"
    "  - {at: 0s, boot: {fraction: 1, over: 5s}}\n"
    "  - {at: 60s, reboot: {fraction: 0.5, over: 2s}}\n"
    "  - {at: 90s, crash: {role: supernode, fraction: 0.3, over: 1s}}\n"
    "  - {at: 2m, outage: {role: service, for: 30s}}\n"
    "  - {at: 3m, capacity: {role: login_server, workers: 2}}\n"
    "  - {at: 4m, capacity: {role: service, service_time: 20ms, queue: 0}}\n"
    "  - {when: \"online >= 90%\", inject_supernodes: {count: 5, max_clients: 2000}}\n"
    "  - when: login_busy > 100\n"
    "    capacity: {role: supernode, workers: 4, service_time: exp(1ms), queue: 10}\n"
    "  - {when: lag_p99_ms<2.5e1, crash: {role: login_server, fraction: 50%}}\n";

/* Across machines (issue 4): network impairment, clock resync, partitions.
 * Line numbers matter to the error tests that use it: keep the layout. */
static const char IMPAIR_YAML[] =
    "name: impair\n"                                               /* 1 */
    "duration: 5m\n"                                               /* 2 */
    "nodes: {peers: 500, services: 1}\n"                           /* 3 */
    "network:\n"                                                   /* 4 */
    "  impair:\n"                                                  /* 5 */
    "    peer:\n"                                                  /* 6 */
    "      latency: 100ms\n"                                       /* 7 */
    "      jitter: 250ms\n"                                        /* 8 */
    "      loss: 1%\n"                                             /* 9 */
    "      uplink: 1mbit\n"                                        /* 10 */
    "      downlink: 8Mbit/s\n"                                    /* 11 */
    "    supernode: {latency: 20ms, loss: 0.5, uplink: 125kB/s}\n" /* 12 */
    "    login_server: {jitter: 3ms, downlink: 1gbit}\n"           /* 13 */
    "    service: {latency: 1s, uplink: 2.5MB/s}\n"                /* 14 */
    "control:\n"                                                   /* 15 */
    "  resync: 2s\n"                                               /* 16 */
    "events:\n"                                                    /* 17 */
    "  - {at: 0s, boot: {fraction: 1}}\n"                          /* 18 */
    "  - at: 1m\n"                                                 /* 19 */
    "    partition: {groups: [[1, 2], [3]], for: 10s}\n"           /* 20 */
    "  - when: online >= 0.9\n"                                    /* 21 */
    "    partition:\n"                                             /* 22 */
    "      groups:\n"                                              /* 23 */
    "        - [0]\n"                                              /* 24 */
    "        - [255, 7]\n"                                         /* 25 */
    "        - [4]\n"                                              /* 26 */
    "      for: 1500ms\n";                                         /* 27 */

/* Host groups: network.impair_groups. Line numbers matter to the error
 * tests that use it: keep the layout. */
static const char HOSTS_YAML[] = "name: hosts\n"               /* 1 */
                                 "duration: 5m\n"              /* 2 */
                                 "nodes: {peers: 500}\n"       /* 3 */
                                 "network:\n"                  /* 4 */
                                 "  impair:\n"                 /* 5 */
                                 "    peer: {latency: 10ms}\n" /* 6 */
                                 "  impair_groups:\n"          /* 7 */
                                 "    - ranks: [3, 2]\n"       /* 8 */
                                 "      latency: 50ms\n"       /* 9 */
                                 "      jitter: 5ms\n"         /* 10 */
                                 "      loss: 2%\n"            /* 11 */
                                 "      uplink: 1mbit\n"       /* 12 */
                                 "      downlink: 125kB/s\n"   /* 13 */
                                 "    - {ranks: [255, 0]}\n";  /* 14 */

/* The last load's message (one per test program). */
static char err[SCN_ERR_MAX];

static inline int load(const char *yaml, struct scenario *s)
{
    err[0] = '\0';
    return scenario_load_string(yaml, LABEL, NULL, 0, s, err, sizeof err);
}

static inline int load_set(const char *yaml, const char *const *ov, size_t n, struct scenario *s)
{
    err[0] = '\0';
    return scenario_load_string(yaml, LABEL, ov, n, s, err, sizeof err);
}

#define assert_prefix(str, prefix)                                                                 \
    do {                                                                                           \
        if (strncmp((str), (prefix), strlen(prefix)) != 0)                                         \
            fail_msg("expected prefix \"%s\"\n       got \"%s\"", (prefix), (str));                \
    } while (0)

#define assert_contains(str, needle)                                                               \
    do {                                                                                           \
        if (!strstr((str), (needle)))                                                              \
            fail_msg("expected \"%s\" in \"%s\"", (needle), (str));                                \
    } while (0)

#define assert_double_eq(a, b)                                                                     \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= 1e-9 * (fabs(b_) > 1 ? fabs(b_) : 1)))                              \
            fail_msg("%.17g != %.17g", a_, b_);                                                    \
    } while (0)

/* Load must fail with a message that starts with `prefix`. */
static inline void expect_error(const char *yaml, const char *prefix)
{
    struct scenario s;
    if (load(yaml, &s) == 0)
        fail_msg("loaded, but expected an error starting with \"%s\"", prefix);
    assert_prefix(err, prefix);
}

static inline void expect_set_error(const char *yaml, const char *ov, const char *prefix)
{
    struct scenario s;
    const char *ovs[] = {ov};
    if (load_set(yaml, ovs, 1, &s) == 0)
        fail_msg("loaded, but expected an error starting with \"%s\"", prefix);
    assert_prefix(err, prefix);
}

#define NS_MS 1000000LL
#define NS_S 1000000000LL

#endif
