/* main.c - bootstorm-results: the command line.
 *
 *   summary RUN...            key figures and a sparkline, for the terminal
 *   compare RUN...            side-by-side table, groups with mean ± 95% CI
 *   report  RUN... -o FILE    one self-contained HTML page
 *   export  RUN... --format   tidy CSV / JSON / JSON Lines, or OpenMetrics
 *
 * Exit status: 0 done, 1 the output could not be written, 2 bad command
 * line or bad input (the message names the file, and the line for CSV). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare.h"
#include "export.h"
#include "group.h"
#include "report.h"
#include "run_load.h"
#include "sbuf.h"
#include "summarize.h"

#ifndef BSR_VERSION
#define BSR_VERSION "unknown"
#endif

#define EXIT_OUTPUT 1
#define EXIT_BAD 2

static const char usage_main[] =
    "usage: bootstorm-results COMMAND [OPTIONS] RUN...\n"
    "\n"
    "Read bootstorm results directories (run.json, timeseries.csv, events.csv,\n"
    "histograms.json) and summarize, compare, chart or export them.\n"
    "\n"
    "commands:\n"
    "  summary RUN...                    key figures and an online sparkline\n"
    "  compare RUN... [--json]           side-by-side table; runs of one scenario\n"
    "                                    with different seeds are grouped (mean ± 95% CI)\n"
    "  report RUN... -o FILE.html        self-contained HTML report with charts\n"
    "  export RUN... --format csv|json|jsonl|openmetrics|prometheus [-o FILE]\n"
    "                                    one row per (run, interval), or the\n"
    "                                    runs' final totals for Prometheus\n"
    "  help [COMMAND]                    this text, or a command's options\n"
    "\n"
    "A RUN is a results directory. A directory without run.json whose\n"
    "subdirectories are runs (a sweep directory) stands for all of them.\n"
    "\n"
    "options: -h, --help   --version\n"
    "exit status: 0 ok, 1 output not written, 2 bad command line or bad input\n"
    "docs: docs/results-tool.md\n";

static const char usage_summary[] =
    "usage: bootstorm-results summary [--width N] [--ascii] [-q] RUN...\n"
    "\n"
    "Print each run's key figures in human units: nodes, online at the end,\n"
    "t50/t95/t99, login attempts and amplification (attempts per successful\n"
    "login), peak login rate, the capacity over the run (from run.json, or\n"
    "estimated from the scenario for older runs), the registration tier's peak\n"
    "load, a central run's data centres and autoscaler actions, a dht run's\n"
    "lookups, bootstrap requests and routing tables (and no login lines when\n"
    "its peers do not log in), a settop run's image delivery (time to image,\n"
    "head-end egress, carousel cycles or fountain overhead, verified and\n"
    "counted boxes) and registrations, a target run's real server (the logins it\n"
    "accepted and refused, Retry-After, presence or keepalive, MQTT messages;\n"
    "its capacity unknown), a sparkline of the online fraction with\n"
    "event markers, then the verdicts: recovery and metastability when the run\n"
    "has them, and fidelity. This is also what `bootstorm run` prints at the\n"
    "end of a run.\n"
    "\n"
    "  --width N   sparkline columns at most (default 60; more intervals are averaged)\n"
    "  --ascii     draw the sparkline with ASCII characters\n"
    "  -q, --quiet no notes on stderr about missing optional files\n";

static const char usage_compare[] =
    "usage: bootstorm-results compare [--json] [--by run|group] [--same-scenario]\n"
    "                                 [-o FILE] [-q] RUN...\n"
    "\n"
    "Print the runs' key figures side by side with the change from the first\n"
    "run. Runs whose resolved scenarios differ only in seed (and addresses or\n"
    "ports) form a group (runs of two architectures never share one, and the\n"
    "label says architecture=...); with any group of two or more runs, the\n"
    "columns are groups, each figure as mean ± 95% confidence interval (Student\n"
    "t, df = n-1), and a change is marked * (significant) only when the two\n"
    "intervals do not overlap, ns when they do.\n"
    "\n"
    "  --json           the same data as JSON\n"
    "  --by run|group   force columns per run or per group (default: groups if any)\n"
    "  --same-scenario  fail (exit 2) unless all runs are of one scenario\n"
    "  -o FILE          write to FILE instead of stdout\n"
    "  -q, --quiet      no notes on stderr\n";

static const char usage_report[] =
    "usage: bootstorm-results report -o FILE [--title TEXT] [--same-scenario] [-q] RUN...\n"
    "\n"
    "Write one self-contained HTML page (inline CSS and SVG, no scripts, no\n"
    "network): headline figures, fidelity warnings, the summary table (groups\n"
    "with mean ± 95% CI), and charts with the runs overlaid: peers online, login\n"
    "rate against capacity, login-server queue, supernodes, retry pressure,\n"
    "emulator timer lag, time to online, event skew; the registration tier's load\n"
    "when the runs have it; peers online by architecture when the runs have more\n"
    "than one; each central run's data centres; each dht run's lookups and\n"
    "routing tables; and each settop run's head-end egress, boxes fetching and\n"
    "online, and time to image; each target run's answers by kind, peers\n"
    "logging in, presence or PINGREQs (no login charts when no run logs in). Events,\n"
    "and the autoscaler's actions, are marked on the time axes.\n"
    "\n"
    "  -o FILE          the HTML file (- for stdout); required\n"
    "  --title TEXT     page title (default: from the scenario names)\n"
    "  --same-scenario  fail (exit 2) unless all runs are of one scenario\n"
    "  -q, --quiet      no notes on stderr\n";

static const char usage_export[] =
    "usage: bootstorm-results export --format csv|json|jsonl|openmetrics|prometheus\n"
    "                                [-o FILE] [-q] RUN...\n"
    "\n"
    "Write tidy data: one record per (run, interval) with the columns run, name,\n"
    "seed, group and every timeseries.csv column. json is an array of objects,\n"
    "jsonl one object per line.\n"
    "\n"
    "openmetrics writes each run's final totals in the OpenMetrics text format\n"
    "of `bootstorm run --metrics-listen` (docs/metrics.md): every metric once,\n"
    "one sample per run labelled run=\"LABEL\", one # EOF at the end;\n"
    "prometheus the same in the classic Prometheus text format 0.0.4.\n"
    "\n"
    "  --format F   csv, json, jsonl, openmetrics or prometheus; required\n"
    "  -o FILE      write to FILE instead of stdout\n"
    "  -q, --quiet  no notes on stderr\n";

struct opts {
    const char *out;
    const char *title;
    const char *format;
    const char *by;
    size_t width;
    bool json, ascii, quiet, same_scenario;
    char **runs;
    size_t n_runs;
};

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "bootstorm-results%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'bootstorm-results %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_BAD;
}

/* Match "--name VALUE", "--name=VALUE" or "-s VALUE" at argv[*i]. */
static int opt_value(char **argv, int argc, int *i, const char *lng, const char *shrt,
                     const char **val, bool *missing)
{
    const char *a = argv[*i];
    size_t n = strlen(lng);
    if (!strncmp(a, lng, n) && a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
        if (*i + 1 >= argc) {
            *missing = true;
            return 1;
        }
        *val = argv[++*i];
        return 1;
    }
    return 0;
}

/* Parse a subcommand's arguments. Returns -1 to go on, or an exit status. */
static int parse(const char *cmd, const char *usage, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->width = SUMMARIZE_WIDTH;
    o->runs = xcalloc((size_t)argc + 1, sizeof *o->runs);
    bool only_runs = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        bool missing = false;
        if (only_runs || a[0] != '-' || !strcmp(a, "-")) {
            o->runs[o->n_runs++] = argv[i];
            continue;
        }
        if (!strcmp(a, "--")) {
            only_runs = true;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(cmd, "summary") && !strcmp(a, "--ascii")) {
            o->ascii = true;
        } else if (!strcmp(cmd, "summary") &&
                   opt_value(argv, argc, &i, "--width", "-w", &v, &missing)) {
            char *end;
            long w = missing ? 0 : strtol(v, &end, 10);
            if (missing || *end || w < 8 || w > 1000)
                return usage_error(cmd, "--width wants a number of columns from 8 to 1000%s", "");
            o->width = (size_t)w;
        } else if (!strcmp(cmd, "compare") && !strcmp(a, "--json")) {
            o->json = true;
        } else if (!strcmp(cmd, "compare") &&
                   opt_value(argv, argc, &i, "--by", NULL, &v, &missing)) {
            if (missing || (strcmp(v, "run") && strcmp(v, "group")))
                return usage_error(cmd, "--by wants run or group%s", "");
            o->by = v;
        } else if ((!strcmp(cmd, "compare") || !strcmp(cmd, "report")) &&
                   !strcmp(a, "--same-scenario")) {
            o->same_scenario = true;
        } else if (!strcmp(cmd, "report") &&
                   opt_value(argv, argc, &i, "--title", NULL, &v, &missing)) {
            if (missing)
                return usage_error(cmd, "--title wants a text%s", "");
            o->title = v;
        } else if (!strcmp(cmd, "export") &&
                   opt_value(argv, argc, &i, "--format", "-f", &v, &missing)) {
            if (missing)
                return usage_error(
                    cmd, "--format wants csv, json, jsonl, openmetrics or prometheus%s", "");
            o->format = v;
        } else if (strcmp(cmd, "summary") &&
                   opt_value(argv, argc, &i, "--output", "-o", &v, &missing)) {
            if (missing)
                return usage_error(cmd, "-o wants a file name%s", "");
            o->out = v;
        } else {
            return usage_error(cmd, "unknown option %s", a);
        }
    }
    if (o->n_runs == 0)
        return usage_error(cmd, "no run directory given%s", "");
    return -1;
}

/* Load the runs, print notes, apply --same-scenario. */
static int load(const char *cmd, const struct opts *o, struct run **runs, size_t *n)
{
    char err[1024];
    if (runs_load(o->runs, o->n_runs, runs, n, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm-results %s: %s\n", cmd, err);
        return EXIT_BAD;
    }
    if (*n == 0) {
        fprintf(stderr, "bootstorm-results %s: no runs found\n", cmd);
        return EXIT_BAD;
    }
    if (!o->quiet)
        for (size_t i = 0; i < *n; i++)
            for (size_t k = 0; k < (*runs)[i].n_notes; k++)
                fprintf(stderr, "bootstorm-results: note: %s\n", (*runs)[i].notes[k]);
    if (o->same_scenario) {
        struct group *g;
        size_t ng;
        groups_build(*runs, *n, &g, &ng);
        if (ng > 1) {
            char *d = group_diff(&g[0], &g[1], 4);
            fprintf(stderr,
                    "bootstorm-results %s: --same-scenario: the runs are not all of one "
                    "scenario: %s (run #%zu) and %s (run #%zu) differ in %s\n",
                    cmd, (*runs)[g[0].members[0]].label, g[0].members[0] + 1,
                    (*runs)[g[1].members[0]].label, g[1].members[0] + 1, d);
            free(d);
            groups_free(g, ng);
            runs_free(*runs, *n);
            return EXIT_BAD;
        }
        groups_free(g, ng);
    }
    return -1;
}

static int emit(const char *cmd, const char *path, const struct sbuf *b)
{
    char err[512];
    if (file_write(path, sbuf_str(b), b->len, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm-results %s: cannot write %s\n", cmd, err);
        return EXIT_OUTPUT;
    }
    return 0;
}

static int cmd_summary(struct opts *o)
{
    struct run *runs;
    size_t n;
    int rc = load("summary", o, &runs, &n);
    if (rc >= 0)
        return rc;
    struct sbuf b;
    sbuf_init(&b);
    struct summarize_opts so = {.width = o->width, .ascii = o->ascii};
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addc(&b, '\n');
        summarize(&runs[i], &so, &b);
    }
    rc = emit("summary", NULL, &b);
    sbuf_free(&b);
    runs_free(runs, n);
    return rc;
}

static int cmd_compare(struct opts *o)
{
    struct run *runs;
    size_t n;
    int rc = load("compare", o, &runs, &n);
    if (rc >= 0)
        return rc;
    struct cmp c;
    cmp_build(runs, n, &c);
    struct sbuf b;
    sbuf_init(&b);
    if (o->json) {
        json_t *j = cmp_json(&c);
        char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
        sbuf_add(&b, text ? text : "{}");
        sbuf_addc(&b, '\n');
        free(text);
        json_decref(j);
    } else {
        enum cmp_by by = !o->by ? CMP_AUTO : !strcmp(o->by, "run") ? CMP_BY_RUN : CMP_BY_GROUP;
        cmp_print_text(&c, by, &b);
    }
    rc = emit("compare", o->out, &b);
    sbuf_free(&b);
    cmp_free(&c);
    runs_free(runs, n);
    return rc;
}

static int cmd_report(struct opts *o)
{
    if (!o->out)
        return usage_error("report", "-o FILE is required (use -o - for stdout)%s", "");
    struct run *runs;
    size_t n;
    int rc = load("report", o, &runs, &n);
    if (rc >= 0)
        return rc;
    /* SOURCE_DATE_EPOCH makes the page reproducible byte for byte. */
    char when[64];
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t now = sde && *sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    struct report_opts ro = {.title = o->title, .version = BSR_VERSION, .generated = when};
    struct sbuf b;
    sbuf_init(&b);
    report_html(runs, n, &ro, &b);
    rc = emit("report", o->out, &b);
    if (rc == 0 && o->out && strcmp(o->out, "-") && !o->quiet)
        fprintf(stderr, "bootstorm-results: wrote %s (%zu run%s)\n", o->out, n, n == 1 ? "" : "s");
    sbuf_free(&b);
    runs_free(runs, n);
    return rc;
}

static int cmd_export(struct opts *o)
{
    enum export_format f;
    if (!o->format)
        return usage_error("export", "--format csv|json|jsonl|openmetrics|prometheus is required%s",
                           "");
    if (export_format_parse(o->format, &f) < 0)
        return usage_error("export",
                           "unknown format \"%s\" (csv, json, jsonl, openmetrics or prometheus)",
                           o->format);
    struct run *runs;
    size_t n;
    int rc = load("export", o, &runs, &n);
    if (rc >= 0)
        return rc;
    struct sbuf b;
    sbuf_init(&b);
    export_runs(runs, n, f, &b);
    rc = emit("export", o->out, &b);
    sbuf_free(&b);
    runs_free(runs, n);
    return rc;
}

static const struct command {
    const char *name;
    const char *usage;
    int (*run)(struct opts *o);
} commands[] = {
    {"summary", usage_summary, cmd_summary},
    {"compare", usage_compare, cmd_compare},
    {"report", usage_report, cmd_report},
    {"export", usage_export, cmd_export},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const struct command *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_BAD;
    }
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(a, "--version")) {
        printf("bootstorm-results %s (reads results format_version <= %d)\n", BSR_VERSION,
               RUN_FORMAT_VERSION);
        return 0;
    }
    if (!strcmp(a, "help")) {
        const struct command *c = argc > 2 ? find(argv[2]) : NULL;
        if (argc > 2 && !c)
            return usage_error(NULL, "no such command: %s", argv[2]);
        fputs(c ? c->usage : usage_main, stdout);
        return 0;
    }
    const struct command *c = find(a);
    if (!c)
        return usage_error(NULL, a[0] == '-' ? "unknown option %s" : "no such command: %s", a);
    struct opts o;
    int rc = parse(c->name, c->usage, argc - 2, argv + 2, &o);
    if (rc < 0)
        rc = c->run(&o);
    free(o.runs);
    return rc;
}
