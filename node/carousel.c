/* carousel.c - the head-end's broadcast schedule; see carousel.h.
 *
 * The products below reach 1e15 ns x 1.25e9 B/s (a 1e6 s run on a 10 Gbit/s
 * channel), past 2^64, so they are taken in 128 bits (gcc and clang on
 * 64-bit targets) and the results clamped to their type. */
#include "carousel.h"

#define NS_PER_S 1000000000u

uint64_t carousel_slots_due(int64_t elapsed_ns, uint64_t bytes_per_s, uint32_t slot_bytes)
{
    if (elapsed_ns <= 0 || slot_bytes == 0)
        return 0;
    unsigned __int128 bytes_x1e9 = (unsigned __int128)(uint64_t)elapsed_ns * bytes_per_s;
    unsigned __int128 slots = bytes_x1e9 / ((unsigned __int128)NS_PER_S * slot_bytes);
    return slots > UINT64_MAX ? UINT64_MAX : (uint64_t)slots;
}

int64_t carousel_cycle_ns(uint32_t k, uint64_t bytes_per_s, uint32_t slot_bytes)
{
    unsigned __int128 num = (unsigned __int128)k * slot_bytes * NS_PER_S;
    if (num == 0)
        return 0;
    if (bytes_per_s == 0) /* a silent channel never ends a cycle */
        return INT64_MAX;
    unsigned __int128 ns = (num + bytes_per_s - 1) / bytes_per_s;
    return ns > INT64_MAX ? INT64_MAX : (int64_t)ns;
}

uint64_t carousel_cycles_pct(uint64_t slots_heard, uint32_t k)
{
    if (k == 0)
        return 0;
    unsigned __int128 pct = ((unsigned __int128)slots_heard * 100 + k - 1) / k;
    return pct > UINT64_MAX ? UINT64_MAX : (uint64_t)pct;
}
