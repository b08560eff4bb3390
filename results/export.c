/* export.c - tidy CSV / JSON / JSON Lines. */
#include "export.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "group.h"

int export_format_parse(const char *s, enum export_format *out)
{
    if (!strcmp(s, "csv"))
        *out = EXPORT_CSV;
    else if (!strcmp(s, "json"))
        *out = EXPORT_JSON;
    else if (!strcmp(s, "jsonl") || !strcmp(s, "ndjson"))
        *out = EXPORT_JSONL;
    else
        return -1;
    return 0;
}

/* Shortest text that reads back as the CSV's value (they have <= 15 digits). */
static void num_text(double v, char *buf, size_t len)
{
    snprintf(buf, len, "%.15g", v);
}

static json_t *num_json(double v)
{
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

void export_runs(const struct run *runs, size_t n, enum export_format f, struct sbuf *out)
{
    /* Union of the columns, in first-seen order. */
    const char **cols = NULL;
    size_t n_cols = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < runs[i].n_cols; j++) {
            bool seen = false;
            for (size_t k = 0; k < n_cols && !seen; k++)
                seen = !strcmp(cols[k], runs[i].cols[j]);
            if (seen)
                continue;
            cols = xrealloc(cols, (n_cols + 1) * sizeof *cols);
            cols[n_cols++] = runs[i].cols[j];
        }
    struct group *groups;
    size_t n_groups;
    groups_build(runs, n, &groups, &n_groups);

    if (f == EXPORT_CSV) {
        sbuf_add(out, "run,name,seed,group");
        for (size_t k = 0; k < n_cols; k++) {
            sbuf_addc(out, ',');
            sbuf_add_csv(out, cols[k]);
        }
        sbuf_addc(out, '\n');
    } else if (f == EXPORT_JSON) {
        sbuf_add(out, "[");
    }
    bool first = true;
    const double **data = xcalloc(n_cols ? n_cols : 1, sizeof *data);
    for (size_t i = 0; i < n; i++) {
        const struct run *r = &runs[i];
        const char *gid = groups[group_of(groups, n_groups, i)].id;
        for (size_t k = 0; k < n_cols; k++)
            data[k] = run_col(r, cols[k]);
        for (size_t row = 0; row < r->n_rows; row++) {
            char num[48];
            if (f == EXPORT_CSV) {
                sbuf_add_csv(out, r->label);
                sbuf_addc(out, ',');
                sbuf_add_csv(out, r->name);
                sbuf_printf(out, ",%s,%s", r->seed, gid);
                for (size_t k = 0; k < n_cols; k++) {
                    sbuf_addc(out, ',');
                    if (data[k]) {
                        num_text(data[k][row], num, sizeof num);
                        sbuf_add(out, num);
                    }
                }
                sbuf_addc(out, '\n');
                continue;
            }
            json_t *o = json_object();
            json_object_set_new(o, "run", json_string(r->label));
            json_object_set_new(o, "name", json_string(r->name));
            json_object_set(o, "seed", json_object_get(r->root, "seed"));
            json_object_set_new(o, "group", json_string(gid));
            for (size_t k = 0; k < n_cols; k++)
                json_object_set_new(o, cols[k], data[k] ? num_json(data[k][row]) : json_null());
            char *line =
                json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
            json_decref(o);
            if (f == EXPORT_JSON)
                sbuf_add(out, first ? "\n" : ",\n");
            sbuf_add(out, line ? line : "{}");
            if (f == EXPORT_JSONL)
                sbuf_addc(out, '\n');
            free(line);
            first = false;
        }
    }
    if (f == EXPORT_JSON)
        sbuf_add(out, "\n]\n");
    free(data);
    free(cols);
    groups_free(groups, n_groups);
}
