/* test_scenario_values.c - the text of each kind of scenario value, as the
 * loader reads it (the parse operations of scenario_schema.c, with
 * scenario_values.c, units.c and dist.c): what it accepts, what it stores,
 * and the message when it refuses. */
#include "scenario_fixture.h"

#include "common/units.h"

/* ---- accepted values ---- */

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

/* ---- refused values: one class per test, exact location ---- */

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

/* ---- rates, conditions, bandwidths ---- */

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

/* ---- byte sizes (units.c; settop.image.size through the loader is in
 * test_scenario_settop.c) ---- */

static void byte_sizes_parse_every_unit(void **state)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"0", 0},
        {"1024", 1024},
        {"1024B", 1024},
        {"1KiB", 1024},
        {"256KiB", 262144},
        {"1MiB", 1048576},
        {"2GiB", 2147483648ULL},
        {"1kB", 1000},
        {"1MB", 1000000},
        {"3GB", 3000000000ULL},
        {"1.5MiB", 1572864},
        {".5KiB", 512},
        {"1.000000000000000000KiB", 1024},
        {"4 KiB", 4096},
        {"18446744073709551615", UINT64_MAX},
        {"16GiB", 17179869184ULL},
        {"17179869183GiB", 18446744072635809792ULL},
    };
    char why[200];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t v = 1;
        if (!units_parse_bytes(ok[i].text, &v, why, sizeof why))
            fail_msg("'%s': %s", ok[i].text, why);
        if (v != ok[i].bytes)
            fail_msg("'%s': got %llu, want %llu", ok[i].text, (unsigned long long)v,
                     (unsigned long long)ok[i].bytes);
    }
    static const char *const bad[] = {
        "",
        "KiB",
        "1.KiB",
        "-1",
        "1e3",
        "1kb",
        "1KB",
        "1kiB",
        "1 KiBs",
        "0.5",
        "0.3B",
        "1,024",
        "1Ki",
        "+1KiB",
        "18446744073709551616",
        "16GiB1",
        "17179869184GiB",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t v = 0;
        if (units_parse_bytes(bad[i], &v, why, sizeof why))
            fail_msg("'%s' parsed as %llu", bad[i], (unsigned long long)v);
        assert_true(why[0] != '\0');
    }
}

static void byte_sizes_format_in_the_largest_exact_unit(void **state)
{
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0B"},
        {1, "1B"},
        {1000, "1kB"},
        {1024, "1KiB"},
        {1536, "1536B"},
        {65536, "64KiB"},
        {1048576, "1MiB"},
        {1000000, "1MB"},
        {2000000, "2MB"},
        {2048000, "2000KiB"},
        {1073741824, "1GiB"},
        {1500000, "1500kB"},
        {1001, "1001B"},
        {UINT64_MAX, "18446744073709551615B"},
    };
    char buf[32], why[200];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        units_format_bytes(cases[i].bytes, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
        uint64_t back = 0;
        if (!units_parse_bytes(buf, &back, why, sizeof why))
            fail_msg("'%s': %s", buf, why);
        assert_true(back == cases[i].bytes);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fraction_accepts_percent),
        cmocka_unit_test(distributions_parse_every_kind),
        cmocka_unit_test(cidr_host_bits_are_masked),
        cmocka_unit_test(negative_count_is_an_error),
        cmocka_unit_test(non_integer_and_overflow_are_errors),
        cmocka_unit_test(fraction_above_one_is_an_error),
        cmocka_unit_test(malformed_duration_is_an_error),
        cmocka_unit_test(duration_without_unit_is_an_error),
        cmocka_unit_test(duration_bounds_are_checked),
        cmocka_unit_test(bad_distributions_are_errors),
        cmocka_unit_test(bad_enum_lists_the_choices),
        cmocka_unit_test(bad_name_is_an_error),
        cmocka_unit_test(bad_networks_are_errors),
        cmocka_unit_test(duration_parse_accepts_every_unit),
        cmocka_unit_test(duration_parse_rejects_bad_text),
        cmocka_unit_test(duration_format_uses_the_largest_exact_unit),
        cmocka_unit_test(duration_format_then_parse_round_trips),
        cmocka_unit_test(rates_take_a_unit),
        cmocka_unit_test(conditions_parse),
        cmocka_unit_test(bad_conditions_are_errors),
        cmocka_unit_test(bandwidth_parse_cases),
        cmocka_unit_test(byte_sizes_parse_every_unit),
        cmocka_unit_test(byte_sizes_format_in_the_largest_exact_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
