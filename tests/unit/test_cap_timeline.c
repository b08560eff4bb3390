/* test_cap_timeline.c - a server class's capacity over the run (run.json's
 * "capacity", and the capacity the metastability verdict judges against). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "coordinator/cap_timeline.h"
#include "coordinator/summary.h"

static struct scenario scn;
static int64_t sched_at[SCN_MAX_EVENTS];

/* 2 login servers of 2 workers x 10 ms (200/s each), no service, a boot at
 * 0 s; every event scheduled at its `at`. */
static void setup_scenario(void)
{
    scenario_defaults(&scn);
    scn.nodes.login_servers = 2;
    scn.nodes.services = 0;
    scn.login_server.cap.workers = 2;
    scn.login_server.cap.service_time = (struct dist){.kind = DIST_CONST, .a = 10e6};
    scn.login_server.cap.admission = ADMIT_BOUNDED_QUEUE;
    scn.n_events = 1;
    scn.events[0] = (struct scn_event){.at_ns = 0, .kind = EV_BOOT, .fraction = 1};
    for (int i = 0; i < SCN_MAX_EVENTS; i++)
        sched_at[i] = -1;
    sched_at[0] = 0;
}

/* Append a capacity event for role at `at_s`, scheduled then. */
static struct scn_event *add_capacity(enum role role, double at_s, uint32_t workers,
                                      double service_ms)
{
    struct scn_event *e = &scn.events[scn.n_events];
    *e = (struct scn_event){
        .at_ns = (int64_t)(at_s * 1e9), .kind = EV_CAPACITY, .role = role, .workers = workers};
    e->service_time = service_ms > 0 ? (struct dist){.kind = DIST_CONST, .a = service_ms * 1e6}
                                     : (struct dist){.kind = DIST_KEEP};
    sched_at[scn.n_events] = e->at_ns;
    scn.n_events++;
    return e;
}

static void without_events_one_point_at_zero(void **state)
{
    setup_scenario();
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 1);
    assert_true(p[0].t_s == 0.0);
    assert_true(p[0].per_server_rps == 200.0);
    assert_int_equal(p[0].servers, 2);
}

static void events_in_order_each_add_the_capacity_after_them(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);  /* 4 workers x 10 ms */
    add_capacity(ROLE_LOGIN_SERVER, 40, 0, 20); /* 4 workers x 20 ms */
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 3);
    assert_true(p[1].t_s == 30.0);
    assert_true(p[1].per_server_rps == 400.0);
    assert_true(p[2].t_s == 40.0);
    assert_true(p[2].per_server_rps == 200.0);
    assert_int_equal(p[2].servers, 2);
}

static void events_out_of_scenario_order_are_applied_in_time_order(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 40, 0, 20); /* listed first, due last */
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 3);
    assert_true(p[1].t_s == 30.0);
    assert_true(p[1].per_server_rps == 400.0); /* 4 x 10 ms */
    assert_true(p[2].t_s == 40.0);
    assert_true(p[2].per_server_rps == 200.0); /* 4 x 20 ms: the workers stay */
}

static void conditional_event_counts_at_the_time_it_was_scheduled(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    struct scn_event *e = add_capacity(ROLE_LOGIN_SERVER, 0, 1, 0);
    e->conditional = true;
    sched_at[2] = 12250000000; /* its condition held at 12 s, + lead */
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 3);
    assert_true(p[1].t_s == 12.25);
    assert_true(p[1].per_server_rps == 100.0);
    assert_true(p[2].t_s == 30.0);
    assert_true(p[2].per_server_rps == 400.0);
}

static void never_scheduled_and_other_roles_are_left_out(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    sched_at[1] = -1; /* a condition that never held */
    add_capacity(ROLE_SERVICE, 10, 8, 0);
    add_capacity(ROLE_SUPERNODE, 10, 8, 0);
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 1);
    assert_true(p[0].per_server_rps == 200.0);
    /* without schedule times no event counts */
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    assert_int_equal(cap_timeline(&scn, NULL, ROLE_LOGIN_SERVER, p), 1);
}

static void events_due_together_apply_in_scenario_order(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    add_capacity(ROLE_LOGIN_SERVER, 30, 8, 0);
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 3);
    assert_true(p[1].per_server_rps == 400.0);
    assert_true(p[2].t_s == 30.0);
    assert_true(p[2].per_server_rps == 800.0); /* the last one listed wins */
}

static void pace_and_token_bucket_cap_at_rate(void **state)
{
    setup_scenario();
    scn.login_server.cap.admission = ADMIT_PACE;
    scn.login_server.cap.rate = 150;
    add_capacity(ROLE_LOGIN_SERVER, 30, 1, 0); /* 100/s: below the rate */
    add_capacity(ROLE_LOGIN_SERVER, 40, 4, 0); /* 400/s: capped again */
    struct cap_point p[CAP_TIMELINE_MAX];
    assert_int_equal(cap_timeline(&scn, sched_at, ROLE_LOGIN_SERVER, p), 3);
    assert_true(p[0].per_server_rps == 150.0);
    assert_true(p[1].per_server_rps == 100.0);
    assert_true(p[2].per_server_rps == 150.0);

    scn.login_server.cap.admission = ADMIT_TOKEN_BUCKET;
    assert_true(cap_timeline_final_rate(&scn, sched_at, ROLE_LOGIN_SERVER) == 150.0);
    scn.login_server.cap.admission = ADMIT_SHED; /* no rate cap */
    assert_true(cap_timeline_final_rate(&scn, sched_at, ROLE_LOGIN_SERVER) == 400.0);
    scn.login_server.cap.admission = ADMIT_PACE;
    scn.login_server.cap.rate = 0; /* no rate set: no cap */
    assert_true(cap_timeline_final_rate(&scn, sched_at, ROLE_LOGIN_SERVER) == 400.0);
}

static void zero_service_time_reads_as_unlimited(void **state)
{
    setup_scenario();
    scn.login_server.cap.service_time = (struct dist){.kind = DIST_CONST, .a = 0};
    assert_true(cap_timeline_final_rate(&scn, sched_at, ROLE_LOGIN_SERVER) == 1e12);
}

static void json_has_both_classes_service_empty_without_services(void **state)
{
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 30, 4, 0);
    json_t *j = cap_timeline_json(&scn, sched_at);
    assert_non_null(j);
    json_t *ls = json_object_get(j, "login_server");
    assert_int_equal(json_array_size(ls), 2);
    json_t *p1 = json_array_get(ls, 1);
    assert_true(json_real_value(json_object_get(p1, "t_s")) == 30.0);
    assert_true(json_real_value(json_object_get(p1, "per_server_rps")) == 400.0);
    assert_int_equal(json_integer_value(json_object_get(p1, "servers")), 2);
    assert_true(json_is_array(json_object_get(j, "service")));
    assert_int_equal(json_array_size(json_object_get(j, "service")), 0);
    json_decref(j);

    scn.nodes.services = 3;
    scn.service.cap.workers = 1;
    scn.service.cap.service_time = (struct dist){.kind = DIST_CONST, .a = 5e6};
    add_capacity(ROLE_SERVICE, 20, 2, 0);
    j = cap_timeline_json(&scn, sched_at);
    json_t *svc = json_object_get(j, "service");
    assert_int_equal(json_array_size(svc), 2);
    assert_true(json_real_value(json_object_get(json_array_get(svc, 0), "per_server_rps")) ==
                200.0);
    assert_true(json_real_value(json_object_get(json_array_get(svc, 1), "per_server_rps")) ==
                400.0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(svc, 1), "servers")), 3);
    json_decref(j);
}

/* The verdict's capacity is the timeline's last point times the servers up
 * in the last row. */
static void verdict_capacity_is_the_last_point(void **state)
{
    enum { N = 40 };
    static struct ts_row rows[N];
    setup_scenario();
    add_capacity(ROLE_LOGIN_SERVER, 12, 4, 0); /* the trigger: 400/s per server */
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < N; i++) {
        rows[i].t_s = i + 1;
        rows[i].g[G_ONLINE] = 100;
        rows[i].g[G_LS_UP] = 1; /* one of the two is down */
        rows[i].d[C_LOGIN_ATTEMPTS] = 10;
        rows[i].d[C_LOGIN_OK] = 10;
    }
    scn.metrics.interval_ns = NS_PER_S;
    struct run_record r = {.scn = &scn,
                           .world = 2,
                           .n_host_ranks = 1,
                           .rows = rows,
                           .n_rows = N,
                           .sched_at = sched_at};
    struct verdict v;
    verdicts_assess(&r, &v);
    assert_true(v.metastable_known);
    assert_true(v.ls.capacity_rps == 400.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_events_one_point_at_zero),
        cmocka_unit_test(events_in_order_each_add_the_capacity_after_them),
        cmocka_unit_test(events_out_of_scenario_order_are_applied_in_time_order),
        cmocka_unit_test(conditional_event_counts_at_the_time_it_was_scheduled),
        cmocka_unit_test(never_scheduled_and_other_roles_are_left_out),
        cmocka_unit_test(events_due_together_apply_in_scenario_order),
        cmocka_unit_test(pace_and_token_bucket_cap_at_rate),
        cmocka_unit_test(zero_service_time_reads_as_unlimited),
        cmocka_unit_test(json_has_both_classes_service_empty_without_services),
        cmocka_unit_test(verdict_capacity_is_the_last_point),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
