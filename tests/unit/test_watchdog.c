/* test_watchdog.c - the deadline on blocking phases (control/watchdog.c).
 * Each case runs in a child process, since an expired watchdog ends its
 * process: the child arms a phase and sleeps past it (or disarms first);
 * the parent checks how the child ended and what the expiry function got.
 * No case depends on the machine's speed: a watchdog can fire late on a
 * slow machine, never early. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/watchdog.h"

static int report_fd = -1;

static void on_expire(const char *phase, double limit_s)
{
    char buf[128];
    int n = snprintf(buf, sizeof buf, "%s|%.1f", phase, limit_s);
    (void)!write(report_fd, buf, (size_t)n);
    _exit(42);
}

/* Fork; the child runs body and exits 0. Returns the child's exit status
 * and what on_expire reported (empty if it did not run). */
static int in_child(void (*body)(void), char *report, size_t len)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        report_fd = p[1];
        body();
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], report, len - 1);
    report[n > 0 ? n : 0] = '\0';
    close(p[0]);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void overrun(void)
{
    watchdog_start(3, on_expire);
    watchdog_arm("the test's phase", 0.2);
    sleep(30); /* the watchdog ends this long before */
}

static void test_an_overrun_phase_is_named_and_ends_the_process(void **state)
{
    char report[128];
    assert_int_equal(in_child(overrun, report, sizeof report), 42);
    assert_string_equal(report, "the test's phase|0.2");
}

static void disarmed(void)
{
    watchdog_start(3, on_expire);
    watchdog_arm("a phase that finishes", 0.2);
    watchdog_arm(NULL, 0);
    usleep(400 * 1000);
    watchdog_arm("the next phase", 60);
    usleep(100 * 1000);
    watchdog_stop();
}

static void test_a_finished_phase_is_not_timed(void **state)
{
    char report[128];
    assert_int_equal(in_child(disarmed, report, sizeof report), 0);
    assert_string_equal(report, "");
}

static void scaled(void)
{
    setenv("BOOTSTORM_WATCHDOG_SCALE", "3", 1);
    watchdog_start(3, on_expire);
    watchdog_arm("a scaled phase", 0.2); /* 0.6 s: 0.3 s is well inside */
    usleep(300 * 1000);
    watchdog_stop();
}

static void test_the_scale_stretches_every_limit(void **state)
{
    char report[128];
    assert_int_equal(in_child(scaled, report, sizeof report), 0);
    assert_string_equal(report, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_overrun_phase_is_named_and_ends_the_process),
        cmocka_unit_test(test_a_finished_phase_is_not_timed),
        cmocka_unit_test(test_the_scale_stretches_every_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
