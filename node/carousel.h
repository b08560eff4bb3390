/* carousel.h - the head-end's broadcast schedule (architecture settop).
 *
 * The channel is cut into slots, one datagram each. A plain carousel sends
 * block (slot mod K) in slot `slot`: cycle c is slots [cK, (c+1)K). A
 * fountain carousel sends encoding symbol ESI (slot mod 2^24): the K source
 * symbols first, then repair symbols forever (RaptorQ ESIs are 24 bits).
 *
 * Pacing is integer arithmetic on the slots' bytes, so it never drifts: the
 * number of slots due after elapsed_ns at bytes_per_s is
 * floor(elapsed_ns * bytes_per_s / (1e9 * slot_bytes)), computed without
 * overflow for any run length. */
#ifndef BS_CAROUSEL_H
#define BS_CAROUSEL_H

#include <stdbool.h>
#include <stdint.h>

#define CAROUSEL_ESI_MOD (1u << 24)

/* What slot `slot` carries: a block index (carousel) or an ESI (fountain);
 * 0 for a carousel of no blocks. */
static inline uint32_t carousel_index(uint64_t slot, uint32_t k, bool fountain)
{
    if (fountain)
        return (uint32_t)(slot % CAROUSEL_ESI_MOD);
    return k ? (uint32_t)(slot % k) : 0;
}

/* The channel bytes of one slot: the largest IMG_BLOCK payload that carries
 * a block of `block` bytes ([27, v, image_id, index, bin16 data]: 16 bytes
 * of msgpack around the data). The pacing and the cycle length use it. */
static inline uint32_t carousel_slot_bytes(uint32_t block)
{
    return block + 16;
}

/* Slots due by elapsed_ns on a channel of bytes_per_s, slot_bytes each (0
 * for elapsed_ns <= 0 or slot_bytes 0). */
uint64_t carousel_slots_due(int64_t elapsed_ns, uint64_t bytes_per_s, uint32_t slot_bytes);

/* How long one cycle (K slots) takes, in ns, rounded up; INT64_MAX when
 * bytes_per_s is 0. */
int64_t carousel_cycle_ns(uint32_t k, uint64_t bytes_per_s, uint32_t slot_bytes);

/* The cycles a box heard, in hundredths (the img_cycles_pct histogram):
 * the slots that reached its receiver while it listened, lost on its own
 * link or not, over K, rounded up; 0 when k is 0. Counted in slots, not
 * time, so that a rank busy with other boxes does not stretch it. */
uint64_t carousel_cycles_pct(uint64_t slots_heard, uint32_t k);

#endif
