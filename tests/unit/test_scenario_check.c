/* test_scenario_check.c - what a well-formed scenario is refused for
 * (scenario_check.c and the bounds in the schema): rules between fields,
 * events, node addresses, each with the location of the key to blame. */
#include "scenario_fixture.h"

/* ---- nodes, ports, retries, events, addresses ---- */

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
                 "outage, capacity, inject_supernodes, partition, stall)");
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

/* ---- storm realism (issue 3): capacity, services, supernode dynamics, retry layers, new events
 * ---- */

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
                       "login_server, service, front_door, presence, dht_bootstrap, headend, "
                       "got 'everyone'");
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

/* ---- across machines (issue 4): network impairment, clock resync, partitions, host groups ---- */

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
                       "supernode, login_server, service, front_door, presence, dht_bootstrap, "
                       "headend)");
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bootstrap_above_supernodes_is_an_error),
        cmocka_unit_test(equal_ports_are_an_error),
        cmocka_unit_test(cap_below_base_is_an_error),
        cmocka_unit_test(jitter_without_exponential_is_an_error),
        cmocka_unit_test(event_at_not_before_duration_is_an_error),
        cmocka_unit_test(event_needs_exactly_one_action),
        cmocka_unit_test(too_many_events_is_an_error),
        cmocka_unit_test(base_outside_allowed_is_an_error),
        cmocka_unit_test(node_addresses_past_allowed_are_an_error),
        cmocka_unit_test(request_rate_needs_a_service),
        cmocka_unit_test(services_count_is_bounded),
        cmocka_unit_test(admission_rules_are_checked),
        cmocka_unit_test(service_port_must_differ_when_there_are_services),
        cmocka_unit_test(overload_rules_are_checked),
        cmocka_unit_test(promote_and_gossip_bounds_are_checked),
        cmocka_unit_test(retry_layers_are_checked),
        cmocka_unit_test(new_event_kinds_are_checked),
        cmocka_unit_test(injected_supernodes_must_fit_the_count_limit),
        cmocka_unit_test(node_addresses_count_services_and_injected_supernodes),
        cmocka_unit_test(event_needs_exactly_one_of_at_and_when),
        cmocka_unit_test(impair_rules_are_checked),
        cmocka_unit_test(resync_is_off_or_at_least_100ms),
        cmocka_unit_test(partition_events_are_checked),
        cmocka_unit_test(impair_group_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
