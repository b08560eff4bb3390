/* scenario.c - load scenarios (docs/scenarios.md): the public entry points
 * and the walk that fills struct scenario from the YAML tree.
 *
 * Loading has three stages, so that overrides and the file get the same
 * checks and the same kind of messages:
 *   1. libyaml's event parser builds a small generic tree (mapping, sequence,
 *      scalar); every node remembers where it came from (file + line/col, or
 *      the --set override that made it);
 *   2. each --set KEY=VALUE parses VALUE as its own YAML document and grafts
 *      it into the tree;
 *   3. a walk over the schema tables (scenario_schema.c) checks the tree and
 *      fills struct scenario, each field through its type's row of
 *      operations, then the cross-field rules run (scenario_check.c).
 * The same schema gives scenario_defaults() and scenario_to_json()
 * (scenario_json.c), so names, defaults and units cannot drift apart.
 *
 * All tree memory comes from one arena that is freed in one go, which keeps
 * the error paths (and there are many) free of cleanup code.
 *
 * Stages 1 and 2 (arena, tree, overrides) are in scenario_tree.c; the scalar
 * parsers and formatters are in scenario_values.c. */
#include "scenario.h"

#include "scenario_internal.h"
#include "scenario_values.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Limit against hostile input: file size (nesting and node count are limited
 * in scenario_tree.c). */
#define FILE_MAX_BYTES (16u << 20)

void scenario_defaults(struct scenario *s)
{
    memset(s, 0, sizeof *s);
    scn_apply_defaults(scn_scenario_fields, (char *)s);
}

/* ---- the walk ---- */

int scn_fail(struct scn_ctx *c, const struct tnode *n, const char *fmt, ...)
{
    char msg[SCN_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    stree_report(c->err, c->errlen, n->origin, n->line, n->col, "%s", msg);
    return -1;
}

const struct tnode *scn_seen_node(const struct scn_ctx *c, size_t off)
{
    for (size_t i = 0; i < c->n_seen; i++)
        if (c->seen[i].off == off)
            return c->seen[i].node;
    return NULL;
}

/* Remember that the field at `off` (from the start of struct scenario) was
 * set from node v, for the checks' messages and defaults. */
static void record(struct scn_ctx *c, size_t off, const struct tnode *v)
{
    if (c->n_seen < SEEN_MAX) {
        c->seen[c->n_seen].off = off;
        c->seen[c->n_seen].node = v;
        c->n_seen++;
    }
}

/* The first required key inside a sub-table (depth first), as a path below
 * `path`; false when it has none. A missing mapping must not hide the keys it
 * requires (`name: a` with no `nodes:` has no nodes.peers). */
static bool first_required(const struct field *table, const char *path, char *out, size_t len)
{
    char child[256];
    for (const struct field *f = table; f->key; f++) {
        stree_join_path(child, sizeof child, path, f->key);
        if (f->req) {
            snprintf(out, len, "%s", child);
            return true;
        }
        if ((f->type == F_MAP || f->type == F_INLINE) && f->sub &&
            first_required(f->sub, f->type == F_INLINE ? path : child, out, len))
            return true;
    }
    return false;
}

/* Fill the fields of `table` (F_INLINE ones included) from the mapping m. */
static int walk_fields(struct scn_ctx *c, const struct tnode *m, const struct field *table,
                       char *base, size_t base_off, const char *path)
{
    char child[256];
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            if (walk_fields(c, m, f->sub, base + f->off, base_off + f->off, path) < 0)
                return -1;
            continue;
        }
        const struct tnode *v = stree_map_get(m, f->key, NULL);
        stree_join_path(child, sizeof child, path, f->key);
        if (!v) {
            char need[256];
            if (f->req)
                return scn_fail(c, m, "%s%smissing required key '%s'", path, *path ? ": " : "",
                                child);
            if (f->type == F_MAP && f->sub && first_required(f->sub, child, need, sizeof need))
                return scn_fail(c, m, "%s%smissing required key '%s'", path, *path ? ": " : "",
                                need);
            continue;
        }
        if (scn_types[f->type].walk(c, f, v, base, base_off, child) < 0)
            return -1;
    }
    return 0;
}

int scn_walk_map(struct scn_ctx *c, const struct tnode *m, const struct field *table, char *base,
                 size_t base_off, const char *path)
{
    char desc[64], child[256];

    if (m->kind != TN_MAP && !stree_is_null(m)) {
        stree_describe(m, desc, sizeof desc);
        return scn_fail(c, m, "%s: expected a mapping, got %s", *path ? path : "scenario", desc);
    }
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const struct tnode *k = m->items[i];
        size_t off;
        if (k->kind != TN_SCALAR) {
            stree_describe(k, desc, sizeof desc);
            return scn_fail(c, k, "%s: expected a key, got %s", *path ? path : "scenario", desc);
        }
        stree_join_path(child, sizeof child, path, k->text);
        if (!scn_find_key(table, k->text, &off)) {
            char keys[384];
            size_t used = 0;
            keys[0] = '\0';
            scn_list_keys(table, keys, sizeof keys, &used);
            return scn_fail(c, k, "%s: unknown key (expected one of: %s)", child, keys);
        }
        for (size_t j = 0; j < i; j += 2) {
            const struct tnode *prev = m->items[j];
            if (prev->kind == TN_SCALAR && !strcmp(prev->text, k->text)) {
                if (prev->origin->is_override || prev->origin != k->origin)
                    return scn_fail(c, k, "%s: duplicate key", child);
                return scn_fail(c, k, "%s: duplicate key (first at line %u)", child, prev->line);
            }
        }
    }
    return walk_fields(c, m, table, base, base_off, path);
}

int scn_walk_nets(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                  size_t base_off, const char *path)
{
    char desc[64], why[200];
    struct scn_net *nets = (struct scn_net *)(base + f->off);
    uint32_t *count = (uint32_t *)(base + f->off_count);

    if (v->kind != TN_SEQ) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v, "%s: expected a sequence of networks like [127.0.0.0/8], got %s",
                        path, desc);
    }
    if (v->n < (size_t)f->min || v->n > (size_t)f->max)
        return scn_fail(c, v, "%s: expected %lld to %lld networks, got %zu", path,
                        (long long)f->min, (long long)f->max, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        if (it->kind != TN_SCALAR) {
            stree_describe(it, desc, sizeof desc);
            return scn_fail(c, it, "%s.%zu: expected an IPv4 network like 127.0.0.0/8, got %s",
                            path, i, desc);
        }
        if (!scnv_parse_cidr_why(it->text, &nets[i], why, sizeof why))
            return scn_fail(c, it, "%s.%zu: %s", path, i, why);
    }
    *count = (uint32_t)v->n;
    record(c, base_off + f->off, v);
    return 0;
}

/* The ranks g of group i (0-based) of the group list at list_path, g itself
 * at rpath: each rank 0 to SCN_MAX_RANKS - 1, in no other group; group[rank]
 * gets i + 1. */
static int walk_rank_list(struct scn_ctx *c, const struct tnode *g, const char *list_path, size_t i,
                          const char *rpath, uint8_t *group)
{
    char desc[64], why[200];

    if (g->kind != TN_SEQ) {
        stree_describe(g, desc, sizeof desc);
        return scn_fail(c, g, "%s: expected a list of ranks like [1, 2], got %s", rpath, desc);
    }
    if (g->n == 0)
        return scn_fail(c, g, "%s: a group needs at least one rank", rpath);
    for (size_t j = 0; j < g->n; j++) {
        const struct tnode *r = g->items[j];
        uint64_t rank;
        if (r->kind != TN_SCALAR || stree_is_null(r)) {
            stree_describe(r, desc, sizeof desc);
            return scn_fail(c, r, "%s.%zu: expected a rank number, got %s", rpath, j, desc);
        }
        if (!scnv_parse_uint_why(r->text, 0, SCN_MAX_RANKS - 1, &rank, why, sizeof why))
            return scn_fail(c, r, "%s.%zu: expected a rank 0 to %d, got '%.32s'", rpath, j,
                            SCN_MAX_RANKS - 1, r->text);
        if (group[rank])
            return scn_fail(c, r, "%s.%zu: rank %u is in two groups (%s.%u and %s.%zu)", rpath, j,
                            (unsigned)rank, list_path, group[rank] - 1u, list_path, i);
        group[rank] = (uint8_t)(i + 1);
    }
    return 0;
}

/* partition.groups: [[1, 2], [3]]. Every rank in at most one group; stored
 * as the group (1-based) of each rank, 0 for the ranks in none. */
int scn_walk_groups(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    char desc[64], gpath[192];
    uint8_t *group = (uint8_t *)(base + f->off);

    if (v->kind != TN_SEQ) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v, "%s: expected a list of groups of ranks like [[1, 2], [3]], got %s",
                        path, desc);
    }
    if (v->n < (size_t)f->min || v->n > (size_t)f->max)
        return scn_fail(c, v, "%s: expected %lld to %lld groups, got %zu", path, (long long)f->min,
                        (long long)f->max, v->n);
    memset(group, 0, SCN_MAX_RANKS);
    for (size_t i = 0; i < v->n; i++) {
        snprintf(gpath, sizeof gpath, "%.150s.%zu", path, i);
        if (walk_rank_list(c, v->items[i], path, i, gpath, group) < 0)
            return -1;
    }
    record(c, base_off + f->off, v);
    return 0;
}

/* network.impair_groups: [{ranks: [2, 3], latency: 50ms}]. Each entry takes
 * the keys of a network.impair.<class> entry (same defaults and limits) and
 * the ranks of its hosts, every rank in at most one group. */
int scn_walk_impair_groups(struct scn_ctx *c, const struct field *f, const struct tnode *v,
                           char *base, size_t base_off, const char *path)
{
    char desc[64], ipath[192];
    struct scn_impair *groups = (struct scn_impair *)(base + f->off);
    uint32_t *count = (uint32_t *)(base + f->off_count);

    memset(c->s->network.impair_group_of_rank, 0, sizeof c->s->network.impair_group_of_rank);
    *count = 0;
    if (stree_is_null(v))
        return 0;
    if (v->kind != TN_SEQ) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v,
                        "%s: expected a list of host groups like [{ranks: [2, 3], latency: 50ms}], "
                        "got %s",
                        path, desc);
    }
    if (v->n > (size_t)f->max)
        return scn_fail(c, v, "%s: at most %lld groups, got %zu", path, (long long)f->max, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        struct scn_impair *g = &groups[i];
        snprintf(ipath, sizeof ipath, "%.150s.%zu", path, i);
        memset(g, 0, sizeof *g);
        scn_apply_defaults(scn_impair_class_fields, (char *)g);
        c->group_list_path = path;
        c->group_index = i;
        if (scn_walk_map(c, it, scn_impair_group_fields, (char *)g,
                         base_off + f->off + i * sizeof *g, ipath) < 0)
            return -1;
    }
    *count = (uint32_t)v->n;
    return 0;
}

/* central.datacenters: a sequence of {name, servers, max_servers, share}. */
int scn_walk_datacenters(struct scn_ctx *c, const struct field *f, const struct tnode *v,
                         char *base, size_t base_off, const char *path)
{
    char desc[64], ipath[192];
    struct scn_datacenter *dcs = (struct scn_datacenter *)(base + f->off);
    uint32_t *count = (uint32_t *)(base + f->off_count);

    *count = 0;
    if (stree_is_null(v))
        return 0;
    if (v->kind != TN_SEQ) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v,
                        "%s: expected a list of data centres like [{name: eu, servers: 4, "
                        "share: 0.5}], got %s",
                        path, desc);
    }
    if (v->n > (size_t)f->max)
        return scn_fail(c, v, "%s: at most %lld data centres, got %zu", path, (long long)f->max,
                        v->n);
    for (size_t i = 0; i < v->n; i++) {
        struct scn_datacenter *d = &dcs[i];
        snprintf(ipath, sizeof ipath, "%.150s.%zu", path, i);
        memset(d, 0, sizeof *d);
        scn_apply_defaults(scn_datacenter_fields, (char *)d);
        if (scn_walk_map(c, v->items[i], scn_datacenter_fields, (char *)d,
                         base_off + f->off + i * sizeof *d, ipath) < 0)
            return -1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(dcs[k].name, d->name))
                return scn_fail(c, v->items[i], "%s.name: '%s' is already data centre %zu", ipath,
                                d->name, k);
    }
    *count = (uint32_t)v->n;
    return 0;
}

/* HTTP header names are tokens (RFC 9110, 5.6.2). */
static bool http_token(const char *t)
{
    if (!*t)
        return false;
    for (; *t; t++) {
        char ch = *t;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              strchr("!#$%&'*+-.^_`|~", ch)))
            return false;
    }
    return true;
}

int scn_walk_headers(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                     size_t base_off, const char *path)
{
    /* What the client writes itself: a scenario must not send two. */
    static const char *const own[] = {
        "host", "content-length", "connection", "transfer-encoding", "upgrade", "te", NULL};
    char desc[64], ipath[256], why[200];
    struct scn_http_request *r = (struct scn_http_request *)(base + f->off);
    const struct field name_f = {.type = F_TEXT, .max = SCN_SHORT_MAX};
    const struct field value_f = {.type = F_TEXT, .max = SCN_TEXT_MAX};

    r->n_headers = 0;
    if (stree_is_null(v))
        return 0;
    if (v->kind != TN_MAP) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v,
                        "%s: expected a mapping like {Content-Type: application/json}, got %s",
                        path, desc);
    }
    size_t pairs = v->n / 2; /* a mapping's items: key, value, key, ... */
    if (pairs > (size_t)f->max)
        return scn_fail(c, v, "%s: at most %lld headers, got %zu", path, (long long)f->max, pairs);
    for (size_t i = 0; i < pairs; i++) {
        const struct tnode *k = v->items[2 * i], *val = v->items[2 * i + 1];
        if (k->kind != TN_SCALAR || !k->text) {
            stree_describe(k, desc, sizeof desc);
            return scn_fail(c, k, "%s: expected a header name, got %s", path, desc);
        }
        snprintf(ipath, sizeof ipath, "%.200s.%.40s", path, k->text);
        if (!scn_parse_text(&name_f, k->text, r->header_name[i], why, sizeof why) ||
            !http_token(k->text))
            return scn_fail(c, k,
                            "%s: a header name is a token (letters, digits, !#$%%&'*+-.^_`|~), "
                            "at most %d characters",
                            ipath, SCN_SHORT_MAX - 1);
        for (size_t o = 0; own[o]; o++)
            if (!strcasecmp(k->text, own[o]))
                return scn_fail(c, k, "%s: the client sets %s itself; remove it", ipath, k->text);
        for (size_t j = 0; j < i; j++)
            if (!strcasecmp(r->header_name[j], k->text))
                return scn_fail(c, k, "%s: header %s is already set (names are case-insensitive)",
                                ipath, r->header_name[j]);
        if (val->kind != TN_SCALAR) {
            stree_describe(val, desc, sizeof desc);
            return scn_fail(c, val, "%s: expected text, got %s", ipath, desc);
        }
        if (!scn_parse_text(&value_f, val->text, r->header_value[i], why, sizeof why))
            return scn_fail(c, val, "%s: %s", ipath, why);
        r->n_headers = (uint32_t)i + 1;
    }
    record(c, base_off + f->off + offsetof(struct scn_http_request, n_headers), v);
    return 0;
}

int scn_walk_events(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    char desc[64], ipath[192];
    struct scenario *s = c->s;
    uint64_t injected = 0;

    (void)base; /* events are a top-level key: base is s, base_off 0 */
    (void)base_off;
    if (stree_is_null(v)) {
        s->n_events = 0;
        return 0;
    }
    if (v->kind != TN_SEQ) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v, "%s: expected a sequence of events, got %s", path, desc);
    }
    if (v->n > SCN_MAX_EVENTS)
        return scn_fail(c, v, "%s: at most %d events, got %zu", path, SCN_MAX_EVENTS, v->n);
    for (size_t i = 0; i < v->n; i++) {
        const struct tnode *it = v->items[i];
        struct scn_event *e = &s->events[i];
        size_t off = f->off + i * sizeof *e;
        snprintf(ipath, sizeof ipath, "%.150s.%zu", path, i);
        memset(e, 0, sizeof *e);
        if (scn_walk_map(c, it, scn_event_fields, (char *)e, off, ipath) < 0 ||
            scn_check_event(c, it, e, ipath, &injected) < 0)
            return -1;
    }
    s->n_events = (uint32_t)v->n;
    return 0;
}

/* ---- walk operations of the type table ---- */

int scn_walk_scalar(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    char desc[64], tbuf[96], why[512];

    if (f->nullable && stree_is_null(v))
        return 0; /* "not set": keep the default, and record nothing */
    if (v->kind != TN_SCALAR) {
        stree_describe(v, desc, sizeof desc);
        return scn_fail(c, v, "%s: expected %s, got %s", path, scn_field_what(f, tbuf, sizeof tbuf),
                        desc);
    }
    if (!scn_parse_text(f, v->text, base + f->off, why, sizeof why))
        return scn_fail(c, v, "%s: %s", path, why);
    record(c, base_off + f->off, v);
    return 0;
}

/* A condition: null is "none" where that is allowed, else the wrong kind of
 * value rather than text to parse. */
int scn_walk_cond(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                  size_t base_off, const char *path)
{
    char desc[64], tbuf[96];

    if (!stree_is_null(v))
        return scn_walk_scalar(c, f, v, base, base_off, path);
    if (f->nullable) {
        memset(base + f->off, 0, sizeof(struct scn_cond));
        *(bool *)(base + f->off_count) = false;
        return 0;
    }
    stree_describe(v, desc, sizeof desc);
    return scn_fail(c, v, "%s: expected %s, got %s", path, scn_field_what(f, tbuf, sizeof tbuf),
                    desc);
}

int scn_walk_submap(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    return scn_walk_map(c, v, f->sub, base + f->off, base_off + f->off, path);
}

/* Not reached from walk_fields, which walks inline tables at the mapping's
 * own level; here so that a sub-table of inline keys can be walked alone. */
int scn_walk_inline(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    return walk_fields(c, v, f->sub, base + f->off, base_off + f->off, path);
}

/* An event's action: its table's defaults apply to the event only when the
 * action is the one given. */
int scn_walk_action(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path)
{
    scn_apply_defaults(f->sub, base + f->off);
    return scn_walk_map(c, v, f->sub, base + f->off, base_off + f->off, path);
}

/* Not recorded: its offset is the group's first key's. */
int scn_walk_ranks(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                   size_t base_off, const char *path)
{
    (void)f;
    (void)base;
    (void)base_off;
    return walk_rank_list(c, v, c->group_list_path, c->group_index, path,
                          c->s->network.impair_group_of_rank);
}

/* ---- loading ---- */

static int load_buffer(const char *text, size_t len, const char *label,
                       const char *const *overrides, size_t n_overrides, struct scenario *out,
                       char *err, size_t errlen)
{
    struct arena arena = {0};
    struct origin file = {label ? label : "<scenario>", false};
    struct scenario *s = NULL;
    struct scn_ctx *c = NULL;
    char desc[64];
    int rc = -1;

    if (err && errlen)
        err[0] = '\0';
    struct tnode *root = stree_from_yaml(&arena, &file, text, len, err, errlen);
    if (!root)
        goto out;
    if (stree_is_null(root)) {
        stree_report(err, errlen, &file, root->line, root->col,
                     "empty scenario (expected a mapping with at least name, duration and "
                     "nodes.peers)");
        goto out;
    }
    if (root->kind != TN_MAP) {
        stree_describe(root, desc, sizeof desc);
        stree_report(err, errlen, &file, root->line, root->col,
                     "expected a mapping at the top level, got %s", desc);
        goto out;
    }
    for (size_t i = 0; i < n_overrides; i++)
        if (stree_apply_override(&arena, root, overrides[i] ? overrides[i] : "", err, errlen) < 0)
            goto out;

    /* Heap, not stack: struct scn_ctx holds the seen[] table. */
    s = malloc(sizeof *s);
    c = calloc(1, sizeof *c);
    if (!s || !c) {
        stree_report(err, errlen, &file, 0, 0, "out of memory");
        goto out;
    }
    scenario_defaults(s);
    c->s = s;
    c->root = root;
    c->err = err;
    c->errlen = errlen;
    if (scn_walk_map(c, root, scn_scenario_fields, (char *)s, 0, "") < 0 || scn_check_rules(c) < 0)
        goto out;
    *out = *s;
    rc = 0;
out:
    free(c);
    free(s);
    stree_arena_free(&arena);
    return rc;
}

int scenario_load_string(const char *yaml, const char *label, const char *const *overrides,
                         size_t n_overrides, struct scenario *out, char *err, size_t errlen)
{
    if (!yaml || !out) {
        if (err && errlen)
            snprintf(err, errlen, "%s: no scenario text", label ? label : "<scenario>");
        return -1;
    }
    return load_buffer(yaml, strlen(yaml), label, overrides, n_overrides, out, err, errlen);
}

/* Read a whole file, at most FILE_MAX_BYTES. Returns a malloc'd buffer. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nb = ncap <= 2 * (size_t)FILE_MAX_BYTES ? realloc(buf, ncap) : NULL;
            if (!nb) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n > FILE_MAX_BYTES) {
            if (err && errlen)
                snprintf(err, errlen, "%s: file too large (max %u bytes)", path, FILE_MAX_BYTES);
            goto fail;
        }
        if (got == 0) {
            if (ferror(f)) {
                if (err && errlen)
                    snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    fclose(f);
    free(buf);
    return NULL;
}

int scenario_load(const char *path, const char *const *overrides, size_t n_overrides,
                  struct scenario *out, char *err, size_t errlen)
{
    if (!path || !out) {
        if (err && errlen)
            snprintf(err, errlen, "no scenario file given");
        return -1;
    }
    size_t len;
    char *buf = read_file(path, &len, err, errlen);
    if (!buf)
        return -1;
    int rc = load_buffer(buf, len, path, overrides, n_overrides, out, err, errlen);
    free(buf);
    return rc;
}
