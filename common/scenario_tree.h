/* scenario_tree.h - arena, generic YAML tree and --set overrides; internal to
 * the scenario loader (common/scenario*.c), not a public API.
 *
 * All tree memory comes from one arena that is freed in one go. */
#ifndef BS_SCENARIO_TREE_H
#define BS_SCENARIO_TREE_H

#include <stdbool.h>
#include <stddef.h>

/* ---- arena ---- */

struct chunk;

struct arena {
    struct chunk *head;
};

void stree_arena_free(struct arena *a);

/* ---- errors ---- */

/* Where a node came from: a file (messages get LINE:COL) or an override
 * (messages get "--set KEY=VALUE"). */
struct origin {
    const char *label;
    bool is_override;
};

void stree_report(char *err, size_t errlen, const struct origin *o, unsigned line, unsigned col,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- generic tree ---- */

enum tkind { TN_SCALAR, TN_MAP, TN_SEQ };

struct tnode {
    enum tkind kind;
    const struct origin *origin;
    unsigned line, col; /* 1-based */
    unsigned height;    /* 1 for a scalar */
    bool plain;         /* unquoted scalar */
    const char *text;   /* scalar text, NUL-terminated */
    size_t len;
    size_t n, cap;        /* sequence items, or mapping pairs */
    struct tnode **items; /* mapping: key 2i, value 2i+1 */
};

bool stree_is_null(const struct tnode *n);

/* First value for `key` in a mapping, or NULL. `*keynode` gets its key. */
struct tnode *stree_map_get(const struct tnode *m, const char *key, struct tnode **keynode);

void stree_describe(const struct tnode *n, char *buf, size_t len);

void stree_join_path(char *out, size_t len, const char *path, const char *key);

/* Parse one YAML document into a tree. An input with no document gives a null
 * scalar (so "--set k=" means "k: " and an empty file can be reported). */
struct tnode *stree_from_yaml(struct arena *a, const struct origin *o, const char *text, size_t len,
                              char *err, size_t errlen);

/* ---- overrides ---- */

int stree_apply_override(struct arena *a, struct tnode *root, const char *ov, char *err,
                         size_t errlen);

#endif
