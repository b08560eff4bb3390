/* fountain.h - RaptorQ (RFC 6330) encoding and decoding of one image, our
 * small interface over Debian's liblcrq (librecast's RaptorQ, 0.0.1).
 *
 * The library is young, so nothing else in bootstorm includes lcrq.h: if it
 * changes or goes, this file is what changes. Symbols are `symbol` bytes
 * (a multiple of 4); the image is cut into K source symbols, the last one
 * zero-padded. ESI 0..K-1 are the source symbols, ESI >= K repair symbols. */
#ifndef BS_FOUNTAIN_H
#define BS_FOUNTAIN_H

#include <stddef.h>
#include <stdint.h>

struct fountain_enc;
struct fountain_dec;

/* An encoder over data (size bytes, copied; the caller's may go). NULL
 * when out of memory or the library refuses the geometry (symbol not a
 * multiple of 4, size 0, or K above 56403: more than one source block).
 * Costs the encoding: about as much CPU as one decode. */
struct fountain_enc *fountain_enc_new(const uint8_t *data, uint64_t size, uint32_t symbol);
void fountain_enc_free(struct fountain_enc *e);
/* K: the source symbols. */
uint32_t fountain_enc_k(const struct fountain_enc *e);
/* Symbol `esi` (0 <= esi < 2^24) into out (symbol bytes). Returns 0 or -1. */
int fountain_enc_symbol(struct fountain_enc *e, uint32_t esi, uint8_t *out);

/* A decoder for an image of size bytes and this symbol size, holding at
 * most max_symbols symbols (K plus the overhead it may need), all allocated
 * here. NULL when out of memory, the geometry is refused (as for the
 * encoder) or max_symbols is below K. */
struct fountain_dec *fountain_dec_new(uint64_t size, uint32_t symbol, uint32_t max_symbols);
void fountain_dec_free(struct fountain_dec *d);
uint32_t fountain_dec_k(const struct fountain_dec *d);
/* Keep symbol esi (symbol bytes, copied). Returns 1 when kept, 0 when it
 * already has that ESI, -1 when it is full (max_symbols kept) or esi is not
 * an ESI (>= 2^24). O(1) for ESIs in increasing order. */
int fountain_dec_add(struct fountain_dec *d, uint32_t esi, const uint8_t *sym);
uint32_t fountain_dec_count(const struct fountain_dec *d);
/* Decode the symbols kept into out (size bytes). Returns 0, or -1 when
 * they are not enough (fewer than K, or the matrix is singular: add more
 * and try again). Symbols with wrong bytes decode to wrong bytes: check the
 * hash. Costs about K^3 (0.3 s of CPU at K = 1024) and, only while it runs,
 * an L x L byte matrix (L a little over K). */
int fountain_dec_decode(struct fountain_dec *d, uint8_t *out);
/* Forget every symbol (start over); the memory stays. */
void fountain_dec_reset(struct fountain_dec *d);
/* Memory the decoder holds, in bytes (for box_image_bytes): the same from
 * fountain_dec_new to fountain_dec_free. */
size_t fountain_dec_bytes(const struct fountain_dec *d);

#endif
