/* dht_id.c - 160-bit DHT identifiers and the XOR metric; see dht_id.h. */
#include "dht_id.h"

#include <openssl/sha.h>
#include <string.h>

void dht_id_xor(const struct dht_id *a, const struct dht_id *b, struct dht_id *out)
{
    for (int i = 0; i < DHT_ID_LEN; i++)
        out->b[i] = a->b[i] ^ b->b[i];
}

int dht_id_closer(const struct dht_id *target, const struct dht_id *a, const struct dht_id *b)
{
    /* The first byte where the distances differ decides, big-endian. */
    for (int i = 0; i < DHT_ID_LEN; i++) {
        uint8_t da = a->b[i] ^ target->b[i], db = b->b[i] ^ target->b[i];
        if (da != db)
            return da < db ? -1 : 1;
    }
    return 0;
}

/* The index (0..7) of the highest set bit of a non-zero byte. */
static int top_bit(uint8_t x)
{
    int h = 7;
    while (!(x & (1u << h)))
        h--;
    return h;
}

int dht_id_bucket(const struct dht_id *self, const struct dht_id *other)
{
    for (int i = 0; i < DHT_ID_LEN; i++) {
        uint8_t x = self->b[i] ^ other->b[i];
        if (x)
            return (DHT_ID_LEN - 1 - i) * 8 + top_bit(x);
    }
    return -1;
}

static void put_be(uint8_t *p, uint64_t v, int len)
{
    for (int i = len - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* The first DHT_ID_LEN bytes of SHA-256(msg). */
static void id_of(const uint8_t *msg, size_t len, struct dht_id *out)
{
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(msg, len, md);
    memcpy(out->b, md, DHT_ID_LEN);
}

void dht_id_of_node(uint64_t seed, uint32_t node, struct dht_id *out)
{
    static const char label[] = "bootstorm-dht-node";
    uint8_t msg[sizeof label - 1 + 8 + 4];
    memcpy(msg, label, sizeof label - 1);
    put_be(msg + sizeof label - 1, seed, 8);
    put_be(msg + sizeof label - 1 + 8, node, 4);
    id_of(msg, sizeof msg, out);
}

void dht_id_of_user(uint64_t user_id, struct dht_id *out)
{
    static const char label[] = "bootstorm-dht-user";
    uint8_t msg[sizeof label - 1 + 8];
    memcpy(msg, label, sizeof label - 1);
    put_be(msg + sizeof label - 1, user_id, 8);
    id_of(msg, sizeof msg, out);
}

void dht_id_random_in_bucket(const struct dht_id *self, int b, struct rng *r, struct dht_id *out)
{
    if (b < 0)
        b = 0;
    if (b >= DHT_ID_BITS)
        b = DHT_ID_BITS - 1;
    struct dht_id id = *self; /* out may alias self */
    int byte = DHT_ID_LEN - 1 - b / 8;
    uint8_t bit = (uint8_t)(1u << (b % 8));
    uint8_t below = (uint8_t)(bit - 1); /* the bits of that byte under bit b */
    id.b[byte] = (uint8_t)(((self->b[byte] ^ bit) & ~below) | ((uint8_t)rng_u32(r) & below));
    for (int i = byte + 1; i < DHT_ID_LEN; i++)
        id.b[i] = (uint8_t)rng_u32(r);
    *out = id;
}

void dht_id_hex(const struct dht_id *id, int n, char *buf)
{
    static const char digits[] = "0123456789abcdef";
    if (n < 0)
        n = 0;
    if (n > DHT_ID_LEN)
        n = DHT_ID_LEN;
    for (int i = 0; i < n; i++) {
        buf[2 * i] = digits[id->b[i] >> 4];
        buf[2 * i + 1] = digits[id->b[i] & 15];
    }
    buf[2 * n] = '\0';
}
