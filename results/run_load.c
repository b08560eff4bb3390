/* run_load.c - load and validate a results directory. */
#include "run_load.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/dist.h"
#include "common/scenario.h"
#include "csv.h"
#include "sbuf.h"

/* ---- run.json validation ---- */

enum { T_INT = 1, T_NUM = 2, T_STR = 4, T_BOOL = 8, T_NULL = 16, T_OBJ = 32 };

struct key_rule {
    const char *key; /* dotted path */
    unsigned types;
    int required;
};

static const struct key_rule top_rules[] = {
    {"name", T_STR, 1},       {"seed", T_INT | T_STR, 1},
    {"complete", T_BOOL, 1},  {"reason", T_STR | T_NULL, 0},
    {"scenario", T_OBJ, 1},   {"started_at", T_STR | T_NULL, 0},
    {"world_size", T_INT, 0}, {"version", T_STR, 0},
    {"commit", T_STR, 0},
};

static const struct key_rule summary_rules[] = {
    {"peers", T_INT, 1},
    {"online_final", T_INT, 1},
    {"login_attempts", T_INT, 1},
    {"login_ok", T_INT, 1},
    {"t50_s", T_NUM | T_NULL, 1},
    {"t95_s", T_NUM | T_NULL, 1},
    {"t99_s", T_NUM | T_NULL, 1},
    {"peak_login_rps", T_NUM, 1},
    {"fidelity", T_OBJ, 1},
    {"fidelity.valid", T_BOOL, 1},
    {"fidelity.lag_p99_ms", T_NUM, 0},
    {"fidelity.skew_p99_ms", T_NUM, 0},
    {"fidelity.reason", T_STR | T_NULL, 0},
    {"ever_online", T_INT, 0},
    {"login_busy", T_INT, 0},
    {"login_timeout", T_INT, 0},
    {"login_error", T_INT, 0},
    {"login_attempts_per_node_max", T_INT, 0},
    {"peak_login_ok_rps", T_NUM, 0},
    {"msgs_sent", T_INT, 0},
    {"bytes_sent", T_INT, 0},
    /* Recovery verdicts (issue 3): shown when present. */
    {"recovered", T_BOOL | T_NULL, 0},
    {"recovery_s", T_NUM | T_NULL, 0},
    {"metastable", T_BOOL | T_NULL, 0},
    {"amplification", T_NUM | T_OBJ | T_NULL, 0},
    {"rows_only", T_BOOL, 0},
};

/* run.json's "settop" object (docs/results.md): what the tool reads of it,
 * relative to the object. Nothing is required (a missing figure is left
 * out), but what is there must have its type. */
static const struct key_rule settop_rules[] = {
    {"method", T_STR, 0},
    {"boxes", T_NUM, 0},
    {"image_bytes", T_NUM, 0},
    {"block_bytes", T_NUM, 0},
    {"blocks", T_NUM, 0},
    {"channel_mbps", T_NUM, 0},
    {"carousel_mbps", T_NUM | T_NULL, 0},
    {"downstream_loss", T_NUM, 0},
    {"image_s", T_OBJ, 0},
    {"image_s.t50", T_NUM | T_NULL, 0},
    {"image_s.t95", T_NUM | T_NULL, 0},
    {"image_s.t99", T_NUM | T_NULL, 0},
    {"image_s.n", T_NUM, 0},
    {"online_s", T_OBJ | T_NULL, 0},
    {"online_s.t50", T_NUM | T_NULL, 0},
    {"online_s.t95", T_NUM | T_NULL, 0},
    {"online_s.t99", T_NUM | T_NULL, 0},
    {"egress_bytes", T_NUM, 0},
    {"egress_peak_mbps", T_NUM | T_NULL, 0},
    {"egress_mean_mbps", T_NUM | T_NULL, 0},
    {"datagrams", T_NUM, 0},
    {"cycles_sent", T_NUM, 0},
    {"retransmits", T_NUM, 0},
    {"cycles_per_box", T_OBJ | T_NULL, 0},
    {"cycles_per_box.mean", T_NUM | T_NULL, 0},
    {"cycles_per_box.p50", T_NUM | T_NULL, 0},
    {"cycles_per_box.p95", T_NUM | T_NULL, 0},
    {"cycles_per_box.max", T_NUM | T_NULL, 0},
    {"fountain", T_OBJ | T_NULL, 0},
    {"fountain.decodes", T_NUM, 0},
    {"fountain.decode_failed", T_NUM, 0},
    {"fountain.overhead_mean", T_NUM | T_NULL, 0},
    {"fountain.overhead_p95", T_NUM | T_NULL, 0},
    {"fountain.overhead_max", T_NUM | T_NULL, 0},
    {"verify_share", T_NUM, 0},
    {"boxes_verified", T_NUM, 0},
    {"boxes_counted", T_NUM, 0},
    {"box_image_bytes_peak", T_NUM, 0},
    {"registration", T_OBJ | T_NULL, 0},
    {"registration.served", T_NUM, 0},
    {"registration.refused", T_NUM, 0},
    {"registration.wasted", T_NUM, 0},
    {"registration.busy_answers", T_NUM, 0},
    {"img", T_OBJ | T_NULL, 0},
    {"img.delivered", T_NUM, 0},
    {"img.lost", T_NUM, 0},
    {"img.dup", T_NUM, 0},
    {"img.bad", T_NUM, 0},
    {"img.corrupt", T_NUM, 0},
};

/* run.json's summary.target (architecture: target, docs/results.md): the
 * real server and what bootstorm saw of it. Nothing is required; what is
 * there must have its type. */
static const struct key_rule target_rules[] = {
    {"protocol", T_STR, 0},
    {"host", T_STR, 0},
    {"address", T_STR, 0},
    {"port", T_INT, 0},
    {"tls", T_BOOL, 0},
    {"capacity", T_STR | T_NUM | T_NULL, 0},
    {"requests", T_INT, 0},
    {"accepted", T_INT, 0},
    {"refused", T_INT, 0},
    {"refused_with_retry_after", T_INT, 0},
    {"failed", T_INT, 0},
    {"errors", T_INT, 0},
    {"timeouts", T_INT, 0},
    {"keepalives", T_INT, 0},
    {"presence_failed", T_INT, 0},
    {"online_lost", T_INT, 0},
};

static json_t *get_path(json_t *obj, const char *path)
{
    char key[128];
    while (json_is_object(obj)) { /* false for NULL too */
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = json_object_get(obj, key);
        if (!dot)
            return obj;
        path = dot + 1;
    }
    return NULL;
}

static const char *type_name(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "something else";
}

static const char *wanted(unsigned t)
{
    if (t & T_OBJ)
        return t & T_NUM ? "a number or an object" : t & T_NULL ? "an object or null" : "an object";
    if (t & T_BOOL)
        return "true or false";
    if ((t & T_INT) && (t & T_STR))
        return "an integer or a string";
    if (t & T_INT)
        return "a non-negative integer";
    if (t & T_NUM)
        return t & T_NULL ? "a number or null" : "a number";
    return "a string";
}

static int type_ok(const json_t *j, unsigned t)
{
    if (json_is_integer(j))
        return (t & (T_INT | T_NUM)) && !((t & T_INT) && !(t & T_NUM) && json_integer_value(j) < 0);
    if (json_is_real(j))
        return (t & T_NUM) && isfinite(json_real_value(j));
    if (json_is_string(j))
        return t & T_STR;
    if (json_is_boolean(j))
        return t & T_BOOL;
    if (json_is_null(j))
        return t & T_NULL;
    if (json_is_object(j))
        return t & T_OBJ;
    return 0;
}

static int check_rules(json_t *obj, const char *prefix, const struct key_rule *rules, size_t n,
                       const char *label, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = get_path(obj, rules[i].key);
        if (!v) {
            if (!rules[i].required)
                continue;
            snprintf(err, errlen, "%s: %s%s is missing (not a complete bootstorm run.json)", label,
                     prefix, rules[i].key);
            return -1;
        }
        if (json_is_integer(v) && json_integer_value(v) < 0 && (rules[i].types & T_INT) &&
            !(rules[i].types & T_NUM)) {
            snprintf(err, errlen, "%s: %s%s should be a non-negative integer, not %lld", label,
                     prefix, rules[i].key, (long long)json_integer_value(v));
            return -1;
        }
        if (!type_ok(v, rules[i].types)) {
            snprintf(err, errlen, "%s: %s%s should be %s, not %s", label, prefix, rules[i].key,
                     wanted(rules[i].types), type_name(v));
            return -1;
        }
    }
    return 0;
}

/* format_version: present, an integer, and one this tool reads. */
static int check_version(json_t *root, const char *label, char *err, size_t errlen)
{
    json_t *fv = json_object_get(root, "format_version");
    if (!fv) {
        snprintf(err, errlen, "%s: no format_version: not a bootstorm results file", label);
        return -1;
    }
    if (!json_is_integer(fv)) {
        snprintf(err, errlen, "%s: format_version should be an integer, not %s", label,
                 type_name(fv));
        return -1;
    }
    json_int_t v = json_integer_value(fv);
    if (v > RUN_FORMAT_VERSION) {
        snprintf(err, errlen,
                 "%s: format_version %lld is newer than this tool reads (%d): "
                 "use the bootstorm-results of the bootstorm that wrote it",
                 label, (long long)v, RUN_FORMAT_VERSION);
        return -1;
    }
    if (v < 1) {
        snprintf(err, errlen, "%s: format_version %lld is not valid (the first version is 1)",
                 label, (long long)v);
        return -1;
    }
    return 0;
}

/* ---- the capacity timeline ---- */

static const char *const srv_key[RUN_SRV_COUNT] = {"login_server", "service"};

/* One entry of capacity.CLASS: {t_s, per_server_rps, servers}. */
static int check_cap_entry(json_t *e, const char *cls, size_t i, double *prev_t, const char *label,
                           char *err, size_t errlen)
{
    static const struct key_rule rules[] = {
        {"t_s", T_NUM, 1},
        {"per_server_rps", T_NUM | T_NULL, 1},
        {"servers", T_INT, 1},
    };
    char prefix[64];
    snprintf(prefix, sizeof prefix, "capacity.%s[%zu].", cls, i);
    if (!json_is_object(e)) {
        snprintf(err, errlen, "%s: capacity.%s[%zu] should be an object, not %s", label, cls, i,
                 type_name(e));
        return -1;
    }
    if (check_rules(e, prefix, rules, sizeof rules / sizeof rules[0], label, err, errlen) < 0)
        return -1;
    double t = json_number_value(json_object_get(e, "t_s"));
    json_t *rps = json_object_get(e, "per_server_rps");
    if (t < 0 || (json_is_number(rps) && json_number_value(rps) < 0)) {
        snprintf(err, errlen, "%s: %s%s should not be negative", label, prefix,
                 t < 0 ? "t_s" : "per_server_rps");
        return -1;
    }
    if (t < *prev_t) {
        snprintf(err, errlen,
                 "%s: %st_s %g comes before the previous entry's %g (entries are in time order)",
                 label, prefix, t, *prev_t);
        return -1;
    }
    *prev_t = t;
    return 0;
}

/* run.json's optional "capacity": every class an array of entries. */
static int check_capacity(json_t *root, const char *label, char *err, size_t errlen)
{
    json_t *cap = json_object_get(root, "capacity");
    if (!cap || json_is_null(cap))
        return 0; /* written before run.json had it (or null: the coordinator ran out of
                   * memory): estimated from the scenario */
    if (!json_is_object(cap)) {
        snprintf(err, errlen, "%s: capacity should be an object, not %s", label, type_name(cap));
        return -1;
    }
    for (int c = 0; c < RUN_SRV_COUNT; c++) {
        json_t *a = json_object_get(cap, srv_key[c]);
        if (!a) {
            snprintf(err, errlen, "%s: capacity.%s is missing (not a complete bootstorm run.json)",
                     label, srv_key[c]);
            return -1;
        }
        if (!json_is_array(a)) {
            snprintf(err, errlen, "%s: capacity.%s should be an array, not %s", label, srv_key[c],
                     type_name(a));
            return -1;
        }
        double prev = 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (check_cap_entry(json_array_get(a, i), srv_key[c], i, &prev, label, err, errlen) < 0)
                return -1;
    }
    return 0;
}

/* ---- the autoscaler's actions ---- */

/* One entry of scale_actions: {decided_s, at_s, datacenter, action, count,
 * servers}. */
static int check_scale_entry(json_t *e, size_t i, const char *label, char *err, size_t errlen)
{
    static const struct key_rule rules[] = {
        {"decided_s", T_NUM, 1},  {"at_s", T_NUM, 1},
        {"datacenter", T_STR, 1}, {"action", T_STR, 1},
        {"count", T_INT, 1},      {"servers", T_INT, 1},
        {"load", T_NUM, 0},       {"fired_s", T_NUM | T_NULL, 0},
    };
    char prefix[48];
    snprintf(prefix, sizeof prefix, "scale_actions[%zu].", i);
    if (!json_is_object(e)) {
        snprintf(err, errlen, "%s: scale_actions[%zu] should be an object, not %s", label, i,
                 type_name(e));
        return -1;
    }
    if (check_rules(e, prefix, rules, sizeof rules / sizeof rules[0], label, err, errlen) < 0)
        return -1;
    double decided = json_number_value(json_object_get(e, "decided_s"));
    double at = json_number_value(json_object_get(e, "at_s"));
    const char *action = json_string_value(json_object_get(e, "action"));
    if (decided < 0 || at < 0) {
        snprintf(err, errlen, "%s: %s%s should not be negative", label, prefix,
                 decided < 0 ? "decided_s" : "at_s");
        return -1;
    }
    if (at < decided) {
        snprintf(err, errlen,
                 "%s: %sat_s %g comes before its decided_s %g (an action takes effect when "
                 "or after it is decided)",
                 label, prefix, at, decided);
        return -1;
    }
    if (!json_string_value(json_object_get(e, "datacenter"))[0]) {
        snprintf(err, errlen, "%s: %sdatacenter is empty", label, prefix);
        return -1;
    }
    if (strcmp(action, "scale_up") && strcmp(action, "scale_down")) {
        snprintf(err, errlen,
                 "%s: %saction should be \"scale_up\" or \"scale_down\", not \"%.40s\"", label,
                 prefix, action);
        return -1;
    }
    json_int_t count = json_integer_value(json_object_get(e, "count"));
    json_int_t servers = json_integer_value(json_object_get(e, "servers"));
    if (count < 1) {
        snprintf(err, errlen, "%s: %scount should be at least 1, not %lld", label, prefix,
                 (long long)count);
        return -1;
    }
    if (count > INT_MAX || servers > INT_MAX) {
        snprintf(err, errlen, "%s: %s%s %lld is too large", label, prefix,
                 count > INT_MAX ? "count" : "servers",
                 (long long)(count > INT_MAX ? count : servers));
        return -1;
    }
    return 0;
}

/* run.json's optional "scale_actions": an array of entries (central runs
 * with autoscaling; absent, null or [] otherwise). */
static int check_scale_actions(json_t *root, const char *label, char *err, size_t errlen)
{
    json_t *a = json_object_get(root, "scale_actions");
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a)) {
        snprintf(err, errlen, "%s: scale_actions should be an array, not %s", label, type_name(a));
        return -1;
    }
    for (size_t i = 0; i < json_array_size(a); i++)
        if (check_scale_entry(json_array_get(a, i), i, label, err, errlen) < 0)
            return -1;
    return 0;
}

/* The settop object, where the coordinator writes it (summary.settop; a
 * top-level one is read too), with the prefix that names it in messages. */
static json_t *settop_object(json_t *root, const char **prefix)
{
    json_t *in_summary = json_object_get(json_object_get(root, "summary"), "settop");
    *prefix = in_summary ? "summary.settop." : "settop.";
    return in_summary ? in_summary : json_object_get(root, "settop");
}

static int check_settop(json_t *root, const char *label, char *err, size_t errlen)
{
    const char *prefix;
    json_t *st = settop_object(root, &prefix);
    if (!st || json_is_null(st))
        return 0;
    if (!json_is_object(st)) {
        snprintf(err, errlen, "%s: %.*s should be an object, not %s", label,
                 (int)strlen(prefix) - 1, prefix, type_name(st));
        return -1;
    }
    return check_rules(st, prefix, settop_rules, sizeof settop_rules / sizeof settop_rules[0],
                       label, err, errlen);
}

static int check_target(json_t *root, const char *label, char *err, size_t errlen)
{
    json_t *t = json_object_get(json_object_get(root, "summary"), "target");
    if (!t || json_is_null(t))
        return 0;
    if (!json_is_object(t)) {
        snprintf(err, errlen, "%s: summary.target should be an object, not %s", label,
                 type_name(t));
        return -1;
    }
    return check_rules(t, "summary.target.", target_rules,
                       sizeof target_rules / sizeof target_rules[0], label, err, errlen);
}

json_t *run_json_parse(const char *text, const char *label, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, 0, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d:%d: not valid JSON: %s", label, je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: not a JSON object: not a bootstorm run.json", label);
        goto bad;
    }
    if (check_version(root, label, err, errlen) < 0)
        goto bad;
    json_t *tool = json_object_get(root, "tool");
    if (tool && (!json_is_string(tool) || strcmp(json_string_value(tool), "bootstorm"))) {
        snprintf(err, errlen, "%s: written by %s, not by bootstorm", label,
                 json_is_string(tool) ? json_string_value(tool) : "an unknown tool");
        goto bad;
    }
    json_t *summary = json_object_get(root, "summary");
    json_t *complete = json_object_get(root, "complete");
    if (!summary || json_is_null(summary)) {
        json_t *why = json_object_get(root, "reason");
        if (json_is_false(complete))
            snprintf(err, errlen,
                     "%s: the run has not finished (complete: false, summary: null): %s", label,
                     json_is_string(why) ? json_string_value(why)
                                         : "it is still running, or it died before the end");
        else
            snprintf(err, errlen, "%s: summary is missing (not a complete bootstorm run.json)",
                     label);
        goto bad;
    }
    if (!json_is_object(summary)) {
        snprintf(err, errlen, "%s: summary should be an object, not %s", label, type_name(summary));
        goto bad;
    }
    if (check_rules(root, "", top_rules, sizeof top_rules / sizeof top_rules[0], label, err,
                    errlen) < 0 ||
        check_rules(summary, "summary.", summary_rules,
                    sizeof summary_rules / sizeof summary_rules[0], label, err, errlen) < 0 ||
        check_capacity(root, label, err, errlen) < 0 ||
        check_scale_actions(root, label, err, errlen) < 0 ||
        check_settop(root, label, err, errlen) < 0 || check_target(root, label, err, errlen) < 0)
        goto bad;
    return root;
bad:
    json_decref(root);
    return NULL;
}

/* ---- helpers ---- */

static void load_capacity(struct run *r); /* below, with the capacity accessors */

/* run.json was checked by check_scale_actions: the shapes are right. */
static void load_scale_actions(struct run *r)
{
    json_t *a = json_object_get(r->root, "scale_actions");
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    if (!n)
        return;
    r->scale = xcalloc(n, sizeof *r->scale);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(a, i);
        struct scale_action *s = &r->scale[i];
        s->decided_s = json_number_value(json_object_get(e, "decided_s"));
        s->at_s = json_number_value(json_object_get(e, "at_s"));
        s->datacenter = xstrdup(json_string_value(json_object_get(e, "datacenter")));
        s->up = !strcmp(json_string_value(json_object_get(e, "action")), "scale_up");
        s->count = (int)json_integer_value(json_object_get(e, "count"));
        s->servers = (int)json_integer_value(json_object_get(e, "servers"));
        json_t *load = json_object_get(e, "load");
        s->load = json_is_number(load) ? json_number_value(load) : NAN;
    }
    r->n_scale = n;
}

/* The data centres of a central run: every column named dc_NAME_WHAT with
 * WHAT one of the per-DC figures, NAMEs in the order they first appear. */
static void find_datacenters(struct run *r)
{
    static const char *const what[] = {"servers", "clients", "load", "refusals", "spills"};
    for (size_t j = 0; j < r->n_cols; j++) {
        const char *c = r->cols[j];
        size_t n = strlen(c);
        if (strncmp(c, "dc_", 3))
            continue;
        for (size_t w = 0; w < sizeof what / sizeof what[0]; w++) {
            size_t wl = strlen(what[w]);
            /* dc_ + a name of at least one character + _ + what */
            if (n < 3 + 1 + 1 + wl || c[n - wl - 1] != '_' || strcmp(c + n - wl, what[w]))
                continue;
            size_t nl = n - 3 - wl - 1;
            size_t k = 0;
            while (k < r->n_dcs &&
                   !(strlen(r->dcs[k].name) == nl && !strncmp(r->dcs[k].name, c + 3, nl)))
                k++;
            if (k == r->n_dcs) {
                r->dcs = xrealloc(r->dcs, (k + 1) * sizeof *r->dcs);
                memset(&r->dcs[k], 0, sizeof r->dcs[k]);
                r->dcs[k].name = xmalloc(nl + 1);
                memcpy(r->dcs[k].name, c + 3, nl);
                r->dcs[k].name[nl] = '\0';
                r->n_dcs++;
            }
            const double **slot[] = {&r->dcs[k].servers, &r->dcs[k].clients, &r->dcs[k].load,
                                     &r->dcs[k].refusals, &r->dcs[k].spills};
            *slot[w] = r->data[j];
            break;
        }
    }
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = xmalloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void add_note(struct run *r, const char *fmt, const char *arg)
{
    struct sbuf b;
    sbuf_init(&b);
    sbuf_printf(&b, fmt, arg);
    r->notes = xrealloc(r->notes, (r->n_notes + 1) * sizeof *r->notes);
    r->notes[r->n_notes++] = b.s;
}

/* ---- timeseries.csv and events.csv ---- */

static int load_timeseries(struct run *r, const char *path, char *err, size_t errlen)
{
    struct csv c;
    if (csv_read_file(path, &c, err, errlen) < 0) {
        csv_free(&c);
        return -1;
    }
    int rc = -1;
    int ct = csv_col(&c, "t_s"), co = csv_col(&c, "online");
    if (ct < 0 || co < 0) {
        snprintf(err, errlen, "%s:1: no %s column: not a bootstorm timeseries", path,
                 ct < 0 ? "t_s" : "online");
        goto out;
    }
    r->n_rows = c.n_rows;
    r->n_cols = c.n_cols;
    r->cols = xcalloc(c.n_cols, sizeof *r->cols);
    r->data = xcalloc(c.n_cols, sizeof *r->data);
    for (size_t j = 0; j < c.n_cols; j++) {
        r->cols[j] = xstrdup(c.header[j]);
        r->data[j] = xcalloc(c.n_rows, sizeof(double));
    }
    for (size_t i = 0; i < c.n_rows; i++) {
        for (size_t j = 0; j < c.n_cols; j++)
            if (csv_number(&c, i, j, &r->data[j][i], err, errlen) < 0)
                goto out;
        double t = r->data[ct][i], prev = i ? r->data[ct][i - 1] : 0;
        if (t <= prev) {
            snprintf(err, errlen, "%s:%zu: t_s %s does not increase (previous %g)", path,
                     c.lines[i], csv_cell(&c, i, (size_t)ct), prev);
            goto out;
        }
    }
    if (c.n_rows == 0)
        add_note(r, "%s has no rows yet", path);
    rc = 0;
out:
    csv_free(&c);
    return rc;
}

static int load_events(struct run *r, const char *path, char *err, size_t errlen)
{
    struct csv c;
    if (csv_read_file(path, &c, err, errlen) < 0) {
        csv_free(&c);
        return -1;
    }
    int rc = -1;
    int ck = csv_col(&c, "kind"), cs = csv_col(&c, "scheduled_s"), cw = csv_col(&c, "skew_ms");
    int ce = csv_col(&c, "event"), cr = csv_col(&c, "rank");
    if (ck < 0 || cs < 0 || cw < 0) {
        snprintf(err, errlen, "%s:1: no %s column: not a bootstorm events file", path,
                 ck < 0   ? "kind"
                 : cs < 0 ? "scheduled_s"
                          : "skew_ms");
        goto out;
    }
    r->events = xcalloc(c.n_rows, sizeof *r->events);
    for (size_t i = 0; i < c.n_rows; i++) {
        struct run_event *e = &r->events[i];
        double v = -1;
        /* Every column but kind is a number, used here or not. */
        for (size_t j = 0; j < c.n_cols; j++)
            if ((int)j != ck && csv_number(&c, i, j, &v, err, errlen) < 0) {
                r->n_events = i;
                goto out;
            }
        e->kind = xstrdup(csv_cell(&c, i, (size_t)ck));
        r->n_events = i + 1;
        if (!e->kind[0]) {
            snprintf(err, errlen, "%s:%zu: column kind is empty", path, c.lines[i]);
            goto out;
        }
        if (csv_number(&c, i, (size_t)cs, &e->scheduled_s, err, errlen) < 0 ||
            csv_number(&c, i, (size_t)cw, &e->skew_ms, err, errlen) < 0)
            goto out;
        if (ce >= 0 && csv_number(&c, i, (size_t)ce, &v, err, errlen) < 0)
            goto out;
        e->index = ce >= 0 ? (int)v : -1;
        if (cr >= 0 && csv_number(&c, i, (size_t)cr, &v, err, errlen) < 0)
            goto out;
        e->rank = cr >= 0 ? (int)v : -1;
    }
    r->has_events = 1;
    rc = 0;
out:
    csv_free(&c);
    return rc;
}

/* ---- histograms.json ---- */

/* One histogram: {"buckets": [[upper, count], ...], ...}, upper bounds
 * increasing. */
static int check_hist(const char *path, const char *name, json_t *v, char *err, size_t errlen)
{
    json_t *b = json_is_object(v) ? json_object_get(v, "buckets") : NULL;
    if (!b || !json_is_array(b)) {
        snprintf(err, errlen, "%s: %s has no buckets array", path, name);
        return -1;
    }
    double prev = -1;
    for (size_t i = 0; i < json_array_size(b); i++) {
        json_t *p = json_array_get(b, i);
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            !json_is_integer(json_array_get(p, 0)) || !json_is_integer(json_array_get(p, 1)) ||
            json_integer_value(json_array_get(p, 1)) < 0) {
            snprintf(err, errlen,
                     "%s: %s.buckets[%zu] should be [upper bound, count] (two integers)", path,
                     name, i);
            return -1;
        }
        double ub = (double)json_integer_value(json_array_get(p, 0));
        if (ub <= prev) {
            snprintf(err, errlen, "%s: %s.buckets are not in increasing order at [%zu]", path, name,
                     i);
            return -1;
        }
        prev = ub;
    }
    return 0;
}

/* "windows": per fired event, its time span and histograms. */
static int check_windows(const char *path, json_t *w, char *err, size_t errlen)
{
    static const char *const hists[] = {"login", "login_emulator", "register", "register_emulator"};
    if (!json_is_array(w)) {
        snprintf(err, errlen, "%s: windows should be an array", path);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(w); i++) {
        json_t *o = json_array_get(w, i);
        if (!json_is_object(o) || !json_is_number(json_object_get(o, "from_s")) ||
            !json_is_number(json_object_get(o, "to_s"))) {
            snprintf(err, errlen, "%s: windows[%zu] should be an object with from_s and to_s", path,
                     i);
            return -1;
        }
        for (size_t k = 0; k < sizeof hists / sizeof hists[0]; k++) {
            char name[64];
            snprintf(name, sizeof name, "windows[%zu].%s", i, hists[k]);
            json_t *v = json_object_get(o, hists[k]);
            if (v && check_hist(path, name, v, err, errlen) < 0)
                return -1;
        }
    }
    return 0;
}

static int load_histograms(struct run *r, const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *h = json_load_file(path, 0, &je);
    if (!h) {
        snprintf(err, errlen, "%s:%d:%d: not valid JSON: %s", path, je.line, je.column, je.text);
        return -1;
    }
    if (!json_is_object(h)) {
        snprintf(err, errlen, "%s: not a JSON object", path);
        goto bad;
    }
    if (check_version(h, path, err, errlen) < 0)
        goto bad;
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v)
    {
        if (!strcmp(key, "format_version"))
            continue;
        if (!strcmp(key, "windows") ? check_windows(path, v, err, errlen) < 0
                                    : check_hist(path, key, v, err, errlen) < 0)
            goto bad;
    }
    r->hist = h;
    return 0;
bad:
    json_decref(h);
    return -1;
}

/* ---- the run ---- */

static char *strip_slashes(const char *p)
{
    char *s = xstrdup(p);
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static char *base_label(const char *path)
{
    char *real = realpath(path, NULL);
    const char *p = real ? real : path;
    const char *slash = strrchr(p, '/');
    char *b = xstrdup(slash && slash[1] ? slash + 1 : p);
    free(real);
    return b;
}

int run_load(const char *dir, struct run *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->path = strip_slashes(dir);
    struct stat st;
    if (stat(out->path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", out->path, strerror(errno));
        goto bad;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory: give a run's results directory", out->path);
        goto bad;
    }
    char *rj = join(out->path, "run.json"), *ts = join(out->path, "timeseries.csv");
    char *ev = join(out->path, "events.csv"), *hj = join(out->path, "histograms.json");
    int rc = -1;
    if (!exists(rj)) {
        if (exists(ts))
            snprintf(err, errlen,
                     "%s: no run.json: the run did not finish (it is still running, or it "
                     "died; see docs/results.md)",
                     out->path);
        else
            snprintf(err, errlen, "%s: not a run directory (no run.json)", out->path);
        goto files;
    }
    size_t len;
    char *text = file_read(rj, &len, err, errlen);
    if (!text)
        goto files;
    if (strlen(text) != len) {
        snprintf(err, errlen, "%s: holds a NUL byte: not a JSON text", rj);
        free(text);
        goto files;
    }
    out->root = run_json_parse(text, rj, err, errlen);
    free(text);
    if (!out->root)
        goto files;
    out->summary = json_object_get(out->root, "summary");
    out->scenario = json_object_get(out->root, "scenario");
    load_capacity(out);
    load_scale_actions(out);
    out->name = xstrdup(json_string_value(json_object_get(out->root, "name")));
    json_t *seed = json_object_get(out->root, "seed");
    if (json_is_integer(seed)) {
        char b[32];
        snprintf(b, sizeof b, "%lld", (long long)json_integer_value(seed));
        out->seed = xstrdup(b);
    } else {
        out->seed = xstrdup(json_string_value(seed));
    }
    out->complete = json_is_true(json_object_get(out->root, "complete"));
    out->reason = json_string_value(json_object_get(out->root, "reason"));
    out->rows_only = json_is_true(json_object_get(out->summary, "rows_only"));
    if (!out->complete) {
        struct sbuf b;
        sbuf_init(&b);
        sbuf_printf(&b,
                    "%s: incomplete run (%s): its figures cover only the intervals every rank "
                    "reported%s",
                    out->path, run_incomplete_reason(out),
                    out->rows_only ? ", with no per-peer figure (the run ended before its final "
                                     "gathers)"
                                   : "");
        add_note(out, "%s", sbuf_str(&b));
        sbuf_free(&b);
    }
    if (!exists(ts)) {
        snprintf(err, errlen, "%s: missing (every run writes it)", ts);
        goto files;
    }
    if (load_timeseries(out, ts, err, errlen) < 0)
        goto files;
    find_datacenters(out);
    if (exists(ev)) {
        if (load_events(out, ev, err, errlen) < 0)
            goto files;
    } else {
        add_note(out, "%s is missing: no event markers or skew", ev);
    }
    if (exists(hj)) {
        if (load_histograms(out, hj, err, errlen) < 0)
            goto files;
    } else {
        add_note(out, "%s is missing: time to online is estimated from timeseries.csv", hj);
    }
    out->label = base_label(out->path);
    rc = 0;
files:
    free(rj);
    free(ts);
    free(ev);
    free(hj);
    if (rc == 0)
        return 0;
bad:
    run_free(out);
    return -1;
}

void run_free(struct run *r)
{
    free(r->path);
    free(r->label);
    json_decref(r->root);
    json_decref(r->hist);
    free(r->name);
    free(r->seed);
    for (size_t j = 0; j < r->n_cols; j++) {
        free(r->cols[j]);
        free(r->data[j]);
    }
    free(r->cols);
    free(r->data);
    for (size_t i = 0; i < r->n_events; i++)
        free(r->events[i].kind);
    free(r->events);
    for (int c = 0; c < RUN_SRV_COUNT; c++)
        free(r->cap[c]);
    for (size_t i = 0; i < r->n_scale; i++)
        free(r->scale[i].datacenter);
    free(r->scale);
    for (size_t k = 0; k < r->n_dcs; k++)
        free(r->dcs[k].name);
    free(r->dcs);
    for (size_t i = 0; i < r->n_notes; i++)
        free(r->notes[i]);
    free(r->notes);
    memset(r, 0, sizeof *r);
}

/* ---- several runs ---- */

static int is_run_dir(const char *dir)
{
    char *a = join(dir, "run.json"), *b = join(dir, "timeseries.csv");
    int yes = exists(a) || exists(b);
    free(a);
    free(b);
    return yes;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Subdirectories of dir that look like runs, sorted; NULL if none. */
static char **sub_runs(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **list = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *p = join(dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode) && is_run_dir(p)) {
            list = xrealloc(list, (*n + 1) * sizeof *list);
            list[(*n)++] = p;
        } else {
            free(p);
        }
    }
    closedir(d);
    if (*n)
        qsort(list, *n, sizeof *list, by_name);
    return list;
}

int runs_load(char *const *args, size_t n_args, struct run **out, size_t *n_out, char *err,
              size_t errlen)
{
    struct run *runs = NULL;
    size_t n = 0;
    for (size_t a = 0; a < n_args; a++) {
        char *path = strip_slashes(args[a]);
        size_t n_sub = 0;
        char **subs = NULL;
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && !is_run_dir(path))
            subs = sub_runs(path, &n_sub);
        size_t todo = subs ? n_sub : 1;
        int failed = 0;
        for (size_t i = 0; i < todo; i++) {
            runs = xrealloc(runs, (n + 1) * sizeof *runs);
            if (!failed && run_load(subs ? subs[i] : path, &runs[n], err, errlen) == 0)
                n++;
            else
                failed = 1;
        }
        for (size_t i = 0; i < n_sub; i++)
            free(subs[i]);
        free(subs);
        free(path);
        if (failed) {
            runs_free(runs, n);
            return -1;
        }
    }
    /* Labels are directory names, unless two runs share one: then their
     * paths, and a #k suffix for a run given twice. */
    char *clash = xcalloc(n ? n : 1, 1);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && !strcmp(runs[i].label, runs[j].label))
                clash[i] = 1;
    for (size_t i = 0; i < n; i++)
        if (clash[i]) {
            free(runs[i].label);
            runs[i].label = xstrdup(runs[i].path);
        }
    for (size_t i = 0; i < n; i++) {
        int k = 1;
        for (size_t j = 0; j < i; j++)
            k += !strcmp(runs[i].path, runs[j].path);
        if (k > 1) {
            struct sbuf b;
            sbuf_init(&b);
            sbuf_printf(&b, "%s#%d", runs[i].path, k);
            free(runs[i].label);
            runs[i].label = b.s;
        }
    }
    free(clash);
    *out = runs;
    *n_out = n;
    return 0;
}

void runs_free(struct run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        run_free(&runs[i]);
    free(runs);
}

/* ---- accessors ---- */

const double *run_col(const struct run *r, const char *name)
{
    for (size_t j = 0; j < r->n_cols; j++)
        if (!strcmp(r->cols[j], name))
            return r->data[j];
    return NULL;
}

const char *run_architecture(const struct run *r)
{
    const char *a = json_string_value(get_path(r->scenario, "architecture"));
    return a && *a ? a : "supernode";
}

bool run_is_dht(const struct run *r)
{
    return !strcmp(run_architecture(r), "dht");
}

bool run_is_settop(const struct run *r)
{
    return !strcmp(run_architecture(r), "settop");
}

bool run_is_target(const struct run *r)
{
    return !strcmp(run_architecture(r), "target");
}

bool run_uses_login(const struct run *r)
{
    if (run_is_settop(r))
        return false;
    return !run_is_dht(r) || json_is_true(get_path(r->scenario, "dht.login"));
}

json_t *run_settop(const struct run *r)
{
    const char *prefix;
    json_t *st = settop_object(r->root, &prefix);
    return run_is_settop(r) && json_is_object(st) ? st : NULL;
}

static const struct run *order_run; /* for by_effect: qsort has no context */

static int by_effect(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const struct scale_action *x = &order_run->scale[i], *y = &order_run->scale[j];
    if (x->at_s != y->at_s)
        return x->at_s < y->at_s ? -1 : 1;
    if (x->decided_s != y->decided_s)
        return x->decided_s < y->decided_s ? -1 : 1;
    return (i > j) - (i < j);
}

size_t *run_scale_order(const struct run *r)
{
    if (!r->n_scale)
        return NULL;
    size_t *o = xcalloc(r->n_scale, sizeof *o);
    for (size_t i = 0; i < r->n_scale; i++)
        o[i] = i;
    order_run = r;
    qsort(o, r->n_scale, sizeof *o, by_effect);
    order_run = NULL;
    return o;
}

int run_col_max(const struct run *r, const char *name, double *v)
{
    const double *c = run_col(r, name);
    if (!c || !r->n_rows)
        return 0;
    double m = c[0];
    for (size_t i = 1; i < r->n_rows; i++)
        m = fmax(m, c[i]);
    *v = m;
    return 1;
}

const char *run_incomplete_reason(const struct run *r)
{
    static const char prefix[] = "incomplete run: ";
    if (r->reason)
        return r->reason;
    const char *f = json_string_value(get_path(r->summary, "fidelity.reason"));
    if (f && !strncmp(f, prefix, sizeof prefix - 1))
        return f + sizeof prefix - 1;
    return "no reason recorded";
}

/* A JSON value as run_number reads it. */
static int number_of(json_t *j, double *v)
{
    if (!j)
        return -1;
    if (json_is_null(j))
        return 0;
    if (json_is_number(j)) {
        *v = json_number_value(j);
        return 1;
    }
    if (json_is_boolean(j)) {
        *v = json_is_true(j) ? 1 : 0;
        return 1;
    }
    return -1;
}

int run_number(const struct run *r, const char *key, double *v)
{
    return number_of(get_path(r->summary, key), v);
}

int run_settop_number(const struct run *r, const char *key, double *v)
{
    return number_of(get_path(run_settop(r), key), v);
}

json_t *run_target(const struct run *r)
{
    json_t *t = json_object_get(r->summary, "target");
    return run_is_target(r) && json_is_object(t) ? t : NULL;
}

int run_target_number(const struct run *r, const char *key, double *v)
{
    return number_of(get_path(run_target(r), key), v);
}

/* A text of summary.target, else of the resolved scenario's target. */
static const char *target_text(const struct run *r, const char *key)
{
    json_t *v = json_object_get(run_target(r), key);
    if (!json_is_string(v))
        v = json_object_get(get_path(r->scenario, "target"), key);
    return json_is_string(v) && *json_string_value(v) ? json_string_value(v) : NULL;
}

bool run_target_server(const struct run *r, struct run_target_server *s)
{
    memset(s, 0, sizeof *s);
    if (!run_is_target(r))
        return false;
    json_t *t = run_target(r), *scn = get_path(r->scenario, "target");
    s->protocol = target_text(r, "protocol");
    s->host = target_text(r, "host");
    s->address = target_text(r, "address");
    json_t *port = json_object_get(t, "port");
    if (!json_is_integer(port))
        port = json_object_get(scn, "port");
    s->port = json_is_integer(port) ? (long)json_integer_value(port) : -1;
    json_t *tls = json_object_get(t, "tls");
    if (!json_is_boolean(tls))
        tls = get_path(scn, "tls.enabled");
    s->tls = json_is_boolean(tls) ? json_is_true(tls) : -1;
    return true;
}

double run_interval_at(const struct run *r, size_t i)
{
    const double *t = run_col(r, "t_s");
    return i == 0 ? t[0] : t[i] - t[i - 1];
}

json_t *run_scenario_get(const struct run *r, const char *path)
{
    return get_path(r->scenario, path);
}

static double duration_key_s(const struct run *r, const char *path)
{
    json_t *j = run_scenario_get(r, path);
    int64_t ns;
    if (json_is_string(j) && scenario_parse_duration(json_string_value(j), &ns) == 0)
        return (double)ns / 1e9;
    if (json_is_number(j))
        return json_number_value(j);
    return NAN;
}

double run_duration_s(const struct run *r)
{
    double d = duration_key_s(r, "duration");
    const double *t = run_col(r, "t_s");
    double last = r->n_rows ? t[r->n_rows - 1] : 0;
    return isfinite(d) && d > 0 ? (d > last ? d : last) : last;
}

double dist_mean_s(const char *text)
{
    /* common/dist.c is the one parser: a text the scenario loader refuses
     * has no mean here either. */
    struct dist d;
    char why[160];
    if (!text || !dist_parse(text, &d, why, sizeof why))
        return NAN;
    return dist_mean(&d) / 1e9;
}

/* ---- capacity ---- */

/* The coordinator writes a zero mean service time as 1e12/s: unlimited. */
#define CAP_UNLIMITED_RPS 1e12

static void cap_add(struct run *r, enum run_srv c, double t, double rps, double servers)
{
    if (rps >= CAP_UNLIMITED_RPS)
        rps = INFINITY;
    r->cap[c] = xrealloc(r->cap[c], (r->n_cap[c] + 1) * sizeof *r->cap[c]);
    r->cap[c][r->n_cap[c]++] = (struct cap_step){t, rps, servers};
}

/* Before run.json had a capacity timeline: servers x workers / mean
 * service time from the resolved scenario, for the whole run (capacity
 * events and admission rates are not applied). */
static void cap_estimate(struct run *r, enum run_srv c)
{
    static const char *const count_key[RUN_SRV_COUNT] = {"nodes.login_servers", "nodes.services"};
    char key[64];
    json_t *n = run_scenario_get(r, count_key[c]);
    snprintf(key, sizeof key, "%s.workers", srv_key[c]);
    json_t *w = run_scenario_get(r, key);
    snprintf(key, sizeof key, "%s.service_time", srv_key[c]);
    json_t *st = run_scenario_get(r, key);
    if (!json_is_number(n) || json_number_value(n) <= 0 || !json_is_number(w) ||
        !json_is_string(st))
        return;
    double mean = dist_mean_s(json_string_value(st));
    if (mean > 0)
        cap_add(r, c, 0, json_number_value(w) / mean, json_number_value(n));
}

/* run.json was checked by check_capacity: the shapes are right. */
static void load_capacity(struct run *r)
{
    json_t *cap = json_object_get(r->root, "capacity");
    if (json_is_null(cap))
        cap = NULL;
    /* architecture: target has no emulated server: the login_server entry
     * run.json has (servers 0) describes nothing, and the real server's
     * capacity is not known. */
    if (run_is_target(r)) {
        r->cap_estimated = false;
        return;
    }
    r->cap_estimated = cap == NULL;
    for (int c = 0; c < RUN_SRV_COUNT; c++) {
        if (!cap) {
            cap_estimate(r, (enum run_srv)c);
            continue;
        }
        json_t *a = json_object_get(cap, srv_key[c]);
        for (size_t i = 0; i < json_array_size(a); i++) {
            json_t *e = json_array_get(a, i), *rps = json_object_get(e, "per_server_rps");
            cap_add(r, (enum run_srv)c, json_number_value(json_object_get(e, "t_s")),
                    json_is_number(rps) ? json_number_value(rps) : NAN,
                    (double)json_integer_value(json_object_get(e, "servers")));
        }
    }
}

static const char *const up_col[RUN_SRV_COUNT] = {"ls_up", "svc_up"};

/* The step in force at time t: the last one at or before it (the first
 * one before the first step: a timeline starts at 0 anyway). */
static const struct cap_step *cap_step_at(const struct run *r, enum run_srv c, double t)
{
    size_t k = 0;
    while (k + 1 < r->n_cap[c] && r->cap[c][k + 1].t_s <= t)
        k++;
    return &r->cap[c][k];
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One stretch of the capacity line: [lo, hi) at v, with `down` set when
 * fewer servers were up than configured. */
struct stretch {
    double lo, hi, v;
    bool down;
};

/* The stretches of a class's capacity line, malloc'd; 0 when unknown. */
static size_t cap_stretches(const struct run *r, enum run_srv c, struct stretch **out)
{
    if (!r->n_cap[c])
        return 0;
    const double *t = run_col(r, "t_s"), *up = run_col(r, up_col[c]);
    double end = r->n_rows ? t[r->n_rows - 1] : run_duration_s(r);
    if (!(end > 0))
        return 0;
    /* The bounds: 0, every row end, every step, the end, sorted (a
     * repeated bound makes an empty stretch, skipped). */
    size_t nb = 0;
    double *b = xcalloc(r->n_rows + r->n_cap[c] + 2, sizeof *b);
    b[nb++] = 0;
    b[nb++] = end;
    for (size_t k = 0; k < r->n_rows; k++)
        b[nb++] = t[k];
    for (size_t k = 0; k < r->n_cap[c]; k++)
        if (r->cap[c][k].t_s > 0 && r->cap[c][k].t_s < end)
            b[nb++] = r->cap[c][k].t_s;
    qsort(b, nb, sizeof *b, by_double);
    struct stretch *st = xcalloc(nb, sizeof *st);
    size_t n = 0, row = 0;
    for (size_t k = 0; k + 1 < nb; k++) {
        double lo = b[k], hi = b[k + 1];
        if (!(hi > lo))
            continue;
        /* Row i covers (t[i-1], t[i]]; its gauge is the level at its end. */
        while (row < r->n_rows && t[row] <= lo)
            row++;
        const struct cap_step *s = cap_step_at(r, c, lo);
        double servers = up && row < r->n_rows ? up[row] : s->servers;
        double v = s->per_server_rps * servers;
        st[n++] = (struct stretch){lo, hi, isfinite(v) ? v : NAN, servers < s->servers};
    }
    free(b);
    *out = st;
    return n;
}

size_t run_capacity_line(const struct run *r, enum run_srv c, double **xs, double **ys)
{
    struct stretch *st;
    size_t ns = cap_stretches(r, c, &st);
    if (!ns)
        return 0;
    double *x = xcalloc(2 * ns, sizeof *x), *y = xcalloc(2 * ns, sizeof *y);
    size_t n = 0;
    for (size_t k = 0; k < ns; k++) {
        double v = st[k].v; /* NaN: no limit known, a gap in the line */
        if (n && (y[n - 1] == v || (isnan(v) && isnan(y[n - 1])))) {
            x[n - 1] = st[k].hi; /* the same level goes on */
            continue;
        }
        x[n] = st[k].lo;
        y[n++] = v;
        x[n] = st[k].hi;
        y[n++] = v;
    }
    free(st);
    *xs = x;
    *ys = y;
    return n;
}

double run_capacity_mean(const struct run *r, enum run_srv c)
{
    double *x, *y, sum = 0, len = 0;
    size_t n = run_capacity_line(r, c, &x, &y);
    for (size_t k = 0; k + 1 < n; k += 2)
        if (isfinite(y[k])) {
            sum += y[k] * (x[k + 1] - x[k]);
            len += x[k + 1] - x[k];
        }
    if (n) {
        free(x);
        free(y);
    }
    return len > 0 ? sum / len : NAN;
}

double run_capacity_const(const struct run *r, enum run_srv c)
{
    if (!r->n_cap[c])
        return NAN;
    double v = r->cap[c][0].per_server_rps * r->cap[c][0].servers;
    for (size_t k = 1; k < r->n_cap[c]; k++)
        if (r->cap[c][k].per_server_rps * r->cap[c][k].servers != v)
            return NAN;
    return v;
}

bool run_capacity_outage(const struct run *r, enum run_srv c, double *low)
{
    struct stretch *st;
    size_t n = cap_stretches(r, c, &st);
    bool down = false;
    *low = INFINITY;
    for (size_t k = 0; k < n; k++)
        if (st[k].down) {
            down = true;
            *low = fmin(*low, st[k].v); /* fmin skips a NaN */
        }
    if (n)
        free(st);
    if (!isfinite(*low))
        *low = NAN;
    return down;
}

/* Drop every "port" key, at any depth: where a server listens does not
 * change what is emulated. */
static void drop_ports(json_t *j)
{
    if (json_is_object(j)) {
        json_object_del(j, "port");
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            drop_ports(v);
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++)
            drop_ports(json_array_get(j, i));
    }
}

json_t *run_scenario_key(const struct run *r)
{
    json_t *k = json_deep_copy(r->scenario);
    json_object_del(k, "seed");
    json_t *net = json_object_get(k, "network");
    if (json_is_object(net)) {
        json_object_del(net, "base");
        json_object_del(net, "allowed");
    }
    drop_ports(k);
    return k;
}
