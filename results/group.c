/* group.c - grouping runs by scenario. */
#include "group.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

/* Flatten nested objects/arrays into {"a.b.0.c": leaf}. */
static void flatten(json_t *j, const char *prefix, json_t *out)
{
    char path[512];
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", k);
            flatten(v, path, out);
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            snprintf(path, sizeof path, "%s%s%zu", prefix, *prefix ? "." : "", i);
            flatten(json_array_get(j, i), path, out);
        }
        if (json_array_size(j) == 0)
            json_object_set(out, prefix, j);
    } else {
        json_object_set(out, prefix, j);
    }
}

static void add_value(struct sbuf *b, json_t *v)
{
    if (!v) {
        sbuf_add(b, "(none)");
    } else if (json_is_string(v)) {
        sbuf_add(b, json_string_value(v));
    } else {
        char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        sbuf_add(b, t ? t : "?");
        free(t);
    }
}

/* Keys whose values are not the same in every group, in scenario order. */
static json_t *varying_keys(json_t **flat, size_t n)
{
    json_t *keys = json_array();
    if (n < 2)
        return keys;
    json_t *seen = json_object();
    for (size_t g = 0; g < n; g++) {
        const char *k;
        json_t *v;
        json_object_foreach(flat[g], k, v)
        {
            if (json_object_get(seen, k))
                continue;
            json_object_set_new(seen, k, json_true());
            for (size_t h = 0; h < n; h++) {
                json_t *w = json_object_get(flat[h], k);
                if (!w || !json_equal(v, w)) {
                    json_array_append_new(keys, json_string(k));
                    break;
                }
            }
        }
    }
    json_decref(seen);
    return keys;
}

/* Whether two of the groups that have key k give it different values. */
static bool differs_where_present(json_t **flat, size_t n, const char *k)
{
    json_t *first = NULL;
    for (size_t g = 0; g < n; g++) {
        json_t *v = json_object_get(flat[g], k);
        if (!v)
            continue;
        if (first && !json_equal(first, v))
            return true;
        if (!first)
            first = v;
    }
    return false;
}

/* The keys that describe the groups. When the groups differ in
 * architecture, it comes first (the reader's first question), and a key
 * that only some architectures have (the central section) counts only
 * where it differs between groups that have it: its presence is implied. */
static json_t *describing_keys(json_t **flat, size_t n, bool *by_arch)
{
    json_t *keys = varying_keys(flat, n), *out = json_array();
    bool arch = false;
    for (size_t i = 0; i < json_array_size(keys); i++)
        arch |= !strcmp(json_string_value(json_array_get(keys, i)), "architecture");
    *by_arch = arch;
    if (!arch) {
        json_decref(out);
        return keys;
    }
    json_array_append_new(out, json_string("architecture"));
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        if (strcmp(k, "architecture") && differs_where_present(flat, n, k))
            json_array_append_new(out, json_string(k));
    }
    json_decref(keys);
    return out;
}

/* "k=v, k=v, k=v, and N more". skip_absent: leave out the keys this
 * group does not have (implied by its architecture). */
static char *describe(json_t *flat, json_t *keys, size_t max, bool skip_absent)
{
    struct sbuf b;
    sbuf_init(&b);
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        json_t *v = json_object_get(flat, k);
        if (!v && skip_absent && strcmp(k, "architecture"))
            continue;
        if (shown == max) {
            more++;
            continue;
        }
        sbuf_printf(&b, "%s%s=", shown++ ? ", " : "", k);
        add_value(&b, v);
    }
    if (more)
        sbuf_printf(&b, ", and %zu more", more);
    if (!b.s)
        sbuf_add(&b, "");
    return b.s;
}

void groups_build(const struct run *runs, size_t n_runs, struct group **out, size_t *n_out)
{
    struct group *g = xcalloc(n_runs ? n_runs : 1, sizeof *g);
    size_t n = 0;
    for (size_t i = 0; i < n_runs; i++) {
        json_t *key = run_scenario_key(&runs[i]);
        size_t k = 0;
        while (k < n && !json_equal(g[k].key, key))
            k++;
        if (k == n) {
            g[n].key = key;
            g[n].members = xcalloc(n_runs, sizeof *g[n].members);
            /* A..Z, then AA.. */
            if (n < 26)
                snprintf(g[n].id, sizeof g[n].id, "%c", (char)('A' + n));
            else
                snprintf(g[n].id, sizeof g[n].id, "%c%c", (char)('A' + n / 26 - 1),
                         (char)('A' + n % 26));
            n++;
        } else {
            json_decref(key);
        }
        g[k].members[g[k].n++] = i;
    }
    json_t **flat = xcalloc(n ? n : 1, sizeof(json_t *));
    for (size_t k = 0; k < n; k++) {
        flat[k] = json_object();
        flatten(g[k].key, "", flat[k]);
        /* Runs from before the key had the one architecture there was. */
        if (!json_object_get(flat[k], "architecture"))
            json_object_set_new(flat[k], "architecture", json_string("supernode"));
    }
    bool by_arch;
    json_t *keys = describing_keys(flat, n, &by_arch);
    for (size_t k = 0; k < n; k++) {
        if (json_array_size(keys))
            g[k].desc = describe(flat[k], keys, 3, by_arch);
        else
            g[k].desc = xstrdup(runs[g[k].members[0]].name);
        json_decref(flat[k]);
    }
    json_decref(keys);
    free(flat);
    *out = g;
    *n_out = n;
}

void groups_free(struct group *g, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(g[k].members);
        free(g[k].desc);
        json_decref(g[k].key);
    }
    free(g);
}

size_t group_of(const struct group *g, size_t n_groups, size_t run)
{
    for (size_t k = 0; k < n_groups; k++)
        for (size_t i = 0; i < g[k].n; i++)
            if (g[k].members[i] == run)
                return k;
    return 0;
}

char *group_diff(const struct group *a, const struct group *b, size_t max)
{
    json_t *flat[2] = {json_object(), json_object()};
    flatten(a->key, "", flat[0]);
    flatten(b->key, "", flat[1]);
    json_t *keys = varying_keys(flat, 2);
    struct sbuf s;
    sbuf_init(&s);
    size_t n = json_array_size(keys);
    for (size_t i = 0; i < n && i < max; i++) {
        const char *k = json_string_value(json_array_get(keys, i));
        sbuf_printf(&s, "%s%s: ", i ? "; " : "", k);
        add_value(&s, json_object_get(flat[0], k));
        sbuf_add(&s, " vs ");
        add_value(&s, json_object_get(flat[1], k));
    }
    if (n > max)
        sbuf_printf(&s, "; and %zu more", n - max);
    if (!s.s)
        sbuf_add(&s, "");
    json_decref(keys);
    json_decref(flat[0]);
    json_decref(flat[1]);
    return s.s;
}
