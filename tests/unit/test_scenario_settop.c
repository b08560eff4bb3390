/* test_scenario_settop.c - the keys of architecture: settop (set-top boxes
 * and a cable head-end): their defaults and bounds, the rules between them,
 * the keys and event roles settop refuses and the ones only it takes, and
 * the resolved JSON. */
#include "scenario_fixture.h"

#include <jansson.h>

/* The smallest settop scenario: lines 1-5. Tests append after line 5. */
#define SETTOP_YAML                                                                                \
    "name: t\n"                                                                                    \
    "duration: 60s\n"                                                                              \
    "architecture: settop\n"                                                                       \
    "nodes:\n"                                                                                     \
    "  peers: 100\n"

/* Every settop key set to something other than its default. */
static const char SETTOP_FULL_YAML[] =
    "name: settop-full\n"
    "duration: 2m\n"
    "architecture: settop\n"
    "nodes: {peers: 5000}\n"
    "settop:\n"
    "  method: fountain\n"
    "  image: {size: 1MiB, block: 1280}\n"
    "  channel: {bitrate: 40mbit}\n"
    "  carousel: {bitrate: 30mbit, port: 5001}\n"
    "  downstream: {loss: 2%, retransmit: 300ms}\n"
    "  verify: 0.25\n"
    "  fountain: {overhead: 5}\n"
    "  download:\n"
    "    timeout: 7s\n"
    "    retry: {policy: fixed, base: 1s, cap: 1s, max_attempts: 9}\n"
    "  headend:\n"
    "    port: 5002\n"
    "    max_downloads: 64\n"
    "    register: {workers: 2, service_time: exp(3ms), queue: 50, admission: shed,\n"
    "               max_wait: 100ms, discipline: lifo, drop_abandoned: true}\n"
    "    max_conns: 3000\n"
    "    request_deadline: 5s\n"
    "    linger: 2s\n"
    "workload: {keepalive: 30s}\n"
    "network:\n"
    "  impair:\n"
    "    peer: {latency: 5ms, uplink: 1mbit}\n"
    "    headend: {latency: 1ms, loss: 0.001}\n"
    "events:\n"
    "  - {at: 0s, boot: {fraction: 1, over: 2s}}\n"
    "  - {at: 30s, crash: {role: headend, fraction: 1}}\n"
    "  - {at: 40s, outage: {role: headend, for: 5s}}\n"
    "  - {at: 50s, stall: {role: headend, for: 1s}}\n"
    "  - {at: 60s, capacity: {role: headend, workers: 8}}\n"
    "  - {at: 70s, reboot: {fraction: 0.5}}\n"
    "  - {at: 80s, crash: {role: peer, fraction: 0.1}}\n";

/* ---- defaults ---- */

static void settop_defaults_are_the_documented_ones(void **state)
{
    struct scenario s;
    if (load(SETTOP_YAML, &s) != 0)
        fail_msg("%s", err);
    const struct scn_settop *t = &s.settop;
    assert_int_equal(s.architecture, ARCH_SETTOP);
    assert_int_equal(t->method, SETTOP_CAROUSEL);
    assert_int_equal(t->image_bytes, 256 * 1024);
    assert_int_equal(t->block_bytes, 1024);
    assert_int_equal(t->channel_Bps, 38000000 / 8);
    assert_int_equal(t->carousel_Bps, t->channel_Bps);
    assert_int_equal(t->carousel_port, 4437);
    assert_double_eq(t->downstream_loss, 0);
    assert_int_equal(t->retransmit_ns, 200 * NS_MS);
    assert_double_eq(t->verify, 1);
    assert_int_equal(t->fountain_overhead, 2);
    assert_int_equal(t->headend.port, 4438);
    assert_int_equal(t->headend.max_downloads, 0);
    assert_int_equal(t->headend.cap.workers, 4);
    assert_int_equal(t->headend.cap.service_time.kind, DIST_CONST);
    assert_double_eq(t->headend.cap.service_time.a, 2 * NS_MS);
    assert_int_equal(t->headend.cap.queue, 1000);
    assert_int_equal(t->headend.cap.admission, ADMIT_BOUNDED_QUEUE);
    assert_int_equal(t->headend.cap.discipline, QUEUE_FIFO);
    assert_false(t->headend.cap.drop_abandoned);
    /* The connection limits are login_server's, with its defaults. */
    assert_int_equal(t->headend.conns.max_conns, s.login_server.conns.max_conns);
    assert_int_equal(t->headend.conns.request_deadline_ns, 20 * NS_S);
    assert_int_equal(t->headend.conns.linger_ns, 10 * NS_S);
}

static void settop_download_defaults_are_peer_registers(void **state)
{
    struct scenario s;
    if (load(SETTOP_YAML, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.download.timeout_ns, s.peer.reg.timeout_ns);
    /* both start zeroed (scenario_defaults), padding included */
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&s.settop.download, &s.peer.reg, sizeof s.peer.reg) == 0);
    /* The jitter default follows the policy, as peer.register's does. */
    if (load(SETTOP_YAML "settop: {download: {retry: {policy: fixed}}}\n", &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.download.retry.kind, RETRY_FIXED);
    assert_int_equal(s.settop.download.retry.jitter, JITTER_NONE);
}

static void settop_has_one_head_end_and_no_other_server(void **state)
{
    struct scenario s;
    if (load(SETTOP_YAML, &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.nodes.login_servers, 0);
    assert_int_equal(s.nodes.services, 0);
    assert_int_equal(s.nodes.supernodes, 0);
    assert_int_equal(s.nodes.bootstrap, 0);
    assert_false(scenario_uses_login(&s));
    assert_int_equal(scenario_total_nodes(&s), 101);
    /* The boxes are the peers: at least one. */
    expect_error("name: t\nduration: 60s\narchitecture: settop\nnodes:\n  peers: 0\n",
                 LABEL ":5:10: nodes.peers: must be >= 1, got 0");
}

static void every_settop_key_is_read(void **state)
{
    struct scenario s;
    if (load(SETTOP_FULL_YAML, &s) != 0)
        fail_msg("%s", err);
    const struct scn_settop *t = &s.settop;
    assert_int_equal(t->method, SETTOP_FOUNTAIN);
    assert_int_equal(t->image_bytes, 1 << 20);
    assert_int_equal(t->block_bytes, 1280);
    assert_int_equal(t->channel_Bps, 5000000);
    assert_int_equal(t->carousel_Bps, 3750000);
    assert_int_equal(t->carousel_port, 5001);
    assert_double_eq(t->downstream_loss, 0.02);
    assert_int_equal(t->retransmit_ns, 300 * NS_MS);
    assert_double_eq(t->verify, 0.25);
    assert_int_equal(t->fountain_overhead, 5);
    assert_int_equal(t->download.timeout_ns, 7 * NS_S);
    assert_int_equal(t->download.retry.kind, RETRY_FIXED);
    assert_int_equal(t->download.retry.jitter, JITTER_NONE);
    assert_int_equal(t->download.retry.max_attempts, 9);
    assert_int_equal(t->headend.port, 5002);
    assert_int_equal(t->headend.max_downloads, 64);
    assert_int_equal(t->headend.cap.workers, 2);
    assert_int_equal(t->headend.cap.service_time.kind, DIST_EXP);
    assert_int_equal(t->headend.cap.queue, 50);
    assert_int_equal(t->headend.cap.admission, ADMIT_SHED);
    assert_int_equal(t->headend.cap.max_wait_ns, 100 * NS_MS);
    assert_int_equal(t->headend.cap.discipline, QUEUE_LIFO);
    assert_true(t->headend.cap.drop_abandoned);
    assert_int_equal(t->headend.conns.max_conns, 3000);
    assert_int_equal(t->headend.conns.request_deadline_ns, 5 * NS_S);
    assert_int_equal(t->headend.conns.linger_ns, 2 * NS_S);
    assert_int_equal(s.workload.keepalive_ns, 30 * NS_S);
    assert_int_equal(s.network.impair[ROLE_HEADEND].latency_ns, NS_MS);
    assert_double_eq(s.network.impair[ROLE_HEADEND].loss, 0.001);
    assert_int_equal(s.n_events, 7);
    assert_int_equal(s.events[1].role, ROLE_HEADEND);
    assert_int_equal(s.events[2].role, ROLE_HEADEND);
    assert_int_equal(s.events[3].role, ROLE_HEADEND);
    assert_int_equal(s.events[4].role, ROLE_HEADEND);
    assert_int_equal(s.events[4].workers, 8);
    assert_int_equal(s.events[6].role, ROLE_PEER);
}

/* ---- the image, the channel, the ports ---- */

static void image_size_takes_byte_units(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"1KiB", 1024},      {"256KiB", 256 * 1024}, {"1MiB", 1 << 20},    {"64MiB", 64 << 20},
        {"1.5MiB", 1572864}, {"1024", 1024},         {"65536B", 65536},    {"2 MiB", 2 << 20},
        {"100kB", 100000},   {"1MB", 1000000},       {"0.0625MiB", 65536}, {"67108864", 64 << 20},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct scenario s;
        char ov[96];
        snprintf(ov, sizeof ov, "settop.image.size=%s", ok[i].text);
        /* 64 MiB needs large blocks, 1 KiB small ones */
        const char *ovs[] = {ov, ok[i].bytes > (32 << 20) ? "settop.image.block=1400"
                                                          : "settop.image.block=1024"};
        if (load_set(SETTOP_YAML, ovs, 2, &s) != 0)
            fail_msg("%s: %s", ok[i].text, err);
        if (s.settop.image_bytes != ok[i].bytes)
            fail_msg("%s: got %llu bytes, want %llu", ok[i].text,
                     (unsigned long long)s.settop.image_bytes, (unsigned long long)ok[i].bytes);
    }

    static const struct {
        const char *text;
        const char *msg;
    } bad[] = {
        {"1000", "must be >= 1KiB, got 1000"},
        {"1023B", "must be >= 1KiB, got 1023B"},
        {"0", "must be >= 1KiB, got 0"},
        {"65MiB", "must be <= 64MiB, got 65MiB"},
        {"1GiB", "must be <= 64MiB, got 1GiB"},
        {"99999999999999999999999", "too large, got 99999999999999999999999"},
        {"-1KiB", "must be >= 0, got -1KiB"},
        {"256kb", "unknown unit 'kb' in '256kb' (use B, KiB, MiB, GiB, kB, MB or GB)"},
        {"256KB", "unknown unit 'KB' in '256KB'"},
        {"1.5KiBs", "unknown unit 'KiBs'"},
        {"1.0001KiB", "not a whole number of bytes, got '1.0001KiB'"},
        {"KiB", "expected a size like 256KiB, 1MiB or 1024 (bytes), got 'KiB'"},
        {"1.KiB", "expected a size like 256KiB, 1MiB or 1024 (bytes), got '1.KiB'"},
        {"[1KiB]", "expected a size like 256KiB or 1024 (bytes), got a sequence"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char ov[128], want[256];
        snprintf(ov, sizeof ov, "settop.image.size=%s", bad[i].text);
        snprintf(want, sizeof want, "--set %s: settop.image.size: %s", ov, bad[i].msg);
        expect_set_error(SETTOP_YAML, ov, want);
    }
    /* In a file: FILE:LINE:COL at the value. */
    expect_error(SETTOP_YAML "settop:\n  image: {size: 12 parsecs}\n",
                 LABEL ":7:17: settop.image.size: unknown unit 'parsecs' in '12 parsecs'");
}

static void image_block_is_bounded(void **state)
{
    expect_error(SETTOP_YAML "settop: {image: {block: 60}}\n",
                 LABEL ":6:25: settop.image.block: must be >= 64, got 60");
    expect_error(SETTOP_YAML "settop: {image: {block: 1404}}\n",
                 LABEL ":6:25: settop.image.block: must be <= 1400, got 1404");
    expect_error(SETTOP_YAML "settop: {image: {block: 1026}}\n",
                 LABEL ":6:25: settop.image.block: must be a multiple of 4 (RaptorQ's symbol "
                       "alignment), got 1026");
    expect_error(SETTOP_YAML "settop: {image: {size: 1KiB, block: 1028}}\n",
                 LABEL ":6:37: settop.image.block: must be <= settop.image.size (1KiB), got 1028");
    struct scenario s;
    if (load(SETTOP_YAML "settop: {image: {size: 1400, block: 1400}}\n", &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.block_bytes, 1400);
    if (load(SETTOP_YAML "settop: {image: {size: 1KiB, block: 64}}\n", &s) != 0)
        fail_msg("%s", err);
}

static void image_blocks_are_at_most_raptorqs_largest_source_block(void **state)
{
    /* 56403 blocks is the most: 55 MiB of 1024-byte blocks is 56320. */
    struct scenario s;
    if (load(SETTOP_YAML "settop: {image: {size: 55MiB}}\n", &s) != 0)
        fail_msg("%s", err);
    if (load(SETTOP_YAML "settop: {image: {size: 57756672, block: 1024}}\n", &s) != 0)
        fail_msg("%s", err); /* 56403 x 1024 exactly */
    expect_error(SETTOP_YAML "settop: {image: {size: 57756673, block: 1024}}\n",
                 LABEL ":6:24: settop.image.size: 57756673B in blocks of 1024 bytes is 56404 "
                       "blocks, more than 56403 (RaptorQ's largest source block): raise "
                       "settop.image.block to at least 1028 or lower settop.image.size");
    expect_error(SETTOP_YAML "settop:\n  image: {size: 64MiB}\n",
                 LABEL ":7:17: settop.image.size: 64MiB in blocks of 1024 bytes is 65536 blocks, "
                       "more than 56403 (RaptorQ's largest source block): raise "
                       "settop.image.block to at least 1192");
    /* The advice holds: 64 MiB in 1192-byte blocks fits. */
    if (load(SETTOP_YAML "settop: {image: {size: 64MiB, block: 1192}}\n", &s) != 0)
        fail_msg("%s", err);
    if (load(SETTOP_YAML "settop: {image: {block: 64}}\n", &s) != 0)
        fail_msg("%s", err); /* 256 KiB / 64 = 4096 blocks */
}

static void channel_bitrate_must_be_positive(void **state)
{
    expect_error(SETTOP_YAML "settop: {channel: {bitrate: 0bit}}\n",
                 LABEL ":6:29: settop.channel.bitrate: must be > 0, got 0bit");
    expect_error(SETTOP_YAML "settop: {channel: {bitrate: 38}}\n",
                 LABEL ":6:29: settop.channel.bitrate: missing unit");
    expect_error(SETTOP_YAML "settop: {carousel: {bitrate: 0mbit}}\n",
                 LABEL ":6:30: settop.carousel.bitrate: must be > 0, got 0mbit");
}

static void carousel_bitrate_defaults_to_the_channels(void **state)
{
    struct scenario s;
    if (load(SETTOP_YAML "settop: {channel: {bitrate: 10mbit}}\n", &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.channel_Bps, 1250000);
    assert_int_equal(s.settop.carousel_Bps, 1250000);
    /* null is "not set": the channel's again */
    if (load(SETTOP_YAML "settop: {channel: {bitrate: 10mbit}, carousel: {bitrate: ~}}\n", &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.carousel_Bps, 1250000);
    if (load(SETTOP_YAML "settop: {channel: {bitrate: 10mbit}, carousel: {bitrate: 10mbit}}\n",
             &s) != 0)
        fail_msg("%s", err);
    if (load(SETTOP_YAML "settop: {carousel: {bitrate: 2mbit}}\n", &s) != 0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.carousel_Bps, 250000);
    expect_error(SETTOP_YAML "settop: {channel: {bitrate: 10mbit}, carousel: {bitrate: 11mbit}}\n",
                 LABEL ":6:58: settop.carousel.bitrate: must be <= settop.channel.bitrate "
                       "(10mbit): the carousel is a share of the channel, got 11mbit");
    expect_error(SETTOP_YAML "settop: {carousel: {bitrate: 1gbit}}\n",
                 LABEL ":6:30: settop.carousel.bitrate: must be <= settop.channel.bitrate "
                       "(38mbit)");
}

static void other_settop_bounds(void **state)
{
    expect_error(SETTOP_YAML "settop: {method: multicast}\n",
                 LABEL ":6:18: settop.method: expected one of unicast, carousel, fountain, got "
                       "'multicast'");
    expect_error(SETTOP_YAML "settop: {downstream: {loss: 1}}\n",
                 LABEL ":6:29: settop.downstream.loss: must be < 1 (100%), got 1");
    expect_error(SETTOP_YAML "settop: {downstream: {retransmit: 0s}}\n",
                 LABEL ":6:35: settop.downstream.retransmit: must be > 0, got 0s");
    expect_error(SETTOP_YAML "settop: {verify: 101%}\n",
                 LABEL ":6:18: settop.verify: must be in [0, 1] (or 0% to 100%), got 101%");
    expect_error(SETTOP_YAML "settop: {fountain: {overhead: 65}}\n",
                 LABEL ":6:31: settop.fountain.overhead: must be <= 64, got 65");
    expect_error(SETTOP_YAML "settop: {carousel: {port: 0}}\n",
                 LABEL ":6:27: settop.carousel.port: must be >= 1, got 0");
    expect_error(SETTOP_YAML "settop: {headend: {port: 65536}}\n",
                 LABEL ":6:26: settop.headend.port: must be <= 65535, got 65536");
    expect_error(SETTOP_YAML "settop: {headend: {max_downloads: -1}}\n",
                 LABEL ":6:35: settop.headend.max_downloads: must be >= 0, got -1");
    expect_error(SETTOP_YAML "settop: {headend: {request_deadline: 0s}}\n",
                 LABEL ":6:38: settop.headend.request_deadline: must be >= 1ms, got 0s");
    expect_error(SETTOP_YAML "settop: {image: {sise: 1MiB}}\n",
                 LABEL ":6:18: settop.image.sise: unknown key (expected one of: size, block)");
    expect_error(SETTOP_YAML "settop: {headend: {workers: 2}}\n",
                 LABEL ":6:20: settop.headend.workers: unknown key (expected one of: port, "
                       "max_downloads, register, max_conns, request_deadline, linger)");
    struct scenario s;
    if (load(SETTOP_YAML "settop: {method: unicast, verify: 0, fountain: {overhead: 0}}\n", &s) !=
        0)
        fail_msg("%s", err);
    assert_int_equal(s.settop.method, SETTOP_UNICAST);
    assert_double_eq(s.settop.verify, 0);
    assert_int_equal(s.settop.fountain_overhead, 0);
}

static void settop_download_and_register_follow_the_shared_rules(void **state)
{
    expect_error(SETTOP_YAML "settop: {download: {retry: {base: 1m}}}\n",
                 LABEL ":6:35: settop.download.retry.base: must be <= settop.download.retry.cap "
                       "(30s), got 1m");
    expect_error(SETTOP_YAML "settop: {download: {retry: {policy: fixed, jitter: full}}}\n",
                 LABEL ":6:52: settop.download.retry.jitter: must be none unless policy is "
                       "exponential (policy is fixed), got full");
    expect_error(SETTOP_YAML "settop: {download: {timeout: 0s}}\n",
                 LABEL ":6:30: settop.download.timeout: must be > 0, got 0s");
    expect_error(SETTOP_YAML "settop: {headend: {register: {admission: token-bucket}}}\n",
                 LABEL ":6:42: settop.headend.register.rate: token-bucket admission needs a rate "
                       "> 0/s");
    expect_error(SETTOP_YAML "settop: {headend: {register: {max_wait: 1s}}}\n",
                 LABEL ":6:41: settop.headend.register.max_wait: only used by shed admission "
                       "(admission is bounded-queue)");
    expect_error(SETTOP_YAML "settop: {headend: {register: {workers: 0}}}\n",
                 LABEL ":6:40: settop.headend.register.workers: must be >= 1, got 0");
}

static void carousel_and_head_end_ports_differ_in_loopback_mode(void **state)
{
    expect_error(SETTOP_YAML "settop: {carousel: {port: 4438}}\n",
                 LABEL ":6:27: settop.headend.port: must differ from settop.carousel.port (both "
                       "are 4438)");
    expect_error(SETTOP_YAML "settop: {headend: {port: 4437}}\n",
                 LABEL ":6:26: settop.headend.port: must differ from settop.carousel.port (both "
                       "are 4437)");
    /* In host mode every node has its own port from network.port_base. */
    struct scenario s;
    if (load(SETTOP_YAML "settop: {headend: {port: 4437}}\nnetwork: {mode: host}\n", &s) != 0)
        fail_msg("%s", err);
}

/* ---- what settop refuses, and what only settop takes ---- */

static void settop_refuses_the_login_keys(void **state)
{
    static const struct {
        const char *yaml, *key;
        int line, col;
    } cases[] = {
        {"  login_servers: 1\n", "nodes.login_servers", 6, 3},
        {"login_server: {workers: 2}\n", "login_server", 6, 1},
        {"peer: {login: {timeout: 2s}}\n", "peer.login", 6, 8},
        {"network: {impair: {login_server: {loss: 0.1}}}\n", "network.impair.login_server", 6, 20},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256], want[512];
        snprintf(yaml, sizeof yaml, SETTOP_YAML "%s", cases[i].yaml);
        snprintf(want, sizeof want,
                 LABEL ":%d:%d: %s: not used with architecture: settop (no login: the boxes "
                       "register with the head-end, see settop.headend.register); remove it",
                 cases[i].line, cases[i].col, cases[i].key);
        expect_error(yaml, want);
    }
}

static void settop_refuses_the_service_and_request_keys(void **state)
{
    expect_error(SETTOP_YAML "  services: 1\n",
                 LABEL ":6:13: nodes.services: must be 0 with architecture: settop (the boxes "
                       "fetch their image from the head-end and register with it), got 1");
    struct scenario s;
    if (load(SETTOP_YAML "  services: 0\nworkload: {request_rate: 0/s}\n", &s) != 0)
        fail_msg("%s", err);
    static const struct {
        const char *yaml, *key;
        int line, col;
    } cases[] = {
        {"service: {workers: 2}\n", "service", 6, 1},
        {"network: {impair: {service: {loss: 0.1}}}\n", "network.impair.service", 6, 20},
        {"workload: {request: {timeout: 1s}}\n", "workload.request", 6, 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[256], want[512];
        snprintf(yaml, sizeof yaml, SETTOP_YAML "%s", cases[i].yaml);
        snprintf(want, sizeof want,
                 LABEL ":%d:%d: %s: not used with architecture: settop (no service and no "
                       "requests: an online box sends keepalives only); remove it",
                 cases[i].line, cases[i].col, cases[i].key);
        expect_error(yaml, want);
    }
    expect_error(SETTOP_YAML "workload: {request_rate: 2/m}\n",
                 LABEL ":6:26: workload.request_rate: must be 0/s with architecture: settop (an "
                       "online box sends keepalives only), got 0.03333333333333333/s");
}

static void settop_refuses_the_other_architectures_keys(void **state)
{
    expect_error(SETTOP_YAML "  supernodes: 4\n",
                 LABEL ":6:3: nodes.supernodes: only used with architecture: supernode "
                       "(architecture is settop)");
    expect_error(SETTOP_YAML "  bootstrap: 1\n",
                 LABEL ":6:3: nodes.bootstrap: only used with architecture: supernode "
                       "(architecture is settop)");
    expect_error(SETTOP_YAML "supernode: {port: 5000}\n",
                 LABEL ":6:1: supernode: only used with architecture: supernode (architecture "
                       "is settop)");
    expect_error(SETTOP_YAML "central: {global: {policy: spill}}\n",
                 LABEL ":6:1: central: only used with architecture: central (architecture is "
                       "settop)");
    expect_error(SETTOP_YAML "dht: {k: 4}\n",
                 LABEL ":6:1: dht: only used with architecture: dht (architecture is settop)");
    expect_error(SETTOP_YAML "network: {impair: {dht_bootstrap: {loss: 0.1}}}\n",
                 LABEL ":6:20: network.impair.dht_bootstrap: only used with architecture: dht "
                       "(architecture is settop)");
    expect_error(SETTOP_YAML "peer: {host_cache: 4}\n",
                 LABEL ":6:8: peer.host_cache: only used with architecture: supernode "
                       "(architecture is settop)");
}

static void other_architectures_refuse_the_settop_keys(void **state)
{
    static const char *const archs[] = {"supernode", "central", "dht"};
    for (size_t i = 0; i < sizeof archs / sizeof archs[0]; i++) {
        char yaml[512], want[256];
        const char *extra =
            i == 1 ? "central: {datacenters: [{name: eu, servers: 1, share: 1}]}\n" : "";
        snprintf(yaml, sizeof yaml,
                 "name: t\nduration: 60s\narchitecture: %s\nnodes:\n  peers: 100\n"
                 "settop: {method: unicast}\n%s",
                 archs[i], extra);
        snprintf(want, sizeof want,
                 LABEL ":6:1: settop: only used with architecture: settop (architecture is %s)",
                 archs[i]);
        expect_error(yaml, want);
        snprintf(yaml, sizeof yaml,
                 "name: t\nduration: 60s\narchitecture: %s\nnodes:\n  peers: 100\n"
                 "network: {impair: {headend: {loss: 0.1}}}\n%s",
                 archs[i], extra);
        snprintf(want, sizeof want,
                 LABEL ":6:20: network.impair.headend: only used with architecture: settop "
                       "(architecture is %s)",
                 archs[i]);
        expect_error(yaml, want);
    }
}

static void event_roles_under_settop(void **state)
{
    /* The head-end takes crash, outage, stall and capacity; the boxes boot,
     * reboot and crash. */
    struct scenario s;
    if (load(SETTOP_FULL_YAML, &s) != 0)
        fail_msg("%s", err);
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, outage: {role: peer, for: 1s}}\n",
                 LABEL ":7:29: events.0.outage.role: must be headend, got peer");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, stall: {role: peer, for: 1s}}\n",
                 LABEL ":7:28: events.0.stall.role: must be headend, got peer");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, capacity: {role: peer, workers: 1}}\n",
                 LABEL ":7:31: events.0.capacity.role: must be headend, got peer");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, outage: {role: login_server, for: 1s}}\n",
                 LABEL ":7:29: events.0.outage.role: login_server, but architecture is settop "
                       "(no login servers)");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, crash: {role: service, fraction: 1}}\n",
                 LABEL ":7:28: events.0.crash.role: service, but nodes.services is 0");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, crash: {role: supernode, fraction: 1}}\n",
                 LABEL ":7:28: events.0.crash.role: supernode, but architecture is settop");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, stall: {role: dht_bootstrap, for: 1s}}\n",
                 LABEL ":7:28: events.0.stall.role: dht_bootstrap is only used with "
                       "architecture: dht");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, inject_supernodes: {count: 1}}\n",
                 LABEL ":7:33: events.0.inject_supernodes: only used with architecture: "
                       "supernode (architecture is settop)");
    expect_error(SETTOP_YAML "events:\n  - {at: 1s, outage: {datacenter: eu, for: 1s}}\n",
                 LABEL ":7:35: events.0.outage.datacenter: only used with architecture: "
                       "central");
}

static void head_end_is_an_event_role_of_settop_only(void **state)
{
    expect_error(MIN_YAML "events:\n  - {at: 1s, crash: {role: headend, fraction: 1}}\n",
                 LABEL ":6:28: events.0.crash.role: headend is only used with architecture: "
                       "settop");
    expect_error(MIN_YAML "events:\n  - {at: 1s, outage: {role: headend, for: 1s}}\n",
                 LABEL ":6:29: events.0.outage.role: headend is only used with architecture: "
                       "settop");
    expect_error("name: t\nduration: 60s\narchitecture: dht\nnodes:\n  peers: 100\n"
                 "events:\n  - {at: 1s, capacity: {role: headend, workers: 2}}\n",
                 LABEL ":7:31: events.0.capacity.role: headend is only used with architecture: "
                       "settop");
}

/* ---- JSON ---- */

static void to_json_writes_every_settop_key(void **state)
{
    struct scenario s;
    if (load(SETTOP_FULL_YAML, &s) != 0)
        fail_msg("%s", err);
    char *text = scenario_to_json(&s);
    assert_non_null(text);
    json_error_t jerr;
    json_t *root = json_loads(text, 0, &jerr);
    if (!root)
        fail_msg("json_loads: %s", jerr.text);
    free(text);

    json_t *t = json_object_get(root, "settop");
    assert_int_equal(json_object_size(t), 9);
    assert_string_equal(json_string_value(json_object_get(t, "method")), "fountain");
    json_t *img = json_object_get(t, "image");
    assert_string_equal(json_string_value(json_object_get(img, "size")), "1MiB");
    assert_int_equal(json_integer_value(json_object_get(img, "block")), 1280);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(t, "channel"), "bitrate")), "40mbit");
    json_t *car = json_object_get(t, "carousel");
    assert_string_equal(json_string_value(json_object_get(car, "bitrate")), "30mbit");
    assert_int_equal(json_integer_value(json_object_get(car, "port")), 5001);
    json_t *ds = json_object_get(t, "downstream");
    assert_double_eq(json_real_value(json_object_get(ds, "loss")), 0.02);
    assert_string_equal(json_string_value(json_object_get(ds, "retransmit")), "300ms");
    assert_double_eq(json_real_value(json_object_get(t, "verify")), 0.25);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(t, "fountain"), "overhead")), 5);
    json_t *dl = json_object_get(t, "download");
    assert_string_equal(json_string_value(json_object_get(dl, "timeout")), "7s");
    assert_string_equal(json_string_value(json_object_get(json_object_get(dl, "retry"), "policy")),
                        "fixed");
    json_t *he = json_object_get(t, "headend");
    assert_int_equal(json_integer_value(json_object_get(he, "port")), 5002);
    assert_int_equal(json_integer_value(json_object_get(he, "max_downloads")), 64);
    assert_int_equal(json_integer_value(json_object_get(he, "max_conns")), 3000);
    assert_string_equal(json_string_value(json_object_get(he, "request_deadline")), "5s");
    assert_string_equal(json_string_value(json_object_get(he, "linger")), "2s");
    json_t *reg = json_object_get(he, "register");
    assert_int_equal(json_integer_value(json_object_get(reg, "workers")), 2);
    assert_string_equal(json_string_value(json_object_get(reg, "service_time")), "exp(3ms)");
    assert_string_equal(json_string_value(json_object_get(reg, "admission")), "shed");
    assert_string_equal(json_string_value(json_object_get(reg, "max_wait")), "100ms");
    assert_null(json_object_get(reg, "rate")); /* not used by shed */

    /* What settop has not: no login, service, requests or other
     * architectures' keys; the head-end's impairment class. */
    json_t *nodes = json_object_get(root, "nodes");
    assert_int_equal(json_object_size(nodes), 1); /* peers */
    assert_null(json_object_get(root, "login_server"));
    assert_null(json_object_get(root, "service"));
    assert_null(json_object_get(root, "supernode"));
    assert_null(json_object_get(root, "central"));
    assert_null(json_object_get(root, "dht"));
    assert_null(json_object_get(json_object_get(root, "peer"), "login"));
    assert_non_null(json_object_get(json_object_get(root, "peer"), "register"));
    json_t *wl = json_object_get(root, "workload");
    assert_int_equal(json_object_size(wl), 1);
    assert_string_equal(json_string_value(json_object_get(wl, "keepalive")), "30s");
    json_t *imp = json_object_get(json_object_get(root, "network"), "impair");
    assert_int_equal(json_object_size(imp), 2); /* peer, headend */
    assert_double_eq(json_real_value(json_object_get(json_object_get(imp, "headend"), "loss")),
                     0.001);
    json_t *e1 = json_object_get(json_array_get(json_object_get(root, "events"), 1), "crash");
    assert_string_equal(json_string_value(json_object_get(e1, "role")), "headend");
    json_decref(root);

    /* The other architectures leave settop out. */
    if (load(MIN_YAML, &s) != 0)
        fail_msg("%s", err);
    text = scenario_to_json(&s);
    assert_null(strstr(text, "settop"));
    assert_null(strstr(text, "headend"));
    free(text);
}

static void to_json_reloads_as_the_same_settop_scenario(void **state)
{
    static const char *const sets[][2] = {
        {"settop.image.size=1.5KiB", "1536B"},
        {"settop.image.size=1MB", "1MB"},
        {"settop.image.size=65536", "64KiB"},
        {"settop.image.size=64MiB", "64MiB"},
        {"settop.image.size=1000000000B", NULL},
        {"settop.image.size=2500kB", "2500kB"},
        {"settop.image.size=1401", "1401B"},
        {"settop.carousel.bitrate=~", NULL},
        {"settop.carousel.bitrate=1001B/s", NULL},
        {"settop.downstream.loss=0.123456789", NULL},
        {"settop.verify=0.3", NULL},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        struct scenario a, b;
        const char *ov[] = {sets[i][0], "settop.image.block=1400"};
        if (load_set(SETTOP_FULL_YAML, ov, 2, &a) != 0) {
            /* 1 GB is above the 64 MiB bound: refused, not written */
            assert_contains(err, "must be <= 64MiB");
            continue;
        }
        char *ja = scenario_to_json(&a);
        assert_non_null(ja);
        if (sets[i][1]) {
            char want[64];
            snprintf(want, sizeof want, "\"size\": \"%s\"", sets[i][1]);
            assert_contains(ja, want);
        }
        if (scenario_load_string(ja, "json", NULL, 0, &b, err, sizeof err) != 0)
            fail_msg("%s: %s\n%s", sets[i][0], err, ja);
        char *jb = scenario_to_json(&b);
        assert_non_null(jb);
        assert_string_equal(ja, jb);
        /* both start zeroed (scenario_defaults), padding included */
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
        assert_true(memcmp(&a.settop, &b.settop, sizeof a.settop) == 0);
        // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
        assert_true(memcmp(&a.network, &b.network, sizeof a.network) == 0);
        assert_int_equal(b.n_events, a.n_events);
        for (uint32_t e = 0; e < a.n_events; e++)
            assert_int_equal(b.events[e].role, a.events[e].role);
        free(ja);
        free(jb);
    }
}

static void to_json_of_the_defaults_reloads(void **state)
{
    struct scenario a, b;
    if (load(SETTOP_YAML, &a) != 0)
        fail_msg("%s", err);
    char *ja = scenario_to_json(&a);
    assert_non_null(ja);
    assert_contains(ja, "\"size\": \"256KiB\"");
    assert_contains(ja, "\"bitrate\": \"38mbit\"");
    if (scenario_load_string(ja, "json", NULL, 0, &b, err, sizeof err) != 0)
        fail_msg("%s\n%s", err, ja);
    char *jb = scenario_to_json(&b);
    assert_string_equal(ja, jb);
    // NOLINTNEXTLINE(bugprone-suspicious-memory-comparison)
    assert_true(memcmp(&a.settop, &b.settop, sizeof a.settop) == 0);
    free(ja);
    free(jb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(settop_defaults_are_the_documented_ones),
        cmocka_unit_test(settop_download_defaults_are_peer_registers),
        cmocka_unit_test(settop_has_one_head_end_and_no_other_server),
        cmocka_unit_test(every_settop_key_is_read),
        cmocka_unit_test(image_size_takes_byte_units),
        cmocka_unit_test(image_block_is_bounded),
        cmocka_unit_test(image_blocks_are_at_most_raptorqs_largest_source_block),
        cmocka_unit_test(channel_bitrate_must_be_positive),
        cmocka_unit_test(carousel_bitrate_defaults_to_the_channels),
        cmocka_unit_test(other_settop_bounds),
        cmocka_unit_test(settop_download_and_register_follow_the_shared_rules),
        cmocka_unit_test(carousel_and_head_end_ports_differ_in_loopback_mode),
        cmocka_unit_test(settop_refuses_the_login_keys),
        cmocka_unit_test(settop_refuses_the_service_and_request_keys),
        cmocka_unit_test(settop_refuses_the_other_architectures_keys),
        cmocka_unit_test(other_architectures_refuse_the_settop_keys),
        cmocka_unit_test(event_roles_under_settop),
        cmocka_unit_test(head_end_is_an_event_role_of_settop_only),
        cmocka_unit_test(to_json_writes_every_settop_key),
        cmocka_unit_test(to_json_reloads_as_the_same_settop_scenario),
        cmocka_unit_test(to_json_of_the_defaults_reloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
