/* scenario_json.c - scenario_to_json: the resolved scenario as JSON, with
 * the file format's keys and units (durations as "250ms", rates as "500/s"),
 * so that the output loads back as the same scenario. Each field is written
 * by its type's to_json operation (the scn_json_* below, listed in
 * scenario_schema.c's type table). */
#include "scenario_internal.h"

#include "scenario_values.h"
#include "units.h"

#include <stdio.h>
#include <string.h>

static int fields_into(json_t *obj, const struct field *table, const char *base,
                       struct scn_jctx *j);

/* ---- to_json operations of the type table ---- */

json_t *scn_json_map(const struct field *f, const char *base, struct scn_jctx *j)
{
    json_t *obj = json_object();
    if (obj && fields_into(obj, f->sub, base + f->off, j) < 0) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

json_t *scn_json_name(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    const char *p = base + f->off;
    json_t *v = json_stringn(p, strnlen(p, SCN_NAME_MAX));
    return v ? v : json_string(""); /* not UTF-8: only if set by hand */
}

json_t *scn_json_text(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    const char *p = base + f->off;
    json_t *v = json_stringn(p, strnlen(p, (size_t)f->max));
    return v ? v : json_string(""); /* not UTF-8: written as empty */
}

json_t *scn_json_headers(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    const struct scn_http_request *r = (const struct scn_http_request *)(base + f->off);
    json_t *o = json_object();
    for (uint32_t i = 0; o && i < r->n_headers && i < SCN_MAX_HEADERS; i++) {
        json_t *v = json_stringn(r->header_value[i], strnlen(r->header_value[i], SCN_TEXT_MAX));
        json_object_set_new(o, r->header_name[i], v ? v : json_string(""));
    }
    return o;
}

/* Beyond json_int_t: a string of digits. */
json_t *scn_json_u64(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    uint64_t v = *(const uint64_t *)(base + f->off);
    if (v <= INT64_MAX)
        return json_integer((json_int_t)v);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    return json_string(buf);
}

json_t *scn_json_u32(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    return json_integer(*(const uint32_t *)(base + f->off));
}

json_t *scn_json_u16(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    return json_integer(*(const uint16_t *)(base + f->off));
}

json_t *scn_json_duration(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    units_format_duration(*(const int64_t *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_duration_ms(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    double ms = *(const double *)(base + f->off);
    units_format_duration(units_ns_of_double(ms * 1e6), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_dist(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[160];
    dist_format((const struct dist *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

/* An out-of-range value (only if set by hand) is written as the first name. */
json_t *scn_json_enum(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    int v = *(const int *)(base + f->off), n = 0;
    while (f->names[n])
        n++;
    return json_string(v >= 0 && v < n ? f->names[v] : f->names[0]);
}

json_t *scn_json_ipv4(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[16];
    scnv_format_ipv4(*(const uint32_t *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_nets(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    json_t *arr = json_array();
    uint32_t n = *(const uint32_t *)(base + f->off_count);
    const struct scn_net *nets = (const struct scn_net *)(base + f->off);
    for (uint32_t i = 0; arr && i < n && i < SCN_MAX_NETS; i++) {
        scnv_format_cidr(&nets[i], buf, sizeof buf);
        json_array_append_new(arr, json_string(buf));
    }
    return arr;
}

/* Fractions and numbers: the only JSON reals. Notes the digits each needs
 * (see scenario_to_json). */
json_t *scn_json_real(const struct field *f, const char *base, struct scn_jctx *j)
{
    double v = *(const double *)(base + f->off);
    int p = scnv_number_precision(v);
    if (p > j->prec)
        j->prec = p;
    return json_real(v);
}

json_t *scn_json_rate(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[64];
    scnv_format_rate(*(const double *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_bool(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    return json_boolean(*(const bool *)(base + f->off));
}

/* null when absent (the "present" flag at off_count). */
json_t *scn_json_cond(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[160];
    if (!*(const bool *)(base + f->off_count))
        return json_null();
    scnv_format_cond((const struct scn_cond *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_bandwidth(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    scnv_format_bandwidth(*(const uint64_t *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

json_t *scn_json_bytes(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    char buf[32];
    units_format_bytes(*(const uint64_t *)(base + f->off), buf, sizeof buf);
    return json_string(buf);
}

/* One event: its at or when, and its action's keys under the action's name. */
static json_t *event_to_json(const struct scn_event *e, struct scn_jctx *j)
{
    char buf[160];
    const struct field *fa = scn_action_field(e->kind);
    json_t *ev = json_object();
    json_t *act = json_object();

    if (!ev || !act || !fa)
        goto fail;
    if (e->conditional) {
        scnv_format_cond(&e->when, buf, sizeof buf);
    } else {
        units_format_duration(e->at_ns, buf, sizeof buf);
    }
    if (json_object_set_new(ev, e->conditional ? "when" : "at", json_string(buf)) < 0 ||
        fields_into(act, fa->sub, (const char *)e, j) < 0)
        goto fail;
    if (json_object_set_new(ev, fa->key, act) < 0) {
        act = NULL; /* stolen even on failure */
        goto fail;
    }
    return ev;
fail:
    json_decref(ev);
    json_decref(act);
    return NULL;
}

/* The events are a top-level key: base is the scenario (j->s). */
json_t *scn_json_events(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)f;
    (void)base;
    const struct scenario *s = j->s;
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < s->n_events && i < SCN_MAX_EVENTS; i++) {
        json_t *ev = event_to_json(&s->events[i], j);
        if (!ev || json_array_append_new(arr, ev) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* partition.groups: back from the group of each rank to [[1, 2], [3]]. */
json_t *scn_json_groups(const struct field *f, const char *base, struct scn_jctx *j)
{
    (void)j;
    const uint8_t *group = (const uint8_t *)(base + f->off);
    unsigned n = 0;
    for (size_t r = 0; r < SCN_MAX_RANKS; r++)
        if (group[r] > n)
            n = group[r];
    json_t *arr = json_array();
    for (unsigned g = 1; arr && g <= n; g++) {
        json_t *ranks = json_array();
        for (size_t r = 0; ranks && r < SCN_MAX_RANKS; r++) {
            if (group[r] == g && json_array_append_new(ranks, json_integer((json_int_t)r)) < 0) {
                json_decref(ranks);
                ranks = NULL;
            }
        }
        if (!ranks || json_array_append_new(arr, ranks) < 0) { /* ranks: stolen */
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* network.impair_groups: each group's ranks (from
 * network.impair_group_of_rank), then its impairment keys. */
json_t *scn_json_impair_groups(const struct field *f, const char *base, struct scn_jctx *j)
{
    const struct scenario *s = j->s;
    const struct scn_impair *groups = (const struct scn_impair *)(base + f->off);
    uint32_t n = *(const uint32_t *)(base + f->off_count);
    json_t *arr = json_array();
    for (uint32_t g = 0; arr && g < n && g < SCN_MAX_GROUPS; g++) {
        json_t *obj = json_object(), *ranks = json_array();
        bool ok = obj && ranks;
        for (size_t r = 0; ok && r < SCN_MAX_RANKS; r++)
            if (s->network.impair_group_of_rank[r] == g + 1)
                ok = json_array_append_new(ranks, json_integer((json_int_t)r)) == 0;
        if (ok) {
            ok = json_object_set_new(obj, "ranks", ranks) == 0;
            ranks = NULL; /* stolen even on failure */
        }
        if (ok)
            ok = fields_into(obj, scn_impair_class_fields, (const char *)&groups[g], j) == 0;
        if (ok) {
            ok = json_array_append_new(arr, obj) == 0;
            obj = NULL; /* stolen even on failure */
        }
        if (!ok) {
            json_decref(obj);
            json_decref(ranks);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/* ---- the walk ---- */

/* Add the keys of `table` to obj: inline tables at the same level, keys that
 * do not matter (f->used) left out. */
static int fields_into(json_t *obj, const struct field *table, const char *base, struct scn_jctx *j)
{
    for (const struct field *f = table; f->key; f++) {
        if (f->type == F_INLINE) {
            if (fields_into(obj, f->sub, base + f->off, j) < 0)
                return -1;
            continue;
        }
        if (f->used && !f->used(base))
            continue;
        json_t *(*to_json)(const struct field *, const char *, struct scn_jctx *) =
            scn_types[f->type].to_json;
        json_t *v = to_json ? to_json(f, base, j) : json_null();
        if (!v || json_object_set_new(obj, f->key, v) < 0)
            return -1;
    }
    return 0;
}

char *scenario_to_json(const struct scenario *s)
{
    if (!s)
        return NULL;
    struct scn_jctx j = {.s = s, .prec = 1};
    json_t *root = json_object();
    if (!root || fields_into(root, scn_scenario_fields, (const char *)s, &j) < 0) {
        json_decref(root);
        return NULL;
    }
    /* Fractions and numbers are the only JSON reals: print them as short as
     * the one that needs the most digits allows, so each reads back the same. */
    char *text =
        json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(j.prec));
    json_decref(root);
    return text;
}

/* central.datacenters: one object per data centre. */
json_t *scn_json_datacenters(const struct field *f, const char *base, struct scn_jctx *j)
{
    const struct scn_datacenter *dcs = (const struct scn_datacenter *)(base + f->off);
    uint32_t n = *(const uint32_t *)(base + f->off_count);
    json_t *arr = json_array();
    for (uint32_t i = 0; arr && i < n && i < SCN_MAX_DCS; i++) {
        json_t *obj = json_object();
        if (!obj || fields_into(obj, scn_datacenter_fields, (const char *)&dcs[i], j) < 0) {
            json_decref(obj);
            json_decref(arr);
            return NULL;
        }
        if (json_array_append_new(arr, obj) < 0) { /* obj: stolen even on failure */
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
