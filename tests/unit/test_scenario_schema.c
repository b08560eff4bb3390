/* test_scenario_schema.c - the scenario schema as data (scenario_schema.c):
 * every field type has a complete row of operations, and every field of the
 * tables is one the walkers can handle. */
#include "scenario_fixture.h"

#include "common/scenario_internal.h"

static void every_type_has_a_walk_and_a_description(void **state)
{
    for (int t = 0; t < F_TYPE_COUNT; t++) {
        const struct scn_type_ops *ops = &scn_types[t];
        if (!ops->walk)
            fail_msg("type %d has no walk operation", t);
        if (!ops->what && !ops->describe)
            fail_msg("type %d has no description", t);
        if (ops->what)
            assert_true(ops->what[0] != '\0');
    }
}

static void every_scalar_type_gets_its_default_from_text(void **state)
{
    for (int t = 0; t < F_TYPE_COUNT; t++) {
        const struct scn_type_ops *ops = &scn_types[t];
        if (ops->parse && !ops->defaults)
            fail_msg("type %d parses text but has no defaults operation", t);
    }
}

/* Recursively: types in range, the members each type needs, defaults only
 * where the type reads them. */
static void check_table(const struct field *table, const char *where)
{
    for (const struct field *f = table; f->key; f++) {
        if (!(f->type >= 0 && f->type < F_TYPE_COUNT)) {
            fail_msg("%s.%s: type %d out of range", where, f->key, (int)f->type);
            return; /* Debian 12's cmocka does not mark fail_msg noreturn */
        }
        const struct scn_type_ops *ops = &scn_types[f->type];
        if (f->def && !ops->parse)
            fail_msg("%s.%s: a default, but its type reads no text", where, f->key);
        if (f->type == F_ENUM && !f->names)
            fail_msg("%s.%s: an enum without names", where, f->key);
        if (f->type == F_MAP || f->type == F_INLINE || f->type == F_ACTION) {
            if (!f->sub) {
                fail_msg("%s.%s: no sub-table", where, f->key);
                return; /* as above */
            }
            check_table(f->sub, f->key);
        }
        if (!ops->to_json && !f->used && f->type != F_INLINE && f->type != F_ACTION &&
            f->type != F_RANKS)
            fail_msg("%s.%s: its type is never written to JSON", where, f->key);
    }
}

static void every_field_of_the_tables_can_be_walked(void **state)
{
    check_table(scn_scenario_fields, "scenario");
    check_table(scn_event_fields, "events");
    check_table(scn_impair_group_fields, "network.impair_groups");
}

static void defaults_of_the_tables_parse(void **state)
{
    /* scenario_defaults asserts on a default that does not parse; this is
     * the run that would trip it. */
    struct scenario s;
    scenario_defaults(&s);
    assert_int_equal(s.network.mode, NET_LOOPBACK);
    assert_int_equal(s.network.n_allowed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_type_has_a_walk_and_a_description),
        cmocka_unit_test(every_scalar_type_gets_its_default_from_text),
        cmocka_unit_test(every_field_of_the_tables_can_be_walked),
        cmocka_unit_test(defaults_of_the_tables_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
