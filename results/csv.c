/* csv.c - strict CSV reader. */
#include "csv.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

void csv_free(struct csv *c)
{
    free(c->label);
    free(c->header);
    free(c->cells);
    free(c->lines);
    free(c->arena);
    memset(c, 0, sizeof *c);
}

/* One pass over the text. Fields are unquoted in place into the arena (a
 * copy of the text): a field never grows, and its separator leaves room for
 * the NUL. */
struct parser {
    char *a;       /* arena */
    size_t len, r; /* input length, read position */
    size_t w;      /* write position */
    size_t line;
};

enum field_end { END_COMMA, END_LINE, END_EOF };

static int read_field(struct parser *p, char **field, enum field_end *end, char *why, size_t whylen)
{
    char *a = p->a;
    *field = a + p->w;
    if (p->r < p->len && a[p->r] == '"') {
        size_t start_line = p->line;
        p->r++;
        for (;;) {
            if (p->r >= p->len) {
                snprintf(why, whylen, "%zu: unterminated quoted field", start_line);
                return -1;
            }
            char ch = a[p->r++];
            if (ch == '"') {
                if (p->r < p->len && a[p->r] == '"') {
                    a[p->w++] = '"';
                    p->r++;
                    continue;
                }
                break;
            }
            if (ch == '\n')
                p->line++;
            a[p->w++] = ch;
        }
        if (p->r < p->len && a[p->r] != ',' && a[p->r] != '\n' && a[p->r] != '\r') {
            snprintf(why, whylen, "%zu: text after a closing quote", p->line);
            return -1;
        }
    } else {
        while (p->r < p->len && a[p->r] != ',' && a[p->r] != '\n' &&
               !(a[p->r] == '\r' && p->r + 1 < p->len && a[p->r + 1] == '\n'))
            a[p->w++] = a[p->r++];
    }
    if (p->r >= p->len) {
        *end = END_EOF;
    } else if (a[p->r] == ',') {
        *end = END_COMMA;
        p->r++;
    } else {
        if (a[p->r] == '\r')
            p->r++;
        if (p->r >= p->len || a[p->r] != '\n') {
            snprintf(why, whylen, "%zu: stray carriage return", p->line);
            return -1;
        }
        p->r++;
        *end = END_LINE;
    }
    a[p->w++] = '\0';
    return 0;
}

int csv_parse(const char *text, size_t len, const char *label, struct csv *out, char *err,
              size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->label = xstrdup(label);
    out->arena = xmalloc(len + 2);
    memcpy(out->arena, text, len);
    out->arena[len] = out->arena[len + 1] = '\0';
    struct parser p = {.a = out->arena, .len = len, .line = 1};
    char why[160];

    if (len == 0) {
        snprintf(err, errlen, "%s: empty file (no header line)", label);
        return -1;
    }
    size_t cap_cells = 0, n_cells = 0, cap_rows = 0;
    char **fields = NULL; /* the current record */
    size_t n_fields = 0, cap_fields = 0;
    int rc = -1;

    for (bool header = true;; header = false) {
        size_t rec_line = p.line;
        if (p.r >= p.len)
            break;
        /* A blank line: fine only as trailing padding at the very end. */
        if (p.a[p.r] == '\n' || (p.a[p.r] == '\r' && p.r + 1 < p.len && p.a[p.r + 1] == '\n')) {
            size_t k = p.r;
            while (k < p.len && (p.a[k] == '\n' || p.a[k] == '\r'))
                k++;
            if (k >= p.len && !header)
                break;
            snprintf(err, errlen, "%s:%zu: empty line", label, rec_line);
            goto out;
        }
        n_fields = 0;
        enum field_end end;
        do {
            char *f;
            if (read_field(&p, &f, &end, why, sizeof why) < 0) {
                snprintf(err, errlen, "%s:%s", label, why);
                goto out;
            }
            if (n_fields == cap_fields) {
                cap_fields = cap_fields ? cap_fields * 2 : 64;
                fields = xrealloc(fields, cap_fields * sizeof *fields);
            }
            fields[n_fields++] = f;
        } while (end == END_COMMA);
        if (end == END_EOF) {
            snprintf(err, errlen,
                     "%s:%zu: the last line has no line end: the file was cut short "
                     "(truncated, or still being written)",
                     label, rec_line);
            goto out;
        }
        p.line++;
        if (header) {
            out->n_cols = n_fields;
            out->header = xmalloc(n_fields * sizeof *out->header);
            for (size_t i = 0; i < n_fields; i++) {
                if (!fields[i][0]) {
                    snprintf(err, errlen, "%s:%zu: header field %zu is empty", label, rec_line,
                             i + 1);
                    goto out;
                }
                for (size_t j = 0; j < i; j++)
                    if (!strcmp(fields[i], fields[j])) {
                        snprintf(err, errlen, "%s:%zu: duplicate column \"%s\"", label, rec_line,
                                 fields[i]);
                        goto out;
                    }
                out->header[i] = fields[i];
            }
            continue;
        }
        if (n_fields != out->n_cols) {
            snprintf(err, errlen, "%s:%zu: %zu fields, but the header has %zu (a damaged row)",
                     label, rec_line, n_fields, out->n_cols);
            goto out;
        }
        if (n_cells + n_fields > cap_cells) {
            cap_cells = (cap_cells ? cap_cells * 2 : 1024) + n_fields;
            out->cells = xrealloc(out->cells, cap_cells * sizeof *out->cells);
        }
        memcpy(out->cells + n_cells, fields, n_fields * sizeof *fields);
        n_cells += n_fields;
        if (out->n_rows == cap_rows) {
            cap_rows = cap_rows ? cap_rows * 2 : 256;
            out->lines = xrealloc(out->lines, cap_rows * sizeof *out->lines);
        }
        out->lines[out->n_rows++] = rec_line;
    }
    rc = 0;
out:
    free(fields);
    return rc;
}

int csv_read_file(const char *path, struct csv *out, char *err, size_t errlen)
{
    size_t len;
    char *text = file_read(path, &len, err, errlen);
    if (!text) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    int rc = csv_parse(text, len, path, out, err, errlen);
    free(text);
    return rc;
}

int csv_col(const struct csv *c, const char *name)
{
    for (size_t i = 0; i < c->n_cols; i++)
        if (!strcmp(c->header[i], name))
            return (int)i;
    return -1;
}

const char *csv_cell(const struct csv *c, size_t row, size_t col)
{
    return c->cells[row * c->n_cols + col];
}

int csv_parse_number(const char *s, double *out)
{
    /* strtod also takes "inf", "nan" and hex: none belongs in these files. */
    if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int csv_number(const struct csv *c, size_t row, size_t col, double *out, char *err, size_t errlen)
{
    const char *s = csv_cell(c, row, col);
    if (csv_parse_number(s, out) == 0)
        return 0;
    if (!*s)
        snprintf(err, errlen, "%s:%zu: column %s is empty", c->label, c->lines[row],
                 c->header[col]);
    else
        snprintf(err, errlen, "%s:%zu: column %s: \"%.40s\" is not a number", c->label,
                 c->lines[row], c->header[col], s);
    return -1;
}
