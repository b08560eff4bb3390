/* test_scenario.c - scenario loading, validation, overrides and JSON output.
 *
 * Error tests assert the exact "label:line:col: path:" prefix, because that
 * is what a user reads first and what editors jump to. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "common/scenario.h"

/* ---- helpers ---- */

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

static char err[SCN_ERR_MAX];

static int load(const char *yaml, struct scenario *s)
{
    err[0] = '\0';
    return scenario_load_string(yaml, LABEL, NULL, 0, s, err, sizeof err);
}

static int load_set(const char *yaml, const char *const *ov, size_t n, struct scenario *s)
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
static void expect_error(const char *yaml, const char *prefix)
{
    struct scenario s;
    if (load(yaml, &s) == 0)
        fail_msg("loaded, but expected an error starting with \"%s\"", prefix);
    assert_prefix(err, prefix);
}

static void expect_set_error(const char *yaml, const char *ov, const char *prefix)
{
    struct scenario s;
    const char *ovs[] = {ov};
    if (load_set(yaml, ovs, 1, &s) == 0)
        fail_msg("loaded, but expected an error starting with \"%s\"", prefix);
    assert_prefix(err, prefix);
}

#define NS_MS 1000000LL
#define NS_S 1000000000LL

/* ---- loading valid files ---- */

static void full_file_loads_every_field(void **state)
{
    struct scenario s;
    assert_int_equal(load(FULL_YAML, &s), 0);

    assert_string_equal(s.name, "full-test_1.0");
    assert_true(s.seed == UINT64_MAX);
    assert_int_equal(s.duration_ns, 120 * NS_S);
    assert_int_equal(s.architecture, ARCH_SUPERNODE);

    assert_int_equal(s.nodes.peers, 2000);
    assert_int_equal(s.nodes.login_servers, 2);
    assert_int_equal(s.nodes.supernodes, 40);
    assert_int_equal(s.nodes.bootstrap, 6);
    assert_int_equal(scenario_total_nodes(&s), 2042);

    assert_int_equal(s.login_server.workers, 3);
    assert_int_equal(s.login_server.service_time.kind, DIST_UNIFORM);
    assert_double_eq(s.login_server.service_time.a, 1e6);
    assert_double_eq(s.login_server.service_time.b, 3e6);
    assert_int_equal(s.login_server.queue, 0);
    assert_int_equal(s.login_server.backlog, 65535);
    assert_int_equal(s.login_server.ticket_ttl_ns, 90 * 60 * NS_S);
    assert_int_equal(s.login_server.port, 5000);

    assert_int_equal(s.supernode.port, 5001);
    assert_int_equal(s.supernode.list_size, 32);

    assert_int_equal(s.peer.boot_delay.kind, DIST_EXP);
    assert_double_eq(s.peer.boot_delay.a, 1.5e9);
    assert_int_equal(s.peer.login.timeout_ns, 2 * NS_S);
    assert_int_equal(s.peer.login.retry.kind, RETRY_FIXED);
    assert_int_equal(s.peer.login.retry.base_ns, NS_S);
    assert_int_equal(s.peer.login.retry.cap_ns, NS_S);
    assert_int_equal(s.peer.login.retry.jitter, JITTER_NONE);
    assert_int_equal(s.peer.login.retry.max_attempts, 5);
    assert_int_equal(s.peer.reg.timeout_ns, 3 * NS_S);
    assert_int_equal(s.peer.reg.retry.kind, RETRY_EXPONENTIAL);
    assert_int_equal(s.peer.reg.retry.base_ns, 100 * NS_MS);
    assert_int_equal(s.peer.reg.retry.cap_ns, 10 * NS_S);
    assert_int_equal(s.peer.reg.retry.jitter, JITTER_DECORRELATED);
    assert_int_equal(s.peer.reg.retry.max_attempts, 7);
    assert_int_equal(s.peer.host_cache, 256);

    assert_int_equal(s.workload.keepalive_ns, 15 * NS_S);

    assert_int_equal(s.network.base, 0x0a09000a);
    assert_int_equal(s.network.n_allowed, 2);
    assert_int_equal(s.network.allowed[0].addr, 0x0a090000);
    assert_int_equal(s.network.allowed[0].prefix, 16);
    assert_int_equal(s.network.allowed[1].addr, 0x7f000000);
    assert_int_equal(s.network.allowed[1].prefix, 8);

    assert_int_equal(s.metrics.interval_ns, 500 * NS_MS);
    assert_int_equal(s.control.lead_ns, 100 * NS_MS);
    assert_double_eq(s.control.max_lag_p99_ms, 20.0);
    assert_double_eq(s.control.max_skew_p99_ms, 1.5);

    assert_int_equal(s.n_events, 3);
    assert_int_equal(s.events[0].at_ns, 0);
    assert_int_equal(s.events[0].kind, EV_BOOT);
    assert_double_eq(s.events[0].fraction, 1.0);
    assert_int_equal(s.events[0].over_ns, 5 * NS_S);
    assert_int_equal(s.events[1].at_ns, 30 * NS_S);
    assert_int_equal(s.events[1].kind, EV_REBOOT);
    assert_double_eq(s.events[1].fraction, 0.5);
    assert_int_equal(s.events[1].over_ns, 2 * NS_S);
    assert_int_equal(s.events[2].at_ns, 60 * NS_S);
    assert_int_equal(s.events[2].kind, EV_REBOOT);
    assert_double_eq(s.events[2].fraction, 0.25);
    assert_int_equal(s.events[2].over_ns, 0);
}

static void check_defaults(const struct scenario *s)
{
    assert_int_equal(s->seed, 1);
    assert_int_equal(s->architecture, ARCH_SUPERNODE);
    assert_int_equal(s->nodes.login_servers, 1);
    assert_int_equal(s->nodes.supernodes, 8);
    assert_int_equal(s->nodes.bootstrap, 4);
    assert_int_equal(s->login_server.workers, 4);
    assert_int_equal(s->login_server.service_time.kind, DIST_CONST);
    assert_double_eq(s->login_server.service_time.a, 5e6);
    assert_int_equal(s->login_server.queue, 128);
    assert_int_equal(s->login_server.backlog, 1024);
    assert_int_equal(s->login_server.ticket_ttl_ns, 3600 * NS_S);
    assert_int_equal(s->login_server.port, 4430);
    assert_int_equal(s->supernode.port, 4431);
    assert_int_equal(s->supernode.list_size, 8);
    assert_int_equal(s->peer.boot_delay.kind, DIST_LOGNORMAL);
    assert_double_eq(s->peer.boot_delay.a, 2e9);
    assert_double_eq(s->peer.boot_delay.b, 0.5);
    const struct scn_retry_cfg *cfgs[] = {&s->peer.login, &s->peer.reg};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cfgs[i]->timeout_ns, 5 * NS_S);
        assert_int_equal(cfgs[i]->retry.kind, RETRY_EXPONENTIAL);
        assert_int_equal(cfgs[i]->retry.base_ns, 500 * NS_MS);
        assert_int_equal(cfgs[i]->retry.cap_ns, 30 * NS_S);
        assert_int_equal(cfgs[i]->retry.jitter, JITTER_FULL);
        assert_int_equal(cfgs[i]->retry.max_attempts, 0);
    }
    assert_int_equal(s->peer.host_cache, 16);
    assert_int_equal(s->workload.keepalive_ns, 10 * NS_S);
    assert_int_equal(s->network.base, 0x7f010001);
    assert_int_equal(s->network.n_allowed, 1);
    assert_int_equal(s->network.allowed[0].addr, 0x7f000000);
    assert_int_equal(s->network.allowed[0].prefix, 8);
    assert_int_equal(s->metrics.interval_ns, NS_S);
    assert_int_equal(s->control.lead_ns, 250 * NS_MS);
    assert_double_eq(s->control.max_lag_p99_ms, 50.0);
    assert_double_eq(s->control.max_skew_p99_ms, 10.0);
    assert_int_equal(s->n_events, 0);
}

static void minimal_file_gets_every_default(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML, &s), 0);
    assert_string_equal(s.name, "t");
    assert_int_equal(s.duration_ns, 60 * NS_S);
    assert_int_equal(s.nodes.peers, 100);
    check_defaults(&s);
}

static void scenario_defaults_fills_every_default(void **state)
{
    struct scenario s;
    memset(&s, 0xab, sizeof s);
    scenario_defaults(&s);
    check_defaults(&s);
    /* Required keys have no default. */
    assert_string_equal(s.name, "");
    assert_int_equal(s.duration_ns, 0);
    assert_int_equal(s.nodes.peers, 0);
}

static void empty_sections_keep_defaults(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "peer:\ncontrol: {}\nevents:\n", &s), 0);
    check_defaults(&s);
}

static void bootstrap_defaults_to_min_of_four_and_supernodes(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "  supernodes: 2\n", &s), 0);
    assert_int_equal(s.nodes.bootstrap, 2);
    assert_int_equal(load(MIN_YAML "  supernodes: 40\n", &s), 0);
    assert_int_equal(s.nodes.bootstrap, 4);
}

static void jitter_defaults_to_none_without_exponential(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "peer: {login: {retry: {policy: fixed}}}\n", &s), 0);
    assert_int_equal(s.peer.login.retry.kind, RETRY_FIXED);
    assert_int_equal(s.peer.login.retry.jitter, JITTER_NONE);
    assert_int_equal(s.peer.reg.retry.jitter, JITTER_FULL);
}

static void fraction_accepts_percent(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "events:\n  - {at: 1s, boot: {fraction: 25%}}\n"
                                   "  - {at: 2s, boot: {fraction: \"100%\"}}\n",
                          &s),
                     0);
    assert_double_eq(s.events[0].fraction, 0.25);
    assert_double_eq(s.events[1].fraction, 1.0);
}

static void distributions_parse_every_kind(void **state)
{
    struct scenario s;
    /* Block style: in a flow mapping {...} the comma would split the value. */
    assert_int_equal(load(MIN_YAML "login_server: {service_time: const(7ms)}\n"
                                   "peer:\n  boot_delay: lognormal( 3s ,1.25 )\n",
                          &s),
                     0);
    assert_int_equal(s.login_server.service_time.kind, DIST_CONST);
    assert_double_eq(s.login_server.service_time.a, 7e6);
    assert_int_equal(s.peer.boot_delay.kind, DIST_LOGNORMAL);
    assert_double_eq(s.peer.boot_delay.a, 3e9);
    assert_double_eq(s.peer.boot_delay.b, 1.25);

    assert_int_equal(load(MIN_YAML "login_server: {service_time: exp(2ms)}\n"
                                   "peer: {boot_delay: \"uniform(1s, 3s)\"}\n",
                          &s),
                     0);
    assert_int_equal(s.login_server.service_time.kind, DIST_EXP);
    assert_double_eq(s.login_server.service_time.a, 2e6);
    assert_int_equal(s.peer.boot_delay.kind, DIST_UNIFORM);
    assert_double_eq(s.peer.boot_delay.a, 1e9);
    assert_double_eq(s.peer.boot_delay.b, 3e9);
}

static void cidr_host_bits_are_masked(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "network: {allowed: [127.1.2.3/16, 127.9.9.9/32]}\n", &s), 0);
    assert_int_equal(s.network.n_allowed, 2);
    assert_int_equal(s.network.allowed[0].addr, 0x7f010000);
    assert_int_equal(s.network.allowed[0].prefix, 16);
    assert_int_equal(s.network.allowed[1].addr, 0x7f090909);
    assert_int_equal(s.network.allowed[1].prefix, 32);
}

static void anchors_and_aliases_are_expanded(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "peer:\n"
                                   "  login: &r {timeout: 2s, retry: {policy: none}}\n"
                                   "  register: *r\n",
                          &s),
                     0);
    assert_int_equal(s.peer.reg.timeout_ns, 2 * NS_S);
    assert_int_equal(s.peer.reg.retry.kind, RETRY_NONE);
    assert_int_equal(s.peer.reg.retry.jitter, JITTER_NONE);
}

static void load_reads_a_file(void **state)
{
    char path[] = "/tmp/test_scenario_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(QUICKSTART_YAML, f);
    fclose(f);

    struct scenario s;
    assert_int_equal(scenario_load(path, NULL, 0, &s, err, sizeof err), 0);
    assert_string_equal(s.name, "quickstart");
    assert_int_equal(s.nodes.peers, 2000);
    assert_int_equal(s.nodes.login_servers, 2);
    assert_int_equal(s.nodes.supernodes, 40);
    assert_int_equal(s.n_events, 2);

    /* The file's path is the label in messages. */
    const char *ov[] = {"nodes.peers=0"};
    assert_int_equal(scenario_load(path, ov, 1, &s, err, sizeof err), -1);
    assert_string_equal(err, "--set nodes.peers=0: nodes.peers: must be >= 1, got 0");
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("name: q\nduration: 0s\n", f);
    fclose(f);
    assert_int_equal(scenario_load(path, NULL, 0, &s, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:2:11: duration: must be > 0", path);
    assert_prefix(err, want);
    unlink(path);
}

static void load_reports_missing_file(void **state)
{
    struct scenario s;
    assert_int_equal(scenario_load("/nonexistent/x.yaml", NULL, 0, &s, err, sizeof err), -1);
    assert_prefix(err, "/nonexistent/x.yaml: cannot open: ");
}

static void failed_load_leaves_output_untouched(void **state)
{
    struct scenario s;
    memset(&s, 0x5a, sizeof s);
    assert_int_equal(load(MIN_YAML "bogus: 1\n", &s), -1);
    for (size_t i = 0; i < sizeof s; i++)
        assert_int_equal(((unsigned char *)&s)[i], 0x5a);
}

/* ---- errors: one class per test, exact location ---- */

static void unknown_key_is_an_error(void **state)
{
    expect_error(MIN_YAML "bogus: 1\n", LABEL ":5:1: bogus: unknown key (expected one of: name, ");
    expect_error(MIN_YAML "  pears: 3\n",
                 LABEL ":5:3: nodes.pears: unknown key (expected one of: peers, login_servers, "
                       "supernodes, bootstrap)");
}

static void sequence_where_scalar_expected_is_an_error(void **state)
{
    expect_error(MIN_YAML "login_server:\n  workers: [1, 2]\n",
                 LABEL ":6:12: login_server.workers: expected an unsigned integer, got a "
                       "sequence");
}

static void scalar_where_mapping_expected_is_an_error(void **state)
{
    expect_error(MIN_YAML "peer: fast\n", LABEL ":5:7: peer: expected a mapping, got 'fast'");
    expect_error(MIN_YAML "network: {allowed: 127.0.0.0/8}\n",
                 LABEL ":5:20: network.allowed: expected a sequence");
}

static void missing_required_key_points_at_the_mapping(void **state)
{
    expect_error("name: t\nduration: 60s\nnodes:\n  supernodes: 4\n",
                 LABEL ":4:3: nodes: missing required key 'nodes.peers'");
    expect_error("duration: 60s\nnodes: {peers: 1}\n", LABEL ":1:1: missing required key 'name'");
    expect_error(MIN_YAML "events:\n  - boot: {fraction: 1}\n",
                 LABEL ":6:5: events.0: missing required key 'events.0.at'");
}

static void negative_count_is_an_error(void **state)
{
    expect_error("name: t\nduration: 60s\nnodes:\n  peers: -5\n",
                 LABEL ":4:10: nodes.peers: must be >= 1, got -5");
    expect_error(MIN_YAML "login_server: {queue: -1}\n",
                 LABEL ":5:23: login_server.queue: must be >= 0, got -1");
}

static void non_integer_and_overflow_are_errors(void **state)
{
    expect_error("name: t\nduration: 60s\nnodes:\n  peers: 1.5\n",
                 LABEL ":4:10: nodes.peers: expected an unsigned integer, got '1.5'");
    expect_error("name: t\nduration: 60s\nnodes:\n  peers: 99999999999999999999999\n",
                 LABEL ":4:10: nodes.peers: must be <= 10000000, got 99999999999999999999999");
    expect_error(MIN_YAML "seed: 18446744073709551616\n",
                 LABEL ":5:7: seed: must be <= 18446744073709551615");
    expect_error(MIN_YAML "supernode: {port: 65536}\n",
                 LABEL ":5:19: supernode.port: must be <= 65535, got 65536");
}

static void fraction_above_one_is_an_error(void **state)
{
    expect_error(MIN_YAML "events:\n  - at: 0s\n    boot: {fraction: 1.5}\n",
                 LABEL ":7:22: events.0.boot.fraction: must be in [0, 1] (or 0% to 100%), got "
                       "1.5");
    expect_error(MIN_YAML "events:\n  - {at: 0s, boot: {fraction: 150%}}\n",
                 LABEL ":6:31: events.0.boot.fraction: must be in [0, 1]");
}

static void malformed_duration_is_an_error(void **state)
{
    expect_error(MIN_YAML "workload:\n  keepalive: 5 parsecs\n",
                 LABEL ":6:14: workload.keepalive: unknown unit 'parsecs' in '5 parsecs'");
}

static void duration_without_unit_is_an_error(void **state)
{
    expect_error(MIN_YAML "workload:\n  keepalive: 10\n",
                 LABEL ":6:14: workload.keepalive: missing unit in '10'");
}

static void duration_bounds_are_checked(void **state)
{
    expect_error(MIN_YAML "metrics: {interval: 5ms}\n",
                 LABEL ":5:21: metrics.interval: must be >= 10ms, got 5ms");
    expect_error(MIN_YAML "metrics: {interval: 2h}\n",
                 LABEL ":5:21: metrics.interval: must be <= 1h, got 2h");
    expect_error(MIN_YAML "control: {lead: -1s}\n",
                 LABEL ":5:17: control.lead: must be >= 0, got -1s");
}

static void bad_distributions_are_errors(void **state)
{
    expect_error(MIN_YAML "peer:\n  boot_delay: uniform(3s, 1s)\n",
                 LABEL ":6:15: peer.boot_delay: uniform: low (3s) must be <= high (1s)");
    expect_error(MIN_YAML "peer:\n  boot_delay: lognormal(2s, 0.5s)\n",
                 LABEL ":6:15: peer.boot_delay: lognormal: sigma must be a plain number");
    expect_error(MIN_YAML "peer: {boot_delay: gauss(1s)}\n",
                 LABEL ":5:20: peer.boot_delay: unknown distribution 'gauss'");
    expect_error(MIN_YAML "peer: {boot_delay: 'exp(1s, 2s)'}\n",
                 LABEL ":5:20: peer.boot_delay: exp takes 1 argument");
    expect_error(MIN_YAML "peer: {boot_delay: const(5 parsecs)}\n",
                 LABEL ":5:20: peer.boot_delay: const: value: unknown unit 'parsecs'");
}

static void bad_enum_lists_the_choices(void **state)
{
    expect_error(MIN_YAML "peer: {login: {retry: {policy: linear}}}\n",
                 LABEL ":5:32: peer.login.retry.policy: expected one of none, fixed, "
                       "exponential, got 'linear'");
}

static void bad_name_is_an_error(void **state)
{
    expect_error("name: has space\nduration: 1s\nnodes: {peers: 1}\n",
                 LABEL ":1:7: name: must be 1 to 63 characters");
    expect_error("name: ''\nduration: 1s\nnodes: {peers: 1}\n",
                 LABEL ":1:7: name: must be 1 to 63 characters");
}

static void duplicate_key_is_an_error(void **state)
{
    expect_error(MIN_YAML "nodes: {peers: 2}\n",
                 LABEL ":5:1: nodes: duplicate key (first at line 3)");
}

static void bootstrap_above_supernodes_is_an_error(void **state)
{
    expect_error(MIN_YAML "  supernodes: 3\n  bootstrap: 5\n",
                 LABEL ":6:14: nodes.bootstrap: must be <= nodes.supernodes (3), got 5");
}

static void equal_ports_are_an_error(void **state)
{
    expect_error(MIN_YAML "supernode: {port: 4430}\n",
                 LABEL ":5:19: supernode.port: must differ from login_server.port (both are "
                       "4430)");
}

static void cap_below_base_is_an_error(void **state)
{
    expect_error(MIN_YAML "peer: {register: {retry: {base: 2s, cap: 1s}}}\n",
                 LABEL ":5:42: peer.register.retry.cap: must be >= peer.register.retry.base (2s), "
                       "got 1s");
    expect_error(MIN_YAML "peer: {login: {retry: {base: 1m}}}\n",
                 LABEL ":5:30: peer.login.retry.base: must be <= peer.login.retry.cap (30s), "
                       "got 1m");
}

static void jitter_without_exponential_is_an_error(void **state)
{
    expect_error(MIN_YAML "peer: {login: {retry: {policy: fixed, jitter: full}}}\n",
                 LABEL ":5:47: peer.login.retry.jitter: must be none unless policy is "
                       "exponential (policy is fixed), got full");
}

static void event_at_not_before_duration_is_an_error(void **state)
{
    expect_error(MIN_YAML "events:\n  - at: 60s\n    reboot: {fraction: 0.5}\n",
                 LABEL ":6:9: events.0.at: must be < duration (1m), got 1m");
}

static void event_needs_exactly_one_action(void **state)
{
    expect_error(MIN_YAML "events:\n  - at: 1s\n",
                 LABEL ":6:5: events.0: missing action (expected exactly one of: boot, reboot)");
    expect_error(MIN_YAML "events:\n  - {at: 1s, boot: {fraction: 1}, reboot: {fraction: 1}}\n",
                 LABEL ":6:35: events.0: expected exactly one action, got both boot and reboot");
}

static void too_many_events_is_an_error(void **state)
{
    char *yaml = malloc(8192);
    assert_non_null(yaml);
    strcpy(yaml, MIN_YAML "events:\n");
    for (int i = 0; i < SCN_MAX_EVENTS + 1; i++)
        strcat(yaml, "  - {at: 1s, boot: {fraction: 1}}\n");
    expect_error(yaml, LABEL ":6:3: events: at most 64 events, got 65");

    /* Exactly the maximum is fine. */
    char *last = strrchr(yaml, '-');
    *last = '\0';
    struct scenario s;
    assert_int_equal(load(yaml, &s), 0);
    assert_int_equal(s.n_events, SCN_MAX_EVENTS);
    free(yaml);
}

static void base_outside_allowed_is_an_error(void **state)
{
    expect_error(MIN_YAML "network:\n  base: 10.0.0.1\n",
                 LABEL ":6:9: network.base: 10.0.0.1 is outside network.allowed [127.0.0.0/8]");
}

static void node_addresses_past_allowed_are_an_error(void **state)
{
    /* 1 LS + 8 SNs + 100 peers from 127.1.0.1 need up to 127.1.0.109. */
    expect_error(MIN_YAML "network:\n  allowed: [127.1.0.0/28]\n",
                 LABEL ":6:12: network.base: node 15 would get 127.1.0.16");
    expect_error(MIN_YAML "network:\n  allowed: [127.1.0.0/26]\n",
                 LABEL ":6:12: network.base: node 63 would get 127.1.0.64 (counting up from "
                       "127.1.0.1), outside network.allowed [127.1.0.0/26]");
    struct scenario s;
    assert_int_equal(load(MIN_YAML "network:\n  allowed: [127.1.0.0/26, 127.1.0.64/26]\n", &s), 0);
    /* Addresses skip .0 and .255: 254 per /24. */
    expect_error(MIN_YAML "  supernodes: 154\nnetwork:\n  allowed: [127.1.0.0/24]\n",
                 LABEL ":7:12: network.base: node 254 would get 127.1.1.1");
    assert_int_equal(load(MIN_YAML "  supernodes: 154\nnetwork:\n  allowed: [127.1.0.0/23]\n", &s),
                     0);
    expect_error(MIN_YAML "network: {base: 127.1.0.255}\n",
                 LABEL ":5:17: network.base: last octet must be 1 to 254");
}

static void bad_networks_are_errors(void **state)
{
    expect_error(MIN_YAML "network: {allowed: [127.0.0.0/33]}\n",
                 LABEL ":5:21: network.allowed.0: prefix length must be 0 to 32");
    expect_error(MIN_YAML "network: {allowed: [127.0.0.1]}\n",
                 LABEL ":5:21: network.allowed.0: expected an IPv4 network like 127.0.0.0/8");
    expect_error(MIN_YAML "network: {allowed: []}\n",
                 LABEL ":5:20: network.allowed: expected 1 to 8 networks, got 0");
    expect_error(MIN_YAML "network: {base: 127.1.0.256}\n",
                 LABEL ":5:17: network.base: expected an IPv4 address");
}

static void yaml_syntax_error_has_a_location(void **state)
{
    expect_error("name: t\n  bad: indent\n",
                 LABEL ":2:6: YAML syntax error: mapping values are not allowed");
    expect_error("name: t\nduration: [60s\nnodes: {peers: 1}\n",
                 LABEL ":3:6: YAML syntax error: did not find expected ',' or ']'");
}

static void empty_or_non_mapping_document_is_an_error(void **state)
{
    expect_error("", LABEL ":1:1: empty scenario");
    expect_error("# nothing here\n", LABEL ":1:1: empty scenario");
    expect_error("- a\n- b\n", LABEL ":1:1: expected a mapping at the top level, got a sequence");
    expect_error("a: 1\n---\nb: 2\n", LABEL ":2:1: more than one YAML document");
}

static void hostile_nesting_and_aliases_are_refused(void **state)
{
    expect_error("a: &x [*x]\n", LABEL ":1:8: alias *x refers to no (finished) anchor");

    char *deep = malloc(4096);
    assert_non_null(deep);
    memset(deep, '[', 2000);
    deep[2000] = '\0';
    expect_error(deep, LABEL ":1:65: nesting deeper than 64 levels");
    free(deep);

    /* "Billion laughs": every level doubles the previous one. */
    char laughs[4096] = "a0: &a0 [x, x]\n";
    for (int i = 1; i < 40; i++) {
        char line[64];
        snprintf(line, sizeof line, "a%d: &a%d [*a%d, *a%d]\n", i, i, i - 1, i - 1);
        strcat(laughs, line);
    }
    expect_error(laughs, LABEL ":");
    assert_contains(err, "document too large");
}

static void error_buffer_is_never_overrun(void **state)
{
    struct scenario s;
    char small[8];
    memset(small, 'x', sizeof small);
    assert_int_equal(scenario_load_string(MIN_YAML "bogus: 1\n", LABEL, NULL, 0, &s, small, 8), -1);
    assert_string_equal(small, "t.yaml:");
    assert_int_equal(scenario_load_string(MIN_YAML "bogus: 1\n", LABEL, NULL, 0, &s, NULL, 0), -1);
}

/* ---- overrides ---- */

static void override_sets_a_scalar(void **state)
{
    struct scenario s;
    const char *ov[] = {"nodes.peers=500", "seed=7"};
    assert_int_equal(load_set(MIN_YAML, ov, 2, &s), 0);
    assert_int_equal(s.nodes.peers, 500);
    assert_int_equal(s.seed, 7);
}

static void later_override_wins(void **state)
{
    struct scenario s;
    const char *ov[] = {"nodes.peers=5", "nodes.peers=6"};
    assert_int_equal(load_set(MIN_YAML, ov, 2, &s), 0);
    assert_int_equal(s.nodes.peers, 6);
}

static void override_sets_a_nested_key(void **state)
{
    struct scenario s;
    const char *ov[] = {"peer.login.retry.policy=none", "peer.login.timeout=750ms"};
    assert_int_equal(load_set(FULL_YAML, ov, 2, &s), 0);
    assert_int_equal(s.peer.login.retry.kind, RETRY_NONE);
    assert_int_equal(s.peer.login.retry.jitter, JITTER_NONE);
    assert_int_equal(s.peer.login.timeout_ns, 750 * NS_MS);
}

static void override_indexes_an_event(void **state)
{
    struct scenario s;
    const char *ov[] = {"events.1.at=20s", "events.0.boot.fraction=40%"};
    assert_int_equal(load_set(FULL_YAML, ov, 2, &s), 0);
    assert_int_equal(s.events[1].at_ns, 20 * NS_S);
    assert_double_eq(s.events[0].fraction, 0.4);
    assert_int_equal(s.n_events, 3);
}

static void override_appends_an_event(void **state)
{
    struct scenario s;
    const char *ov[] = {"events.3={at: 100s, boot: {fraction: 0.1, over: 1s}}"};
    assert_int_equal(load_set(FULL_YAML, ov, 1, &s), 0);
    assert_int_equal(s.n_events, 4);
    assert_int_equal(s.events[3].at_ns, 100 * NS_S);
    assert_int_equal(s.events[3].kind, EV_BOOT);
    assert_double_eq(s.events[3].fraction, 0.1);
    assert_int_equal(s.events[3].over_ns, NS_S);

    /* Key by key: the event is complete only after both overrides. */
    const char *ov2[] = {"events.0.at=1s", "events.0.reboot={fraction: 1}"};
    assert_int_equal(load_set(MIN_YAML, ov2, 2, &s), 0);
    assert_int_equal(s.n_events, 1);
    assert_int_equal(s.events[0].kind, EV_REBOOT);
}

static void override_creates_missing_mappings(void **state)
{
    struct scenario s;
    const char *ov[] = {"peer.register.retry.cap=1m", "control.lead=1s",
                        "network.allowed=[10.0.0.0/8]", "network.base=10.0.0.1"};
    assert_int_equal(load_set(MIN_YAML, ov, 4, &s), 0);
    assert_int_equal(s.peer.reg.retry.cap_ns, 60 * NS_S);
    assert_int_equal(s.control.lead_ns, NS_S);
    assert_int_equal(s.network.allowed[0].addr, 0x0a000000);
    assert_int_equal(s.network.base, 0x0a000001);
}

static void override_fills_a_required_key(void **state)
{
    struct scenario s;
    const char *ov[] = {"nodes.peers=3"};
    assert_int_equal(load_set("name: t\nduration: 1s\n", ov, 1, &s), 0);
    assert_int_equal(s.nodes.peers, 3);
}

static void override_bad_value_names_the_override(void **state)
{
    struct scenario s;
    const char *ov[] = {"nodes.peers=abc"};
    assert_int_equal(load_set(MIN_YAML, ov, 1, &s), -1);
    assert_string_equal(err,
                        "--set nodes.peers=abc: nodes.peers: expected an unsigned integer, got "
                        "'abc'");
    expect_set_error(MIN_YAML, "nodes=5", "--set nodes=5: nodes: expected a mapping, got '5'");
    expect_set_error(MIN_YAML, "nodes.bootstrap=50",
                     "--set nodes.bootstrap=50: nodes.bootstrap: must be <= nodes.supernodes (8)");
    expect_set_error(MIN_YAML, "events.0={at: 2m, boot: {fraction: 1}}",
                     "--set events.0={at: 2m, boot: {fraction: 1}}: events.0.at: must be < "
                     "duration (1m), got 2m");
}

static void override_unknown_key_is_an_error(void **state)
{
    expect_set_error(MIN_YAML, "nodes.pears=5",
                     "--set nodes.pears=5: nodes.pears: unknown key (expected one of: peers,");
    expect_set_error(MIN_YAML, "x.y.z=1", "--set x.y.z=1: x: unknown key");
}

static void malformed_override_is_an_error(void **state)
{
    expect_set_error(MIN_YAML, "nodes.peers",
                     "--set nodes.peers: malformed override: expected KEY=VALUE");
    expect_set_error(MIN_YAML, "=5", "--set =5: malformed override: empty key");
    expect_set_error(MIN_YAML, "nodes..peers=5",
                     "--set nodes..peers=5: malformed override: empty component");
    expect_set_error(MIN_YAML, "name={a: [}", "--set name={a: [}: invalid value: ");
    expect_set_error(MIN_YAML, "events.2.at=1s",
                     "--set events.2.at=1s: events.2: index out of range (events has 0 "
                     "entries; index 0 appends)");
    expect_set_error(FULL_YAML, "events.x.at=1s",
                     "--set events.x.at=1s: events: expected a sequence index, got 'x'");
}

static void override_empty_value_is_null(void **state)
{
    expect_set_error(MIN_YAML, "nodes.peers=",
                     "--set nodes.peers=: nodes.peers: expected an unsigned integer, got ''");
}

/* ---- durations ---- */

static void duration_parse_accepts_every_unit(void **state)
{
    static const struct {
        const char *text;
        int64_t ns;
    } ok[] = {
        {"250ms", 250 * NS_MS},
        {"1.5s", 1500 * NS_MS},
        {"2m", 120 * NS_S},
        {"1h", 3600 * NS_S},
        {"0s", 0},
        {"10ns", 10},
        {"3us", 3000},
        {"0.5ms", 500000},
        {".25s", 250 * NS_MS},
        {"1.000000001s", NS_S + 1},
        {"9223372036854775807ns", INT64_MAX},
        {"2562047h", 2562047LL * 3600 * NS_S},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t ns = -1;
        if (scenario_parse_duration(ok[i].text, &ns) != 0)
            fail_msg("'%s' did not parse", ok[i].text);
        assert_int_equal(ns, ok[i].ns);
    }
}

static void duration_parse_rejects_bad_text(void **state)
{
    static const char *const bad[] = {
        "",         "5",   "-1s", "5 parsecs", "1.5ns", "abc", "9223372036854775808ns",
        "2562048h", "1.s", ".s",  "1e3s",      "s",     "1ss", "+1s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns = 0;
        if (scenario_parse_duration(bad[i], &ns) == 0)
            fail_msg("'%s' parsed as %lld", bad[i], (long long)ns);
    }
}

static void duration_format_uses_the_largest_exact_unit(void **state)
{
    static const struct {
        int64_t ns;
        const char *text;
    } cases[] = {
        {250 * NS_MS, "250ms"},     {1500 * NS_MS, "1500ms"}, {60 * NS_S, "1m"}, {0, "0s"},
        {3600 * NS_S, "1h"},        {90 * 60 * NS_S, "90m"},  {1, "1ns"},        {2000, "2us"},
        {NS_S + 1, "1000000001ns"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scenario_format_duration(cases[i].ns, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
}

static void duration_format_then_parse_round_trips(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    char buf[32];
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Mix magnitudes and round numbers so every unit shows up. */
        static const int64_t units[] = {1, 1000, NS_MS, NS_S, 60 * NS_S, 3600 * NS_S};
        int64_t u = units[x % 6];
        int64_t ns = (int64_t)((x >> 8) % (uint64_t)(INT64_MAX / u)) * u;
        int64_t back = -1;
        scenario_format_duration(ns, buf, sizeof buf);
        assert_int_equal(scenario_parse_duration(buf, &back), 0);
        assert_int_equal(back, ns);
    }
}

/* ---- JSON ---- */

static void to_json_has_resolved_values(void **state)
{
    struct scenario s;
    const char *ov[] = {"nodes.peers=123"};
    assert_int_equal(load_set(QUICKSTART_YAML, ov, 1, &s), 0);
    char *text = scenario_to_json(&s);
    assert_non_null(text);

    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("json_loads: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(root, "name")), "quickstart");
    assert_int_equal(json_integer_value(json_object_get(root, "seed")), 42);
    assert_string_equal(json_string_value(json_object_get(root, "duration")), "1m");
    json_t *nodes = json_object_get(root, "nodes");
    assert_int_equal(json_integer_value(json_object_get(nodes, "peers")), 123);
    assert_int_equal(json_integer_value(json_object_get(nodes, "bootstrap")), 4);
    json_t *peer = json_object_get(root, "peer");
    assert_string_equal(json_string_value(json_object_get(peer, "boot_delay")),
                        "lognormal(2s, 0.5)");
    json_t *reg = json_object_get(json_object_get(peer, "register"), "retry");
    assert_string_equal(json_string_value(json_object_get(reg, "jitter")), "full");
    assert_string_equal(json_string_value(json_object_get(reg, "base")), "500ms");
    json_t *net = json_object_get(root, "network");
    assert_string_equal(json_string_value(json_object_get(net, "base")), "127.1.0.1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(net, "allowed"), 0)),
                        "127.0.0.0/8");
    json_t *ctl = json_object_get(root, "control");
    assert_string_equal(json_string_value(json_object_get(ctl, "max_lag_p99")), "50ms");
    json_t *ev = json_array_get(json_object_get(root, "events"), 1);
    assert_string_equal(json_string_value(json_object_get(ev, "at")), "30s");
    json_t *rb = json_object_get(ev, "reboot");
    assert_double_eq(json_real_value(json_object_get(rb, "fraction")), 0.5);
    assert_string_equal(json_string_value(json_object_get(rb, "over")), "2s");
    assert_contains(text, "\"fraction\": 0.5,");
    json_decref(root);
    free(text);
}

static void to_json_reloads_as_the_same_scenario(void **state)
{
    /* JSON is YAML: the resolved scenario loads back to the same values. */
    struct scenario a, b;
    const char *ov[] = {"events.2.reboot.fraction=0.1", "peer.boot_delay=lognormal(3s, 0.3)"};
    assert_int_equal(load_set(FULL_YAML, ov, 2, &a), 0);
    char *ja = scenario_to_json(&a);
    assert_non_null(ja);
    assert_contains(ja, "\"fraction\": 0.1,");
    assert_contains(ja, "\"seed\": \"18446744073709551615\"");
    if (scenario_load_string(ja, "json", NULL, 0, &b, err, sizeof err) != 0)
        fail_msg("%s", err);
    char *jb = scenario_to_json(&b);
    assert_non_null(jb);
    assert_string_equal(ja, jb);
    assert_true(b.seed == a.seed);
    assert_double_eq(b.events[2].fraction, 0.1);
    assert_double_eq(b.peer.boot_delay.b, 0.3);
    free(ja);
    free(jb);
}

/* ---- robustness ---- */

static uint64_t fuzz_state = 0x2545F4914F6CDD1DULL;

static uint32_t fuzz_next(void)
{
    fuzz_state ^= fuzz_state << 13;
    fuzz_state ^= fuzz_state >> 7;
    fuzz_state ^= fuzz_state << 17;
    return (uint32_t)(fuzz_state >> 11);
}

static int must_not_crash(const char *text, const char *const *ov, size_t n)
{
    struct scenario s;
    err[0] = '\0';
    int rc = scenario_load_string(text, "fuzz", ov, n, &s, err, sizeof err);
    assert_true(rc == 0 || rc == -1);
    if (rc == -1) {
        /* Every message is located: the file or the override. */
        if (strncmp(err, "fuzz:", 5) != 0 && strncmp(err, "--set ", 6) != 0)
            fail_msg("unlocated message: %s", err);
    } else {
        char *j = scenario_to_json(&s);
        assert_non_null(j);
        free(j);
    }
    return rc;
}

static void random_bytes_never_crash(void **state)
{
    char buf[512];
    for (int i = 0; i < 2000; i++) {
        size_t n = fuzz_next() % (sizeof buf - 1);
        for (size_t k = 0; k < n; k++)
            buf[k] = (char)(1 + fuzz_next() % 255);
        buf[n] = '\0';
        must_not_crash(buf, NULL, 0);
    }
}

static void mutated_files_never_crash(void **state)
{
    static const char pieces[] = ":-[]{},&*!|>'\"#%@ \n\t0123456789.abcsmhn%/";
    static const char *const seeds[] = {FULL_YAML, QUICKSTART_YAML, MIN_YAML};
    char buf[4096];
    int loaded = 0;
    for (int i = 0; i < 4000; i++) {
        const char *seed = seeds[i % 3];
        size_t n = strlen(seed);
        memcpy(buf, seed, n + 1);
        int edits = 1 + (int)(fuzz_next() % 4);
        for (int e = 0; e < edits && n > 0; e++) {
            size_t at = fuzz_next() % n;
            switch (fuzz_next() % 4) {
            case 0: /* overwrite */
                buf[at] = pieces[fuzz_next() % (sizeof pieces - 1)];
                break;
            case 1: /* delete a run */
            {
                size_t len = 1 + fuzz_next() % 8;
                if (at + len > n)
                    len = n - at;
                memmove(buf + at, buf + at + len, n - at - len + 1);
                n -= len;
                break;
            }
            case 2: /* insert */
                if (n + 2 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at + 1);
                    buf[at] = pieces[fuzz_next() % (sizeof pieces - 1)];
                    n++;
                }
                break;
            case 3: /* duplicate a chunk */
            {
                size_t len = 1 + fuzz_next() % 40;
                if (at + len > n)
                    len = n - at;
                if (n + len + 1 < sizeof buf) {
                    memmove(buf + at + len, buf + at, n - at + 1);
                    n += len;
                }
                break;
            }
            }
        }
        if (must_not_crash(buf, NULL, 0) == 0)
            loaded++;
    }
    /* Most mutants are YAML syntax errors; some must get through to the
     * validation and the JSON writer, or this test is not testing them. */
    assert_true(loaded > 20);
}

static void random_overrides_never_crash(void **state)
{
    static const char *const keys[] = {"nodes.peers",
                                       "events.0",
                                       "events.3",
                                       "events.0.boot",
                                       "events.1.at",
                                       "network.allowed",
                                       "peer.login.retry",
                                       "peer",
                                       "x.0.y",
                                       "events",
                                       "network.allowed.0",
                                       "name",
                                       "nodes.1",
                                       "events.0.reboot.fraction",
                                       "control"};
    static const char *const values[] = {"5",
                                         "",
                                         "[1, 2]",
                                         "{a: 1}",
                                         "{at: 1s, boot: {fraction: 1}}",
                                         "[127.0.0.0/8]",
                                         "&a [*a]",
                                         "'x",
                                         "1s",
                                         "~",
                                         "{policy: fixed}",
                                         "- a\n- b",
                                         "50%",
                                         "]",
                                         "a: b: c"};
    char ov[3][128];
    const char *ovp[3];
    for (int i = 0; i < 3000; i++) {
        size_t n = 1 + fuzz_next() % 3;
        for (size_t k = 0; k < n; k++) {
            snprintf(ov[k], sizeof ov[k], "%s=%s", keys[fuzz_next() % 15],
                     values[fuzz_next() % 15]);
            ovp[k] = ov[k];
        }
        must_not_crash(i % 2 ? FULL_YAML : MIN_YAML, ovp, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_file_loads_every_field),
        cmocka_unit_test(minimal_file_gets_every_default),
        cmocka_unit_test(scenario_defaults_fills_every_default),
        cmocka_unit_test(empty_sections_keep_defaults),
        cmocka_unit_test(bootstrap_defaults_to_min_of_four_and_supernodes),
        cmocka_unit_test(jitter_defaults_to_none_without_exponential),
        cmocka_unit_test(fraction_accepts_percent),
        cmocka_unit_test(distributions_parse_every_kind),
        cmocka_unit_test(cidr_host_bits_are_masked),
        cmocka_unit_test(anchors_and_aliases_are_expanded),
        cmocka_unit_test(load_reads_a_file),
        cmocka_unit_test(load_reports_missing_file),
        cmocka_unit_test(failed_load_leaves_output_untouched),

        cmocka_unit_test(unknown_key_is_an_error),
        cmocka_unit_test(sequence_where_scalar_expected_is_an_error),
        cmocka_unit_test(scalar_where_mapping_expected_is_an_error),
        cmocka_unit_test(missing_required_key_points_at_the_mapping),
        cmocka_unit_test(negative_count_is_an_error),
        cmocka_unit_test(non_integer_and_overflow_are_errors),
        cmocka_unit_test(fraction_above_one_is_an_error),
        cmocka_unit_test(malformed_duration_is_an_error),
        cmocka_unit_test(duration_without_unit_is_an_error),
        cmocka_unit_test(duration_bounds_are_checked),
        cmocka_unit_test(bad_distributions_are_errors),
        cmocka_unit_test(bad_enum_lists_the_choices),
        cmocka_unit_test(bad_name_is_an_error),
        cmocka_unit_test(duplicate_key_is_an_error),
        cmocka_unit_test(bootstrap_above_supernodes_is_an_error),
        cmocka_unit_test(equal_ports_are_an_error),
        cmocka_unit_test(cap_below_base_is_an_error),
        cmocka_unit_test(jitter_without_exponential_is_an_error),
        cmocka_unit_test(event_at_not_before_duration_is_an_error),
        cmocka_unit_test(event_needs_exactly_one_action),
        cmocka_unit_test(too_many_events_is_an_error),
        cmocka_unit_test(base_outside_allowed_is_an_error),
        cmocka_unit_test(node_addresses_past_allowed_are_an_error),
        cmocka_unit_test(bad_networks_are_errors),
        cmocka_unit_test(yaml_syntax_error_has_a_location),
        cmocka_unit_test(empty_or_non_mapping_document_is_an_error),
        cmocka_unit_test(hostile_nesting_and_aliases_are_refused),
        cmocka_unit_test(error_buffer_is_never_overrun),

        cmocka_unit_test(override_sets_a_scalar),
        cmocka_unit_test(later_override_wins),
        cmocka_unit_test(override_sets_a_nested_key),
        cmocka_unit_test(override_indexes_an_event),
        cmocka_unit_test(override_appends_an_event),
        cmocka_unit_test(override_creates_missing_mappings),
        cmocka_unit_test(override_fills_a_required_key),
        cmocka_unit_test(override_bad_value_names_the_override),
        cmocka_unit_test(override_unknown_key_is_an_error),
        cmocka_unit_test(malformed_override_is_an_error),
        cmocka_unit_test(override_empty_value_is_null),

        cmocka_unit_test(duration_parse_accepts_every_unit),
        cmocka_unit_test(duration_parse_rejects_bad_text),
        cmocka_unit_test(duration_format_uses_the_largest_exact_unit),
        cmocka_unit_test(duration_format_then_parse_round_trips),

        cmocka_unit_test(to_json_has_resolved_values),
        cmocka_unit_test(to_json_reloads_as_the_same_scenario),

        cmocka_unit_test(random_bytes_never_crash),
        cmocka_unit_test(mutated_files_never_crash),
        cmocka_unit_test(random_overrides_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
