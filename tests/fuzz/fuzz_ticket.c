/* fuzz_ticket - the ticket and credential checks of node/ticket.c, on what a
 * supernode or login server decodes off the wire.
 *
 * Feeds: 8 bytes of run clock (now_ms, big-endian), 4 bytes of the
 * connection's source address (big-endian), then one payload. When it
 * decodes as REGISTER or LOGIN_OK, its ticket goes through ticket_check
 * with a fixed Ed25519 key (the one tests/fuzz/gen_seeds.c signs the seed
 * tickets with, so some seeds are valid); a LOGIN_REQ's secret goes through
 * ticket_credential_ok with a fixed run secret.
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - the verdict is one of the four, and not FORGED exactly when the
 *     signature is the one ticket_sign makes for (user_id, expiry, addr)
 *     (Ed25519 signatures are deterministic, and OpenSSL refuses the
 *     non-canonical ones);
 *   - for a genuine one: WRONG_ADDRESS exactly when addr is not the source,
 *     else VALID exactly when expiry_ms > now_ms;
 *   - a credential is accepted exactly when it equals ticket_credential's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/ticket.h"
#include "node/wire.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_ticket: invariant failed: %s\n", #cond);                         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#include "fixed_keys.h"

static struct ticket_keys keys;

static void free_keys(void)
{
    ticket_keys_free(&keys);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (ticket_keys_init(&keys, priv, pub) != 0) {
        fprintf(stderr, "fuzz_ticket: ticket_keys_init failed\n");
        abort();
    }
    atexit(free_keys);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    uint64_t now_ms = 0;
    uint32_t from = 0;
    for (int i = 0; i < 8; i++)
        now_ms = now_ms << 8 | data[i];
    for (int i = 8; i < 12; i++)
        from = from << 8 | data[i];

    struct wire_msg m;
    if (wire_decode_payload(data + 12, size - 12, &m) != WIRE_OK)
        return 0;

    if (m.type == WIRE_REGISTER || m.type == WIRE_LOGIN_OK) {
        struct wire_ticket good = m.u.ticket;
        CHECK(ticket_sign(&keys, &good) == 0);
        int genuine = memcmp(good.sig, m.u.ticket.sig, WIRE_SIG_LEN) == 0;

        enum ticket_verdict v = ticket_check(&keys, &m.u.ticket, now_ms, from);
        CHECK(v == TICKET_VALID || v == TICKET_FORGED || v == TICKET_WRONG_ADDRESS ||
              v == TICKET_EXPIRED);
        CHECK((v != TICKET_FORGED) == genuine);
        if (genuine && m.u.ticket.addr != from)
            CHECK(v == TICKET_WRONG_ADDRESS);
        else if (genuine)
            CHECK((v == TICKET_VALID) == (m.u.ticket.expiry_ms > now_ms));
        /* The re-signed ticket is never forged, whatever the input's sig. */
        CHECK(ticket_check(&keys, &good, now_ms, from) != TICKET_FORGED);
    } else if (m.type == WIRE_LOGIN_REQ) {
        uint8_t want[WIRE_SECRET_LEN];
        ticket_credential(secret, m.u.login_req.user_id, want);
        int same = memcmp(want, m.u.login_req.secret, WIRE_SECRET_LEN) == 0;
        CHECK(ticket_credential_ok(secret, m.u.login_req.user_id, m.u.login_req.secret) == same);
    }
    return 0;
}
