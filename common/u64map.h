/* u64map.h - a hash map from uint64_t keys to pointers.
 *
 * Open addressing with linear probing and backward-shift deletion, so a
 * lookup never walks tombstones; it doubles when 3/4 full. Keys are mixed
 * with a 64-bit finaliser, so sequential ids (user ids) spread evenly.
 * Values must not be NULL: NULL means "absent". */
#ifndef BS_U64MAP_H
#define BS_U64MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map_slot;

struct u64map {
    struct u64map_slot *slots; /* NULL until the first put */
    size_t cap;                /* a power of two, or 0 */
    size_t n;
};

void u64map_init(struct u64map *m);
void u64map_free(struct u64map *m);

/* The value for key, or NULL. */
void *u64map_get(const struct u64map *m, uint64_t key);
/* Insert or replace (value != NULL). Returns 0, or -1 out of memory (the
 * map is unchanged). */
int u64map_put(struct u64map *m, uint64_t key, void *value);
/* Remove key if present; returns its value, or NULL. */
void *u64map_del(struct u64map *m, uint64_t key);

#endif
