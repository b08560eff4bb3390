/* test_condition.c - conditions on timeseries rows (when:, stop_when). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "coordinator/condition.h"

static struct ts_row row(void)
{
    struct ts_row r;
    memset(&r, 0, sizeof r);
    r.g[G_ONLINE] = 900;
    r.g[G_LS_QUEUE] = 42;
    r.d[C_LOGIN_BUSY] = 7;
    r.lag_p99_ms = 3.5;
    return r;
}

static void peer_states_read_as_fractions(void **state)
{
    struct ts_row r = row();
    bool known;
    assert_true(cond_metric(&r, "online", 1000, &known) == 0.9);
    assert_true(known);
    struct scn_cond ge = {.metric = "online", .op = CMP_GE, .value = 0.9};
    struct scn_cond gt = {.metric = "online", .op = CMP_GT, .value = 0.9};
    assert_true(cond_holds(&ge, &r, 1000));
    assert_false(cond_holds(&gt, &r, 1000));
}

static void other_columns_read_as_values(void **state)
{
    struct ts_row r = row();
    struct scn_cond q = {.metric = "ls_queue", .op = CMP_LT, .value = 50};
    struct scn_cond b = {.metric = "login_busy", .op = CMP_LE, .value = 6};
    struct scn_cond l = {.metric = "lag_p99_ms", .op = CMP_GT, .value = 3};
    assert_true(cond_holds(&q, &r, 1000));
    assert_false(cond_holds(&b, &r, 1000));
    assert_true(cond_holds(&l, &r, 1000));
}

static void unknown_metric_never_holds(void **state)
{
    struct ts_row r = row();
    bool known = true;
    cond_metric(&r, "onlien", 1000, &known);
    assert_false(known);
    struct scn_cond c = {.metric = "onlien", .op = CMP_GE, .value = 0};
    assert_false(cond_holds(&c, &r, 1000));
}

static void zero_peers_do_not_divide_by_zero(void **state)
{
    struct ts_row r = row();
    bool known;
    assert_true(cond_metric(&r, "online", 0, &known) == 0);
}

static void format_round_trips_the_text(void **state)
{
    struct scn_cond c = {.metric = "online", .op = CMP_GE, .value = 0.95};
    char buf[64];
    cond_format(&c, buf, sizeof buf);
    assert_string_equal(buf, "online >= 0.95");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(peer_states_read_as_fractions),
        cmocka_unit_test(other_columns_read_as_values),
        cmocka_unit_test(unknown_metric_never_holds),
        cmocka_unit_test(zero_peers_do_not_divide_by_zero),
        cmocka_unit_test(format_round_trips_the_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
