/* csv.h - a strict reader for the run's CSV files (RFC 4180 subset).
 *
 * The first record is the header. Quoted fields, "" escapes and CRLF line
 * ends are accepted. Everything that a cut-off or hand-damaged file can
 * produce is an error naming the file and line: a row with the wrong number
 * of fields, a last row without its line end (the writer ends every row with
 * one, so a missing one means the file was cut), an empty line before the
 * end, an empty or duplicate header name, an unterminated quote. */
#ifndef BSR_CSV_H
#define BSR_CSV_H

#include <stddef.h>

struct csv {
    char *label; /* file name used in messages */
    size_t n_cols, n_rows;
    char **header; /* n_cols names */
    char **cells;  /* n_rows * n_cols, row-major, NUL-terminated */
    size_t *lines; /* 1-based file line of each row */
    char *arena;   /* owns the text of every cell */
};

/* Parse text (len bytes, NUL not required). Returns 0, or -1 with err set
 * ("LABEL:LINE: what is wrong"); *out needs csv_free either way. */
int csv_parse(const char *text, size_t len, const char *label, struct csv *out, char *err,
              size_t errlen);
int csv_read_file(const char *path, struct csv *out, char *err, size_t errlen);
void csv_free(struct csv *c);

/* Index of a header name, or -1. */
int csv_col(const struct csv *c, const char *name);
const char *csv_cell(const struct csv *c, size_t row, size_t col);
/* A finite decimal number (no hex, inf or nan). Returns 0, or -1 with
 * err = "LABEL:LINE: column NAME: "CELL" is not a number". */
int csv_number(const struct csv *c, size_t row, size_t col, double *out, char *err, size_t errlen);
/* The same test on a bare string. */
int csv_parse_number(const char *s, double *out);

#endif
