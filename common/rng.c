/* rng.c - xoshiro128++ seeded by splitmix64, plus a stateless hash. */
#include "rng.h"

#include <math.h>

#define GOLDEN_GAMMA 0x9e3779b97f4a7c15ULL

/* Distinct odd constants so the same number used as seed, node or stream
 * does not cancel out when the three are combined. */
#define SALT_SEED 0x6a09e667f3bcc909ULL
#define SALT_NODE 0xbb67ae8584caa73bULL
#define SALT_STREAM 0x3c6ef372fe94f82bULL
#define SALT_HASH_A 0xa54ff53a5f1d36f1ULL
#define SALT_HASH_B 0x510e527fade682d1ULL
#define SALT_HASH_C 0x9b05688c2b3e6c1fULL

#define TWO_PI 6.283185307179586476925286766559

/* splitmix64's output finaliser: a bijection with full avalanche. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint64_t rng_splitmix64(uint64_t *state)
{
    *state += GOLDEN_GAMMA;
    return mix64(*state);
}

/* Fold three words into one. Each step is a bijection of the running value
 * for a fixed input, so distinct node ids (or streams) never collide, and the
 * full avalanche makes neighbouring ids unrelated. */
static uint64_t combine3(uint64_t seed, uint64_t x, uint64_t y, uint64_t sx, uint64_t sy)
{
    uint64_t h = mix64(seed ^ SALT_SEED);
    h = mix64(h ^ (x + sx));
    h = mix64(h ^ (y + sy));
    return h;
}

void rng_seed(struct rng *r, uint64_t run_seed, uint64_t node_id, uint64_t stream)
{
    uint64_t st = combine3(run_seed, node_id, stream, SALT_NODE, SALT_STREAM);
    uint64_t w0 = rng_splitmix64(&st);
    uint64_t w1 = rng_splitmix64(&st);

    r->s[0] = (uint32_t)w0;
    r->s[1] = (uint32_t)(w0 >> 32);
    r->s[2] = (uint32_t)w1;
    r->s[3] = (uint32_t)(w1 >> 32);
    /* The all-zero state is xoshiro's one fixed point. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

static inline uint32_t rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

uint32_t rng_u32(struct rng *r)
{
    uint32_t *s = r->s;
    uint32_t result = rotl32(s[0] + s[3], 7) + s[0];
    uint32_t t = s[1] << 9;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl32(s[3], 11);
    return result;
}

double rng_uniform(struct rng *r)
{
    /* 27 + 26 = 53 bits: every double in [0, 1) on the 2^-53 grid. The top
     * bits are used since they are the strongest in xoshiro outputs. */
    uint64_t hi = rng_u32(r) >> 5;
    uint64_t lo = rng_u32(r) >> 6;
    return (double)((hi << 26) | lo) * 0x1.0p-53;
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    if (n <= 1)
        return 0;
    /* Lemire: the high word of x*n is uniform once the few low words that
     * would over-represent some results are rejected. */
    uint64_t m = (uint64_t)rng_u32(r) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)rng_u32(r) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

double rng_normal(struct rng *r)
{
    /* 1 - U is in (0, 1], so the log is finite. */
    double u1 = 1.0 - rng_uniform(r);
    double u2 = rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(TWO_PI * u2);
}

double rng_hash_unit(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = combine3(seed, a, b, SALT_HASH_A, SALT_HASH_B);
    h = mix64(h ^ (c + SALT_HASH_C));
    return (double)(h >> 11) * 0x1.0p-53;
}
