/* settop_image.h - the boot image of architecture settop, and a box's copy.
 *
 * The image is settop.image.size bytes made deterministically from the
 * run's seed (every rank can make the same one), cut into K blocks of
 * settop.image.block bytes, the last one possibly shorter. Its SHA-256 is
 * what a box checks before it registers; the first 4 bytes of that hash,
 * big-endian, are the image id that every IMG_BLOCK carries.
 *
 * A box that rebuilds the image keeps a block map (which blocks it has, one
 * bit each) and, when it verifies, the bytes themselves (settop.verify):
 * stitching puts each block where it belongs after checking its index and
 * length against the image's geometry. */
#ifndef BS_SETTOP_IMAGE_H
#define BS_SETTOP_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SETTOP_SHA256_LEN 32

/* What every box knows about the image: geometry and hash, no bytes. */
struct settop_image_desc {
    uint64_t size;
    uint32_t block;    /* block (and fountain symbol) size */
    uint32_t n_blocks; /* K = ceil(size / block) */
    uint8_t sha256[SETTOP_SHA256_LEN];
    uint32_t id; /* be32 of sha256[0..3] */
};

/* The image itself (the head-end's). */
struct settop_image {
    struct settop_image_desc d;
    uint8_t *bytes; /* d.size bytes */
};

/* Make the image of (seed, size, block): the bytes are a keystream of the
 * seed (AES-128-CTR of zeros under a key derived from it), so every rank
 * makes the same image. Returns 0, or -1 (out of memory, or size or block
 * 0). */
int settop_image_make(struct settop_image *img, uint64_t seed, uint64_t size, uint32_t block);
void settop_image_free(struct settop_image *img);
/* The description only: the bytes are made and hashed a chunk at a time,
 * never all held. Returns 0 or -1, as settop_image_make. */
int settop_image_describe(struct settop_image_desc *d, uint64_t seed, uint64_t size,
                          uint32_t block);

/* Block i's length (block, or what is left for the last one), 0 when i is
 * out of range; and its bytes in the image. */
uint32_t settop_block_len(const struct settop_image_desc *d, uint32_t i);
static inline const uint8_t *settop_block_bytes(const struct settop_image *img, uint32_t i)
{
    return img->bytes + (uint64_t)i * img->d.block;
}

/* Whether buf (d->size bytes) hashes to the image's SHA-256; false for NULL. */
bool settop_image_verify(const struct settop_image_desc *d, const uint8_t *buf);

/* Which blocks a box has: one bit per block. */
struct block_map {
    uint64_t *bits;
    uint32_t n;    /* blocks */
    uint32_t have; /* bits set */
};

int block_map_init(struct block_map *m, uint32_t n); /* all clear; -1 out of memory */
void block_map_free(struct block_map *m);
void block_map_clear(struct block_map *m);
bool block_map_has(const struct block_map *m, uint32_t i);
/* Set bit i; true when it was clear (a new block), false when it was set
 * or i is out of range. */
bool block_map_set(struct block_map *m, uint32_t i);
static inline bool block_map_full(const struct block_map *m)
{
    return m->have == m->n;
}
size_t block_map_bytes(uint32_t n); /* memory of a map of n blocks (its bits) */

/* Why a block was refused (counted img_bad by the caller). */
enum stitch_result {
    STITCH_NEW = 0,   /* stored (or, with buf NULL, marked) */
    STITCH_DUP,       /* already had it */
    STITCH_BAD_INDEX, /* index >= K */
    STITCH_BAD_LEN,   /* len is not settop_block_len(index) */
};
/* Check block `index` of `len` bytes against the geometry, mark it in the
 * map and, when buf is not NULL, copy it to its place in buf (d->size
 * bytes). */
enum stitch_result settop_stitch(const struct settop_image_desc *d, struct block_map *m,
                                 uint8_t *buf, uint32_t index, const uint8_t *data, uint32_t len);

#endif
