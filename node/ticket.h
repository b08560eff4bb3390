/* ticket.h - login tickets and credentials.
 *
 * A ticket is (user_id, expiry_ms, addr) signed with Ed25519 by the login
 * servers' shared key; supernodes verify it offline with the public key, and
 * accept it only from the address it was issued to (addr: the peer's IPv4
 * address as the login server saw it), so a ticket seen on the wire cannot
 * be replayed from elsewhere. expiry_ms is
 * run time (ms since the run's start, coordinator timebase). A peer's login
 * credential is HMAC-SHA256(run secret, be64(user_id)). */
#ifndef BS_TICKET_H
#define BS_TICKET_H

#include <stdint.h>

#include "common/metrics.h"
#include "wire.h"

struct ticket_keys {
    void *sign;   /* EVP_PKEY*, NULL when this side only verifies */
    void *verify; /* EVP_PKEY* */
};

enum ticket_verdict { TICKET_VALID = 0, TICKET_FORGED, TICKET_WRONG_ADDRESS, TICKET_EXPIRED };

/* priv may be NULL (verify only). Returns 0 or -1. */
/* How a registration server (supernode, presence server) refuses a ticket
 * that is not valid: the counter it bumps and the REGISTER_FAIL reason. */
struct ticket_refusal {
    enum metric_counter counter;
    enum wire_reason reason;
};
/* v != TICKET_VALID. */
const struct ticket_refusal *ticket_refusal_of(enum ticket_verdict v);

int ticket_keys_init(struct ticket_keys *k, const uint8_t *priv32, const uint8_t *pub32);
void ticket_keys_free(struct ticket_keys *k);

/* Fill t->sig for t->user_id, t->expiry_ms and t->addr. Returns 0 or -1. */
int ticket_sign(const struct ticket_keys *k, struct wire_ticket *t);
/* Checked in this order: the signature, the address (the connection's
 * source, from_addr), the expiry. */
enum ticket_verdict ticket_check(const struct ticket_keys *k, const struct wire_ticket *t,
                                 uint64_t now_ms, uint32_t from_addr);

/* Returns 0, or -1 (out wiped) if HMAC failed. */
int ticket_credential(const uint8_t *secret32, uint64_t user_id, uint8_t out[WIRE_SECRET_LEN]);
/* Constant-time check of a presented credential. */
int ticket_credential_ok(const uint8_t *secret32, uint64_t user_id,
                         const uint8_t given[WIRE_SECRET_LEN]);

#endif
