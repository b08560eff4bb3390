/* ticket.c - Ed25519 tickets and HMAC credentials (see ticket.h). */
#include "ticket.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static void be64(uint8_t *out, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

#define SIGNED_LEN 20

static void signed_bytes(const struct wire_ticket *t, uint8_t out[SIGNED_LEN])
{
    be64(out, t->user_id);
    be64(out + 8, t->expiry_ms);
    for (int i = 0; i < 4; i++)
        out[16 + i] = (uint8_t)(t->addr >> (24 - 8 * i));
}

int ticket_keys_init(struct ticket_keys *k, const uint8_t *priv32, const uint8_t *pub32)
{
    k->sign = NULL;
    k->verify = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub32, 32);
    if (priv32)
        k->sign = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv32, 32);
    if (!k->verify || (priv32 && !k->sign)) {
        ticket_keys_free(k);
        return -1;
    }
    return 0;
}

void ticket_keys_free(struct ticket_keys *k)
{
    EVP_PKEY_free(k->sign);
    EVP_PKEY_free(k->verify);
    k->sign = k->verify = NULL;
}

int ticket_sign(const struct ticket_keys *k, struct wire_ticket *t)
{
    uint8_t msg[SIGNED_LEN];
    size_t siglen = WIRE_SIG_LEN;
    signed_bytes(t, msg);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->sign) == 1 &&
             EVP_DigestSign(ctx, t->sig, &siglen, msg, sizeof msg) == 1 && siglen == WIRE_SIG_LEN;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : -1;
}

enum ticket_verdict ticket_check(const struct ticket_keys *k, const struct wire_ticket *t,
                                 uint64_t now_ms, uint32_t from_addr)
{
    uint8_t msg[SIGNED_LEN];
    signed_bytes(t, msg);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->verify) == 1 &&
             EVP_DigestVerify(ctx, t->sig, WIRE_SIG_LEN, msg, sizeof msg) == 1;
    EVP_MD_CTX_free(ctx);
    /* Check the signature first: an attacker must not learn anything about
     * expiry handling from a forged ticket. */
    if (!ok)
        return TICKET_FORGED;
    if (t->addr != from_addr)
        return TICKET_WRONG_ADDRESS;
    return t->expiry_ms <= now_ms ? TICKET_EXPIRED : TICKET_VALID;
}

int ticket_credential(const uint8_t *secret32, uint64_t user_id, uint8_t out[WIRE_SECRET_LEN])
{
    uint8_t msg[8];
    unsigned int len = WIRE_SECRET_LEN;
    be64(msg, user_id);
    if (!HMAC(EVP_sha256(), secret32, 32, msg, sizeof msg, out, &len) || len != WIRE_SECRET_LEN) {
        OPENSSL_cleanse(out, WIRE_SECRET_LEN); /* never hand out a half-made credential */
        return -1;
    }
    return 0;
}

int ticket_credential_ok(const uint8_t *secret32, uint64_t user_id,
                         const uint8_t given[WIRE_SECRET_LEN])
{
    uint8_t want[WIRE_SECRET_LEN];
    int ok = ticket_credential(secret32, user_id, want) == 0 &&
             CRYPTO_memcmp(want, given, WIRE_SECRET_LEN) == 0;
    OPENSSL_cleanse(want, sizeof want);
    return ok;
}

static const struct ticket_refusal refusals[] = {
    [TICKET_FORGED] = {C_SN_REFUSED_FORGED, WIRE_REASON_FORGED_TICKET},
    [TICKET_WRONG_ADDRESS] = {C_SN_REFUSED_REPLAY, WIRE_REASON_WRONG_ADDRESS},
    [TICKET_EXPIRED] = {C_SN_REFUSED_EXPIRED, WIRE_REASON_EXPIRED_TICKET},
};

const struct ticket_refusal *ticket_refusal_of(enum ticket_verdict v)
{
    return &refusals[v == TICKET_VALID ? TICKET_FORGED : v];
}
