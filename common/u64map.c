/* u64map.c - open-addressing hash map (see u64map.h). */
#include "u64map.h"

#include <stdlib.h>

struct u64map_slot {
    uint64_t key;
    void *value; /* NULL: empty */
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

void u64map_init(struct u64map *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void u64map_free(struct u64map *m)
{
    free(m->slots);
    u64map_init(m);
}

/* The slot holding key, or the empty slot where it would go. */
static struct u64map_slot *find(const struct u64map *m, uint64_t key)
{
    size_t mask = m->cap - 1;
    for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
        struct u64map_slot *s = &m->slots[i];
        if (!s->value || s->key == key)
            return s;
    }
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
    return m->cap ? find(m, key)->value : NULL;
}

static int grow(struct u64map *m)
{
    size_t cap = m->cap ? 2 * m->cap : 16;
    struct u64map_slot *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    struct u64map old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].value)
            *find(m, old.slots[i].key) = old.slots[i];
    free(old.slots);
    return 0;
}

int u64map_put(struct u64map *m, uint64_t key, void *value)
{
    if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0)
        return -1;
    struct u64map_slot *s = find(m, key);
    if (!s->value)
        m->n++;
    s->key = key;
    s->value = value;
    return 0;
}

void *u64map_del(struct u64map *m, uint64_t key)
{
    if (!m->cap)
        return NULL;
    struct u64map_slot *s = find(m, key);
    void *value = s->value;
    if (!value)
        return NULL;
    /* Backward shift: move each later entry of the run into the hole if its
     * home slot does not lie strictly between the hole and itself. */
    size_t mask = m->cap - 1, hole = (size_t)(s - m->slots);
    for (size_t i = (hole + 1) & mask; m->slots[i].value; i = (i + 1) & mask) {
        size_t home = mix(m->slots[i].key) & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    m->slots[hole].value = NULL;
    m->n--;
    return value;
}
