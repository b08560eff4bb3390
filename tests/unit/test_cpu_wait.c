/* test_cpu_wait.c - the run-queue wait reader (common/cpu_wait.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/cpu_wait.h"

static void test_parse(void **state)
{
    (void)state;
    assert_int_equal(cpu_wait_parse("2627593 1010608 3\n"), 1010608);
    assert_int_equal(cpu_wait_parse("0 0 0"), 0);
    assert_int_equal(cpu_wait_parse("12 9223372036854775807 1\n"), INT64_MAX);
    /* Not the kernel's three counts: unknown, never a made-up 0. */
    assert_int_equal(cpu_wait_parse(""), -1);
    assert_int_equal(cpu_wait_parse("1 2\n"), -1);
    assert_int_equal(cpu_wait_parse("1 x 3\n"), -1);
    assert_int_equal(cpu_wait_parse("1 2 3 extra\n"), -1);
    assert_int_equal(cpu_wait_parse("1 -2 3\n"), -1);
    assert_int_equal(cpu_wait_parse("1 99999999999999999999 3\n"), -1);
}

static void test_unknown_without_a_file(void **state)
{
    (void)state;
    assert_int_equal(cpu_wait_ns(-1), -1);
}

/* The calling thread's file reads as a wait that never goes down. */
static void test_reads_this_thread(void **state)
{
    (void)state;
    int fd = cpu_wait_open();
    /* Debian's kernels have it (CONFIG_SCHED_INFO); the run's figures
     * need it, so a machine without it fails here rather than skips. */
    assert_true(fd >= 0);
    int64_t a = cpu_wait_ns(fd);
    assert_true(a >= 0);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do { /* 20 ms of sleeps and wake-ups */
        usleep(100);
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((t.tv_sec - t0.tv_sec) * 1000000000LL + (t.tv_nsec - t0.tv_nsec) < 20000000LL);
    int64_t b = cpu_wait_ns(fd);
    assert_true(b >= a);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_unknown_without_a_file),
        cmocka_unit_test(test_reads_this_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
