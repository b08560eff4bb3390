/* test_scenario_load.c - scenario loading (scenario.c, scenario_tree.c):
 * valid files and every default, the file's structure (keys, mappings,
 * YAML errors, hostile input), and --set overrides. */
#include "scenario_fixture.h"

#include <unistd.h>

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

/* ---- errors in the structure: one class per test, exact location ---- */

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
    /* A missing mapping does not hide the keys it requires: found by the
     * scenario fuzzer (tests/fuzz/crashes/scenario/no-nodes-peers-0.yaml),
     * which loaded with 0 peers. */
    expect_error("name: a\nduration: 2m\n", LABEL ":1:1: missing required key 'nodes.peers'");
}

static void duplicate_key_is_an_error(void **state)
{
    expect_error(MIN_YAML "nodes: {peers: 2}\n",
                 LABEL ":5:1: nodes: duplicate key (first at line 3)");
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

/* ---- storm realism (issue 3): capacity, services, supernode dynamics, retry layers ---- */

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

/* ---- across machines (issue 4): network impairment, host groups ---- */

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_file_loads_every_field),
        cmocka_unit_test(minimal_file_gets_every_default),
        cmocka_unit_test(scenario_defaults_fills_every_default),
        cmocka_unit_test(empty_sections_keep_defaults),
        cmocka_unit_test(bootstrap_defaults_to_min_of_four_and_supernodes),
        cmocka_unit_test(jitter_defaults_to_none_without_exponential),
        cmocka_unit_test(anchors_and_aliases_are_expanded),
        cmocka_unit_test(load_reads_a_file),
        cmocka_unit_test(load_reports_missing_file),
        cmocka_unit_test(failed_load_leaves_output_untouched),
        cmocka_unit_test(unknown_key_is_an_error),
        cmocka_unit_test(sequence_where_scalar_expected_is_an_error),
        cmocka_unit_test(scalar_where_mapping_expected_is_an_error),
        cmocka_unit_test(missing_required_key_points_at_the_mapping),
        cmocka_unit_test(duplicate_key_is_an_error),
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
        cmocka_unit_test(storm_file_loads_every_new_field),
        cmocka_unit_test(inject_supernodes_max_clients_defaults_to_1000),
        cmocka_unit_test(capacity_keys_are_shared_by_three_roles),
        cmocka_unit_test(stop_when_null_means_none),
        cmocka_unit_test(overrides_reach_the_new_keys),
        cmocka_unit_test(impair_file_loads_every_new_field),
        cmocka_unit_test(impair_applies_to_each_class),
        cmocka_unit_test(overrides_reach_the_impair_keys),
        cmocka_unit_test(impair_groups_load),
        cmocka_unit_test(impair_groups_default_to_none),
        cmocka_unit_test(overrides_reach_the_impair_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
