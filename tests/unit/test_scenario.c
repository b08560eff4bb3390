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

    assert_int_equal(s.login_server.cap.workers, 3);
    assert_int_equal(s.login_server.cap.service_time.kind, DIST_UNIFORM);
    assert_double_eq(s.login_server.cap.service_time.a, 1e6);
    assert_double_eq(s.login_server.cap.service_time.b, 3e6);
    assert_int_equal(s.login_server.cap.queue, 0);
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

static void check_retry_layer_defaults(const struct retry_policy *p)
{
    assert_double_eq(p->budget_tokens, 0);
    assert_double_eq(p->budget_ratio, 0.1);
    assert_double_eq(p->throttle_k, 0);
    assert_int_equal(p->throttle_window_ns, 60 * NS_S);
    assert_false(p->obey_retry_after);
}

/* Defaults of the keys added for storm realism (issue 3). */
static void check_new_defaults(const struct scenario *s)
{
    assert_int_equal(s->nodes.services, 0);
    /* login_server and service share the capacity defaults... */
    const struct scn_capacity *caps[] = {&s->login_server.cap, &s->service.cap};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(caps[i]->workers, 4);
        assert_int_equal(caps[i]->service_time.kind, DIST_CONST);
        assert_double_eq(caps[i]->service_time.a, 5e6);
        assert_int_equal(caps[i]->queue, 128);
        assert_int_equal(caps[i]->admission, ADMIT_BOUNDED_QUEUE);
        assert_int_equal(caps[i]->discipline, QUEUE_FIFO);
        assert_double_eq(caps[i]->rate, 0);
        assert_int_equal(caps[i]->burst, 10);
        assert_int_equal(caps[i]->max_wait_ns, 0);
        assert_false(caps[i]->drop_abandoned);
    }
    /* ...supernodes have their own. */
    const struct scn_capacity *sn = &s->supernode.cap;
    assert_int_equal(sn->workers, 1);
    assert_int_equal(sn->service_time.kind, DIST_CONST);
    assert_double_eq(sn->service_time.a, 0);
    assert_int_equal(sn->queue, 100000);
    assert_int_equal(sn->admission, ADMIT_ACCEPT_ALL);
    assert_int_equal(sn->discipline, QUEUE_FIFO);
    assert_double_eq(sn->rate, 0);
    assert_int_equal(sn->burst, 10);
    assert_int_equal(sn->max_wait_ns, 0);
    assert_false(sn->drop_abandoned);
    assert_int_equal(s->service.port, 4432);

    assert_int_equal(s->supernode.max_clients, 0);
    assert_int_equal(s->supernode.overload.action, OVERLOAD_NONE);
    assert_double_eq(s->supernode.overload.load, 0);
    assert_int_equal(s->supernode.overload.lag_ns, 0);
    assert_int_equal(s->supernode.overload.for_ns, 5 * NS_S);
    assert_double_eq(s->supernode.promote.target_ratio, 0);
    assert_int_equal(s->supernode.promote.min_uptime_ns, 30 * NS_S);
    assert_double_eq(s->supernode.promote.capable, 0.2);
    assert_int_equal(s->supernode.promote.max_clients, 100);
    assert_int_equal(s->supernode.promote.check_ns, 5 * NS_S);
    assert_double_eq(s->supernode.promote.demote_below, 0.05);
    assert_int_equal(s->supernode.promote.demote_for_ns, 0);
    assert_int_equal(s->supernode.gossip.interval_ns, 0);
    assert_int_equal(s->supernode.gossip.fanout, 1);

    assert_double_eq(s->workload.request_rate, 0);
    assert_int_equal(s->workload.request.timeout_ns, 5 * NS_S);
    assert_int_equal(s->workload.request.retry.kind, RETRY_EXPONENTIAL);
    assert_int_equal(s->workload.request.retry.base_ns, 500 * NS_MS);
    assert_int_equal(s->workload.request.retry.cap_ns, 30 * NS_S);
    assert_int_equal(s->workload.request.retry.jitter, JITTER_FULL);
    assert_int_equal(s->workload.request.retry.max_attempts, 0);
    check_retry_layer_defaults(&s->peer.login.retry);
    check_retry_layer_defaults(&s->peer.reg.retry);
    check_retry_layer_defaults(&s->workload.request.retry);

    assert_false(s->has_stop_when);

    /* issue 4: no impairment, clock re-estimation every 10 s */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(s->network.impair[i].latency_ns, 0);
        assert_int_equal(s->network.impair[i].jitter_ns, 0);
        assert_true(s->network.impair[i].loss == 0.0);
        assert_int_equal(s->network.impair[i].uplink_Bps, 0);
        assert_int_equal(s->network.impair[i].downlink_Bps, 0);
    }
    assert_int_equal(s->control.resync_ns, 10 * NS_S);
}

static void check_defaults(const struct scenario *s)
{
    assert_int_equal(s->seed, 1);
    assert_int_equal(s->architecture, ARCH_SUPERNODE);
    assert_int_equal(s->nodes.login_servers, 1);
    assert_int_equal(s->nodes.supernodes, 8);
    assert_int_equal(s->nodes.bootstrap, 4);
    assert_int_equal(s->login_server.cap.workers, 4);
    assert_int_equal(s->login_server.cap.service_time.kind, DIST_CONST);
    assert_double_eq(s->login_server.cap.service_time.a, 5e6);
    assert_int_equal(s->login_server.cap.queue, 128);
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
    check_new_defaults(s);
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
    assert_int_equal(s.login_server.cap.service_time.kind, DIST_CONST);
    assert_double_eq(s.login_server.cap.service_time.a, 7e6);
    assert_int_equal(s.peer.boot_delay.kind, DIST_LOGNORMAL);
    assert_double_eq(s.peer.boot_delay.a, 3e9);
    assert_double_eq(s.peer.boot_delay.b, 1.25);

    assert_int_equal(load(MIN_YAML "login_server: {service_time: exp(2ms)}\n"
                                   "peer: {boot_delay: \"uniform(1s, 3s)\"}\n",
                          &s),
                     0);
    assert_int_equal(s.login_server.cap.service_time.kind, DIST_EXP);
    assert_double_eq(s.login_server.cap.service_time.a, 2e6);
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
                       "services, supernodes, bootstrap)");
    /* The capacity keys are listed with the role's own keys. */
    expect_error(MIN_YAML "service: {wrokers: 2}\n",
                 LABEL ":5:11: service.wrokers: unknown key (expected one of: workers, "
                       "service_time, queue, admission, discipline, rate, burst, max_wait, "
                       "drop_abandoned, port)");
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
    expect_error(MIN_YAML "events:\n  - at: 1s\n", LABEL
                 ":6:5: events.0: missing action (expected exactly one of: boot, reboot, crash, "
                 "outage, capacity, inject_supernodes, partition)");
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

/* ---- storm realism (issue 3): capacity, services, supernode dynamics,
 * retry layers, new events, conditions ---- */

/* Every new key set to a value other than its default. Line numbers matter
 * to the error tests below: keep the layout. */
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

static void storm_file_loads_every_new_field(void **state)
{
    struct scenario s;
    if (load(STORM_YAML, &s) != 0)
        fail_msg("%s", err);

    assert_true(s.has_stop_when);
    assert_string_equal(s.stop_when.metric, "online");
    assert_int_equal(s.stop_when.op, CMP_GE);
    assert_double_eq(s.stop_when.value, 0.99);

    assert_int_equal(s.nodes.services, 3);

    const struct scn_capacity *ls = &s.login_server.cap;
    assert_int_equal(ls->workers, 8);
    assert_int_equal(ls->service_time.kind, DIST_EXP);
    assert_double_eq(ls->service_time.a, 2e6);
    assert_int_equal(ls->queue, 64);
    assert_int_equal(ls->admission, ADMIT_TOKEN_BUCKET);
    assert_int_equal(ls->discipline, QUEUE_LIFO);
    assert_double_eq(ls->rate, 0.5);
    assert_int_equal(ls->burst, 20);
    assert_int_equal(ls->max_wait_ns, 0);
    assert_true(ls->drop_abandoned);
    assert_int_equal(s.login_server.backlog, 512);
    assert_int_equal(s.login_server.port, 5000);

    const struct scn_capacity *sv = &s.service.cap;
    assert_int_equal(sv->workers, 2);
    assert_double_eq(sv->service_time.a, 10e6);
    assert_int_equal(sv->queue, 50);
    assert_int_equal(sv->admission, ADMIT_SHED);
    assert_int_equal(sv->discipline, QUEUE_FIFO);
    assert_int_equal(sv->max_wait_ns, 250 * NS_MS);
    assert_false(sv->drop_abandoned);
    assert_int_equal(s.service.port, 5002);

    const struct scn_capacity *sn = &s.supernode.cap;
    assert_int_equal(s.supernode.port, 5001);
    assert_int_equal(s.supernode.list_size, 4);
    assert_int_equal(s.supernode.max_clients, 500);
    assert_int_equal(sn->workers, 2);
    assert_double_eq(sn->service_time.a, 1e6);
    assert_int_equal(sn->queue, 1000);
    assert_int_equal(sn->admission, ADMIT_PACE);
    assert_double_eq(sn->rate, 0.5);
    assert_int_equal(s.supernode.overload.action, OVERLOAD_DEMOTE);
    assert_double_eq(s.supernode.overload.load, 0.9);
    assert_int_equal(s.supernode.overload.lag_ns, 200 * NS_MS);
    assert_int_equal(s.supernode.overload.for_ns, 10 * NS_S);
    assert_double_eq(s.supernode.promote.target_ratio, 0.02);
    assert_int_equal(s.supernode.promote.min_uptime_ns, 60 * NS_S);
    assert_double_eq(s.supernode.promote.capable, 0.3);
    assert_int_equal(s.supernode.promote.max_clients, 200);
    assert_int_equal(s.supernode.promote.check_ns, 2 * NS_S);
    assert_double_eq(s.supernode.promote.demote_below, 0.1);
    assert_int_equal(s.supernode.promote.demote_for_ns, 30 * NS_S);
    assert_int_equal(s.supernode.gossip.interval_ns, 5 * NS_S);
    assert_int_equal(s.supernode.gossip.fanout, 3);

    const struct retry_policy *lr = &s.peer.login.retry;
    assert_int_equal(lr->jitter, JITTER_EQUAL);
    assert_double_eq(lr->budget_tokens, 10);
    assert_double_eq(lr->budget_ratio, 0.2);
    assert_double_eq(lr->throttle_k, 2);
    assert_int_equal(lr->throttle_window_ns, 30 * NS_S);
    assert_true(lr->obey_retry_after);
    assert_int_equal(s.peer.reg.retry.kind, RETRY_FIXED);
    assert_int_equal(s.peer.reg.retry.jitter, JITTER_NONE);
    assert_double_eq(s.peer.reg.retry.budget_tokens, 5);
    assert_double_eq(s.peer.reg.retry.budget_ratio, 0.1);

    assert_int_equal(s.workload.keepalive_ns, 20 * NS_S);
    assert_double_eq(s.workload.request_rate, 0.25);
    assert_int_equal(s.workload.request.timeout_ns, NS_S);
    const struct retry_policy *rr = &s.workload.request.retry;
    assert_int_equal(rr->kind, RETRY_EXPONENTIAL);
    assert_int_equal(rr->jitter, JITTER_DECORRELATED);
    assert_int_equal(rr->base_ns, 100 * NS_MS);
    assert_int_equal(rr->cap_ns, 5 * NS_S);
    assert_int_equal(rr->max_attempts, 4);
    assert_double_eq(rr->throttle_k, 1.5);
    assert_int_equal(rr->throttle_window_ns, 60 * NS_S);
    assert_false(rr->obey_retry_after);

    assert_int_equal(s.n_events, 9);
    const struct scn_event *e = s.events;
    assert_int_equal(e[0].kind, EV_BOOT);
    assert_int_equal(e[0].role, ROLE_PEER);
    assert_false(e[0].conditional);
    assert_int_equal(e[1].kind, EV_REBOOT);
    assert_int_equal(e[1].role, ROLE_PEER);

    assert_int_equal(e[2].kind, EV_CRASH);
    assert_int_equal(e[2].at_ns, 90 * NS_S);
    assert_int_equal(e[2].role, ROLE_SUPERNODE);
    assert_double_eq(e[2].fraction, 0.3);
    assert_int_equal(e[2].over_ns, NS_S);

    assert_int_equal(e[3].kind, EV_OUTAGE);
    assert_int_equal(e[3].role, ROLE_SERVICE);
    assert_int_equal(e[3].for_ns, 30 * NS_S);

    assert_int_equal(e[4].kind, EV_CAPACITY);
    assert_int_equal(e[4].role, ROLE_LOGIN_SERVER);
    assert_int_equal(e[4].workers, 2);
    assert_int_equal(e[4].service_time.kind, DIST_KEEP);
    assert_false(e[4].queue_set);

    assert_int_equal(e[5].kind, EV_CAPACITY);
    assert_int_equal(e[5].role, ROLE_SERVICE);
    assert_int_equal(e[5].workers, 0);
    assert_int_equal(e[5].service_time.kind, DIST_CONST);
    assert_double_eq(e[5].service_time.a, 20e6);
    assert_true(e[5].queue_set);
    assert_int_equal(e[5].queue, 0);

    assert_int_equal(e[6].kind, EV_INJECT_SN);
    assert_true(e[6].conditional);
    assert_string_equal(e[6].when.metric, "online");
    assert_int_equal(e[6].when.op, CMP_GE);
    assert_double_eq(e[6].when.value, 0.9);
    assert_int_equal(e[6].count, 5);
    assert_int_equal(e[6].max_clients, 2000);

    assert_int_equal(e[7].kind, EV_CAPACITY);
    assert_true(e[7].conditional);
    assert_string_equal(e[7].when.metric, "login_busy");
    assert_int_equal(e[7].when.op, CMP_GT);
    assert_double_eq(e[7].when.value, 100);
    assert_int_equal(e[7].role, ROLE_SUPERNODE);
    assert_int_equal(e[7].workers, 4);
    assert_int_equal(e[7].service_time.kind, DIST_EXP);
    assert_true(e[7].queue_set);
    assert_int_equal(e[7].queue, 10);

    assert_int_equal(e[8].kind, EV_CRASH);
    assert_string_equal(e[8].when.metric, "lag_p99_ms");
    assert_int_equal(e[8].when.op, CMP_LT);
    assert_double_eq(e[8].when.value, 25);
    assert_int_equal(e[8].role, ROLE_LOGIN_SERVER);
    assert_double_eq(e[8].fraction, 0.5);
    assert_int_equal(e[8].over_ns, 0);
}

static void inject_supernodes_max_clients_defaults_to_1000(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "events:\n  - {at: 1s, inject_supernodes: {count: 3}}\n", &s),
                     0);
    assert_int_equal(s.events[0].kind, EV_INJECT_SN);
    assert_int_equal(s.events[0].count, 3);
    assert_int_equal(s.events[0].max_clients, 1000);
    assert_false(s.events[0].conditional);
}

static void rates_take_a_unit(void **state)
{
    static const struct {
        const char *text;
        double per_s;
    } ok[] = {{"500/s", 500}, {"30/m", 0.5},   {"0.5/s", 0.5}, {"7200/h", 2},
              {"0/s", 0},     {"1e3/s", 1000}, {"2 / s", 2}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct scenario s;
        char yaml[256];
        snprintf(yaml, sizeof yaml, MIN_YAML "  services: 1\nworkload: {request_rate: %s}\n",
                 ok[i].text);
        if (load(yaml, &s) != 0)
            fail_msg("'%s': %s", ok[i].text, err);
        assert_double_eq(s.workload.request_rate, ok[i].per_s);
    }
    expect_error(MIN_YAML "workload: {request_rate: 500}\n",
                 LABEL ":5:26: workload.request_rate: missing unit /s in '500'");
    expect_error(MIN_YAML "workload: {request_rate: 5/d}\n",
                 LABEL ":5:26: workload.request_rate: unknown unit '/d' in '5/d' (use /s, /m or "
                       "/h)");
    expect_error(MIN_YAML "workload: {request_rate: -5/s}\n",
                 LABEL ":5:26: workload.request_rate: must be >= 0/s, got -5/s");
    expect_error(MIN_YAML "workload: {request_rate: fast}\n",
                 LABEL ":5:26: workload.request_rate: expected a rate like 500/s, got 'fast'");
}

static void request_rate_needs_a_service(void **state)
{
    expect_error(MIN_YAML "workload:\n  request_rate: 1/s\n",
                 LABEL ":6:17: workload.request_rate: needs nodes.services >= 1");
    struct scenario s;
    assert_int_equal(load(MIN_YAML "  services: 1\nworkload:\n  request_rate: 1/s\n", &s), 0);
    assert_int_equal(s.nodes.services, 1);
}

static void services_count_is_bounded(void **state)
{
    expect_error(MIN_YAML "  services: 10000001\n",
                 LABEL ":5:13: nodes.services: must be <= 10000000, got 10000001");
}

static void capacity_keys_are_shared_by_three_roles(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "login_server: {discipline: lifo, drop_abandoned: true}\n"
                                   "service: {workers: 9, queue: 3, admission: accept-all}\n"
                                   "supernode: {admission: bounded-queue, queue: 7}\n",
                          &s),
                     0);
    assert_int_equal(s.login_server.cap.discipline, QUEUE_LIFO);
    assert_true(s.login_server.cap.drop_abandoned);
    assert_int_equal(s.service.cap.workers, 9);
    assert_int_equal(s.service.cap.queue, 3);
    assert_int_equal(s.service.cap.admission, ADMIT_ACCEPT_ALL);
    assert_int_equal(s.supernode.cap.admission, ADMIT_BOUNDED_QUEUE);
    assert_int_equal(s.supernode.cap.queue, 7);
    assert_int_equal(s.supernode.cap.workers, 1); /* the supernode default stays */

    expect_error(MIN_YAML "supernode: {workers: 0}\n",
                 LABEL ":5:22: supernode.workers: must be >= 1, got 0");
    expect_error(MIN_YAML "service: {admission: lifo}\n",
                 LABEL ":5:22: service.admission: expected one of bounded-queue, accept-all, "
                       "token-bucket, shed, pace, got 'lifo'");
    expect_error(MIN_YAML "login_server: {discipline: random}\n",
                 LABEL ":5:28: login_server.discipline: expected one of fifo, lifo, got "
                       "'random'");
    expect_error(MIN_YAML "login_server: {drop_abandoned: maybe}\n",
                 LABEL ":5:32: login_server.drop_abandoned: expected true or false, got "
                       "'maybe'");
    expect_error(MIN_YAML "service: {service_time: [1ms]}\n",
                 LABEL ":5:25: service.service_time: expected a duration or a distribution, got "
                       "a sequence");
}

static void admission_rules_are_checked(void **state)
{
    /* token-bucket and pace need a rate; the message points at what is there. */
    expect_error(MIN_YAML "login_server:\n  admission: token-bucket\n",
                 LABEL ":6:14: login_server.rate: token-bucket admission needs a rate > 0/s");
    expect_error(MIN_YAML "login_server:\n  admission: pace\n  rate: 0/s\n",
                 LABEL ":7:9: login_server.rate: pace admission needs a rate > 0/s");
    expect_error(MIN_YAML "service:\n  admission: token-bucket\n  rate: 5/s\n  burst: 0\n",
                 LABEL ":8:10: service.burst: token-bucket admission needs a burst >= 1");
    /* A key that the admission does not use is an error when set... */
    expect_error(MIN_YAML "login_server:\n  rate: 500/s\n",
                 LABEL ":6:9: login_server.rate: only used by token-bucket and pace admission "
                       "(admission is bounded-queue)");
    expect_error(MIN_YAML "supernode:\n  rate: 500/s\n",
                 LABEL ":6:9: supernode.rate: only used by token-bucket and pace admission "
                       "(admission is accept-all)");
    expect_error(MIN_YAML "service:\n  admission: pace\n  rate: 5/s\n  burst: 3\n",
                 LABEL ":8:10: service.burst: only used by token-bucket admission (admission is "
                       "pace)");
    expect_error(MIN_YAML "login_server:\n  admission: token-bucket\n  rate: 5/s\n"
                          "  max_wait: 1s\n",
                 LABEL ":8:13: login_server.max_wait: only used by shed admission (admission "
                       "is token-bucket)");
    /* ...never by default, and a null leaves it unset. */
    struct scenario s;
    assert_int_equal(load(MIN_YAML "login_server: {admission: token-bucket, rate: 5/s}\n", &s), 0);
    assert_int_equal(s.login_server.cap.burst, 10);
    assert_int_equal(load(MIN_YAML "service: {admission: shed, max_wait: 0s}\n", &s), 0);
    assert_int_equal(load(MIN_YAML "login_server: {admission: shed, rate: ~, burst: }\n", &s), 0);
    assert_double_eq(s.login_server.cap.rate, 0);
}

static void service_port_must_differ_when_there_are_services(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "service: {port: 4430}\n", &s), 0); /* no services */
    expect_error(MIN_YAML "  services: 1\nservice: {port: 4430}\n",
                 LABEL ":6:17: service.port: must differ from login_server.port (both are "
                       "4430)");
    expect_error(MIN_YAML "  services: 1\nservice:\n  port: 4431\n",
                 LABEL ":7:9: service.port: must differ from supernode.port (both are 4431)");
    expect_error(MIN_YAML "  services: 1\nsupernode: {port: 4432}\n",
                 LABEL ":6:19: service.port: must differ from supernode.port (both are 4432)");
}

static void overload_rules_are_checked(void **state)
{
    expect_error(MIN_YAML "supernode:\n  overload: {action: shutdown}\n",
                 LABEL ":6:22: supernode.overload.action: shutdown needs overload.load > 0 or "
                       "overload.lag > 0");
    expect_error(MIN_YAML "supernode:\n  overload: {action: demote, load: 80%}\n",
                 LABEL ":6:36: supernode.overload.load: needs supernode.max_clients > 0");
    expect_error(MIN_YAML "supernode:\n  overload: {action: halt}\n",
                 LABEL ":6:22: supernode.overload.action: expected one of none, shutdown, "
                       "demote, got 'halt'");
    struct scenario s;
    assert_int_equal(load(MIN_YAML "supernode: {overload: {action: shutdown, lag: 1s}}\n", &s), 0);
    assert_int_equal(s.supernode.overload.action, OVERLOAD_SHUTDOWN);
    assert_int_equal(s.supernode.overload.lag_ns, NS_S);
    assert_int_equal(
        load(MIN_YAML "supernode: {max_clients: 50, overload: {action: shutdown, load: 1}}\n", &s),
        0);
    assert_double_eq(s.supernode.overload.load, 1.0);
}

static void promote_and_gossip_bounds_are_checked(void **state)
{
    expect_error(MIN_YAML "supernode: {promote: {check: 0s}}\n",
                 LABEL ":5:30: supernode.promote.check: must be > 0, got 0s");
    expect_error(MIN_YAML "supernode: {promote: {target_ratio: 2}}\n",
                 LABEL ":5:37: supernode.promote.target_ratio: must be in [0, 1]");
    expect_error(MIN_YAML "supernode: {promote: {max_clients: 0}}\n",
                 LABEL ":5:36: supernode.promote.max_clients: must be >= 1, got 0");
    expect_error(MIN_YAML "supernode: {gossip: {fanout: 33}}\n",
                 LABEL ":5:30: supernode.gossip.fanout: must be <= 32, got 33");
    expect_error(MIN_YAML "supernode: {gossip: {fanout: 0}}\n",
                 LABEL ":5:30: supernode.gossip.fanout: must be >= 1, got 0");
    expect_error(MIN_YAML "supernode: {gossip: {period: 1s}}\n",
                 LABEL ":5:22: supernode.gossip.period: unknown key (expected one of: interval, "
                       "fanout)");
}

static void retry_layers_are_checked(void **state)
{
    expect_error(MIN_YAML "peer: {login: {retry: {throttle: {k: 0.5}}}}\n",
                 LABEL ":5:38: peer.login.retry.throttle.k: must be 0 (off) or >= 1, got 0.5");
    expect_error(MIN_YAML "workload: {request: {retry: {throttle: {window: 0s}}}}\n",
                 LABEL ":5:49: workload.request.retry.throttle.window: must be > 0, got 0s");
    expect_error(MIN_YAML "peer: {register: {retry: {budget: {tokens: -1}}}}\n",
                 LABEL ":5:44: peer.register.retry.budget.tokens: must be >= 0, got -1");
    expect_error(MIN_YAML "peer: {register: {retry: {budget: {tokens: lots}}}}\n",
                 LABEL ":5:44: peer.register.retry.budget.tokens: expected a number like 10 or "
                       "0.5, got 'lots'");
    expect_error(MIN_YAML "peer: {register: {retry: {budget: {ratio: 1.5}}}}\n",
                 LABEL ":5:43: peer.register.retry.budget.ratio: must be in [0, 1]");
    expect_error(MIN_YAML "peer: {login: {retry: {obey_retry_after: 1}}}\n",
                 LABEL ":5:42: peer.login.retry.obey_retry_after: expected true or false, got "
                       "'1'");
    /* workload.request gets the same rules as peer.login. */
    expect_error(MIN_YAML "workload: {request: {retry: {policy: none, jitter: full}}}\n",
                 LABEL ":5:52: workload.request.retry.jitter: must be none unless policy is "
                       "exponential (policy is none), got full");
    expect_error(MIN_YAML "workload: {request: {timeout: 0s}}\n",
                 LABEL ":5:31: workload.request.timeout: must be > 0, got 0s");
    struct scenario s;
    assert_int_equal(load(MIN_YAML "workload: {request: {retry: {policy: fixed}}}\n", &s), 0);
    assert_int_equal(s.workload.request.retry.jitter, JITTER_NONE);
}

static void new_event_kinds_are_checked(void **state)
{
    expect_error(MIN_YAML "events:\n  - {at: 1s, outage: {role: peer, for: 5s}}\n",
                 LABEL ":6:29: events.0.outage.role: must be login_server or service, got peer");
    expect_error(MIN_YAML "events:\n  - {at: 1s, outage: {role: login_server}}\n",
                 LABEL ":6:22: events.0.outage: missing required key 'events.0.outage.for'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, outage: {role: login_server, for: 0s}}\n",
                 LABEL ":6:48: events.0.outage.for: must be > 0, got 0s");
    expect_error(MIN_YAML "events:\n  - {at: 1s, crash: {fraction: 0.5}}\n",
                 LABEL ":6:21: events.0.crash: missing required key 'events.0.crash.role'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, crash: {role: everyone, fraction: 1}}\n",
                 LABEL ":6:28: events.0.crash.role: expected one of peer, supernode, "
                       "login_server, service, got 'everyone'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, crash: {role: service, fraction: 1}}\n",
                 LABEL ":6:28: events.0.crash.role: service, but nodes.services is 0");
    expect_error(MIN_YAML "events:\n  - {at: 1s, capacity: {role: service}}\n",
                 LABEL ":6:24: events.0.capacity: expected at least one of workers, "
                       "service_time, queue");
    expect_error(MIN_YAML "events:\n  - {at: 1s, capacity: {role: peer, workers: 2}}\n",
                 LABEL ":6:31: events.0.capacity.role: must be login_server, service or "
                       "supernode, got peer");
    expect_error(MIN_YAML "events:\n  - {at: 1s, capacity: {role: supernode, workers: 0}}\n",
                 LABEL ":6:51: events.0.capacity.workers: must be >= 1, got 0");
    expect_error(MIN_YAML "events:\n  - {at: 1s, inject_supernodes: {count: 0}}\n",
                 LABEL ":6:41: events.0.inject_supernodes.count: must be >= 1, got 0");
    expect_error(MIN_YAML "events:\n  - {at: 1s, inject_supernodes: {max_clients: 5}}\n",
                 LABEL ":6:33: events.0.inject_supernodes: missing required key "
                       "'events.0.inject_supernodes.count'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, crash: {role: peer, fraction: 1}, "
                          "outage: {role: login_server, for: 1s}}\n",
                 LABEL ":6:48: events.0: expected exactly one action, got both crash and outage");
    expect_error(MIN_YAML "events:\n  - {at: 1s, boot: {fraction: 1, role: peer}}\n",
                 LABEL ":6:34: events.0.boot.role: unknown key (expected one of: fraction, over)");
}

static void injected_supernodes_must_fit_the_count_limit(void **state)
{
    expect_error(MIN_YAML "events:\n"
                          "  - {at: 1s, inject_supernodes: {count: 6000000}}\n"
                          "  - {at: 2s, inject_supernodes: {count: 4000001}}\n",
                 LABEL ":7:41: events.1.inject_supernodes.count: the injected supernodes add up "
                       "to 10000001, more than 10000000");
}

static void node_addresses_count_services_and_injected_supernodes(void **state)
{
    /* 127.1.0.0/25 holds nodes 0-126 (127.1.0.1-127.1.0.127); the minimal
     * scenario has 109 nodes. */
    struct scenario s;
    assert_int_equal(load(MIN_YAML "  services: 18\nnetwork: {allowed: [127.1.0.0/25]}\n", &s), 0);
    expect_error(MIN_YAML "  services: 19\nnetwork: {allowed: [127.1.0.0/25]}\n",
                 LABEL ":6:20: network.base: node 127 would get 127.1.0.128");
    assert_int_equal(load(MIN_YAML "network: {allowed: [127.1.0.0/25]}\n"
                                   "events:\n  - {at: 1s, inject_supernodes: {count: 18}}\n",
                          &s),
                     0);
    expect_error(MIN_YAML "network: {allowed: [127.1.0.0/25]}\n"
                          "events:\n  - {at: 1s, inject_supernodes: {count: 10}}\n"
                          "  - {when: online > 0.5, inject_supernodes: {count: 9}}\n",
                 LABEL ":5:20: network.base: node 127 would get 127.1.0.128");
}

static void event_needs_exactly_one_of_at_and_when(void **state)
{
    expect_error(MIN_YAML "events:\n  - {at: 1s, when: online > 0.5, boot: {fraction: 1}}\n",
                 LABEL ":6:14: events.0: expected exactly one of at and when, got both");
    expect_error(MIN_YAML "events:\n  - {boot: {fraction: 1}}\n",
                 LABEL ":6:5: events.0: missing required key 'events.0.at' (or a "
                       "'events.0.when' condition)");
    /* A conditional event has no time, so no check against duration. */
    struct scenario s;
    assert_int_equal(load(MIN_YAML "events:\n  - {when: online > 0.5, boot: {fraction: 1}}\n", &s),
                     0);
    assert_true(s.events[0].conditional);
    assert_int_equal(s.events[0].at_ns, 0);
}

static void conditions_parse(void **state)
{
    static const struct {
        const char *text;
        const char *metric;
        enum scn_cmp op;
        double value;
    } ok[] = {
        {"online >= 0.9", "online", CMP_GE, 0.9},
        {"online>=90%", "online", CMP_GE, 0.9},
        {"  gave_up > 5%  ", "gave_up", CMP_GT, 0.05},
        {"login_ok <= 1e3", "login_ok", CMP_LE, 1000},
        {"ls_queue < 0", "ls_queue", CMP_LT, 0},
        {"lag_max_ms > 250", "lag_max_ms", CMP_GT, 250},
        {"cpu_max >= 0.95", "cpu_max", CMP_GE, 0.95},
        {"sn_count < -1.5", "sn_count", CMP_LT, -1.5},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct scenario s;
        char yaml[256];
        snprintf(yaml, sizeof yaml, MIN_YAML "stop_when: '%s'\n", ok[i].text);
        if (load(yaml, &s) != 0)
            fail_msg("'%s': %s", ok[i].text, err);
        assert_true(s.has_stop_when);
        assert_string_equal(s.stop_when.metric, ok[i].metric);
        assert_int_equal(s.stop_when.op, ok[i].op);
        assert_double_eq(s.stop_when.value, ok[i].value);
    }
}

static void bad_conditions_are_errors(void **state)
{
    expect_error(MIN_YAML "events:\n  - {at: 1s, boot: {fraction: 1}}\n"
                          "  - {at: 2s, boot: {fraction: 1}}\n"
                          "  - when: onlien >= 0.9\n    boot: {fraction: 1}\n",
                 LABEL ":8:11: events.2.when: unknown metric 'onlien' (expected one of: off, "
                       "booting, logging_in, registering, online, ");
    assert_contains(err, "; did you mean 'online'?");
    expect_error(MIN_YAML "stop_when: online == 0.9\n",
                 LABEL ":5:12: stop_when: expected a comparison (>=, >, <= or <) after 'online', "
                       "got '=='");
    expect_error(MIN_YAML "stop_when: online 0.9\n",
                 LABEL ":5:12: stop_when: expected a comparison (>=, >, <= or <) after 'online', "
                       "got '0.9'");
    expect_error(MIN_YAML "stop_when: online >= lots\n",
                 LABEL ":5:12: stop_when: expected a number or a percentage like 90% after '>=', "
                       "got 'lots'");
    expect_error(MIN_YAML "stop_when: 'online >='\n",
                 LABEL ":5:12: stop_when: expected a number or a percentage like 90% after '>=', "
                       "got ''");
    expect_error(MIN_YAML "stop_when: online >= 90 %\n",
                 LABEL ":5:12: stop_when: expected a number or a percentage");
    expect_error(MIN_YAML "stop_when: '>= 0.9'\n",
                 LABEL ":5:12: stop_when: expected a condition like 'online >= 0.9' (METRIC OP "
                       "VALUE), got '>= 0.9'");
    expect_error(MIN_YAML "stop_when: [online, 1]\n",
                 LABEL ":5:12: stop_when: expected a condition like 'online >= 0.9', got a "
                       "sequence");
    expect_error(MIN_YAML "events:\n  - {when: ~, boot: {fraction: 1}}\n",
                 LABEL ":6:12: events.0.when: expected a condition like 'online >= 0.9', got "
                       "nothing");
    /* An unknown metric with no near match gets no suggestion. */
    expect_error(MIN_YAML "stop_when: cpu > 1\n",
                 LABEL ":5:12: stop_when: unknown metric 'cpu' (expected one of: ");
    assert_contains(err, "; did you mean 'cpu_max'?");
    expect_error(MIN_YAML "stop_when: zzzzzzzzzz > 1\n",
                 LABEL ":5:12: stop_when: unknown metric 'zzzzzzzzzz'");
    if (strstr(err, "did you mean"))
        fail_msg("unexpected suggestion: %s", err);
}

static void stop_when_null_means_none(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "stop_when: ~\n", &s), 0);
    assert_false(s.has_stop_when);
    const char *ov[] = {"stop_when="};
    assert_int_equal(load_set(MIN_YAML "stop_when: online >= 1\n", ov, 1, &s), 0);
    assert_false(s.has_stop_when);
    assert_string_equal(s.stop_when.metric, "");
}

static void overrides_reach_the_new_keys(void **state)
{
    struct scenario s;
    const char *ov[] = {
        "login_server.admission=shed",
        "login_server.max_wait=2s",
        "events.2={at: 5s, crash: {role: supernode, fraction: 0.3}}",
        "supernode.overload={action: shutdown, lag: 500ms}",
        "peer.login.retry.budget.tokens=8",
        "workload.request.retry.obey_retry_after=true",
        "nodes.services=2",
        "workload.request_rate=30/m",
        "stop_when=online >= 99%",
        "events.3.when=sn_count < 4",
        "events.3.inject_supernodes={count: 2}",
        "service.admission=token-bucket",
        "service.rate=100/s",
    };
    size_t n = sizeof ov / sizeof ov[0];
    if (load_set(FULL_YAML, ov, n, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.login_server.cap.admission, ADMIT_SHED);
    assert_int_equal(s.login_server.cap.max_wait_ns, 2 * NS_S);
    assert_int_equal(s.n_events, 4);
    assert_int_equal(s.events[2].kind, EV_CRASH);
    assert_int_equal(s.events[2].at_ns, 5 * NS_S);
    assert_int_equal(s.events[2].role, ROLE_SUPERNODE);
    assert_double_eq(s.events[2].fraction, 0.3);
    assert_int_equal(s.supernode.overload.action, OVERLOAD_SHUTDOWN);
    assert_int_equal(s.supernode.overload.lag_ns, 500 * NS_MS);
    assert_double_eq(s.peer.login.retry.budget_tokens, 8);
    assert_true(s.workload.request.retry.obey_retry_after);
    assert_int_equal(s.nodes.services, 2);
    assert_double_eq(s.workload.request_rate, 0.5);
    assert_true(s.has_stop_when);
    assert_double_eq(s.stop_when.value, 0.99);
    assert_true(s.events[3].conditional);
    assert_string_equal(s.events[3].when.metric, "sn_count");
    assert_int_equal(s.events[3].kind, EV_INJECT_SN);
    assert_int_equal(s.events[3].max_clients, 1000);
    assert_int_equal(s.service.cap.admission, ADMIT_TOKEN_BUCKET);
    assert_double_eq(s.service.cap.rate, 100);

    /* Switching the admission of a preset: a key the new policy does not use
     * is an error, and an empty value unsets it. */
    const char *tb[] = {"login_server.admission=bounded-queue"};
    expect_set_error(STORM_YAML, tb[0],
                     LABEL ":17:9: login_server.rate: only used by "
                           "token-bucket and pace admission (admission is "
                           "bounded-queue)");
    const char *tb2[] = {"login_server.admission=bounded-queue",
                         "login_server.rate=", "login_server.burst="};
    if (load_set(STORM_YAML, tb2, 3, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.login_server.cap.admission, ADMIT_BOUNDED_QUEUE);
    assert_double_eq(s.login_server.cap.rate, 0);
    assert_int_equal(s.login_server.cap.burst, 10);

    expect_set_error(MIN_YAML, "login_server.admission=drop",
                     "--set login_server.admission=drop: login_server.admission: expected one of "
                     "bounded-queue, accept-all, token-bucket, shed, pace, got 'drop'");
    expect_set_error(MIN_YAML, "login_server.admission=pace",
                     "--set login_server.admission=pace: login_server.rate: pace admission needs "
                     "a rate > 0/s");
    expect_set_error(MIN_YAML, "stop_when=online = 1",
                     "--set stop_when=online = 1: stop_when: expected a comparison");
    expect_set_error(MIN_YAML, "events.0={at: 1s, outage: {role: supernode, for: 1s}}",
                     "--set events.0={at: 1s, outage: {role: supernode, for: 1s}}: "
                     "events.0.outage.role: must be login_server or service, got supernode");
    expect_set_error(MIN_YAML, "workload.request_rate=5",
                     "--set workload.request_rate=5: workload.request_rate: missing unit /s");
}

static void to_json_writes_the_new_keys(void **state)
{
    struct scenario s;
    assert_int_equal(load(STORM_YAML, &s), 0);
    char *text = scenario_to_json(&s);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("json_loads: %s", jerr.text);

    assert_string_equal(json_string_value(json_object_get(root, "stop_when")), "online >= 0.99");
    json_t *ls = json_object_get(root, "login_server");
    assert_string_equal(json_string_value(json_object_get(ls, "admission")), "token-bucket");
    assert_string_equal(json_string_value(json_object_get(ls, "rate")), "0.5/s");
    assert_int_equal(json_integer_value(json_object_get(ls, "burst")), 20);
    assert_null(json_object_get(ls, "max_wait")); /* not used by token-bucket */
    assert_true(json_is_true(json_object_get(ls, "drop_abandoned")));
    json_t *sv = json_object_get(root, "service");
    assert_string_equal(json_string_value(json_object_get(sv, "max_wait")), "250ms");
    assert_null(json_object_get(sv, "rate"));
    assert_null(json_object_get(sv, "burst"));
    json_t *sn = json_object_get(root, "supernode");
    assert_int_equal(json_integer_value(json_object_get(sn, "workers")), 2);
    assert_string_equal(json_string_value(json_object_get(sn, "rate")), "0.5/s");
    json_t *ov = json_object_get(sn, "overload");
    assert_string_equal(json_string_value(json_object_get(ov, "action")), "demote");
    assert_double_eq(json_real_value(json_object_get(ov, "load")), 0.9);
    json_t *budget = json_object_get(
        json_object_get(json_object_get(json_object_get(root, "peer"), "login"), "retry"),
        "budget");
    assert_double_eq(json_real_value(json_object_get(budget, "tokens")), 10);
    json_t *wl = json_object_get(root, "workload");
    assert_string_equal(json_string_value(json_object_get(wl, "request_rate")), "0.25/s");

    json_t *evs = json_object_get(root, "events");
    json_t *e4 = json_object_get(json_array_get(evs, 4), "capacity");
    assert_int_equal(json_object_size(e4), 2); /* role and workers only */
    assert_int_equal(json_integer_value(json_object_get(e4, "workers")), 2);
    json_t *e5 = json_object_get(json_array_get(evs, 5), "capacity");
    assert_null(json_object_get(e5, "workers"));
    assert_string_equal(json_string_value(json_object_get(e5, "service_time")), "20ms");
    assert_int_equal(json_integer_value(json_object_get(e5, "queue")), 0);
    json_t *e6 = json_array_get(evs, 6);
    assert_null(json_object_get(e6, "at"));
    assert_string_equal(json_string_value(json_object_get(e6, "when")), "online >= 0.9");
    assert_string_equal(json_string_value(json_object_get(json_array_get(evs, 8), "when")),
                        "lag_p99_ms < 25");
    json_t *e3 = json_object_get(json_array_get(evs, 3), "outage");
    assert_string_equal(json_string_value(json_object_get(e3, "role")), "service");
    assert_string_equal(json_string_value(json_object_get(e3, "for")), "30s");
    json_decref(root);
    free(text);

    /* Unset stop_when is written as null (which loads back as unset). */
    assert_int_equal(load(MIN_YAML, &s), 0);
    text = scenario_to_json(&s);
    assert_contains(text, "\"stop_when\": null,");
    free(text);
}

static void to_json_reloads_every_new_key(void **state)
{
    struct scenario a, b;
    const char *ov[] = {"workload.request_rate=1/m", "peer.login.retry.budget.ratio=0.3"};
    if (load_set(STORM_YAML, ov, 2, &a) != 0)
        fail_msg("%s", err);
    char *ja = scenario_to_json(&a);
    assert_non_null(ja);
    if (scenario_load_string(ja, "json", NULL, 0, &b, err, sizeof err) != 0)
        fail_msg("%s\n%s", err, ja);
    char *jb = scenario_to_json(&b);
    assert_non_null(jb);
    assert_string_equal(ja, jb);
    /* Bit for bit, apart from the strings' unused tails. */
    assert_true(b.workload.request_rate == a.workload.request_rate);
    assert_true(b.peer.login.retry.budget_ratio == a.peer.login.retry.budget_ratio);
    assert_true(b.supernode.promote.capable == a.supernode.promote.capable);
    assert_int_equal(b.n_events, a.n_events);
    for (uint32_t i = 0; i < a.n_events; i++) {
        assert_int_equal(b.events[i].kind, a.events[i].kind);
        assert_int_equal(b.events[i].conditional, a.events[i].conditional);
        assert_string_equal(b.events[i].when.metric, a.events[i].when.metric);
        assert_true(b.events[i].when.value == a.events[i].when.value);
        assert_int_equal(b.events[i].role, a.events[i].role);
        assert_int_equal(b.events[i].service_time.kind, a.events[i].service_time.kind);
        assert_int_equal(b.events[i].queue_set, a.events[i].queue_set);
    }
    assert_true(memcmp(&a.login_server, &b.login_server, sizeof a.login_server) == 0);
    assert_true(memcmp(&a.service, &b.service, sizeof a.service) == 0);
    assert_true(memcmp(&a.supernode, &b.supernode, sizeof a.supernode) == 0);
    assert_true(memcmp(&a.workload, &b.workload, sizeof a.workload) == 0);
    assert_true(memcmp(&a.peer, &b.peer, sizeof a.peer) == 0);
    free(ja);
    free(jb);
}

/* ---- across machines (issue 4): network impairment, clock resync,
 * partitions ---- */

/* Line numbers matter to the error tests below: keep the layout. */
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

static void impair_file_loads_every_new_field(void **state)
{
    struct scenario s;
    if (load(IMPAIR_YAML, &s) != 0)
        fail_msg("%s", err);

    const struct scn_impair *p = &s.network.impair[ROLE_PEER];
    assert_int_equal(p->latency_ns, 100 * NS_MS);
    assert_int_equal(p->jitter_ns, 250 * NS_MS); /* jitter > latency is fine */
    assert_double_eq(p->loss, 0.01);
    assert_int_equal(p->uplink_Bps, 125000);
    assert_int_equal(p->downlink_Bps, 1000000);

    const struct scn_impair *sn = &s.network.impair[ROLE_SUPERNODE];
    assert_int_equal(sn->latency_ns, 20 * NS_MS);
    assert_int_equal(sn->jitter_ns, 0);
    assert_double_eq(sn->loss, 0.5);
    assert_int_equal(sn->uplink_Bps, 125000);
    assert_int_equal(sn->downlink_Bps, 0);

    const struct scn_impair *ls = &s.network.impair[ROLE_LOGIN_SERVER];
    assert_int_equal(ls->latency_ns, 0);
    assert_int_equal(ls->jitter_ns, 3 * NS_MS);
    assert_true(ls->loss == 0.0);
    assert_int_equal(ls->uplink_Bps, 0);
    assert_int_equal(ls->downlink_Bps, 125000000);

    const struct scn_impair *sv = &s.network.impair[ROLE_SERVICE];
    assert_int_equal(sv->latency_ns, NS_S);
    assert_int_equal(sv->uplink_Bps, 2500000);
    assert_int_equal(sv->downlink_Bps, 0);

    assert_int_equal(s.control.resync_ns, 2 * NS_S);

    assert_int_equal(s.n_events, 3);
    const struct scn_event *e = &s.events[1];
    assert_int_equal(e->kind, EV_PARTITION);
    assert_int_equal(e->at_ns, 60 * NS_S);
    assert_int_equal(e->for_ns, 10 * NS_S);
    for (int r = 0; r < SCN_MAX_RANKS; r++)
        assert_int_equal(e->group_of_rank[r], r == 1 || r == 2 ? 1 : r == 3 ? 2 : 0);
    e = &s.events[2];
    assert_int_equal(e->kind, EV_PARTITION);
    assert_true(e->conditional);
    assert_string_equal(e->when.metric, "online");
    assert_int_equal(e->for_ns, 1500 * NS_MS);
    assert_int_equal(e->group_of_rank[0], 1);
    assert_int_equal(e->group_of_rank[255], 2);
    assert_int_equal(e->group_of_rank[7], 2);
    assert_int_equal(e->group_of_rank[4], 3);
    assert_int_equal(e->group_of_rank[1], 0);
    /* Partitions add no nodes. */
    assert_int_equal(scenario_total_nodes(&s), 510);
}

static void impair_applies_to_each_class(void **state)
{
    static const char *const classes[] = {"peer", "supernode", "login_server", "service"};
    for (int i = 0; i < 4; i++) {
        struct scenario s;
        char ov[2][96];
        snprintf(ov[0], sizeof ov[0], "network.impair.%s.latency=%dms", classes[i], 10 + i);
        snprintf(ov[1], sizeof ov[1], "network.impair.%s={loss: 2%%, uplink: %dkbit}", classes[i],
                 100 + i);
        /* the second replaces the whole class mapping, latency included */
        const char *ovs[] = {ov[0]};
        if (load_set(MIN_YAML, ovs, 1, &s) != 0)
            fail_msg("%s", err);
        for (int j = 0; j < 4; j++)
            assert_int_equal(s.network.impair[j].latency_ns, j == i ? (10 + i) * NS_MS : 0);
        const char *ovs2[] = {ov[0], ov[1]};
        if (load_set(MIN_YAML, ovs2, 2, &s) != 0)
            fail_msg("%s", err);
        for (int j = 0; j < 4; j++) {
            assert_int_equal(s.network.impair[j].latency_ns, 0);
            assert_double_eq(s.network.impair[j].loss, j == i ? 0.02 : 0);
            assert_int_equal(s.network.impair[j].uplink_Bps, j == i ? (100 + i) * 125 : 0);
        }
    }
    /* An empty impair section, or an empty class, keeps the defaults. */
    struct scenario s;
    assert_int_equal(load(MIN_YAML "network: {impair: {peer: {}, service: ~}}\n", &s), 0);
    check_defaults(&s);
    assert_int_equal(load(MIN_YAML "network:\n  impair:\n", &s), 0);
    check_defaults(&s);
}

static void bandwidth_parse_cases(void **state)
{
    static const struct {
        const char *text;
        uint64_t Bps;
    } ok[] = {
        {"0bit", 0},
        {"0mbit", 0},
        {"0B/s", 0},
        {"8000bit", 1000},
        {"8kbit", 1000},
        {"8Kbit", 1000},
        {"100kbit", 12500},
        {"1mbit", 125000},
        {"8Mbit/s", 1000000},
        {"8MBIT/s", 1000000},
        {"8 mbit", 1000000},
        {"1.5mbit", 187500},
        {"1gbit", 125000000},
        {"10Gbit/s", 1250000000},
        {"1000gbit", 125000000000ULL},
        {"8000000bit", 1000000},
        {"8000000bit/s", 1000000},
        {"1000B/s", 1000},
        {"1000B", 1000},
        {"125kB/s", 125000},
        {"125KB/s", 125000},
        {"2.5MB/s", 2500000},
        {"1GB/s", 1000000000},
        {"100.3kbit", 12538}, /* 12537.5 bytes: rounded to the nearest */
        {"\"1mbit\"", 125000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct scenario s;
        char ov[96];
        snprintf(ov, sizeof ov, "network.impair.peer.uplink=%s", ok[i].text);
        const char *ovs[] = {ov};
        if (load_set(MIN_YAML, ovs, 1, &s) != 0)
            fail_msg("%s: %s", ok[i].text, err);
        if (s.network.impair[ROLE_PEER].uplink_Bps != ok[i].Bps)
            fail_msg("%s: got %llu B/s, want %llu", ok[i].text,
                     (unsigned long long)s.network.impair[ROLE_PEER].uplink_Bps,
                     (unsigned long long)ok[i].Bps);
    }

    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {"100", "missing unit (e.g. 1mbit or 125kB/s) in '100'"},
        {"0", "missing unit (e.g. 1mbit or 125kB/s) in '0'"},
        {"1.5", "missing unit (e.g. 1mbit or 125kB/s)"},
        {"7kbit", "must be at least 8kbit (1kB/s) when not 0, got 7kbit"},
        {"999B/s", "must be at least 8kbit (1kB/s) when not 0, got 999B/s"},
        {"1bit", "must be at least 8kbit"}, /* rounds to 0 B/s, but is not 0 */
        {"0.001bit", "must be at least 8kbit"},
        {"1001gbit", "must be at most 1000gbit (125GB/s), got 1001gbit"},
        {"126GB/s", "must be at most 1000gbit"},
        {"99999999999999999999999999999999999999999gbit", "must be at most 1000gbit"},
        {"-1mbit", "must be >= 0, got -1mbit"},
        {"1mb", "unknown unit 'mb' in '1mb' (use bit, kbit, mbit, gbit"},
        {"1kb/s", "unknown unit 'kb/s'"},
        {"1mB/s", "unknown unit 'mB/s'"},
        {"1tbit", "unknown unit 'tbit'"},
        {"1mbps", "unknown unit 'mbps'"},
        {"1 mbit/h", "unknown unit 'mbit/h'"},
        {"mbit", "expected a bandwidth like 1mbit or 125kB/s, got 'mbit'"},
        {"1.mbit", "expected a bandwidth like 1mbit or 125kB/s"},
        {"[1mbit]", "expected a bandwidth like 1mbit or 125kB/s, got a sequence"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char ov[128], want[256];
        snprintf(ov, sizeof ov, "network.impair.peer.downlink=%s", bad[i].text);
        snprintf(want, sizeof want, "--set %s: network.impair.peer.downlink: %s", ov, bad[i].msg);
        expect_set_error(MIN_YAML, ov, want);
    }
    /* In a file: FILE:LINE:COL at the value. */
    expect_error(MIN_YAML "network:\n  impair:\n    supernode: {uplink: 64}\n",
                 LABEL ":7:25: network.impair.supernode.uplink: missing unit (e.g. 1mbit or "
                       "125kB/s) in '64'");
}

static void impair_rules_are_checked(void **state)
{
    expect_error(MIN_YAML "network:\n  impair:\n    peer:\n      loss: 1\n",
                 LABEL ":8:13: network.impair.peer.loss: must be < 1 (100%), got 1");
    expect_error(MIN_YAML "network: {impair: {login_server: {loss: 100%}}}\n",
                 LABEL ":5:41: network.impair.login_server.loss: must be < 1 (100%), got 100%");
    expect_error(MIN_YAML "network: {impair: {peer: {loss: 1.5}}}\n",
                 LABEL ":5:33: network.impair.peer.loss: must be in [0, 1]");
    expect_error(MIN_YAML "network: {impair: {peer: {loss: -0.1}}}\n",
                 LABEL ":5:33: network.impair.peer.loss: must be in [0, 1]");
    expect_error(MIN_YAML "network: {impair: {peer: {latency: 2h}}}\n",
                 LABEL ":5:36: network.impair.peer.latency: must be <= 1h, got 2h");
    expect_error(MIN_YAML "network: {impair: {peer: {jitter: 100}}}\n",
                 LABEL ":5:35: network.impair.peer.jitter: missing unit in '100'");
    expect_error(MIN_YAML "network: {impair: {peers: {latency: 1ms}}}\n",
                 LABEL ":5:20: network.impair.peers: unknown key (expected one of: peer, "
                       "supernode, login_server, service)");
    expect_error(MIN_YAML "network: {impair: {peer: {delay: 1ms}}}\n",
                 LABEL ":5:27: network.impair.peer.delay: unknown key (expected one of: latency, "
                       "jitter, loss, uplink, downlink)");
    expect_error(MIN_YAML "network: {impair: [peer]}\n",
                 LABEL ":5:19: network.impair: expected a mapping, got a sequence");
    expect_error(MIN_YAML "network: {impair: {peer: 10ms}}\n",
                 LABEL ":5:26: network.impair.peer: expected a mapping, got '10ms'");
    /* 99.9% is a valid loss. */
    struct scenario s;
    assert_int_equal(load(MIN_YAML "network: {impair: {peer: {loss: 99.9%}}}\n", &s), 0);
    assert_double_eq(s.network.impair[ROLE_PEER].loss, 0.999);
}

static void resync_is_off_or_at_least_100ms(void **state)
{
    struct scenario s;
    assert_int_equal(load(MIN_YAML "control: {resync: 0s}\n", &s), 0);
    assert_int_equal(s.control.resync_ns, 0);
    assert_int_equal(load(MIN_YAML "control: {resync: 100ms}\n", &s), 0);
    assert_int_equal(s.control.resync_ns, 100 * NS_MS);
    assert_int_equal(load(MIN_YAML "control: {resync: 1h}\n", &s), 0);
    assert_int_equal(s.control.resync_ns, 3600 * NS_S);
    expect_error(MIN_YAML "control:\n  resync: 99ms\n",
                 LABEL ":6:11: control.resync: must be 0s (off) or >= 100ms, got 99ms");
    expect_error(MIN_YAML "control: {resync: 1}\n",
                 LABEL ":5:19: control.resync: missing unit in '1'");
    expect_set_error(MIN_YAML, "control.resync=10ms",
                     "--set control.resync=10ms: control.resync: must be 0s (off) or >= 100ms, "
                     "got 10ms");
}

static void partition_events_are_checked(void **state)
{
    struct scenario s;
    /* Two groups of one rank each, and the coordinator (rank 0) in one. */
    assert_int_equal(
        load(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[0, 1], [2]], for: 1ms}}\n", &s),
        0);
    assert_int_equal(s.events[0].kind, EV_PARTITION);
    assert_int_equal(s.events[0].group_of_rank[0], 1);
    assert_int_equal(s.events[0].group_of_rank[1], 1);
    assert_int_equal(s.events[0].group_of_rank[2], 2);
    assert_int_equal(s.events[0].group_of_rank[3], 0);
    /* Eight groups is the most. */
    assert_int_equal(load(MIN_YAML "events:\n  - {at: 1s, partition: {for: 1s, groups: "
                                   "[[1], [2], [3], [4], [5], [6], [7], [8]]}}\n",
                          &s),
                     0);
    for (int r = 1; r <= 8; r++)
        assert_int_equal(s.events[0].group_of_rank[r], r);

    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1, 2], [3, 1]], for: 5s}}\n",
                 LABEL ":6:47: events.0.partition.groups.1.1: rank 1 is in two groups "
                       "(events.0.partition.groups.0 and events.0.partition.groups.1)");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1, 1]], for: 5s}}\n",
                 LABEL ":6:34: events.0.partition.groups: expected 2 to 8 groups, got 1");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[2, 2], [3]], for: 5s}}\n",
                 LABEL ":6:39: events.0.partition.groups.0.1: rank 2 is in two groups "
                       "(events.0.partition.groups.0 and events.0.partition.groups.0)");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [], for: 5s}}\n",
                 LABEL ":6:34: events.0.partition.groups: expected 2 to 8 groups, got 0");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {for: 1s, groups: "
                          "[[1], [2], [3], [4], [5], [6], [7], [8], [9]]}}\n",
                 LABEL ":6:43: events.0.partition.groups: expected 2 to 8 groups, got 9");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [256]], for: 5s}}\n",
                 LABEL ":6:41: events.0.partition.groups.1.0: expected a rank 0 to 255, got "
                       "'256'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [-1]], for: 5s}}\n",
                 LABEL ":6:41: events.0.partition.groups.1.0: expected a rank 0 to 255, got '-1'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [x]], for: 5s}}\n",
                 LABEL ":6:41: events.0.partition.groups.1.0: expected a rank 0 to 255, got 'x'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], []], for: 5s}}\n",
                 LABEL ":6:40: events.0.partition.groups.1: a group needs at least one rank");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [1, 2], for: 5s}}\n",
                 LABEL ":6:35: events.0.partition.groups.0: expected a list of ranks like [1, 2], "
                       "got '1'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [[2]]], for: 5s}}\n",
                 LABEL ":6:41: events.0.partition.groups.1.0: expected a rank number, got a "
                       "sequence");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: 1-2, for: 5s}}\n",
                 LABEL ":6:34: events.0.partition.groups: expected a list of groups of ranks "
                       "like [[1, 2], [3]], got '1-2'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [2]]}}\n",
                 LABEL ":6:25: events.0.partition: missing required key "
                       "'events.0.partition.for'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {for: 5s}}\n",
                 LABEL ":6:25: events.0.partition: missing required key "
                       "'events.0.partition.groups'");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [2]], for: 0s}}\n",
                 LABEL ":6:51: events.0.partition.for: must be > 0, got 0s");
    expect_error(MIN_YAML "events:\n  - {at: 1s, partition: {groups: [[1], [2]], for: 1s, "
                          "role: peer}}\n",
                 LABEL ":6:55: events.0.partition.role: unknown key (expected one of: groups, "
                       "for)");
    expect_error(MIN_YAML "events:\n  - {at: 60s, partition: {groups: [[1], [2]], for: 1s}}\n",
                 LABEL ":6:10: events.0.at: must be < duration (1m), got 1m");
}

static void overrides_reach_the_impair_keys(void **state)
{
    struct scenario s;
    const char *ov[] = {
        "network.impair.peer.latency=100ms",
        "events.2={at: 5s, partition: {groups: [[1],[2]], for: 3s}}",
        "control.resync=0s",
        "network.impair.service.downlink=8Mbit/s",
    };
    if (load_set(QUICKSTART_YAML, ov, 4, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.network.impair[ROLE_PEER].latency_ns, 100 * NS_MS);
    assert_int_equal(s.network.impair[ROLE_SERVICE].downlink_Bps, 1000000);
    assert_int_equal(s.control.resync_ns, 0);
    assert_int_equal(s.n_events, 3);
    assert_int_equal(s.events[2].kind, EV_PARTITION);
    assert_int_equal(s.events[2].at_ns, 5 * NS_S);
    assert_int_equal(s.events[2].for_ns, 3 * NS_S);
    assert_int_equal(s.events[2].group_of_rank[1], 1);
    assert_int_equal(s.events[2].group_of_rank[2], 2);
    assert_int_equal(s.events[2].group_of_rank[0], 0);

    /* A partition's groups key by key, and replaced as a whole. */
    const char *ov2[] = {"events.1.partition.groups.1.0=9", "events.1.partition.for=1m"};
    if (load_set(IMPAIR_YAML, ov2, 2, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.events[1].group_of_rank[3], 0);
    assert_int_equal(s.events[1].group_of_rank[9], 2);
    assert_int_equal(s.events[1].for_ns, 60 * NS_S);

    expect_set_error(MIN_YAML, "network.impair.peer.latency=100",
                     "--set network.impair.peer.latency=100: network.impair.peer.latency: "
                     "missing unit in '100'");
    expect_set_error(MIN_YAML, "events.0={at: 5s, partition: {groups: [[1],[1]], for: 3s}}",
                     "--set events.0={at: 5s, partition: {groups: [[1],[1]], for: 3s}}: "
                     "events.0.partition.groups.1.0: rank 1 is in two groups");
    /* Appending a group. */
    const char *ov3[] = {"events.2.partition.groups.3=[3, 5]"};
    if (load_set(IMPAIR_YAML, ov3, 1, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.events[2].group_of_rank[3], 4);
    assert_int_equal(s.events[2].group_of_rank[5], 4);
    expect_set_error(IMPAIR_YAML, "events.2.partition.groups.3=[4]",
                     "--set events.2.partition.groups.3=[4]: events.2.partition.groups.3.0: "
                     "rank 4 is in two groups (events.2.partition.groups.2 and "
                     "events.2.partition.groups.3)");
}

static void to_json_writes_the_impair_keys(void **state)
{
    struct scenario s;
    if (load(IMPAIR_YAML, &s) != 0)
        fail_msg("%s", err);
    char *text = scenario_to_json(&s);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("json_loads: %s", jerr.text);

    json_t *imp = json_object_get(json_object_get(root, "network"), "impair");
    assert_int_equal(json_object_size(imp), 4);
    json_t *p = json_object_get(imp, "peer");
    assert_string_equal(json_string_value(json_object_get(p, "latency")), "100ms");
    assert_string_equal(json_string_value(json_object_get(p, "jitter")), "250ms");
    assert_double_eq(json_real_value(json_object_get(p, "loss")), 0.01);
    assert_string_equal(json_string_value(json_object_get(p, "uplink")), "1mbit");
    assert_string_equal(json_string_value(json_object_get(p, "downlink")), "8mbit");
    json_t *sn = json_object_get(imp, "supernode");
    assert_string_equal(json_string_value(json_object_get(sn, "uplink")), "1mbit");
    assert_string_equal(json_string_value(json_object_get(sn, "downlink")), "0bit");
    json_t *sv = json_object_get(imp, "service");
    assert_string_equal(json_string_value(json_object_get(sv, "uplink")), "20mbit");
    assert_string_equal(json_string_value(json_object_get(sv, "latency")), "1s");
    json_t *ls = json_object_get(imp, "login_server");
    assert_string_equal(json_string_value(json_object_get(ls, "downlink")), "1gbit");
    assert_double_eq(json_real_value(json_object_get(ls, "loss")), 0);

    assert_string_equal(
        json_string_value(json_object_get(json_object_get(root, "control"), "resync")), "2s");

    json_t *evs = json_object_get(root, "events");
    json_t *e1 = json_array_get(evs, 1);
    assert_string_equal(json_string_value(json_object_get(e1, "at")), "1m");
    json_t *part = json_object_get(e1, "partition");
    assert_int_equal(json_object_size(part), 2);
    assert_string_equal(json_string_value(json_object_get(part, "for")), "10s");
    char *groups = json_dumps(json_object_get(part, "groups"), JSON_COMPACT);
    assert_string_equal(groups, "[[1,2],[3]]");
    free(groups);
    /* Ranks are written in order within their group. */
    groups =
        json_dumps(json_object_get(json_object_get(json_array_get(evs, 2), "partition"), "groups"),
                   JSON_COMPACT);
    assert_string_equal(groups, "[[0],[7,255],[4]]");
    free(groups);
    json_decref(root);
    free(text);

    /* Odd bandwidths are written exactly, in the largest exact bit unit. */
    static const struct {
        const char *in, *out;
    } bw[] = {
        {"1000B/s", "8kbit"},    {"1001B/s", "8008bit"},  {"100.3kbit", "100304bit"},
        {"125kB/s", "1mbit"},    {"1.5mbit", "1500kbit"}, {"125GB/s", "1000gbit"},
        {"8000000bit", "8mbit"}, {"2.5MB/s", "20mbit"},   {"0B/s", "0bit"},
    };
    for (size_t i = 0; i < sizeof bw / sizeof bw[0]; i++) {
        char ov[96], want[96];
        snprintf(ov, sizeof ov, "network.impair.peer.uplink=%s", bw[i].in);
        const char *ovs[] = {ov};
        if (load_set(MIN_YAML, ovs, 1, &s) != 0)
            fail_msg("%s", err);
        text = scenario_to_json(&s);
        snprintf(want, sizeof want, "\"uplink\": \"%s\"", bw[i].out);
        assert_contains(text, want);
        free(text);
    }
}

static void to_json_reloads_every_impair_key(void **state)
{
    struct scenario a, b;
    const char *ov[] = {
        "network.impair.login_server.uplink=1001B/s",
        "network.impair.supernode.loss=0.123456789",
        "network.impair.service.jitter=1500us",
        "events.3={at: 2m, partition: {groups: [[9, 8], [6], [5, 200]], for: 1h}}",
        "network.impair_groups=[{ranks: [9, 4, 250], loss: 0.123456789, downlink: 1001B/s}, "
        "{ranks: [200], jitter: 1500us, uplink: 100.3kbit}, {ranks: [0]}]",
    };
    if (load_set(IMPAIR_YAML, ov, 5, &a) != 0)
        fail_msg("%s", err);
    char *ja = scenario_to_json(&a);
    assert_non_null(ja);
    if (scenario_load_string(ja, "json", NULL, 0, &b, err, sizeof err) != 0)
        fail_msg("%s\n%s", err, ja);
    char *jb = scenario_to_json(&b);
    assert_non_null(jb);
    assert_string_equal(ja, jb);
    assert_true(memcmp(&a.network, &b.network, sizeof a.network) == 0);
    assert_true(memcmp(&a.control, &b.control, sizeof a.control) == 0);
    assert_int_equal(b.n_events, 4);
    for (uint32_t i = 0; i < a.n_events; i++) {
        assert_int_equal(b.events[i].kind, a.events[i].kind);
        assert_int_equal(b.events[i].at_ns, a.events[i].at_ns);
        assert_int_equal(b.events[i].for_ns, a.events[i].for_ns);
        assert_true(memcmp(a.events[i].group_of_rank, b.events[i].group_of_rank, SCN_MAX_RANKS) ==
                    0);
    }
    assert_int_equal(b.events[3].group_of_rank[200], 3);
    assert_int_equal(b.network.n_impair_groups, 3);
    assert_int_equal(b.network.impair_group_of_rank[4], 1);
    assert_int_equal(b.network.impair_group_of_rank[250], 1);
    assert_int_equal(b.network.impair_group_of_rank[200], 2);
    assert_int_equal(b.network.impair_group_of_rank[0], 3);
    assert_double_eq(b.network.impair_group[0].loss, 0.123456789);
    assert_int_equal(b.network.impair_group[1].jitter_ns, 1500000);
    free(ja);
    free(jb);
}

/* ---- host groups: network.impair_groups ---- */

/* Line numbers matter to the error tests below: keep the layout. */
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

static void impair_groups_load(void **state)
{
    struct scenario s;
    if (load(HOSTS_YAML, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.network.n_impair_groups, 2);
    const struct scn_impair *g = &s.network.impair_group[0];
    assert_int_equal(g->latency_ns, 50 * NS_MS);
    assert_int_equal(g->jitter_ns, 5 * NS_MS);
    assert_double_eq(g->loss, 0.02);
    assert_int_equal(g->uplink_Bps, 125000);
    assert_int_equal(g->downlink_Bps, 125000);
    /* A group's keys default as a class's: nothing added. */
    g = &s.network.impair_group[1];
    assert_int_equal(g->latency_ns, 0);
    assert_int_equal(g->jitter_ns, 0);
    assert_double_eq(g->loss, 0);
    assert_int_equal(g->uplink_Bps, 0);
    assert_int_equal(g->downlink_Bps, 0);
    /* The class settings are their own. */
    assert_int_equal(s.network.impair[ROLE_PEER].latency_ns, 10 * NS_MS);
    for (int r = 0; r < SCN_MAX_RANKS; r++) {
        int want = r == 2 || r == 3 ? 1 : r == 0 || r == 255 ? 2 : 0;
        assert_int_equal(s.network.impair_group_of_rank[r], want);
    }

    /* Eight groups is the most. */
    assert_int_equal(load(MIN_YAML "network:\n  impair_groups: [{ranks: [1]}, {ranks: [2]}, "
                                   "{ranks: [3]}, {ranks: [4]}, {ranks: [5]}, {ranks: [6]}, "
                                   "{ranks: [7]}, {ranks: [8, 9]}]\n",
                          &s),
                     0);
    assert_int_equal(s.network.n_impair_groups, 8);
    assert_int_equal(s.network.impair_group_of_rank[9], 8);
}

static void impair_groups_default_to_none(void **state)
{
    static const char *const yamls[] = {
        MIN_YAML,
        MIN_YAML "network: {impair_groups: []}\n",
        MIN_YAML "network:\n  impair_groups:\n",
        MIN_YAML "network: {impair_groups: ~}\n",
    };
    for (size_t i = 0; i < sizeof yamls / sizeof yamls[0]; i++) {
        struct scenario s;
        memset(&s, 0xa5, sizeof s);
        if (load(yamls[i], &s) != 0)
            fail_msg("%s", err);
        assert_int_equal(s.network.n_impair_groups, 0);
        for (int r = 0; r < SCN_MAX_RANKS; r++)
            assert_int_equal(s.network.impair_group_of_rank[r], 0);
    }
    struct scenario d;
    scenario_defaults(&d);
    assert_int_equal(d.network.n_impair_groups, 0);
    assert_int_equal(d.network.impair_group_of_rank[0], 0);
}

static void impair_group_errors(void **state)
{
    expect_error(MIN_YAML "network:\n  impair_groups:\n    - {ranks: [1, 2]}\n"
                          "    - {ranks: [4, 2]}\n",
                 LABEL ":8:19: network.impair_groups.1.ranks.1: rank 2 is in two groups "
                       "(network.impair_groups.0 and network.impair_groups.1)");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [256]}]}\n",
                 LABEL ":5:36: network.impair_groups.0.ranks.0: expected a rank 0 to 255, got "
                       "'256'");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [x]}]}\n",
                 LABEL ":5:36: network.impair_groups.0.ranks.0: expected a rank 0 to 255, got "
                       "'x'");
    expect_error(MIN_YAML "network: {impair_groups: [{latency: 5ms}]}\n",
                 LABEL ":5:27: network.impair_groups.0: missing required key "
                       "'network.impair_groups.0.ranks'");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: []}]}\n",
                 LABEL ":5:35: network.impair_groups.0.ranks: a group needs at least one rank");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: 3}]}\n",
                 LABEL ":5:35: network.impair_groups.0.ranks: expected a list of ranks like "
                       "[1, 2], got '3'");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [1], role: peer}]}\n",
                 LABEL ":5:40: network.impair_groups.0.role: unknown key (expected one of: "
                       "ranks, latency, jitter, loss, uplink, downlink)");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [1], uplink: 64}]}\n",
                 LABEL ":5:48: network.impair_groups.0.uplink: missing unit");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [1], downlink: 1 mbit/h}]}\n",
                 LABEL ":5:50: network.impair_groups.0.downlink: ");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [1], loss: 100%}]}\n",
                 LABEL ":5:46: network.impair_groups.0.loss: must be < 1 (100%), got 100%");
    expect_error(MIN_YAML "network: {impair_groups: [{ranks: [1], latency: 2h}]}\n",
                 LABEL ":5:49: network.impair_groups.0.latency: ");
    expect_error(MIN_YAML "network: {impair_groups: {ranks: [1]}}\n",
                 LABEL ":5:26: network.impair_groups: expected a list of host groups");
    expect_error(MIN_YAML "network: {impair_groups: [[1]]}\n",
                 LABEL ":5:27: network.impair_groups.0: expected a mapping, got a sequence");
    expect_error(MIN_YAML "network:\n  impair_groups: [{ranks: [1]}, {ranks: [2]}, {ranks: [3]}, "
                          "{ranks: [4]}, {ranks: [5]}, {ranks: [6]}, {ranks: [7]}, {ranks: [8]}, "
                          "{ranks: [9]}]\n",
                 LABEL ":6:18: network.impair_groups: at most 8 groups, got 9");
}

static void overrides_reach_the_impair_groups(void **state)
{
    struct scenario s;
    const char *ov[] = {"network.impair_groups=[{ranks: [2], latency: 50ms}]",
                        "network.impair_groups.0.loss=1%"};
    if (load_set(MIN_YAML, ov, 2, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.network.n_impair_groups, 1);
    assert_int_equal(s.network.impair_group[0].latency_ns, 50 * NS_MS);
    assert_double_eq(s.network.impair_group[0].loss, 0.01);
    assert_int_equal(s.network.impair_group_of_rank[2], 1);
    assert_int_equal(s.network.impair_group_of_rank[3], 0);

    /* Key by key into the file's groups: a rank added, a group appended. */
    const char *ov2[] = {"network.impair_groups.1.ranks.2=7", "network.impair_groups.0.loss=0",
                         "network.impair_groups.2={ranks: [9], uplink: 2mbit}"};
    if (load_set(HOSTS_YAML, ov2, 3, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.network.n_impair_groups, 3);
    assert_double_eq(s.network.impair_group[0].loss, 0);
    assert_int_equal(s.network.impair_group[0].latency_ns, 50 * NS_MS);
    assert_int_equal(s.network.impair_group_of_rank[7], 2);
    assert_int_equal(s.network.impair_group_of_rank[9], 3);
    assert_int_equal(s.network.impair_group[2].uplink_Bps, 250000);

    /* Replaced as a whole: empty. */
    const char *ov3[] = {"network.impair_groups=[]"};
    if (load_set(HOSTS_YAML, ov3, 1, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.network.n_impair_groups, 0);
    assert_int_equal(s.network.impair_group_of_rank[2], 0);

    expect_set_error(MIN_YAML, "network.impair_groups.0.loss=1%",
                     "--set network.impair_groups.0.loss=1%: network.impair_groups.0: missing "
                     "required key 'network.impair_groups.0.ranks'");
    expect_set_error(HOSTS_YAML, "network.impair_groups.1.ranks.0=3",
                     "--set network.impair_groups.1.ranks.0=3: network.impair_groups.1.ranks.0: "
                     "rank 3 is in two groups (network.impair_groups.0 and "
                     "network.impair_groups.1)");
    expect_set_error(HOSTS_YAML, "network.impair_groups.0.uplink=fast",
                     "--set network.impair_groups.0.uplink=fast: network.impair_groups.0.uplink: ");
}

static void to_json_writes_the_impair_groups(void **state)
{
    struct scenario s;
    if (load(HOSTS_YAML, &s) != 0)
        fail_msg("%s", err);
    char *text = scenario_to_json(&s);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("json_loads: %s", jerr.text);
    free(text);
    json_t *groups = json_object_get(json_object_get(root, "network"), "impair_groups");
    assert_true(json_is_array(groups));
    assert_int_equal(json_array_size(groups), 2);
    json_t *g0 = json_array_get(groups, 0), *g1 = json_array_get(groups, 1);
    char *r0 = json_dumps(json_object_get(g0, "ranks"), JSON_COMPACT);
    char *r1 = json_dumps(json_object_get(g1, "ranks"), JSON_COMPACT);
    assert_string_equal(r0, "[2,3]");
    assert_string_equal(r1, "[0,255]");
    free(r0);
    free(r1);
    assert_int_equal(json_object_size(g0), 6);
    assert_string_equal(json_string_value(json_object_get(g0, "latency")), "50ms");
    assert_string_equal(json_string_value(json_object_get(g0, "jitter")), "5ms");
    assert_double_eq(json_real_value(json_object_get(g0, "loss")), 0.02);
    assert_string_equal(json_string_value(json_object_get(g0, "uplink")), "1mbit");
    assert_string_equal(json_string_value(json_object_get(g0, "downlink")), "1mbit");
    assert_string_equal(json_string_value(json_object_get(g1, "latency")), "0s");
    assert_string_equal(json_string_value(json_object_get(g1, "uplink")), "0bit");
    json_decref(root);

    /* None: an empty list, which reloads as none. */
    if (load(MIN_YAML, &s) != 0)
        fail_msg("%s", err);
    text = scenario_to_json(&s);
    assert_contains(text, "\"impair_groups\": []");
    struct scenario b;
    if (scenario_load_string(text, "json", NULL, 0, &b, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(b.network.n_impair_groups, 0);
    free(text);
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
    static const char *const seeds[] = {FULL_YAML, QUICKSTART_YAML, MIN_YAML, STORM_YAML,
                                        IMPAIR_YAML};
    char buf[4096];
    int loaded = 0;
    for (int i = 0; i < 5000; i++) {
        const char *seed = seeds[i % 5];
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
                                       "control",
                                       "login_server.admission",
                                       "supernode.rate",
                                       "stop_when",
                                       "events.1.when",
                                       "events.2.capacity",
                                       "workload.request.retry.throttle",
                                       "service",
                                       "network.impair.peer",
                                       "network.impair.service.uplink",
                                       "events.1.partition.groups",
                                       "events.1.partition.groups.0.1",
                                       "events.2.partition"};
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
                                         "a: b: c",
                                         "token-bucket",
                                         "5/s",
                                         "online >= 90%",
                                         "{role: service, queue: 1}",
                                         "{k: 2}",
                                         "{at: 1s, inject_supernodes: {count: 3}}",
                                         "pace",
                                         "8Mbit/s",
                                         "[[1], [2, 255]]",
                                         "{latency: 10ms, loss: 1%}",
                                         "{groups: [[1],[1]], for: 1s}"};
    char ov[3][128];
    const char *ovp[3];
    for (int i = 0; i < 3000; i++) {
        size_t n = 1 + fuzz_next() % 3;
        for (size_t k = 0; k < n; k++) {
            snprintf(ov[k], sizeof ov[k], "%s=%s", keys[fuzz_next() % (sizeof keys / sizeof *keys)],
                     values[fuzz_next() % (sizeof values / sizeof *values)]);
            ovp[k] = ov[k];
        }
        must_not_crash(i % 4 == 3   ? IMPAIR_YAML
                       : i % 3 == 2 ? STORM_YAML
                       : i % 2      ? FULL_YAML
                                    : MIN_YAML,
                       ovp, n);
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

        cmocka_unit_test(storm_file_loads_every_new_field),
        cmocka_unit_test(inject_supernodes_max_clients_defaults_to_1000),
        cmocka_unit_test(rates_take_a_unit),
        cmocka_unit_test(request_rate_needs_a_service),
        cmocka_unit_test(services_count_is_bounded),
        cmocka_unit_test(capacity_keys_are_shared_by_three_roles),
        cmocka_unit_test(admission_rules_are_checked),
        cmocka_unit_test(service_port_must_differ_when_there_are_services),
        cmocka_unit_test(overload_rules_are_checked),
        cmocka_unit_test(promote_and_gossip_bounds_are_checked),
        cmocka_unit_test(retry_layers_are_checked),
        cmocka_unit_test(new_event_kinds_are_checked),
        cmocka_unit_test(injected_supernodes_must_fit_the_count_limit),
        cmocka_unit_test(node_addresses_count_services_and_injected_supernodes),
        cmocka_unit_test(event_needs_exactly_one_of_at_and_when),
        cmocka_unit_test(conditions_parse),
        cmocka_unit_test(bad_conditions_are_errors),
        cmocka_unit_test(stop_when_null_means_none),
        cmocka_unit_test(overrides_reach_the_new_keys),
        cmocka_unit_test(to_json_writes_the_new_keys),
        cmocka_unit_test(to_json_reloads_every_new_key),

        cmocka_unit_test(impair_file_loads_every_new_field),
        cmocka_unit_test(impair_applies_to_each_class),
        cmocka_unit_test(bandwidth_parse_cases),
        cmocka_unit_test(impair_rules_are_checked),
        cmocka_unit_test(resync_is_off_or_at_least_100ms),
        cmocka_unit_test(partition_events_are_checked),
        cmocka_unit_test(overrides_reach_the_impair_keys),
        cmocka_unit_test(to_json_writes_the_impair_keys),
        cmocka_unit_test(to_json_reloads_every_impair_key),
        cmocka_unit_test(impair_groups_load),
        cmocka_unit_test(impair_groups_default_to_none),
        cmocka_unit_test(impair_group_errors),
        cmocka_unit_test(overrides_reach_the_impair_groups),
        cmocka_unit_test(to_json_writes_the_impair_groups),

        cmocka_unit_test(random_bytes_never_crash),
        cmocka_unit_test(mutated_files_never_crash),
        cmocka_unit_test(random_overrides_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
