/* scenario_tree.c - the scenario loader's arena, generic YAML tree and --set
 * overrides (internal to the scenario loader, see scenario.c).
 *
 * libyaml's event parser builds a small generic tree (mapping, sequence,
 * scalar); every node remembers where it came from (file + line/col, or the
 * --set override that made it). Each --set KEY=VALUE parses VALUE as its own
 * YAML document and grafts it into the tree. */
#include "scenario_tree.h"

#include "scenario_values.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

/* Limits against hostile input: nesting and total nodes (alias expansion
 * included, so "billion laughs" stops early). */
#define TREE_MAX_DEPTH 64
#define TREE_MAX_NODES 100000

/* ---- arena ---- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t mem[];
};

#define ARENA_CHUNK 16384

static void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    if (n == 0)
        n = sizeof(max_align_t);
    if (!a->head || a->head->cap - a->head->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        struct chunk *c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->cap = cap;
        a->head = c;
    }
    void *p = (unsigned char *)a->head->mem + a->head->used;
    a->head->used += n;
    return p;
}

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void stree_arena_free(struct arena *a)
{
    while (a->head) {
        struct chunk *next = a->head->next;
        free(a->head);
        a->head = next;
    }
}

/* ---- errors ---- */

void stree_report(char *err, size_t errlen, const struct origin *o, unsigned line, unsigned col,
                  const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n;
    if (o->is_override || line == 0)
        n = snprintf(err, errlen, "%s: ", o->label);
    else
        n = snprintf(err, errlen, "%s:%u:%u: ", o->label, line, col);
    if (n < 0 || (size_t)n >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- generic tree ---- */

bool stree_is_null(const struct tnode *n)
{
    return n->kind == TN_SCALAR && n->plain &&
           (n->len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
            !strcmp(n->text, "Null") || !strcmp(n->text, "NULL"));
}

/* First value for `key` in a mapping, or NULL. `*keynode` gets its key. */
struct tnode *stree_map_get(const struct tnode *m, const char *key, struct tnode **keynode)
{
    if (m->kind != TN_MAP)
        return NULL;
    for (size_t i = 0; i + 1 < m->n; i += 2) {
        const struct tnode *k = m->items[i];
        if (k->kind == TN_SCALAR && !strcmp(k->text, key)) {
            if (keynode)
                *keynode = m->items[i];
            return m->items[i + 1];
        }
    }
    return NULL;
}

void stree_describe(const struct tnode *n, char *buf, size_t len)
{
    if (n->kind == TN_MAP)
        snprintf(buf, len, "a mapping");
    else if (n->kind == TN_SEQ)
        snprintf(buf, len, "a sequence");
    else if (stree_is_null(n))
        snprintf(buf, len, "nothing");
    else if (n->len > 40)
        snprintf(buf, len, "'%.37s...'", n->text);
    else
        snprintf(buf, len, "'%s'", n->text);
}

void stree_join_path(char *out, size_t len, const char *path, const char *key)
{
    snprintf(out, len, "%.150s%s%.64s", path, *path ? "." : "", key);
}

/* ---- YAML to tree ---- */

struct anchor {
    const char *name;
    const struct tnode *node;
};

struct builder {
    yaml_parser_t parser;
    struct arena *arena;
    const struct origin *origin;
    const char *input;
    size_t input_len;
    size_t n_nodes;
    struct anchor *anchors;
    size_t n_anchors, cap_anchors;
    char *err;
    size_t errlen;
};

static void b_oom(struct builder *b)
{
    stree_report(b->err, b->errlen, b->origin, 0, 0, "out of memory");
}

static void b_syntax_error(struct builder *b)
{
    yaml_parser_t *p = &b->parser;
    unsigned line = (unsigned)p->problem_mark.line + 1;
    unsigned col = (unsigned)p->problem_mark.column + 1;
    const char *what = b->origin->is_override ? "invalid value" : "YAML syntax error";
    if (p->error == YAML_MEMORY_ERROR) {
        b_oom(b);
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors carry a byte offset, not a mark. */
        line = 1;
        col = 1;
        for (size_t i = 0; i < p->problem_offset && i < b->input_len; i++) {
            if (b->input[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        stree_report(b->err, b->errlen, b->origin, line, col, "%s: %s", what,
                     p->problem ? p->problem : "unreadable input");
        return;
    }
    if (p->context)
        stree_report(b->err, b->errlen, b->origin, line, col,
                     "%s: %s (%s that started at line %u, column %u)", what,
                     p->problem ? p->problem : "error", p->context,
                     (unsigned)p->context_mark.line + 1, (unsigned)p->context_mark.column + 1);
    else
        stree_report(b->err, b->errlen, b->origin, line, col, "%s: %s", what,
                     p->problem ? p->problem : "error");
}

static int b_next(struct builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) {
        b_syntax_error(b);
        return -1;
    }
    return 0;
}

static struct tnode *b_new(struct builder *b, enum tkind kind, const yaml_mark_t *mark)
{
    if (++b->n_nodes > TREE_MAX_NODES) {
        stree_report(b->err, b->errlen, b->origin, (unsigned)mark->line + 1,
                     (unsigned)mark->column + 1, "document too large (more than %d nodes)",
                     TREE_MAX_NODES);
        return NULL;
    }
    struct tnode *n = arena_alloc(b->arena, sizeof *n);
    if (!n) {
        b_oom(b);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->origin = b->origin;
    n->line = (unsigned)mark->line + 1;
    n->col = (unsigned)mark->column + 1;
    n->height = 1;
    n->text = "";
    return n;
}

static int tn_push(struct arena *a, struct tnode *parent, struct tnode *child)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct tnode **items = arena_alloc(a, cap * sizeof *items);
        if (!items)
            return -1;
        if (parent->n)
            memcpy(items, parent->items, parent->n * sizeof *items);
        parent->items = items;
        parent->cap = cap;
    }
    parent->items[parent->n++] = child;
    if (child->height + 1 > parent->height)
        parent->height = child->height + 1;
    return 0;
}

static struct tnode *b_copy(struct builder *b, const struct tnode *src)
{
    yaml_mark_t m = {.line = src->line - 1, .column = src->col - 1};
    struct tnode *n = b_new(b, src->kind, &m);
    if (!n)
        return NULL;
    n->origin = src->origin;
    n->plain = src->plain;
    n->text = src->text;
    n->len = src->len;
    for (size_t i = 0; i < src->n; i++) {
        struct tnode *c = b_copy(b, src->items[i]);
        if (!c)
            return NULL;
        if (tn_push(b->arena, n, c) < 0) {
            b_oom(b);
            return NULL;
        }
    }
    return n;
}

static int b_anchor(struct builder *b, const char *name, const struct tnode *node)
{
    if (!name)
        return 0;
    if (b->n_anchors == b->cap_anchors) {
        size_t cap = b->cap_anchors ? b->cap_anchors * 2 : 8;
        struct anchor *a = arena_alloc(b->arena, cap * sizeof *a);
        if (!a) {
            b_oom(b);
            return -1;
        }
        if (b->n_anchors)
            memcpy(a, b->anchors, b->n_anchors * sizeof *a);
        b->anchors = a;
        b->cap_anchors = cap;
    }
    b->anchors[b->n_anchors++] = (struct anchor){name, node};
    return 0;
}

/* Build the node that starts with *ev (consumed). An anchor is registered only
 * once its node is complete, so a recursive alias is an unknown anchor. */
static struct tnode *b_build(struct builder *b, yaml_event_t *ev, unsigned depth)
{
    struct tnode *n = NULL;
    const char *anchor = NULL;
    yaml_mark_t mark = ev->start_mark;

    if (depth > TREE_MAX_DEPTH) {
        stree_report(b->err, b->errlen, b->origin, (unsigned)mark.line + 1,
                     (unsigned)mark.column + 1, "nesting deeper than %d levels", TREE_MAX_DEPTH);
        yaml_event_delete(ev);
        return NULL;
    }

    switch (ev->type) {
    case YAML_SCALAR_EVENT: {
        const char *v = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        if (memchr(v, '\0', len)) {
            stree_report(b->err, b->errlen, b->origin, (unsigned)mark.line + 1,
                         (unsigned)mark.column + 1, "NUL character in a scalar");
            break;
        }
        n = b_new(b, TN_SCALAR, &mark);
        if (!n)
            break;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        n->len = len;
        n->text = arena_strndup(b->arena, v, len);
        if (!n->text || (ev->data.scalar.anchor &&
                         !(anchor = arena_strndup(b->arena, (const char *)ev->data.scalar.anchor,
                                                  strlen((const char *)ev->data.scalar.anchor))))) {
            b_oom(b);
            n = NULL;
            break;
        }
        if (b_anchor(b, anchor, n) < 0)
            n = NULL;
        break;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        const struct tnode *src = NULL;
        for (size_t i = b->n_anchors; i-- > 0;) {
            if (!strcmp(b->anchors[i].name, name)) {
                src = b->anchors[i].node;
                break;
            }
        }
        if (!src) {
            stree_report(b->err, b->errlen, b->origin, (unsigned)mark.line + 1,
                         (unsigned)mark.column + 1, "alias *%.64s refers to no (finished) anchor",
                         name);
            break;
        }
        if (depth + src->height > TREE_MAX_DEPTH + 1) {
            stree_report(b->err, b->errlen, b->origin, (unsigned)mark.line + 1,
                         (unsigned)mark.column + 1, "nesting deeper than %d levels",
                         TREE_MAX_DEPTH);
            break;
        }
        n = b_copy(b, src);
        if (n) {
            n->line = (unsigned)mark.line + 1;
            n->col = (unsigned)mark.column + 1;
        }
        break;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        bool is_map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *an =
            is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        yaml_event_type_t end = is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT;
        n = b_new(b, is_map ? TN_MAP : TN_SEQ, &mark);
        if (!n)
            break;
        if (an && !(anchor = arena_strndup(b->arena, (const char *)an, strlen((const char *)an)))) {
            b_oom(b);
            n = NULL;
            break;
        }
        yaml_event_delete(ev);
        for (;;) {
            yaml_event_t child_ev;
            if (b_next(b, &child_ev) < 0)
                return NULL;
            if (child_ev.type == end) {
                yaml_event_delete(&child_ev);
                break;
            }
            struct tnode *child = b_build(b, &child_ev, depth + 1);
            if (!child)
                return NULL;
            if (tn_push(b->arena, n, child) < 0) {
                b_oom(b);
                return NULL;
            }
        }
        if (b_anchor(b, anchor, n) < 0)
            return NULL;
        return n;
    }
    default:
        stree_report(b->err, b->errlen, b->origin, (unsigned)mark.line + 1,
                     (unsigned)mark.column + 1, "unexpected YAML event");
        break;
    }
    yaml_event_delete(ev);
    return n;
}

/* Parse one YAML document into a tree. An input with no document gives a null
 * scalar (so "--set k=" means "k: " and an empty file can be reported). */
struct tnode *stree_from_yaml(struct arena *a, const struct origin *o, const char *text, size_t len,
                              char *err, size_t errlen)
{
    struct builder b = {
        .arena = a, .origin = o, .input = text, .input_len = len, .err = err, .errlen = errlen};
    struct tnode *root = NULL;
    yaml_event_t ev;

    if (!yaml_parser_initialize(&b.parser)) {
        b_oom(&b);
        return NULL;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);

    if (b_next(&b, &ev) < 0)
        goto out;
    yaml_event_delete(&ev); /* STREAM_START */
    if (b_next(&b, &ev) < 0)
        goto out;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_mark_t m = ev.start_mark;
        yaml_event_delete(&ev);
        root = b_new(&b, TN_SCALAR, &m);
        if (root) {
            root->plain = true;
            root->line = root->col = 1;
        }
        goto out;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    if (b_next(&b, &ev) < 0)
        goto out;
    root = b_build(&b, &ev, 1);
    if (!root)
        goto out;
    if (b_next(&b, &ev) < 0) { /* DOCUMENT_END */
        root = NULL;
        goto out;
    }
    yaml_event_delete(&ev);
    if (b_next(&b, &ev) < 0) {
        root = NULL;
        goto out;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        stree_report(err, errlen, o, (unsigned)ev.start_mark.line + 1,
                     (unsigned)ev.start_mark.column + 1,
                     "more than one YAML document (a scenario is one document)");
        root = NULL;
    }
    yaml_event_delete(&ev);
out:
    yaml_parser_delete(&b.parser);
    return root;
}

/* ---- overrides ---- */

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!scnv_is_digit(*s))
            return false;
    return true;
}

static struct tnode *new_container(struct arena *a, const struct origin *o, bool seq)
{
    struct tnode *n = arena_alloc(a, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = seq ? TN_SEQ : TN_MAP;
    n->origin = o;
    n->height = 1;
    n->text = "";
    return n;
}

static struct tnode *new_key(struct arena *a, const struct origin *o, const char *k)
{
    struct tnode *n = arena_alloc(a, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->kind = TN_SCALAR;
    n->origin = o;
    n->height = 1;
    n->plain = true;
    n->len = strlen(k);
    n->text = arena_strndup(a, k, n->len);
    return n->text ? n : NULL;
}

/* Graft `value` at `comps` under `root`. Missing mappings are created, a
 * numeric component indexes a sequence, and index == length appends. A scalar
 * in the way is replaced: the walk then reports the type error against the
 * override. */
static int graft(struct arena *a, const struct origin *o, struct tnode *root, char **comps,
                 size_t nc, struct tnode *value, char *err, size_t errlen)
{
    struct tnode *cur = root;
    char path[256] = "";

    for (size_t i = 0; i < nc; i++) {
        bool last = i + 1 == nc;
        bool next_is_index = !last && all_digits(comps[i + 1]);
        struct tnode **slot = NULL;
        char here[256];
        snprintf(here, sizeof here, "%s", path);

        if (cur->kind == TN_SEQ) {
            if (!all_digits(comps[i])) {
                stree_report(err, errlen, o, 0, 0, "%s: expected a sequence index, got '%.32s'",
                             *here ? here : "scenario", comps[i]);
                return -1;
            }
            errno = 0;
            unsigned long long idx = strtoull(comps[i], NULL, 10);
            if (errno || idx > cur->n) {
                stree_report(err, errlen, o, 0, 0,
                             "%s.%.32s: index out of range (%s has %zu entries; index %zu appends)",
                             here, comps[i], here, cur->n, cur->n);
                return -1;
            }
            if (idx == cur->n) {
                struct tnode *fresh = last ? value : new_container(a, o, next_is_index);
                if (!fresh || tn_push(a, cur, fresh) < 0)
                    goto oom;
            }
            slot = &cur->items[idx];
        } else {
            struct tnode *k = NULL;
            struct tnode *v = stree_map_get(cur, comps[i], &k);
            if (!v) {
                struct tnode *key = new_key(a, o, comps[i]);
                struct tnode *fresh = last ? value : new_container(a, o, next_is_index);
                if (!key || !fresh || tn_push(a, cur, key) < 0 || tn_push(a, cur, fresh) < 0)
                    goto oom;
                slot = &cur->items[cur->n - 1];
            } else {
                for (size_t j = 0; j + 1 < cur->n; j += 2)
                    if (cur->items[j] == k)
                        slot = &cur->items[j + 1];
            }
        }
        if (!slot) { /* the key stree_map_get found is always among the items */
            stree_report(err, errlen, o, 0, 0, "%s: internal error", path);
            return -1;
        }
        stree_join_path(path, sizeof path, here, comps[i]);
        if (last) {
            *slot = value;
            return 0;
        }
        if ((*slot)->kind == TN_SCALAR) {
            struct tnode *fresh = new_container(a, o, next_is_index);
            if (!fresh)
                goto oom;
            *slot = fresh;
        }
        cur = *slot;
    }
    return 0;
oom:
    stree_report(err, errlen, o, 0, 0, "out of memory");
    return -1;
}

int stree_apply_override(struct arena *a, struct tnode *root, const char *ov, char *err,
                         size_t errlen)
{
    size_t len = strlen(ov);
    struct origin *o = arena_alloc(a, sizeof *o);
    char *label = arena_alloc(a, len + 7);
    if (!o || !label) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(label, len + 7, "--set %s", ov);
    *o = (struct origin){label, true};

    const char *eq = strchr(ov, '=');
    if (!eq) {
        stree_report(err, errlen, o, 0, 0, "malformed override: expected KEY=VALUE");
        return -1;
    }
    if (eq == ov) {
        stree_report(err, errlen, o, 0, 0, "malformed override: empty key");
        return -1;
    }
    char *key = arena_strndup(a, ov, (size_t)(eq - ov));
    size_t nc = 1;
    if (!key) {
        stree_report(err, errlen, o, 0, 0, "out of memory");
        return -1;
    }
    for (const char *p = key; *p; p++)
        nc += *p == '.';
    char **comps = arena_alloc(a, nc * sizeof *comps);
    if (!comps) {
        stree_report(err, errlen, o, 0, 0, "out of memory");
        return -1;
    }
    size_t i = 0;
    for (char *p = key;; i++) {
        char *dot = strchr(p, '.');
        comps[i] = p;
        if (dot)
            *dot = '\0';
        if (*p == '\0') {
            stree_report(err, errlen, o, 0, 0, "malformed override: empty component in key '%.*s'",
                         (int)(eq - ov), ov);
            return -1;
        }
        if (!dot)
            break;
        p = dot + 1;
    }

    struct tnode *value = stree_from_yaml(a, o, eq + 1, strlen(eq + 1), err, errlen);
    if (!value)
        return -1;
    return graft(a, o, root, comps, nc, value, err, errlen);
}
