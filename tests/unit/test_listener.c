/* test_listener.c - a server's listener when the process runs out of file
 * descriptors (node/conn.c): it counts the failed accepts, pauses, resumes,
 * and takes the waiting connections once fds are free again. Before the
 * listener's error callback got its own listener, this crashed the rank in
 * event_add (issue 13, defect 1). */
#include <sys/resource.h>

#include "node/conn.h"
#include "role_harness.h"

#define CLIENTS 8

/* The lowest free fd number: every fd below it is in use, so a soft limit
 * of this much leaves accept() nothing (the limit bounds fd numbers). */
static int lowest_free_fd(void)
{
    int fd = dup(0);
    assert_true(fd >= 0);
    close(fd);
    return fd;
}

static void test_listener_survives_fd_exhaustion_and_resumes(void **state)
{
    struct rh *r = *state;
    rh_start(r, "name: fd-test\nduration: 60s\nnodes: {peers: 1, supernodes: 1, bootstrap: 1}\n");
    uint32_t sn = rh_sn_id(r, 0);
    struct sockaddr_in sa;
    conn_sockaddr(rh_ip(r, sn), rh_sn_port(r, sn), &sa);
    /* Connections the kernel completes into the backlog, waiting for accept. */
    int fd[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        fd[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd[i] >= 0);
        assert_int_equal(connect(fd[i], (struct sockaddr *)&sa, sizeof sa), 0);
    }
    int64_t conns_before = rh_g(r, G_OPEN_CONNS);

    /* No fd left for accept(). */
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)lowest_free_fd();
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    /* The listener tries, fails with EMFILE, pauses 100 ms, tries again. */
    rh_run_for(r, 350);
    uint64_t errors = rh_c(r, C_ACCEPT_ERRORS);
    int64_t conns_starved = rh_g(r, G_OPEN_CONNS);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);

    assert_true(errors >= 2); /* failed, paused, resumed and failed again */
    assert_int_equal(conns_starved, conns_before);
    /* fds are back: the listener resumes by itself and takes every client */
    RH_RUN_UNTIL(r, rh_g(r, G_OPEN_CONNS) >= conns_before + CLIENTS, 2000);
    for (int i = 0; i < CLIENTS; i++)
        close(fd[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_listener_survives_fd_exhaustion_and_resumes, rh_setup,
                                        rh_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
