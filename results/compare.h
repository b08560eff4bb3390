/* compare.h - the comparison of runs and of groups of runs: the model
 * behind `compare` (text and JSON) and the report's summary tables.
 *
 * Per run, every key figure with its delta to the first run. Per group
 * (runs that differ only in seed), the mean, sd and Student-t 95% CI of each
 * figure over the runs where it has a value, with the delta of the mean to
 * the first group and the significance rule of stats.h (intervals that do
 * not overlap). A group where some run has a null figure (say t99 never
 * reached) gets no mean for it: averaging only the runs that got there
 * would flatter the group. */
#ifndef BSR_COMPARE_H
#define BSR_COMPARE_H

#include <stdbool.h>
#include <stdio.h>

#include "figures.h"
#include "sbuf.h"
#include "group.h"
#include "stats.h"

struct cmp_value {
    enum fig_state state;
    double v;
    double delta, pct; /* to the first run; NaN when undefined */
};

struct cmp_group_value {
    struct stats st;   /* over the member runs with a value */
    size_t n_null;     /* members where the figure is null */
    size_t n_absent;   /* members without the figure */
    size_t n_true;     /* UNIT_BOOL: members where it is true */
    double delta, pct; /* mean minus the first group's mean */
    enum significance sig;
};

struct cmp {
    const struct run *runs;
    size_t n_runs;
    struct group *groups;
    size_t n_groups;
    bool shown[FIG_COUNT]; /* rows worth printing */
    struct cmp_value (*run)[FIG_COUNT];
    struct cmp_group_value (*grp)[FIG_COUNT];
};

void cmp_build(const struct run *runs, size_t n_runs, struct cmp *c);
void cmp_free(struct cmp *c);
/* Any group of two or more runs? */
bool cmp_has_groups(const struct cmp *c);

/* A figure's cell as text: the value, or the null word, or "-". */
void cmp_run_cell(const struct cmp *c, size_t run, enum fig_id f, char *buf, size_t len);
/* "+0.08 s (+4.8%)", or "" for the first run or when undefined. */
void cmp_run_delta(const struct cmp *c, size_t run, enum fig_id f, char *buf, size_t len);
/* "1.67 ± 0.12 s", "2/3 yes", "never (1 of 3)". */
void cmp_group_cell(const struct cmp *c, size_t g, enum fig_id f, char *buf, size_t len);
/* "-0.46 s (-27%) *": the mark says significant (*) or not (ns). */
void cmp_group_delta(const struct cmp *c, size_t g, enum fig_id f, char *buf, size_t len);

/* The mark after a cell whose figure was emulator-bound (docs/results.md,
 * "Emulator share"): not "*", which marks significance. */
#define CMP_EMU_MARK "†"
/* Whether some run of group g had figure f emulator-bound. */
bool cmp_group_bound(const struct cmp *c, size_t g, enum fig_id f);
/* Whether some shown cell carries the mark. */
bool cmp_any_bound(const struct cmp *c);
/* The footnote that explains the mark (plain text, no line end). */
void cmp_bound_note(const struct cmp *c, bool groups, struct sbuf *out);

/* "runs #1, #3: capacity estimated from the scenario (...)" when
 * some run's run.json has no capacity timeline; nothing otherwise. Returns
 * whether it wrote the note (plain text, no line end). */
bool cmp_estimated_note(const struct cmp *c, struct sbuf *out);

/* "mean login capacity n/a for #1 a, #2 b: a real server's capacity is
 * unknown (...)": one line per figure and reason where shown runs have a
 * null figure that figure_null_reason explains (lines joined by '\n', no
 * line end after the last). Returns whether it wrote anything. */
bool cmp_null_note(const struct cmp *c, struct sbuf *out);

enum cmp_by { CMP_AUTO, CMP_BY_RUN, CMP_BY_GROUP };
/* The terminal table. */
void cmp_print_text(const struct cmp *c, enum cmp_by by, struct sbuf *out);
/* The same data as JSON (new reference). */
json_t *cmp_json(const struct cmp *c);

#endif
