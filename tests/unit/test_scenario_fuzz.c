/* test_scenario_fuzz.c - robustness of the scenario loader: random bytes,
 * mutated files and random overrides never crash it, and every refusal is
 * located. */
#include "scenario_fixture.h"

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
        cmocka_unit_test(random_bytes_never_crash),
        cmocka_unit_test(mutated_files_never_crash),
        cmocka_unit_test(random_overrides_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
