/* test_scenario_json.c - scenario_to_json (scenario_json.c): every key with
 * its resolved value, in file syntax, and the output loads back as the same
 * scenario. */
#include "scenario_fixture.h"

#include <jansson.h>

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
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.login_server, &b.login_server, sizeof a.login_server) == 0);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.service, &b.service, sizeof a.service) == 0);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.supernode, &b.supernode, sizeof a.supernode) == 0);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.workload, &b.workload, sizeof a.workload) == 0);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.peer, &b.peer, sizeof a.peer) == 0);
    free(ja);
    free(jb);
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
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.network, &b.network, sizeof a.network) == 0);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(to_json_has_resolved_values),
        cmocka_unit_test(to_json_reloads_as_the_same_scenario),
        cmocka_unit_test(to_json_writes_the_new_keys),
        cmocka_unit_test(to_json_reloads_every_new_key),
        cmocka_unit_test(to_json_writes_the_impair_keys),
        cmocka_unit_test(to_json_reloads_every_impair_key),
        cmocka_unit_test(to_json_writes_the_impair_groups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
