/* test_csv.c - the CSV reader on good and damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "csv.h"

static char err[512];

static int parse(const char *text, struct csv *c)
{
    err[0] = '\0';
    return csv_parse(text, strlen(text), "ts.csv", c, err, sizeof err);
}

static void good_file_parses(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\n0.5,10\n1.0,20\n", &c), 0);
    assert_int_equal(c.n_cols, 2);
    assert_int_equal(c.n_rows, 2);
    assert_string_equal(c.header[1], "online");
    assert_string_equal(csv_cell(&c, 1, 1), "20");
    assert_int_equal(c.lines[1], 3);
    assert_int_equal(csv_col(&c, "online"), 1);
    assert_int_equal(csv_col(&c, "nope"), -1);
    double v;
    assert_int_equal(csv_number(&c, 0, 0, &v, err, sizeof err), 0);
    assert_true(v == 0.5);
    csv_free(&c);
}

static void crlf_line_ends_are_accepted(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\r\n0.5,10\r\n1.0,20\r\n", &c), 0);
    assert_int_equal(c.n_rows, 2);
    assert_string_equal(csv_cell(&c, 1, 1), "20");
    csv_free(&c);
}

static void quoted_fields_are_unquoted(void **state)
{
    struct csv c;
    assert_int_equal(parse("a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", &c), 0);
    assert_string_equal(csv_cell(&c, 0, 0), "x,y");
    assert_string_equal(csv_cell(&c, 0, 1), "say \"hi\"");
    csv_free(&c);
}

static void truncated_row_names_the_line(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\n0.5,10\n1.0,2", &c), -1);
    assert_non_null(strstr(err, "ts.csv:3:"));
    assert_non_null(strstr(err, "cut short"));
    csv_free(&c);
}

static void row_with_missing_column_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online,sn_count\n0.5,10,3\n1.0,20\n", &c), -1);
    assert_non_null(strstr(err, "ts.csv:3: 2 fields, but the header has 3"));
    csv_free(&c);
}

static void row_with_extra_column_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\n0.5,10,7\n", &c), -1);
    assert_non_null(strstr(err, "ts.csv:2: 3 fields"));
    csv_free(&c);
}

static void empty_file_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(parse("", &c), -1);
    assert_non_null(strstr(err, "empty file"));
    csv_free(&c);
}

static void header_only_has_no_rows(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\n", &c), 0);
    assert_int_equal(c.n_rows, 0);
    csv_free(&c);
}

static void blank_line_inside_is_an_error_but_not_at_the_end(void **state)
{
    struct csv c;
    assert_int_equal(parse("t_s,online\n0.5,10\n\n1.0,20\n", &c), -1);
    assert_non_null(strstr(err, "ts.csv:3: empty line"));
    csv_free(&c);
    assert_int_equal(parse("t_s,online\n0.5,10\n\n\n", &c), 0);
    assert_int_equal(c.n_rows, 1);
    csv_free(&c);
}

static void bad_numbers_name_line_and_column(void **state)
{
    struct csv c;
    double v;
    assert_int_equal(parse("t_s,online\n0.5,1O\n1.0,\n2,nan\n3,0x10\n4,1e3\n", &c), 0);
    assert_int_equal(csv_number(&c, 0, 1, &v, err, sizeof err), -1);
    assert_string_equal(err, "ts.csv:2: column online: \"1O\" is not a number");
    assert_int_equal(csv_number(&c, 1, 1, &v, err, sizeof err), -1);
    assert_string_equal(err, "ts.csv:3: column online is empty");
    assert_int_equal(csv_number(&c, 2, 1, &v, err, sizeof err), -1);
    assert_int_equal(csv_number(&c, 3, 1, &v, err, sizeof err), -1);
    assert_int_equal(csv_number(&c, 4, 1, &v, err, sizeof err), 0);
    assert_true(v == 1000);
    csv_free(&c);
}

static void duplicate_or_empty_header_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(parse("a,b,a\n1,2,3\n", &c), -1);
    assert_non_null(strstr(err, "duplicate column \"a\""));
    csv_free(&c);
    assert_int_equal(parse("a,,b\n1,2,3\n", &c), -1);
    assert_non_null(strstr(err, "header field 2 is empty"));
    csv_free(&c);
}

static void unterminated_quote_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(parse("a,b\n\"1,2\n", &c), -1);
    assert_non_null(strstr(err, "unterminated"));
    csv_free(&c);
}

static void missing_file_is_an_error(void **state)
{
    struct csv c;
    assert_int_equal(csv_read_file("/nonexistent/ts.csv", &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/ts.csv: "));
    csv_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_file_parses),
        cmocka_unit_test(crlf_line_ends_are_accepted),
        cmocka_unit_test(quoted_fields_are_unquoted),
        cmocka_unit_test(truncated_row_names_the_line),
        cmocka_unit_test(row_with_missing_column_is_an_error),
        cmocka_unit_test(row_with_extra_column_is_an_error),
        cmocka_unit_test(empty_file_is_an_error),
        cmocka_unit_test(header_only_has_no_rows),
        cmocka_unit_test(blank_line_inside_is_an_error_but_not_at_the_end),
        cmocka_unit_test(bad_numbers_name_line_and_column),
        cmocka_unit_test(duplicate_or_empty_header_is_an_error),
        cmocka_unit_test(unterminated_quote_is_an_error),
        cmocka_unit_test(missing_file_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
