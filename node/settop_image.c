/* settop_image.c - the boot image, its geometry and a box's block map; see
 * settop_image.h. */
#include "settop_image.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

/* Bytes made and hashed per step when the caller keeps none of them. */
#define GEN_CHUNK 16384

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The AES-128 key of a seed: SHA-256(label || be64 seed), first 16 bytes. */
static void image_key(uint64_t seed, uint8_t key[16])
{
    static const char label[] = "bootstorm-settop-image";
    uint8_t msg[sizeof label - 1 + 8];
    uint8_t md[SHA256_DIGEST_LENGTH];
    memcpy(msg, label, sizeof label - 1);
    for (int i = 0; i < 8; i++)
        msg[sizeof label - 1 + i] = (uint8_t)(seed >> (56 - 8 * i));
    SHA256(msg, sizeof msg, md);
    memcpy(key, md, 16);
}

/* Make the size bytes of the seed's image, chunk by chunk, and hash them.
 * With out NULL nothing but a stack chunk is held, so describing a 64 MiB
 * image costs no 64 MiB. */
static int image_generate(uint64_t seed, uint64_t size, uint8_t *out,
                          uint8_t sha[SETTOP_SHA256_LEN])
{
    uint8_t key[16], iv[16] = {0};
    uint8_t scratch[GEN_CHUNK];
    image_key(seed, key);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int rc = -1;
    if (!c || !h || EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, key, iv) != 1 ||
        EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
        goto out;
    for (uint64_t off = 0; off < size;) {
        /* The keystream is AES-CTR of zeros: encrypt zeros in place. */
        size_t n = size - off < GEN_CHUNK ? (size_t)(size - off) : GEN_CHUNK;
        uint8_t *p = out ? out + off : scratch;
        int len = 0;
        memset(p, 0, n);
        if (EVP_EncryptUpdate(c, p, &len, p, (int)n) != 1 || (size_t)len != n ||
            EVP_DigestUpdate(h, p, n) != 1)
            goto out;
        off += n;
    }
    if (EVP_DigestFinal_ex(h, sha, NULL) == 1)
        rc = 0;
out:
    EVP_MD_CTX_free(h);
    EVP_CIPHER_CTX_free(c);
    return rc;
}

/* Geometry of (size, block); -1 when either is 0 or K does not fit 32 bits. */
static int image_geometry(struct settop_image_desc *d, uint64_t size, uint32_t block)
{
    memset(d, 0, sizeof *d);
    if (size == 0 || block == 0)
        return -1;
    uint64_t k = (size - 1) / block + 1;
    if (k > UINT32_MAX)
        return -1;
    d->size = size;
    d->block = block;
    d->n_blocks = (uint32_t)k;
    return 0;
}

int settop_image_make(struct settop_image *img, uint64_t seed, uint64_t size, uint32_t block)
{
    img->bytes = NULL;
    if (image_geometry(&img->d, size, block) < 0 || size > SIZE_MAX)
        return -1;
    if (!(img->bytes = malloc((size_t)size)) ||
        image_generate(seed, size, img->bytes, img->d.sha256) < 0) {
        settop_image_free(img);
        return -1;
    }
    img->d.id = be32(img->d.sha256);
    return 0;
}

void settop_image_free(struct settop_image *img)
{
    free(img->bytes);
    img->bytes = NULL;
}

int settop_image_describe(struct settop_image_desc *d, uint64_t seed, uint64_t size, uint32_t block)
{
    if (image_geometry(d, size, block) < 0 || image_generate(seed, size, NULL, d->sha256) < 0)
        return -1;
    d->id = be32(d->sha256);
    return 0;
}

uint32_t settop_block_len(const struct settop_image_desc *d, uint32_t i)
{
    if (i >= d->n_blocks)
        return 0;
    if (i + 1 < d->n_blocks)
        return d->block;
    return (uint32_t)(d->size - (uint64_t)i * d->block);
}

bool settop_image_verify(const struct settop_image_desc *d, const uint8_t *buf)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    if (!buf || d->size > SIZE_MAX || !SHA256(buf, (size_t)d->size, md))
        return false;
    return memcmp(md, d->sha256, SETTOP_SHA256_LEN) == 0;
}

/* ---- block map ---- */

static size_t map_words(uint32_t n)
{
    return ((size_t)n + 63) / 64;
}

int block_map_init(struct block_map *m, uint32_t n)
{
    m->n = n;
    m->have = 0;
    m->bits = NULL;
    if (n == 0)
        return 0;
    if (!(m->bits = calloc(map_words(n), sizeof *m->bits))) {
        m->n = 0;
        return -1;
    }
    return 0;
}

void block_map_free(struct block_map *m)
{
    free(m->bits);
    m->bits = NULL;
    m->n = 0;
    m->have = 0;
}

void block_map_clear(struct block_map *m)
{
    if (m->bits)
        memset(m->bits, 0, map_words(m->n) * sizeof *m->bits);
    m->have = 0;
}

bool block_map_has(const struct block_map *m, uint32_t i)
{
    return i < m->n && (m->bits[i / 64] >> (i % 64) & 1);
}

bool block_map_set(struct block_map *m, uint32_t i)
{
    if (i >= m->n)
        return false;
    uint64_t bit = (uint64_t)1 << (i % 64);
    if (m->bits[i / 64] & bit)
        return false;
    m->bits[i / 64] |= bit;
    m->have++;
    return true;
}

size_t block_map_bytes(uint32_t n)
{
    return map_words(n) * sizeof(uint64_t);
}

enum stitch_result settop_stitch(const struct settop_image_desc *d, struct block_map *m,
                                 uint8_t *buf, uint32_t index, const uint8_t *data, uint32_t len)
{
    /* A map of another geometry is a caller's bug; refuse rather than
     * mark a bit that means another block. */
    if (index >= d->n_blocks || index >= m->n)
        return STITCH_BAD_INDEX;
    if (len != settop_block_len(d, index) || (buf && !data))
        return STITCH_BAD_LEN;
    if (!block_map_set(m, index))
        return STITCH_DUP;
    if (buf)
        memcpy(buf + (uint64_t)index * d->block, data, len);
    return STITCH_NEW;
}
